//! `cnxbackup backup`: without `--path`, the deployment's backup procedure
//! ([`deployment`]); with `--path DIR...`, those paths into the repository ([`paths`]).
//! Either form tells monitoring about the run when `[notify]` asks ([`notify`]) and runs
//! the `on_failure` hook after a failed run ([`hooks`]).

pub mod args;
mod deployment;
mod hooks;
mod notify;
mod paths;
mod set_member;

pub use args::BackupArgs;

use crate::context::Context;
use notify::{Monitor, RunFacts};

/// Runs the form of the backup the arguments ask for, between the monitoring pings.
pub fn run(ctx: &Context, args: &BackupArgs) -> anyhow::Result<()> {
    let monitor = Monitor::start(ctx, args.procedure.dry_run);
    let mut facts = RunFacts::default();
    let result = if args.paths.is_empty() {
        deployment::run(ctx, args, &mut facts)
    } else {
        paths::run(ctx, args, &mut facts)
    };
    let host = args.host.clone().unwrap_or_else(|| ctx.this_host());
    hooks::on_failure(ctx, &host, args.procedure.dry_run, &facts, &result);
    monitor.finish(host, facts, &result);
    result
}
