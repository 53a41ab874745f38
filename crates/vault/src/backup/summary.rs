//! Counters and warnings of one backup run.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

/// What happened to a path that was not backed up as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Size or mtime differed after reading: the content stored is what was read.
    Changed,
    /// Gone between listing and reading: not in the snapshot.
    Vanished,
    /// Could not be read (permissions, I/O error): not in the snapshot.
    Unreadable,
    /// Metadata (xattrs, symlink target) could not be read: stored without it.
    Metadata,
}

/// One warning, naming the path.
#[derive(Debug, Clone, Serialize)]
pub struct BackupWarning {
    pub path: PathBuf,
    pub kind: WarningKind,
    pub message: String,
}

impl std::fmt::Display for BackupWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            WarningKind::Changed => "changed during backup",
            WarningKind::Vanished => "vanished during backup",
            WarningKind::Unreadable => "cannot be read",
            WarningKind::Metadata => "metadata incomplete",
        };
        write!(f, "{}: {what}: {}", self.path.display(), self.message)
    }
}

/// The counters a user sees after a backup.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BackupSummary {
    pub files_new: u64,
    pub files_changed: u64,
    pub files_unchanged: u64,
    /// Directories in the snapshot (new + changed + unchanged).
    pub dirs: u64,
    pub dirs_new: u64,
    pub dirs_changed: u64,
    /// Directories whose tree blob was reused from the parent without re-encoding.
    pub dirs_unchanged: u64,
    /// Symlinks, FIFOs, sockets, devices.
    pub others: u64,
    pub warnings: u64,
    pub bytes_read: u64,
    /// Total size of the files in the snapshot.
    pub bytes_total: u64,
    /// Plaintext bytes of the blobs this run added.
    pub bytes_added_raw: u64,
    /// Stored (compressed + sealed) bytes of the blobs this run added.
    pub bytes_added_stored: u64,
    pub data_blobs_new: u64,
    pub tree_blobs_new: u64,
    pub duration_secs: f64,
}

/// Shared counters updated by every stage.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub files_new: AtomicU64,
    pub files_changed: AtomicU64,
    pub files_unchanged: AtomicU64,
    pub dirs_new: AtomicU64,
    pub dirs_changed: AtomicU64,
    pub dirs_unchanged: AtomicU64,
    pub others: AtomicU64,
    pub bytes_read: AtomicU64,
    pub bytes_total: AtomicU64,
    /// Warnings with the index of the source they belong to ([`NO_SOURCE`] for the
    /// directories on the way to the sources).
    warnings: Mutex<Vec<(usize, BackupWarning)>>,
}

/// The source index of entries that belong to no source (skeleton directories).
pub(crate) const NO_SOURCE: usize = usize::MAX;

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn warn(
        &self,
        source: usize,
        path: PathBuf,
        kind: WarningKind,
        message: impl Into<String>,
    ) {
        let w = BackupWarning {
            path,
            kind,
            message: message.into(),
        };
        tracing::warn!("{w}");
        if let Ok(mut list) = self.warnings.lock() {
            list.push((source, w));
        }
    }

    pub fn take_warnings(&self) -> Vec<(usize, BackupWarning)> {
        self.warnings
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }

    pub fn snapshot(&self, warnings: u64) -> BackupSummary {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        BackupSummary {
            files_new: get(&self.files_new),
            files_changed: get(&self.files_changed),
            files_unchanged: get(&self.files_unchanged),
            dirs: get(&self.dirs_new) + get(&self.dirs_changed) + get(&self.dirs_unchanged),
            dirs_new: get(&self.dirs_new),
            dirs_changed: get(&self.dirs_changed),
            dirs_unchanged: get(&self.dirs_unchanged),
            others: get(&self.others),
            warnings,
            bytes_read: get(&self.bytes_read),
            bytes_total: get(&self.bytes_total),
            ..BackupSummary::default()
        }
    }
}
