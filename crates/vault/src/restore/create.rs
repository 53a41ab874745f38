//! Create pass: every planned entry is created below the target through directory
//! descriptors (`*at` calls), never following a symlink. Files are created empty and
//! pre-sized; their content comes in the content pass.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::mirror::{Reconciled, Status};
use super::plan::Plan;
use super::safety::{is_path_crossing, RelPath, SafeTarget};
use super::{RestoreError, RestoreOutcome, SkippedEntry};
use crate::fs_meta::is_root;
use crate::tree::{ContentPart, EntryKind};

/// What the create pass did with each plan item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemState {
    /// Created (files: empty and pre-sized, content still to write).
    Created,
    /// A new regular file with data to write: created by the content pass at its first
    /// write (so creating inodes overlaps with fetching and decoding blobs).
    Deferred,
    /// A hard link to the item with this index.
    LinkTo(usize),
    /// Not restored (socket, device without root); listed in `skipped`.
    Skipped,
    /// Already at the target as in the snapshot (mirror mode): not touched.
    Unchanged,
    /// A regular file already at the target with other content or metadata (mirror mode):
    /// kept (same inode, not truncated) and resized; the content pass compares its parts
    /// with the snapshot's and writes only those that differ.
    Updated,
    /// A directory already at the target (mirror mode) whose metadata is applied again:
    /// its own differs, or entries inside it changed.
    Retouch,
}

impl ItemState {
    /// Whether the metadata pass applies the entry's metadata.
    pub fn gets_metadata(self) -> bool {
        matches!(
            self,
            ItemState::Created | ItemState::Deferred | ItemState::Updated | ItemState::Retouch
        )
    }
}

/// Per plan item, in plan order.
#[derive(Debug, Default)]
pub(crate) struct Created {
    pub state: Vec<ItemState>,
    /// Items to link to their first name ([`link_all`]).
    pub hard_links: Vec<usize>,
}

/// Keeps the descriptor of the last parent directory used (siblings come together in a
/// plan, so this avoids re-resolving the same path for every file).
pub(crate) struct DirCache<'t> {
    safe: &'t SafeTarget,
    last: Option<(RelPath, OwnedFd)>,
}

impl<'t> DirCache<'t> {
    pub fn new(safe: &'t SafeTarget) -> Self {
        DirCache { safe, last: None }
    }

    /// The descriptor of directory `rel` (refusing symlinks on the way).
    pub fn get(&mut self, rel: &RelPath, item: &RelPath) -> Result<&OwnedFd, RestoreError> {
        let hit = self.last.as_ref().is_some_and(|(r, _)| r == rel);
        if !hit {
            let fd = self
                .safe
                .open_dir(rel)
                .map_err(|e| refusal_or_io(self.safe, item, e))?;
            self.last = Some((rel.clone(), fd));
        }
        self.last
            .as_ref()
            .map(|(_, fd)| fd)
            .ok_or_else(|| RestoreError::Internal("directory cache empty".into()))
    }
}

/// Maps an error from resolving a path below the target: a symlink or non-directory in the
/// way is a refusal naming the entry; anything else an I/O error.
pub(crate) fn refusal_or_io(safe: &SafeTarget, item: &RelPath, e: io::Error) -> RestoreError {
    if is_path_crossing(&e) {
        RestoreError::Unsafe {
            path: item.display(),
            reason: "a symlink (or non-directory) already at the target is in the way; \
                     restore never follows symlinks"
                .into(),
        }
    } else {
        RestoreError::Target {
            path: safe.path().join(item.to_path()),
            source: e,
        }
    }
}

/// Runs `create`; if the name exists (and is not a directory), removes it and tries once
/// more. Removing never follows a symlink.
fn replace_existing(
    dir: &OwnedFd,
    name: &OsStr,
    mut create: impl FnMut() -> rustix::io::Result<()>,
) -> io::Result<()> {
    match create() {
        Err(Errno::EXIST) | Err(Errno::LOOP) => {
            rustix::fs::unlinkat(dir, name, AtFlags::empty())?;
            Ok(create()?)
        }
        other => Ok(other?),
    }
}

/// Creates every planned entry except those a mirror found already at the target as in
/// the snapshot (`reconciled`); a file that is there but different is kept and resized.
///
/// Creating inodes is most of a restore's system time (on ext4 after many deletions, the
/// inode allocator's scans dominate), so it runs on `threads` workers: directories level
/// by level (parents before children), then files, symlinks and special files, each worker
/// taking runs of neighbouring entries (same parent directory); hard links last, when the
/// names they point to exist.
pub(crate) fn create_all(
    safe: &SafeTarget,
    plan: &Plan,
    reconciled: Option<&Reconciled>,
    threads: usize,
    outcome: &mut RestoreOutcome,
) -> Result<Created, RestoreError> {
    let root = is_root();
    let n = plan.items.len();
    let mut state = vec![ItemState::Created; n];
    let mut links: HashMap<(u64, u64), usize> = HashMap::new();
    let mut dir_levels: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut others = Vec::new();
    let mut hard_links = Vec::new();
    // 1. what to do with each entry (no I/O)
    for (index, item) in plan.items.iter().enumerate() {
        let e = &item.entry;
        let status = reconciled.and_then(|r| r.status.get(index).copied());
        let slot = state
            .get_mut(index)
            .ok_or_else(|| RestoreError::Internal("plan index out of range".into()))?;
        if status == Some(Status::Unchanged) {
            *slot = if e.kind == EntryKind::Dir {
                // there already (checked without following symlinks): no mkdir
                if reconciled.is_some_and(|r| r.needs_retouch(index)) {
                    ItemState::Retouch
                } else {
                    ItemState::Unchanged
                }
            } else {
                ItemState::Unchanged
            };
            // still the first name of its hard-link group, for the names that follow
            if e.kind == EntryKind::File && e.nlink > 1 {
                links.entry((e.dev, e.inode)).or_insert(index);
            }
            continue;
        }
        match e.kind {
            EntryKind::Dir => dir_levels.entry(item.rel.depth()).or_default().push(index),
            EntryKind::File if e.nlink > 1 && links.contains_key(&(e.dev, e.inode)) => {
                if let Some(first) = links.get(&(e.dev, e.inode)) {
                    *slot = ItemState::LinkTo(*first);
                }
                hard_links.push(index);
            }
            EntryKind::File => {
                if e.nlink > 1 {
                    links.insert((e.dev, e.inode), index);
                }
                let has_data = e
                    .content
                    .iter()
                    .any(|p| matches!(p, ContentPart::Data { len, .. } if *len > 0));
                if status.is_none_or(|s| s == Status::Add) && has_data {
                    *slot = ItemState::Deferred;
                    outcome.files += 1;
                } else {
                    others.push(index);
                }
            }
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Socket
                if !root || e.kind == EntryKind::Socket =>
            {
                let reason = if e.kind == EntryKind::Socket {
                    "sockets are recorded, not recreated (the program that owns one makes it)"
                } else {
                    "device nodes are created only when running as root"
                };
                outcome.skipped.push(SkippedEntry {
                    path: item.rel.display(),
                    kind: e.kind.as_str(),
                    reason: reason.into(),
                });
                *slot = ItemState::Skipped;
            }
            _ => others.push(index),
        }
    }
    // 2. directories, a level at a time
    for level in dir_levels.values() {
        let made = in_parallel(safe, level, threads, |dirs, index| {
            create_dir(safe, dirs, plan, index)
        })?;
        outcome.dirs += made.len() as u64;
    }
    // 3. files (empty, pre-sized), symlinks, FIFOs, device nodes
    for (index, made) in in_parallel(safe, &others, threads, |dirs, index| {
        create_other(safe, dirs, plan, reconciled, index)
    })? {
        let kind = plan.items.get(index).map(|i| i.entry.kind);
        match kind {
            Some(EntryKind::File) => outcome.files += 1,
            Some(EntryKind::Symlink) => outcome.symlinks += 1,
            _ => outcome.specials += 1,
        }
        if let Some(slot) = state.get_mut(index) {
            *slot = made;
        }
    }
    Ok(Created { state, hard_links })
}

/// The second and later names of hard-linked files, linked to the first once it exists
/// (after the content pass, which creates deferred files).
pub(crate) fn link_all(
    safe: &SafeTarget,
    plan: &Plan,
    created: &Created,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let mut dirs = DirCache::new(safe);
    for index in &created.hard_links {
        let Some(ItemState::LinkTo(first)) = created.state.get(*index).copied() else {
            continue;
        };
        link_to_first(safe, &mut dirs, plan, *index, first)?;
        outcome.hardlinks += 1;
    }
    Ok(())
}

/// Runs `work` for every item on up to `threads` workers, each with its own directory
/// cache and taking runs of neighbouring items; the first error stops the others.
fn in_parallel<T: Send>(
    safe: &SafeTarget,
    items: &[usize],
    threads: usize,
    work: impl Fn(&mut DirCache<'_>, usize) -> Result<T, RestoreError> + Sync,
) -> Result<Vec<(usize, T)>, RestoreError> {
    const RUN: usize = 32;
    let workers = threads.clamp(1, items.len().div_ceil(RUN).max(1));
    if workers == 1 {
        let mut dirs = DirCache::new(safe);
        return items
            .iter()
            .map(|i| work(&mut dirs, *i).map(|t| (*i, t)))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Vec<Result<Vec<(usize, T)>, RestoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut dirs = DirCache::new(safe);
                    let mut done = Vec::new();
                    while !failed.load(Ordering::Relaxed) {
                        let start = next.fetch_add(RUN, Ordering::Relaxed);
                        let Some(run) = items.get(start..(start + RUN).min(items.len())) else {
                            break;
                        };
                        for i in run {
                            match work(&mut dirs, *i) {
                                Ok(t) => done.push((*i, t)),
                                Err(e) => {
                                    failed.store(true, Ordering::Relaxed);
                                    return Err(e);
                                }
                            }
                        }
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(RestoreError::Internal("a worker panicked".into())))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(items.len());
    for r in results {
        all.extend(r?);
    }
    Ok(all)
}

fn split(plan: &Plan, index: usize) -> Result<(&super::plan::Item, RelPath, &OsStr), RestoreError> {
    let item = plan
        .items
        .get(index)
        .ok_or_else(|| RestoreError::Internal("plan index out of range".into()))?;
    let (parent, name) = item
        .rel
        .split_last()
        .ok_or_else(|| RestoreError::Internal("the root is not an entry".into()))?;
    Ok((item, parent, OsStr::from_bytes(name)))
}

fn create_dir(
    safe: &SafeTarget,
    dirs: &mut DirCache<'_>,
    plan: &Plan,
    index: usize,
) -> Result<(), RestoreError> {
    let (item, parent, name) = split(plan, index)?;
    let dir = dirs.get(&parent, &item.rel)?;
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700)) {
        Ok(()) => Ok(()),
        Err(Errno::EXIST) => {
            // must be a real directory, not a symlink planted at the target
            safe.open_dir(&item.rel)
                .map(drop)
                .map_err(|e| refusal_or_io(safe, &item.rel, e))
        }
        Err(err) => Err(refusal_or_io(safe, &item.rel, err.into())),
    }
}

/// A file (first name), symlink, FIFO or device node; returns its state.
fn create_other(
    safe: &SafeTarget,
    dirs: &mut DirCache<'_>,
    plan: &Plan,
    reconciled: Option<&Reconciled>,
    index: usize,
) -> Result<ItemState, RestoreError> {
    let (item, parent, name) = split(plan, index)?;
    let e = &item.entry;
    let io_err = |source: io::Error| refusal_or_io(safe, &item.rel, source);
    let dir = dirs.get(&parent, &item.rel)?;
    match e.kind {
        EntryKind::File => {
            let update_in_place = reconciled.and_then(|r| r.status.get(index).copied())
                == Some(Status::Replace {
                    kind_differs: false,
                });
            let mut fd = None;
            let mut state = ItemState::Created;
            if update_in_place {
                // keep the file: the content pass rewrites only what differs
                // (gone meanwhile, or not writable: created anew below)
                if let Ok(f) = rustix::fs::openat(
                    dir,
                    name,
                    OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                    Mode::empty(),
                ) {
                    fd = Some(f);
                    state = ItemState::Updated;
                }
            }
            if fd.is_none() {
                replace_existing(dir, name, || {
                    fd = Some(rustix::fs::openat(
                        dir,
                        name,
                        OFlags::CREATE
                            | OFlags::WRONLY
                            | OFlags::TRUNC
                            | OFlags::NOFOLLOW
                            | OFlags::CLOEXEC,
                        Mode::from_raw_mode(0o600),
                    )?);
                    Ok(())
                })
                .map_err(io_err)?;
            }
            let file =
                File::from(fd.ok_or_else(|| RestoreError::Internal("file not opened".into()))?);
            let size: u64 = e.content.iter().map(|p| p.len()).sum();
            file.set_len(size).map_err(io_err)?;
            Ok(state)
        }
        EntryKind::Symlink => {
            let target = e.symlink_target.clone().unwrap_or_default();
            replace_existing(dir, name, || {
                rustix::fs::symlinkat(OsStr::from_bytes(&target), dir, name)
            })
            .map_err(io_err)?;
            Ok(ItemState::Created)
        }
        EntryKind::Fifo => {
            replace_existing(dir, name, || {
                rustix::fs::mknodat(dir, name, FileType::Fifo, Mode::from_raw_mode(0o600), 0)
            })
            .map_err(io_err)?;
            Ok(ItemState::Created)
        }
        EntryKind::CharDevice | EntryKind::BlockDevice => {
            let ft = if e.kind == EntryKind::CharDevice {
                FileType::CharacterDevice
            } else {
                FileType::BlockDevice
            };
            replace_existing(dir, name, || {
                rustix::fs::mknodat(dir.as_fd(), name, ft, Mode::from_raw_mode(0o600), e.rdev)
            })
            .map_err(io_err)?;
            Ok(ItemState::Created)
        }
        EntryKind::Dir | EntryKind::Socket => Err(RestoreError::Internal(format!(
            "{}: not created here",
            item.rel.display()
        ))),
    }
}

/// Links the second (or later) name of a hard-linked file to the first.
fn link_to_first(
    safe: &SafeTarget,
    dirs: &mut DirCache<'_>,
    plan: &Plan,
    index: usize,
    first: usize,
) -> Result<(), RestoreError> {
    let (item, parent, name) = split(plan, index)?;
    let (_, first_parent, first_name) = split(plan, first)?;
    let io_err = |source: io::Error| refusal_or_io(safe, &item.rel, source);
    let from = safe.open_dir(&first_parent).map_err(io_err)?;
    let dir = dirs.get(&parent, &item.rel)?;
    replace_existing(dir, name, || {
        rustix::fs::linkat(&from, first_name, dir, name, AtFlags::empty())
    })
    .map_err(io_err)
}

/// Creates (or replaces: unlinked, never followed) the new regular file of plan item `rel`
/// for writing, pre-sized to `size` (a deferred file, at its first write).
pub(crate) fn create_file_for_write(
    safe: &SafeTarget,
    rel: &RelPath,
    size: u64,
) -> io::Result<File> {
    let (parent, name) = rel
        .split_last()
        .ok_or_else(|| io::Error::other("the root is not a file"))?;
    let name = OsStr::from_bytes(name);
    let dir = safe.open_dir(&parent)?;
    let mut fd = None;
    replace_existing(&dir, name, || {
        fd = Some(rustix::fs::openat(
            &dir,
            name,
            OFlags::CREATE | OFlags::WRONLY | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )?);
        Ok(())
    })?;
    let file = File::from(fd.ok_or_else(|| io::Error::other("file not opened"))?);
    file.set_len(size)?;
    Ok(file)
}
