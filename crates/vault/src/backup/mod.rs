//! Backup: sources in, a snapshot out.
//!
//! [`backup_sources`] takes [`BackupSource`]s — real paths stored under a (possibly
//! different) absolute stored path, streams, bytes — and writes one snapshot whose `paths`
//! are the stored paths. [`backup`] is the same with every path stored under itself.
//! [`backup_sources_with_finish`] adds files and the application document once every source
//! is saved, from the per-source [`SourceReport`]s, to the same snapshot.
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
mod finish;
mod gate;
mod parent;
mod paths;
mod pipeline;
mod read;
mod save_blob;
mod save_tree;
mod source;
mod summary;
mod walk;

use std::path::PathBuf;
use std::time::Duration;

pub use source::{BackupSource, FinishAdditions, Pending, PendingSender, SourceKind, SourceReport};
pub use summary::{BackupSummary, BackupWarning, WarningKind};

use crate::{Repository, Snapshot, SnapshotId, VaultError};

/// Which snapshot to compare with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ParentChoice {
    /// The newest snapshot with the same host and stored paths (the default).
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
    /// Glob patterns (globset syntax) for every source. A pattern without '/' matches a file
    /// name anywhere; a pattern with '/' matches the absolute stored path or the absolute
    /// real path of an entry (the same for absolute paths given to [`backup`]).
    pub excludes: Vec<String>,
    pub parent: ParentChoice,
    /// Opaque document stored in the snapshot (the runbook's manifest summary).
    pub application: Option<serde_json::Value>,
    /// Threads reading files (more than cores: small-file reads wait on I/O).
    pub read_threads: usize,
    /// Threads compressing, sealing and packing blobs.
    pub save_threads: usize,
    /// How often the walker gives the repository a chance to write an index checkpoint
    /// ([`Repository::checkpoint_if_due`]) while files are being read.
    pub checkpoint_every: Duration,
    /// Live counters for a progress display: files and bytes found by the walk (totals)
    /// and read (done).
    pub progress: Option<std::sync::Arc<crate::Progress>>,
    /// Told once (one `()`), as soon as every source except the
    /// [pending](BackupSource::Pending) ones has been read: every file's bytes are in the
    /// pipeline, nothing more will be read from them (the deployment backup starts the
    /// servers again then, while the rest is still being stored).
    pub read_notice: Option<std::sync::mpsc::Sender<()>>,
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
            checkpoint_every: Duration::from_secs(5),
            progress: None,
            read_notice: None,
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
    /// One report per source, in the order given.
    pub sources: Vec<SourceReport>,
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
/// Absolute paths are stored under themselves; relative ones below the snapshot root
/// relative to the working directory (`.` is the root). Files that change, vanish or cannot
/// be read while the backup runs become warnings in the outcome; repository errors (disk
/// full, ...) abort the backup before any snapshot is written, leaving the repository
/// consistent (packs already uploaded are reused next time).
pub fn backup(
    repo: &Repository,
    paths: &[PathBuf],
    opts: &BackupOptions,
) -> Result<BackupOutcome, BackupError> {
    // only relative paths need the working directory (which may be gone)
    let cwd = if paths.iter().any(|p| p.is_relative()) {
        std::env::current_dir().map_err(|source| BackupError::Source {
            path: PathBuf::from("."),
            source,
        })?
    } else {
        PathBuf::from("/")
    };
    let sources = paths::user_paths(paths, &cwd)?
        .into_iter()
        .map(|(real, stored)| BackupSource::path(real, stored))
        .collect();
    backup_sources(repo, sources, opts)
}

/// Backs up `sources` into one snapshot whose `paths` are their stored paths.
///
/// Stored paths must be absolute and no stored path may be provided by two sources: a
/// source inside another one's stored tree is refused unless that one excludes exactly its
/// stored path (then it is stored there as its own source, e.g. `data/shared` without
/// `provision`, and `provision`). Directories on the way to a stored path get the metadata
/// of their real counterpart when the trailing names of the real and stored paths match
/// (a tree read under a sysroot), otherwise a synthetic 0755 directory owned by the current
/// user. The parent snapshot is the newest with the same host and stored paths; unchanged
/// files (same size, mtime, ctime and inode at the same stored path) are not read again.
pub fn backup_sources(
    repo: &Repository,
    sources: Vec<BackupSource>,
    opts: &BackupOptions,
) -> Result<BackupOutcome, BackupError> {
    repo.under_shared_lock(|| pipeline::run(repo, sources, opts, |_| FinishAdditions::default()))
}

/// [`backup_sources`], then `finish` with the per-source reports: the files and the
/// application document it returns go into the same snapshot (evaluated after every source
/// is saved and before the root tree and the snapshot are written). `finish` is not called
/// when the backup fails first.
pub fn backup_sources_with_finish(
    repo: &Repository,
    sources: Vec<BackupSource>,
    opts: &BackupOptions,
    finish: impl FnOnce(&[SourceReport]) -> FinishAdditions,
) -> Result<BackupOutcome, BackupError> {
    repo.under_shared_lock(|| pipeline::run(repo, sources, opts, finish))
}
