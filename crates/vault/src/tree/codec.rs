//! The binary encoding of tree blobs (documented byte for byte in docs/VAULT.md).
//!
//! ```text
//! tree    := magic "CXTR" | version u8 (=1) | count varint | entry*count
//! entry   := name bytes | kind u8 | flags varint | mode varint | uid varint | gid varint
//!            | [user str] | [group str] | mtime zvarint | atime zvarint | ctime zvarint
//!            | size varint | dev varint | inode varint | nlink varint | [rdev varint]
//!            | [target bytes] | [xattrs] | [content] | [subtree 32 bytes]
//! bytes   := len varint | len raw bytes          str := bytes holding UTF-8
//! xattrs  := count varint | (name bytes | value bytes)*count
//! content := count varint | part*count
//! part    := 0 u8 | len varint | blob id 32 bytes      (data)
//!          | 1 u8 | len varint                         (hole)
//! ```
//! `varint` is unsigned LEB128 (at most 10 bytes, canonical), `zvarint` a zigzag-mapped i64 in
//! LEB128. Optional fields are present exactly when their flag bit is set. Entries are sorted
//! strictly by name bytes, so names are unique. The decoder checks every length against the
//! bytes that remain before allocating, so hostile input cannot make it allocate more than
//! the input's size, and it never panics.

use super::{ContentPart, Entry, EntryKind, Tree, Xattr};
use crate::BlobId;

/// The tree encoding version this build writes and the newest it reads.
pub const TREE_FORMAT_VERSION: u8 = 1;

const MAGIC: &[u8; 4] = b"CXTR";

const F_USER: u64 = 1 << 0;
const F_GROUP: u64 = 1 << 1;
const F_SPARSE: u64 = 1 << 2;
const F_TARGET: u64 = 1 << 3;
const F_SUBTREE: u64 = 1 << 4;
const F_RDEV: u64 = 1 << 5;
const F_XATTRS: u64 = 1 << 6;
const F_CONTENT: u64 = 1 << 7;
const F_KNOWN: u64 = (1 << 8) - 1;

const PART_DATA: u8 = 0;
const PART_HOLE: u8 = 1;

/// Why bytes are not a valid tree blob. Offsets are byte positions in the blob.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeDecodeError {
    #[error("not a tree blob (bad magic)")]
    BadMagic,
    #[error(
        "tree format version {0} is newer than this cnxbackup understands (upgrade cnxbackup)"
    )]
    UnsupportedVersion(u8),
    #[error("tree blob truncated at byte {0}")]
    Truncated(usize),
    #[error("malformed number at byte {0}")]
    BadVarint(usize),
    #[error("unknown entry kind {kind} at byte {at}")]
    BadKind { kind: u8, at: usize },
    #[error("unknown flags {flags:#x} at byte {at}")]
    BadFlags { flags: u64, at: usize },
    #[error("user or group name is not UTF-8 at byte {0}")]
    BadString(usize),
    #[error("unknown content part tag {tag} at byte {at}")]
    BadPart { tag: u8, at: usize },
    #[error("entries not strictly sorted by name at entry {0}")]
    Unsorted(usize),
    #[error("entry {index} is inconsistent: {why}")]
    Inconsistent { index: usize, why: &'static str },
    #[error("{0} trailing bytes after the last entry")]
    Trailing(usize),
    #[error("value out of range at byte {0}")]
    OutOfRange(usize),
}

/// Encodes a tree. Entries must already be sorted by name (as [`Tree`] keeps them).
pub fn encode_tree(tree: &Tree) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + tree.entries.len() * 96);
    out.extend_from_slice(MAGIC);
    out.push(TREE_FORMAT_VERSION);
    put_varint(&mut out, tree.entries.len() as u64);
    for entry in &tree.entries {
        encode_entry(&mut out, entry);
    }
    out
}

fn encode_entry(out: &mut Vec<u8>, e: &Entry) {
    put_bytes(out, &e.name);
    out.push(e.kind.code());
    let mut flags = 0;
    if e.user.is_some() {
        flags |= F_USER;
    }
    if e.group.is_some() {
        flags |= F_GROUP;
    }
    if e.sparse {
        flags |= F_SPARSE;
    }
    if e.symlink_target.is_some() {
        flags |= F_TARGET;
    }
    if e.subtree.is_some() {
        flags |= F_SUBTREE;
    }
    if e.rdev != 0 {
        flags |= F_RDEV;
    }
    if !e.xattrs.is_empty() {
        flags |= F_XATTRS;
    }
    if !e.content.is_empty() {
        flags |= F_CONTENT;
    }
    put_varint(out, flags);
    put_varint(out, u64::from(e.mode));
    put_varint(out, u64::from(e.uid));
    put_varint(out, u64::from(e.gid));
    if let Some(user) = &e.user {
        put_bytes(out, user.as_bytes());
    }
    if let Some(group) = &e.group {
        put_bytes(out, group.as_bytes());
    }
    put_zigzag(out, e.mtime_ns);
    put_zigzag(out, e.atime_ns);
    put_zigzag(out, e.ctime_ns);
    put_varint(out, e.size);
    put_varint(out, e.dev);
    put_varint(out, e.inode);
    put_varint(out, e.nlink);
    if e.rdev != 0 {
        put_varint(out, e.rdev);
    }
    if let Some(target) = &e.symlink_target {
        put_bytes(out, target);
    }
    if !e.xattrs.is_empty() {
        put_varint(out, e.xattrs.len() as u64);
        for x in &e.xattrs {
            put_bytes(out, &x.name);
            put_bytes(out, &x.value);
        }
    }
    if !e.content.is_empty() {
        put_varint(out, e.content.len() as u64);
        for part in &e.content {
            match part {
                ContentPart::Data { id, len } => {
                    out.push(PART_DATA);
                    put_varint(out, *len);
                    out.extend_from_slice(&id.0);
                }
                ContentPart::Hole { len } => {
                    out.push(PART_HOLE);
                    put_varint(out, *len);
                }
            }
        }
    }
    if let Some(id) = &e.subtree {
        out.extend_from_slice(&id.0);
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Decodes a tree blob. Pure; returns an error (never panics) on any malformed input.
pub fn decode_tree(bytes: &[u8]) -> Result<Tree, TreeDecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(TreeDecodeError::BadMagic);
    }
    let version = r.u8()?;
    if version != TREE_FORMAT_VERSION {
        // Version 0 never existed; anything else is from a newer writer.
        return Err(if version == 0 {
            TreeDecodeError::BadMagic
        } else {
            TreeDecodeError::UnsupportedVersion(version)
        });
    }
    // Every entry takes well over one byte, so a count above the remaining length is a lie.
    let count = r.count()?;
    let mut entries: Vec<Entry> = Vec::with_capacity(count);
    for index in 0..count {
        let entry = decode_entry(&mut r, index)?;
        if let Some(prev) = entries.last() {
            if prev.name >= entry.name {
                return Err(TreeDecodeError::Unsorted(index));
            }
        }
        entries.push(entry);
    }
    if r.remaining() != 0 {
        return Err(TreeDecodeError::Trailing(r.remaining()));
    }
    Ok(Tree { entries })
}

fn decode_entry(r: &mut Reader<'_>, index: usize) -> Result<Entry, TreeDecodeError> {
    let name = r.bytes()?.to_vec();
    let kind_at = r.pos;
    let kind_code = r.u8()?;
    let kind = EntryKind::from_code(kind_code).ok_or(TreeDecodeError::BadKind {
        kind: kind_code,
        at: kind_at,
    })?;
    let flags_at = r.pos;
    let flags = r.varint()?;
    if flags & !F_KNOWN != 0 {
        return Err(TreeDecodeError::BadFlags {
            flags,
            at: flags_at,
        });
    }
    let mut e = Entry::new(name, kind);
    e.mode = r.u32()?;
    e.uid = r.u32()?;
    e.gid = r.u32()?;
    if flags & F_USER != 0 {
        e.user = Some(r.string()?);
    }
    if flags & F_GROUP != 0 {
        e.group = Some(r.string()?);
    }
    e.mtime_ns = r.zigzag()?;
    e.atime_ns = r.zigzag()?;
    e.ctime_ns = r.zigzag()?;
    e.size = r.varint()?;
    e.dev = r.varint()?;
    e.inode = r.varint()?;
    e.nlink = r.varint()?;
    if flags & F_RDEV != 0 {
        e.rdev = r.varint()?;
        if e.rdev == 0 {
            return Err(inconsistent(
                index,
                "rdev flag set with a zero device number",
            ));
        }
    }
    if flags & F_TARGET != 0 {
        e.symlink_target = Some(r.bytes()?.to_vec());
    }
    if flags & F_XATTRS != 0 {
        let n = r.count()?;
        if n == 0 {
            return Err(inconsistent(index, "empty xattr list"));
        }
        e.xattrs.reserve(n);
        for _ in 0..n {
            let name = r.bytes()?.to_vec();
            let value = r.bytes()?.to_vec();
            e.xattrs.push(Xattr { name, value });
        }
    }
    if flags & F_CONTENT != 0 {
        let n = r.count()?;
        if n == 0 {
            return Err(inconsistent(index, "empty content list"));
        }
        e.content.reserve(n);
        for _ in 0..n {
            let tag_at = r.pos;
            let part = match r.u8()? {
                PART_DATA => {
                    let len = r.varint()?;
                    let id = r.id()?;
                    ContentPart::Data { id, len }
                }
                PART_HOLE => ContentPart::Hole { len: r.varint()? },
                tag => return Err(TreeDecodeError::BadPart { tag, at: tag_at }),
            };
            e.content.push(part);
        }
    }
    if flags & F_SUBTREE != 0 {
        e.subtree = Some(r.id()?);
    }
    e.sparse = flags & F_SPARSE != 0;
    check_consistent(&e, index)?;
    Ok(e)
}

/// Fields that only make sense for some kinds must appear exactly there.
fn check_consistent(e: &Entry, index: usize) -> Result<(), TreeDecodeError> {
    let is_dir = e.kind == EntryKind::Dir;
    let is_file = e.kind == EntryKind::File;
    let is_link = e.kind == EntryKind::Symlink;
    if is_dir != e.subtree.is_some() {
        return Err(inconsistent(
            index,
            "a directory needs a subtree, nothing else has one",
        ));
    }
    if is_link != e.symlink_target.is_some() {
        return Err(inconsistent(
            index,
            "a symlink needs a target, nothing else has one",
        ));
    }
    if !is_file && (!e.content.is_empty() || e.sparse) {
        return Err(inconsistent(index, "only files have content"));
    }
    Ok(())
}

fn inconsistent(index: usize, why: &'static str) -> TreeDecodeError {
    TreeDecodeError::Inconsistent { index, why }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], TreeDecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(TreeDecodeError::Truncated(self.pos))?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(TreeDecodeError::Truncated(self.pos))?;
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, TreeDecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(TreeDecodeError::Truncated(self.pos))?;
        self.pos += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, TreeDecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..10u32 {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            // The 10th byte may only carry the top bit of a u64.
            if i == 9 && bits > 1 {
                return Err(TreeDecodeError::BadVarint(start));
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                // Canonical form only: no trailing zero groups (keeps encodings unique).
                if i > 0 && b == 0 {
                    return Err(TreeDecodeError::BadVarint(start));
                }
                return Ok(value);
            }
        }
        Err(TreeDecodeError::BadVarint(start))
    }

    fn zigzag(&mut self) -> Result<i64, TreeDecodeError> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn u32(&mut self) -> Result<u32, TreeDecodeError> {
        let at = self.pos;
        u32::try_from(self.varint()?).map_err(|_| TreeDecodeError::OutOfRange(at))
    }

    /// A length or count: must fit in what is left of the input.
    fn count(&mut self) -> Result<usize, TreeDecodeError> {
        let at = self.pos;
        let n = self.varint()?;
        usize::try_from(n)
            .ok()
            .filter(|n| *n <= self.remaining())
            .ok_or(TreeDecodeError::Truncated(at))
    }

    fn bytes(&mut self) -> Result<&'a [u8], TreeDecodeError> {
        let n = self.count()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, TreeDecodeError> {
        let at = self.pos;
        let raw = self.bytes()?;
        String::from_utf8(raw.to_vec()).map_err(|_| TreeDecodeError::BadString(at))
    }

    fn id(&mut self) -> Result<BlobId, TreeDecodeError> {
        let raw = self.take(32)?;
        let mut id = [0u8; 32];
        id.copy_from_slice(raw);
        Ok(BlobId(id))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample_file() -> Entry {
        let mut e = Entry::new(b"caf\xe9.txt".to_vec(), EntryKind::File);
        e.mode = 0o4755;
        e.uid = 1000;
        e.gid = 100;
        e.user = Some("alice".into());
        e.group = Some("users".into());
        e.mtime_ns = 1_700_000_000_123_456_789;
        e.atime_ns = -5;
        e.ctime_ns = i64::MAX;
        e.size = 3 << 20;
        e.dev = 2049;
        e.inode = 1234567;
        e.nlink = 2;
        e.sparse = true;
        e.xattrs = vec![Xattr {
            name: b"user.note".to_vec(),
            value: vec![0, 1, 2],
        }];
        e.content = vec![
            ContentPart::Data {
                id: BlobId([7; 32]),
                len: 1 << 20,
            },
            ContentPart::Hole { len: 2 << 20 },
        ];
        e
    }

    #[test]
    fn round_trip_keeps_every_field() {
        let mut dir = Entry::new(b"dir".to_vec(), EntryKind::Dir);
        dir.subtree = Some(BlobId([9; 32]));
        let mut link = Entry::new(b"link".to_vec(), EntryKind::Symlink);
        link.symlink_target = Some(b"../x\xff".to_vec());
        let mut dev = Entry::new(b"null".to_vec(), EntryKind::CharDevice);
        dev.rdev = 0x0103;
        let tree = Tree::from_unsorted(vec![sample_file(), link, dir, dev]);
        let bytes = encode_tree(&tree);
        assert_eq!(decode_tree(&bytes).unwrap(), tree);
    }

    #[test]
    fn rejects_newer_version_with_upgrade_hint() {
        let mut bytes = encode_tree(&Tree::default());
        bytes[4] = 2;
        let err = decode_tree(&bytes).unwrap_err();
        assert_eq!(err, TreeDecodeError::UnsupportedVersion(2));
        assert!(err.to_string().contains("upgrade cnxbackup"));
    }

    #[test]
    fn rejects_duplicate_and_unsorted_names() {
        let a = Entry::new(b"a".to_vec(), EntryKind::Fifo);
        let tree = Tree {
            entries: vec![a.clone(), a],
        };
        assert_eq!(
            decode_tree(&encode_tree(&tree)),
            Err(TreeDecodeError::Unsorted(1))
        );
    }

    #[test]
    fn rejects_trailing_bytes_and_truncation() {
        let tree = Tree::from_unsorted(vec![sample_file()]);
        let mut bytes = encode_tree(&tree);
        bytes.push(0);
        assert_eq!(decode_tree(&bytes), Err(TreeDecodeError::Trailing(1)));
        bytes.pop();
        for cut in 0..bytes.len() {
            assert!(decode_tree(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut bytes = MAGIC.to_vec();
        bytes.push(TREE_FORMAT_VERSION);
        put_varint(&mut bytes, u64::MAX);
        assert!(decode_tree(&bytes).is_err());
    }

    #[test]
    fn directory_without_subtree_is_rejected() {
        let tree = Tree {
            entries: vec![Entry::new(b"d".to_vec(), EntryKind::Dir)],
        };
        assert!(matches!(
            decode_tree(&encode_tree(&tree)),
            Err(TreeDecodeError::Inconsistent { index: 0, .. })
        ));
    }

    pub(crate) fn arb_entry() -> impl Strategy<Value = Entry> {
        let kinds = prop_oneof![
            Just(EntryKind::File),
            Just(EntryKind::Dir),
            Just(EntryKind::Symlink),
            Just(EntryKind::Fifo),
            Just(EntryKind::Socket),
            Just(EntryKind::CharDevice),
            Just(EntryKind::BlockDevice),
        ];
        let part = prop_oneof![
            (any::<[u8; 32]>(), any::<u64>()).prop_map(|(id, len)| ContentPart::Data {
                id: BlobId(id),
                len
            }),
            any::<u64>().prop_map(|len| ContentPart::Hole { len }),
        ];
        (
            proptest::collection::vec(any::<u8>(), 0..12),
            kinds,
            (any::<u32>(), any::<u32>(), any::<u32>()),
            (any::<Option<String>>(), any::<Option<String>>()),
            (any::<i64>(), any::<i64>(), any::<i64>()),
            (
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
            ),
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::collection::vec(
                (
                    proptest::collection::vec(any::<u8>(), 0..6),
                    proptest::collection::vec(any::<u8>(), 0..6),
                ),
                0..3,
            ),
            (any::<bool>(), proptest::collection::vec(part, 0..4)),
            any::<[u8; 32]>(),
        )
            .prop_map(
                |(name, kind, ids, names, times, nums, target, xattrs, (sparse, content), sub)| {
                    let mut e = Entry::new(name, kind);
                    (e.mode, e.uid, e.gid) = ids;
                    (e.user, e.group) = names;
                    (e.mtime_ns, e.atime_ns, e.ctime_ns) = times;
                    (e.size, e.dev, e.inode, e.nlink, e.rdev) = nums;
                    e.xattrs = xattrs
                        .into_iter()
                        .map(|(name, value)| Xattr { name, value })
                        .collect();
                    match kind {
                        EntryKind::File => {
                            e.sparse = sparse;
                            e.content = content;
                        }
                        EntryKind::Dir => e.subtree = Some(BlobId(sub)),
                        EntryKind::Symlink => e.symlink_target = Some(target),
                        _ => {}
                    }
                    e
                },
            )
    }

    proptest! {
        #[test]
        fn any_tree_round_trips(entries in proptest::collection::vec(arb_entry(), 0..8)) {
            let mut tree = Tree::from_unsorted(entries);
            tree.entries.dedup_by(|a, b| a.name == b.name);
            let bytes = encode_tree(&tree);
            prop_assert_eq!(decode_tree(&bytes).unwrap(), tree);
        }

        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = decode_tree(&bytes);
        }

        #[test]
        fn decoder_never_panics_on_mutated_trees(
            entries in proptest::collection::vec(arb_entry(), 1..4),
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        ) {
            let mut tree = Tree::from_unsorted(entries);
            tree.entries.dedup_by(|a, b| a.name == b.name);
            let mut bytes = encode_tree(&tree);
            for (at, v) in flips {
                let i = at % bytes.len();
                bytes[i] ^= v;
            }
            // whatever decodes re-encodes to the same bytes: the encoding is canonical
            if let Ok(t) = decode_tree(&bytes) {
                prop_assert_eq!(encode_tree(&t), bytes);
            }
        }
    }
}
