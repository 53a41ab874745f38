//! What a restore did (or, dry run, would do): [`RestoreReport`].

use serde::Serialize;

use super::{dbs, files, gate, select};
use crate::servers::RunningServer;

/// What a restore did (or, dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The snapshot.
    pub snapshot: String,
    /// The target root.
    pub target: String,
    /// Nothing was touched.
    pub dry_run: bool,
    /// Backup set and host of the snapshot.
    pub backup_set: String,
    /// Host the backup was taken on.
    pub host: String,
    /// The selection.
    pub selection: select::Selection,
    /// The gate's decision.
    pub gate: gate::GateDecision,
    /// Servers stopped with `--stop`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stopped: Vec<String>,
    /// Servers found running (dry run only; a real run refuses).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub running: Vec<RunningServer>,
    /// Databases, in restore order.
    pub databases: Vec<dbs::DatabaseResult>,
    /// File components, in restore order.
    pub components: Vec<files::ComponentResult>,
    /// The version at the target after the restore.
    pub version_after: Option<String>,
    /// The version the restore was meant to leave at the target.
    pub version_expected: Option<String>,
    /// `version_after == version_expected` (None for dry runs).
    pub version_confirmed: Option<bool>,
    /// Notes the administrator must read.
    pub warnings: Vec<String>,
    /// Wall time.
    pub duration_ms: u64,
    /// The phase table: every phase with its status, start, duration and account.
    pub phases: Vec<crate::procedure::PhaseRecord>,
}

impl RestoreReport {
    /// True when every step succeeded (and, for a real run, the version was confirmed).
    pub fn ok(&self) -> bool {
        self.databases.iter().all(|d| d.status != "failed")
            && self
                .components
                .iter()
                .all(|c| c.status == "restored" || c.status == "would_restore")
            && self.version_confirmed != Some(false)
    }

    /// Regular files written over all components (the in-place restore's "rewritten").
    pub fn files_written(&self) -> u64 {
        self.components.iter().map(|c| c.files_written).sum()
    }
}
