//! The HTML report of `show --html FILE`: one self-contained page (inline CSS, no scripts,
//! no external assets) that an administrator attaches to the change ticket.
//!
//! Every value comes from the snapshot, and paths, names and messages come from the
//! deployment: each one goes through [`escape`] (text and attribute contexts alike). Only
//! the fixed markup of this module is written unescaped.

use std::fmt::Write as _;

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

/// `value` safe in HTML text and in a quoted attribute.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // control characters other than tab/newline are not allowed in HTML text
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:2em;color:#222;\
max-width:80em}\
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;\
border-bottom:1px solid #ccc;padding-bottom:.2em}h3{font-size:1em;margin-top:1.2em}\
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}\
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f2f2f2}table.facts th{width:14em}td.num{text-align:right;white-space:nowrap}\
code{font-family:Menlo,Consolas,monospace;font-size:.95em;word-break:break-all}\
.status{font-weight:bold}.st-ok,.st-complete{color:#1a7f37}.st-partial{color:#9a6700}\
.st-failed,.st-incomplete{color:#cf222e}.st-skipped,.st-missing{color:#6e7781}\
.banner{display:inline-block;padding:.2em .8em;border:2px solid;border-radius:4px}\
p.outage{font-size:1.25em;font-weight:bold;margin:.6em 0}\
footer{margin-top:2em;font-size:.85em;color:#6e7781}ul.warnings li{margin:.2em 0}\
";

/// One cell of a table.
enum Cell {
    /// Plain text.
    Text(String),
    /// A path, id or checksum.
    Code(String),
    /// A number or size, right aligned.
    Num(String),
    /// A status word, coloured by its class.
    Status(String),
    /// Several lines of text.
    Lines(Vec<String>),
}

fn cell_html(out: &mut String, cell: &Cell) {
    match cell {
        Cell::Text(t) => {
            let _ = write!(out, "<td>{}</td>", escape(t));
        }
        Cell::Code(t) => {
            let _ = write!(out, "<td><code>{}</code></td>", escape(t));
        }
        Cell::Num(t) => {
            let _ = write!(out, "<td class=\"num\">{}</td>", escape(t));
        }
        Cell::Status(t) => {
            let _ = write!(
                out,
                "<td class=\"status {}\">{}</td>",
                status_class(t),
                escape(t)
            );
        }
        Cell::Lines(lines) => {
            out.push_str("<td>");
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push_str("<br>");
                }
                let _ = write!(out, "<code>{}</code>", escape(l));
            }
            out.push_str("</td>");
        }
    }
}

/// `st-<word>` from the letters of a status word (the class never carries other input).
fn status_class(status: &str) -> String {
    let word: String = status
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || *c == '_')
        .collect();
    format!("st-{word}")
}

fn table(out: &mut String, class: &str, header: &[&str], rows: &[Vec<Cell>]) {
    let _ = write!(out, "<table class=\"{class}\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for c in row {
            cell_html(out, c);
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// A two-column table of labelled facts.
fn facts(out: &mut String, rows: &[(&str, Cell)]) {
    out.push_str("<table class=\"facts\"><tbody>\n");
    for (label, value) in rows {
        let _ = write!(out, "<tr><th>{}</th>", escape(label));
        cell_html(out, value);
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// `open` (fixed markup that opens the list), one escaped `<li>` per item, `</ul>`.
fn list<S: AsRef<str>>(out: &mut String, open: &str, items: impl IntoIterator<Item = S>) {
    out.push_str(open);
    for item in items {
        let _ = writeln!(out, "<li>{}</li>", escape(item.as_ref()));
    }
    out.push_str("</ul>\n");
}

fn section(out: &mut String, id: &str, title: &str) {
    let _ = write!(out, "<section id=\"{id}\">\n<h2>{}</h2>\n", escape(title));
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn code(s: impl Into<String>) -> Cell {
    Cell::Code(s.into())
}

fn num(s: impl Into<String>) -> Cell {
    Cell::Num(s.into())
}

fn or_dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

/// The whole page.
pub fn render(report: &ShowReport) -> String {
    let s = &report.snapshot;
    let title = match &report.manifest {
        Some(m) => format!(
            "Connections backup {} on {} ({})",
            m.backup_set,
            m.host,
            report.status_word()
        ),
        None => format!("Snapshot {} of {}", s.short_id(), s.host),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    match &report.manifest {
        Some(m) => deployment(&mut out, report, m),
        None => {
            section(&mut out, "snapshot", "Snapshot");
            snapshot_facts(&mut out, s, true);
            let _ = write!(
                out,
                "<p class=\"note\">{}</p>\n</section>\n",
                escape(NO_MANIFEST)
            );
        }
    }
    let _ = write!(
        out,
        "<footer>Report written by cnxbackup {} from snapshot <code>{}</code>.</footer>\n\
         </body>\n</html>\n",
        escape(env!("CARGO_PKG_VERSION")),
        escape(&s.id)
    );
    out
}

/// The snapshot document's facts; `list_paths` false: only their number (a deployment
/// backup names each path with its component further down).
fn snapshot_facts(out: &mut String, s: &SnapshotFacts, list_paths: bool) {
    let paths = if list_paths {
        Cell::Lines(s.paths.clone())
    } else {
        text(format!("{} (listed by component below)", s.paths.len()))
    };
    let mut rows = vec![
        ("snapshot", code(s.id.clone())),
        ("time", text(s.time.clone())),
        ("host", text(s.host.clone())),
        ("paths", paths),
        ("size", text(snapshot_size(s))),
        ("tags", text(s.tags.join(", "))),
    ];
    if let Some(line) = unreadable_line(s) {
        rows.push(("not backed up", text(line)));
    }
    if let Some(p) = &s.parent {
        rows.push(("parent", code(p.clone())));
    }
    if !s.program_version.is_empty() {
        rows.push(("written by", text(s.program_version.clone())));
    }
    facts(out, &rows);
}

fn deployment(out: &mut String, report: &ShowReport, m: &Manifest) {
    let s = &report.snapshot;
    let status = report.status_word();
    let _ = writeln!(
        out,
        "<p><span class=\"banner status {}\">{}</span></p>",
        status_class(status),
        escape(status)
    );
    if let Some(sentence) = outage_sentence(m) {
        let _ = writeln!(out, "<p class=\"outage\">{}</p>", escape(&sentence));
    }
    let absent = absent_lines(m, report.held_by());
    if !absent.is_empty() {
        list(
            out,
            "<p>Not in this backup:</p>\n<ul class=\"absent\">\n",
            absent,
        );
    }
    if !m.failed_steps.is_empty() && report.held_by().is_none() {
        list(
            out,
            "<p>Failed steps (restore needs <code>--only</code> naming intact components):</p>\n<ul class=\"failed\">\n",
            m.failed_steps.iter().map(|f| {
                format!(
                    "step {} {}{}: {}",
                    f.procedure_step,
                    f.title,
                    failed_step_subject(f),
                    f.message
                )
            }),
        );
    }

    section(out, "deployment", "Deployment");
    facts(
        out,
        &[
            ("backup set", code(m.backup_set.clone())),
            ("host", text(m.host.clone())),
            ("cell", text(m.topology.cell.clone())),
            ("cnxbackup version", text(m.cnxbackup_version.clone())),
            ("run", text(run_span(m))),
            ("status", Cell::Status(status.to_string())),
            ("stored", text(stored_summary(m))),
        ],
    );
    let _ = writeln!(out, "<h3>Snapshot</h3>");
    snapshot_facts(out, s, false);
    out.push_str("</section>\n");

    version(out, m);
    topology(out, m);
    plan(out, m);
    components(out, m);
    databases(out, m);
    declared(out, m);
    role_mappings(out, m);
    outage(out, m);
    servers(out, m);
    warnings(out, m);
}

fn version(out: &mut String, m: &Manifest) {
    let c = &m.connections;
    section(out, "version", "Connections version fingerprint");
    facts(
        out,
        &[
            (
                "version",
                text(c.version.clone().unwrap_or_else(|| "unknown".into())),
            ),
            ("release", text(or_dash(c.release.as_deref()))),
            (
                "CR",
                text(c.cr.map(|v| v.to_string()).unwrap_or_else(|| "-".into())),
            ),
            (
                "iFixes",
                text(if c.ifixes_known {
                    c.ifixes.join(", ")
                } else {
                    String::from("unknown (the iFix list could not be read)")
                }),
            ),
            ("basis", text(or_dash(c.basis.as_deref()))),
            ("connections_root", code(c.root.clone())),
        ],
    );
    let pairs = fingerprint_pairs(m);
    out.push_str("<h3>Fingerprint (what the restore gate compares)</h3>\n");
    if pairs.is_empty() {
        out.push_str("<p>None: the version is unknown.</p>\n");
    } else {
        let rows: Vec<(&str, Cell)> = pairs.into_iter().map(|(k, v)| (k, code(v))).collect();
        facts(out, &rows);
    }
    out.push_str("<h3>Evidence</h3>\n");
    let rows: Vec<Vec<Cell>> = evidence_lines(&c.evidence)
        .into_iter()
        .map(|l| vec![text(l.source), code(l.value), code(l.path)])
        .collect();
    if rows.is_empty() {
        out.push_str("<p>No version evidence recorded.</p>\n");
    } else {
        table(out, "evidence", &["source", "value", "file"], &rows);
    }
    if !c.conflicts.is_empty() {
        list(
            out,
            "<p class=\"status st-failed\">Version sources disagree:</p>\n<ul>\n",
            &c.conflicts,
        );
    }
    out.push_str("</section>\n");
}

fn topology(out: &mut String, m: &Manifest) {
    let t = &m.topology;
    let o = &m.options;
    section(out, "topology", "Topology");
    facts(
        out,
        &[
            ("cell", text(t.cell.clone())),
            ("app_server_root", code(t.app_server_root.clone())),
            ("connections_root", code(t.connections_root.clone())),
            ("shared data", code(t.shared_data.clone())),
            ("local data", code(t.local_data.clone())),
            ("provision", code(t.provision.clone())),
            ("customization", code(t.customization.clone())),
            (
                "Installation Manager",
                Cell::Lines(vec![
                    format!("install {}", t.iim.install_dir),
                    format!("data {}", t.iim.data_dir),
                    format!("shared {}", t.iim.shared_dir),
                ]),
            ),
            (
                "CCM installed",
                text(if t.ccm_installed { "yes" } else { "no" }),
            ),
            (
                "options",
                text(format!(
                    "in-place migration {}, no-stop {}, restart {}, database vendor {}",
                    o.in_place_migration,
                    o.no_stop,
                    o.restart,
                    or_dash(o.database_vendor.as_deref())
                )),
            ),
            ("tags", text(o.tags.join(", "))),
        ],
    );
    out.push_str("<h3>Profiles on this host</h3>\n");
    let rows: Vec<Vec<Cell>> = t
        .profiles
        .iter()
        .map(|p| {
            let [name, kind, node, path] = profile_row(p);
            vec![text(name), text(kind), text(node), code(path)]
        })
        .collect();
    table(out, "profiles", &["profile", "type", "node", "path"], &rows);
    out.push_str("<h3>Servers of the cell</h3>\n");
    let rows: Vec<Vec<Cell>> = t
        .servers
        .iter()
        .map(|s| cell_server_row(s).into_iter().map(text).collect())
        .collect();
    table(
        out,
        "servers",
        &["node", "server", "type", "host", "cluster"],
        &rows,
    );
    out.push_str("</section>\n");
}

fn plan(out: &mut String, m: &Manifest) {
    section(out, "plan", "Plan and step status");
    let rows: Vec<Vec<Cell>> = m
        .steps
        .iter()
        .map(|s| {
            vec![
                num(s.order.to_string()),
                text(s.procedure_step.clone()),
                text(s.title.clone()),
                text(s.component.map(|c| c.to_string()).unwrap_or_default()),
                Cell::Status(word(&s.status)),
                num(duration_ms(s.duration_ms)),
                text(s.message.clone().unwrap_or_default()),
            ]
        })
        .collect();
    table(
        out,
        "steps",
        &[
            "#",
            "step",
            "title",
            "component",
            "status",
            "duration",
            "note",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

fn components(out: &mut String, m: &Manifest) {
    section(out, "components", "Components: sizes and durations");
    let rows: Vec<Vec<Cell>> = m
        .components
        .iter()
        .map(|c| {
            let mut notes: Vec<String> = version_note(c).into_iter().collect();
            notes.extend(c.excludes.iter().map(|x| format!("except {x}")));
            notes.extend(stored_with_note(c));
            notes.extend(c.message.clone());
            notes.extend(c.warnings.iter().map(|w| format!("warning: {w}")));
            let [component, step, status, files, dirs, size, duration] = component_row(c);
            vec![
                text(component),
                text(step),
                Cell::Status(status),
                num(files),
                num(dirs),
                num(size),
                num(duration),
                Cell::Lines(c.paths.clone()),
                Cell::Lines(notes),
            ]
        })
        .collect();
    let header = [COMPONENT_COLUMNS.as_slice(), &["paths", "notes"]].concat();
    table(out, "components", &header, &rows);
    out.push_str("</section>\n");
}

/// The declared components and the hooks, when the backup had any.
fn declared(out: &mut String, m: &Manifest) {
    if m.declared.is_empty() && m.hooks.is_empty() {
        return;
    }
    section(out, "declared", "Declared components and hooks");
    let rows: Vec<Vec<Cell>> = m
        .declared
        .iter()
        .map(|d| {
            let [name, when, status, version, size, duration] = declared_row(d);
            vec![
                text(name),
                text(when),
                Cell::Status(status),
                code(version),
                num(size),
                num(duration),
                Cell::Lines(declared_notes(d)),
            ]
        })
        .collect();
    let header = [DECLARED_COLUMNS.as_slice(), &["notes"]].concat();
    table(out, "declared", &header, &rows);
    if !m.hooks.is_empty() {
        let hooks: Vec<Vec<Cell>> = hook_lines(m).into_iter().map(|l| vec![text(l)]).collect();
        table(out, "hooks", &["hook"], &hooks);
    }
    out.push_str("</section>\n");
}

fn databases(out: &mut String, m: &Manifest) {
    section(out, "databases", "Databases");
    if m.databases.is_empty() {
        out.push_str("<p>No database in this backup.</p>\n</section>\n");
        return;
    }
    let rows: Vec<Vec<Cell>> = m
        .databases
        .iter()
        .map(|d| match &d.image {
            Some(i) => vec![
                text(d.database.clone()),
                text(i.vendor.to_string()),
                text(word(&i.mode)),
                Cell::Status(word(&d.status)),
                code(or_dash(i.vendor_timestamp.as_deref())),
                num(bytes(i.bytes)),
                num(duration_ms(i.duration_ms)),
                text(or_dash(i.verification.as_deref())),
                Cell::Lines(
                    i.files
                        .iter()
                        .enumerate()
                        .map(|(n, f)| {
                            format!(
                                "{} ({}) sha256 {}{}",
                                f.name,
                                bytes(f.size),
                                f.sha256,
                                d.stored_paths
                                    .get(n)
                                    .map(|p| format!(" at {p}"))
                                    .unwrap_or_default()
                            )
                        })
                        .chain(i.warnings.iter().map(|w| format!("warning: {w}")))
                        .collect(),
                ),
            ],
            None => vec![
                text(d.database.clone()),
                text("-"),
                text("-"),
                Cell::Status(word(&d.status)),
                code("-"),
                num("-"),
                num("-"),
                text("-"),
                Cell::Lines(d.error.iter().cloned().collect()),
            ],
        })
        .collect();
    table(
        out,
        "databases",
        &[
            "database",
            "vendor",
            "mode",
            "status",
            "vendor timestamp",
            "size",
            "duration",
            "verification",
            "image files (checksum, place in the snapshot)",
        ],
        &rows,
    );
    out.push_str("</section>\n");
}

fn role_mappings(out: &mut String, m: &Manifest) {
    let r = &m.role_mappings;
    section(out, "role-mappings", "Security role mappings");
    let _ = writeln!(
        out,
        "<p>{} mappings in {} applications, read from {}.</p>",
        mapping_count(m),
        r.applications.len(),
        escape(&r.sources.join(" and "))
    );
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    for app in &r.applications {
        if app.mappings.is_empty() {
            rows.push(vec![text(app.application.clone()), text("-"), text("-")]);
        }
        for mapping in &app.mappings {
            rows.push(vec![
                text(app.application.clone()),
                text(mapping.role.clone()),
                text(mapping_subjects(mapping)),
            ]);
        }
    }
    table(out, "roles", &["application", "role", "mapped to"], &rows);
    if !r.wsadmin.is_empty() {
        out.push_str("<h3>wsadmin views</h3>\n");
        for w in &r.wsadmin {
            let _ = writeln!(
                out,
                "<h4>{}</h4>\n<pre>{}</pre>",
                escape(&w.application),
                escape(&w.text)
            );
        }
    }
    if !r.errors.is_empty() {
        list(
            out,
            "<p>Bindings that could not be read:</p>\n<ul>\n",
            &r.errors,
        );
    }
    out.push_str("</section>\n");
}

/// The parts of the outage window with their times.
fn outage(out: &mut String, m: &Manifest) {
    let Some(w) = &m.outage else { return };
    section(out, "outage", "Outage window");
    let rows: Vec<Vec<Cell>> = outage_rows(w)
        .into_iter()
        .map(|[part, from, to, duration]| vec![text(part), text(from), text(to), num(duration)])
        .collect();
    table(out, "outage", &OUTAGE_COLUMNS, &rows);
    out.push_str("</section>\n");
}

fn servers(out: &mut String, m: &Manifest) {
    if m.servers.is_empty() {
        return;
    }
    section(out, "server-control", "Server stop and start");
    let rows: Vec<Vec<Cell>> = m
        .servers
        .iter()
        .map(|s| {
            let [operation, profile, server, kind, result, attempts, duration, detail] =
                server_control_row(s);
            vec![
                text(operation),
                text(profile),
                text(server),
                text(kind),
                Cell::Status(result),
                num(attempts),
                num(duration),
                text(detail),
            ]
        })
        .collect();
    table(out, "server-results", &SERVER_CONTROL_COLUMNS, &rows);
    out.push_str("</section>\n");
}

fn warnings(out: &mut String, m: &Manifest) {
    section(out, "warnings", &format!("Warnings ({})", m.warnings.len()));
    if m.warnings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        list(out, "<ul class=\"warnings\">\n", &m.warnings);
    }
    out.push_str("</section>\n");
}
