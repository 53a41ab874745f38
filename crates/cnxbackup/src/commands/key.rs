//! `cnxbackup key list|add|remove|passwd`: the repository's passwords. Each is a key file
//! wrapping the one master key (docs/FORMAT.md), so a password can be added, changed or
//! removed without touching the data; the rules that keep a repository from being locked
//! out are `vault`'s (`repo/keys.rs`).
//!
//! The new password of `add` and `passwd` comes from `--new-password-file`,
//! `--new-password-command`, `CNXBACKUP_NEW_PASSWORD`, else a prompt (asked twice) — never
//! from the command line.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use vault::KeyInfo;

use crate::config::Origin;
use crate::context::Context;
use crate::exit::CommandError;
use crate::secrets::{PasswordSource, Secret};
use crate::ui::format::{short_id, time_ns};
use crate::ui::table::Grid;

#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(subcommand)]
    pub action: KeyAction,
}

#[derive(Debug, Subcommand)]
pub enum KeyAction {
    /// List the key files (one per password): id, when and by whom added, the one in use
    List,
    /// Add a password (a new key file for the same master key)
    Add(NewPasswordArgs),
    /// Remove a password by key id or unique prefix (never the last readable key; the key
    /// in use only with --force)
    Remove(RemoveArgs),
    /// Change the password in use: a new key file, then the old one removed
    Passwd(NewPasswordArgs),
}

#[derive(Debug, Args)]
pub struct NewPasswordArgs {
    /// File whose first line is the new password [env: CNXBACKUP_NEW_PASSWORD]
    #[arg(long, value_name = "FILE")]
    pub new_password_file: Option<PathBuf>,
    /// Command whose first output line is the new password (run by /bin/sh -c)
    #[arg(long, value_name = "CMD", conflicts_with = "new_password_file")]
    pub new_password_command: Option<String>,
    /// The repository is append-only: run as its maintenance (passwd removes a key file)
    #[arg(long)]
    pub maintenance: bool,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The key's id, or a prefix that names one key (see `key list`)
    pub id: String,
    /// Also remove the key whose password opened the repository
    #[arg(long)]
    pub force: bool,
    /// The repository is append-only: run as its maintenance (with credentials that may
    /// delete)
    #[arg(long)]
    pub maintenance: bool,
}

const NEW_PASSWORD: &str = "new repository password";

pub fn run(ctx: &Context, args: &KeyArgs) -> anyhow::Result<()> {
    match &args.action {
        KeyAction::List => list(ctx),
        KeyAction::Add(a) => add(ctx, a),
        KeyAction::Remove(a) => remove(ctx, a),
        KeyAction::Passwd(a) => passwd(ctx, a),
    }
}

fn list(ctx: &Context) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let keys = repo.list_keys()?;
    let mut grid = Grid::new(ctx.ui().stdout, &["", "key", "added", "host", "user"]);
    for k in &keys {
        let added = k.created.map(time_ns).unwrap_or_default();
        grid.row([
            if k.current { "*" } else { "" }.to_string(),
            short_id(&k.id).to_string(),
            added,
            k.host.clone().unwrap_or_default(),
            k.username.clone().unwrap_or_default(),
        ]);
    }
    let mut text = grid.render(0);
    for k in keys.iter().filter(|k| k.problem.is_some()) {
        let _ = writeln!(
            text,
            "UNREADABLE {}: {}",
            k.id,
            k.problem.as_deref().unwrap_or_default()
        );
    }
    let _ = writeln!(text, "{} key(s); * opened the repository", keys.len());
    #[derive(Serialize)]
    struct Out<'a> {
        keys: &'a [KeyInfo],
    }
    ctx.out.result(&text, &Out { keys: &keys })
}

#[derive(Serialize)]
struct Changed<'a> {
    action: &'static str,
    key: &'a str,
    removed: Option<&'a str>,
}

fn add(ctx: &Context, args: &NewPasswordArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let password = new_password(ctx, args)?;
    let id = repo.add_key(password.expose())?;
    ctx.out.result(
        &format!("added key {}\n", short_id(&id)),
        &Changed {
            action: "add",
            key: &id,
            removed: None,
        },
    )
}

fn remove(ctx: &Context, args: &RemoveArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    repo.set_maintenance(args.maintenance);
    let id = repo.remove_key(&args.id, args.force)?;
    ctx.out.result(
        &format!("removed key {}\n", short_id(&id)),
        &Changed {
            action: "remove",
            key: &id,
            removed: Some(&id),
        },
    )
}

fn passwd(ctx: &Context, args: &NewPasswordArgs) -> anyhow::Result<()> {
    let mut repo = ctx.open_repository()?;
    repo.set_maintenance(args.maintenance);
    let old = repo
        .key_path()
        .trim_start_matches(vault::format::keyfile::KEYS_DIR)
        .to_string();
    let password = new_password(ctx, args)?;
    let id = repo.change_password(password.expose())?;
    ctx.out.result(
        &format!(
            "changed the password: key {} replaces key {}\n",
            short_id(&id),
            short_id(&old)
        ),
        &Changed {
            action: "passwd",
            key: &id,
            removed: Some(&old),
        },
    )
}

/// The new password: `--new-password-file`, `--new-password-command`,
/// `CNXBACKUP_NEW_PASSWORD`, else asked twice on the terminal.
fn new_password(ctx: &Context, args: &NewPasswordArgs) -> anyhow::Result<Secret> {
    let source = if let Some(path) = &args.new_password_file {
        PasswordSource::File {
            path: path.clone(),
            origin: Origin::Flag("--new-password-file"),
        }
    } else if let Some(command) = &args.new_password_command {
        PasswordSource::Command {
            command: command.clone(),
            origin: Origin::Flag("--new-password-command"),
        }
    } else if let Some(value) = ctx.env.var("CNXBACKUP_NEW_PASSWORD") {
        PasswordSource::Variable {
            name: "CNXBACKUP_NEW_PASSWORD",
            value: Secret::new(value),
        }
    } else {
        let first = PasswordSource::Prompt.read(NEW_PASSWORD)?;
        let again = PasswordSource::Prompt.read(NEW_PASSWORD)?;
        if first.expose() != again.expose() {
            return Err(CommandError::Usage("the two passwords differ".into()).into());
        }
        return Ok(first);
    };
    Ok(source.read(NEW_PASSWORD)?)
}
