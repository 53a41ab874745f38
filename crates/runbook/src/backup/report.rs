//! What a backup run did: [`BackupReport`].

use serde::Serialize;
use vault::SnapshotId;

use super::checks::PreflightOutcome;
use crate::manifest::{Manifest, OutageWindow};
use crate::plan::Plan;
use crate::procedure::{Phase, PhaseRecord};

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    /// True for `--dry-run`: nothing was stopped or written.
    pub dry_run: bool,
    /// The plan that ran.
    pub plan: Plan,
    /// What preflight checked.
    pub preflight: PreflightOutcome,
    /// The manifest (for a dry run: none).
    pub manifest: Option<Manifest>,
    /// The snapshot written.
    pub snapshot: Option<String>,
    /// Phase timings in milliseconds, in order.
    pub phases: Vec<(Phase, u64)>,
    /// The phase table: every phase with its status, start, duration and account.
    pub phase_table: Vec<PhaseRecord>,
    /// `--restart` failed for some servers (the snapshot is fine).
    pub restart_failed: Vec<String>,
    /// How long Connections was down on this host because of this run (the manifest's
    /// `outage`; none for a dry run or `--no-stop`). A metrics writer reads it here.
    pub outage: Option<OutageWindow>,
}

impl BackupReport {
    /// True when every required step succeeded (a dry run counts as complete).
    pub fn complete(&self) -> bool {
        self.manifest
            .as_ref()
            .is_none_or(|m| m.status == crate::manifest::Status::Complete)
    }

    /// The snapshot id, parsed.
    pub fn snapshot_id(&self) -> Option<SnapshotId> {
        self.snapshot
            .as_deref()
            .and_then(|s| SnapshotId::from_hex(s).ok())
    }
}
