//! The typed configuration: every key of `cnxbackup.toml`, its type and its default.
//!
//! Keep this in step with [`super::keys::KEYS`]: a unit test checks that both name the same
//! keys.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// `database.vendor` and `database.mode` are the runbook's own types (their serde names are
/// the configuration's words).
pub use runbook::databases::{Mode, Vendor};
/// `[[component]]` and `[hooks]` are the runbook's own types.
pub use runbook::declared::{Declared, Hooks};
/// `snapshot.method` is the runbook's own type.
pub use runbook::fssnap::SnapshotMethod;

/// The effective configuration after file, environment and flags are merged.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub repository: RepositoryConfig,
    pub deployment: DeploymentConfig,
    pub websphere: WebsphereConfig,
    pub database: DatabaseConfig,
    pub s3: S3Config,
    pub notify: NotifyConfig,
    pub snapshot: SnapshotConfig,
    pub ccm: CcmConfig,
    /// `[hooks]`: commands around the backup procedure (docs/USAGE.md "Hooks").
    pub hooks: Hooks,
    /// `[[component]]`: declared components (docs/USAGE.md "Declared components"); an array
    /// of tables, so its keys are not in the flat key registry nor settable by environment.
    pub component: Vec<Declared>,
    pub tdi: TdiConfig,
}

/// `[tdi]`: the Tivoli Directory Integrator solution that keeps Profiles in sync with LDAP
/// (product paths; nothing records where it is, so it is backed up only when named).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TdiConfig {
    /// The solution directory (`tdisol`: `profiles_tdi.properties`, `map_dbrepos_from_source.properties`,
    /// the assembly line scripts).
    pub solution_dir: Option<PathBuf>,
    /// The TDI install, when it is on this host (backed up with the solution).
    pub install_dir: Option<PathBuf>,
}

/// `[ccm]`: Connections Content Manager (FileNet) facts discovery cannot read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct CcmConfig {
    /// The FileNet storage area (product path) when it was moved away from
    /// `<shared_data_directory_root>/ccm` (its location is recorded in the GCD database).
    pub storage_area: Option<PathBuf>,
}

/// `[repository]`: where backups go.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RepositoryConfig {
    /// A local directory or `s3://BUCKET/PREFIX` (a path of the machine cnxbackup runs on).
    pub url: Option<String>,
    /// File holding the repository password (machine path).
    pub password_file: Option<PathBuf>,
    /// Command whose first line on stdout is the repository password (`/bin/sh -c`).
    pub password_command: Option<String>,
    /// Name of the systemd credential holding the password (`$CREDENTIALS_DIRECTORY/NAME`;
    /// `cnxbackup-password` is looked for when nothing else gives a password).
    pub password_credential: Option<String>,
}

/// `[deployment]`: overrides for what discovery would find; product paths.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeploymentConfig {
    pub app_server_root: Option<PathBuf>,
    pub connections_root: Option<PathBuf>,
    /// Accepted for compatibility: the Installation Manager's state (steps 7 and 8) is
    /// backed up by default.
    pub in_place_migration: bool,
    /// Leave the Installation Manager's data, install and IMShared out of backups (the
    /// backup then cannot restore `connections_root` onto an updated system).
    pub skip_installation_manager: bool,
    /// The name this host's backups are recorded under and `latest` selects by (default:
    /// the machine's host name): for machines whose host name changes (clones, containers).
    pub host: Option<String>,
}

/// `[websphere]`: how servers are stopped and started.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebsphereConfig {
    pub username: Option<String>,
    /// File holding the WebSphere administrator password (machine path).
    pub password_file: Option<PathBuf>,
    /// How long one server may take to stop before the stop counts as failed.
    pub stop_timeout_secs: u64,
    /// Kill a server process that does not stop in time (reported when it happens).
    pub force_kill: bool,
}

impl Default for WebsphereConfig {
    fn default() -> Self {
        WebsphereConfig {
            username: None,
            password_file: None,
            stop_timeout_secs: 600,
            force_kill: false,
        }
    }
}

/// `[database]`: the vendor tool that backs up and restores the databases.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    pub vendor: Option<Vendor>,
    /// The vendor tool to call (product path).
    pub command: Option<PathBuf>,
    /// Run the vendor tool as this OS user.
    pub run_as: Option<String>,
    /// Where native tools write their images before they go into the repository (machine path).
    pub staging_dir: PathBuf,
    pub mode: Mode,
    /// `vendor = "command"`: a command whose stdout is the dump.
    pub dump_command: Option<String>,
    /// `vendor = "command"`: a command that reads the dump on stdin. Oracle Data Pump: the
    /// `impdp` to use (default: next to `expdp`).
    pub restore_command: Option<String>,
    /// DB2: the `db2ckbkp` to verify images with (product path; default: next to `db2`).
    pub verify_command: Option<PathBuf>,
    /// SQL Server login (`sqlcmd -U`; none: a trusted connection, `-E`) or the Oracle Data
    /// Pump user (default `system`).
    pub username: Option<String>,
    /// File holding that user's password (machine path). The password itself is never a
    /// configuration value or a command-line argument.
    pub password_file: Option<PathBuf>,
    /// Oracle Data Pump DIRECTORY object (default `DATA_PUMP_DIR`).
    pub oracle_directory: Option<String>,
    /// Where that DIRECTORY's files are visible on this machine (machine path; default: the
    /// staging directory).
    pub oracle_directory_path: Option<PathBuf>,
    /// SQL Server: the staging directory as the database server sees it (a share such as
    /// `\\nas\cnx` when SQL Server runs on another host; default: `staging_dir`).
    pub server_staging_dir: Option<String>,
    /// Kill one vendor tool run after this many seconds (none: no limit).
    pub timeout_secs: Option<u64>,
    /// Database backups run at a time (none: the runbook's default, 4).
    pub parallel: Option<u64>,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            vendor: None,
            command: None,
            run_as: None,
            staging_dir: PathBuf::from("/var/tmp/cnxbackup"),
            mode: Mode::Offline,
            dump_command: None,
            restore_command: None,
            verify_command: None,
            username: None,
            password_file: None,
            oracle_directory: None,
            oracle_directory_path: None,
            server_staging_dir: None,
            timeout_secs: None,
            parallel: None,
        }
    }
}

/// `[s3]`: how to reach an `s3://BUCKET/PREFIX` repository. The secret access key is never a
/// value here: it comes from `AWS_SECRET_ACCESS_KEY` or the file `secret_access_key_file`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint URL (MinIO, Garage, Ceph RGW, IBM COS); none = AWS S3.
    pub endpoint: Option<String>,
    /// Region [default: us-east-1].
    pub region: Option<String>,
    /// Path-style addressing [default: on with an endpoint, off for AWS].
    pub path_style: Option<bool>,
    pub access_key_id: Option<String>,
    /// File holding the secret access key (machine path).
    pub secret_access_key_file: Option<PathBuf>,
    /// S3 requests in flight per process.
    pub concurrency: u64,
    /// Deadline of one request (sized for one pack upload).
    pub timeout_secs: u64,
    /// S3 Object Lock: days every written object is kept (none: no per-object retention).
    pub object_lock_days: Option<u64>,
    /// S3 Object Lock mode of that retention.
    pub object_lock_mode: vault::storage::LockMode,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: None,
            region: None,
            path_style: None,
            access_key_id: None,
            secret_access_key_file: None,
            concurrency: 32,
            timeout_secs: 300,
            object_lock_days: None,
            object_lock_mode: vault::storage::LockMode::default(),
        }
    }
}

/// `[notify]`: telling monitoring about backup runs (docs/CLI.md "Notifications and
/// metrics"). Nothing is sent or written unless a key here is set.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// A Healthchecks-style check URL: pinged at `URL/start`, `URL` on success, `URL/fail` on
    /// failure. A secret (whoever knows it can report a backup as done): never shown whole.
    pub url: Option<String>,
    /// How long one ping may take before it is abandoned (the backup never waits longer).
    pub timeout_secs: u64,
    /// The Prometheus textfile-collector file rewritten after every backup run (machine path,
    /// e.g. /var/lib/node_exporter/textfile/cnxbackup.prom).
    pub metrics_file: Option<PathBuf>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            url: None,
            timeout_secs: 10,
            metrics_file: None,
        }
    }
}

/// `[snapshot]`: read the file components from file-system snapshots taken after the
/// databases, so the servers start again before the files are read (docs/USAGE.md).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SnapshotConfig {
    /// `btrfs`, `lvm` or `command`; none: the files are read from the live file systems
    /// while the servers are stopped.
    pub method: Option<SnapshotMethod>,
    /// Where LVM and `command` snapshots are mounted (machine path).
    pub mount_dir: PathBuf,
    /// LVM: the copy-on-write size of each snapshot (`20%ORIGIN`, `10G`).
    pub lvm_size: String,
    /// `command`: makes a snapshot of `{volume}` readable at `{mount}` (`{name}`: its name).
    pub create_command: Option<String>,
    /// `command`: removes it again.
    pub remove_command: Option<String>,
    /// Kill one snapshot command after this many seconds.
    pub timeout_secs: u64,
}

impl Default for SnapshotConfig {
    fn default() -> Self {
        SnapshotConfig {
            method: None,
            mount_dir: PathBuf::from("/var/tmp/cnxbackup-snapshots"),
            lvm_size: "20%ORIGIN".into(),
            create_command: None,
            remove_command: None,
            timeout_secs: 600,
        }
    }
}
