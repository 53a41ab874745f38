//! `cnxbackup restore SNAPSHOT`: a deployment backup goes through the version-gated
//! procedure ([`deployment`]); a plain path backup is restored under `--target`
//! ([`paths`]). Which one is decided by the snapshot, not by the options.

pub mod args;
mod deployment;
mod paths;
mod report;

pub use args::RestoreArgs;

use crate::context::Context;

/// Restores the snapshot `args.snapshot` names.
pub fn run(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let filter = runbook::pick::restore_filter(
        &args.filter.filter(),
        args.from_host.as_deref(),
        &args.snapshot,
    )?;
    let (id, snap, picked) = ctx.resolve_snapshot(&repo, &args.snapshot, &filter)?;
    if runbook::restore::is_deployment_backup(&snap) {
        deployment::run(ctx, args, &repo, &id, &snap, picked)
    } else {
        paths::run(ctx, args, &repo, &id, &snap)
    }
}
