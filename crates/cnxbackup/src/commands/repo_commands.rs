//! The repository commands: `init`, `backup --path`, `snapshots`, `ls`, `restore`, `check`
//! and `repair index`. Each opens the repository named by the configuration (password from
//! `CNXBACKUP_PASSWORD`, `--password-file`, the config, or a prompt — never argv), calls the
//! `vault` crate, and prints a human report or one JSON document.
//!
//! Exit codes (docs/cli-contract.md): a failed `check` is 3; a `restore` that refused an
//! unsafe entry is 3; a `restore` with damaged files is 1 after restoring everything else;
//! a `backup` with warnings is 0 (1 with `--strict`); a wrong password is 1.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use vault::backup::{BackupError, BackupOptions, ParentChoice};
use vault::check::{CheckOptions, CheckReport};
use vault::restore::{RestoreError, RestoreOptions};
use vault::tree::{ContentPart, Entry, EntryKind};
use vault::{InitOptions, Repository, Snapshot, SnapshotId, Storage};

use super::Context;
use crate::exit::{with_exit, Exit, ExitContext};
use crate::ui::{Grid, ProgressDisplay, Style, Ui};

// ---------------------------------------------------------------- arguments

#[derive(Debug, Args)]
pub struct InitArgs {}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// A file or directory to back up (repeat for several). Absolute paths are stored under
    /// their full path; relative ones relative to the working directory ("." = its contents).
    /// Without --path: the deployment's backup procedure (runbook-backup, backup_run.rs)
    #[arg(long = "path", value_name = "DIR")]
    pub paths: Vec<PathBuf>,
    /// Host name recorded in the snapshot [default: this host's name]
    #[arg(long)]
    pub host: Option<String>,
    /// A tag for the snapshot (repeatable)
    #[arg(long = "tag", value_name = "T")]
    pub tags: Vec<String>,
    /// Skip matching entries (glob; without '/' it matches a name anywhere, with '/' the
    /// absolute path). Repeatable
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
    /// Compare with this snapshot instead of the newest one of the same host and paths
    #[arg(long, value_name = "ID")]
    pub parent: Option<String>,
    /// Read every file (no parent snapshot)
    #[arg(long, conflicts_with = "parent")]
    pub force: bool,
    /// Exit 1 when a file changed, vanished or could not be read (default: warn, exit 0)
    #[arg(long)]
    pub strict: bool,
    // --- the deployment procedure (no --path); see commands/backup_run.rs ---
    /// Preflight and plan only: nothing is stopped or written
    #[arg(long, conflicts_with = "paths")]
    pub dry_run: bool,
    /// Do not stop the servers; refuse (exit 3) if any is running
    #[arg(long, conflicts_with_all = ["paths", "restart"])]
    pub no_stop: bool,
    /// Start the servers again at the end (dmgr, node agents, servers; verified)
    #[arg(long, conflicts_with = "paths")]
    pub restart: bool,
    /// Include the Installation Manager directories (step 8) [config:
    /// deployment.in_place_migration]
    #[arg(long, conflicts_with = "paths")]
    pub in_place_migration: bool,
    /// Backup set shared by the hosts of a cell [default: a new id]
    #[arg(long = "set", value_name = "ID", conflicts_with = "paths")]
    pub set: Option<String>,
    /// Leave the databases out (another host of the set backs them up)
    #[arg(long, conflicts_with = "paths")]
    pub skip_databases: bool,
}

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Also list the temporary per-component snapshots (tag `cnxbackup-partial`) that an
    /// interrupted deployment backup can leave behind
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Snapshot id, unambiguous id prefix, or "latest"
    pub snapshot: String,
    /// Only below this path of the snapshot (e.g. /srv/data)
    pub path: Option<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Snapshot id, unambiguous id prefix, or "latest"
    pub snapshot: String,
    /// Restore under this directory (required for a plain path backup; for a deployment
    /// backup: restore under this root instead of the sysroot, e.g. a lab copy)
    #[arg(long, value_name = "DIR")]
    pub target: Option<PathBuf>,
    /// Restore only matching entries and everything below them (glob over snapshot paths
    /// such as "srv/data/*.xml"; without '/' it matches a name anywhere). Repeatable
    #[arg(long = "include", value_name = "GLOB")]
    pub includes: Vec<String>,
    // Deployment backups only (restore_run.rs, owned by runbook-restore):
    /// Deployment backup: restore only these components (comma separated, repeatable)
    #[arg(long = "only", value_name = "COMPONENT,...")]
    pub only: Vec<String>,
    /// Deployment backup: list every file that would be added, replaced or removed and the
    /// database commands; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Deployment backup: leave the databases as they are
    #[arg(long)]
    pub skip_databases: bool,
    /// Deployment backup: override the release rule of the version gate (never the
    /// provision rule)
    #[arg(long)]
    pub allow_version_mismatch: bool,
    /// Deployment backup: stop running servers at the target first
    #[arg(long)]
    pub stop: bool,
    /// Deployment backup: verify restored files against the snapshot (default: components
    /// under 10 GiB)
    #[arg(long, conflicts_with = "no_verify")]
    pub verify: bool,
    /// Deployment backup: do not verify restored files
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also read and verify the data: all of it, or PERCENT of the packs (e.g. 10 or 10%)
    #[arg(long, value_name = "PERCENT", num_args = 0..=1, default_missing_value = "100",
          require_equals = true)]
    pub read_data: Option<String>,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(subcommand)]
    pub what: RepairWhat,
}

#[derive(Debug, Subcommand)]
pub enum RepairWhat {
    /// Rebuild the index from the pack trailers
    Index,
}

// ---------------------------------------------------------------- helpers

fn storage(ctx: &Context) -> anyhow::Result<Storage> {
    let url = ctx.repository_url()?;
    let opts = ctx.storage_options()?;
    Storage::from_url(url, &opts).with_context(|| format!("repository {url}"))
}

/// Opens the repository (a wrong password is exit 1 with "wrong password").
pub fn open_repository(ctx: &Context) -> anyhow::Result<Repository> {
    let storage = storage(ctx)?;
    let password = ctx.repository_password()?;
    Ok(Repository::open(storage, password.expose())?)
}

fn time(ns: i64) -> String {
    vault::format_unix_ns(ns)
}

fn bytes(n: u64) -> String {
    super::plan::bytes(n)
}

/// Prints the report, then ends the process with `exit` without a second JSON document.
fn finish_with(exit: Exit) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(i32::from(exit.code()))
}

// ---------------------------------------------------------------- init

pub fn init(ctx: &Context, _args: &InitArgs) -> anyhow::Result<()> {
    let storage = storage(ctx)?;
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

// ---------------------------------------------------------------- backup

#[derive(Serialize)]
struct BackupReport<'a> {
    snapshot: String,
    parent: Option<String>,
    summary: &'a vault::backup::BackupSummary,
    warnings: &'a [vault::backup::BackupWarning],
}

pub fn backup(ctx: &Context, args: &BackupArgs) -> anyhow::Result<()> {
    if args.paths.is_empty() {
        return super::backup_run::run(ctx, args);
    }
    let repo = open_repository(ctx)?;
    // tuning knob (and test hook): index checkpoint interval during the backup
    if let Some(secs) = ctx
        .env
        .var("CNXBACKUP_CHECKPOINT_SECS")
        .and_then(|v| v.parse::<u64>().ok())
    {
        repo.set_checkpoint_policy(
            std::time::Duration::from_secs(secs),
            vault::repo::CHECKPOINT_BYTES,
        );
    }
    let mut opts = BackupOptions {
        tags: args.tags.clone(),
        excludes: args.excludes.clone(),
        ..BackupOptions::default()
    };
    if let Some(h) = &args.host {
        opts.host.clone_from(h);
    }
    opts.parent = match (&args.parent, args.force) {
        (Some(p), _) => ParentChoice::Explicit(p.clone()),
        (None, true) => ParentChoice::None,
        (None, false) => ParentChoice::Auto,
    };
    let ui = Ui::of(ctx);
    let display = ProgressDisplay::new(&ui, "backup", "files");
    opts.progress = display.counters();
    let result = vault::backup::backup(&repo, &args.paths, &opts);
    display.finish();
    let outcome = match result {
        Ok(o) => o,
        Err(e @ (BackupError::InvalidPath { .. } | BackupError::BadExclude { .. })) => {
            return Err(with_exit(e.into(), Exit::Usage))
        }
        Err(e) => return Err(anyhow::Error::new(e).context("backup failed, no snapshot written")),
    };
    for w in &outcome.warnings {
        eprintln!("{}: {w}", ui.stderr.status("warning"));
    }
    let h = backup_human(
        ui.stdout,
        &outcome.snapshot_id,
        outcome.parent.as_ref(),
        &outcome.summary,
    );
    let s = &outcome.summary;
    ctx.out.result(
        &h,
        &BackupReport {
            snapshot: outcome.snapshot_id.to_hex(),
            parent: outcome.parent.map(|p| p.to_hex()),
            summary: s,
            warnings: &outcome.warnings,
        },
    )?;
    if args.strict && !outcome.warnings.is_empty() {
        eprintln!(
            "cnxbackup: error: {} file(s) changed, vanished or could not be read (--strict)",
            outcome.warnings.len()
        );
        finish_with(Exit::Failed);
    }
    Ok(())
}

/// The closing summary of `backup --path` (one aligned `label: value` line each; scripts
/// and tests read "files: N new, N changed, N unchanged").
fn backup_human(
    style: Style,
    id: &SnapshotId,
    parent: Option<&SnapshotId>,
    s: &vault::backup::BackupSummary,
) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "snapshot {} saved{}",
        id.short(),
        parent
            .map(|p| format!(" (parent {})", p.short()))
            .unwrap_or_default()
    );
    let _ = writeln!(
        h,
        "files:   {} new, {} changed, {} unchanged",
        s.files_new, s.files_changed, s.files_unchanged
    );
    let _ = writeln!(
        h,
        "dirs:    {} new, {} changed, {} unchanged; {} other entries",
        s.dirs_new, s.dirs_changed, s.dirs_unchanged, s.others
    );
    let _ = writeln!(
        h,
        "read:    {} of {} ({} bytes read)",
        bytes(s.bytes_read),
        bytes(s.bytes_total),
        s.bytes_read
    );
    let _ = writeln!(
        h,
        "added:   {} ({} stored), {} data blobs, {} tree blobs",
        bytes(s.bytes_added_raw),
        bytes(s.bytes_added_stored),
        s.data_blobs_new,
        s.tree_blobs_new
    );
    let warnings = format!("warnings: {}", s.warnings);
    let _ = writeln!(
        h,
        "{}",
        if s.warnings > 0 {
            style.paint(&warnings, crate::ui::Tone::Warn)
        } else {
            warnings
        }
    );
    let _ = writeln!(h, "duration: {:.2} s", s.duration_secs);
    h
}

// ---------------------------------------------------------------- snapshots

/// The tag of the temporary per-component snapshots of the deployment backup.
const PARTIAL_TAG: &str = "cnxbackup-partial";

#[derive(Serialize)]
struct SnapshotRow {
    id: String,
    time: String,
    time_ns: i64,
    host: String,
    paths: Vec<String>,
    tags: Vec<String>,
    parent: Option<String>,
    /// `application.backup_set`: the hosts of one cell backed up together.
    set: Option<String>,
    /// `application.status == "incomplete"`: a step failed (the snapshot says which).
    incomplete: bool,
    summary: vault::SnapshotSummary,
    application: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct SnapshotError {
    id: String,
    error: String,
}

fn snapshot_row(id: &SnapshotId, s: Snapshot) -> SnapshotRow {
    let app_str = |key: &str| {
        s.application
            .as_ref()
            .and_then(|a| a.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
    };
    let set = app_str("backup_set");
    let incomplete = app_str("status").as_deref() == Some("incomplete");
    SnapshotRow {
        id: id.to_hex(),
        time: time(s.time),
        time_ns: s.time,
        host: s.host,
        paths: s.paths,
        tags: s.tags,
        parent: s.parent.map(|p| p.to_hex()),
        set,
        incomplete,
        summary: s.summary,
        application: s.application,
    }
}

/// Orders rows so that the snapshots of one backup set are together (sets ordered by their
/// first snapshot, snapshots without a set by their own time).
fn group_by_set(rows: &mut [SnapshotRow]) {
    let mut first: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for r in rows.iter() {
        if let Some(set) = &r.set {
            let t = first.entry(set.clone()).or_insert(r.time_ns);
            *t = (*t).min(r.time_ns);
        }
    }
    rows.sort_by_key(|r| {
        let group_time = r
            .set
            .as_ref()
            .and_then(|s| first.get(s).copied())
            .unwrap_or(r.time_ns);
        (group_time, r.set.clone(), r.time_ns)
    });
}

/// The status word of a snapshot row: a deployment backup's `complete` or `INCOMPLETE`,
/// `-` for a plain path backup.
fn snapshot_status(r: &SnapshotRow) -> &'static str {
    let status = r
        .application
        .as_ref()
        .and_then(|a| a.get("status"))
        .and_then(serde_json::Value::as_str);
    match status {
        _ if r.incomplete => "INCOMPLETE",
        Some("complete") => "complete",
        Some(_) => "?",
        None => "-",
    }
}

fn snapshots_human(
    style: Style,
    rows: &[SnapshotRow],
    errors: &[SnapshotError],
    hidden: usize,
) -> String {
    let mut g = Grid::new(
        style,
        &[
            "id", "time", "host", "set", "size", "status", "tags", "paths",
        ],
    )
    .right(&[4]);
    for r in rows {
        g.row(vec![
            r.id.get(..8).unwrap_or(&r.id).into(),
            r.time.as_str().into(),
            r.host.as_str().into(),
            r.set.as_deref().unwrap_or("-").into(),
            bytes(r.summary.bytes_total).into(),
            g.status(snapshot_status(r)),
            if r.tags.is_empty() {
                "-".to_string()
            } else {
                r.tags.join(",")
            }
            .into(),
            r.paths.join(", ").into(),
        ]);
    }
    let mut h = String::new();
    let lines = g.lines();
    let (header, body) = lines.split_at(lines.len().min(2));
    for line in header {
        let _ = writeln!(h, "{line}");
    }
    // a blank line where the backup set changes (the rows arrive grouped by set; plain
    // snapshots, without a set, form their own groups)
    for (i, (r, line)) in rows.iter().zip(body).enumerate() {
        if i > 0 && rows[i - 1].set != r.set {
            h.push('\n');
        }
        let _ = writeln!(h, "{line}");
    }
    for e in errors {
        let _ = writeln!(
            h,
            "{:<10} {}: {}",
            e.id.get(..8).unwrap_or(&e.id),
            style.status("cannot be read"),
            e.error
        );
    }
    let incomplete = rows.iter().filter(|r| r.incomplete).count();
    let _ = writeln!(
        h,
        "{} snapshot(s){}",
        rows.len(),
        if incomplete > 0 {
            format!(", {} {}", incomplete, style.status("INCOMPLETE"))
        } else {
            String::new()
        }
    );
    if hidden > 0 {
        let _ = writeln!(
            h,
            "({hidden} temporary {PARTIAL_TAG} snapshots hidden; --all lists them)"
        );
    }
    h
}

pub fn snapshots(ctx: &Context, args: &SnapshotsArgs) -> anyhow::Result<()> {
    let repo = open_repository(ctx)?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut hidden = 0usize;
    for (id, snap) in repo.list_snapshots()? {
        match snap {
            Ok(s) if !args.all && s.tags.iter().any(|t| t == PARTIAL_TAG) => hidden += 1,
            Ok(s) => rows.push(snapshot_row(&id, s)),
            Err(e) => errors.push(SnapshotError {
                id: id.to_hex(),
                error: e.to_string(),
            }),
        }
    }
    group_by_set(&mut rows);
    let h = snapshots_human(Ui::of(ctx).stdout, &rows, &errors, hidden);
    #[derive(Serialize)]
    struct Out {
        snapshots: Vec<SnapshotRow>,
        unreadable: Vec<SnapshotError>,
        hidden_partial: usize,
    }
    ctx.out.result(
        &h,
        &Out {
            snapshots: rows,
            unreadable: errors,
            hidden_partial: hidden,
        },
    )
}

// ---------------------------------------------------------------- ls

#[derive(Serialize)]
struct LsRow {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    mode: String,
    uid: u32,
    gid: u32,
    user: Option<String>,
    group: Option<String>,
    size: u64,
    mtime: String,
    mtime_ns: i64,
    target: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sparse: bool,
}

fn ls_row(path: String, e: &Entry) -> LsRow {
    LsRow {
        path,
        kind: e.kind.as_str(),
        mode: format!("{:04o}", e.mode),
        uid: e.uid,
        gid: e.gid,
        user: e.user.clone(),
        group: e.group.clone(),
        size: if e.kind == EntryKind::File {
            e.content.iter().map(ContentPart::len).sum()
        } else {
            e.size
        },
        mtime: time(e.mtime_ns),
        mtime_ns: e.mtime_ns,
        target: e
            .symlink_target
            .as_ref()
            .map(|t| String::from_utf8_lossy(t).into_owned()),
        sparse: e.sparse,
    }
}

/// Through the vault's tree cache: a listing reads trees a pack at a time.
fn load_tree(repo: &Repository, id: &vault::BlobId) -> anyhow::Result<vault::tree::Tree> {
    vault::tree::load_tree(repo, id).with_context(|| format!("tree {id}"))
}

pub fn ls(ctx: &Context, args: &LsArgs) -> anyhow::Result<()> {
    let repo = open_repository(ctx)?;
    let (_, snap) = repo.find_snapshot(&args.snapshot)?;
    // descend to the requested path
    let mut tree_id = snap.tree;
    let mut prefix = String::new();
    let mut single: Option<LsRow> = None;
    if let Some(p) = &args.path {
        let comps: Vec<&str> = p
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        for (i, c) in comps.iter().enumerate() {
            let tree = load_tree(&repo, &tree_id)?;
            let e = tree
                .get(c.as_bytes())
                .with_context(|| format!("{p}: not in snapshot {}", args.snapshot))
                .exit_code(Exit::Failed)?;
            prefix = format!("{prefix}/{c}");
            match (e.kind, e.subtree) {
                (EntryKind::Dir, Some(sub)) => tree_id = sub,
                _ if i + 1 == comps.len() => {
                    single = Some(ls_row(prefix.clone(), e));
                    break;
                }
                _ => anyhow::bail!("{p}: {prefix} is not a directory"),
            }
        }
    }
    let mut rows = Vec::new();
    if let Some(r) = single {
        rows.push(r);
    } else {
        let mut stack = vec![(tree_id, prefix)];
        while let Some((id, dir)) = stack.pop() {
            let tree = load_tree(&repo, &id)?;
            let mut subdirs = Vec::new();
            for e in &tree.entries {
                let path = format!("{dir}/{}", e.display_name());
                if let (EntryKind::Dir, Some(sub)) = (e.kind, e.subtree) {
                    subdirs.push((sub, path.clone()));
                }
                rows.push(ls_row(path, e));
            }
            // keep a depth-first listing in name order
            stack.extend(subdirs.into_iter().rev());
        }
        rows.sort_by(|a, b| a.path.cmp(&b.path));
    }
    let mut h = String::new();
    for r in &rows {
        let _ = write!(
            h,
            "{:<8} {} {:>8} {:>8} {:>12} {} {}",
            r.kind,
            r.mode,
            r.user.clone().unwrap_or_else(|| r.uid.to_string()),
            r.group.clone().unwrap_or_else(|| r.gid.to_string()),
            r.size,
            r.mtime,
            r.path
        );
        if let Some(t) = &r.target {
            let _ = write!(h, " -> {t}");
        }
        h.push('\n');
    }
    #[derive(Serialize)]
    struct Out {
        entries: Vec<LsRow>,
    }
    ctx.out.result(&h, &Out { entries: rows })
}

// ---------------------------------------------------------------- restore

pub fn restore(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<()> {
    let repo = open_repository(ctx)?;
    let (id, snap): (SnapshotId, Snapshot) = repo.find_snapshot(&args.snapshot)?;
    if runbook::restore::is_deployment_backup(&snap) {
        return super::restore_run::run(ctx, args, &repo, &id, &snap);
    }
    let target = super::restore_run::plain_target(args)?;
    let ui = Ui::of(ctx);
    let display = ProgressDisplay::new(&ui, "restore", "files");
    let opts = RestoreOptions {
        includes: args.includes.clone(),
        progress: display.counters(),
        ..RestoreOptions::default()
    };
    let result = vault::restore::restore(&repo, &snap, target, &opts);
    display.finish();
    let outcome = match result {
        Ok(o) => o,
        Err(e) if e.is_refusal() => return Err(with_exit(e.into(), Exit::Refused)),
        Err(e @ RestoreError::BadInclude { .. }) => return Err(with_exit(e.into(), Exit::Usage)),
        Err(e) => return Err(anyhow::Error::new(e).context("restore failed")),
    };
    for w in &outcome.warnings {
        eprintln!("{}: {w}", ui.stderr.status("warning"));
    }
    for s in &outcome.skipped {
        eprintln!(
            "{}: {} ({}): {}",
            ui.stderr.status("skipped"),
            s.path,
            s.kind,
            s.reason
        );
    }
    let mut h = String::new();
    let _ = writeln!(
        h,
        "restored snapshot {} to {} in {:.2} s",
        id.short(),
        target.display(),
        outcome.duration_secs
    );
    let _ = writeln!(
        h,
        "entries: {} files, {} dirs, {} symlinks, {} hard links, {} special files",
        outcome.files, outcome.dirs, outcome.symlinks, outcome.hardlinks, outcome.specials
    );
    let _ = writeln!(h, "written: {}", bytes(outcome.bytes_written));
    if !outcome.skipped.is_empty() {
        let _ = writeln!(h, "{} entries skipped", outcome.skipped.len());
    }
    for d in &outcome.damaged {
        let _ = writeln!(
            h,
            "{}: {}: {}",
            ui.stdout.status("DAMAGED"),
            d.path,
            d.reason
        );
    }
    #[derive(Serialize)]
    struct Out<'a> {
        snapshot: String,
        target: String,
        #[serde(flatten)]
        outcome: &'a vault::restore::RestoreOutcome,
    }
    ctx.out.result(
        &h,
        &Out {
            snapshot: id.to_hex(),
            target: target.display().to_string(),
            outcome: &outcome,
        },
    )?;
    if !outcome.damaged.is_empty() {
        eprintln!(
            "cnxbackup: error: {} entries could not be restored intact: {}",
            outcome.damaged.len(),
            outcome
                .damaged
                .iter()
                .map(|d| d.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        finish_with(Exit::Failed);
    }
    Ok(())
}

// ---------------------------------------------------------------- check

fn parse_percent(s: &str) -> anyhow::Result<f64> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| anyhow::anyhow!("--read-data={s}: not a percentage"))
        .exit_code(Exit::Usage)?;
    if !(v > 0.0 && v <= 100.0) {
        return Err(with_exit(
            anyhow::anyhow!("--read-data={s}: must be more than 0 and at most 100"),
            Exit::Usage,
        ));
    }
    Ok(v)
}

fn check_human(style: Style, r: &CheckReport) -> String {
    let mut h = String::new();
    let mut g = Grid::new(style, &["checked", "count"]).right(&[1]);
    g.row(["snapshots".to_string(), r.snapshots.to_string()]);
    g.row(["trees".to_string(), r.trees.to_string()]);
    g.row([
        "data blobs referenced".to_string(),
        r.data_blobs.to_string(),
    ]);
    g.row(["packs".to_string(), r.packs.to_string()]);
    if r.packs_read > 0 {
        g.row(["packs read".to_string(), r.packs_read.to_string()]);
        g.row(["blobs verified".to_string(), r.blobs_verified.to_string()]);
    }
    g.row([
        "unreferenced packs".to_string(),
        r.unreferenced_packs.len().to_string(),
    ]);
    h.push_str(&g.render(0));
    if !r.unreferenced_packs.is_empty() {
        let _ = writeln!(
            h,
            "({} unreferenced packs were left by interrupted backups; not an error, prune removes them)",
            r.unreferenced_packs.len()
        );
    }
    for e in &r.errors {
        let _ = writeln!(h, "{} ({}): {}", style.status("error"), e.kind, e.message);
    }
    // Full ids: the administrator copies them into `restore`, `forget` or a ticket.
    for d in &r.damaged {
        let _ = writeln!(
            h,
            "{} {} blob {} in pack {}: {}\n  snapshots: {}\n  paths: {}",
            style.status("damaged"),
            d.kind,
            d.blob,
            d.pack,
            d.reason,
            d.snapshots.join(", "),
            d.paths.join(", ")
        );
    }
    let _ = writeln!(
        h,
        "{}",
        style.status(if r.is_ok() {
            "no errors found"
        } else {
            "CHECK FAILED"
        })
    );
    h
}

pub fn check(ctx: &Context, args: &CheckArgs) -> anyhow::Result<()> {
    let read_data = args.read_data.as_deref().map(parse_percent).transpose()?;
    let repo = open_repository(ctx)?;
    let ui = Ui::of(ctx);
    // Only reading the data takes long enough for a bar (packs read, bytes verified).
    let display = if read_data.is_some() {
        ProgressDisplay::new(&ui, "check", "packs")
    } else {
        ProgressDisplay::hidden()
    };
    let result = vault::check::check(
        &repo,
        &CheckOptions {
            read_data,
            threads: 2,
            progress: display.counters(),
        },
    );
    display.finish();
    let report = result?;
    #[derive(Serialize)]
    struct Out<'a> {
        ok: bool,
        #[serde(flatten)]
        report: &'a CheckReport,
    }
    ctx.out.result(
        &check_human(ui.stdout, &report),
        &Out {
            ok: report.is_ok(),
            report: &report,
        },
    )?;
    if !report.is_ok() {
        eprintln!(
            "cnxbackup: error: repository check failed: {} errors, {} damaged blobs",
            report.errors.len(),
            report.damaged.len()
        );
        finish_with(Exit::Refused);
    }
    Ok(())
}

// ---------------------------------------------------------------- repair

pub fn repair(ctx: &Context, args: &RepairArgs) -> anyhow::Result<()> {
    match args.what {
        RepairWhat::Index => {
            let repo = open_repository(ctx)?;
            let r = vault::rebuild_index(&repo)?;
            #[derive(Serialize)]
            struct Failed {
                pack: String,
                reason: String,
            }
            #[derive(Serialize)]
            struct Out {
                packs_read: usize,
                packs_failed: Vec<Failed>,
                blobs_indexed: usize,
                blobs_recovered: usize,
                segments_written: usize,
                segments_removed: usize,
            }
            let out = Out {
                packs_read: r.packs_read,
                packs_failed: r
                    .packs_failed
                    .iter()
                    .map(|(p, reason)| Failed {
                        pack: p.to_hex(),
                        reason: reason.clone(),
                    })
                    .collect(),
                blobs_indexed: r.blobs_indexed,
                blobs_recovered: r.blobs_recovered,
                segments_written: r.segments_written,
                segments_removed: r.segments_removed,
            };
            let mut h = format!(
                "index rebuilt from {} packs: {} blobs ({} recovered), {} segments written, {} removed\n",
                out.packs_read,
                out.blobs_indexed,
                out.blobs_recovered,
                out.segments_written,
                out.segments_removed
            );
            for f in &out.packs_failed {
                let _ = writeln!(h, "pack {} unreadable: {}", f.pack, f.reason);
            }
            ctx.out.result(&h, &out)
        }
    }
}
