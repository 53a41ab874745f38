//! What a backup run is given: the flags ([`DeploymentBackupOptions`]) and everything else from its
//! caller ([`BackupInput`]), including the repository or why it could not be opened.

use crate::databases::ToolConfig;
use crate::servers::{ControlOptions, WasCredentials};

/// The choices of one run (the `backup` command's flags).
#[derive(Debug, Clone, Default)]
pub struct DeploymentBackupOptions {
    /// Preflight and plan only: nothing stopped or written.
    pub dry_run: bool,
    /// Do not stop the servers; refuse when one runs.
    pub no_stop: bool,
    /// Start the servers again at the end (dmgr, node agents, servers; verified), and on
    /// every path out once a server was stopped.
    pub restart: bool,
    /// What to do when the servers do not all stop.
    pub on_stop_failure: OnStopFailure,
    /// Accepted for compatibility: the Installation Manager's state is included by
    /// default.
    pub in_place_migration: bool,
    /// Leave out the Installation Manager's state (steps 7 and 8); the backup then warns
    /// that it cannot restore `connections_root` onto an updated system.
    pub skip_installation_manager: bool,
    /// Leave the databases out (another host of the backup set dumps them).
    pub skip_databases: bool,
    /// Leave the shared data out (another host of the backup set holds it), with the reason
    /// the manifest records: every file step whose paths all lie in the shared data root.
    pub skip_shared_data: Option<String>,
    /// Only the databases: a database server of a backup set, where the vendor tools run
    /// and no WebSphere profile lives (every other step is skipped).
    pub databases_only: bool,
    /// This host is a member of this planned backup set: a file step none of whose paths
    /// exists here lives on another host of the set (the install on the deployment
    /// manager's host, customization on the node hosts) and is left to it; `check --set`
    /// proves that some member holds every component of the cell.
    pub member_of_set: Option<String>,
    /// The applications' role mappings as `wsadmin` reported them while the cell still
    /// ran (`set role-mappings ID` on the deployment manager's host, before the cell-wide
    /// stop): kept in this member's manifest when wsadmin cannot answer now.
    pub earlier_wsadmin_roles: Option<EarlierWsadminRoles>,
    /// The backup set shared by the hosts of a cell; default a new id.
    pub backup_set: Option<String>,
    /// Extra snapshot tags.
    pub tags: Vec<String>,
    /// Host name for the snapshot; default this machine's name.
    pub host: Option<String>,
    /// Live counters for a progress display of the files phase (files and bytes stored).
    pub progress: Option<std::sync::Arc<vault::Progress>>,
}

/// Role mappings `wsadmin` reported before this run, while the cell still ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierWsadminRoles {
    /// The source the manifest records (`wsadmin while the cell ran (…)`).
    pub source: String,
    /// Each application's view.
    pub applications: Vec<crate::manifest::WsadminRoles>,
}

/// What a run does when the servers do not all stop (`--on-stop-failure`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnStopFailure {
    /// End before any database is touched, no snapshot (`abort`, the default): an offline
    /// database backup or a copy of the data under running servers is not what an update
    /// can be rolled back to.
    #[default]
    Abort,
    /// Back up the file components anyway and leave the databases out (`files`): the
    /// snapshot is INCOMPLETE (the stop and the databases failed) and its files may be
    /// inconsistent, but the install trees and the configuration are kept.
    Files,
}

/// Everything a run needs from its caller.
pub struct BackupInput<'a> {
    /// Where product paths are read.
    pub sysroot: &'a websphere::Sysroot,
    /// The discovered deployment.
    pub deployment: &'a connections::deployment::Deployment,
    /// Flags.
    pub options: DeploymentBackupOptions,
    /// WebSphere credentials for the control scripts.
    pub credentials: WasCredentials,
    /// Server control settings.
    pub control: ControlOptions,
    /// The `[database]` settings (vendor defaults to the discovered one).
    pub database: ToolConfig,
    /// The `[snapshot]` settings: when set, the file components are read from file-system
    /// snapshots taken after the databases, with the servers started again.
    pub snapshot: Option<crate::fssnap::SnapshotConfig>,
    /// The opened repository, or why it could not be opened (a preflight problem).
    pub repository: Result<&'a vault::Repository, &'a RepositoryUnavailable>,
    /// The cnxbackup version recorded in the manifest.
    pub program_version: String,
    /// The declared components (`[[component]]`).
    pub declared: Vec<crate::declared::Declared>,
    /// The hooks (`[hooks]`).
    pub hooks: crate::declared::Hooks,
}

/// The repository could not be opened: a preflight problem (nothing is stopped).
#[derive(Debug, thiserror::Error)]
#[error("repository {url}")]
pub struct RepositoryUnavailable {
    /// The repository URL as given.
    pub url: String,
    /// Why.
    #[source]
    pub source: vault::VaultError,
}
