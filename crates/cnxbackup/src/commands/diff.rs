//! `cnxbackup diff SNAPSHOT SNAPSHOT`: what changed between two snapshots, per component.
//! (Being built: see issue 9.)

use super::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot (id, unique prefix, or "latest")
    pub from: String,
    /// The newer snapshot
    pub to: String,
}

pub fn run(_ctx: &Context, _args: &DiffArgs) -> anyhow::Result<()> {
    anyhow::bail!("`diff` is not built yet")
}
