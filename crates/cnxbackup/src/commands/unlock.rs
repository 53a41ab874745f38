//! `cnxbackup unlock`: remove stale locks (never one held by a live process on this host).

use std::fmt::Write as _;

use clap::Args;
use vault::maintenance;

use crate::context::Context;

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Also remove lock objects that cannot be read (check first that no newer cnxbackup
    /// holds them)
    #[arg(long)]
    pub remove_unreadable: bool,
}

pub fn run(ctx: &Context, args: &UnlockArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let states = maintenance::unlock(&repo, args.remove_unreadable)?;
    let mut h = String::new();
    for s in &states {
        let _ = writeln!(
            h,
            "{} {}: {}",
            if s.removed { "removed" } else { "kept   " },
            s.path,
            s.holder
        );
    }
    let removed = states.iter().filter(|s| s.removed).count();
    let _ = writeln!(
        h,
        "{removed} stale lock(s) removed, {} kept",
        states.len() - removed
    );
    ctx.out.result(&h, &states)
}
