//! Finding and walking entries of a snapshot by stored path (for `ls`, `diff`, restore
//! planning and verification).
//!
//! Stored paths are absolute (`/opt/IBM/Connections`); `/` is the snapshot root, presented
//! as a directory entry with an empty name whose subtree is the snapshot's root tree.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::{decode_tree, Entry, EntryKind, Tree};
use crate::{BlobId, Repository, Snapshot, VaultError};

/// Loads and decodes one tree blob (through the repository's tree cache: on S3 one request
/// brings a whole pack of trees).
pub fn load_tree(repo: &Repository, id: &BlobId) -> Result<Tree, VaultError> {
    let bytes = load_tree_bytes(repo, id)?;
    decode_tree(&bytes).map_err(|e| VaultError::corrupt(format!("tree {id}"), e.to_string()))
}

/// The verified plaintext of one tree blob, through the repository's tree cache.
pub fn load_tree_bytes(repo: &Repository, id: &BlobId) -> Result<Arc<[u8]>, VaultError> {
    repo.tree_cache.load(repo, id)
}

/// The components of a stored path (absolute or not; `.` ignored, `..` refused).
pub fn stored_path_components(path: &Path) -> Result<Vec<Vec<u8>>, VaultError> {
    let mut out = Vec::new();
    for c in path.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n.as_bytes().to_vec()),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(VaultError::InvalidArgument(format!(
                    "{}: '..' is not allowed in a stored path",
                    path.display()
                )))
            }
        }
    }
    Ok(out)
}

/// The entry standing for the snapshot root.
pub fn root_entry(snapshot: &Snapshot) -> Entry {
    let mut e = Entry::new(Vec::new(), EntryKind::Dir);
    e.mode = 0o755;
    e.subtree = Some(snapshot.tree);
    e
}

/// The entry at `stored_path` in `snapshot`, or `None` when there is none (a component on
/// the way missing or not a directory).
pub fn find_entry(
    repo: &Repository,
    snapshot: &Snapshot,
    stored_path: &Path,
) -> Result<Option<Entry>, VaultError> {
    let comps = stored_path_components(stored_path)?;
    let mut entry = root_entry(snapshot);
    for c in comps {
        let Some(sub) = entry.subtree.filter(|_| entry.kind == EntryKind::Dir) else {
            return Ok(None);
        };
        let tree = load_tree(repo, &sub)?;
        match tree.get(&c) {
            Some(e) => entry = e.clone(),
            None => return Ok(None),
        }
    }
    Ok(Some(entry))
}

/// What the visitor of [`walk`] wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// Go on (into this directory, if it is one).
    Continue,
    /// Do not descend into this directory.
    SkipSubtree,
    /// End the walk.
    Stop,
}

/// Walks the entries below `subtree` (a stored path; `/` for everything) in depth-first
/// name order, parents before children, calling `visitor` with each entry's stored path.
/// The entry at `subtree` itself is visited first. A missing `subtree` is
/// [`VaultError::NotFound`]; a tree that cannot be loaded ends the walk with its error.
pub fn walk(
    repo: &Repository,
    snapshot: &Snapshot,
    subtree: &Path,
    visitor: &mut dyn FnMut(&Path, &Entry) -> Visit,
) -> Result<(), VaultError> {
    let start = find_entry(repo, snapshot, subtree)?.ok_or_else(|| VaultError::NotFound {
        path: subtree.display().to_string(),
    })?;
    let mut base = PathBuf::from("/");
    for c in stored_path_components(subtree)? {
        base.push(OsStr::from_bytes(&c));
    }
    match visitor(&base, &start) {
        Visit::Continue => {}
        Visit::SkipSubtree | Visit::Stop => return Ok(()),
    }
    if let (EntryKind::Dir, Some(id)) = (start.kind, start.subtree) {
        walk_tree(repo, &id, &base, visitor)?;
    }
    Ok(())
}

/// Returns `false` when the visitor asked to stop.
fn walk_tree(
    repo: &Repository,
    id: &BlobId,
    dir: &Path,
    visitor: &mut dyn FnMut(&Path, &Entry) -> Visit,
) -> Result<bool, VaultError> {
    let tree = load_tree(repo, id)?;
    for e in &tree.entries {
        let path = dir.join(OsStr::from_bytes(&e.name));
        match visitor(&path, e) {
            Visit::Stop => return Ok(false),
            Visit::SkipSubtree => continue,
            Visit::Continue => {}
        }
        if let (EntryKind::Dir, Some(sub)) = (e.kind, e.subtree) {
            if !walk_tree(repo, &sub, &path, visitor)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}
