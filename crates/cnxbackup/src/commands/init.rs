//! `cnxbackup init`: create a repository where the configuration points.

use clap::Args;
use serde::Serialize;
use vault::{InitOptions, Repository};

use crate::context::Context;

#[derive(Debug, Args)]
pub struct InitArgs {}

pub fn run(ctx: &Context, _args: &InitArgs) -> anyhow::Result<()> {
    let storage = ctx.storage()?;
    let location = storage.location().to_string();
    let password = ctx.repository_password()?;
    let repo = Repository::init(storage, password.expose(), &InitOptions::default())?;
    #[derive(Serialize)]
    struct Out<'a> {
        repository: &'a str,
        id: String,
    }
    let id = repo.config().id.clone();
    ctx.out.result(
        &format!("created repository {id} at {location}\n"),
        &Out {
            repository: &location,
            id: id.to_string(),
        },
    )
}
