//! Restore: a snapshot in, files out.
//!
//! Four passes (see docs/VAULT.md):
//! 1. [`plan`]: walk the snapshot's trees, check every name ([`safety`]), select entries by
//!    the include patterns. A damaged tree is reported and its subtree skipped.
//! 2. [`create`]: directories, empty pre-sized files, symlinks (never followed), FIFOs,
//!    hard links, device nodes (root only) — all through descriptors below the target.
//! 3. [`content`]: blobs grouped by pack, packs read in ranges by a few threads, every blob
//!    verified (AEAD + id) before its bytes are written with positional writes; all-zero
//!    blobs and holes are not written (they stay holes of the pre-sized file).
//! 4. [`metadata`]: owner (root), mode, xattrs and ns times, files first, then directories
//!    deepest-first so writing into a directory never changes its restored mtime.

mod content;
mod create;
mod dump;
mod metadata;
mod plan;
pub mod safety;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use dump::dump_file;

use crate::{Repository, Snapshot, VaultError};

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Glob patterns (globset syntax) over snapshot paths such as `shared/app/file.xml`
    /// (no leading '/'); a pattern without '/' matches a name anywhere. An entry is restored
    /// when it or one of its parent directories matches. Empty: everything.
    pub includes: Vec<String>,
    /// Pack ranges fetched and written at once.
    pub threads: usize,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            includes: Vec::new(),
            threads: 4,
        }
    }
}

/// An entry that was recorded but deliberately not restored.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedEntry {
    pub path: String,
    pub kind: &'static str,
    pub reason: String,
}

/// A file (or directory) that could not be restored intact.
#[derive(Debug, Clone, Serialize)]
pub struct DamagedEntry {
    pub path: String,
    pub reason: String,
}

/// What a restore did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RestoreOutcome {
    pub files: u64,
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    /// FIFOs and device nodes created.
    pub specials: u64,
    pub bytes_written: u64,
    /// Sockets, and device nodes when not running as root.
    pub skipped: Vec<SkippedEntry>,
    /// Files with damaged or missing blobs, directories with damaged trees.
    pub damaged: Vec<DamagedEntry>,
    /// Metadata that could not be applied (e.g. xattrs on a file system without them).
    pub warnings: Vec<String>,
    pub duration_secs: f64,
}

/// Why a restore stopped.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Repository(#[from] VaultError),
    #[error("refusing to restore {path}: {reason}")]
    Unsafe { path: String, reason: String },
    #[error("{path}: {source}")]
    Target {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    NotInSnapshot { path: String, reason: String },
    #[error("invalid include pattern \"{pattern}\": {reason}")]
    BadInclude { pattern: String, reason: String },
    #[error("internal error in restore: {0}")]
    Internal(String),
}

impl RestoreError {
    /// Whether the restore was refused by a safety rule (an unsafe name or a symlink in the
    /// way), as opposed to failing.
    pub fn is_refusal(&self) -> bool {
        matches!(self, RestoreError::Unsafe { .. })
    }
}

/// Restores `snapshot` under `target`. Damaged data does not stop the restore: every intact
/// file is restored and the damaged ones are listed in the outcome.
pub fn restore(
    repo: &Repository,
    snapshot: &Snapshot,
    target: &Path,
    opts: &RestoreOptions,
) -> Result<RestoreOutcome, RestoreError> {
    let started = Instant::now();
    let mut outcome = RestoreOutcome::default();
    let plan = plan::plan(repo, &snapshot.tree, &opts.includes, &mut outcome)?;
    let safe = safety::SafeTarget::open(target).map_err(|source| RestoreError::Target {
        path: target.to_path_buf(),
        source,
    })?;
    let created = create::create_all(&safe, &plan, &mut outcome)?;
    content::write_all(
        repo,
        &safe,
        &plan,
        &created,
        opts.threads.max(1),
        &mut outcome,
    )?;
    metadata::apply_all(&safe, &plan, &created, &mut outcome);
    outcome.duration_secs = duration_secs(started.elapsed());
    Ok(outcome)
}

fn duration_secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
