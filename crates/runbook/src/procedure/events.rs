//! Progress of a backup or restore run as events: the CLI prints one line per phase on
//! stderr, or (backup) one JSON document per event on stdout with `--json` (the schema is in
//! `docs/CLI.md`).

use serde::{Deserialize, Serialize};

/// The phases of the backup (first eight, in order) and of the restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Checks before anything is touched.
    Preflight,
    /// Role mappings and version evidence while the servers run.
    RoleMappings,
    /// Stopping the WebSphere servers.
    Stop,
    /// The declared components (`[[component]]`): the administrator's commands.
    Components,
    /// A hook (`[hooks]`): `before_stop`, `after_start`.
    Hook,
    /// Database backups with the vendor's tools.
    Databases,
    /// The snapshot mode (`[snapshot] method`): the volumes of the file components
    /// snapshotted, so the servers can start before the files are read.
    FsSnapshot,
    /// File components into the repository.
    Files,
    /// The manifest and the snapshot.
    Snapshot,
    /// Removing the staged database images.
    Cleanup,
    /// `--restart`: starting the servers again.
    Restart,
    /// Restore: the manifest read and the components selected.
    Selection,
    /// Restore: the version gate and the snapshot's names checked.
    VersionGate,
    /// Restore: what the restore replaces or removes, and the logs, saved into a snapshot
    /// tagged `pre-restore`.
    PreRestore,
    /// Restore: the databases through the vendor's restore commands.
    RestoreDatabases,
    /// Restore: the file components, each an exact mirror of the snapshot.
    RestoreFiles,
    /// Restore: the version read again at the target.
    VersionCheck,
    /// Restore: the declared components, through their restore commands.
    RestoreComponents,
}

impl Phase {
    /// Words for the one-line-per-phase output.
    pub fn title(self) -> &'static str {
        match self {
            Phase::Preflight => "preflight checks",
            Phase::RoleMappings => "export role mappings and version evidence",
            Phase::Stop => "stop the WebSphere servers",
            Phase::Components => "back up the declared components",
            Phase::Hook => "run a hook",
            Phase::Databases => "back up the databases",
            Phase::FsSnapshot => "snapshot the file systems of the file components",
            Phase::Files => "back up the file components",
            Phase::Snapshot => "write the manifest and the snapshot",
            Phase::Cleanup => "remove the staged database images",
            Phase::Restart => "start the WebSphere servers again",
            Phase::Selection => "read the manifest and select the components",
            Phase::VersionGate => "check the version gate",
            Phase::PreRestore => "save what the restore replaces (pre-restore snapshot)",
            Phase::RestoreDatabases => "restore the databases",
            Phase::RestoreFiles => "restore the file components",
            Phase::VersionCheck => "read the version at the target again",
            Phase::RestoreComponents => "restore the declared components",
        }
    }
}

/// How a phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseStatus {
    /// Done.
    Ok,
    /// Something in it failed (the run may go on: see the failure semantics).
    Failed,
    /// Not run.
    Skipped,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A phase begins.
    PhaseStart {
        /// Phase.
        phase: Phase,
        /// What it does.
        title: String,
    },
    /// A phase ended.
    PhaseEnd {
        /// Phase.
        phase: Phase,
        /// Outcome.
        status: PhaseStatus,
        /// Wall time.
        duration_ms: u64,
        /// A short account (`3 servers stopped`, the error).
        message: String,
    },
    /// One item of a phase is done (a server, a database, a component).
    Progress {
        /// Phase.
        phase: Phase,
        /// The item (`PEOPLEDB`, `shared_data`, `AppsCluster_server1`).
        item: String,
        /// Items done so far, this one included.
        done: usize,
        /// Items in the phase.
        total: usize,
        /// Files stored for this item (file components).
        #[serde(skip_serializing_if = "Option::is_none")]
        files: Option<u64>,
        /// Bytes stored for this item.
        #[serde(skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        /// `ok`, `failed`, `partial`, `skipped`, `missing`.
        status: String,
    },
    /// Something the administrator should know.
    Warning {
        /// Phase.
        phase: Phase,
        /// The warning.
        message: String,
    },
}

/// Receives the events of a run.
pub trait EventSink {
    /// One event.
    fn event(&mut self, e: &Event);
}

/// Drops every event.
pub struct NoEvents;

impl EventSink for NoEvents {
    fn event(&mut self, _e: &Event) {}
}

/// Collects every event (tests, reports).
#[derive(Debug, Default)]
pub struct CollectEvents(pub Vec<Event>);

impl EventSink for CollectEvents {
    fn event(&mut self, e: &Event) {
        self.0.push(e.clone());
    }
}
