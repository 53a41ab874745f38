//! Extraction is not a restore.
//!
//! `restore --target DIR` into a directory that holds no installation puts a backup's files
//! where an administrator (or support) can look at them: every component the snapshot
//! holds (an incomplete snapshot's intact ones too), under its product path below DIR,
//! and the snapshot's own `/.cnxbackup` — manifest, role mappings and, unless
//! `--skip-databases`, the database images as files (no database tool runs). The version
//! gate protects installations, and there is none here, so it does not apply; nor does the
//! rule about another host's snapshots. A target that holds an installation is always a
//! restore, gated.

use std::path::Path;
use std::time::Instant;

use super::dbs::{restorable, DatabaseResult};
use super::gate::{GateDecision, TargetState};
use crate::manifest::{Manifest, DATABASES_DIR};

/// Where the snapshot's own files (manifest, role mappings, database images) are.
const META_DIR: &str = "/.cnxbackup";

/// Whether a restore into `target` is an extraction: a target given with `--target` that
/// holds no installation.
pub fn is_extraction(separate_target: bool, target: &TargetState) -> bool {
    separate_target && *target == TargetState::BareMetal
}

/// The gate's place in an extraction's report: no rule applied, and why.
pub fn decision(m: &Manifest) -> GateDecision {
    GateDecision {
        backup_version: m.connections.version.clone(),
        installed_version: None,
        checked_against: None,
        basis: "extraction: the target holds no installation, so the version gate does not \
                apply"
            .into(),
        checks: Vec::new(),
        warnings: Vec::new(),
    }
}

/// Why an extraction could not write the snapshot's own files (`/.cnxbackup`).
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The directory cannot be placed under the target.
    #[error("mapping {} under the target", META_DIR)]
    Target(#[source] websphere::SysrootError),
    /// The restore of the directory failed.
    #[error("extracting {}", META_DIR)]
    Restore(#[source] vault::restore::RestoreError),
    /// Entries of the directory are damaged in the repository.
    #[error(
        "extracting {}: {count} entries damaged, first {first}: {reason}",
        META_DIR
    )]
    Damaged {
        /// How many entries.
        count: usize,
        /// The first one's path.
        first: String,
        /// Why it is damaged.
        reason: String,
    },
}

/// Extracts `/.cnxbackup` (database images left out unless `with_databases`) under the
/// target, and reports each database image as extracted (or that would be).
pub fn extract_metadata(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    m: &Manifest,
    target: &websphere::Sysroot,
    with_databases: bool,
    dry_run: bool,
) -> Result<Vec<DatabaseResult>, ExtractError> {
    let started = Instant::now();
    let real = target
        .real_path(Path::new(META_DIR))
        .map_err(ExtractError::Target)?;
    let opts = vault::restore::RestoreOptions {
        excludes: if with_databases {
            Vec::new()
        } else {
            vec![DATABASES_DIR.to_string()]
        },
        subtree: Some(META_DIR.into()),
        mirror: true,
        dry_run,
        confine_to: Some(target.root().to_path_buf()),
        ..vault::restore::RestoreOptions::default()
    };
    let outcome =
        vault::restore::restore(repo, snapshot, &real, &opts).map_err(ExtractError::Restore)?;
    if let Some(d) = outcome.damaged.first() {
        return Err(ExtractError::Damaged {
            count: outcome.damaged.len(),
            first: d.path.clone(),
            reason: d.reason.clone(),
        });
    }
    if !with_databases {
        return Ok(Vec::new());
    }
    let duration_ms = crate::clock::millis(started);
    Ok(restorable(m)
        .into_iter()
        .map(|(rec, image)| DatabaseResult {
            database: rec.database.clone(),
            vendor: image.vendor.to_string(),
            vendor_timestamp: image.vendor_timestamp.clone(),
            status: if dry_run {
                "would_extract".into()
            } else {
                "extracted".into()
            },
            commands: Vec::new(),
            bytes: image.bytes,
            duration_ms,
            message: Some(format!(
                "image file(s) under {}: {}",
                target.root().display(),
                rec.stored_paths.join(", ")
            )),
            warnings: Vec::new(),
        })
        .collect())
}
