//! `cnxbackup backup`: without `--path`, the deployment's backup procedure
//! ([`deployment`]); with `--path DIR...`, those paths into the repository ([`paths`]).

pub mod args;
mod deployment;
mod paths;

pub use args::BackupArgs;

use crate::context::Context;

/// Runs the form of the backup the arguments ask for.
pub fn run(ctx: &Context, args: &BackupArgs) -> anyhow::Result<()> {
    if args.paths.is_empty() {
        deployment::run(ctx, args)
    } else {
        paths::run(ctx, args)
    }
}
