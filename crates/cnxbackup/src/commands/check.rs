//! `cnxbackup check [--read-data[=PERCENT]]`: verify the repository's structure and, when
//! asked, its data. A failed check prints its report and ends with exit 3.

use std::fmt::Write as _;

use clap::Args;
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

pub fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<()> {
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
