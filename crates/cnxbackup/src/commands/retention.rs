//! Maintenance commands: `forget` (retention policy), `prune` (two-phase deletion of unused
//! data) and `unlock` (stale locks). The work is in `vault::maintenance`.
//!
//! Exit codes: 0 done; 1 repository error (including "locked by ..." for prune); 2 a bad
//! option (no retention rule, bad duration or threshold).

use std::fmt::Write as _;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use vault::maintenance::{self, ForgetReport, PruneOptions, PruneReport, RetentionPolicy};

use super::repo_commands::open_repository;
use super::Context;
use crate::exit::{with_exit, Exit};
use crate::ui::{Grid, Style, Ui};

#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// Keep the N newest snapshots of each group
    #[arg(long, value_name = "N")]
    pub keep_last: Option<u32>,
    /// Keep the newest snapshot of each of the N most recent hours that have one
    #[arg(long, value_name = "N")]
    pub keep_hourly: Option<u32>,
    /// ... of each of the N most recent days
    #[arg(long, value_name = "N")]
    pub keep_daily: Option<u32>,
    /// ... of each of the N most recent ISO weeks
    #[arg(long, value_name = "N")]
    pub keep_weekly: Option<u32>,
    /// ... of each of the N most recent months
    #[arg(long, value_name = "N")]
    pub keep_monthly: Option<u32>,
    /// ... of each of the N most recent years
    #[arg(long, value_name = "N")]
    pub keep_yearly: Option<u32>,
    /// Keep every snapshot with this tag (repeatable)
    #[arg(long = "keep-tag", value_name = "TAG")]
    pub keep_tags: Vec<String>,
    /// Keep every snapshot taken within DURATION before the group's newest (e.g. 30d, 12h,
    /// 2w, 6m, 1y)
    #[arg(long, value_name = "DURATION")]
    pub keep_within: Option<String>,
    /// Only list what would be removed
    #[arg(long)]
    pub dry_run: bool,
    /// Prune afterwards (see `prune`)
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub prune_opts: PruneFlags,
}

#[derive(Debug, Clone, Args)]
pub struct PruneFlags {
    /// Settle pending deletions older than this (must exceed the longest backup; 0 deletes
    /// at once and is only safe when no backup runs) [default: 24h]
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,
    /// Repack packs whose used bytes are below PERCENT of their size [default: 50]
    #[arg(long, value_name = "PERCENT")]
    pub repack_below: Option<f64>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub opts: PruneFlags,
    /// Only report what would be marked and deleted
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Also remove lock objects that cannot be read (check first that no newer cnxbackup
    /// holds them)
    #[arg(long)]
    pub remove_unreadable: bool,
}

fn usage(message: String) -> anyhow::Error {
    with_exit(anyhow::anyhow!(message), Exit::Usage)
}

fn prune_options(flags: &PruneFlags, dry_run: bool) -> anyhow::Result<PruneOptions> {
    let mut o = PruneOptions {
        dry_run,
        ..PruneOptions::default()
    };
    if let Some(g) = &flags.grace {
        let ns = if g.trim() == "0" {
            0
        } else {
            maintenance::parse_duration(g).map_err(|e| usage(format!("--grace: {e}")))?
        };
        o.grace = Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
    }
    if let Some(p) = flags.repack_below {
        if !(0.0..=100.0).contains(&p) {
            return Err(usage(format!(
                "--repack-below {p}: give a percentage 0..100"
            )));
        }
        o.repack_below = p / 100.0;
    }
    Ok(o)
}

// ---------------------------------------------------------------- forget

pub fn forget(ctx: &Context, args: &ForgetArgs) -> anyhow::Result<()> {
    let policy = RetentionPolicy {
        keep_last: args.keep_last,
        keep_hourly: args.keep_hourly,
        keep_daily: args.keep_daily,
        keep_weekly: args.keep_weekly,
        keep_monthly: args.keep_monthly,
        keep_yearly: args.keep_yearly,
        keep_tags: args.keep_tags.clone(),
        keep_within_ns: match &args.keep_within {
            Some(d) => Some(
                maintenance::parse_duration(d).map_err(|e| usage(format!("--keep-within: {e}")))?,
            ),
            None => None,
        },
    };
    if policy.is_empty() {
        return Err(usage(
            "forget needs at least one rule: --keep-last, --keep-hourly/daily/weekly/monthly/\
             yearly, --keep-tag or --keep-within"
                .into(),
        ));
    }
    let prune_opts = prune_options(&args.prune_opts, args.dry_run)?;
    let repo = open_repository(ctx)?;
    let report = maintenance::forget(&repo, &policy, args.dry_run)?;
    let mut h = forget_text(Ui::of(ctx).stdout, &report);
    let pruned = if args.prune {
        let p = maintenance::prune(&repo, &prune_opts)?;
        h.push_str(&prune_text(&p));
        Some(p)
    } else {
        None
    };
    #[derive(Serialize)]
    struct Out<'a> {
        forget: &'a ForgetReport,
        prune: Option<PruneReport>,
    }
    ctx.out.result(
        &h,
        &Out {
            forget: &report,
            prune: pruned,
        },
    )
}

/// Each group, then a table of its snapshots: keep (with the rules that keep it) or
/// (would) remove.
fn forget_text(style: Style, r: &ForgetReport) -> String {
    let mut h = String::new();
    for g in &r.groups {
        let _ = writeln!(h, "{}:", g.group);
        let mut t = Grid::new(style, &["action", "snapshot", "why"]);
        for (id, reasons) in &g.keep {
            let why: Vec<String> = reasons
                .iter()
                .map(|r| {
                    serde_json::to_value(r)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect();
            t.row(vec![
                t.status("keep"),
                id.short().to_string().into(),
                why.join(", ").into(),
            ]);
        }
        let verb = if r.dry_run { "would remove" } else { "remove" };
        for id in &g.remove {
            t.row(vec![
                t.status(verb),
                id.short().to_string().into(),
                "no rule keeps it".into(),
            ]);
        }
        h.push_str(&t.render(2));
    }
    for id in &r.unreadable {
        let _ = writeln!(h, "unreadable snapshot {} left alone", id.short());
    }
    let _ = writeln!(
        h,
        "{} kept, {} {}",
        r.kept,
        r.removed,
        if r.dry_run {
            "would be removed (dry run)"
        } else {
            "removed"
        }
    );
    h
}

// ---------------------------------------------------------------- prune

pub fn prune(ctx: &Context, args: &PruneArgs) -> anyhow::Result<()> {
    let opts = prune_options(&args.opts, args.dry_run)?;
    let repo = open_repository(ctx)?;
    let report = maintenance::prune(&repo, &opts)?;
    ctx.out.result(&prune_text(&report), &report)
}

fn prune_text(r: &PruneReport) -> String {
    let b = super::plan::bytes;
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
    h
}

// ---------------------------------------------------------------- unlock

pub fn unlock(ctx: &Context, args: &UnlockArgs) -> anyhow::Result<()> {
    let repo = open_repository(ctx)?;
    let states = maintenance::unlock(&repo, args.remove_unreadable)?;
    let mut h = String::new();
    for s in &states {
        let _ = writeln!(
            h,
            "{} {}: {}",
            if s.removed { "removed" } else { "kept   " },
            s.path,
            s.holder
        );
    }
    let removed = states.iter().filter(|s| s.removed).count();
    let _ = writeln!(
        h,
        "{removed} stale lock(s) removed, {} kept",
        states.len() - removed
    );
    ctx.out.result(&h, &states)
}
