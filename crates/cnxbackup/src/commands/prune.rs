//! `cnxbackup prune`: free the space of data no snapshot uses, in two phases with a grace
//! period, safe while backups run (the work is in `vault::maintenance`).
//!
//! Exit codes: 0 done; 1 repository error (including "locked by ..."); 2 a bad duration or
//! threshold; 3 `--grace 0` while a backup runs (mapped in `exit.rs`).

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;
use vault::maintenance::{self, PruneOptions, PruneReport};

use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::format::bytes;

#[derive(Debug, Clone, Args)]
pub struct PruneFlags {
    /// Settle pending deletions older than this (must exceed the longest backup; 0 deletes
    /// at once and is only safe when no backup runs) [default: 24h]
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,
    /// Repack packs whose used bytes are below PERCENT of their size [default: 50]
    #[arg(long, value_name = "PERCENT")]
    pub repack_below: Option<f64>,
    /// Run as the maintenance of an append-only repository (which refuses to forget and
    /// prune otherwise); the storage credentials must allow deletes (docs/S3.md, "Tamper
    /// resistance")
    #[arg(long)]
    pub maintenance: bool,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub opts: PruneFlags,
    /// Only report what would be marked and deleted
    #[arg(long)]
    pub dry_run: bool,
}

/// The prune options from the flags (shared with `forget --prune`).
pub fn prune_options(flags: &PruneFlags, dry_run: bool) -> Result<PruneOptions, CommandError> {
    let mut o = PruneOptions {
        dry_run,
        ..PruneOptions::default()
    };
    if let Some(g) = &flags.grace {
        let ns = if g.trim() == "0" {
            0
        } else {
            maintenance::parse_duration(g)
                .map_err(|e| CommandError::Usage(format!("--grace: {e}")))?
        };
        o.grace = Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
    }
    if let Some(p) = flags.repack_below {
        if !(0.0..=100.0).contains(&p) {
            return Err(CommandError::Usage(format!(
                "--repack-below {p}: give a percentage 0..100"
            )));
        }
        o.repack_below = p / 100.0;
    }
    Ok(o)
}

pub fn run(ctx: &Context, args: &PruneArgs) -> anyhow::Result<()> {
    let opts = prune_options(&args.opts, args.dry_run)?;
    let repo = ctx.open_repository()?;
    repo.set_maintenance(args.opts.maintenance);
    let report = maintenance::prune(&repo, &opts)?;
    ctx.out.result(&prune_text(&report), &report)
}

/// The prune report for people (shared with `forget --prune`).
pub fn prune_text(r: &PruneReport) -> String {
    let b = bytes;
    let mut h = String::new();
    let dry = if r.dry_run {
        " (dry run: nothing changed)"
    } else {
        ""
    };
    let _ = writeln!(
        h,
        "prune{dry}: {} snapshots use {} blobs; {} packs",
        r.snapshots, r.blobs_referenced, r.packs_total
    );
    let _ = writeln!(
        h,
        "marked for deletion: {} packs ({}), of which {} repacked ({} blobs, {}) and {} unindexed",
        r.packs_marked,
        b(r.bytes_marked),
        r.packs_repacked,
        r.blobs_repacked,
        b(r.bytes_repacked),
        r.packs_unindexed
    );
    let _ = writeln!(
        h,
        "deleted: {} packs ({}) from {} settled markers; {} kept because in use; {} markers wait for the grace period",
        r.packs_deleted,
        b(r.bytes_deleted),
        r.markers_settled,
        r.packs_kept_in_use,
        r.markers_waiting
    );
    if r.markers_held_by_backups > 0 {
        let _ = writeln!(
            h,
            "{} of those markers are newer than a running backup: settled once it has finished",
            r.markers_held_by_backups
        );
    }
    h
}
