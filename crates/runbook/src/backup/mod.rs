//! The backup procedure end to end: preflight, role mappings while the servers run, stop,
//! databases with the vendor tools, file components, the manifest, one snapshot per host.
//!
//! [`run`] executes a [`Plan`] for a discovered deployment:
//!
//! 1. **Preflight** ([`checks`]) before anything is touched: the WebSphere scripts, the
//!    credentials (a cheap `serverStatus` call), the database tool, the staging space, the
//!    repository, every plan path. Any problem ends the run with [`BackupError::Preflight`]:
//!    nothing stopped, nothing written. `--no-stop` with a server running is
//!    [`BackupError::Refused`]. `--dry-run` stops here.
//! 2. **While the servers run**: the role mappings of every application (deployed bindings,
//!    plus wsadmin when available) and the version evidence.
//! 3. **Stop** (unless `--no-stop`): servers, node agents, deployment manager; verified.
//! 4. **Databases**, one step each; staged images (and the `command` vendor's streamed dump)
//!    go into the snapshot under `/.cnxbackup/databases/<DB>/`.
//! 5. **Files**: each plan component through the vault pipeline, stored under its product
//!    paths ([`store::Composer`]).
//! 6. **Manifest and snapshot**; staging copies are removed only after the snapshot is
//!    saved; `--restart` starts the servers again.
//!
//! A required step that fails does not stop the run: the remaining components are still
//! backed up, the snapshot is written and marked `incomplete` naming the failed steps
//! ([`BackupReport::complete`] is false; the CLI exits 1). Only a failing repository (full,
//! unreachable) ends the run early ([`BackupError::Repository`]): no snapshot is written.

mod checks;
mod dbsources;
pub mod events;
mod files;
mod run;
pub mod store;

use std::path::PathBuf;

use serde::Serialize;
use vault::SnapshotId;

pub use checks::{backup_preflight, PreflightOutcome, ProblemKind};
pub use events::{CollectEvents, Event, EventSink, NoEvents, Phase, PhaseStatus};
pub use run::run;

use crate::databases::ToolConfig;
use crate::manifest::Manifest;
use crate::plan::Plan;
use crate::preflight::Problem;
use crate::servers::{ControlOptions, RunningServer, WasCredentials};

/// The choices of one run (the `backup` command's flags).
#[derive(Debug, Clone, Default)]
pub struct BackupOptions {
    /// Preflight and plan only: nothing stopped or written.
    pub dry_run: bool,
    /// Do not stop the servers; refuse when one runs.
    pub no_stop: bool,
    /// Start the servers again at the end (dmgr, node agents, servers; verified).
    pub restart: bool,
    /// Include step 8 (the Installation Manager directories).
    pub in_place_migration: bool,
    /// Leave the databases out (another host of the backup set dumps them).
    pub skip_databases: bool,
    /// The backup set shared by the hosts of a cell; default a new id.
    pub backup_set: Option<String>,
    /// Extra snapshot tags.
    pub tags: Vec<String>,
    /// Host name for the snapshot; default this machine's name.
    pub host: Option<String>,
    /// Live counters for a progress display of the files phase (files and bytes stored).
    pub progress: Option<std::sync::Arc<vault::Progress>>,
}

/// Everything a run needs from its caller.
pub struct BackupInput<'a> {
    /// Where product paths are read.
    pub sysroot: &'a websphere::Sysroot,
    /// The discovered deployment.
    pub deployment: &'a connections::deployment::Deployment,
    /// Flags.
    pub options: BackupOptions,
    /// WebSphere credentials for the control scripts.
    pub credentials: WasCredentials,
    /// Server control settings.
    pub control: ControlOptions,
    /// The `[database]` settings (vendor defaults to the discovered one).
    pub database: ToolConfig,
    /// The opened repository, or why it could not be opened (a preflight problem).
    pub repository: Result<&'a vault::Repository, String>,
    /// The cnxbackup version recorded in the manifest.
    pub program_version: String,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// True for `--dry-run`: nothing was stopped or written.
    pub dry_run: bool,
    /// The plan that ran.
    pub plan: Plan,
    /// What preflight checked.
    pub preflight: PreflightOutcome,
    /// The manifest (for a dry run: none).
    pub manifest: Option<Manifest>,
    /// The snapshot written.
    pub snapshot: Option<String>,
    /// Phase timings in milliseconds, in order.
    pub phases: Vec<(Phase, u64)>,
    /// `--restart` failed for some servers (the snapshot is fine).
    pub restart_failed: Vec<String>,
}

impl BackupReport {
    /// True when every required step succeeded (a dry run counts as complete).
    pub fn complete(&self) -> bool {
        self.manifest
            .as_ref()
            .is_none_or(|m| m.status == crate::manifest::Status::Complete)
    }

    /// The snapshot id, parsed.
    pub fn snapshot_id(&self) -> Option<SnapshotId> {
        self.snapshot
            .as_deref()
            .and_then(|s| SnapshotId::from_hex(s).ok())
    }
}

/// Why a run ended without a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Preflight found problems; nothing was stopped or written.
    #[error("preflight found {} problem(s); nothing was stopped or written:\n{}", problems.len(), list(problems))]
    Preflight {
        /// Every problem.
        problems: Vec<Problem>,
        /// Configuration problems (exit 2) or only safety ones (exit 3).
        kind: ProblemKind,
        /// What preflight saw (for `--json`).
        outcome: Box<PreflightOutcome>,
    },
    /// `--no-stop` and servers are running.
    #[error("--no-stop: {} server(s) still running, refusing to back up a running deployment: {}", running.len(), running.iter().map(|r| format!("{} (profile {}, pid {})", r.server, r.profile, r.pid)).collect::<Vec<_>>().join(", "))]
    Refused {
        /// The running servers.
        running: Vec<RunningServer>,
    },
    /// The repository failed during the run (full, unreachable): no snapshot was written.
    #[error(
        "the repository failed while {during}: {message}. No snapshot was written; the \
         servers were left stopped{staging}"
    )]
    Repository {
        /// What was being stored.
        during: String,
        /// The error.
        message: String,
        /// Where the staged database images were kept, if any.
        staging: String,
        /// Staging directory kept.
        staging_dir: Option<PathBuf>,
    },
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - [{}] {}", p.check, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A new backup-set id: the UTC time and a random suffix (`20261127T120000Z-3f9a`).
pub fn new_backup_set_id() -> String {
    let stamp = crate::databases::utc_stamp();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let salt = (nanos ^ std::process::id().rotate_left(16)) & 0xffff;
    format!("{}T{}Z-{salt:04x}", &stamp[..8], &stamp[8..])
}

/// Whether `id` is usable as a backup-set id (it becomes a tag `set:<id>`).
pub fn valid_backup_set_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_set_ids_are_valid_and_checked() {
        let id = new_backup_set_id();
        assert!(valid_backup_set_id(&id), "{id}");
        assert_eq!(id.len(), "20261127T120000Z-3f9a".len());
        assert!(valid_backup_set_id("cell-2026.11_a"));
        assert!(!valid_backup_set_id("a b"));
        assert!(!valid_backup_set_id(""));
        assert!(!valid_backup_set_id("x/y"));
    }
}
