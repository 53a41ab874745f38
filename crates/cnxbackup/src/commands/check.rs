//! `cnxbackup check [--read-data[=PERCENT]]`: verify the repository's structure and, when
//! asked, its data. A failed check prints its report and ends with exit 3.
//!
//! `cnxbackup check --max-age AGE [--host H]`: only the question monitoring asks — is the
//! newest COMPLETE backup of this host younger than AGE? Exit 3 when it is not (or there is
//! none); the repository's structure is not read (that is the plain `check`).

use std::fmt::Write as _;

use clap::Args;
use runbook::monitor::freshness;
use runbook::pick::PickError;
use serde::Serialize;
use vault::check::{CheckOptions, CheckReport};

use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::{Grid, ProgressDisplay, Style};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also read and verify the data: all of it, or PERCENT of the packs (e.g. 10 or 10%)
    #[arg(long, value_name = "PERCENT", num_args = 0..=1, default_missing_value = "100",
          require_equals = true)]
    pub read_data: Option<String>,
    /// Only judge the age of the newest COMPLETE backup of the host: exit 3 when it is older
    /// than AGE (e.g. 8d, 36h, 1w) or there is none. Checks nothing else
    #[arg(long, value_name = "AGE", conflicts_with = "read_data")]
    pub max_age: Option<String>,
    /// The host whose backups --max-age judges [default: this host's name]
    #[arg(long, value_name = "NAME", requires = "max_age")]
    pub host: Option<String>,
    /// Prove a backup set of a cell instead: every host has a COMPLETE snapshot, the shared
    /// data and the databases are held once and where the set says, one Connections
    /// version, every capture inside the cell-wide stop (exit 3 naming what is missing)
    #[arg(long, value_name = "ID", conflicts_with_all = ["read_data", "max_age"])]
    pub set: Option<String>,
}

/// `8d`, `36h`, `1w 2d`, `PT36H`: a duration with days of 24 hours (jiff's span formats).
fn parse_age(s: &str) -> Result<std::time::Duration, CommandError> {
    let usage = |why: String| {
        CommandError::Usage(format!(
            "--max-age {s}: {why}; give an age such as 8d, 36h or 1w"
        ))
    };
    let span: jiff::Span = s.trim().parse().map_err(|e| usage(format!("{e}")))?;
    let total = jiff::SpanTotal::from(jiff::Unit::Second).days_are_24_hours();
    let secs = span.total(total).map_err(|e| usage(format!("{e}")))?;
    if !(secs > 0.0 && secs.is_finite()) {
        return Err(usage("must be more than zero".to_string()));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

fn parse_percent(s: &str) -> Result<f64, CommandError> {
    let v: f64 = s
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| CommandError::Usage(format!("--read-data={s}: not a percentage")))?;
    if !(v > 0.0 && v <= 100.0) {
        return Err(CommandError::Usage(format!(
            "--read-data={s}: must be more than 0 and at most 100"
        )));
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
    if !r.unreferenced_packs.is_empty() && !r.index_incomplete {
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

pub fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<()> {
    if let Some(set) = &args.set {
        return super::set::prove(ctx, set);
    }
    if let Some(age) = &args.max_age {
        return run_max_age(ctx, parse_age(age)?, args.host.as_deref());
    }
    let read_data = args.read_data.as_deref().map(parse_percent).transpose()?;
    let repo = ctx.open_repository()?;
    let ui = ctx.ui();
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
        return Err(CommandError::Reported {
            message: format!(
                "repository check failed: {} errors, {} damaged blobs",
                report.errors.len(),
                report.damaged.len()
            ),
            exit: Exit::Refused,
        }
        .into());
    }
    Ok(())
}

/// `check --max-age`: the verdict on the newest COMPLETE backup of `host` (default: this
/// host, as `deployment.host` or the machine names it), exit 3 when it is too old or missing.
fn run_max_age(
    ctx: &Context,
    max_age: std::time::Duration,
    host: Option<&str>,
) -> anyhow::Result<()> {
    let this_host = ctx.this_host();
    let host = host.map_or_else(|| this_host.clone(), str::to_string);
    let repo = ctx.open_repository()?;
    // the snapshot `restore latest --host HOST` would take: the newest COMPLETE deployment
    // backup (a host with only `backup --path` snapshots: the newest of those)
    let filter = vault::SnapshotFilter {
        host: Some(host.clone()),
        ..vault::SnapshotFilter::default()
    };
    let newest = match runbook::pick::resolve(&repo, "latest", &filter, &this_host) {
        Ok((id, snapshot, _)) => Some((id.to_hex(), snapshot.time)),
        Err(PickError::NotFound { .. } | PickError::NoComplete { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let verdict = freshness::judge(&host, newest, max_age, std::time::SystemTime::now());
    #[derive(Serialize)]
    struct Out<'a> {
        ok: bool,
        #[serde(flatten)]
        verdict: &'a freshness::Freshness,
    }
    ctx.out.result(
        &format!("{}\n", verdict.describe()),
        &Out {
            ok: verdict.fresh,
            verdict: &verdict,
        },
    )?;
    if !verdict.fresh {
        return Err(CommandError::Reported {
            message: verdict.describe(),
            exit: Exit::Refused,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_days_hours_and_weeks() {
        let secs = |s: &str| parse_age(s).unwrap().as_secs();
        assert_eq!(secs("8d"), 8 * 86_400);
        assert_eq!(secs("36h"), 36 * 3_600);
        assert_eq!(secs("1w 2d"), 9 * 86_400);
        assert_eq!(secs("PT90M"), 5_400);
    }

    #[test]
    fn a_bad_age_is_a_usage_error_naming_it() {
        for bad in ["", "8", "eight days", "0d", "-1d", "2mo"] {
            let err = parse_age(bad).unwrap_err();
            assert!(matches!(err, CommandError::Usage(_)), "{bad}: {err:?}");
            assert!(
                err.to_string().starts_with(&format!("--max-age {bad}:")),
                "{err}"
            );
        }
    }
}
