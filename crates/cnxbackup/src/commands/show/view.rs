//! What both renderings of the `show` report (terminal text and HTML) say the same way: the
//! facts as phrases, the rows of the tables and their column titles.

use report::show::SnapshotFacts;
use runbook::manifest::Manifest;

use crate::ui::format::{bytes, duration_ms, json_word as word, time_ns};

/// The sentence both renderers print for a snapshot without a manifest.
pub const NO_MANIFEST: &str = "This snapshot has no deployment manifest: it was not written \
     by the deployment procedure (`cnxbackup backup` without --path), so there is no \
     version, plan or database record to show.";

/// Wall time of the run (finish − start), never negative.
pub fn run_ms(m: &Manifest) -> u64 {
    u64::try_from((m.finished_ns - m.started_ns) / 1_000_000).unwrap_or(0)
}

/// The fingerprint as `key value` pairs (what the restore gate compares), empty when the
/// version is unknown.
pub fn fingerprint_pairs(m: &Manifest) -> Vec<(&'static str, String)> {
    let Some(f) = &m.connections.fingerprint else {
        return Vec::new();
    };
    let none = || String::from("unknown");
    vec![
        ("release", f.release.to_string()),
        ("offering", f.offering.to_string()),
        ("CR", f.cr.map(|c| c.to_string()).unwrap_or_else(none)),
        (
            "iFixes",
            if f.ifixes.is_empty() {
                String::from("none")
            } else {
                f.ifixes
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        ("WAS", f.was_version.clone().unwrap_or_else(none)),
        (
            "webresources hash",
            f.webresources_sha256.clone().unwrap_or_else(none),
        ),
    ]
}

/// The subjects of one role mapping as one phrase (`Everyone; users: a, b; groups: g`).
pub fn mapping_subjects(m: &websphere::app_bindings::RoleMapping) -> String {
    let mut parts = Vec::new();
    if m.everyone {
        parts.push(String::from("Everyone"));
    }
    if m.all_authenticated {
        parts.push(String::from("All authenticated"));
    }
    if m.all_authenticated_in_trusted_realms {
        parts.push(String::from("All authenticated in trusted realms"));
    }
    if m.server {
        parts.push(String::from("Server"));
    }
    let names = |s: &[websphere::app_bindings::Subject]| {
        s.iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !m.users.is_empty() {
        parts.push(format!("users: {}", names(&m.users)));
    }
    if !m.groups.is_empty() {
        parts.push(format!("groups: {}", names(&m.groups)));
    }
    if parts.is_empty() {
        String::from("(nobody)")
    } else {
        parts.join("; ")
    }
}

/// `stored with X` for a component stored by another one, unless its message says so
/// already (the backup writes that message itself).
pub fn stored_with_note(c: &runbook::manifest::ComponentRecord) -> Option<String> {
    let w = c.stored_with?;
    let note = format!("stored with {w}");
    match &c.message {
        Some(m) if m.contains(&note) => None,
        _ => Some(note),
    }
}

/// `version 9.0.5.18` for a component that records the version of what it holds (IBM
/// HTTP Server, the plug-in).
pub fn version_note(c: &runbook::manifest::ComponentRecord) -> Option<String> {
    c.version.as_ref().map(|v| format!("version {v}"))
}

/// What a failed step was working on, as a suffix of its title: ` (database X)`,
/// ` (component)` or nothing.
pub fn failed_step_subject(f: &runbook::manifest::FailedStep) -> String {
    match (&f.database, &f.component, &f.declared) {
        (Some(db), _, _) => format!(" (database {db})"),
        (None, Some(c), _) => format!(" ({c})"),
        (None, None, Some(d)) => format!(" (declared component {d})"),
        (None, None, None) => String::new(),
    }
}

/// `<start> to <end> (<duration>)` of the backup run.
pub fn run_span(m: &Manifest) -> String {
    format!(
        "{} to {} ({})",
        time_ns(m.started_ns),
        time_ns(m.finished_ns),
        duration_ms(run_ms(m))
    )
}

/// What the backup stored: file bytes and database image bytes.
pub fn stored_summary(m: &Manifest) -> String {
    format!(
        "{} of files, {} of database images",
        bytes(component_bytes(m)),
        bytes(database_bytes(m))
    )
}

/// `<size> in <n> files` of the snapshot.
pub fn snapshot_size(s: &SnapshotFacts) -> String {
    format!("{} in {} files", bytes(s.bytes), s.files)
}

/// `UNREADABLE: 2 entries could not be read (...)`, or `None` when every entry was read.
pub fn unreadable_line(s: &SnapshotFacts) -> Option<String> {
    let first = s.not_backed_up.first()?;
    let one = s.not_backed_up.len() == 1;
    Some(format!(
        "UNREADABLE: {} entr{} could not be read and {} not in this snapshot (first: {}: {}; \
         `ls` names them all)",
        s.not_backed_up.len(),
        if one { "y" } else { "ies" },
        if one { "is" } else { "are" },
        first.path,
        first.reason
    ))
}

/// The sentence both renderers put at the top of a deployment backup (and `backup` prints
/// at its end): how long Connections was down because of it, and the parts of that time.
/// `None` for a manifest without an outage window (`--no-stop`, or written before the
/// window was recorded).
pub fn outage_sentence(m: &Manifest) -> Option<String> {
    use runbook::manifest::OutageEnd;
    let w = m.outage.as_ref()?;
    let parts = outage_parts(w);
    Some(match w.end {
        OutageEnd::Restarted => format!(
            "Connections was down for {} ({parts})",
            duration_ms(w.down_ms)
        ),
        OutageEnd::RestartFailed => format!(
            "Connections was down for {} and some servers did not start again ({parts})",
            duration_ms(w.down_ms)
        ),
        OutageEnd::LeftStopped => format!(
            "Connections was down for at least {}: the backup left the servers stopped \
             ({parts})",
            duration_ms(w.down_ms)
        ),
    })
}

/// `stop 20.0 s, capture 1 min 05 s, restart 31.0 s` of a window.
pub fn outage_parts(w: &runbook::manifest::OutageWindow) -> String {
    let mut parts = vec![
        format!("stop {}", duration_ms(w.stop.duration_ms)),
        format!("capture {}", duration_ms(w.capture.duration_ms)),
    ];
    if let Some(r) = &w.restart {
        parts.push(format!("restart {}", duration_ms(r.duration_ms)));
    }
    parts.join(", ")
}

/// Column titles of [`outage_rows`].
pub const OUTAGE_COLUMNS: [&str; 4] = ["part", "from", "to", "duration"];

/// The rows of the outage table ([`OUTAGE_COLUMNS`]).
pub fn outage_rows(w: &runbook::manifest::OutageWindow) -> Vec<[String; 4]> {
    let row = |name: &str, s: &runbook::manifest::Span| {
        [
            name.to_string(),
            time_ns(s.started_ns),
            time_ns(s.ended_ns),
            duration_ms(s.duration_ms),
        ]
    };
    let mut rows = vec![row("stop", &w.stop), row("capture", &w.capture)];
    if let Some(r) = &w.restart {
        rows.push(row("restart", r));
    }
    rows
}

fn or_dash(v: Option<&str>) -> String {
    v.unwrap_or("-").to_string()
}

/// A profile row of the topology: profile, type, node, path.
pub fn profile_row(p: &runbook::manifest::ProfileRecord) -> [String; 4] {
    [
        p.name.clone(),
        p.kind.clone(),
        or_dash(p.node.as_deref()),
        p.path.clone(),
    ]
}

/// A server row of the cell's topology: node, server, type, host, cluster.
pub fn cell_server_row(s: &runbook::manifest::ServerRef) -> [String; 5] {
    [
        s.node.clone(),
        s.server.clone(),
        s.kind.clone(),
        or_dash(s.host.as_deref()),
        or_dash(s.cluster.as_deref()),
    ]
}

/// Column titles of [`server_control_row`].
pub const SERVER_CONTROL_COLUMNS: [&str; 8] = [
    "operation",
    "profile",
    "server",
    "type",
    "result",
    "attempts",
    "duration",
    "detail",
];

/// A row of the server stop/start record, columns [`SERVER_CONTROL_COLUMNS`] (the result,
/// index 4, is a status word; attempts and duration are numbers).
pub fn server_control_row(s: &runbook::manifest::ServerRecord) -> [String; 8] {
    [
        s.operation.clone(),
        s.profile.clone(),
        s.server.clone(),
        s.kind.clone(),
        s.result.clone(),
        s.attempts.to_string(),
        duration_ms(s.duration_ms),
        s.detail.clone().unwrap_or_default(),
    ]
}

/// Column titles of [`component_row`], followed by each renderer's paths (and notes).
pub const COMPONENT_COLUMNS: [&str; 7] = [
    "component",
    "step",
    "status",
    "files",
    "dirs",
    "size",
    "duration",
];

/// The facts of one component, columns [`COMPONENT_COLUMNS`] (status at index 2, the
/// counts, size and duration after it are numbers).
pub fn component_row(c: &runbook::manifest::ComponentRecord) -> [String; 7] {
    [
        c.component.to_string(),
        c.procedure_step.clone(),
        word(&c.status),
        c.files.to_string(),
        c.dirs.to_string(),
        bytes(c.bytes),
        duration_ms(c.duration_ms),
    ]
}

/// The columns of a declared component (`[[component]]`) in `show`.
pub const DECLARED_COLUMNS: [&str; 6] =
    ["component", "when", "status", "version", "size", "duration"];

/// The facts of one declared component, columns [`DECLARED_COLUMNS`] (status at index 2).
pub fn declared_row(d: &runbook::manifest::DeclaredRecord) -> [String; 6] {
    [
        d.name.clone(),
        d.when.to_string(),
        word(&d.status),
        d.version.clone().unwrap_or_else(|| "-".into()),
        bytes(d.bytes),
        duration_ms(d.duration_ms),
    ]
}

/// What to say under a declared component: its command, where it is stored, its error.
pub fn declared_notes(d: &runbook::manifest::DeclaredRecord) -> Vec<String> {
    let mut notes = vec![
        format!("command: {}", d.command),
        format!("stored at {} ({})", d.stored_as, d.output),
    ];
    notes.extend(d.log.iter().map(|l| format!("transcript: {l}")));
    notes.extend(d.error.iter().map(|e| format!("error: {e}")));
    notes
}

/// One line per hook that ran.
pub fn hook_lines(m: &Manifest) -> Vec<String> {
    m.hooks
        .iter()
        .map(|h| {
            format!(
                "{}: {} ({}, {})",
                h.hook,
                h.command,
                h.status,
                duration_ms(h.duration_ms)
            )
        })
        .collect()
}

/// Number of role mappings over all applications.
pub fn mapping_count(m: &Manifest) -> usize {
    m.role_mappings
        .applications
        .iter()
        .map(|a| a.mappings.len())
        .sum()
}

/// Total bytes of the database images.
pub fn database_bytes(m: &Manifest) -> u64 {
    m.databases
        .iter()
        .filter_map(|d| d.image.as_ref())
        .map(|i| i.bytes)
        .sum()
}

/// Total bytes of the components that stored their own files (not `stored_with`).
pub fn component_bytes(m: &Manifest) -> u64 {
    m.components
        .iter()
        .filter(|c| c.stored_with.is_none())
        .map(|c| c.bytes)
        .sum()
}
