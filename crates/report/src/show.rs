//! The report of one snapshot (`cnxbackup show`): the snapshot's own facts and, for a
//! deployment backup, its manifest (`/.cnxbackup/manifest.json`).
//!
//! [`ShowReport`] is the data and, serialised, the `--json` document (see
//! `docs/schemas/show.schema.json`). [`evidence_lines`] reads the version evidence the
//! manifest carries, also when a newer writer gave it a shape this code does not know.

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

    /// `COMPLETE` or `INCOMPLETE`, counting the backup set; `-` without a manifest.
    pub fn status_word(&self) -> &'static str {
        let status = match (&self.manifest, &self.set_status) {
            (Some(_), Some(s)) => s.status,
            (Some(m), None) => m.status,
            (None, _) => return "-",
        };
        match status {
            runbook::manifest::Status::Complete => "COMPLETE",
            runbook::manifest::Status::Incomplete => "INCOMPLETE",
        }
    }

    /// The member of the set that holds what this backup left out, when one does now.
    pub fn held_by(&self) -> Option<&runbook::manifest::SetMember> {
        self.set_status.as_ref().and_then(|s| s.held_by.as_ref())
    }
}

/// What a backup does not hold and why, one line each (`--skip-databases` given, the set
/// member holding them, the IIM state left out).
pub fn absent_lines(m: &Manifest, held_by: Option<&runbook::manifest::SetMember>) -> Vec<String> {
    use runbook::manifest::AbsenceReason;
    m.absent
        .iter()
        .map(|a| {
            let now = match (a.reason, held_by) {
                (AbsenceReason::SkipDatabases, Some(by)) => format!(
                    "; set member {} now holds them (snapshot {})",
                    by.host,
                    by.snapshot.get(..8).unwrap_or(&by.snapshot)
                ),
                (AbsenceReason::SkipDatabases, None) => {
                    "; no member of the set holds them now".to_string()
                }
                _ => String::new(),
            };
            format!("{}: {}{now}", a.component, a.message)
        })
        .collect()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evidence_is_read_through_the_discovery_type_and_unknown_shapes_still_show() {
        // as `discover --json` writes it into the manifest
        let evidence = json!({
            "iim": {"source": "iim_installed",
                "path": "/var/ibm/InstallationManager/installed.xml",
                "value": "8.0.0.0_CR3"},
            "launcher": null, "buildlevel": null,
            "ifixes": {"source": "efix_files", "path": "/opt/IBM/Connections/version",
                "value": ["KB0102411"]}
        });
        let lines = evidence_lines(&evidence);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0].source, "Installation Manager installed.xml");
        assert_eq!(lines[0].value, "8.0.0.0_CR3");
        assert_eq!(lines[1].value, "KB0102411");
        let odd = evidence_lines(&json!({"future": {"path": "/p", "value": "v9"}}));
        assert_eq!(
            odd,
            vec![EvidenceLine {
                source: "future".into(),
                path: "/p".into(),
                value: "v9".into()
            }]
        );
        assert!(evidence_lines(&serde_json::Value::Null).is_empty());
    }

    #[test]
    fn the_facts_of_a_plain_snapshot_say_it_is_no_deployment_backup() {
        let snap: Snapshot = serde_json::from_value(json!({
            "time": 1_795_000_090_000_000_000_i64, "host": "cnx1",
            "paths": ["/srv"], "tags": [], "tree": "00".repeat(32),
            "summary": {"files_new": 10, "files_unchanged": 2, "bytes_total": 123_456}
        }))
        .unwrap();
        let report = ShowReport::new(&SnapshotId([7u8; 32]), &snap, None);
        assert_eq!(report.schema_version, SHOW_SCHEMA_VERSION);
        assert_eq!(report.snapshot.short_id(), "07070707");
        assert_eq!(report.snapshot.files, 12);
        assert!(!report.snapshot.deployment_backup && report.manifest.is_none());
    }
}
