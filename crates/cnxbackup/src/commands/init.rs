//! `cnxbackup init`: create a repository where the configuration points.

use clap::Args;
use serde::Serialize;
use vault::{InitOptions, Repository};

use crate::context::Context;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Create an append-only repository: `forget`, `prune`, `key remove` and `key passwd`
    /// refuse unless run with --maintenance (give the backup hosts storage credentials that
    /// cannot delete; docs/S3.md, "Tamper resistance")
    #[arg(long)]
    pub append_only: bool,
}

pub fn run(ctx: &Context, args: &InitArgs) -> anyhow::Result<()> {
    let storage = ctx.storage()?;
    let location = storage.location().to_string();
    let password = ctx.repository_password()?;
    let opts = InitOptions {
        append_only: args.append_only,
        ..InitOptions::default()
    };
    let repo = Repository::init(storage, password.expose(), &opts)?;
    #[derive(Serialize)]
    struct Out<'a> {
        repository: &'a str,
        id: String,
        append_only: bool,
    }
    let id = repo.config().id.clone();
    ctx.out.result(
        &format!("created repository {id} at {location}\n"),
        &Out {
            repository: &location,
            id: id.to_string(),
            append_only: args.append_only,
        },
    )
}
