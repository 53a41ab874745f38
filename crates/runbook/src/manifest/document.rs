//! The manifest document: [`Manifest`] and the records it is made of.

use serde::{Deserialize, Serialize};

use super::declared::{DeclaredRecord, HookRecord};
use super::outage::OutageWindow;
pub use super::status::StepStatus;
use crate::databases::ImageRecord;
use crate::plan::Component;
use crate::procedure::PhaseRecord;

/// The manifest format this code writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Where the manifest is stored in the snapshot.
pub const MANIFEST_PATH: &str = "/.cnxbackup/manifest.json";

/// Where database images are stored in the snapshot (`<dir>/<DATABASE>/<file>`).
pub const DATABASES_DIR: &str = "/.cnxbackup/databases";

/// Where the exported role mappings are stored in the snapshot (also in the manifest).
pub const ROLE_MAPPINGS_PATH: &str = "/.cnxbackup/role-mappings.json";

/// The whole record of one host's backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The backup set: one id shared by the snapshots of the hosts of a cell (`--set`).
    pub backup_set: String,
    /// Host name recorded in the snapshot.
    pub host: String,
    /// The cnxbackup version that wrote it.
    pub cnxbackup_version: String,
    /// Start and end, Unix nanoseconds.
    pub started_ns: i64,
    /// End of the run (before the snapshot was saved), Unix nanoseconds.
    pub finished_ns: i64,
    /// `complete`, or `incomplete` when a required step failed.
    pub status: Status,
    /// The required steps that failed (empty when complete).
    #[serde(default)]
    pub failed_steps: Vec<FailedStep>,
    /// The Connections version installed when the backup was taken.
    pub connections: ConnectionsVersion,
    /// The cell, profiles, servers and roots as discovered.
    pub topology: Topology,
    /// Choices that shaped the run.
    pub options: RunOptions,
    /// Every plan step, in plan order, with its outcome.
    pub steps: Vec<StepRecord>,
    /// File components (and what they hold in the snapshot).
    pub components: Vec<ComponentRecord>,
    /// One entry per database step.
    #[serde(default)]
    pub databases: Vec<DatabaseRecord>,
    /// Security-role mappings exported while the servers ran.
    pub role_mappings: RoleMappingsExport,
    /// Server stop (and `--restart` start) results.
    #[serde(default)]
    pub servers: Vec<ServerRecord>,
    /// Everything the administrator should know that did not fail a step.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The procedure's phases that ended before the manifest was written, in order (the
    /// same table as the run's report and its `phase_end` events; the `snapshot` phase
    /// that writes this document and the cleanup after it are only in the report).
    #[serde(default)]
    pub phases: Vec<PhaseRecord>,
    /// The outage this backup caused: stop, capture and restart, and how long Connections
    /// was down (null with `--no-stop`, and in manifests written before it was recorded).
    #[serde(default)]
    pub outage: Option<OutageWindow>,
    /// Components this snapshot does not hold on purpose, and why (`--skip-databases`
    /// given, a member of the backup set holds them, the IIM state left out).
    #[serde(default)]
    pub absent: Vec<Absence>,
    /// Set on the snapshot a restore took of what it was about to replace (tag
    /// `pre-restore`): which restore, of which snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_restore: Option<PreRestoreOf>,
    /// The declared components (`[[component]]`): the administrator's commands' data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub declared: Vec<DeclaredRecord>,
    /// The hooks that ran before the manifest was written (`before_stop`, `after_start`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRecord>,
}

/// A component a backup left out on purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Absence {
    /// The component.
    pub component: Component,
    /// Why.
    pub reason: AbsenceReason,
    /// The member of the backup set that holds it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_by: Option<SetMember>,
    /// The whole story in one sentence.
    pub message: String,
}

/// Why a component is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceReason {
    /// `--skip-databases` was given and no other host of the set held the databases when
    /// the backup was written (without `--set` the snapshot is incomplete; with it, it
    /// counts as complete while a member of the set holds them).
    SkipDatabases,
    /// Another host of the backup set holds it.
    SetMember,
    /// `--skip-installation-manager`: this backup cannot restore `connections_root` onto an
    /// updated system.
    SkipInstallationManager,
}

/// A snapshot of another host of the same backup set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMember {
    /// Its host.
    pub host: String,
    /// Its snapshot id.
    pub snapshot: String,
}

/// What a `pre-restore` snapshot was taken for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreRestoreOf {
    /// The snapshot the restore was about to restore (hex id).
    pub restoring: String,
    /// The target root the files were saved from (`/` for the host itself).
    pub target: String,
}

impl Manifest {
    /// Parses a manifest, refusing a `schema_version` this code does not know.
    pub fn from_json(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        #[derive(Deserialize)]
        struct Probe {
            schema_version: u32,
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(ManifestError::Parse)?;
        if probe.schema_version == 0 || probe.schema_version > SCHEMA_VERSION {
            return Err(ManifestError::UnknownSchema {
                found: probe.schema_version,
                supported: SCHEMA_VERSION,
            });
        }
        serde_json::from_slice(bytes).map_err(ManifestError::Parse)
    }

    /// The manifest as pretty JSON (what goes into the snapshot).
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The component record, if the plan had that component.
    pub fn component(&self, c: Component) -> Option<&ComponentRecord> {
        self.components.iter().find(|r| r.component == c)
    }
}

/// A manifest that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or not a manifest.
    #[error("the manifest is not valid: {0}")]
    Parse(#[source] serde_json::Error),
    /// Written by a newer cnxbackup.
    #[error(
        "the manifest has schema_version {found}; this cnxbackup reads up to {supported}: \
         use a newer cnxbackup"
    )]
    UnknownSchema {
        /// Version in the document.
        found: u32,
        /// Newest version known here.
        supported: u32,
    },
}

/// Whether every required step succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every step that runs succeeded.
    Complete,
    /// A required step failed; the components it names are missing or partial.
    Incomplete,
}

/// A required step that failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedStep {
    /// The step's number in the procedure (`"4"`, `"6a"`).
    pub procedure_step: String,
    /// Its title.
    pub title: String,
    /// The component concerned (`databases` for a database step).
    pub component: Option<Component>,
    /// The database, for a database step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// The declared component (`[[component]]`), for its step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// The installed Connections version and everything it was read from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConnectionsVersion {
    /// `connections_root`.
    pub root: String,
    /// Exact version string (`8.0.0.0_CR3 + KB0102411,KB0105812`), when known.
    pub version: Option<String>,
    /// The fingerprint the restore gate compares (release, offering, CR, iFixes, WAS
    /// version, provision/webresources listing hash); null when the version is unknown.
    pub fingerprint: Option<connections::version::Fingerprint>,
    /// Release for the restore rules (`"6.5"` for 6.0 CR6 and later).
    pub release: Option<String>,
    /// CR level.
    pub cr: Option<u32>,
    /// Installed iFixes, sorted.
    pub ifixes: Vec<String>,
    /// Whether the iFix list was read.
    pub ifixes_known: bool,
    /// The source the offering version was taken from.
    pub basis: Option<String>,
    /// Every source and its value, as discovery reports them (`discover --json`
    /// `connections.version.evidence`).
    pub evidence: serde_json::Value,
    /// Disagreements between the sources.
    #[serde(default)]
    pub conflicts: Vec<String>,
}

impl ConnectionsVersion {
    /// The record of the version discovery read under `root` (the backup's, and the
    /// pre-restore snapshot's of the target as it is).
    pub fn of(root: &str, v: &connections::deployment::VersionInfo) -> ConnectionsVersion {
        ConnectionsVersion {
            root: root.to_string(),
            version: v.version().map(|x| x.to_string()),
            fingerprint: v.fingerprint(),
            release: v.release.as_ref().map(|r| r.to_string()),
            cr: v.cr,
            ifixes: v.ifixes.iter().map(|i| i.to_string()).collect(),
            ifixes_known: v.ifixes_known,
            basis: v
                .basis
                .as_ref()
                .and_then(|b| serde_json::to_value(b).ok())
                .and_then(|b| b.as_str().map(str::to_string))
                .filter(|b| !b.is_empty()),
            evidence: serde_json::to_value(&v.evidence).unwrap_or(serde_json::Value::Null),
            conflicts: v.conflicts.iter().map(|c| c.to_string()).collect(),
        }
    }
}

/// The deployment's shape at backup time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    /// Cell name.
    pub cell: String,
    /// `app_server_root`.
    pub app_server_root: String,
    /// `connections_root`.
    pub connections_root: String,
    /// `shared_data_directory_root`.
    pub shared_data: String,
    /// `local_data_directory_root`.
    pub local_data: String,
    /// `CONNECTIONS_PROVISION_PATH`.
    pub provision: String,
    /// `CONNECTIONS_CUSTOMIZATION_PATH`.
    pub customization: String,
    /// IIM install, data and shared directories.
    pub iim: IimDirs,
    /// CCM installed.
    pub ccm_installed: bool,
    /// Profiles on this host.
    pub profiles: Vec<ProfileRecord>,
    /// Servers of the cell (all hosts), in discovery order.
    pub servers: Vec<ServerRef>,
    /// The web servers installed on this host (IBM HTTP Server and the plug-in): where they
    /// are and their versions, which a restore of `web_server`/`web_plugin` compares.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub web_servers: Vec<WebServerRecord>,
}

/// One web server of this host as the backup saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebServerRecord {
    /// The web server definition's name (`webserver1`).
    pub name: String,
    /// IHS install root.
    pub install_root: String,
    /// IHS version.
    pub version: Option<String>,
    /// The plug-in's install root.
    pub plugin_install_root: Option<String>,
    /// The plug-in's version.
    pub plugin_version: Option<String>,
}

/// Installation Manager directories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IimDirs {
    /// IIM install directory.
    pub install_dir: String,
    /// Agent data directory.
    pub data_dir: String,
    /// `shared_resources_root` (IMShared).
    pub shared_dir: String,
}

/// One profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    /// Name.
    pub name: String,
    /// Product path.
    pub path: String,
    /// `dmgr`, `managed`, `standalone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Node it holds.
    pub node: Option<String>,
}

/// One server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRef {
    /// Node.
    pub node: String,
    /// Server name.
    pub server: String,
    /// `application_server`, `node_agent`, `deployment_manager`, `web_server`, `other`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Host of the node.
    pub host: Option<String>,
    /// Cluster, if a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// The options the run used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Step 8 (the Installation Manager's install and data directories) included: true
    /// unless it was left out (the name is from when it was only included for an
    /// in-place migration; `--in-place-migration` is still accepted).
    pub in_place_migration: bool,
    /// The Installation Manager's state (steps 7 and 8) was left out
    /// (`--skip-installation-manager`): the backup cannot restore `connections_root`
    /// onto an updated system.
    #[serde(default)]
    pub skip_installation_manager: bool,
    /// `--no-stop`: the servers were found stopped and not touched.
    pub no_stop: bool,
    /// `--restart`: servers started again at the end.
    pub restart: bool,
    /// Database vendor used, if any.
    pub database_vendor: Option<String>,
    /// Tags given with `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Database backups run at a time (`database.parallel`); absent in manifests written
    /// before the databases were backed up side by side (one at a time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_parallel: Option<usize>,
    /// The file components were read from file-system snapshots taken with this method
    /// (`[snapshot] method`) after the databases, with the servers started again; absent
    /// when they were read from the live file systems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_snapshot: Option<crate::fssnap::SnapshotMethod>,
}

/// One plan step and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Position in the plan.
    pub order: usize,
    /// Number in the documented procedure.
    pub procedure_step: String,
    /// Title.
    pub title: String,
    /// `export_role_mappings`, `stop_servers`, `backup_databases`, `backup_files`.
    pub action: String,
    /// The component it fills.
    pub component: Option<Component>,
    /// Outcome.
    pub status: StepStatus,
    /// Why it was skipped, or what went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Wall time.
    pub duration_ms: u64,
}

/// One file component as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentRecord {
    /// The component.
    pub component: Component,
    /// The procedure step.
    pub procedure_step: String,
    /// Product paths it covers (as stored in the snapshot).
    pub paths: Vec<String>,
    /// Product paths inside `paths` that belong to other components.
    #[serde(default)]
    pub excludes: Vec<String>,
    /// When its paths lie inside another component's paths, that component (the files
    /// were stored once, by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored_with: Option<Component>,
    /// Outcome.
    pub status: StepStatus,
    /// Regular files stored.
    pub files: u64,
    /// Directories stored.
    pub dirs: u64,
    /// Bytes of file content stored.
    pub bytes: u64,
    /// Wall time of this component's backup.
    pub duration_ms: u64,
    /// Why skipped / what failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Files that changed, vanished or could not be read (first ones).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The version of what the component holds, when it has one of its own (IBM HTTP
    /// Server, the plug-in), as discovery read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One database step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseRecord {
    /// Database name.
    pub database: String,
    /// Outcome.
    pub status: StepStatus,
    /// The vendor's record (files, sizes, SHA-256, vendor timestamp, command), when the
    /// backup succeeded.
    pub image: Option<ImageRecord>,
    /// Where each image file is in the snapshot (same order as `image.files`).
    #[serde(default)]
    pub stored_paths: Vec<String>,
    /// What went wrong.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the vendor backup began and ended, Unix nanoseconds (absent when it never ran,
    /// and in manifests written before they were recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_ns: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_ns: Option<i64>,
    /// Where the transcript of the vendor tool's commands and output is in the snapshot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

impl DatabaseRecord {
    /// A record of `database` with `status` and nothing else known yet (no image, no paths,
    /// no times, no error).
    pub fn new(database: impl Into<String>, status: StepStatus) -> Self {
        DatabaseRecord {
            database: database.into(),
            status,
            image: None,
            stored_paths: Vec::new(),
            error: None,
            started_ns: None,
            ended_ns: None,
            log: None,
        }
    }
}

/// The exported security-role mappings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMappingsExport {
    /// Where they were read from: `deployed bindings` (the cell configuration), plus
    /// `wsadmin` when it answered.
    pub sources: Vec<String>,
    /// Every application's mappings, from its deployed bindings file.
    pub applications: Vec<websphere::app_bindings::ApplicationRoleMappings>,
    /// `wsadmin` `AdminApp.view(app, ['-MapRolesToUsers'])` output per application, when
    /// wsadmin was configured and the deployment manager answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wsadmin: Vec<WsadminRoles>,
    /// Bindings that could not be read (each names its file).
    #[serde(default)]
    pub errors: Vec<String>,
}

/// The role mappings wsadmin reported for one application (raw text kept as printed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WsadminRoles {
    /// Application name.
    pub application: String,
    /// The `-MapRolesToUsers` view as printed.
    pub text: String,
}

/// One server's stop or start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    /// `stop` or `start`.
    pub operation: String,
    /// Profile.
    pub profile: String,
    /// Server name.
    pub server: String,
    /// Server type.
    #[serde(rename = "type")]
    pub kind: String,
    /// `stopped`, `already_stopped`, `killed`, `started`, `already_running`, `skipped`,
    /// `failed`.
    pub result: String,
    /// Detail (why already stopped, kill signal, failure).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Script runs.
    pub attempts: u32,
    /// Wall time.
    pub duration_ms: u64,
}
