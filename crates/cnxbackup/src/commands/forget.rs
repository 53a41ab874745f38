//! `cnxbackup forget`: remove snapshots by a retention policy, per host, paths and backup
//! set; `--prune` frees their space afterwards (see `prune`).
//!
//! Exit codes: 0 done; 1 repository error; 2 no retention rule, or a bad duration.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;
use vault::maintenance::{self, ForgetReport, PruneReport, RetentionPolicy};

use super::prune::{prune_options, prune_text, PruneFlags};
use crate::cli::filter::{FilterArgs, StatusArg};
use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::format::json_word;
use crate::ui::{Grid, Style};

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
    /// Only the snapshots these select (the others are left alone)
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Only snapshots of this kind (as `snapshots` shows it; `path` for path backups)
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
    /// Forget these snapshots (ids, unique prefixes or `latest`) instead of applying a
    /// policy
    #[arg(value_name = "SNAPSHOT")]
    pub snapshots: Vec<String>,
    #[command(flatten)]
    pub prune_opts: PruneFlags,
}

pub fn run(ctx: &Context, args: &ForgetArgs) -> anyhow::Result<()> {
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
                maintenance::parse_duration(d)
                    .map_err(|e| CommandError::Usage(format!("--keep-within: {e}")))?,
            ),
            None => None,
        },
    };
    if !args.snapshots.is_empty() {
        if !policy.is_empty() || args.status.is_some() {
            return Err(CommandError::Usage(
                "forget SNAPSHOT... removes the snapshots named; give no --keep-* rule or \
                 --status with them"
                    .into(),
            )
            .into());
        }
        return run_with(ctx, args, |repo| {
            let filter = args.filter.filter();
            let mut ids = Vec::new();
            for spec in &args.snapshots {
                ids.push(ctx.resolve_snapshot(repo, spec, &filter)?.0);
            }
            Ok(maintenance::forget_ids(repo, &ids, args.dry_run)?)
        });
    }
    if policy.is_empty() {
        return Err(CommandError::Usage(
            "forget needs at least one rule: --keep-last, --keep-hourly/daily/weekly/monthly/\
             yearly, --keep-tag or --keep-within"
                .into(),
        )
        .into());
    }
    let filter = args.filter.filter();
    run_with(ctx, args, |repo| {
        Ok(maintenance::forget_where(
            repo,
            &policy,
            |id, s| {
                filter.matches(s)
                    && args
                        .status
                        .is_none_or(|st| super::snapshots::status_word(id, s) == st.word())
            },
            args.dry_run,
        )?)
    })
}

/// Open the repository, decide with `forget` (and remove unless a dry run), prune with
/// `--prune`, print both reports.
fn run_with(
    ctx: &Context,
    args: &ForgetArgs,
    forget: impl FnOnce(&vault::Repository) -> anyhow::Result<ForgetReport>,
) -> anyhow::Result<()> {
    let prune_opts = prune_options(&args.prune_opts, args.dry_run)?;
    let repo = ctx.open_repository()?;
    repo.set_maintenance(args.prune_opts.maintenance);
    let report = forget(&repo)?;
    let mut h = forget_text(ctx.ui().stdout, &report);
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
            let why: Vec<String> = reasons.iter().map(json_word).collect();
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
    if r.not_matching > 0 {
        let _ = writeln!(
            h,
            "{} snapshot(s) not selected by --host/--set/--tag left alone",
            r.not_matching
        );
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
