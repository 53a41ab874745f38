//! `cnxbackup restore SNAPSHOT`: a deployment backup goes through the version-gated
//! procedure ([`deployment`]); a plain path backup is restored under `--target`
//! ([`paths`]). Which one is decided by the snapshot, not by the options.

pub mod args;
mod deployment;
mod paths;

pub use args::RestoreArgs;

use crate::context::Context;

/// Restores the snapshot `args.snapshot` names.
pub fn run(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let (id, snap) = repo.find_snapshot(&args.snapshot)?;
    if runbook::restore::is_deployment_backup(&snap) {
        deployment::run(ctx, args, &repo, &id, &snap)
    } else {
        paths::run(ctx, args, &repo, &id, &snap)
    }
}
