//! The manifest's summary in the snapshot's application document: enough for `snapshots`
//! to show a backup's set, status, version and components without reading its tree.

use serde::{Deserialize, Serialize};

use super::document::{
    Absence, AbsenceReason, Manifest, SetMember, Status, StepStatus, MANIFEST_PATH,
};
use super::outage::OutageWindow;
use crate::plan::Component;

/// The `kind` of a backup's application document.
pub const SUMMARY_KIND: &str = "cnxbackup.backup";

/// The application document of a backup snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`SUMMARY_KIND`].
    pub kind: String,
    /// The manifest's schema version.
    pub schema_version: u32,
    /// Backup set.
    pub backup_set: String,
    /// Host.
    pub host: String,
    /// `complete` or `incomplete`.
    pub status: Status,
    /// Failed steps as `"<step> <component or database>: <message>"`.
    #[serde(default)]
    pub failed_steps: Vec<String>,
    /// The exact Connections version, when known.
    pub version: Option<String>,
    /// Release for the restore rules.
    pub release: Option<String>,
    /// Cell.
    pub cell: String,
    /// File components: status, files, bytes.
    pub components: Vec<ComponentLine>,
    /// Databases: status and vendor timestamp.
    #[serde(default)]
    pub databases: Vec<DatabaseLine>,
    /// Total bytes of the database images.
    #[serde(default)]
    pub database_bytes: u64,
    /// Where the full manifest is in the snapshot.
    pub manifest: String,
    /// Number of warnings in the manifest.
    #[serde(default)]
    pub warnings: usize,
    /// Components left out on purpose, and why.
    #[serde(default)]
    pub absent: Vec<Absence>,
    /// The outage window (`plan` estimates the next one from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage: Option<OutageWindow>,
}

/// One component in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentLine {
    /// Component.
    pub component: Component,
    /// Outcome.
    pub status: StepStatus,
    /// Files.
    pub files: u64,
    /// Bytes.
    pub bytes: u64,
}

/// One database in the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseLine {
    /// Database.
    pub database: String,
    /// Outcome.
    pub status: StepStatus,
    /// The vendor's timestamp of the image.
    pub vendor_timestamp: Option<String>,
}

impl Manifest {
    /// The application-document summary.
    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }
}

impl Summary {
    /// The summary of `m`.
    pub fn of(m: &Manifest) -> Summary {
        Summary {
            kind: SUMMARY_KIND.to_string(),
            schema_version: m.schema_version,
            backup_set: m.backup_set.clone(),
            host: m.host.clone(),
            status: m.status,
            failed_steps: m
                .failed_steps
                .iter()
                .map(|f| {
                    let what = f
                        .database
                        .clone()
                        .or_else(|| f.component.map(|c| c.to_string()))
                        .unwrap_or_else(|| f.title.clone());
                    format!("{} {what}: {}", f.procedure_step, f.message)
                })
                .collect(),
            version: m.connections.version.clone(),
            release: m.connections.release.clone(),
            cell: m.topology.cell.clone(),
            components: m
                .components
                .iter()
                .map(|c| ComponentLine {
                    component: c.component,
                    status: c.status,
                    files: c.files,
                    bytes: c.bytes,
                })
                .collect(),
            databases: m
                .databases
                .iter()
                .map(|d| DatabaseLine {
                    database: d.database.clone(),
                    status: d.status,
                    vendor_timestamp: d.image.as_ref().and_then(|i| i.vendor_timestamp.clone()),
                })
                .collect(),
            database_bytes: m
                .databases
                .iter()
                .filter_map(|d| d.image.as_ref())
                .map(|i| i.bytes)
                .sum(),
            manifest: MANIFEST_PATH.to_string(),
            warnings: m.warnings.len(),
            outage: m.outage,
            absent: m.absent.clone(),
        }
    }

    /// Whether this backup holds the databases: at least one image, none failed.
    pub fn holds_databases(&self) -> bool {
        !self.databases.is_empty() && self.databases.iter().all(|d| d.status == StepStatus::Ok)
    }

    /// The status counting the backup set. A backup that left its databases to another
    /// host of its set (`--skip-databases --set`) is complete only while a member of the set
    /// (another host, same set) holds them — then that member is returned too — and
    /// INCOMPLETE otherwise; every other backup has the status it was written with.
    /// `members` are the other snapshots of the repository, `(id, summary)`.
    pub fn status_in_set<'a>(
        &self,
        members: impl IntoIterator<Item = (&'a str, &'a Summary)>,
    ) -> (Status, Option<SetMember>) {
        let waiting = self
            .absent
            .iter()
            .any(|a| a.reason == AbsenceReason::SkipDatabases);
        if !waiting {
            return (self.status, None);
        }
        // Written incomplete for another reason too: no member changes that.
        let other_failures = self
            .failed_steps
            .iter()
            .any(|f| !f.contains("--skip-databases"));
        if other_failures {
            return (Status::Incomplete, None);
        }
        let holder = members.into_iter().find(|(_, s)| {
            s.backup_set == self.backup_set && s.host != self.host && s.holds_databases()
        });
        match holder {
            Some((id, s)) => (
                Status::Complete,
                Some(SetMember {
                    host: s.host.clone(),
                    snapshot: id.to_string(),
                }),
            ),
            None => (Status::Incomplete, None),
        }
    }

    /// Reads a summary from a snapshot's application document; `None` when the document
    /// is not a backup summary (a `backup --path` snapshot, another tool's document).
    pub fn from_application(doc: &serde_json::Value) -> Option<Summary> {
        if doc.get("kind").and_then(|k| k.as_str()) != Some(SUMMARY_KIND) {
            return None;
        }
        serde_json::from_value(doc.clone()).ok()
    }

    /// The summary as an application document.
    pub fn to_application(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}
