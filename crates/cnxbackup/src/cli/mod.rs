//! The command line: global options and one subcommand per job (clap derive).
//!
//! Each subcommand's arguments live beside its implementation in `commands/`; this file only
//! lists them. The global options are in [`global`], which the commands' context reads.

pub mod filter;
pub mod global;

use crate::commands;
use clap::{Parser, Subcommand};
use global::GlobalOpts;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the effective configuration, where each value came from, and check it
    Config(commands::config::ConfigArgs),
    /// Find the deployment (cell, profiles, servers, roots, version, databases) and print it
    Discover(commands::discover::DiscoverArgs),
    /// Print the ordered backup plan: steps, paths, databases, sizes, skipped steps and why
    Plan(commands::plan::PlanArgs),
    /// Create a repository
    Init(commands::init::InitArgs),
    /// The repository's passwords: key list, add, remove, passwd
    Key(commands::key::KeyArgs),
    /// Back up paths into the repository (`--path DIR...`)
    Backup(commands::backup::args::BackupArgs),
    /// List snapshots, one line each (id, time, host, set, status, version, components,
    /// size); --long for every detail
    Snapshots(commands::snapshots::SnapshotsArgs),
    /// Show a snapshot's manifest as a report (--html FILE: a self-contained HTML report)
    Show(commands::show::ShowArgs),
    /// Compare two snapshots: files added, removed and changed per component, the version
    /// change, and changed elements and attributes of XML configuration files
    Diff(commands::diff::DiffArgs),
    /// List the entries of a snapshot
    Ls(commands::ls::LsArgs),
    /// Write one file of a snapshot to stdout
    Dump(commands::dump::DumpArgs),
    /// Repository size, deduplication and compression, and what each snapshot added
    Stats(commands::stats::StatsArgs),
    /// Add or remove tags of snapshots (a changed snapshot gets a new id)
    Tag(commands::tag::TagArgs),
    /// Restore a snapshot under --target
    Restore(commands::restore::args::RestoreArgs),
    /// Verify the repository (structure; with --read-data also the data)
    Check(commands::check::CheckArgs),
    /// Repair the repository (`repair index`: rebuild the index from the packs)
    Repair(commands::repair::RepairArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(commands::completions::CompletionsArgs),
    /// Print the man page (roff) on stdout
    Man(commands::completions::ManArgs),
    /// Run the whole job (backup, failed update, refused and full restore, verification) on a
    /// sample deployment in a temporary directory, through the real commands
    Demo(commands::demo::DemoArgs),
    /// Copy snapshots to a second repository (local or S3, its own password): only the
    /// blobs it lacks travel; resumable; verified before each snapshot is written there
    Copy(commands::copy::CopyArgs),
    /// Remove snapshots by a retention policy (--keep-last/hourly/daily/weekly/monthly/yearly,
    /// --keep-tag, --keep-within), per host, paths and backup set; --prune afterwards
    Forget(commands::forget::ForgetArgs),
    /// Free the space of data no snapshot uses (two phases with a grace period; safe while
    /// backups run)
    Prune(commands::prune::PruneArgs),
    /// Remove stale locks (never one held by a live process on this host)
    Unlock(commands::unlock::UnlockArgs),
    /// Store the WebSphere administrator's credentials in every local profile's
    /// ipc.client.props and soap.client.props ({xor}-encoded, mode 0600), so the control
    /// scripts never get the password on their command line
    WasCredentials(commands::was_credentials::WasCredentialsArgs),
    /// This host's WebSphere servers: status, stop (application servers, node agents, dmgr)
    /// and start (the reverse), verified through their PID files
    Servers(commands::servers::ServersArgs),
    /// A backup set of a cell over several hosts (`set plan ID`: record its hosts and who
    /// backs up the shared data and the databases; prove it with `check --set ID`)
    Set(commands::set::SetArgs),
}
