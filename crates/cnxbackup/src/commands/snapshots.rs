//! `cnxbackup snapshots`: the snapshots of the repository, one row each (id, time, host,
//! backup set, size, status, tags, paths), grouped by backup set.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;
use vault::{Snapshot, SnapshotId};

use crate::context::Context;
use crate::ui::format::{bytes, short_id, time_ns};
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Also list the temporary per-component snapshots (tag `cnxbackup-partial`) that an
    /// interrupted deployment backup can leave behind
    #[arg(long)]
    pub all: bool,
}

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
    /// `application.status == "incomplete"`: a step failed (the snapshot says which); a
    /// backup that left its databases to another host of its set is complete only while a
    /// member of the set holds them.
    incomplete: bool,
    /// What it does not hold and why (`databases: --skip-databases ...`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    absent: Vec<String>,
    /// The set member holding what this one left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    held_by: Option<String>,
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
        time: time_ns(s.time),
        time_ns: s.time,
        host: s.host,
        paths: s.paths,
        tags: s.tags,
        parent: s.parent.map(|p| p.to_hex()),
        set,
        incomplete,
        absent: Vec::new(),
        held_by: None,
        summary: s.summary,
        application: s.application,
    }
}

/// Counts the backup sets: what each deployment backup left out, and whether a member of
/// its set now holds it ([`runbook::manifest::Summary::status_in_set`]).
fn count_sets(rows: &mut [SnapshotRow]) {
    use runbook::manifest::{Status, Summary};
    let summaries: Vec<(String, Option<Summary>)> = rows
        .iter()
        .map(|r| {
            let s = r.application.as_ref().and_then(Summary::from_application);
            (r.id.clone(), s)
        })
        .collect();
    for (row, (_, own)) in rows.iter_mut().zip(&summaries) {
        let Some(own) = own else { continue };
        let others = summaries
            .iter()
            .filter(|(id, _)| *id != row.id)
            .filter_map(|(id, s)| s.as_ref().map(|s| (id.as_str(), s)));
        let (status, by) = own.status_in_set(others);
        row.incomplete = status == Status::Incomplete;
        row.held_by = by.map(|m| m.host);
        row.absent = own
            .absent
            .iter()
            .map(|a| format!("{}: {}", a.component, a.message))
            .collect();
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
        Some("complete" | "incomplete") => "complete",
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
            short_id(&r.id).into(),
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
    // What each backup left out, and who holds it.
    for r in rows.iter().filter(|r| !r.absent.is_empty()) {
        for a in &r.absent {
            let by = match &r.held_by {
                Some(h) => format!(" (now held by set member {h})"),
                None if a.starts_with("databases: --skip-databases") => {
                    " (no member of the set holds them now)".to_string()
                }
                None => String::new(),
            };
            let _ = writeln!(h, "{:<10} absent {a}{by}", short_id(&r.id));
        }
    }
    for e in errors {
        let _ = writeln!(
            h,
            "{:<10} {}: {}",
            short_id(&e.id),
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

pub fn run(ctx: &Context, args: &SnapshotsArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
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
    count_sets(&mut rows);
    let h = snapshots_human(ctx.ui().stdout, &rows, &errors, hidden);
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
