//! The arguments of `cnxbackup backup`: the `--path` form and the deployment procedure's
//! options ([`ProcedureArgs`]), one group that clap keeps apart from `--path`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A file or directory to back up (repeat for several). Absolute paths are stored under
    /// their full path; relative ones relative to the working directory ("." = its contents).
    /// Without --path: the deployment's backup procedure
    #[arg(long = "path", value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Host name recorded in the snapshot [default: this host's name]
    #[arg(long)]
    pub host: Option<String>,
    /// A tag for the snapshot (repeatable)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Skip matching entries (glob; without '/' it matches a name anywhere, with '/' the
    /// absolute path). Repeatable
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Compare with this snapshot instead of the newest one of the same host and paths
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,
    /// Read every file (no parent snapshot)
    #[arg(long, conflicts_with = "parent")]
    pub force: bool,
    /// Exit 1 when a file changed, vanished or could not be read (default: warn, exit 0)
    #[arg(long)]
    pub strict: bool,
    // the deployment procedure's options (without --path)
    #[command(flatten)]
    pub procedure: ProcedureArgs,
}

/// Options of the deployment procedure (`deployment.rs`): none of them goes with `--path`.
#[derive(Debug, Args)]
#[group(id = "procedure", multiple = true, conflicts_with = "paths")]
pub struct ProcedureArgs {
    /// Preflight and plan only: nothing is stopped or written
    #[arg(long)]
    pub dry_run: bool,
    /// Do not stop the servers; refuse (exit 3) if any is running
    #[arg(long, conflicts_with = "restart")]
    pub no_stop: bool,
    /// Start the servers again at the end (dmgr, node agents, servers; verified)
    #[arg(long)]
    pub restart: bool,
    /// Accepted for compatibility: the Installation Manager's data, install and IMShared
    /// (steps 7 and 8) are part of every backup by default [config:
    /// deployment.in_place_migration]
    #[arg(long)]
    pub in_place_migration: bool,
    /// Leave out the Installation Manager's data, install and IMShared (steps 7 and 8):
    /// the backup then cannot restore connections_root onto an updated system [config:
    /// deployment.skip_installation_manager]
    #[arg(long, conflicts_with = "in_place_migration")]
    pub skip_installation_manager: bool,
    /// Backup set shared by the hosts of a cell [default: a new id]
    #[arg(long = "set", value_name = "ID")]
    pub set: Option<String>,
    /// Leave the databases out (another host of the set backs them up)
    #[arg(long)]
    pub skip_databases: bool,
    /// Database backups run at a time [default: 4; config: database.parallel]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallel_databases: Option<u16>,
    /// Only the databases of the planned set ID (`set plan`): a database server without
    /// WebSphere, where the vendor tools run
    #[arg(long, requires = "set", conflicts_with_all = ["skip_databases", "restart"])]
    pub databases_only: bool,
    /// When the servers do not all stop: `abort` before any database is touched, no
    /// snapshot (exit 3; the default), or back up the `files` without the databases
    /// (INCOMPLETE, exit 1)
    #[arg(long, value_name = "WHAT", value_parser = ["abort", "files"], conflicts_with = "no_stop")]
    pub on_stop_failure: Option<String>,
}
