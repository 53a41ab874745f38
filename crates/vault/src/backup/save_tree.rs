//! save_tree stage: directories waiting for their files and subdirectories.
//!
//! Each open directory counts what it still waits for (files being read, subdirectories
//! being walked). When the count reaches zero after its listing is complete, its tree blob
//! is finished: reused from the parent snapshot when every entry is identical (no encoding,
//! no hashing), otherwise encoded, hashed and saved if new. Its id then goes into the entry
//! of the directory above, which may complete in turn. Only directories with work in flight
//! are held in memory.

use std::path::PathBuf;

use super::summary::Counters;
use crate::tree::{encode_tree, Entry, Tree};
use crate::{BlobId, BlobKind, Repository, VaultError};

/// Index of an open directory.
pub(crate) type DirKey = usize;

/// A directory whose tree is not written yet.
#[derive(Debug)]
pub(crate) struct DirState {
    /// Stored path (for messages).
    pub path: PathBuf,
    /// Entries in name order; `None` for entries dropped (vanished, unreadable).
    pub entries: Vec<Option<Entry>>,
    /// Files and subdirectories not finished yet.
    pub pending: usize,
    /// All entries have been listed and dispatched.
    pub listed: bool,
    /// Where the finished tree id goes: (directory, entry index); `None` for the root.
    pub link: Option<(DirKey, usize)>,
    /// The same directory in the parent snapshot.
    pub parent: Option<(BlobId, Tree)>,
}

/// The root directory once complete: its tree is written by the caller (after the finish
/// hook's additions), not here.
#[derive(Debug)]
pub(crate) struct RootTree {
    pub entries: Vec<Entry>,
    pub parent: Option<(BlobId, Tree)>,
}

/// The open directories.
#[derive(Debug, Default)]
pub(crate) struct OpenDirs {
    slots: Vec<Option<DirState>>,
    free: Vec<DirKey>,
}

impl OpenDirs {
    pub fn open(&mut self, state: DirState) -> DirKey {
        if let Some(k) = self.free.pop() {
            if let Some(slot) = self.slots.get_mut(k) {
                *slot = Some(state);
                return k;
            }
        }
        self.slots.push(Some(state));
        self.slots.len() - 1
    }

    pub fn get_mut(&mut self, key: DirKey) -> Option<&mut DirState> {
        self.slots.get_mut(key).and_then(Option::as_mut)
    }

    fn close(&mut self, key: DirKey) -> Option<DirState> {
        let state = self.slots.get_mut(key).and_then(Option::take);
        if state.is_some() {
            self.free.push(key);
        }
        state
    }

    /// One pending item of `key` finished. Finishes every directory that became complete,
    /// walking up; returns the root's entries when the root finished.
    pub fn finish_item(
        &mut self,
        key: DirKey,
        repo: &Repository,
        counters: &Counters,
    ) -> Result<Option<RootTree>, VaultError> {
        if let Some(s) = self.get_mut(key) {
            s.pending = s.pending.saturating_sub(1);
        }
        self.try_complete(key, repo, counters)
    }

    /// Completes `key` if nothing is pending, then its ancestors as they complete.
    pub fn try_complete(
        &mut self,
        mut key: DirKey,
        repo: &Repository,
        counters: &Counters,
    ) -> Result<Option<RootTree>, VaultError> {
        loop {
            let ready = self
                .get_mut(key)
                .is_some_and(|s| s.listed && s.pending == 0);
            if !ready {
                return Ok(None);
            }
            let Some(state) = self.close(key) else {
                return Ok(None);
            };
            let Some((up, index)) = state.link else {
                return Ok(Some(RootTree {
                    entries: state.entries.into_iter().flatten().collect(),
                    parent: state.parent,
                }));
            };
            let id = write_tree(
                state.entries.into_iter().flatten().collect(),
                state.parent,
                repo,
                counters,
            )?;
            tracing::trace!(dir = %state.path.display(), tree = %id, "directory done");
            let Some(upper) = self.get_mut(up) else {
                return Ok(None);
            };
            if let Some(Some(entry)) = upper.entries.get_mut(index) {
                entry.subtree = Some(id);
            }
            upper.pending = upper.pending.saturating_sub(1);
            key = up;
        }
    }
}

/// Writes one directory's tree (or reuses the parent's identical one); returns its id.
pub(crate) fn write_tree(
    entries: Vec<Entry>,
    parent: Option<(BlobId, Tree)>,
    repo: &Repository,
    counters: &Counters,
) -> Result<BlobId, VaultError> {
    let tree = Tree::from_unsorted(entries);
    match &parent {
        Some((id, old)) if old.entries == tree.entries => {
            Counters::add(&counters.dirs_unchanged, 1);
            return Ok(*id);
        }
        Some(_) => Counters::add(&counters.dirs_changed, 1),
        None => Counters::add(&counters.dirs_new, 1),
    }
    let bytes = encode_tree(&tree);
    let id = repo.id_of(&bytes);
    if !repo.has_blob(BlobKind::Tree, &id) {
        repo.save_blob(BlobKind::Tree, id, &bytes)?;
    }
    Ok(id)
}
