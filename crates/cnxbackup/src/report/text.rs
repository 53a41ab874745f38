//! The terminal report of `show`: labelled facts and plain aligned columns.
//!
//! Columns are padded by character count; the last column is never padded, so long paths
//! and messages do not push the table wider than they are.

use std::fmt::Write as _;

use runbook::manifest::Manifest;

use super::{
    bytes, duration_ms, evidence_lines, fingerprint_pairs, mapping_count, mapping_subjects, run_ms,
    status_word, time_ns, word, ShowReport, SnapshotFacts, NO_MANIFEST,
};

/// Rows of text cells printed as aligned columns under a header.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells print empty, extra cells are kept).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows
            .push(cells.into_iter().map(|c| printable(&c)).collect());
    }

    /// The table, each line indented by `indent` spaces.
    pub fn render(&self, indent: usize) -> String {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain(std::iter::once(self.header.len()))
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = " ".repeat(indent);
            for (i, width) in widths.iter().enumerate() {
                let cell = row.get(i).map(String::as_str).unwrap_or("");
                if i + 1 == columns {
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(width - cell.chars().count() + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The whole terminal report.
pub fn render(report: &ShowReport) -> String {
    let mut out = String::new();
    match &report.manifest {
        Some(m) => deployment(&mut out, &report.snapshot, m),
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
    fact(
        out,
        "size",
        &format!("{} in {} files", bytes(s.bytes), s.files),
    );
    fact(out, "tags", &list_or_none(&s.tags));
    if let Some(p) = &s.parent {
        fact(out, "parent", p);
    }
    if !s.program_version.is_empty() {
        fact(out, "written by", &s.program_version);
    }
}

fn deployment(out: &mut String, s: &SnapshotFacts, m: &Manifest) {
    snapshot_facts(out, s, false);
    fact(out, "backup set", &m.backup_set);
    fact(out, "manifest host", &m.host);
    fact(out, "cnxbackup version", &m.cnxbackup_version);
    fact(
        out,
        "run",
        &format!(
            "{} to {} ({})",
            time_ns(m.started_ns),
            time_ns(m.finished_ns),
            duration_ms(run_ms(m))
        ),
    );
    fact(out, "status", status_word(m));
    for f in &m.failed_steps {
        let what = match (&f.database, &f.component) {
            (Some(db), _) => format!(" (database {db})"),
            (None, Some(c)) => format!(" ({c})"),
            (None, None) => String::new(),
        };
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
    version(out, m);
    topology(out, m);
    steps(out, m);
    components(out, m);
    databases(out, m);
    role_mappings(out, m);
    servers(out, m);
    warnings(out, m);
}

fn version(out: &mut String, m: &Manifest) {
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
    fact(out, "  basis", c.basis.as_deref().unwrap_or("-"));
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
        let mut t = Table::new(&["source", "value", "file"]);
        for l in lines {
            t.row(vec![l.source, l.value, l.path]);
        }
        out.push_str(&t.render(4));
    }
    for conflict in &c.conflicts {
        let _ = writeln!(out, "  CONFLICT: {}", printable(conflict));
    }
}

fn topology(out: &mut String, m: &Manifest) {
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
    fact(
        out,
        "  CCM installed",
        if t.ccm_installed { "yes" } else { "no" },
    );
    let o = &m.options;
    fact(
        out,
        "  options",
        &format!(
            "in-place migration {}, no-stop {}, restart {}, database vendor {}",
            yes_no(o.in_place_migration),
            yes_no(o.no_stop),
            yes_no(o.restart),
            o.database_vendor.as_deref().unwrap_or("-")
        ),
    );
    let _ = writeln!(out, "  profiles on this host");
    let mut p = Table::new(&["profile", "type", "node", "path"]);
    for r in &t.profiles {
        p.row(vec![
            r.name.clone(),
            r.kind.clone(),
            r.node.clone().unwrap_or_else(|| "-".into()),
            r.path.clone(),
        ]);
    }
    out.push_str(&p.render(4));
    let _ = writeln!(out, "  servers of the cell");
    let mut s = Table::new(&["node", "server", "type", "host", "cluster"]);
    for r in &t.servers {
        s.row(vec![
            r.node.clone(),
            r.server.clone(),
            r.kind.clone(),
            r.host.clone().unwrap_or_else(|| "-".into()),
            r.cluster.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    out.push_str(&s.render(4));
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn steps(out: &mut String, m: &Manifest) {
    heading(out, "Plan");
    let mut t = Table::new(&["#", "step", "title", "status", "duration", "note"]);
    for s in &m.steps {
        t.row(vec![
            s.order.to_string(),
            s.procedure_step.clone(),
            s.title.clone(),
            word(&s.status),
            duration_ms(s.duration_ms),
            s.message.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&t.render(2));
}

fn components(out: &mut String, m: &Manifest) {
    heading(out, "Components");
    let mut t = Table::new(&[
        "component",
        "step",
        "status",
        "files",
        "dirs",
        "size",
        "duration",
        "paths",
    ]);
    for c in &m.components {
        let mut paths = c.paths.iter();
        let first = paths.next().cloned().unwrap_or_else(|| "-".into());
        t.row(vec![
            c.component.to_string(),
            c.procedure_step.clone(),
            word(&c.status),
            c.files.to_string(),
            c.dirs.to_string(),
            bytes(c.bytes),
            duration_ms(c.duration_ms),
            first,
        ]);
        // further paths, exclusions and notes on their own lines under the paths column
        let extra = paths
            .cloned()
            .chain(c.excludes.iter().map(|x| format!("except {x}")))
            .chain(super::stored_with_note(c))
            .chain(c.message.iter().map(|msg| format!("note: {msg}")))
            .chain(c.warnings.iter().map(|w| format!("warning: {w}")));
        for e in extra {
            let mut row = vec![String::new(); 7];
            row.push(e);
            t.row(row);
        }
    }
    out.push_str(&t.render(2));
    fact(
        out,
        "  stored",
        &format!(
            "{} of files, {} of database images",
            bytes(super::component_bytes(m)),
            bytes(super::database_bytes(m))
        ),
    );
}

fn databases(out: &mut String, m: &Manifest) {
    heading(out, "Databases");
    if m.databases.is_empty() {
        let _ = writeln!(out, "  none in this backup");
        return;
    }
    let mut t = Table::new(&[
        "database",
        "vendor",
        "status",
        "vendor timestamp",
        "size",
        "duration",
        "verification",
    ]);
    for d in &m.databases {
        match &d.image {
            Some(i) => t.row(vec![
                d.database.clone(),
                format!("{} {}", i.vendor, word(&i.mode)),
                word(&d.status),
                i.vendor_timestamp.clone().unwrap_or_else(|| "-".into()),
                bytes(i.bytes),
                duration_ms(i.duration_ms),
                i.verification.clone().unwrap_or_else(|| "-".into()),
            ]),
            None => t.row(vec![
                d.database.clone(),
                "-".into(),
                word(&d.status),
                "-".into(),
                "-".into(),
                "-".into(),
                d.error.clone().unwrap_or_default(),
            ]),
        }
    }
    out.push_str(&t.render(2));
    let mut files = Table::new(&["database", "image file", "size", "sha256", "in snapshot"]);
    for d in &m.databases {
        let Some(i) = &d.image else { continue };
        for (n, f) in i.files.iter().enumerate() {
            files.row(vec![
                d.database.clone(),
                f.name.clone(),
                bytes(f.size),
                f.sha256.clone(),
                d.stored_paths.get(n).cloned().unwrap_or_else(|| "-".into()),
            ]);
        }
    }
    let _ = writeln!(out, "  images");
    out.push_str(&files.render(4));
    for d in &m.databases {
        if let Some(e) = d.image.as_ref().map(|i| &i.warnings) {
            for w in e {
                let _ = writeln!(
                    out,
                    "  {}: warning: {}",
                    printable(&d.database),
                    printable(w)
                );
            }
        }
    }
}

fn role_mappings(out: &mut String, m: &Manifest) {
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
    let mut t = Table::new(&["application", "role", "mapped to"]);
    for app in &r.applications {
        if app.mappings.is_empty() {
            t.row(vec![app.application.clone(), "-".into(), "-".into()]);
        }
        for (i, mapping) in app.mappings.iter().enumerate() {
            t.row(vec![
                if i == 0 {
                    app.application.clone()
                } else {
                    String::new()
                },
                mapping.role.clone(),
                mapping_subjects(mapping),
            ]);
        }
    }
    out.push_str(&t.render(2));
    if !r.wsadmin.is_empty() {
        let apps: Vec<String> = r.wsadmin.iter().map(|w| w.application.clone()).collect();
        fact(out, "  wsadmin views", &apps.join(", "));
    }
    for e in &r.errors {
        let _ = writeln!(out, "  error: {}", printable(e));
    }
}

fn servers(out: &mut String, m: &Manifest) {
    if m.servers.is_empty() {
        return;
    }
    heading(out, "Servers");
    let mut t = Table::new(&[
        "operation",
        "profile",
        "server",
        "type",
        "result",
        "attempts",
        "duration",
        "detail",
    ]);
    for s in &m.servers {
        t.row(vec![
            s.operation.clone(),
            s.profile.clone(),
            s.server.clone(),
            s.kind.clone(),
            s.result.clone(),
            s.attempts.to_string(),
            duration_ms(s.duration_ms),
            s.detail.clone().unwrap_or_default(),
        ]);
    }
    out.push_str(&t.render(2));
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
