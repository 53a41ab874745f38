//! Why a backup run ended without a snapshot: [`DeploymentBackupError`], with where the servers are
//! ([`ServersAfter`]) and what the repository step failed on ([`StoreFailure`]).

use std::path::PathBuf;

use super::checks::{PreflightOutcome, ProblemKind};
use super::files::SourcePathError;
use crate::preflight::Problem;
use crate::servers::RunningServer;

/// Why a run ended without a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentBackupError {
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
    /// The servers did not all stop: the run ended before any database was touched and
    /// wrote no snapshot (`--on-stop-failure abort`, the default).
    #[error(
        "the servers did not all stop: {}. No database was touched and no snapshot was \
         written; {servers}. Stop them by hand (or set websphere.force_kill = true) and run \
         again, or use --on-stop-failure files to back up the files without the databases",
        failed.join("; ")
    )]
    StopFailed {
        /// `server: why` for each server that did not stop.
        failed: Vec<String>,
        /// Where the servers are now.
        servers: ServersAfter,
    },
    /// The repository failed during the run (full, unreachable): no snapshot was written.
    /// The `before_stop` hook failed: nothing was stopped, no snapshot written.
    #[error("the {hook} hook failed; nothing was stopped and no snapshot was written: {source}")]
    Hook {
        /// The hook.
        hook: &'static str,
        /// Why.
        #[source]
        source: crate::declared::DeclaredError,
    },
    #[error(
        "the repository failed while {during}. No snapshot was written; {servers}{}",
        staging_note(staging_dir.as_deref())
    )]
    Repository {
        /// What was being stored.
        during: String,
        /// Where the servers are now.
        servers: ServersAfter,
        /// The staging directory kept, with the staged database images.
        staging_dir: Option<PathBuf>,
        /// The error.
        #[source]
        source: Box<StoreFailure>,
    },
}

/// Where the servers are after a run that wrote no snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServersAfter {
    /// Stopped (no `--restart`, or `--no-stop`).
    LeftStopped,
    /// The servers that did stop were left stopped (no `--restart`), the others run.
    PartlyStopped,
    /// `--restart` started them again.
    Started,
    /// `--restart` failed for some (`server: why; ...`).
    RestartFailed(String),
}

impl std::fmt::Display for ServersAfter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServersAfter::LeftStopped => f.write_str("the servers were left stopped"),
            ServersAfter::PartlyStopped => f.write_str(
                "the servers that did stop were left stopped (--restart starts them again)",
            ),
            ServersAfter::Started => f.write_str("the servers were started again (--restart)"),
            ServersAfter::RestartFailed(why) => {
                write!(f, "--restart could not start every server again: {why}")
            }
        }
    }
}

/// Why the repository step of a run failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreFailure {
    /// The vault pipeline failed (disk full, unreachable, ...).
    #[error(transparent)]
    Pipeline(vault::backup::BackupError),
    /// A component path could not be mapped under the sysroot.
    #[error(transparent)]
    Path(SourcePathError),
    /// The pipeline saved a snapshot without calling the finish hook (a bug in the vault).
    #[error("snapshot {0} was saved without its manifest")]
    NoManifest(String),
}

/// The sentence added to a repository error about the staged images kept.
fn staging_note(dir: Option<&std::path::Path>) -> String {
    dir.map(|d| format!("; the staged database images were kept in {}", d.display()))
        .unwrap_or_default()
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - [{}] {}", p.check, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}
