//! Why a restore did not run (or stopped before touching anything): [`DeploymentRestoreError`].

use super::prerestore::PreRestoreError;
use super::{gate, select};
use crate::pick::PickError;
use crate::plan::Component;
use crate::servers::RunningServer;

/// Why a restore did not run (or stopped before touching anything).
#[derive(Debug, thiserror::Error)]
pub enum DeploymentRestoreError {
    /// The snapshot is not a deployment backup (no manifest to restore by).
    #[error("snapshot {snapshot} is not a cnxbackup deployment backup")]
    NotADeploymentBackup {
        /// The snapshot's id.
        snapshot: String,
    },
    /// The manifest cannot be read out of the snapshot.
    #[error("the snapshot has no readable manifest at {path}")]
    ManifestUnreadable {
        /// Where the manifest should be (stored path).
        path: String,
        /// Why reading it failed.
        #[source]
        source: vault::restore::RestoreError,
    },
    /// The manifest is not one this version can read.
    #[error("{path}")]
    ManifestInvalid {
        /// The manifest's stored path.
        path: String,
        /// What is wrong with it.
        #[source]
        source: crate::manifest::ManifestError,
    },
    /// A selected component's tree cannot be read, so its names cannot be checked.
    #[error("reading the snapshot's tree of {component}")]
    TreeUnreadable {
        /// The component.
        component: Component,
        /// The path and the repository's error.
        #[source]
        source: super::files::TreeReadError,
    },
    /// An extraction (`--target` elsewhere) could not write the snapshot's own files.
    #[error(transparent)]
    Extract(super::extract::ExtractError),
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
    #[error("--stop failed")]
    Stop(#[source] crate::servers::ServerError),
    /// Another host's snapshot without `--from-host` (exit 3), or `--from-host` naming
    /// another host than the snapshot's (exit 2).
    #[error(transparent)]
    Host(PickError),
    /// A declared component cannot be restored: not configured, not in the snapshot, or
    /// its version differs (the gate).
    #[error(transparent)]
    Declared(crate::declared::DeclaredError),
    /// The pre-restore snapshot could not be taken; nothing was changed (exit 1).
    #[error(transparent)]
    PreRestore(PreRestoreError),
    /// A pre-restore snapshot restored onto another target than the one it was taken at
    /// (exit 3): its files are that target's state, not this one's.
    #[error(
        "snapshot {snapshot} is the pre-restore snapshot of the target {taken_at} (what a \
         restore there replaced); restoring it onto {target} would put that target's state \
         here. Refused. Restore it where it was taken (--target {taken_at}, or without \
         --target when that is /), or extract it into an empty directory (--target EMPTY_DIR)"
    )]
    PreRestoreElsewhere {
        /// The snapshot (short id).
        snapshot: String,
        /// The target root it was taken at.
        taken_at: String,
        /// The target root of this restore.
        target: String,
    },
}

impl DeploymentRestoreError {
    /// Whether this is a safety refusal (exit 3).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            DeploymentRestoreError::Incomplete(_)
                | DeploymentRestoreError::Gate(_)
                | DeploymentRestoreError::Running { .. }
                | DeploymentRestoreError::Unsafe { .. }
                | DeploymentRestoreError::PreRestoreElsewhere { .. }
                | DeploymentRestoreError::Declared(
                    crate::declared::DeclaredError::VersionMismatch { .. }
                )
        ) || matches!(self, DeploymentRestoreError::Host(e) if e.is_refusal())
    }

    /// Whether this is a usage error (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            DeploymentRestoreError::Usage(_)
                | DeploymentRestoreError::Declared(crate::declared::DeclaredError::Config { .. })
        ) || matches!(self, DeploymentRestoreError::Host(e) if e.is_usage())
    }
}
