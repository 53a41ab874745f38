//! What a restore is given: the flags ([`DeploymentRestoreOptions`]) and everything else from its
//! caller ([`RestoreInput`]).

use crate::databases::ToolConfig;
use crate::pick::Picked;
use crate::plan::Component;
use crate::servers::{ControlOptions, WasCredentials};

/// The choices of one restore (the `restore` command's flags).
#[derive(Debug, Clone, Default)]
pub struct DeploymentRestoreOptions {
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
    /// `--target DIR`: the target is not this host's own root, so a directory that holds
    /// no installation is extracted into rather than restored.
    pub separate_target: bool,
    /// This host's name: a deployment snapshot of another host needs `from_host`.
    pub this_host: String,
    /// `--from-host HOST`: restoring HOST's snapshot here is meant.
    pub from_host: Option<String>,
    /// `--no-pre-restore`: do not save what the restore replaces.
    pub no_pre_restore: bool,
    /// `--databases-only`: only the databases of the snapshot. On a host without a
    /// Connections install (a set's database server) a member of a backup set goes back
    /// without a version gate of its own: each WebSphere host's restore of its member checks
    /// the set's version against its install.
    pub databases_only: bool,
    /// `--only` names of declared components (`[[component]]`): restore just these of them
    /// (empty: all the snapshot holds when `only` is empty too, none otherwise).
    pub only_declared: Vec<String>,
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
    pub options: DeploymentRestoreOptions,
    /// WebSphere credentials for `--stop`.
    pub credentials: WasCredentials,
    /// Server control settings.
    pub control: ControlOptions,
    /// The `[database]` settings.
    pub database: ToolConfig,
    /// How the snapshot was chosen (`latest`), echoed in the report.
    pub picked: Option<Picked>,
    /// The declared components (`[[component]]`): their restore and version commands.
    pub declared: Vec<crate::declared::Declared>,
}
