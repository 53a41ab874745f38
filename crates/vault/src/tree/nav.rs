//! Finding and walking entries of a snapshot by stored path (for `ls`, `diff`, restore
//! planning and verification).
//!
//! Stored paths are absolute (`/opt/IBM/Connections`); `/` is the snapshot root, presented
//! as a directory entry with an empty name whose subtree is the snapshot's root tree.

use std::collections::{HashMap, HashSet};
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
    decode_tree(&bytes).map_err(|e| VaultError::corrupt_with(format!("tree {id}"), e))
}

/// How many entries the tree `root` names, every shared subtree counted each time it is
/// named (what a walk visits), computed over the distinct trees only: directories may share
/// a subtree, so a few tree blobs can name exponentially many entries (issue 21: a restore
/// of such a snapshot reached 6.9 GiB in 15 s). Saturates at `u64::MAX`, which is also the
/// count of a tree that names itself below it (a walk would never end). A tree that cannot
/// be loaded counts as empty (the walk itself reports it). Depth first on an explicit stack:
/// a hostile snapshot can nest trees deeper than the thread's stack.
pub fn expanded_entries(repo: &Repository, root: &BlobId) -> u64 {
    /// A tree being counted: its own entries, its subtrees, how many of them are added.
    struct Frame {
        id: BlobId,
        total: u64,
        subtrees: Vec<BlobId>,
        next: usize,
    }
    let frame = |id: BlobId| match load_tree(repo, &id) {
        Ok(tree) => Frame {
            id,
            total: tree.entries.len() as u64,
            subtrees: tree
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Dir)
                .filter_map(|e| e.subtree)
                .collect(),
            next: 0,
        },
        Err(_) => Frame {
            id,
            total: 0,
            subtrees: Vec::new(),
            next: 0,
        },
    };
    let mut counted: HashMap<BlobId, u64> = HashMap::new();
    let mut open: HashSet<BlobId> = HashSet::from([*root]);
    let mut stack = vec![frame(*root)];
    while let Some(top) = stack.last_mut() {
        if let Some(&sub) = top.subtrees.get(top.next) {
            if let Some(n) = counted.get(&sub) {
                top.total = top.total.saturating_add(*n);
                top.next += 1;
            } else if !open.insert(sub) {
                return u64::MAX; // a tree below itself
            } else {
                stack.push(frame(sub));
            }
            continue;
        }
        // every subtree counted: this tree is done
        let Some(done) = stack.pop() else { break };
        open.remove(&done.id);
        counted.insert(done.id, done.total);
        if let Some(parent) = stack.last_mut() {
            parent.total = parent.total.saturating_add(done.total);
            parent.next += 1;
        }
    }
    counted.get(root).copied().unwrap_or(0)
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
