//! Comparing two snapshot trees: entries added, removed and changed.
//!
//! Both trees are walked together in name order. A directory whose subtree id is the same
//! on both sides holds exactly the same entries (tree blobs are content-addressed), so it is
//! skipped without loading it: an unchanged deployment costs one tree read per changed
//! directory on the way to each change, not a walk of everything. Files are compared by
//! their metadata and their content lists (blob ids and lengths): no file content is read.

use std::collections::HashMap;

use serde::Serialize;

use super::nav::load_tree;
use super::{ContentPart, Entry, EntryKind, Tree};
use crate::{BlobId, Repository, VaultError};

/// Where trees come from (the repository, or a map in tests).
pub trait TreeSource {
    fn tree(&self, id: &BlobId) -> Result<Tree, VaultError>;
}

impl TreeSource for Repository {
    fn tree(&self, id: &BlobId) -> Result<Tree, VaultError> {
        load_tree(self, id)
    }
}

impl TreeSource for HashMap<BlobId, Tree> {
    fn tree(&self, id: &BlobId) -> Result<Tree, VaultError> {
        self.get(id).cloned().ok_or_else(|| VaultError::NotFound {
            path: format!("tree {id}"),
        })
    }
}

/// Added, removed or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// What differs between the two versions of a changed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The content (blob list) differs.
    Content,
    Size,
    Mode,
    /// Owner or group.
    Owner,
    Mtime,
    /// Symlink target.
    Target,
    /// Extended attributes.
    Xattrs,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Content => "content",
            Field::Size => "size",
            Field::Mode => "mode",
            Field::Owner => "owner",
            Field::Mtime => "mtime",
            Field::Target => "target",
            Field::Xattrs => "xattrs",
        }
    }
}

/// One side of a change: the entry's metadata as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryState {
    /// `file`, `dir`, `symlink`, …
    pub kind: &'static str,
    /// Content bytes (files), target length (symlinks), 0 for directories.
    pub size: u64,
    /// Permission bits, octal (`0644`).
    pub mode: String,
    /// Owner and group: the names when known, else the ids.
    pub owner: String,
    /// Modification time, Unix nanoseconds.
    pub mtime_ns: i64,
    /// Symlink target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl EntryState {
    fn of(e: &Entry) -> EntryState {
        EntryState {
            kind: e.kind.as_str(),
            size: size_of(e),
            mode: format!("{:04o}", e.mode),
            owner: format!(
                "{}:{}",
                e.user.clone().unwrap_or_else(|| e.uid.to_string()),
                e.group.clone().unwrap_or_else(|| e.gid.to_string())
            ),
            mtime_ns: e.mtime_ns,
            target: e
                .symlink_target
                .as_ref()
                .map(|t| String::from_utf8_lossy(t).into_owned()),
        }
    }
}

/// The size that counts: content length for files, 0 for directories.
fn size_of(e: &Entry) -> u64 {
    match e.kind {
        EntryKind::File => e.content.iter().map(ContentPart::len).sum(),
        EntryKind::Dir => 0,
        _ => e.size,
    }
}

/// One entry that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryChange {
    /// Stored path (`/opt/IBM/Connections/…`).
    pub path: String,
    pub change: ChangeKind,
    /// The entry before (removed, changed).
    pub old: Option<EntryState>,
    /// The entry after (added, changed).
    pub new: Option<EntryState>,
    /// What differs (changed only), in [`Field`] order.
    pub fields: Vec<Field>,
}

/// The result of [`diff_trees`].
#[derive(Debug, Clone, Default)]
pub struct TreeDiff {
    /// Changes in path order (parents before children).
    pub changes: Vec<EntryChange>,
    /// Tree blobs read; identical subtrees cost none.
    pub trees_loaded: u64,
}

/// Compares the trees `old` and `new` (roots of two snapshots, or two subtrees at `base`).
pub fn diff_trees(
    src: &dyn TreeSource,
    old: &BlobId,
    new: &BlobId,
    base: &str,
) -> Result<TreeDiff, VaultError> {
    let mut walker = Walker {
        src,
        out: TreeDiff::default(),
    };
    walker.dirs(old, new, base)?;
    Ok(walker.out)
}

struct Walker<'a> {
    src: &'a dyn TreeSource,
    out: TreeDiff,
}

impl Walker<'_> {
    fn load(&mut self, id: &BlobId) -> Result<Tree, VaultError> {
        self.out.trees_loaded += 1;
        self.src.tree(id)
    }

    fn dirs(&mut self, old: &BlobId, new: &BlobId, dir: &str) -> Result<(), VaultError> {
        if old == new {
            return Ok(());
        }
        let a = self.load(old)?;
        let b = self.load(new)?;
        let (mut i, mut j) = (0, 0);
        loop {
            match (a.entries.get(i), b.entries.get(j)) {
                (None, None) => break,
                (Some(x), None) => {
                    self.one_side(x, dir, ChangeKind::Removed)?;
                    i += 1;
                }
                (None, Some(y)) => {
                    self.one_side(y, dir, ChangeKind::Added)?;
                    j += 1;
                }
                (Some(x), Some(y)) => match x.name.cmp(&y.name) {
                    std::cmp::Ordering::Less => {
                        self.one_side(x, dir, ChangeKind::Removed)?;
                        i += 1;
                    }
                    std::cmp::Ordering::Greater => {
                        self.one_side(y, dir, ChangeKind::Added)?;
                        j += 1;
                    }
                    std::cmp::Ordering::Equal => {
                        self.both(x, y, dir)?;
                        i += 1;
                        j += 1;
                    }
                },
            }
        }
        Ok(())
    }

    /// An entry on one side only, and everything below it.
    fn one_side(&mut self, e: &Entry, dir: &str, change: ChangeKind) -> Result<(), VaultError> {
        let path = join(dir, e);
        let state = Some(EntryState::of(e));
        let (old, new) = match change {
            ChangeKind::Removed => (state, None),
            _ => (None, state),
        };
        self.out.changes.push(EntryChange {
            path: path.clone(),
            change,
            old,
            new,
            fields: Vec::new(),
        });
        if let (EntryKind::Dir, Some(sub)) = (e.kind, e.subtree) {
            let tree = self.load(&sub)?;
            for child in &tree.entries {
                self.one_side(child, &path, change)?;
            }
        }
        Ok(())
    }

    /// The same name on both sides.
    fn both(&mut self, x: &Entry, y: &Entry, dir: &str) -> Result<(), VaultError> {
        if x.kind != y.kind {
            // A file that became a directory (or a link): the old one went, a new one came.
            self.one_side(x, dir, ChangeKind::Removed)?;
            return self.one_side(y, dir, ChangeKind::Added);
        }
        let fields = changed_fields(x, y);
        let path = join(dir, x);
        if !fields.is_empty() {
            self.out.changes.push(EntryChange {
                path: path.clone(),
                change: ChangeKind::Changed,
                old: Some(EntryState::of(x)),
                new: Some(EntryState::of(y)),
                fields,
            });
        }
        if let (Some(a), Some(b)) = (x.subtree, y.subtree) {
            self.dirs(&a, &b, &path)?;
        } else if x.subtree.is_some() || y.subtree.is_some() {
            // A directory whose tree is missing on one side: list the other side's entries.
            let (sub, change) = match (x.subtree, y.subtree) {
                (Some(s), None) => (s, ChangeKind::Removed),
                (None, Some(s)) => (s, ChangeKind::Added),
                _ => return Ok(()),
            };
            let tree = self.load(&sub)?;
            for child in &tree.entries {
                self.one_side(child, &path, change)?;
            }
        }
        Ok(())
    }
}

/// Fields that differ between two entries of the same kind. Directories report only mode,
/// owner and xattrs: their mtime changes with every entry added or removed in them, which
/// the children already report.
fn changed_fields(x: &Entry, y: &Entry) -> Vec<Field> {
    let mut f = Vec::new();
    let is_dir = x.kind == EntryKind::Dir;
    if x.kind == EntryKind::File && x.content != y.content {
        f.push(Field::Content);
    }
    if !is_dir && size_of(x) != size_of(y) {
        f.push(Field::Size);
    }
    if x.mode != y.mode {
        f.push(Field::Mode);
    }
    if (x.uid, x.gid) != (y.uid, y.gid) {
        f.push(Field::Owner);
    }
    if !is_dir && x.mtime_ns != y.mtime_ns {
        f.push(Field::Mtime);
    }
    if x.symlink_target != y.symlink_target {
        f.push(Field::Target);
    }
    if x.xattrs != y.xattrs {
        f.push(Field::Xattrs);
    }
    f
}

fn join(dir: &str, e: &Entry) -> String {
    format!("{}/{}", dir.trim_end_matches('/'), e.display_name())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Each change as (path, kind), in the order found.
    fn paths_and_kinds(d: &TreeDiff) -> Vec<(&str, ChangeKind)> {
        d.changes
            .iter()
            .map(|c| (c.path.as_str(), c.change))
            .collect()
    }

    fn id(n: u8) -> BlobId {
        BlobId([n; 32])
    }

    fn file(name: &str, blob: u8, len: u64, mtime: i64) -> Entry {
        let mut e = Entry::new(name, EntryKind::File);
        e.mode = 0o644;
        e.mtime_ns = mtime;
        e.size = len;
        e.content = vec![ContentPart::Data { id: id(blob), len }];
        e
    }

    fn dir(name: &str, sub: u8) -> Entry {
        let mut e = Entry::new(name, EntryKind::Dir);
        e.mode = 0o755;
        e.subtree = Some(id(sub));
        e
    }

    /// old root 1: big/ (tree 10, unchanged), etc/ (tree 11: a, b), gone/ (tree 12: x)
    /// new root 2: big/ (tree 10), etc/ (tree 21: a changed, c added), new.txt
    fn trees() -> HashMap<BlobId, Tree> {
        let mut m = HashMap::new();
        m.insert(
            id(1),
            Tree::from_unsorted(vec![dir("big", 10), dir("etc", 11), dir("gone", 12)]),
        );
        m.insert(
            id(2),
            Tree::from_unsorted(vec![
                dir("big", 10),
                dir("etc", 21),
                file("new.txt", 50, 7, 1),
            ]),
        );
        // tree 10 deliberately absent: loading it would fail the test
        m.insert(
            id(11),
            Tree::from_unsorted(vec![file("a", 30, 100, 1), file("b", 31, 5, 1)]),
        );
        m.insert(id(12), Tree::from_unsorted(vec![file("x", 32, 9, 1)]));
        m.insert(
            id(21),
            Tree::from_unsorted(vec![file("a", 33, 120, 2), file("c", 34, 3, 1)]),
        );
        m
    }

    #[test]
    fn identical_subtrees_are_skipped_and_changes_are_found() {
        let m = trees();
        let d = diff_trees(&m, &id(1), &id(2), "/").unwrap();
        let got = paths_and_kinds(&d);
        assert_eq!(
            got,
            [
                ("/etc/a", ChangeKind::Changed),
                ("/etc/b", ChangeKind::Removed),
                ("/etc/c", ChangeKind::Added),
                ("/gone", ChangeKind::Removed),
                ("/gone/x", ChangeKind::Removed),
                ("/new.txt", ChangeKind::Added),
            ]
        );
        let a = &d.changes[0];
        assert_eq!(a.fields, [Field::Content, Field::Size, Field::Mtime]);
        assert_eq!(a.old.as_ref().unwrap().size, 100);
        assert_eq!(a.new.as_ref().unwrap().size, 120);
        // roots (2), etc (2), gone (1): never big
        assert_eq!(d.trees_loaded, 5);
    }

    #[test]
    fn the_same_tree_costs_nothing() {
        let m = trees();
        let d = diff_trees(&m, &id(1), &id(1), "/").unwrap();
        assert!(d.changes.is_empty());
        assert_eq!(d.trees_loaded, 0);
    }

    #[test]
    fn metadata_only_changes_name_their_fields_and_dir_mtimes_are_ignored() {
        let mut m = HashMap::new();
        let mut d_old = dir("d", 40);
        d_old.mtime_ns = 1;
        let mut d_new = dir("d", 40);
        d_new.mtime_ns = 2;
        let mut f_new = file("f", 30, 10, 1);
        f_new.mode = 0o600;
        f_new.uid = 5;
        m.insert(
            id(1),
            Tree::from_unsorted(vec![d_old, file("f", 30, 10, 1)]),
        );
        m.insert(id(2), Tree::from_unsorted(vec![d_new, f_new]));
        let d = diff_trees(&m, &id(1), &id(2), "/").unwrap();
        assert_eq!(d.changes.len(), 1, "{:#?}", d.changes);
        assert_eq!(d.changes[0].path, "/f");
        assert_eq!(d.changes[0].fields, [Field::Mode, Field::Owner]);
    }

    #[test]
    fn a_file_replaced_by_a_directory_is_a_removal_and_an_addition() {
        let mut m = HashMap::new();
        m.insert(id(1), Tree::from_unsorted(vec![file("p", 30, 10, 1)]));
        m.insert(id(2), Tree::from_unsorted(vec![dir("p", 40)]));
        m.insert(id(40), Tree::from_unsorted(vec![file("q", 31, 1, 1)]));
        let d = diff_trees(&m, &id(1), &id(2), "/").unwrap();
        let got = paths_and_kinds(&d);
        assert_eq!(
            got,
            [
                ("/p", ChangeKind::Removed),
                ("/p", ChangeKind::Added),
                ("/p/q", ChangeKind::Added)
            ]
        );
    }

    #[test]
    fn a_missing_tree_is_an_error_not_a_panic() {
        let mut m = HashMap::new();
        m.insert(id(1), Tree::from_unsorted(vec![dir("d", 40)]));
        m.insert(id(2), Tree::from_unsorted(vec![dir("d", 41)]));
        assert!(diff_trees(&m, &id(1), &id(2), "/").is_err());
    }
}
