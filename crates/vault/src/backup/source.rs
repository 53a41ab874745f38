//! What a backup takes in ([`BackupSource`]) and what it reports per source
//! ([`SourceReport`]), plus the finish hook's additions ([`FinishAdditions`]).
//!
//! A source is stored in the snapshot under its *stored path* (absolute), which need not be
//! where it is on this machine: a deployment found under a sysroot `/tmp/x` is read from
//! `/tmp/x/opt/IBM/...` and stored as `/opt/IBM/...`, so a restore can put it back under any
//! root. Sources that are not files on disk (a database dump streamed from a tool's stdout,
//! a document built in memory) are stored as regular files.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::summary::BackupWarning;

/// One thing to back up, stored in the snapshot under an absolute stored path.
pub enum BackupSource {
    /// A real path on this machine (file, directory walked recursively, symlink, ...) stored
    /// under `stored_as`. `excludes` are globs (globset syntax) over *stored* paths that
    /// apply to this source only, in addition to [`super::BackupOptions::excludes`]; a
    /// pattern without '/' matches a name anywhere.
    Path {
        real: PathBuf,
        stored_as: PathBuf,
        excludes: Vec<String>,
    },
    /// A regular file whose content comes from `reader`, chunked as it arrives (size unknown
    /// in advance, nothing staged). Owner: the current user. A read error (the reader's way
    /// to say "the dump failed") leaves the file out of the snapshot and is reported in the
    /// source's [`SourceReport`].
    Stream {
        stored_as: PathBuf,
        reader: Box<dyn Read + Send>,
        mode: u32,
        mtime_ns: i64,
    },
    /// A small regular file from memory (same as `Stream`).
    Bytes {
        stored_as: PathBuf,
        data: Vec<u8>,
        mode: u32,
        mtime_ns: i64,
    },
    /// A file or directory that is not ready when the backup starts (a database image still
    /// being written): the pipeline stores every other source meanwhile, and this one, read
    /// like a `Path` source, once its [`PendingSender`] names the real path — or leaves it out
    /// of the snapshot (with a warning in its report) when it says why not, or is dropped.
    Pending { stored_as: PathBuf, ready: Pending },
}

/// What a [`PendingSender`] said.
#[derive(Debug)]
pub(crate) enum PendingMessage {
    /// Ready at this real path.
    Ready(PathBuf),
    /// Not there: left out with a warning saying why.
    Failed(String),
    /// Not there, and its producer reports why: left out without a warning.
    Nothing,
}

/// The pipeline's end of a [`BackupSource::Pending`].
pub struct Pending(pub(crate) crossbeam_channel::Receiver<PendingMessage>);

/// The producer's end of a [`BackupSource::Pending`]: says once where the source is, or why
/// it will not be there. Dropping it unused is the same as [`PendingSender::failed`].
#[derive(Debug)]
pub struct PendingSender(crossbeam_channel::Sender<PendingMessage>);

impl PendingSender {
    /// The source is ready at `real` (absolute; a file or directory, read like a `Path`
    /// source's real path).
    pub fn ready(self, real: impl Into<PathBuf>) {
        // a pipeline that already ended does not need it any more
        let _ = self.0.send(PendingMessage::Ready(real.into()));
    }

    /// The source will not be there: it is left out of the snapshot, `why` in its report.
    pub fn failed(self, why: impl Into<String>) {
        let _ = self.0.send(PendingMessage::Failed(why.into()));
    }

    /// The source will not be there and its producer says why elsewhere (a database backup
    /// that failed is recorded as such): left out of the snapshot without a warning, so the
    /// snapshot does not list it as unreadable.
    pub fn nothing(self) {
        let _ = self.0.send(PendingMessage::Nothing);
    }
}

impl BackupSource {
    /// `real`, stored under `stored_as`, without excludes of its own.
    pub fn path(real: impl Into<PathBuf>, stored_as: impl Into<PathBuf>) -> BackupSource {
        BackupSource::Path {
            real: real.into(),
            stored_as: stored_as.into(),
            excludes: Vec::new(),
        }
    }

    /// A regular file streamed from `reader`.
    pub fn stream(
        stored_as: impl Into<PathBuf>,
        reader: Box<dyn Read + Send>,
        mode: u32,
        mtime_ns: i64,
    ) -> BackupSource {
        BackupSource::Stream {
            stored_as: stored_as.into(),
            reader,
            mode,
            mtime_ns,
        }
    }

    /// A regular file from bytes.
    pub fn bytes(
        stored_as: impl Into<PathBuf>,
        data: Vec<u8>,
        mode: u32,
        mtime_ns: i64,
    ) -> BackupSource {
        BackupSource::Bytes {
            stored_as: stored_as.into(),
            data,
            mode,
            mtime_ns,
        }
    }

    /// A source stored under `stored_as` once the returned sender says where it is.
    pub fn pending(stored_as: impl Into<PathBuf>) -> (BackupSource, PendingSender) {
        let (tx, rx) = crossbeam_channel::bounded(1);
        let source = BackupSource::Pending {
            stored_as: stored_as.into(),
            ready: Pending(rx),
        };
        (source, PendingSender(tx))
    }

    /// Adds exclude globs (over stored paths) to a `Path` source; other sources ignore them.
    #[must_use]
    pub fn with_excludes(mut self, patterns: Vec<String>) -> BackupSource {
        if let BackupSource::Path { excludes, .. } = &mut self {
            excludes.extend(patterns);
        }
        self
    }

    /// Where the source goes in the snapshot.
    pub fn stored_as(&self) -> &Path {
        match self {
            BackupSource::Path { stored_as, .. }
            | BackupSource::Stream { stored_as, .. }
            | BackupSource::Bytes { stored_as, .. }
            | BackupSource::Pending { stored_as, .. } => stored_as,
        }
    }
}

impl fmt::Debug for BackupSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupSource::Path {
                real,
                stored_as,
                excludes,
            } => f
                .debug_struct("Path")
                .field("real", real)
                .field("stored_as", stored_as)
                .field("excludes", excludes)
                .finish(),
            BackupSource::Stream {
                stored_as, mode, ..
            } => f
                .debug_struct("Stream")
                .field("stored_as", stored_as)
                .field("mode", &format_args!("{mode:o}"))
                .finish_non_exhaustive(),
            BackupSource::Bytes {
                stored_as,
                data,
                mode,
                ..
            } => f
                .debug_struct("Bytes")
                .field("stored_as", stored_as)
                .field("len", &data.len())
                .field("mode", &format_args!("{mode:o}"))
                .finish_non_exhaustive(),
            BackupSource::Pending { stored_as, .. } => f
                .debug_struct("Pending")
                .field("stored_as", stored_as)
                .finish_non_exhaustive(),
        }
    }
}

/// Which kind of source a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Path,
    Stream,
    Bytes,
    /// A [`BackupSource::Pending`] (read like a `Path` once ready).
    Pending,
}

/// What one source gave.
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub stored_as: PathBuf,
    pub kind: SourceKind,
    /// Whether the source's entry is in the snapshot (false: it vanished, could not be
    /// read, or its stream failed — the warnings say why).
    pub stored: bool,
    /// Regular files in the snapshot from this source.
    pub files: u64,
    /// Directories (the source's own directory included).
    pub dirs: u64,
    /// Symlinks, FIFOs, sockets, devices.
    pub others: u64,
    /// Total size of the files.
    pub bytes: u64,
    /// Bytes actually read (unchanged files are not read again).
    pub bytes_read: u64,
    /// Files that changed, vanished or could not be read below this source.
    pub warnings: Vec<BackupWarning>,
    /// Wall time from the start of its walk to its last file read. Readers work ahead, so
    /// the durations of neighbouring sources overlap.
    #[serde(rename = "duration_secs", serialize_with = "secs")]
    pub duration: Duration,
    /// SHA-256 (hex) of the content of a `Stream` or `Bytes` source.
    pub sha256: Option<String>,
    /// SHA-256 (hex) of each file of a `Pending` source, by its path relative to the source
    /// (the empty path when the source is one file): its producer compares them with what
    /// it wrote (a database image's recorded hash). Such files are always read.
    pub file_sha256: std::collections::BTreeMap<PathBuf, String>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What the finish hook of [`super::backup_sources_with_finish`] adds to the snapshot once
/// every source is saved (e.g. a manifest carrying the per-source reports).
#[derive(Debug, Clone, Default)]
pub struct FinishAdditions {
    /// Regular files: (stored path, content, mode). They must not fall inside a source's
    /// stored tree; directories on the way that no source provides are created (0755).
    pub files: Vec<(PathBuf, Vec<u8>, u32)>,
    /// Replaces [`super::BackupOptions::application`] when set.
    pub application: Option<serde_json::Value>,
    /// Added to [`super::BackupOptions::tags`].
    pub tags: Vec<String>,
}
