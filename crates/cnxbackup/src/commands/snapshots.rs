//! `cnxbackup snapshots`: one line per snapshot that fits an 80-column terminal — id, time,
//! host, set, status, version, number of components, size — grouped by backup set;
//! `--long` gives every detail (full id and time, tags, paths), `show` the whole report.
//! `--host`, `--set`, `--tag` filter; the last line says which snapshot `latest` is on
//! this host. `--json` keeps the rows of before, with `status`, `version` and `components`
//! added, and `latest`. A set planned with `set plan` gets its verdict above its members
//! (`check --set`'s: COMPLETE, or INCOMPLETE and why; `sets` in `--json`).

use std::fmt::Write as _;

use clap::Args;
use runbook::pick::{Candidate, Kind, Selector, PARTIAL_TAG, PRE_RESTORE_TAG};
use serde::Serialize;
use vault::{Snapshot, SnapshotId};

use super::set_status::{heading, set_statuses, SetStatus};
use crate::cli::filter::{FilterArgs, StatusArg};
use crate::context::Context;
use crate::ui::format::{bytes, short_id, time_ns};
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Also list the temporary per-component snapshots (tag `cnxbackup-partial`) that an
    /// interrupted deployment backup can leave behind
    #[arg(long)]
    pub all: bool,
    /// Every detail of each snapshot: full id and time, tags, paths
    #[arg(long)]
    pub long: bool,
    /// Only snapshots of this kind (the status column; `path` for path backups)
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Option<StatusArg>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The narrowest a terminal line is taken to be (and the width of non-terminal output).
const WIDTH: usize = 80;

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
    /// `complete`, `incomplete`, `pre-restore`, `partial`; `-` for a path backup.
    status: String,
    /// The Connections version the backup recorded.
    version: Option<String>,
    /// Components the backup holds (databases count as one); null for a path backup.
    components: Option<usize>,
    summary: vault::SnapshotSummary,
    application: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct SnapshotError {
    id: String,
    error: String,
}

fn app_str<'a>(s: &'a Snapshot, key: &str) -> Option<&'a str> {
    s.application
        .as_ref()
        .and_then(|a| a.get(key))
        .and_then(serde_json::Value::as_str)
}

/// Components of a deployment backup's summary that hold data (`ok` or `partial`); the
/// databases count as one component when any image is there.
fn components_held(s: &Snapshot) -> Option<usize> {
    let app = s.application.as_ref()?;
    app.get("kind")?;
    let held = |v: &serde_json::Value| {
        matches!(
            v.get("status").and_then(serde_json::Value::as_str),
            Some("ok" | "partial")
        )
    };
    let list = |key: &str| {
        app.get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().filter(|v| held(v)).count())
            .unwrap_or(0)
    };
    Some(list("components") + usize::from(list("databases") > 0))
}

/// The kind of backup a snapshot is, as the status column shows it before its set is
/// counted: `complete`, `incomplete`, `pre-restore`, `partial`, `-` (a path backup).
pub fn status_word(id: &SnapshotId, s: &Snapshot) -> &'static str {
    let c = Candidate::of(*id, s);
    match (c.helper_tag(), c.kind) {
        (Some(PRE_RESTORE_TAG), _) => "pre-restore",
        (Some(_), _) => "partial",
        (None, Kind::Complete) => "complete",
        (None, Kind::Incomplete) => "incomplete",
        (None, Kind::Plain) => "-",
    }
}

fn snapshot_row(id: &SnapshotId, s: Snapshot) -> SnapshotRow {
    let c = Candidate::of(*id, &s);
    let status = status_word(id, &s);
    SnapshotRow {
        id: id.to_hex(),
        time: time_ns(s.time),
        time_ns: s.time,
        status: status.to_string(),
        version: app_str(&s, "version").map(str::to_string),
        components: components_held(&s),
        set: c.set.clone(),
        incomplete: c.kind == Kind::Incomplete,
        absent: Vec::new(),
        held_by: None,
        host: s.host,
        paths: s.paths,
        tags: s.tags,
        parent: s.parent.map(|p| p.to_hex()),
        summary: s.summary,
        application: s.application,
    }
}

/// Counts the backup sets: what each deployment backup left out, and whether a member of
/// its set now holds it ([`runbook::manifest::Summary::status_in_set`]).
/// `all` are every snapshot of the repository, the filtered-out ones too (a node's set
/// member on another host counts under `--host NODE`).
fn count_sets(rows: &mut [SnapshotRow], all: &[(SnapshotId, &Snapshot)]) {
    use runbook::manifest::{Status, Summary};
    let summaries: Vec<(String, Summary)> = all
        .iter()
        .filter_map(|(id, s)| {
            let summary = s.application.as_ref().and_then(Summary::from_application)?;
            Some((id.to_hex(), summary))
        })
        .collect();
    for row in rows.iter_mut() {
        let Some((_, own)) = summaries.iter().find(|(id, _)| *id == row.id) else {
            continue;
        };
        let others = summaries
            .iter()
            .filter(|(id, _)| *id != row.id)
            .map(|(id, s)| (id.as_str(), s));
        let (status, by) = own.status_in_set(others);
        row.incomplete = status == Status::Incomplete;
        if matches!(row.status.as_str(), "complete" | "incomplete") {
            row.status = if row.incomplete {
                "incomplete"
            } else {
                "complete"
            }
            .to_string();
        }
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
    let mut first: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
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
        (group_time, r.set.clone(), r.time_ns, r.id.clone())
    });
}

/// `8.0.0.0_CR3 + KB0102411, KB0105812` as `8.0 CR3+2`: release, CR and how many iFixes.
fn short_version(v: &str) -> String {
    let (base, fixes) = match v.split_once(" + ") {
        Some((b, f)) => (b, f.split(',').filter(|x| !x.trim().is_empty()).count()),
        None => (v, 0),
    };
    let (number, cr) = match base.split_once("_CR") {
        Some((n, cr)) => (n, Some(cr)),
        None => (base, None),
    };
    let mut parts = number.split('.');
    let release = match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => format!("{a}.{b}"),
        _ => number.to_string(),
    };
    let mut out = match cr {
        Some(cr) => format!("{release} CR{cr}"),
        None => release,
    };
    if fixes > 0 {
        let _ = write!(out, "+{fixes}");
    }
    out
}

/// `text` cut to `width` characters with `…` at the end (the start of a host name tells
/// hosts apart).
fn elide_end(text: &str, width: usize) -> String {
    if text.chars().count() <= width || width < 2 {
        return text.to_string();
    }
    let start: String = text.chars().take(width - 1).collect();
    format!("{start}…")
}

/// `text` cut to `width` characters with `…` in the middle (both ends tell sets apart).
fn elide(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width || width < 3 {
        return text.to_string();
    }
    let keep = width - 1;
    let head = keep.div_ceil(2);
    let tail = keep - head;
    let start: String = text.chars().take(head).collect();
    let end: String = text.chars().skip(n - tail).collect();
    format!("{start}…{end}")
}

/// Column titles of the short listing.
const HEADER: [&str; 8] = [
    "id", "time", "host", "set", "status", "version", "comps", "size",
];
/// The columns that give way when a line is too long, in the order they give way (set and
/// host first, the version last), with their narrowest widths.
const FLEXIBLE: [(usize, usize); 3] = [(3, 8), (2, 8), (5, 7)];

fn column_widths(cells: &[[String; 8]]) -> Vec<usize> {
    (0..8)
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain(std::iter::once(HEADER[i].len()))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// Makes the short listing fit `width`: two spaces between columns if that fits; else one,
/// host names without their domain, and then the flexible columns (set and host, the
/// version last) are narrowed one character at a time, the widest first — hosts keep their
/// start, sets and versions both ends. Returns the gap.
fn fit(cells: &mut [[String; 8]], width: usize) -> u16 {
    let total = |widths: &[usize], gap: usize| widths.iter().sum::<usize>() + gap * 7;
    if total(&column_widths(cells), 2) <= width {
        return 2;
    }
    for row in cells.iter_mut() {
        if let Some((short, _)) = row[2].split_once('.') {
            row[2] = short.to_string();
        }
    }
    let mut widths = column_widths(cells);
    for group in [&FLEXIBLE[..2], &FLEXIBLE[2..]] {
        while total(&widths, 1) > width {
            let Some(&(col, _)) = group
                .iter()
                .filter(|(c, min)| widths[*c] > *min)
                .max_by_key(|(c, _)| (widths[*c], std::cmp::Reverse(*c)))
            else {
                break;
            };
            widths[col] -= 1;
        }
    }
    for row in cells.iter_mut() {
        row[2] = elide_end(&row[2], widths[2]);
        row[3] = elide(&row[3], widths[3]);
        row[5] = elide(&row[5], widths[5]);
    }
    1
}

fn short_cells(r: &SnapshotRow) -> [String; 8] {
    let dash = || "-".to_string();
    [
        short_id(&r.id).to_string(),
        // minutes are enough to tell backups apart on a line; --long has the seconds
        r.time.get(..16).unwrap_or(&r.time).to_string(),
        r.host.clone(),
        r.set.clone().unwrap_or_else(dash),
        if r.status == "incomplete" {
            "INCOMPLETE".into()
        } else if !r.summary.not_backed_up.is_empty() {
            // some entries could not be read: they are not in the snapshot (ls names them)
            "UNREADABLE".into()
        } else {
            r.status.clone()
        },
        r.version.as_deref().map(short_version).unwrap_or_else(dash),
        r.components.map(|c| c.to_string()).unwrap_or_else(dash),
        bytes(r.summary.bytes_total),
    ]
}

/// The table's lines: header, underline (no wider than the text), one line per row.
fn table_lines(style: Style, cells: &[[String; 8]], gap: u16) -> Vec<String> {
    let mut g = Grid::new(style, &HEADER).gap(gap).right(&[6, 7]);
    for c in cells {
        let mut row: Vec<comfy_table::Cell> = c.iter().map(comfy_table::Cell::new).collect();
        row[4] = g.status(&c[4]);
        g.row(row);
    }
    let mut lines = g.lines();
    // the underline runs on under the last column's padding: no wider than the text
    let text_width = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l.chars().count())
        .max()
        .unwrap_or(0);
    if let Some(underline) = lines.get_mut(1) {
        underline.truncate(text_width);
    }
    lines
}

/// The verdict line(s) above the first row of a planned set's group (nothing otherwise).
fn set_heading(style: Style, rows: &[SnapshotRow], i: usize, sets: &[SetStatus]) -> String {
    let r = &rows[i];
    if i > 0 && rows[i - 1].set == r.set {
        return String::new();
    }
    r.set
        .as_ref()
        .and_then(|set| sets.iter().find(|s| &s.set == set))
        .map(|s| heading(style, s))
        .unwrap_or_default()
}

fn short_listing(style: Style, rows: &[SnapshotRow], width: usize, sets: &[SetStatus]) -> String {
    let mut cells: Vec<[String; 8]> = rows.iter().map(short_cells).collect();
    let gap = fit(&mut cells, width);
    let lines = table_lines(style, &cells, gap);
    let mut h = String::new();
    let (header, body) = lines.split_at(lines.len().min(2));
    for line in header {
        let _ = writeln!(h, "{line}");
    }
    // a blank line where the backup set changes (plain snapshots form their own groups)
    for (i, (r, line)) in rows.iter().zip(body).enumerate() {
        if i > 0 && rows[i - 1].set != r.set {
            h.push('\n');
        }
        h.push_str(&set_heading(style, rows, i, sets));
        let _ = writeln!(h, "{line}");
    }
    h
}

/// The paths of a deployment backup without the long list of database image files.
fn paths_summary(paths: &[String]) -> String {
    let db_dir = runbook::manifest::DATABASES_DIR;
    let images = paths.iter().filter(|p| p.starts_with(db_dir)).count();
    let mut shown: Vec<String> = paths
        .iter()
        .filter(|p| !p.starts_with(db_dir))
        .cloned()
        .collect();
    if images > 0 {
        shown.push(format!("{db_dir}/… ({images} database image files)"));
    }
    shown.join(", ")
}

fn long_listing(style: Style, rows: &[SnapshotRow], sets: &[SetStatus]) -> String {
    let mut h = String::new();
    for (i, r) in rows.iter().enumerate() {
        h.push_str(&set_heading(style, rows, i, sets));
        let _ = writeln!(h, "snapshot {}", r.id);
        let mut field = |name: &str, value: String| {
            let _ = writeln!(h, "  {name:<11}{value}");
        };
        field("time", r.time.clone());
        field("host", r.host.clone());
        if let Some(set) = &r.set {
            field("set", set.clone());
        }
        field("status", style.status(&short_cells(r)[4]));
        if let Some(v) = &r.version {
            field("version", v.clone());
        }
        if let Some(c) = r.components {
            field("components", c.to_string());
        }
        field(
            "size",
            format!(
                "{} in {} files",
                bytes(r.summary.bytes_total),
                r.summary.files_new + r.summary.files_changed + r.summary.files_unchanged
            ),
        );
        if !r.tags.is_empty() {
            field("tags", r.tags.join(", "));
        }
        field("paths", paths_summary(&r.paths));
        if let Some(p) = &r.parent {
            field("parent", short_id(p).to_string());
        }
        h.push('\n');
    }
    h
}

fn footer(
    style: Style,
    rows: &[SnapshotRow],
    errors: &[SnapshotError],
    hidden: usize,
    latest: Option<(&str, &str)>,
) -> String {
    let mut h = String::new();
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
    let unreadable = rows
        .iter()
        .filter(|r| !r.summary.not_backed_up.is_empty())
        .count();
    let _ = writeln!(
        h,
        "{} snapshot(s){}{}",
        rows.len(),
        if incomplete > 0 {
            format!(", {} {}", incomplete, style.status("INCOMPLETE"))
        } else {
            String::new()
        },
        if unreadable > 0 {
            format!(
                ", {unreadable} with {} entries (not backed up; `ls` names them)",
                style.status("UNREADABLE")
            )
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
    if let Some((host, id)) = latest {
        let _ = writeln!(h, "latest on host {host}: {}", short_id(id));
    }
    h
}

/// Terminal width of stdout when it is one (never narrower than [`WIDTH`]); [`WIDTH`]
/// otherwise, so piped output does not depend on who runs it.
fn line_width() -> usize {
    if !crate::ui::Terminal::probe().stdout_is_terminal {
        return WIDTH;
    }
    comfy_table::Table::new()
        .width()
        .map(usize::from)
        .map_or(WIDTH, |w| w.max(WIDTH))
}

pub fn run(ctx: &Context, args: &SnapshotsArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let filter = args.filter.filter();
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut hidden = 0usize;
    let mut docs = Vec::new();
    for (id, snap) in repo.list_snapshots()? {
        match snap {
            Ok(s) => docs.push((id, s)),
            Err(e) => errors.push(SnapshotError {
                id: id.to_hex(),
                error: e.to_string(),
            }),
        }
    }
    let all: Vec<(SnapshotId, &Snapshot)> = docs.iter().map(|(id, s)| (*id, s)).collect();
    for (id, s) in &docs {
        if !filter.matches(s) {
            continue;
        }
        let partial_asked = args.all || args.status == Some(StatusArg::Partial);
        if !partial_asked && s.tags.iter().any(|t| t == PARTIAL_TAG) {
            hidden += 1;
        } else {
            rows.push(snapshot_row(id, s.clone()));
        }
    }
    group_by_set(&mut rows);
    count_sets(&mut rows, &all);
    if let Some(status) = args.status {
        // after the sets are counted: a member is complete while its set holds the rest
        rows.retain(|r| r.status == status.word());
    }
    let sets = set_statuses(&repo, rows.iter().filter_map(|r| r.set.as_deref()));
    let host = ctx.this_host();
    let candidates = runbook::pick::candidates(&all);
    let latest = runbook::pick::pick(&candidates, &Selector::Latest, &filter, &host)
        .ok()
        .map(|p| p.id.to_hex());
    let style = ctx.ui().stdout;
    let mut h = if args.long {
        long_listing(style, &rows, &sets)
    } else {
        short_listing(style, &rows, line_width(), &sets)
    };
    let latest_host = filter.host.clone().unwrap_or(host);
    h.push_str(&footer(
        style,
        &rows,
        &errors,
        hidden,
        latest.as_deref().map(|id| (latest_host.as_str(), id)),
    ));
    #[derive(Serialize)]
    struct Out {
        snapshots: Vec<SnapshotRow>,
        unreadable: Vec<SnapshotError>,
        hidden_partial: usize,
        /// The snapshot `latest` means on this host under the filters (null: none).
        latest: Option<String>,
        /// The verdict on every backup set listed.
        sets: Vec<SetStatus>,
    }
    ctx.out.result(
        &h,
        &Out {
            snapshots: rows,
            unreadable: errors,
            hidden_partial: hidden,
            latest,
            sets,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_shortened_to_release_cr_and_fix_count() {
        assert_eq!(
            short_version("8.0.0.0_CR3 + KB0102411, KB0105812"),
            "8.0 CR3+2"
        );
        assert_eq!(short_version("6.0.0.0_CR6"), "6.0 CR6");
        assert_eq!(short_version("7.0.0.0"), "7.0");
        assert_eq!(short_version("weird"), "weird");
    }

    #[test]
    fn elision_keeps_both_ends() {
        assert_eq!(elide("20261127T120000Z-3f9a", 12), "202611…-3f9a");
        assert_eq!(elide("short", 12), "short");
        assert_eq!(elide("20261127T120000Z-3f9a", 12).chars().count(), 12);
    }

    fn row(host: &str, set: &str, version: &str) -> [String; 8] {
        [
            "0123abcd".into(),
            "2026-11-27 14:03".into(),
            host.into(),
            set.into(),
            "INCOMPLETE".into(),
            version.into(),
            "14".into(),
            "123.4 GiB".into(),
        ]
    }

    #[test]
    fn long_hosts_and_sets_are_cut_to_fit_eighty_columns() {
        let mut cells = vec![
            row(
                "conn-node-01.example.com",
                "20261127T120000Z-3f9a",
                "8.0 CR14+12",
            ),
            row("dmgr", "cell-1", "8.0 CR3"),
        ];
        let gap = fit(&mut cells, 80);
        assert_eq!(gap, 1);
        for line in table_lines(Style::PLAIN, &cells, gap) {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        // the domain goes first; then the host keeps its start, the set both ends
        assert!(cells[0][2].starts_with("conn-no"), "{:?}", cells[0][2]);
        assert!(!cells[0][2].contains("example"), "{:?}", cells[0][2]);
        assert!(cells[0][3].starts_with("2026") && cells[0][3].ends_with("f9a"));
        // short names are left alone
        assert_eq!(cells[1][2], "dmgr");
    }

    #[test]
    fn database_image_paths_are_summarised() {
        let paths = vec![
            "/opt/IBM/Connections".to_string(),
            "/.cnxbackup/databases/FILES/a".to_string(),
            "/.cnxbackup/databases/WIKIS/b".to_string(),
        ];
        assert_eq!(
            paths_summary(&paths),
            "/opt/IBM/Connections, /.cnxbackup/databases/… (2 database image files)"
        );
    }
}
