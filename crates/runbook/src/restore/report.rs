//! What a restore did (or, dry run, would do): [`RestoreReport`], with its [`Mode`] and
//! what became of the pre-restore snapshot ([`PreRestoreOutcome`]).

use serde::Serialize;

use super::prerestore::{PreRestore, SavedPath};
use super::{dbs, files, gate, select, totals};
use crate::pick::{HostCheck, Picked};
use crate::servers::RunningServer;

/// Restore, or extraction into a directory that holds no installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Gated restore onto a target that holds an installation (or onto this host).
    Restore,
    /// Extraction into a directory that holds none.
    Extract,
}

/// What became of the pre-restore snapshot.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum PreRestoreOutcome {
    /// Taken: its id, what it holds and what it cost.
    Taken(PreRestore),
    /// Dry run: what it would hold.
    Planned {
        /// The paths it would save.
        paths: Vec<SavedPath>,
    },
    /// The target holds none of the paths (an extraction into an empty directory).
    NothingToSave,
    /// `--no-pre-restore`.
    Off,
}

impl PreRestoreOutcome {
    /// The snapshot taken, if any.
    pub fn taken(&self) -> Option<&PreRestore> {
        match self {
            PreRestoreOutcome::Taken(p) => Some(p),
            _ => None,
        }
    }
}

/// What a restore did (or, dry run, would do).
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The snapshot.
    pub snapshot: String,
    /// The target root.
    pub target: String,
    /// Nothing was touched.
    pub dry_run: bool,
    /// Restore or extraction.
    pub mode: Mode,
    /// Backup set and host of the snapshot.
    pub backup_set: String,
    /// Host the backup was taken on.
    pub host: String,
    /// The host rule's verdict (none for an extraction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_check: Option<HostCheck>,
    /// How `latest` chose the snapshot (and the newer incomplete ones it passed over).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot_choice: Option<Picked>,
    /// The selection.
    pub selection: select::Selection,
    /// The gate's decision (for an extraction: why none applies).
    pub gate: gate::GateDecision,
    /// The snapshot of what the restore replaced (tag `pre-restore`).
    pub pre_restore: PreRestoreOutcome,
    /// Sums over components and databases (runtime files counted apart).
    pub totals: totals::Totals,
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
    /// The declared components restored through their restore commands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub declared: Vec<crate::declared::DeclaredResult>,
}

impl RestoreReport {
    /// True when every step succeeded (and, for a real run, the version was confirmed).
    pub fn ok(&self) -> bool {
        self.databases.iter().all(|d| d.status != "failed")
            && self.components.iter().all(|c| {
                matches!(
                    c.status.as_str(),
                    "restored" | "would_restore" | "extracted" | "would_extract"
                )
            })
            && self.version_confirmed != Some(false)
            && self.declared.iter().all(|d| d.status != "failed")
    }

    /// Regular files written over all components (the in-place restore's "rewritten").
    pub fn files_written(&self) -> u64 {
        self.components.iter().map(|c| c.files_written).sum()
    }
}
