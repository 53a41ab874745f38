//! `cnxbackup restore SNAPSHOT --target DIR` for a plain path backup (`backup --path`):
//! the snapshot, or the entries `--include` selects, under DIR.
//!
//! Exit codes: an unsafe entry refused is 3; a bad `--include` or a deployment-only flag is
//! 2; damaged files are 1, after everything else is restored and reported.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use vault::restore::{RestoreError, RestoreOptions};
use vault::{Repository, Snapshot, SnapshotId};

use super::args::RestoreArgs;
use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::format::bytes;
use crate::ui::{ProgressDisplay, Style};

/// Restores plain snapshot `snap` (`id`) of `repo` under `--target`.
pub fn run(
    ctx: &Context,
    args: &RestoreArgs,
    repo: &Repository,
    id: &SnapshotId,
    snap: &Snapshot,
) -> anyhow::Result<()> {
    let target = plain_target(args)?;
    let ui = ctx.ui();
    let display = ProgressDisplay::new(&ui, "restore", "files");
    let opts = RestoreOptions {
        includes: args.includes.clone(),
        progress: display.counters(),
        ..RestoreOptions::default()
    };
    let result = vault::restore::restore(repo, snap, target, &opts);
    display.finish();
    let outcome = result.map_err(|e| {
        // a refused entry or a bad --include says it all (exit 3 or 2, see exit.rs)
        if e.is_refusal() || matches!(e, RestoreError::BadInclude { .. }) {
            anyhow::Error::new(e)
        } else {
            anyhow::Error::new(e).context("restore failed")
        }
    })?;
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
    let h = restore_human(ui.stdout, id, target, &outcome);
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
        return Err(CommandError::Reported {
            message: format!(
                "{} entries could not be restored intact: {}",
                outcome.damaged.len(),
                outcome
                    .damaged
                    .iter()
                    .map(|d| d.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            exit: Exit::Failed,
        }
        .into());
    }
    Ok(())
}

/// The closing report of a plain restore: totals, what the backup could not read (not in
/// the snapshot, so not restored), and every damaged entry.
fn restore_human(
    style: Style,
    id: &SnapshotId,
    target: &Path,
    outcome: &vault::restore::RestoreOutcome,
) -> String {
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
    for n in &outcome.not_backed_up {
        let _ = writeln!(
            h,
            "{}: {}: not backed up: {}{}",
            style.status("MISSING"),
            n.path,
            n.reason,
            if n.dir { " (restored empty)" } else { "" }
        );
    }
    for d in &outcome.damaged {
        let _ = writeln!(h, "{}: {}: {}", style.status("DAMAGED"), d.path, d.reason);
    }
    h
}

/// For a plain (non-deployment) snapshot: the `--target` it must have, refusing the flags
/// that only mean something for a deployment backup.
fn plain_target(args: &RestoreArgs) -> Result<&Path, CommandError> {
    let deployment_only = [
        (!args.only.is_empty(), "--only"),
        (args.dry_run, "--dry-run"),
        (args.skip_databases, "--skip-databases"),
        (args.allow_version_mismatch, "--allow-version-mismatch"),
        (args.stop, "--stop"),
        (args.verify || args.no_verify, "--verify/--no-verify"),
        (args.from_host.is_some(), "--from-host"),
        (args.no_pre_restore, "--no-pre-restore"),
        (args.databases_only, "--databases-only"),
    ];
    if let Some((_, flag)) = deployment_only.iter().find(|(set, _)| *set) {
        return Err(CommandError::Usage(format!(
            "{flag} applies to deployment backups (written by `cnxbackup backup` without \
             --path); this snapshot is a plain path backup"
        )));
    }
    args.target.as_deref().ok_or_else(|| {
        CommandError::Usage("--target DIR is required to restore a plain path backup".into())
    })
}
