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
mod mirror;
mod plan;
pub mod safety;
mod verify;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use dump::dump_file;
pub use mirror::{ChangeAction, PlannedChange};
pub use verify::{verify, VerifyProblem, VerifyReport};

use std::os::unix::ffi::OsStrExt;

use safety::SafeTarget;

use crate::tree::{self, find_entry, EntryKind};
use crate::{Repository, Snapshot, VaultError};

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Glob patterns (globset syntax) over stored paths such as `/srv/app/*.xml` (the
    /// leading '/' is optional); a pattern without '/' matches a name anywhere. An entry is
    /// restored when it or one of its parent directories matches. Empty: everything.
    /// Not allowed with `mirror` (a mirror is of a whole subtree; use `excludes`).
    pub includes: Vec<String>,
    /// Glob patterns like `includes`: matching entries (and everything below them) are not
    /// restored, and a mirror leaves whatever is at the target there as it is (e.g. the
    /// `provision` directory inside a restored `data/shared`).
    pub excludes: Vec<String>,
    /// Restore only the entry at this stored path (e.g. `/opt/IBM/Connections`), AS the
    /// target: a directory's contents go into the target directory (which gets the
    /// directory's own metadata), a file is written at the target path. `None`: the whole
    /// snapshot below the target (stored path `/a/b` at `TARGET/a/b`).
    pub subtree: Option<PathBuf>,
    /// Make the target an exact mirror of the subtree: entries at the target that are not in
    /// the snapshot are removed (except `excludes`), changed ones replaced, unchanged ones
    /// (same kind, size, mtime, mode) left untouched. Needs `subtree` (`/` for the whole
    /// snapshot).
    pub mirror: bool,
    /// With `mirror`: also compare the content of files whose size, mtime and mode match
    /// (read and hashed blob by blob) before leaving them untouched.
    pub verify_unchanged: bool,
    /// Touch nothing: compare with the target and list every add, replace (and with
    /// `mirror`, remove) in [`RestoreOutcome::changes`].
    pub dry_run: bool,
    /// The directory the target must stay inside (e.g. the root a deployment is restored
    /// under): from it down to the target no symlink is followed, and the target's missing
    /// directories are created without following one. `None`: the existing part of the
    /// target path may go through symlinks (the user's choice).
    pub confine_to: Option<PathBuf>,
    /// Pack ranges fetched and written at once (raised on remote storage:
    /// [`Storage::read_workers`](crate::storage::Storage::read_workers)).
    pub threads: usize,
    /// Live counters for a progress display: files and bytes to write (totals) and written.
    pub progress: Option<std::sync::Arc<crate::Progress>>,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        RestoreOptions {
            includes: Vec::new(),
            excludes: Vec::new(),
            subtree: None,
            mirror: false,
            verify_unchanged: false,
            dry_run: false,
            confine_to: None,
            threads: 4,
            progress: None,
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
    /// Regular files created or rewritten (a mirror's added and replaced files; not the
    /// ones it left untouched).
    pub files: u64,
    /// Directories created.
    pub dirs: u64,
    pub symlinks: u64,
    pub hardlinks: u64,
    /// FIFOs and device nodes created.
    pub specials: u64,
    /// Bytes actually written: all of a fresh file's data (holes and all-zero blobs are
    /// not written), only the differing chunks of a file a mirror kept.
    pub bytes_written: u64,
    /// Sockets, and device nodes when not running as root.
    pub skipped: Vec<SkippedEntry>,
    /// Files with damaged or missing blobs, directories with damaged trees.
    pub damaged: Vec<DamagedEntry>,
    /// Metadata that could not be applied (e.g. xattrs on a file system without them).
    pub warnings: Vec<String>,
    /// Entries that were not at the target (mirror mode and dry runs).
    pub added: u64,
    /// Entries that were at the target but different (mirror mode and dry runs; without
    /// mirror every existing non-directory counts, as it is rewritten).
    pub replaced: u64,
    /// Entries removed from the target because the snapshot does not have them (mirror;
    /// counted recursively, in dry runs the top entries listed).
    pub removed: u64,
    /// Entries left untouched because they were already as in the snapshot (mirror).
    pub unchanged: u64,
    /// Dry runs: every change, by stored path.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PlannedChange>,
    /// Entries of the restored subtree the backup could not read (the snapshot records
    /// them): a directory among them is restored empty, a file is absent.
    pub not_backed_up: Vec<crate::format::snapshot::NotBackedUp>,
    pub duration_secs: f64,
}

pub use plan::MAX_ENTRIES;

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
    /// The planned entries passed [`plan::MAX_ENTRIES`](crate::restore::MAX_ENTRIES).
    #[error(
        "the snapshot names more than {limit} entries below {path}: refusing to plan a \
         restore that large — directories that share subtrees can name far more entries than \
         were ever backed up (a damaged or hostile snapshot); restore a subtree or fewer \
         --include patterns"
    )]
    TooManyEntries { limit: usize, path: String },
    /// The target cannot take more (ENOSPC, EDQUOT, EROFS): the restore stops at the first
    /// such write instead of listing every later file as damaged.
    #[error(
        "the restore target {} cannot take more ({source}) while writing {file}: the \
         snapshot's files need {} in all, {} were written, {}; free space (or restore to \
         another --target) and restore again — the files written so far are incomplete",
        target.display(),
        crate::util::human_bytes(*needed),
        crate::util::human_bytes(*written),
        match free { Some(f) => format!("{} are free now", crate::util::human_bytes(*f)), None => "the free space is unknown".to_string() }
    )]
    TargetFull {
        target: PathBuf,
        /// The file being written (relative to the target).
        file: String,
        /// Bytes of every file of the restore.
        needed: u64,
        /// Bytes written before the error.
        written: u64,
        /// Free bytes on the target's file system after the error.
        free: Option<u64>,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid restore options: {0}")]
    BadOptions(String),
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

/// The snapshot's unreadable entries at or below `subtree` (a stored path).
pub fn not_backed_up_below(
    snapshot: &Snapshot,
    subtree: &Path,
) -> Vec<crate::format::snapshot::NotBackedUp> {
    snapshot
        .summary
        .not_backed_up
        .iter()
        .filter(|n| Path::new(&n.path).starts_with(subtree))
        .cloned()
        .collect()
}

/// Restores `snapshot` (or its [`RestoreOptions::subtree`]) under `target`. Damaged data does
/// not stop the restore: every intact file is restored and the damaged ones are listed in
/// the outcome.
pub fn restore(
    repo: &Repository,
    snapshot: &Snapshot,
    target: &Path,
    opts: &RestoreOptions,
) -> Result<RestoreOutcome, RestoreError> {
    let started = Instant::now();
    let mut laps = Laps { last: started };
    check_mirror_options(opts)?;
    let subtree = opts.subtree.clone().unwrap_or_else(|| PathBuf::from("/"));
    let start =
        find_entry(repo, snapshot, &subtree)?.ok_or_else(|| RestoreError::NotInSnapshot {
            path: subtree.display().to_string(),
            reason: "no such entry in the snapshot".into(),
        })?;
    // stored paths are relative to the restored directory; a single file is planned by its
    // name in the directory holding it
    let base = if start.kind == EntryKind::Dir {
        subtree.as_path()
    } else {
        subtree.parent().unwrap_or(Path::new("/"))
    };
    let selection = plan::Selection::new(&opts.includes, &opts.excludes, base)?;
    let mut outcome = RestoreOutcome {
        not_backed_up: not_backed_up_below(snapshot, &subtree),
        ..RestoreOutcome::default()
    };
    // a directory is restored into the target; anything else becomes the target path itself
    let (target_dir, plan, root_meta) = if start.kind == EntryKind::Dir {
        let tree = start.subtree.ok_or_else(|| RestoreError::NotInSnapshot {
            path: subtree.display().to_string(),
            reason: "directory without a tree".into(),
        })?;
        let plan = plan::plan(repo, &tree, &selection, &mut outcome)?;
        laps.lap("plan", plan.items.len());
        let own_meta = (!start.name.is_empty()).then_some(start);
        (target.to_path_buf(), plan, own_meta)
    } else {
        let (dir, plan) = single_file_plan(start, &subtree, target)?;
        (dir, plan, None)
    };
    if opts.dry_run {
        dry_run(repo, &target_dir, &plan, &selection, opts, &mut outcome)?;
        outcome.duration_secs = duration_secs(started.elapsed());
        return Ok(outcome);
    }
    let safe = open_target(&target_dir, opts.confine_to.as_deref())?;
    let reconciled = if opts.mirror {
        let r = mirror::reconcile(
            repo,
            Some(&safe),
            &plan,
            &selection,
            true,
            opts.verify_unchanged,
        )?;
        mirror::count(&plan, &r, &selection, true, false, &mut outcome);
        laps.lap("compare", plan.items.len());
        mirror::apply_removals(&safe, &plan, &r, &mut outcome)?;
        laps.lap("remove", r.removals.len());
        Some(r)
    } else {
        None
    };
    let created = create::create_all(
        &safe,
        &plan,
        reconciled.as_ref(),
        opts.threads.max(1),
        &mut outcome,
    )?;
    laps.lap("create", plan.items.len());
    report_totals(&opts.progress, &plan, &created);
    content::write_all(
        repo,
        &safe,
        &plan,
        &created,
        opts.threads.max(1),
        &opts.progress,
        &mut outcome,
    )?;
    laps.lap(
        "content",
        usize::try_from(outcome.bytes_written).unwrap_or(usize::MAX),
    );
    create::link_all(&safe, &plan, &created, &mut outcome)?;
    metadata::apply_all(&safe, &plan, &created, &mut outcome);
    laps.lap("metadata", plan.items.len());
    if let Some(meta) = root_meta {
        // a mirror leaves the target directory alone when it is as in the snapshot and
        // nothing directly inside it changed
        let untouched = reconciled.as_ref().is_some_and(|r| !r.retouch_root);
        metadata::apply_to_target(&target_dir, &meta, untouched, &mut outcome);
    }
    outcome.duration_secs = duration_secs(started.elapsed());
    Ok(outcome)
}

/// A mirror restores a whole subtree, named.
fn check_mirror_options(opts: &RestoreOptions) -> Result<(), RestoreError> {
    if opts.mirror && !opts.includes.is_empty() {
        return Err(RestoreError::BadOptions(
            "a mirror restores a whole subtree: use excludes, not includes".into(),
        ));
    }
    if opts.mirror && opts.subtree.is_none() {
        return Err(RestoreError::BadOptions(
            "a mirror needs the subtree to mirror (\"/\" for the whole snapshot)".into(),
        ));
    }
    Ok(())
}

/// Anything but a directory becomes the target path itself: the plan of that one entry, in
/// the target's directory (which holds the file and is not restored itself).
fn single_file_plan(
    start: tree::Entry,
    subtree: &Path,
    target: &Path,
) -> Result<(PathBuf, plan::Plan), RestoreError> {
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(RestoreError::BadOptions(format!(
            "{} is a file: the target must be a file path",
            subtree.display()
        )));
    };
    let plan = plan::Plan {
        items: vec![plan::Item {
            rel: safety::RelPath::root().join(name.as_bytes()),
            entry: start,
        }],
        root_is_dir: false,
        ..plan::Plan::default()
    };
    Ok((parent.to_path_buf(), plan))
}

/// `--dry-run`: what a restore would create, change and (mirror) remove, counted in
/// `outcome`; nothing is written.
fn dry_run(
    repo: &Repository,
    target_dir: &Path,
    plan: &plan::Plan,
    selection: &plan::Selection,
    opts: &RestoreOptions,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let safe = SafeTarget::open_existing(target_dir).map_err(|source| RestoreError::Target {
        path: target_dir.to_path_buf(),
        source,
    })?;
    let reconciled = mirror::reconcile(
        repo,
        safe.as_ref(),
        plan,
        selection,
        opts.mirror,
        opts.verify_unchanged,
    )?;
    mirror::count(plan, &reconciled, selection, opts.mirror, true, outcome);
    outcome.removed = reconciled.removals.len() as u64;
    Ok(())
}

/// The target directory, created as needed (within `confine_to` when given), never through
/// a symlink.
fn open_target(target_dir: &Path, confine_to: Option<&Path>) -> Result<SafeTarget, RestoreError> {
    let opened = match confine_to {
        Some(root) => SafeTarget::open_within(root, target_dir),
        None => SafeTarget::open(target_dir),
    };
    opened.map_err(|source| {
        if safety::is_path_crossing(&source) {
            RestoreError::Unsafe {
                path: target_dir.display().to_string(),
                reason: "a symlink (or non-directory) is in the way of the target directory; \
                         restore never creates directories through symlinks"
                    .into(),
            }
        } else {
            RestoreError::Target {
                path: target_dir.to_path_buf(),
                source,
            }
        }
    })
}

/// Progress totals once the plan is known: every regular file of the plan with its size
/// (the second and later names of a hard-linked file with none: its bytes are written
/// once). Files the mirror leaves untouched, and hard links, are done at once, so a display
/// reaches 100 %; the content pass counts the rest as it writes.
fn report_totals(
    progress: &Option<std::sync::Arc<crate::Progress>>,
    plan: &plan::Plan,
    created: &create::Created,
) {
    let Some(p) = progress else { return };
    let mut seen = std::collections::HashSet::new();
    let (mut files, mut bytes, mut done_files, mut done_bytes) = (0u64, 0u64, 0u64, 0u64);
    for (item, state) in plan.items.iter().zip(&created.state) {
        let e = &item.entry;
        if e.kind != EntryKind::File {
            continue;
        }
        let first_name = e.nlink <= 1 || seen.insert((e.dev, e.inode));
        let size = if first_name {
            e.content.iter().map(tree::ContentPart::len).sum()
        } else {
            0
        };
        files += 1;
        bytes += size;
        match state {
            create::ItemState::Unchanged => {
                done_files += 1;
                done_bytes += size;
            }
            create::ItemState::LinkTo(_) => done_files += 1,
            _ => {}
        }
    }
    p.add_total(files, bytes);
    p.add_done(done_files, done_bytes);
}

/// Logs at debug level how long each pass took (`CNXBACKUP_LOG=vault=debug`), the figures
/// behind docs/PERFORMANCE.md's restore profile.
struct Laps {
    last: Instant,
}

impl Laps {
    fn lap(&mut self, pass: &'static str, amount: usize) {
        let now = Instant::now();
        tracing::debug!(
            pass,
            amount,
            ms = now.duration_since(self.last).as_millis() as u64,
            "restore pass done"
        );
        self.last = now;
    }
}

fn duration_secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
