//! The arguments of `cnxbackup restore`: the plain path restore and the deployment
//! restore's options (which a plain snapshot refuses, see `paths::plain_target`).

use std::path::PathBuf;

use clap::Args;

use crate::cli::filter::FilterArgs;

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Snapshot id, unambiguous id prefix, or "latest" (this host's newest complete
    /// deployment backup)
    pub snapshot: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Restore under this directory (required for a plain path backup; for a deployment
    /// backup: restore under this root instead of the sysroot, e.g. a lab copy)
    #[arg(long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Restore only matching entries and everything below them (glob over snapshot paths
    /// such as "srv/data/*.xml"; without '/' it matches a name anywhere). Repeatable
    #[arg(long = "include", value_name = "GLOB")]
    pub includes: Vec<String>,
    // Deployment backups only (deployment.rs):
    /// Deployment backup: restore only these components (comma separated, repeatable)
    #[arg(long = "only", value_name = "COMPONENT,...")]
    pub only: Vec<String>,
    /// Deployment backup: list every file that would be added, replaced or removed and the
    /// database commands; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Deployment backup: leave the databases as they are
    #[arg(long)]
    pub skip_databases: bool,
    /// Deployment backup: only the databases; a member of a backup set goes back so on
    /// the set's database server, which holds no Connections install to check
    #[arg(long, conflicts_with_all = ["only", "skip_databases"])]
    pub databases_only: bool,
    /// Deployment backup: override the release rule of the version gate (never the
    /// provision rule)
    #[arg(long)]
    pub allow_version_mismatch: bool,
    /// Deployment backup: stop running servers at the target first
    #[arg(long)]
    pub stop: bool,
    /// Deployment backup: verify restored files against the snapshot (default: components
    /// under 10 GiB)
    #[arg(long, conflicts_with = "no_verify")]
    pub verify: bool,
    /// Deployment backup: do not verify restored files
    #[arg(long)]
    pub no_verify: bool,
    /// Deployment backup taken on another host: restore it here all the same (names that
    /// host; also selects its snapshots)
    #[arg(long, value_name = "HOST")]
    pub from_host: Option<String>,
    /// Deployment backup: do not first save what the restore replaces or removes into a
    /// `pre-restore` snapshot
    #[arg(long)]
    pub no_pre_restore: bool,
}
