//! `--host`, `--set`, `--tag`: which snapshots a command that takes or lists snapshots looks
//! at (`restore`, `snapshots`, `ls`, `show`, `diff`, `forget`; docs/CLI.md, "Choosing a
//! snapshot").

use clap::Args;
use vault::SnapshotFilter;

/// The snapshot filters of the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only snapshots of this host (for `latest`: instead of this host)
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
    /// Only snapshots of this backup set
    #[arg(long = "set", value_name = "ID")]
    pub set: Option<String>,
    /// Only snapshots with this tag (repeat: all of them)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
}

impl FilterArgs {
    /// The filter the options describe.
    pub fn filter(&self) -> SnapshotFilter {
        SnapshotFilter {
            host: self.host.clone(),
            set: self.set.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// `--status`: the kind of backup a snapshot is (the `status` column of `snapshots`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    /// A deployment backup with every step done
    Complete,
    /// A deployment backup with a failed step
    Incomplete,
    /// What a restore replaced, saved before it
    PreRestore,
    /// A temporary per-component snapshot of an interrupted backup
    Partial,
    /// A `backup --path` snapshot
    Path,
}

impl StatusArg {
    /// The word `snapshots` shows in its status column for this kind.
    pub fn word(self) -> &'static str {
        match self {
            StatusArg::Complete => "complete",
            StatusArg::Incomplete => "incomplete",
            StatusArg::PreRestore => "pre-restore",
            StatusArg::Partial => "partial",
            StatusArg::Path => "-",
        }
    }
}
