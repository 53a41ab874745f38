//! `cnxbackup backup --path DIR...`: back up paths into the repository, as the repository
//! engine does on its own (no deployment, no manifest).
//!
//! Exit codes (docs/CLI.md): a backup with warnings is 0 (1 with `--strict`, after the
//! report); a snapshot without entries it could not read is 4 (after the report); a bad
//! path or `--exclude` is 2; a wrong password or a repository error is 1.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use vault::backup::{BackupError, BackupOptions, ParentChoice};
use vault::SnapshotId;

use super::args::BackupArgs;
use super::notify::RunFacts;
use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::format::bytes;
use crate::ui::{ProgressDisplay, Style, Tone};

#[derive(Serialize)]
struct BackupReport<'a> {
    snapshot: String,
    parent: Option<String>,
    summary: &'a vault::backup::BackupSummary,
    warnings: &'a [vault::backup::BackupWarning],
}

/// Backs up `args.paths`; what monitoring reports goes into `facts`.
pub fn run(ctx: &Context, args: &BackupArgs, facts: &mut RunFacts) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    // tuning knob (and test hook): index checkpoint interval during the backup
    if let Some(every) = checkpoint_interval(ctx.env.var("CNXBACKUP_CHECKPOINT_SECS"))? {
        repo.set_checkpoint_policy(every, vault::repo::CHECKPOINT_BYTES);
    }
    let mut opts = BackupOptions {
        tags: args.tags.clone(),
        excludes: args.excludes.clone(),
        ..BackupOptions::default()
    };
    opts.host = args.host.clone().unwrap_or_else(|| ctx.this_host());
    opts.parent = match (&args.parent, args.force) {
        (Some(p), _) => ParentChoice::Explicit(p.clone()),
        (None, true) => ParentChoice::None,
        (None, false) => ParentChoice::Auto,
    };
    let ui = ctx.ui();
    let display = ProgressDisplay::new(&ui, "backup", "files");
    opts.progress = display.counters();
    let result = vault::backup::backup(&repo, &args.paths, &opts);
    display.finish();
    let outcome = result.map_err(|e| match e {
        // the user's own paths and patterns: the message says it all (exit 2, see exit.rs)
        BackupError::InvalidPath { .. } | BackupError::BadExclude { .. } => anyhow::Error::new(e),
        e => anyhow::Error::new(e).context("backup failed, no snapshot written"),
    })?;
    facts.host = Some(opts.host.clone());
    facts.snapshot = Some(runbook::monitor::SnapshotFacts {
        id: outcome.snapshot_id.to_hex(),
        // the paths' snapshot has no required steps: written is complete
        complete: true,
        bytes_added: Some(outcome.summary.bytes_added_stored),
        components: Vec::new(),
    });
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
        return Err(CommandError::Reported {
            message: format!(
                "{} file(s) changed, vanished or could not be read (--strict)",
                outcome.warnings.len()
            ),
            exit: Exit::Failed,
        }
        .into());
    }
    let unread = &outcome.snapshot.summary.not_backed_up;
    if !unread.is_empty() {
        return Err(CommandError::Reported {
            message: format!(
                "snapshot {} saved, but {} entr{} could not be read and {} not in it (the \
                 snapshot records them; `ls` and `restore` name them)",
                outcome.snapshot_id.short(),
                unread.len(),
                if unread.len() == 1 { "y" } else { "ies" },
                if unread.len() == 1 { "is" } else { "are" },
            ),
            exit: Exit::Unreadable,
        }
        .into());
    }
    Ok(())
}

/// `CNXBACKUP_CHECKPOINT_SECS`: seconds, fractions allowed (`0.2`); anything else is a usage
/// error rather than silently the default (issue 21).
fn checkpoint_interval(value: Option<String>) -> Result<Option<Duration>, CommandError> {
    let Some(text) = value else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(secs) if (0.0..=86_400.0).contains(&secs) => Ok(Some(Duration::from_secs_f64(secs))),
        _ => Err(CommandError::Usage(format!(
            "CNXBACKUP_CHECKPOINT_SECS={text}: expected seconds between index checkpoints, 0 \
             (after every pack) to 86400 (e.g. 60 or 0.5)"
        ))),
    }
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
            style.paint(&warnings, Tone::Warn)
        } else {
            warnings
        }
    );
    let _ = writeln!(h, "duration: {:.2} s", s.duration_secs);
    h
}

#[cfg(test)]
mod tests {
    use super::checkpoint_interval;
    use crate::exit::{exit_of, Exit};
    use std::time::Duration;

    #[test]
    fn checkpoint_fractions_are_accepted_and_nonsense_is_refused() {
        assert_eq!(checkpoint_interval(None).unwrap(), None);
        assert_eq!(
            checkpoint_interval(Some("0.2".into())).unwrap(),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            checkpoint_interval(Some("60".into())).unwrap(),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            checkpoint_interval(Some("0".into())).unwrap(),
            Some(Duration::ZERO)
        );
        for bad in ["-1", "soon", "NaN", "inf", "1e9", ""] {
            let err = anyhow::Error::new(checkpoint_interval(Some(bad.into())).unwrap_err());
            assert_eq!(exit_of(&err), Exit::Usage, "{bad}");
            assert!(
                err.to_string().contains("CNXBACKUP_CHECKPOINT_SECS"),
                "{err}"
            );
        }
    }
}
