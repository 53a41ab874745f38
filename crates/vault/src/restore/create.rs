//! Create pass: every planned entry is created below the target through directory
//! descriptors (`*at` calls), never following a symlink. Files are created empty and
//! pre-sized; their content comes in the content pass.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::mirror::{Reconciled, Status};
use super::plan::Plan;
use super::safety::{is_path_crossing, RelPath, SafeTarget};
use super::{RestoreError, RestoreOutcome, SkippedEntry};
use crate::fs_meta::is_root;
use crate::tree::EntryKind;

/// What the create pass did with each plan item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemState {
    /// Created (files: empty and pre-sized, content still to write).
    Created,
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
            ItemState::Created | ItemState::Updated | ItemState::Retouch
        )
    }
}

/// Per plan item, in plan order.
#[derive(Debug, Default)]
pub(crate) struct Created {
    pub state: Vec<ItemState>,
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
pub(crate) fn create_all(
    safe: &SafeTarget,
    plan: &Plan,
    reconciled: Option<&Reconciled>,
    outcome: &mut RestoreOutcome,
) -> Result<Created, RestoreError> {
    let root = is_root();
    let mut dirs = DirCache::new(safe);
    let mut created = Created {
        state: Vec::with_capacity(plan.items.len()),
    };
    let mut links: HashMap<(u64, u64), usize> = HashMap::new();
    for (index, item) in plan.items.iter().enumerate() {
        let Some((parent, name)) = item.rel.split_last() else {
            return Err(RestoreError::Internal("the root is not an entry".into()));
        };
        let name = OsStr::from_bytes(name);
        let e = &item.entry;
        let status = reconciled.and_then(|r| r.status.get(index).copied());
        if status == Some(Status::Unchanged) {
            if e.kind == EntryKind::Dir {
                // there already (checked without following symlinks): no mkdir
                let retouch = reconciled.is_some_and(|r| r.needs_retouch(index));
                created.state.push(if retouch {
                    ItemState::Retouch
                } else {
                    ItemState::Unchanged
                });
                continue;
            }
            // still the first name of its hard-link group, for the names that follow
            if e.kind == EntryKind::File && e.nlink > 1 {
                links.entry((e.dev, e.inode)).or_insert(index);
            }
            created.state.push(ItemState::Unchanged);
            continue;
        }
        let update_in_place = status
            == Some(Status::Replace {
                kind_differs: false,
            })
            && e.kind == EntryKind::File;
        let io_err = |source: io::Error| refusal_or_io(safe, &item.rel, source);
        let mut state = ItemState::Created;
        match e.kind {
            EntryKind::Dir => {
                let dir = dirs.get(&parent, &item.rel)?;
                match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o700)) {
                    Ok(()) => {}
                    Err(Errno::EXIST) => {
                        // must be a real directory, not a symlink planted at the target
                        safe.open_dir(&item.rel).map_err(io_err)?;
                    }
                    Err(err) => return Err(io_err(err.into())),
                }
                outcome.dirs += 1;
            }
            EntryKind::File => {
                let first = (e.nlink > 1)
                    .then(|| links.get(&(e.dev, e.inode)).copied())
                    .flatten();
                if let Some(first) = first {
                    let first_rel = &plan
                        .items
                        .get(first)
                        .map(|i| i.rel.clone())
                        .unwrap_or_default();
                    let (first_parent, first_name) = first_rel
                        .split_last()
                        .ok_or_else(|| RestoreError::Internal("hard link to the root".into()))?;
                    let from = safe.open_dir(&first_parent).map_err(io_err)?;
                    let dir = dirs.get(&parent, &item.rel)?;
                    replace_existing(dir, name, || {
                        rustix::fs::linkat(
                            &from,
                            OsStr::from_bytes(first_name),
                            dir,
                            name,
                            AtFlags::empty(),
                        )
                    })
                    .map_err(io_err)?;
                    outcome.hardlinks += 1;
                    state = ItemState::LinkTo(first);
                } else {
                    if e.nlink > 1 {
                        links.insert((e.dev, e.inode), index);
                    }
                    let dir = dirs.get(&parent, &item.rel)?;
                    let mut fd = None;
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
                    let file = File::from(
                        fd.ok_or_else(|| RestoreError::Internal("file not opened".into()))?,
                    );
                    let size: u64 = e.content.iter().map(|p| p.len()).sum();
                    file.set_len(size).map_err(io_err)?;
                    outcome.files += 1;
                }
            }
            EntryKind::Symlink => {
                let target = e.symlink_target.clone().unwrap_or_default();
                let dir = dirs.get(&parent, &item.rel)?;
                replace_existing(dir, name, || {
                    rustix::fs::symlinkat(OsStr::from_bytes(&target), dir, name)
                })
                .map_err(io_err)?;
                outcome.symlinks += 1;
            }
            EntryKind::Fifo => {
                let dir = dirs.get(&parent, &item.rel)?;
                replace_existing(dir, name, || {
                    rustix::fs::mknodat(dir, name, FileType::Fifo, Mode::from_raw_mode(0o600), 0)
                })
                .map_err(io_err)?;
                outcome.specials += 1;
            }
            EntryKind::CharDevice | EntryKind::BlockDevice if root => {
                let ft = if e.kind == EntryKind::CharDevice {
                    FileType::CharacterDevice
                } else {
                    FileType::BlockDevice
                };
                let dir = dirs.get(&parent, &item.rel)?;
                replace_existing(dir, name, || {
                    rustix::fs::mknodat(dir.as_fd(), name, ft, Mode::from_raw_mode(0o600), e.rdev)
                })
                .map_err(io_err)?;
                outcome.specials += 1;
            }
            EntryKind::CharDevice | EntryKind::BlockDevice | EntryKind::Socket => {
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
                state = ItemState::Skipped;
            }
        }
        created.state.push(state);
    }
    Ok(created)
}
