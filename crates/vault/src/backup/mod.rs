//! Backup: paths in, a snapshot out.
//!
//! The pipeline, one file per stage (see docs/VAULT.md for the whole picture):
//!
//! ```text
//!  walk (main thread) ──FileJob──▶ read ×8 ──chunk+hash──▶ save_blob ×cores
//!    │  lstat, exclude,              │  open O_NOFOLLOW,         compress, seal,
//!    │  compare with parent          │  SEEK_DATA/HOLE,          pack, upload
//!    │  (unchanged files reuse       │  FastCDC (keyed)
//!    │   their content ids)          ▼
//!    └───────────◀──FileDone── save_tree (main thread): a directory's tree blob is
//!                               written once its last file and subdirectory are done
//! ```
//!
//! Channels between stages are bounded, so memory stays bounded however large the input.
//! The snapshot is written last, after [`Repository::flush`] made every blob durable.

mod chunk;
mod parent;
mod paths;
mod pipeline;
mod read;
mod save_blob;
mod save_tree;
mod summary;
mod walk;

use std::path::PathBuf;
use std::time::Duration;

pub use summary::{BackupSummary, BackupWarning, WarningKind};

use crate::{Repository, Snapshot, SnapshotId, VaultError};

/// Which snapshot to compare with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ParentChoice {
    /// The newest snapshot with the same host and paths (the default).
    #[default]
    Auto,
    /// No parent: read every file.
    None,
    /// This snapshot (id, unique prefix or "latest").
    Explicit(String),
}

/// What to back up and how.
#[derive(Debug, Clone)]
pub struct BackupOptions {
    /// Host name recorded in the snapshot (and used to find the parent).
    pub host: String,
    pub tags: Vec<String>,
    /// Glob patterns (globset syntax). A pattern without '/' matches a file name anywhere;
    /// a pattern with '/' matches the absolute path.
    pub excludes: Vec<String>,
    pub parent: ParentChoice,
    /// Opaque document stored in the snapshot (the runbook's manifest summary).
    pub application: Option<serde_json::Value>,
    /// Threads reading files (more than cores: small-file reads wait on I/O).
    pub read_threads: usize,
    /// Threads compressing, sealing and packing blobs.
    pub save_threads: usize,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            host: crate::util::hostname(),
            tags: Vec::new(),
            excludes: Vec::new(),
            parent: ParentChoice::Auto,
            application: None,
            read_threads: 8,
            save_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// The result of a backup that wrote a snapshot.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    pub snapshot_id: SnapshotId,
    pub snapshot: Snapshot,
    /// The snapshot used for change detection, if any.
    pub parent: Option<SnapshotId>,
    pub summary: BackupSummary,
    /// Files that changed, vanished or could not be read (the snapshot was still written).
    pub warnings: Vec<BackupWarning>,
    pub duration: Duration,
}

/// Why a backup wrote no snapshot.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Repository(#[from] VaultError),
    #[error("{path}: {source}")]
    Source {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid backup path {path}: {reason}")]
    InvalidPath { path: PathBuf, reason: String },
    #[error("invalid exclude pattern \"{pattern}\": {reason}")]
    BadExclude { pattern: String, reason: String },
    #[error("internal error in the backup pipeline: {0}")]
    Internal(String),
}

/// Backs up `paths` into `repo` and writes a snapshot.
///
/// Files that change, vanish or cannot be read while the backup runs become warnings in
/// the outcome; repository errors (disk full, ...) abort the backup before any snapshot is
/// written, leaving the repository consistent (packs already uploaded are reused next time).
pub fn backup(
    repo: &Repository,
    paths: &[PathBuf],
    opts: &BackupOptions,
) -> Result<BackupOutcome, BackupError> {
    pipeline::run(repo, paths, opts)
}
