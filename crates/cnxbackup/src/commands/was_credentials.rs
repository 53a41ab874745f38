//! `cnxbackup was-credentials`: store the WebSphere administrator's credentials the
//! vendor's way — in every local profile's `properties/ipc.client.props` and
//! `soap.client.props`, the password `{xor}`-encoded, mode 0600 — so that stopping and
//! starting servers never puts the password on a script's command line, where any local
//! user can read it (issue 21). The password itself is never printed.

use std::fmt::Write as _;

use anyhow::anyhow;
use clap::Args;
use runbook::servers::{client_props, ControlTopology};
use serde::Serialize;

use crate::context::Context;
use crate::exit::CommandError;

#[derive(Debug, Args)]
pub struct WasCredentialsArgs {}

#[derive(Serialize)]
struct Stored {
    profile: String,
    files: Vec<String>,
}

pub fn run(ctx: &Context, _args: &WasCredentialsArgs) -> anyhow::Result<()> {
    let user = ctx
        .loaded
        .config
        .websphere
        .username
        .clone()
        .ok_or_else(|| {
            CommandError::Usage(
                "websphere.username is not set: name the WebSphere administrator first".into(),
            )
        })?;
    let password = ctx.websphere_password()?.ok_or_else(|| {
        CommandError::Usage(
            "no WebSphere password: set websphere.password_file (or CNXBACKUP_WAS_PASSWORD)".into(),
        )
    })?;
    let sys = ctx.sysroot()?;
    let topology = ControlTopology::from_deployment(&ctx.discover_deployment()?, &sys);
    if topology.profiles.is_empty() {
        return Err(anyhow!(
            "no WebSphere profile of the deployment exists on this host"
        ));
    }
    let mut stored = Vec::new();
    for profile in &topology.profiles {
        let files = client_props::store_credentials(&profile.path, &user, &password)?;
        stored.push(Stored {
            profile: profile.name.clone(),
            files: files
                .iter()
                .map(|f| {
                    sys.product_path(f)
                        .unwrap_or_else(|| f.clone())
                        .display()
                        .to_string()
                })
                .collect(),
        });
    }
    let mut h = String::new();
    for s in &stored {
        let _ = writeln!(h, "{}: {}", s.profile, s.files.join(", "));
    }
    let _ = writeln!(
        h,
        "credentials of {user} stored in {} profile(s) (password {{xor}}-encoded, files mode 0600): \
         the scripts no longer get it on their command line",
        stored.len()
    );
    #[derive(Serialize)]
    struct Out<'a> {
        username: &'a str,
        profiles: &'a [Stored],
    }
    ctx.out.result(
        &h,
        &Out {
            username: &user,
            profiles: &stored,
        },
    )
}
