//! The terminal report of `show`: labelled facts and aligned tables ([`Grid`]:
//! no borders, numbers right-aligned, status words coloured only when the [`Style`] says so).
//!
//! Every value from outside the program goes through [`printable`] first, so a file name
//! with a newline or a terminal escape can neither break the columns nor drive the terminal.

use std::fmt::Write as _;

use comfy_table::Cell;
use runbook::manifest::Manifest;

use report::show::{absent_lines, evidence_lines, ShowReport, SnapshotFacts};

use super::view::{
    cell_server_row, component_row, declared_notes, declared_row, failed_step_subject,
    fingerprint_pairs, hook_lines, mapping_count, mapping_subjects, outage_rows, outage_sentence,
    profile_row, run_span, server_control_row, snapshot_size, stored_summary, stored_with_note,
    unreadable_line, version_note, COMPONENT_COLUMNS, DECLARED_COLUMNS, NO_MANIFEST,
    OUTAGE_COLUMNS, SERVER_CONTROL_COLUMNS,
};
use crate::ui::format::{bytes, duration_ms, json_word as word};
use crate::ui::{Grid, Style};

/// A table cell holding `value` made printable.
fn cell(value: &str) -> Cell {
    Cell::new(printable(value))
}

/// A row of plain cells.
fn cells<S: AsRef<str>, const N: usize>(values: [S; N]) -> Vec<Cell> {
    values.iter().map(|v| cell(v.as_ref())).collect()
}

/// The whole terminal report.
/// The whole terminal report; `style` says whether status words are coloured.
pub fn render(report: &ShowReport, style: Style) -> String {
    let mut out = String::new();
    match &report.manifest {
        Some(m) => deployment(&mut out, report, m, style),
        None => plain(&mut out, &report.snapshot),
    }
    out
}

fn fact(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "{label:<22} {}", printable(value));
}

/// `value` with control characters (newlines, terminal escapes in a file name) written as
/// escapes, so that a value from outside cannot break the layout or drive the terminal.
pub fn printable(value: &str) -> String {
    if !value.chars().any(char::is_control) {
        return value.to_string();
    }
    value
        .chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn heading(out: &mut String, title: &str) {
    let _ = writeln!(out, "\n{title}");
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        String::from("-")
    } else {
        items.join(", ")
    }
}

fn or_dash(v: Option<&str>) -> &str {
    v.unwrap_or("-")
}

/// A snapshot without a manifest: its own facts and the reason nothing more is shown.
fn plain(out: &mut String, s: &SnapshotFacts) {
    snapshot_facts(out, s, true);
    let _ = writeln!(out, "\n{NO_MANIFEST}");
}

/// The snapshot document's facts; `list_paths` false: only their number (a deployment
/// backup names each path with its component further down).
fn snapshot_facts(out: &mut String, s: &SnapshotFacts, list_paths: bool) {
    fact(out, "snapshot", &s.id);
    fact(out, "time", &s.time);
    fact(out, "host", &s.host);
    if list_paths {
        fact(out, "paths", &list_or_none(&s.paths));
    } else {
        fact(
            out,
            "paths",
            &format!("{} (listed by component below)", s.paths.len()),
        );
    }
    fact(out, "size", &snapshot_size(s));
    if let Some(line) = unreadable_line(s) {
        fact(out, "not backed up", &line);
    }
    fact(out, "tags", &list_or_none(&s.tags));
    if let Some(p) = &s.parent {
        fact(out, "parent", p);
    }
    if !s.program_version.is_empty() {
        fact(out, "written by", &s.program_version);
    }
}

fn deployment(out: &mut String, report: &ShowReport, m: &Manifest, style: Style) {
    snapshot_facts(out, &report.snapshot, false);
    fact(out, "backup set", &m.backup_set);
    fact(out, "manifest host", &m.host);
    fact(out, "cnxbackup version", &m.cnxbackup_version);
    fact(out, "run", &run_span(m));
    let _ = writeln!(
        out,
        "{:<22} {}",
        "status",
        style.status(report.status_word())
    );
    for line in absent_lines(m, report.held_by()) {
        let _ = writeln!(out, "{:<22} {}", "absent", printable(&line));
    }
    // A member of the set holds what the failed steps lack: nothing to restore around.
    let failed = if report.held_by().is_some() {
        &[][..]
    } else {
        &m.failed_steps[..]
    };
    for f in failed {
        let what = failed_step_subject(f);
        let _ = writeln!(
            out,
            "{:<22} failed step {}",
            "",
            printable(&format!(
                "{} {}{what}: {}",
                f.procedure_step, f.title, f.message
            ))
        );
    }
    // under the status and what it lacks: how long Connections was down for it
    if let Some(sentence) = outage_sentence(m) {
        fact(out, "outage", &sentence);
    }
    version(out, m, style);
    topology(out, m, style);
    steps(out, m, style);
    components(out, m, style);
    databases(out, m, style);
    declared(out, m, style);
    role_mappings(out, m, style);
    outage(out, m, style);
    servers(out, m, style);
    warnings(out, m);
}

fn version(out: &mut String, m: &Manifest, style: Style) {
    let c = &m.connections;
    heading(out, "Connections version");
    fact(
        out,
        "  version",
        c.version
            .as_deref()
            .unwrap_or("unknown (no version source could be read)"),
    );
    fact(out, "  release", c.release.as_deref().unwrap_or("unknown"));
    fact(
        out,
        "  CR",
        &c.cr.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
    );
    let ifixes = if c.ifixes_known {
        list_or_none(&c.ifixes)
    } else {
        String::from("unknown (the iFix list could not be read)")
    };
    fact(out, "  iFixes", &ifixes);
    fact(out, "  basis", or_dash(c.basis.as_deref()));
    fact(out, "  root", &c.root);
    let pairs = fingerprint_pairs(m);
    if pairs.is_empty() {
        fact(out, "  fingerprint", "none (version unknown)");
    } else {
        let _ = writeln!(out, "  fingerprint (what the restore gate compares)");
        for (k, v) in pairs {
            fact(out, &format!("    {k}"), &v);
        }
    }
    let lines = evidence_lines(&c.evidence);
    if lines.is_empty() {
        let _ = writeln!(out, "  evidence: none recorded");
    } else {
        let _ = writeln!(out, "  evidence");
        let mut g = Grid::new(style, &["source", "value", "file"]);
        for l in &lines {
            g.row(cells([&l.source, &l.value, &l.path]));
        }
        out.push_str(&g.render(4));
    }
    for conflict in &c.conflicts {
        let _ = writeln!(out, "  CONFLICT: {}", printable(conflict));
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn topology(out: &mut String, m: &Manifest, style: Style) {
    let t = &m.topology;
    heading(out, "Topology");
    fact(out, "  cell", &t.cell);
    fact(out, "  app_server_root", &t.app_server_root);
    fact(out, "  connections_root", &t.connections_root);
    fact(out, "  shared data", &t.shared_data);
    fact(out, "  local data", &t.local_data);
    fact(out, "  provision", &t.provision);
    fact(out, "  customization", &t.customization);
    fact(
        out,
        "  IIM",
        &format!(
            "install {}, data {}, shared {}",
            t.iim.install_dir, t.iim.data_dir, t.iim.shared_dir
        ),
    );
    fact(out, "  CCM installed", yes_no(t.ccm_installed));
    let o = &m.options;
    fact(
        out,
        "  options",
        &format!(
            "in-place migration {}, no-stop {}, restart {}, database vendor {}",
            yes_no(o.in_place_migration),
            yes_no(o.no_stop),
            yes_no(o.restart),
            or_dash(o.database_vendor.as_deref())
        ),
    );
    let _ = writeln!(out, "  profiles on this host");
    let mut g = Grid::new(style, &["profile", "type", "node", "path"]);
    for r in &t.profiles {
        g.row(cells(profile_row(r)));
    }
    out.push_str(&g.render(4));
    let _ = writeln!(out, "  servers of the cell");
    let mut g = Grid::new(style, &["node", "server", "type", "host", "cluster"]);
    for r in &t.servers {
        g.row(cells(cell_server_row(r)));
    }
    out.push_str(&g.render(4));
}

fn steps(out: &mut String, m: &Manifest, style: Style) {
    heading(out, "Plan");
    let mut g =
        Grid::new(style, &["#", "step", "title", "status", "duration", "note"]).right(&[0, 4]);
    for s in &m.steps {
        let status = g.status(&word(&s.status));
        g.row(vec![
            cell(&s.order.to_string()),
            cell(&s.procedure_step),
            cell(&s.title),
            status,
            cell(&duration_ms(s.duration_ms)),
            cell(s.message.as_deref().unwrap_or("")),
        ]);
    }
    out.push_str(&g.render(2));
}

fn components(out: &mut String, m: &Manifest, style: Style) {
    heading(out, "Components");
    let mut g =
        Grid::new(style, &[COMPONENT_COLUMNS.as_slice(), &["paths"]].concat()).right(&[3, 4, 5, 6]);
    for c in &m.components {
        let mut paths = c.paths.iter();
        let facts = component_row(c);
        let mut row = cells(facts.clone());
        row[2] = g.status(&facts[2]);
        row.push(cell(paths.next().map(String::as_str).unwrap_or("-")));
        g.row(row);
        // further paths, exclusions and notes on their own lines under the paths column
        let extra = paths
            .cloned()
            .chain(c.excludes.iter().map(|x| format!("except {x}")))
            .chain(version_note(c))
            .chain(stored_with_note(c))
            .chain(c.message.iter().map(|msg| format!("note: {msg}")))
            .chain(c.warnings.iter().map(|w| format!("warning: {w}")));
        for e in extra {
            g.row(cells(["", "", "", "", "", "", "", &e]));
        }
    }
    out.push_str(&g.render(2));
    fact(out, "  stored", &stored_summary(m));
}

/// The declared components and the hooks, when the backup had any.
fn declared(out: &mut String, m: &Manifest, style: Style) {
    if !m.declared.is_empty() {
        heading(out, "Declared components");
        let mut g = Grid::new(style, &DECLARED_COLUMNS).right(&[4, 5]);
        for d in &m.declared {
            let facts = declared_row(d);
            let mut row = cells(facts.clone());
            row[2] = g.status(&facts[2]);
            g.row(row);
            for note in declared_notes(d) {
                g.row(cells(["", "", "", &note, "", ""]));
            }
        }
        out.push_str(&g.render(2));
    }
    if !m.hooks.is_empty() {
        heading(out, "Hooks");
        for line in hook_lines(m) {
            let _ = writeln!(out, "  {}", printable(&line));
        }
    }
}

fn databases(out: &mut String, m: &Manifest, style: Style) {
    heading(out, "Databases");
    if m.databases.is_empty() {
        let _ = writeln!(out, "  none in this backup");
        return;
    }
    let mut g = Grid::new(
        style,
        &[
            "database",
            "vendor",
            "status",
            "vendor timestamp",
            "size",
            "duration",
            "verification",
        ],
    )
    .right(&[4, 5]);
    for d in &m.databases {
        let status = g.status(&word(&d.status));
        let row = match &d.image {
            Some(i) => vec![
                cell(&d.database),
                cell(&format!("{} {}", i.vendor, word(&i.mode))),
                status,
                cell(or_dash(i.vendor_timestamp.as_deref())),
                cell(&bytes(i.bytes)),
                cell(&duration_ms(i.duration_ms)),
                cell(or_dash(i.verification.as_deref())),
            ],
            None => vec![
                cell(&d.database),
                cell("-"),
                status,
                cell("-"),
                cell("-"),
                cell("-"),
                cell(d.error.as_deref().unwrap_or("")),
            ],
        };
        g.row(row);
    }
    out.push_str(&g.render(2));
    let mut files = Grid::new(
        style,
        &["database", "image file", "size", "sha256", "in snapshot"],
    )
    .right(&[2]);
    for d in &m.databases {
        let Some(i) = &d.image else { continue };
        for (n, f) in i.files.iter().enumerate() {
            files.row(cells([
                &d.database,
                &f.name,
                &bytes(f.size),
                &f.sha256,
                d.stored_paths.get(n).map(String::as_str).unwrap_or("-"),
            ]));
        }
    }
    if !files.is_empty() {
        let _ = writeln!(out, "  images");
        out.push_str(&files.render(4));
    }
    for d in &m.databases {
        for w in d.image.iter().flat_map(|i| &i.warnings) {
            let _ = writeln!(
                out,
                "  {}: warning: {}",
                printable(&d.database),
                printable(w)
            );
        }
    }
}

fn role_mappings(out: &mut String, m: &Manifest, style: Style) {
    let r = &m.role_mappings;
    heading(out, "Role mappings");
    fact(out, "  sources", &list_or_none(&r.sources));
    fact(
        out,
        "  exported",
        &format!(
            "{} mappings in {} applications",
            mapping_count(m),
            r.applications.len()
        ),
    );
    let mut g = Grid::new(style, &["application", "role", "mapped to"]);
    for app in &r.applications {
        if app.mappings.is_empty() {
            g.row(cells([&app.application, "-", "-"]));
        }
        for (i, mapping) in app.mappings.iter().enumerate() {
            let name = if i == 0 { app.application.as_str() } else { "" };
            g.row(cells([name, &mapping.role, &mapping_subjects(mapping)]));
        }
    }
    if !g.is_empty() {
        out.push_str(&g.render(2));
    }
    if !r.wsadmin.is_empty() {
        let apps: Vec<String> = r.wsadmin.iter().map(|w| w.application.clone()).collect();
        fact(out, "  wsadmin views", &apps.join(", "));
    }
    for e in &r.errors {
        let _ = writeln!(out, "  error: {}", printable(e));
    }
}

/// The parts of the outage window with their times.
fn outage(out: &mut String, m: &Manifest, style: Style) {
    let Some(w) = &m.outage else { return };
    heading(out, "Outage window");
    let mut g = Grid::new(style, &OUTAGE_COLUMNS).right(&[3]);
    for row in outage_rows(w) {
        g.row(cells(row));
    }
    out.push_str(&g.render(2));
}

fn servers(out: &mut String, m: &Manifest, style: Style) {
    if m.servers.is_empty() {
        return;
    }
    heading(out, "Servers");
    let mut g = Grid::new(style, &SERVER_CONTROL_COLUMNS).right(&[5, 6]);
    for s in &m.servers {
        let mut row = cells(server_control_row(s));
        row[4] = g.status(&s.result);
        g.row(row);
    }
    out.push_str(&g.render(2));
}

fn warnings(out: &mut String, m: &Manifest) {
    heading(out, &format!("Warnings ({})", m.warnings.len()));
    if m.warnings.is_empty() {
        let _ = writeln!(out, "  none");
    }
    for w in &m.warnings {
        let _ = writeln!(out, "  - {}", printable(w));
    }
}
