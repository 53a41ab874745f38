//! The set in the repository: the set document as a `plan` record, every host's server stops
//! and starts as records, and the member snapshots (tagged `set:<ID>`).

use serde::{Deserialize, Serialize};

use super::check::{check_set, SetVerdict};
use super::document::{CellStop, SetDocument, SetMember};
use crate::manifest::RoleMappingsExport;
use crate::servers::{ControlReport, Operation, Outcome};

/// Record kind of the set document.
pub const PLAN_RECORD: &str = "plan";
/// Record kind of a host's servers stop or start.
pub const SERVERS_RECORD: &str = "servers";
/// Record kind of the role mappings exported while the cell ran.
pub const ROLE_MAPPINGS_RECORD: &str = "role_mappings";

/// What went wrong reading or writing a set.
#[derive(Debug, thiserror::Error)]
pub enum CellSetError {
    /// The repository failed.
    #[error("backup set {set}: the repository failed")]
    Repository {
        /// The set.
        set: String,
        /// Why.
        #[source]
        source: vault::VaultError,
    },
    /// No set document was ever recorded for the set.
    #[error(
        "backup set {set} has no set document in the repository; plan it first on the \
         deployment manager's host: cnxbackup set plan {set} --shared-data-host HOST \
         --databases-host HOST"
    )]
    NoPlan {
        /// The set.
        set: String,
    },
    /// A record's document is not what its kind says.
    #[error("backup set {set}: record {object} ({kind}) cannot be read")]
    BadRecord {
        /// The set.
        set: String,
        /// The object.
        object: String,
        /// The record kind.
        kind: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The set id cannot be used.
    #[error(
        "{set:?} is not a usable backup-set id: up to 64 characters, letters, digits, '.', '_' and '-'"
    )]
    BadId {
        /// The id given.
        set: String,
    },
}

/// Stop or start, as a set record says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServersOperation {
    /// Servers were stopped.
    Stop,
    /// Servers were started.
    Start,
}

/// A host's servers stop or start, as recorded in the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServersRecord {
    /// `stop` or `start`.
    pub operation: ServersOperation,
    /// When the command began (Unix nanoseconds).
    pub began_ns: i64,
    /// When every server it handled had stopped or started.
    pub ended_ns: i64,
    /// Whether every server ended as asked.
    pub ok: bool,
    /// The servers it actually stopped or started (not those already in that state).
    pub changed: Vec<String>,
}

impl ServersRecord {
    /// The record of `report`, which began at `began_ns`.
    pub fn of(report: &ControlReport, began_ns: i64, ended_ns: i64) -> ServersRecord {
        ServersRecord {
            operation: match report.operation {
                Operation::Stop => ServersOperation::Stop,
                Operation::Start => ServersOperation::Start,
            },
            began_ns,
            ended_ns,
            ok: report.ok(),
            changed: report
                .servers
                .iter()
                .filter(|s| {
                    matches!(
                        s.outcome,
                        Outcome::Stopped | Outcome::Killed { .. } | Outcome::Started
                    )
                })
                .map(|s| s.server.clone())
                .collect(),
        }
    }
}

fn check_id(set: &str) -> Result<(), CellSetError> {
    if crate::backup::valid_backup_set_id(set) {
        Ok(())
    } else {
        Err(CellSetError::BadId {
            set: set.to_owned(),
        })
    }
}

fn repository(set: &str) -> impl Fn(vault::VaultError) -> CellSetError + '_ {
    move |source| CellSetError::Repository {
        set: set.to_owned(),
        source,
    }
}

fn record(set: &str, kind: &str, host: &str, document: serde_json::Value) -> vault::SetRecord {
    vault::SetRecord {
        format_version: vault::FORMAT_VERSION,
        set: set.to_owned(),
        kind: kind.to_owned(),
        time: vault::now_unix_ns(),
        host: host.to_owned(),
        document,
    }
}

/// Writes the set document; returns the record id. A later plan of the same set replaces
/// it (the newest counts).
pub fn record_plan(repo: &vault::Repository, doc: &SetDocument) -> Result<String, CellSetError> {
    check_id(&doc.set)?;
    let value = serde_json::to_value(doc).map_err(|source| CellSetError::BadRecord {
        set: doc.set.clone(),
        object: "(new)".into(),
        kind: PLAN_RECORD.into(),
        source,
    })?;
    repo.save_set_record(&record(&doc.set, PLAN_RECORD, &doc.planned_by, value))
        .map_err(repository(&doc.set))
}

/// Writes a host's servers stop or start into the set; returns the record id.
pub fn record_servers(
    repo: &vault::Repository,
    set: &str,
    host: &str,
    servers: &ServersRecord,
) -> Result<String, CellSetError> {
    check_id(set)?;
    let value = serde_json::to_value(servers).map_err(|source| CellSetError::BadRecord {
        set: set.to_owned(),
        object: "(new)".into(),
        kind: SERVERS_RECORD.into(),
        source,
    })?;
    repo.save_set_record(&record(set, SERVERS_RECORD, host, value))
        .map_err(repository(set))
}

/// Writes the role mappings exported on `host` while the cell ran (phase 2 of a cell's
/// backup, before the cell-wide stop); returns the record id.
pub fn record_role_mappings(
    repo: &vault::Repository,
    set: &str,
    host: &str,
    export: &RoleMappingsExport,
) -> Result<String, CellSetError> {
    check_id(set)?;
    let value = serde_json::to_value(export).map_err(|source| CellSetError::BadRecord {
        set: set.to_owned(),
        object: "(new)".into(),
        kind: ROLE_MAPPINGS_RECORD.into(),
        source,
    })?;
    repo.save_set_record(&record(set, ROLE_MAPPINGS_RECORD, host, value))
        .map_err(repository(set))
}

/// Role mappings exported while the cell ran, as recorded in the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRoleMappings {
    /// The record id.
    pub record: String,
    /// The host that exported them (the deployment manager's).
    pub host: String,
    /// When (Unix nanoseconds).
    pub time_ns: i64,
    /// What was exported.
    pub export: RoleMappingsExport,
}

/// The newest role mappings record of `set`, if any. An unreadable record is skipped with a
/// warning (the member's own export of the deployed bindings still counts).
pub fn load_role_mappings(
    repo: &vault::Repository,
    set: &str,
) -> Result<Option<SetRoleMappings>, CellSetError> {
    check_id(set)?;
    let mut newest: Option<SetRoleMappings> = None;
    for (object, rec) in repo.list_set_records(Some(set)).map_err(repository(set))? {
        let Ok(rec) = rec else { continue };
        if rec.kind != ROLE_MAPPINGS_RECORD || newest.as_ref().is_some_and(|n| n.time_ns > rec.time)
        {
            continue;
        }
        match serde_json::from_value::<RoleMappingsExport>(rec.document) {
            Ok(export) => {
                newest = Some(SetRoleMappings {
                    record: object,
                    host: rec.host,
                    time_ns: rec.time,
                    export,
                })
            }
            Err(e) => {
                tracing::warn!(object, error = %e, "role mappings record cannot be read; skipped")
            }
        }
    }
    Ok(newest)
}

/// The set document as recorded: the newest plan, with the cell-wide stop from the hosts'
/// servers records — from the last moment a server was stopped to the first moment one was
/// started again (stops and starts that changed nothing do not count). Unreadable records
/// are skipped with a warning: a missing stop then shows in the check.
pub fn load_set(repo: &vault::Repository, set: &str) -> Result<SetDocument, CellSetError> {
    check_id(set)?;
    let mut plan: Option<SetDocument> = None;
    let mut stopped: Option<i64> = None;
    let mut started: Option<i64> = None;
    for (object, rec) in repo.list_set_records(Some(set)).map_err(repository(set))? {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(object, error = %e, "set record cannot be read; skipped");
                continue;
            }
        };
        let bad = |source| CellSetError::BadRecord {
            set: set.to_owned(),
            object: object.clone(),
            kind: rec.kind.clone(),
            source,
        };
        match rec.kind.as_str() {
            PLAN_RECORD => plan = Some(serde_json::from_value(rec.document.clone()).map_err(bad)?),
            SERVERS_RECORD => {
                let s: ServersRecord = serde_json::from_value(rec.document.clone()).map_err(bad)?;
                if s.changed.is_empty() {
                    continue;
                }
                match s.operation {
                    ServersOperation::Stop => stopped = stopped.max(Some(s.ended_ns)),
                    ServersOperation::Start => {
                        started = Some(started.map_or(s.began_ns, |t| t.min(s.began_ns)))
                    }
                }
            }
            other => tracing::debug!(object, kind = other, "set record of another kind"),
        }
    }
    let mut doc = plan.ok_or_else(|| CellSetError::NoPlan {
        set: set.to_owned(),
    })?;
    // only starts after the stop end the outage (the cell was running before it)
    doc.stop = stopped.map(|stopped_ns| CellStop {
        stopped_ns,
        started_ns: started.filter(|s| *s >= stopped_ns),
    });
    Ok(doc)
}

/// The member snapshots of `set` (every snapshot tagged `set:<ID>`): deployment backups
/// through their manifests, other snapshots (a web server's configuration backed up with
/// `backup --path … --tag set:<ID>`) through their own facts.
pub fn load_members(repo: &vault::Repository, set: &str) -> Result<Vec<SetMember>, CellSetError> {
    let tag = format!("set:{set}");
    let mut members = Vec::new();
    for (id, snap) in repo.list_snapshots().map_err(repository(set))? {
        let snap = match snap {
            Ok(s) => s,
            Err(e) => {
                // it may be a member: the host it would be shows as missing in the check
                tracing::warn!(snapshot = %id, error = %e, "snapshot cannot be read; skipped");
                continue;
            }
        };
        if !snap.tags.contains(&tag) {
            continue;
        }
        let id = id.to_hex();
        let member = if crate::restore::is_deployment_backup(&snap) {
            match crate::restore::read_manifest(repo, &snap) {
                Ok(m) => SetMember::from_manifest(&id, &m),
                Err(e) => {
                    tracing::warn!(snapshot = %id, error = %e, "member manifest cannot be read");
                    SetMember::unreadable(&id, &snap)
                }
            }
        } else {
            SetMember::from_snapshot(&id, &snap)
        };
        members.push(member);
    }
    Ok(members)
}

/// Proves `set`: its document against its members ([`check_set`]).
pub fn prove_set(repo: &vault::Repository, set: &str) -> Result<SetVerdict, CellSetError> {
    let doc = load_set(repo, set)?;
    let members = load_members(repo, set)?;
    Ok(check_set(&doc, &members))
}
