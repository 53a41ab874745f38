//! `cnxbackup show SNAPSHOT [--html FILE]`: the snapshot's manifest as a readable report.
//! (Being built: see issue 9.)

use super::Context;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Snapshot id, unique prefix, or "latest"
    pub snapshot: String,
    /// Also write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

pub fn run(_ctx: &Context, _args: &ShowArgs) -> anyhow::Result<()> {
    anyhow::bail!("`show` is not built yet")
}
