//! The command line: global options and one subcommand per job (clap derive).
//!
//! Each subcommand's arguments live beside its implementation in `commands/`; this file only
//! lists them.

use crate::commands;
use clap::{ArgAction, Args, Parser, Subcommand};
use std::path::PathBuf;

/// Back up an HCL Connections deployment before an upgrade, and restore it onto the version
/// it came from.
#[derive(Debug, Parser)]
#[command(name = "cnxbackup", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command understands (before or after the command name).
#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// TOML configuration file [env: CNXBACKUP_CONFIG] (default: ./cnxbackup.toml, then
    /// /etc/cnxbackup/cnxbackup.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Read and write every product path (/opt/IBM/..., /var/ibm/...) under DIR
    /// [env: CNXBACKUP_SYSROOT] [default: /]
    #[arg(long, global = true, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,

    /// Repository: a local directory or s3://BUCKET/PREFIX [env: CNXBACKUP_REPOSITORY]
    #[arg(long, global = true, value_name = "URL")]
    pub repo: Option<String>,

    /// File holding the repository password [env: CNXBACKUP_PASSWORD_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Machine-readable JSON on stdout; human text goes to stderr
    #[arg(long, global = true)]
    pub json: bool,

    /// Less logging (repeat for none)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub quiet: u8,

    /// More logging (repeat for more)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the effective configuration, where each value came from, and check it
    Config(commands::config_show::ConfigArgs),
    /// Find the deployment (cell, profiles, servers, roots, version, databases) and print it
    Discover(commands::discover::DiscoverArgs),
    /// Print the ordered backup plan: steps, paths, databases, sizes, skipped steps and why
    Plan(commands::plan::PlanArgs),
    /// Create a repository
    Init(commands::repo_commands::InitArgs),
    /// Back up paths into the repository (`--path DIR...`)
    Backup(commands::repo_commands::BackupArgs),
    /// List snapshots: id, time, host, size, paths
    Snapshots(commands::repo_commands::SnapshotsArgs),
    /// Show a snapshot's manifest as a report (--html FILE: a self-contained HTML report)
    Show(commands::show::ShowArgs),
    /// Compare two snapshots: files added, removed and changed per component, the version
    /// change, and changed elements and attributes of XML configuration files
    Diff(commands::diff::DiffArgs),
    /// List the entries of a snapshot
    Ls(commands::repo_commands::LsArgs),
    /// Restore a snapshot under --target
    Restore(commands::repo_commands::RestoreArgs),
    /// Verify the repository (structure; with --read-data also the data)
    Check(commands::repo_commands::CheckArgs),
    /// Repair the repository (`repair index`: rebuild the index from the packs)
    Repair(commands::repo_commands::RepairArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(commands::completions::CompletionsArgs),
    /// Print the man page (roff) on stdout
    Man(commands::completions::ManArgs),
    /// Run the whole job (backup, failed update, refused and full restore, verification) on a
    /// sample deployment in a temporary directory, through the real commands
    Demo(commands::demo::DemoArgs),
    /// Remove snapshots by a retention policy (--keep-last/hourly/daily/weekly/monthly/yearly,
    /// --keep-tag, --keep-within), per host, paths and backup set; --prune afterwards
    Forget(commands::retention::ForgetArgs),
    /// Free the space of data no snapshot uses (two phases with a grace period; safe while
    /// backups run)
    Prune(commands::retention::PruneArgs),
    /// Remove stale locks (never one held by a live process on this host)
    Unlock(commands::retention::UnlockArgs),
}
