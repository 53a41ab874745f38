//! Mirror mode and dry runs: compare what is at the target with the plan before anything is
//! written.
//!
//! Every planned entry is classified against the target (`lstat` through the target's
//! descriptors, never following a symlink): **add** (nothing there), **replace** (different
//! kind, content or metadata) or **unchanged** (same kind; files: same size, mtime, mode —
//! and owner when running as root — and, with `verify_unchanged`, the same content blob by
//! blob; symlinks: same target). In mirror mode every directory of the plan that exists at
//! the target is listed and whatever is there but not in the snapshot is **removed**
//! (recursively, without following symlinks) — except entries matching the excludes (left
//! as they are) and anything below a directory whose tree could not be loaded.
//!
//! Unchanged entries are then skipped by the create, content and metadata passes: they are
//! not rewritten.

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use serde::Serialize;

use super::plan::{Plan, Selection};
use super::safety::{RelPath, SafeTarget};
use super::{RestoreError, RestoreOutcome};
use crate::fs_meta::is_root;
use crate::tree::{ContentPart, Entry, EntryKind};
use crate::Repository;

/// What a restore does (or would do) to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    Add,
    Replace,
    Remove,
}

/// One planned change, by stored path (listed by dry runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    pub path: String,
    pub action: ChangeAction,
}

/// How one planned entry compares with the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Add,
    /// Something else is there; `kind_differs`: it must be removed before the entry is
    /// created (a directory where a file goes, or the other way round).
    Replace {
        kind_differs: bool,
    },
    Unchanged,
}

/// The comparison of the whole plan with the target.
#[derive(Debug, Default)]
pub(crate) struct Reconciled {
    /// Per plan item.
    pub status: Vec<Status>,
    /// Entries at the target that are not in the snapshot: (parent directory, name).
    pub removals: Vec<(RelPath, OsString)>,
    /// Per plan item: a directory already at the target (status `Unchanged`) whose metadata
    /// must be applied again — its own mode, mtime or owner differ, or an entry inside it is
    /// added, replaced or removed (which moves its mtime). Other unchanged directories are
    /// not touched at all.
    pub retouch: Vec<bool>,
    /// The same for the target directory itself.
    pub retouch_root: bool,
}

impl Reconciled {
    /// An unchanged directory whose metadata must be applied again.
    pub fn needs_retouch(&self, item: usize) -> bool {
        self.retouch.get(item).copied().unwrap_or(false)
    }
}

fn kind_of(ft: FileType) -> EntryKind {
    match ft {
        FileType::Directory => EntryKind::Dir,
        FileType::Symlink => EntryKind::Symlink,
        FileType::Fifo => EntryKind::Fifo,
        FileType::Socket => EntryKind::Socket,
        FileType::CharacterDevice => EntryKind::CharDevice,
        FileType::BlockDevice => EntryKind::BlockDevice,
        _ => EntryKind::File,
    }
}

fn ns(t: i64, nsec: u64) -> i64 {
    t.saturating_mul(1_000_000_000)
        .saturating_add(i64::try_from(nsec).unwrap_or(0))
}

/// Whether the regular file `name` in `dir` holds exactly `entry`'s content: every data part
/// re-hashed to its blob id, every hole all zeros.
pub(crate) fn same_content(
    repo: &Repository,
    dir: BorrowedFd<'_>,
    name: &OsStr,
    entry: &Entry,
) -> io::Result<bool> {
    let fd = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut file = std::fs::File::from(fd);
    content_matches(repo, &mut file, entry)
}

/// Reads `reader` to its end and checks it against `entry`'s content parts.
pub(crate) fn content_matches(
    repo: &Repository,
    reader: &mut dyn Read,
    entry: &Entry,
) -> io::Result<bool> {
    let mut buf = Vec::new();
    for part in &entry.content {
        buf.clear();
        let len = part.len();
        let got = reader.take(len).read_to_end(&mut buf)?;
        if got as u64 != len {
            return Ok(false);
        }
        let ok = match part {
            ContentPart::Data { id, .. } => repo.id_of(&buf) == *id,
            ContentPart::Hole { .. } => buf.iter().all(|b| *b == 0),
        };
        if !ok {
            return Ok(false);
        }
    }
    // nothing after the last part
    let mut extra = [0u8; 1];
    Ok(reader.read(&mut extra)? == 0)
}

struct Classifier<'a> {
    repo: &'a Repository,
    verify_unchanged: bool,
    root: bool,
}

impl Classifier<'_> {
    /// The entry's status, and for a directory already there whether its own metadata (mode,
    /// mtime, owner when root) is as in the snapshot.
    fn classify(&self, dir: BorrowedFd<'_>, name: &OsStr, e: &Entry) -> io::Result<(Status, bool)> {
        let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok((Status::Add, false)),
            Err(err) => return Err(err.into()),
        };
        let there = kind_of(FileType::from_raw_mode(st.st_mode));
        if there != e.kind {
            let kind_differs = there == EntryKind::Dir || e.kind == EntryKind::Dir;
            return Ok((Status::Replace { kind_differs }, false));
        }
        let owner_differs = self.root && (st.st_uid != e.uid || st.st_gid != e.gid);
        if e.kind == EntryKind::Dir {
            // a directory is judged by its entries; its metadata only decides whether the
            // metadata pass must visit it
            let meta_same = ns(st.st_mtime, st.st_mtime_nsec as u64) == e.mtime_ns
                && (st.st_mode & 0o7777) == e.mode & 0o7777
                && !owner_differs;
            return Ok((Status::Unchanged, meta_same));
        }
        let same = match e.kind {
            EntryKind::Dir => true,
            EntryKind::File => {
                let size: u64 = e.content.iter().map(ContentPart::len).sum();
                let meta_same = u64::try_from(st.st_size).ok() == Some(size)
                    && ns(st.st_mtime, st.st_mtime_nsec as u64) == e.mtime_ns
                    && (st.st_mode & 0o7777) == e.mode
                    && !owner_differs;
                meta_same && (!self.verify_unchanged || same_content(self.repo, dir, name, e)?)
            }
            EntryKind::Symlink => {
                let target = rustix::fs::readlinkat(dir, name, Vec::new())?;
                Some(target.as_bytes()) == e.symlink_target.as_deref() && !owner_differs
            }
            EntryKind::Fifo => (st.st_mode & 0o7777) == e.mode && !owner_differs,
            // devices and sockets: recreated (or skipped) as the create pass decides
            _ => false,
        };
        Ok(if same {
            (Status::Unchanged, true)
        } else {
            (
                Status::Replace {
                    kind_differs: false,
                },
                false,
            )
        })
    }
}

/// Lists the names in directory `rel` below the target.
fn list_names(safe: &SafeTarget, rel: &RelPath) -> io::Result<Vec<OsString>> {
    let fd = safe.open_beneath(rel, OFlags::RDONLY | OFlags::DIRECTORY, Mode::empty())?;
    let mut names = Vec::new();
    for item in rustix::fs::Dir::read_from(&fd)? {
        let item = item?;
        let n = item.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_os_string());
        }
    }
    names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    Ok(names)
}

/// Compares the plan with the target. `safe` is `None` when the target does not exist yet
/// (dry run): everything is an addition.
pub(crate) fn reconcile(
    repo: &Repository,
    safe: Option<&SafeTarget>,
    plan: &Plan,
    selection: &Selection,
    mirror: bool,
    verify_unchanged: bool,
) -> Result<Reconciled, RestoreError> {
    let n = plan.items.len();
    let mut out = Reconciled {
        status: Vec::with_capacity(n),
        removals: Vec::new(),
        retouch: vec![false; n],
        retouch_root: false,
    };
    let Some(safe) = safe else {
        out.status = vec![Status::Add; n];
        return Ok(out);
    };
    let classifier = Classifier {
        repo,
        verify_unchanged,
        root: is_root(),
    };
    // directories created or replaced: everything below them is new
    let mut fresh: HashSet<RelPath> = HashSet::new();
    let mut dirs = DirStack::default();
    let mut meta_same = Vec::with_capacity(n);
    for item in &plan.items {
        let Some((parent, name)) = item.rel.split_last() else {
            return Err(RestoreError::Internal("the root is not an entry".into()));
        };
        let (status, same) = if fresh.contains(&parent) {
            (Status::Add, false)
        } else {
            let dir = dirs
                .get(safe, &parent)
                .map_err(|e| super::create::refusal_or_io(safe, &item.rel, e))?;
            classifier
                .classify(dir, OsStr::from_bytes(name), &item.entry)
                .map_err(|source| RestoreError::Target {
                    path: safe.path().join(item.rel.to_path()),
                    source,
                })?
        };
        if item.entry.kind == EntryKind::Dir && status != Status::Unchanged {
            fresh.insert(item.rel.clone());
        }
        out.status.push(status);
        meta_same.push(same);
    }
    drop(dirs);
    let planned: HashMap<&RelPath, usize> = plan
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| (&it.rel, i))
        .collect();
    if mirror {
        // what is at the target but not in the snapshot: only in directories that were
        // already there (a fresh one is empty). For a single file restored AS a path, the
        // directory holding it is not the restore's: nothing in it is removed.
        let mut listed = Vec::new();
        if plan.root_is_dir {
            listed.push(RelPath::root());
        }
        listed.extend(
            plan.items
                .iter()
                .zip(&out.status)
                .filter(|(it, st)| it.entry.kind == EntryKind::Dir && **st == Status::Unchanged)
                .map(|(it, _)| it.rel.clone()),
        );
        for dir in listed {
            if plan.damaged_dirs.contains(&dir) {
                continue;
            }
            let names =
                list_names(safe, &dir).map_err(|e| super::create::refusal_or_io(safe, &dir, e))?;
            for name in names {
                let rel = dir.join(name.as_bytes());
                if planned.contains_key(&rel) || selection.excluded(&rel, name.as_bytes()) {
                    continue;
                }
                out.removals.push((dir.clone(), name));
            }
        }
    }
    // which directories already there must have their metadata applied again
    let mark = |dir: &RelPath, out: &mut Reconciled| {
        if dir.is_root() {
            out.retouch_root = true;
        } else if let Some(i) = planned.get(dir) {
            if let Some(r) = out.retouch.get_mut(*i) {
                *r = true;
            }
        }
    };
    for (i, item) in plan.items.iter().enumerate() {
        let st = out.status.get(i).copied().unwrap_or(Status::Add);
        let own_meta_differs = item.entry.kind == EntryKind::Dir
            && st == Status::Unchanged
            && !meta_same.get(i).copied().unwrap_or(false);
        if own_meta_differs {
            if let Some(r) = out.retouch.get_mut(i) {
                *r = true;
            }
        }
        if st != Status::Unchanged {
            if let Some((parent, _)) = item.rel.split_last() {
                mark(&parent, &mut out);
            }
        }
    }
    let removal_dirs: Vec<RelPath> = out.removals.iter().map(|(d, _)| d.clone()).collect();
    for d in &removal_dirs {
        mark(d, &mut out);
    }
    Ok(out)
}

/// Descriptors of the directories on the way to the current plan item. The plan is in
/// depth-first order, so keeping the chain of open ancestors means every directory is
/// resolved once, not once per run of siblings.
#[derive(Default)]
struct DirStack {
    open: Vec<(RelPath, OwnedFd)>,
}

impl DirStack {
    fn get(&mut self, safe: &SafeTarget, rel: &RelPath) -> io::Result<BorrowedFd<'_>> {
        while let Some((top, _)) = self.open.last() {
            if top == rel || is_ancestor(top, rel) {
                break;
            }
            self.open.pop();
        }
        let hit = self.open.last().is_some_and(|(top, _)| top == rel);
        if !hit {
            let fd = safe.open_dir(rel)?;
            self.open.push((rel.clone(), fd));
        }
        match self.open.last() {
            Some((_, fd)) => Ok(fd.as_fd()),
            None => Err(io::Error::other("directory stack empty")),
        }
    }
}

fn is_ancestor(a: &RelPath, b: &RelPath) -> bool {
    let (a, b) = (a.components(), b.components());
    a.len() < b.len() && b.starts_with(a)
}

/// Removes `name` in `dir` and everything below it, never following a symlink; returns how
/// many entries were removed.
fn remove_all(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<u64> {
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
        rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
        return Ok(1);
    }
    let sub = rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut names = Vec::new();
    for item in rustix::fs::Dir::read_from(&sub)? {
        let item = item?;
        let n = item.file_name().to_bytes();
        if n != b"." && n != b".." {
            names.push(OsStr::from_bytes(n).to_os_string());
        }
    }
    let mut removed = 0;
    for n in names {
        removed += match remove_all(sub.as_fd(), &n) {
            Err(e) if e.raw_os_error() == Some(Errno::ACCESS.raw_os_error()) => {
                // a read-only directory of the failed upgrade: make it writable, retry
                rustix::fs::chmodat(
                    dir,
                    name,
                    Mode::from_raw_mode((st.st_mode & 0o7777) | 0o700),
                    AtFlags::empty(),
                )?;
                remove_all(sub.as_fd(), &n)?
            }
            other => other?,
        };
    }
    rustix::fs::unlinkat(dir, name, AtFlags::REMOVEDIR)?;
    Ok(removed + 1)
}

/// Removes what the mirror found extra and what stands where an entry of another kind goes.
pub(crate) fn apply_removals(
    safe: &SafeTarget,
    plan: &Plan,
    reconciled: &Reconciled,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let mut targets: Vec<(RelPath, OsString, bool)> = reconciled
        .removals
        .iter()
        .map(|(d, n)| (d.clone(), n.clone(), true))
        .collect();
    for (item, st) in plan.items.iter().zip(&reconciled.status) {
        if let Status::Replace { kind_differs: true } = st {
            if let Some((parent, name)) = item.rel.split_last() {
                targets.push((parent, OsStr::from_bytes(name).to_os_string(), false));
            }
        }
    }
    for (dir, name, extra) in targets {
        let rel = dir.join(name.as_bytes());
        let fd = safe
            .open_dir(&dir)
            .map_err(|e| super::create::refusal_or_io(safe, &rel, e))?;
        let n = remove_all(fd.as_fd(), &name).map_err(|source| RestoreError::Target {
            path: safe.path().join(rel.to_path()),
            source,
        })?;
        if extra {
            outcome.removed += n;
        }
    }
    Ok(())
}

/// Fills the outcome's counters (and with `list`, its list of changes).
pub(crate) fn count(
    plan: &Plan,
    reconciled: &Reconciled,
    selection: &Selection,
    mirror: bool,
    list: bool,
    outcome: &mut RestoreOutcome,
) {
    for (item, st) in plan.items.iter().zip(&reconciled.status) {
        let action = match st {
            Status::Add => {
                outcome.added += 1;
                Some(ChangeAction::Add)
            }
            Status::Replace { .. } => {
                outcome.replaced += 1;
                Some(ChangeAction::Replace)
            }
            // without mirror an existing file is rewritten anyway
            Status::Unchanged if !mirror && item.entry.kind != EntryKind::Dir => {
                outcome.replaced += 1;
                Some(ChangeAction::Replace)
            }
            Status::Unchanged => {
                outcome.unchanged += 1;
                None
            }
        };
        if let (true, Some(action)) = (list, action) {
            outcome.changes.push(PlannedChange {
                path: selection.display(&item.rel),
                action,
            });
        }
    }
    if list {
        for (dir, name) in &reconciled.removals {
            outcome.changes.push(PlannedChange {
                path: selection.display(&dir.join(name.as_bytes())),
                action: ChangeAction::Remove,
            });
        }
    }
}
