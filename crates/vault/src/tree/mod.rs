//! Tree blobs: one per directory, describing every entry well enough to restore it exactly.
//!
//! A [`Tree`] is the list of a directory's entries sorted by name bytes (names are raw bytes,
//! so names that are not valid UTF-8 survive). Each [`Entry`] carries the file type, mode,
//! owner (ids and names), times in nanoseconds, size, device/inode (hard-link identity),
//! symlink target, extended attributes, the sparse hint and the content: a list of
//! [`ContentPart`]s (data blobs with their lengths, and holes). Directories point to their
//! own tree blob.
//!
//! The binary encoding lives in [`codec`]; [`decode_tree`] is pure and never panics.
//! [`find_entry`] and [`walk`] navigate a snapshot by stored path; [`diff`] compares two
//! trees without reading file content (identical subtrees are skipped by their ids). Every
//! tree is read through the repository's [`TreeCache`] ([`cache`]): a pack of trees per
//! request, held in memory up to a cap.

pub mod cache;
mod codec;
pub mod diff;
mod nav;

pub use cache::{TreeCache, TreeCacheStats, DEFAULT_TREE_CACHE_BYTES};
pub use codec::{decode_tree, encode_tree, TreeDecodeError, TREE_FORMAT_VERSION};
pub use nav::{
    expanded_entries, find_entry, load_tree, load_tree_bytes, root_entry, stored_path_components,
    walk, Visit,
};

use crate::{BlobId, Repository};

/// The tree cache of `repo` (one per open repository): its counters, its cap, a prefetch.
pub fn cache_of(repo: &Repository) -> &TreeCache {
    &repo.tree_cache
}

/// What kind of file system object an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Fifo,
    Socket,
    CharDevice,
    BlockDevice,
}

impl EntryKind {
    pub(crate) fn code(self) -> u8 {
        match self {
            EntryKind::File => 1,
            EntryKind::Dir => 2,
            EntryKind::Symlink => 3,
            EntryKind::Fifo => 4,
            EntryKind::Socket => 5,
            EntryKind::CharDevice => 6,
            EntryKind::BlockDevice => 7,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<EntryKind> {
        Some(match code {
            1 => EntryKind::File,
            2 => EntryKind::Dir,
            3 => EntryKind::Symlink,
            4 => EntryKind::Fifo,
            5 => EntryKind::Socket,
            6 => EntryKind::CharDevice,
            7 => EntryKind::BlockDevice,
            _ => return None,
        })
    }

    /// A short lowercase name for listings and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::Fifo => "fifo",
            EntryKind::Socket => "socket",
            EntryKind::CharDevice => "chardev",
            EntryKind::BlockDevice => "blockdev",
        }
    }
}

/// One piece of a file's content, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentPart {
    /// `len` bytes stored as the data blob `id`.
    Data { id: BlobId, len: u64 },
    /// `len` bytes that read as zero and were a hole in the source file.
    Hole { len: u64 },
}

impl ContentPart {
    pub fn len(&self) -> u64 {
        match self {
            ContentPart::Data { len, .. } | ContentPart::Hole { len } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One extended attribute (name and value are raw bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Xattr {
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

/// Everything a restore needs about one directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name as raw bytes (one path component).
    pub name: Vec<u8>,
    pub kind: EntryKind,
    /// Permission bits including setuid/setgid/sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// User and group names at backup time, when they could be resolved.
    pub user: Option<String>,
    pub group: Option<String>,
    pub mtime_ns: i64,
    pub atime_ns: i64,
    pub ctime_ns: i64,
    /// Size in bytes (files: content length; symlinks: target length; others as stat says).
    pub size: u64,
    pub dev: u64,
    pub inode: u64,
    pub nlink: u64,
    /// Device number for character and block devices.
    pub rdev: u64,
    /// Symlink target as raw bytes (symlinks only).
    pub symlink_target: Option<Vec<u8>>,
    pub xattrs: Vec<Xattr>,
    /// The source file had holes (SEEK_HOLE found some).
    pub sparse: bool,
    /// File content in order (files only).
    pub content: Vec<ContentPart>,
    /// The directory's own tree blob (directories only).
    pub subtree: Option<BlobId>,
}

impl Entry {
    /// A bare entry of the given kind with every other field zero/empty.
    pub fn new(name: impl Into<Vec<u8>>, kind: EntryKind) -> Entry {
        Entry {
            name: name.into(),
            kind,
            mode: 0,
            uid: 0,
            gid: 0,
            user: None,
            group: None,
            mtime_ns: 0,
            atime_ns: 0,
            ctime_ns: 0,
            size: 0,
            dev: 0,
            inode: 0,
            nlink: 0,
            rdev: 0,
            symlink_target: None,
            xattrs: Vec::new(),
            sparse: false,
            content: Vec::new(),
            subtree: None,
        }
    }

    /// Whether this entry is one name of a file with several hard links.
    pub fn is_hardlinked(&self) -> bool {
        self.kind != EntryKind::Dir && self.nlink > 1
    }

    /// The name for humans (lossy for non-UTF-8 names).
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// One directory: its entries sorted by name bytes, names unique.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tree {
    pub entries: Vec<Entry>,
}

impl Tree {
    /// Builds a tree from entries in any order (sorts them by name bytes).
    pub fn from_unsorted(mut entries: Vec<Entry>) -> Tree {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Tree { entries }
    }

    /// The entry with this exact name, if any (binary search: entries are sorted).
    pub fn get(&self, name: &[u8]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.name.as_slice().cmp(name))
            .ok()
            .and_then(|i| self.entries.get(i))
    }
}
