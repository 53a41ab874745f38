//! The deployment restore: bring a failed update back to exactly where the backup was.
//!
//! [`run`] restores a `cnxbackup backup` snapshot onto a target root (the sysroot, or a lab
//! copy with `--target`):
//!
//! 1. **Manifest and selection** ([`select`]): `/.cnxbackup/manifest.json` from the
//!    snapshot; every component it holds, or `--only`; the Installation Manager group
//!    (`connections_root`, `installation_manager`, `shared_resources`) always together; an
//!    incomplete snapshot only with `--only` naming intact components.
//! 2. **The version gate** ([`gate`]): the version installed at the target
//!    (`connections::discover::installed_version`) against the backup's, by the documented
//!    rules; refusals name the rule, both versions and what to do.
//! 3. **Preconditions**: every server at the target stopped (`--stop` stops them the way
//!    the backup does); otherwise refused, naming the running ones.
//! 4. **Databases first** ([`dbs`]) through the vendor's restore commands, then the **file
//!    components** ([`files`]), each an exact mirror of the snapshot; profile `temp` and
//!    `wstemp` emptied.
//! 5. **After**: the version is read again at the target and compared with the one the
//!    restore was meant to leave; restored files are verified against the snapshot (sizes
//!    and content hashes; by default for components under 10 GiB).
//!
//! `--dry-run` runs 1–2, reports 3, and lists every file that would be added, replaced or
//! removed per component and every database command, touching nothing.

pub mod dbs;
pub mod files;
pub mod gate;
mod run;
pub mod select;
mod topology;

use std::time::Instant;

use serde::Serialize;

pub use run::{is_deployment_backup, read_manifest, run};
pub use topology::target_topology;

use crate::databases::ToolConfig;
use crate::plan::Component;
use crate::servers::{ControlOptions, RunningServer, WasCredentials};

/// The choices of one restore (the `restore` command's flags).
#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// `--only`: restore just these components (empty: all the snapshot holds).
    pub only: Vec<Component>,
    /// `--dry-run`: list, touch nothing.
    pub dry_run: bool,
    /// `--skip-databases`.
    pub skip_databases: bool,
    /// `--allow-version-mismatch`: override the release rule (never the provision rule).
    pub allow_version_mismatch: bool,
    /// `--stop`: stop running servers at the target first.
    pub stop: bool,
    /// `--verify` (`Some(true)`), `--no-verify` (`Some(false)`), default: components under
    /// 10 GiB.
    pub verify: Option<bool>,
    /// Live counters for a progress display of the file components (files and bytes
    /// written; each component adds its totals as it starts).
    pub progress: Option<std::sync::Arc<vault::Progress>>,
}

/// Everything a restore needs from its caller.
pub struct RestoreInput<'a> {
    /// The opened repository.
    pub repository: &'a vault::Repository,
    /// The snapshot.
    pub snapshot: &'a vault::Snapshot,
    /// Its id (hex).
    pub snapshot_id: String,
    /// Where product paths are written (the sysroot or `--target`).
    pub target: &'a websphere::Sysroot,
    /// Discovery overrides for reading the installed version at the target.
    pub discover: connections::discover::DiscoverOptions,
    /// Flags.
    pub options: RestoreOptions,
    /// WebSphere credentials for `--stop`.
    pub credentials: WasCredentials,
    /// Server control settings.
    pub control: ControlOptions,
    /// The `[database]` settings.
    pub database: ToolConfig,
}

/// What a restore did (or, dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The snapshot.
    pub snapshot: String,
    /// The target root.
    pub target: String,
    /// Nothing was touched.
    pub dry_run: bool,
    /// Backup set and host of the snapshot.
    pub backup_set: String,
    /// Host the backup was taken on.
    pub host: String,
    /// The selection.
    pub selection: select::Selection,
    /// The gate's decision.
    pub gate: gate::GateDecision,
    /// Servers stopped with `--stop`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stopped: Vec<String>,
    /// Servers found running (dry run only; a real run refuses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub running: Vec<RunningServer>,
    /// Databases, in restore order.
    pub databases: Vec<dbs::DatabaseResult>,
    /// File components, in restore order.
    pub components: Vec<files::ComponentResult>,
    /// The version at the target after the restore.
    pub version_after: Option<String>,
    /// The version the restore was meant to leave at the target.
    pub version_expected: Option<String>,
    /// `version_after == version_expected` (None for dry runs).
    pub version_confirmed: Option<bool>,
    /// Notes the administrator must read.
    pub warnings: Vec<String>,
    /// Wall time.
    pub duration_ms: u64,
}

impl RestoreReport {
    /// True when every step succeeded (and, for a real run, the version was confirmed).
    pub fn ok(&self) -> bool {
        self.databases.iter().all(|d| d.status != "failed")
            && self
                .components
                .iter()
                .all(|c| c.status == "restored" || c.status == "would_restore")
            && self.version_confirmed != Some(false)
    }

    /// Regular files written over all components (the in-place restore's "rewritten").
    pub fn files_written(&self) -> u64 {
        self.components.iter().map(|c| c.files_written).sum()
    }
}

/// Why a restore did not run (or stopped before touching anything).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The snapshot is not a deployment backup, or its manifest cannot be read.
    #[error("{0}")]
    Manifest(String),
    /// `--only` asks for something the snapshot does not hold (exit 2).
    #[error(transparent)]
    Usage(select::SelectError),
    /// An incomplete snapshot without `--only` (exit 3).
    #[error(transparent)]
    Incomplete(select::SelectError),
    /// The version gate refused (exit 3).
    #[error(transparent)]
    Gate(gate::Refusal),
    /// Servers are running at the target (exit 3).
    #[error("{} server(s) are running at the target; stop them first (or use --stop): {}", running.len(), running.iter().map(|r| format!("{} (profile {}, pid {})", r.server, r.profile, r.pid)).collect::<Vec<_>>().join(", "))]
    Running {
        /// The running servers.
        running: Vec<RunningServer>,
    },
    /// The snapshot holds an entry whose name would escape its directory (exit 3).
    #[error("refusing to restore {component}: {detail}")]
    Unsafe {
        /// The component.
        component: Component,
        /// The entry and why.
        detail: String,
    },
    /// `--stop` could not stop every server (exit 1 for credentials, 3 for still running).
    #[error("--stop failed: {0}")]
    Stop(String),
}

impl RestoreError {
    /// Whether this is a safety refusal (exit 3).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            RestoreError::Incomplete(_)
                | RestoreError::Gate(_)
                | RestoreError::Running { .. }
                | RestoreError::Unsafe { .. }
        )
    }

    /// Whether this is a usage error (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, RestoreError::Usage(_))
    }
}

pub(crate) fn millis(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}
