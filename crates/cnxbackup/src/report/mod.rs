//! Reports of one snapshot, for `cnxbackup show`: the snapshot's own facts and, for a
//! deployment backup, its manifest (`/.cnxbackup/manifest.json`).
//!
//! [`ShowReport`] is the data (and, serialised, the `--json` document: see
//! `docs/schemas/show.schema.json`); [`text`] renders it for the terminal and [`html`] as a
//! self-contained page for a change ticket. Both renderers read only the report, so what
//! the terminal shows and what the ticket gets cannot drift apart.

pub mod html;
pub mod text;

use runbook::manifest::Manifest;
use serde::Serialize;
use vault::{Snapshot, SnapshotId};

/// Version of the `show --json` document (`schema_version`).
pub const SHOW_SCHEMA_VERSION: u32 = 1;

/// Everything `show` reports about one snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct ShowReport {
    /// [`SHOW_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// What the repository records for every snapshot.
    pub snapshot: SnapshotFacts,
    /// The deployment manifest; `None` for a snapshot that is not a deployment backup
    /// (e.g. `backup --path`).
    pub manifest: Option<Manifest>,
    /// For a backup that left its databases to another host of its set
    /// (`--skip-databases`): its status counting the set now — COMPLETE only while a member
    /// of the set holds the databases — and that member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_status: Option<SetStatus>,
}

/// A backup's status counting its backup set.
#[derive(Debug, Clone, Serialize)]
pub struct SetStatus {
    /// `complete` or `incomplete`.
    pub status: runbook::manifest::Status,
    /// The member holding what this backup left out, when one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_by: Option<runbook::manifest::SetMember>,
}

/// The snapshot document's facts (whatever wrote the snapshot).
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotFacts {
    /// Full snapshot id (hex).
    pub id: String,
    /// Snapshot time, `YYYY-MM-DD hh:mm:ss UTC`.
    pub time: String,
    /// Snapshot time, Unix nanoseconds.
    pub time_ns: i64,
    /// Host name recorded.
    pub host: String,
    /// Source paths as given to the backup.
    pub paths: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Parent snapshot used for change detection.
    pub parent: Option<String>,
    /// User who ran the backup.
    pub username: String,
    /// Program (and version) that wrote the snapshot.
    pub program_version: String,
    /// Regular files in the snapshot.
    pub files: u64,
    /// Total size of the files.
    pub bytes: u64,
    /// Whether the snapshot is a deployment backup (has a manifest).
    pub deployment_backup: bool,
    /// Entries the backup could not read, so not in the snapshot (`snapshots` marks such a
    /// snapshot UNREADABLE; `ls` and `restore` name each as MISSING).
    pub not_backed_up: Vec<vault::NotBackedUp>,
}

impl SnapshotFacts {
    /// The facts of snapshot `id`.
    pub fn of(id: &SnapshotId, snap: &Snapshot) -> SnapshotFacts {
        let s = &snap.summary;
        SnapshotFacts {
            id: id.to_hex(),
            time: vault::format_unix_ns(snap.time),
            time_ns: snap.time,
            host: snap.host.clone(),
            paths: snap.paths.clone(),
            tags: snap.tags.clone(),
            parent: snap.parent.map(|p| p.to_hex()),
            username: snap.username.clone(),
            program_version: snap.program_version.clone(),
            files: s.files_new + s.files_changed + s.files_unchanged,
            bytes: s.bytes_total,
            deployment_backup: runbook::restore::is_deployment_backup(snap),
            not_backed_up: s.not_backed_up.clone(),
        }
    }

    /// `UNREADABLE: 2 entries could not be read (...)`, or `None` when every entry was read.
    pub fn unreadable_line(&self) -> Option<String> {
        let first = self.not_backed_up.first()?;
        Some(format!(
            "UNREADABLE: {} entr{} could not be read and {} not in this snapshot (first: {}: \
             {}; `ls` names them all)",
            self.not_backed_up.len(),
            if self.not_backed_up.len() == 1 {
                "y"
            } else {
                "ies"
            },
            if self.not_backed_up.len() == 1 {
                "is"
            } else {
                "are"
            },
            first.path,
            first.reason
        ))
    }

    /// The first 8 hex digits of the id (what `snapshots` prints).
    pub fn short_id(&self) -> &str {
        self.id.get(..8).unwrap_or(&self.id)
    }
}

impl ShowReport {
    /// The report of snapshot `id`, with its manifest when it has one.
    pub fn new(id: &SnapshotId, snap: &Snapshot, manifest: Option<Manifest>) -> ShowReport {
        ShowReport {
            schema_version: SHOW_SCHEMA_VERSION,
            snapshot: SnapshotFacts::of(id, snap),
            manifest,
            set_status: None,
        }
    }

    /// `COMPLETE` or `INCOMPLETE`, counting the backup set.
    pub fn status_word(&self) -> &'static str {
        match (&self.manifest, &self.set_status) {
            (Some(_), Some(s)) => match s.status {
                runbook::manifest::Status::Complete => "COMPLETE",
                runbook::manifest::Status::Incomplete => "INCOMPLETE",
            },
            (Some(m), None) => status_word(m),
            (None, _) => "-",
        }
    }

    /// The member of the set that holds what this backup left out, when one does now.
    pub fn held_by(&self) -> Option<&runbook::manifest::SetMember> {
        self.set_status.as_ref().and_then(|s| s.held_by.as_ref())
    }
}

/// What a backup does not hold and why, one line each (`--skip-databases` given, the set
/// member holding them, the IIM state left out).
pub fn absent_lines(
    m: &Manifest,
    completed_by: Option<&runbook::manifest::SetMember>,
) -> Vec<String> {
    m.absent
        .iter()
        .map(|a| {
            let now = match (a.reason, completed_by) {
                (runbook::manifest::AbsenceReason::SkipDatabases, Some(by)) => format!(
                    "; set member {} now holds them (snapshot {})",
                    by.host,
                    by.snapshot.get(..8).unwrap_or(&by.snapshot)
                ),
                (runbook::manifest::AbsenceReason::SkipDatabases, None) => {
                    "; no member of the set holds them now".to_string()
                }
                _ => String::new(),
            };
            format!("{}: {}{now}", a.component, a.message)
        })
        .collect()
}

/// The sentence both renderers print for a snapshot without a manifest.
pub const NO_MANIFEST: &str = "This snapshot has no deployment manifest: it was not written \
     by the deployment procedure (`cnxbackup backup` without --path), so there is no \
     version, plan or database record to show.";

// ------------------------------------------------------------ shared formatting

pub use crate::ui::format::{bytes, duration_ms, json_word as word, time_ns};

/// `COMPLETE` or `INCOMPLETE`.
pub fn status_word(m: &Manifest) -> &'static str {
    match m.status {
        runbook::manifest::Status::Complete => "COMPLETE",
        runbook::manifest::Status::Incomplete => "INCOMPLETE",
    }
}

/// Wall time of the run (finish − start), never negative.
pub fn run_ms(m: &Manifest) -> u64 {
    u64::try_from((m.finished_ns - m.started_ns) / 1_000_000).unwrap_or(0)
}

/// One version source as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceLine {
    /// What kind of source (`Installation Manager installed.xml`).
    pub source: String,
    /// The product path it was read from.
    pub path: String,
    /// What it says.
    pub value: String,
}

/// The version evidence of the manifest as lines. The manifest stores it as `discover
/// --json` prints it; it is read through the discovery type when it has that shape, and
/// otherwise shown key by key, so a newer writer's evidence still appears.
pub fn evidence_lines(evidence: &serde_json::Value) -> Vec<EvidenceLine> {
    use connections::version::VersionEvidence;
    if evidence.is_null() {
        return Vec::new();
    }
    if let Ok(ev) = serde_json::from_value::<VersionEvidence>(evidence.clone()) {
        let mut out = Vec::new();
        if let Some(e) = &ev.iim {
            out.push(line(e.source, &e.path, e.value.to_string()));
        }
        if let Some(e) = &ev.launcher {
            out.push(line(e.source, &e.path, e.value.to_string()));
        }
        if let Some(e) = &ev.buildlevel {
            out.push(line(e.source, &e.path, e.value.to_string()));
        }
        if let Some(e) = &ev.ifixes {
            let ids: Vec<String> = e.value.iter().map(ToString::to_string).collect();
            let value = if ids.is_empty() {
                String::from("no iFixes")
            } else {
                ids.join(", ")
            };
            out.push(line(e.source, &e.path, value));
        }
        // keys a newer writer added are shown as they are
        if let serde_json::Value::Object(map) = evidence {
            let unknown: serde_json::Map<String, serde_json::Value> = map
                .iter()
                .filter(|(k, _)| !KNOWN_EVIDENCE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.extend(generic_evidence(&serde_json::Value::Object(unknown)));
        }
        return out;
    }
    generic_evidence(evidence)
}

/// The evidence keys [`connections::version::VersionEvidence`] has.
const KNOWN_EVIDENCE: [&str; 4] = ["iim", "launcher", "buildlevel", "ifixes"];

fn line(source: impl std::fmt::Display, path: &str, value: String) -> EvidenceLine {
    EvidenceLine {
        source: source.to_string(),
        path: path.to_string(),
        value,
    }
}

/// Evidence of a shape this code does not know: one line per key.
fn generic_evidence(evidence: &serde_json::Value) -> Vec<EvidenceLine> {
    let plain = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match evidence {
        serde_json::Value::Object(map) => map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(key, v)| EvidenceLine {
                source: v
                    .get("source")
                    .map(plain)
                    .unwrap_or_else(|| key.to_string()),
                path: v.get("path").map(plain).unwrap_or_default(),
                value: v.get("value").map(plain).unwrap_or_else(|| plain(v)),
            })
            .collect(),
        other => vec![EvidenceLine {
            source: String::from("evidence"),
            path: String::new(),
            value: plain(other),
        }],
    }
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

/// What a failed step was working on, as a suffix of its title: ` (database X)`,
/// ` (component)` or nothing.
pub fn failed_step_subject(f: &runbook::manifest::FailedStep) -> String {
    match (&f.database, &f.component) {
        (Some(db), _) => format!(" (database {db})"),
        (None, Some(c)) => format!(" ({c})"),
        (None, None) => String::new(),
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

/// The sentence both renderers put at the top of a deployment backup: how long Connections
/// was down because of it, and the parts of that time. `None` for a manifest without an
/// outage window (`--no-stop`, or written before the window was recorded).
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

#[cfg(test)]
mod tests;
