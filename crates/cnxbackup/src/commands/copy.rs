//! `cnxbackup copy --to REPO [SNAPSHOT...]`: copy snapshots into a second repository, the
//! offsite copy of a 3-2-1 scheme (the work is `vault::copy`).
//!
//! The destination is its own repository with its own password (and, with `--to-config`,
//! its own `[s3]` credentials): `--to-password-file`, `--to-password-command`,
//! `CNXBACKUP_TO_PASSWORD`, the destination config's `[repository]` password keys, the
//! systemd credential `cnxbackup-to-password`, else a prompt. A destination that does not
//! exist yet is created as a copy of this repository (same master key, so the blob ids agree
//! and only missing blobs travel). Without SNAPSHOT every snapshot the filters select is
//! copied; the destination's own snapshots are never touched (retention is each side's
//! `forget`).
//!
//! Exit codes: 0 copied (or nothing to copy); 1 a repository failed (run again: only what
//! is missing is sent); 2 bad options or destination configuration; 3 the destination is a
//! repository with another master key.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use vault::copy::{copy, init_destination, CopyReport};
use vault::{InitOptions, Repository, SnapshotId, Storage, StorageOptions, VaultError};

use crate::cli::filter::FilterArgs;
use crate::config::{self, ConfigError, Environment, LoadedConfig, Origin};
use crate::context::s3::storage_options;
use crate::context::Context;
use crate::secrets::{repository_password_source, PasswordNames, Secret};
use crate::ui::format::{bytes, short_id};

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The destination repository: a local directory or s3://BUCKET/PREFIX (default: the
    /// `[repository] url` of --to-config)
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// The destination's configuration file: its `[repository]` password keys and its `[s3]`
    /// endpoint and credentials (read without any environment variable but
    /// CNXBACKUP_TO_PASSWORD and CREDENTIALS_DIRECTORY). Without it the destination is
    /// reached with this repository's `[s3]` settings
    #[arg(long, value_name = "FILE")]
    pub to_config: Option<PathBuf>,
    /// File holding the destination's password [env: CNXBACKUP_TO_PASSWORD gives the password]
    #[arg(long, value_name = "FILE")]
    pub to_password_file: Option<PathBuf>,
    /// Command whose first output line is the destination's password (/bin/sh -c)
    #[arg(long, value_name = "CMD", conflicts_with = "to_password_file")]
    pub to_password_command: Option<String>,
    /// Snapshots to copy (ids, unique prefixes or `latest`); default: every snapshot the
    /// filters select
    #[arg(value_name = "SNAPSHOT")]
    pub snapshots: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The destination's password names: its own variable and systemd credential.
const DESTINATION_PASSWORD: PasswordNames = PasswordNames {
    variable: "CNXBACKUP_TO_PASSWORD",
    credential: "cnxbackup-to-password",
};

/// Source reads at once (more are taken on remote storage).
const COPY_THREADS: usize = 4;

pub fn run(ctx: &Context, args: &CopyArgs) -> anyhow::Result<()> {
    let source = ctx.open_repository()?;
    let ids = chosen(ctx, &source, args)?;
    let dest_config = destination_config(ctx, args)?;
    let dest = open_or_create_destination(ctx, &source, &dest_config)?;
    let report = if ids.is_empty() {
        CopyReport::default()
    } else {
        copy(&source, &dest, &ids, COPY_THREADS)?
    };
    ctx.out
        .result(&text(&report, dest.storage().location()), &report)
}

/// The snapshots named (each resolved under the filters), or every readable one the
/// filters select.
fn chosen(ctx: &Context, source: &Repository, args: &CopyArgs) -> anyhow::Result<Vec<SnapshotId>> {
    let filter = args.filter.filter();
    if !args.snapshots.is_empty() {
        let mut ids = Vec::new();
        for spec in &args.snapshots {
            let (id, _, _) = ctx.resolve_snapshot(source, spec, &filter)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        return Ok(ids);
    }
    Ok(source
        .list_snapshots()?
        .into_iter()
        .filter_map(|(id, snap)| snap.ok().filter(|s| filter.matches(s)).map(|_| id))
        .collect())
}

/// The destination's URL, password and storage settings.
struct Destination {
    loaded: LoadedConfig,
    storage: StorageOptions,
}

/// What `copy` reads of the environment for the destination: its password variable and
/// systemd's credentials directory, nothing of the source's settings.
struct DestinationEnv<'e>(&'e dyn Environment);

impl Environment for DestinationEnv<'_> {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "CNXBACKUP_TO_PASSWORD" | "CREDENTIALS_DIRECTORY" => self.0.var(name),
            _ => None,
        }
    }
}

fn destination_config(ctx: &Context, args: &CopyArgs) -> anyhow::Result<Destination> {
    let env = DestinationEnv(ctx.env.as_ref());
    let flags = config::FlagValues {
        config: args.to_config.clone(),
        repo: args.to.clone(),
        password_file: args.to_password_file.clone(),
        password_command: args.to_password_command.clone(),
    };
    let mut loaded = match &args.to_config {
        Some(_) => config::load(&flags, &env)?,
        // Never the default config files: those describe the source.
        None => config::load(
            &config::FlagValues {
                config: Some(PathBuf::from("/dev/null")),
                ..flags
            },
            &env,
        )?,
    };
    rename_flag_origins(&mut loaded);
    if loaded.config.repository.url.is_none() {
        return Err(ConfigError::Missing {
            what: "destination repository",
            hint: "give --to URL, or [repository] url in the --to-config file",
        }
        .into());
    }
    let storage = match &args.to_config {
        Some(_) => storage_options(&loaded, &env)?,
        None => ctx.storage_options()?,
    };
    Ok(Destination { loaded, storage })
}

/// The loader names the source's flags; these values came from `copy`'s own.
fn rename_flag_origins(loaded: &mut LoadedConfig) {
    for origin in loaded.origins.values_mut() {
        if let Origin::Flag(flag) = origin {
            *flag = match *flag {
                "--repo" => "--to",
                "--password-file" => "--to-password-file",
                "--password-command" => "--to-password-command",
                other => other,
            };
        }
    }
}

/// Open the destination with its own password; create it as a copy of `source` when
/// there is no repository there yet.
fn open_or_create_destination(
    ctx: &Context,
    source: &Repository,
    dest: &Destination,
) -> anyhow::Result<Repository> {
    let url = dest
        .loaded
        .config
        .repository
        .url
        .as_deref()
        .unwrap_or_default();
    let storage = Storage::from_url(url, &dest.storage)?;
    let env = DestinationEnv(ctx.env.as_ref());
    let password: Secret = repository_password_source(&dest.loaded, &env, DESTINATION_PASSWORD)?
        .read("destination repository password")?;
    match Repository::open(storage.clone(), password.expose()) {
        Err(VaultError::NoRepository { .. }) => {
            ctx.out.note(&format!(
                "creating {url} as a copy of {}",
                source.storage().location()
            ));
            Ok(init_destination(
                source,
                storage,
                password.expose(),
                &InitOptions::default(),
            )?)
        }
        other => Ok(other?),
    }
}

fn text(r: &CopyReport, to: &str) -> String {
    let mut h = String::new();
    for id in &r.copied {
        let _ = writeln!(h, "copied  {}", short_id(id));
    }
    let _ = writeln!(
        h,
        "{} snapshot(s) copied to {to}, {} already there; {} blobs sent ({}), {} the \
         destination had",
        r.copied.len(),
        r.present.len(),
        r.blobs_copied,
        bytes(r.bytes_copied),
        r.blobs_present
    );
    h
}
