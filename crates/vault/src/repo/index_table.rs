//! The in-memory index: blob (kind, id) -> location in a pack.
//!
//! Kept compact on purpose (the performance issue tunes memory): entries loaded from the
//! repository live in one sorted `Vec` of 52-byte slots (binary search), packs are
//! interned into a `Vec<PackId>` and referenced by a `u32`. Entries added during a session go
//! to a small hash map that is merged into the sorted vector when it grows.

use std::collections::HashMap;

use crate::compress::Compression;
use crate::format::pack::PackEntry;
use crate::{BlobId, BlobKind, PackId};

/// Where a blob is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobLocation {
    /// The pack holding the blob.
    pub pack: PackId,
    /// Data or tree.
    pub kind: BlobKind,
    /// Offset of the sealed blob in the pack.
    pub offset: u64,
    /// Length of the sealed blob.
    pub length: u64,
    /// Plaintext length.
    pub raw_len: u64,
    /// Payload compression.
    pub compression: Compression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    id: [u8; 32],
    kind: BlobKind,
    compression: Compression,
    pack: u32,
    offset: u32,
    stored_len: u32,
    raw_len: u32,
}

impl Slot {
    fn new(e: &PackEntry, pack: u32) -> Slot {
        Slot {
            id: e.id.0,
            kind: e.kind,
            compression: e.compression,
            pack,
            offset: e.offset,
            stored_len: e.stored_len,
            raw_len: e.raw_len,
        }
    }

    fn key(&self) -> ([u8; 32], BlobKind) {
        (self.id, self.kind)
    }
}

/// The lookup table. Not synchronized: the repository wraps it in a lock.
#[derive(Debug, Default)]
pub struct IndexTable {
    packs: Vec<PackId>,
    pack_pos: HashMap<PackId, u32>,
    sorted: Vec<Slot>,
    recent: HashMap<([u8; 32], BlobKind), Slot>,
}

impl IndexTable {
    /// An empty table.
    pub fn new() -> IndexTable {
        IndexTable::default()
    }

    fn intern(&mut self, pack: PackId) -> u32 {
        if let Some(&p) = self.pack_pos.get(&pack) {
            return p;
        }
        let p = self.packs.len() as u32;
        self.packs.push(pack);
        self.pack_pos.insert(pack, p);
        p
    }

    fn find_sorted(&self, key: &([u8; 32], BlobKind)) -> Option<&Slot> {
        self.sorted
            .binary_search_by(|s| s.key().cmp(key))
            .ok()
            .map(|i| &self.sorted[i])
    }

    fn slot(&self, kind: BlobKind, id: &BlobId) -> Option<&Slot> {
        let key = (id.0, kind);
        self.find_sorted(&key).or_else(|| self.recent.get(&key))
    }

    fn location(&self, s: &Slot) -> BlobLocation {
        BlobLocation {
            pack: self.packs[s.pack as usize],
            kind: s.kind,
            offset: u64::from(s.offset),
            length: u64::from(s.stored_len),
            raw_len: u64::from(s.raw_len),
            compression: s.compression,
        }
    }

    /// Build a table from whole index segments at once (loading): one sort at the end
    /// instead of incremental merges. Among duplicates the first location is kept.
    pub fn from_packs<I>(packs: I) -> IndexTable
    where
        I: IntoIterator<Item = (PackId, Vec<PackEntry>)>,
    {
        let mut t = IndexTable::new();
        for (pack, entries) in packs {
            t.bulk_add(pack, &entries);
        }
        t.finish_bulk();
        t
    }

    /// Bulk loading: append without dedup or ordering. Lookups are wrong until
    /// [`IndexTable::finish_bulk`] is called.
    pub fn bulk_add(&mut self, pack: PackId, entries: &[PackEntry]) {
        let p = self.intern(pack);
        self.sorted.extend(entries.iter().map(|e| Slot::new(e, p)));
    }

    /// End bulk loading: sort and drop duplicates.
    pub fn finish_bulk(&mut self) {
        // Stable: the first-inserted location stays first among duplicates.
        self.sorted.sort_by_key(Slot::key);
        self.sorted.dedup_by(|b, a| a.key() == b.key());
        self.sorted.shrink_to_fit();
    }

    /// Add every entry of a pack. A blob already present keeps its first location.
    pub fn insert_pack(&mut self, pack: PackId, entries: &[PackEntry]) {
        let p = self.intern(pack);
        for e in entries {
            let slot = Slot::new(e, p);
            if self.find_sorted(&slot.key()).is_none() {
                self.recent.entry(slot.key()).or_insert(slot);
            }
        }
        // Merge when the map reaches 1/8 of the sorted part: amortized O(1) per insert.
        if self.recent.len() > 4096 && self.recent.len() > self.sorted.len() / 8 {
            self.compact();
        }
    }

    /// Merge the recent entries into the sorted vector (linear, in place from the back).
    pub fn compact(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let mut add: Vec<Slot> = std::mem::take(&mut self.recent).into_values().collect();
        add.sort_by_key(Slot::key);
        let n = self.sorted.len();
        self.sorted.extend_from_slice(&add);
        let (mut i, mut j, mut k) = (n, add.len(), self.sorted.len());
        while j > 0 {
            if i > 0 && self.sorted[i - 1].key() > add[j - 1].key() {
                self.sorted[k - 1] = self.sorted[i - 1];
                i -= 1;
            } else {
                self.sorted[k - 1] = add[j - 1];
                j -= 1;
            }
            k -= 1;
        }
    }

    /// Location of a blob of the given kind.
    pub fn get(&self, kind: BlobKind, id: &BlobId) -> Option<BlobLocation> {
        self.slot(kind, id).map(|s| self.location(s))
    }

    /// Location of a blob of any kind (data first).
    pub fn get_any(&self, id: &BlobId) -> Option<BlobLocation> {
        self.get(BlobKind::Data, id)
            .or_else(|| self.get(BlobKind::Tree, id))
    }

    /// Whether a blob is indexed.
    pub fn contains(&self, kind: BlobKind, id: &BlobId) -> bool {
        self.slot(kind, id).is_some()
    }

    /// Number of distinct blobs.
    pub fn len(&self) -> usize {
        self.sorted.len() + self.recent.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every pack referenced by at least one entry.
    pub fn packs(&self) -> &[PackId] {
        &self.packs
    }

    /// Every entry, sorted by (id, kind).
    pub fn entries(&self) -> Vec<(BlobId, BlobLocation)> {
        let mut v: Vec<(BlobId, BlobLocation)> = self
            .sorted
            .iter()
            .chain(self.recent.values())
            .map(|s| (BlobId(s.id), self.location(s)))
            .collect();
        v.sort_by_key(|(id, loc)| (*id, loc.kind));
        v
    }

    /// Call `f` for every entry, in (id, kind) order (recent entries are merged first).
    pub fn for_each(&self, mut f: impl FnMut(&BlobId, &BlobLocation)) {
        let mut recent: Vec<&Slot> = self.recent.values().collect();
        recent.sort_by_key(|s| s.key());
        let mut r = recent.into_iter().peekable();
        for s in &self.sorted {
            while let Some(x) = r.next_if(|x| x.key() < s.key()) {
                f(&BlobId(x.id), &self.location(x));
            }
            f(&BlobId(s.id), &self.location(s));
        }
        for x in r {
            f(&BlobId(x.id), &self.location(x));
        }
    }

    /// Approximate heap bytes used (for the performance report).
    pub fn heap_bytes(&self) -> usize {
        self.sorted.capacity() * std::mem::size_of::<Slot>()
            + self.recent.capacity() * (std::mem::size_of::<Slot>() + 40)
            + self.packs.capacity() * 32
            + self.pack_pos.capacity() * 40
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(i: u32, kind: BlobKind) -> PackEntry {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        PackEntry {
            kind,
            compression: Compression::None,
            id: BlobId(id),
            offset: i * 10,
            stored_len: 10,
            raw_len: 5,
        }
    }

    #[test]
    fn insert_lookup_compact() {
        let mut t = IndexTable::new();
        let entries: Vec<_> = (0..10_000).map(|i| entry(i, BlobKind::Data)).collect();
        t.insert_pack(PackId([1; 32]), &entries[..6000]);
        t.insert_pack(PackId([2; 32]), &entries[6000..]);
        assert_eq!(t.len(), 10_000);
        for (i, e) in entries.iter().enumerate() {
            let loc = t.get(BlobKind::Data, &e.id).unwrap();
            assert_eq!(loc.offset, u64::from(e.offset));
            assert_eq!(loc.pack, PackId([if i < 6000 { 1 } else { 2 }; 32]));
            assert!(t.get(BlobKind::Tree, &e.id).is_none());
        }
        t.compact();
        assert_eq!(t.len(), 10_000);
        assert!(t.contains(BlobKind::Data, &entries[9999].id));
    }

    #[test]
    fn incremental_merges_equal_bulk_build() {
        let all: Vec<_> = (0..30_000u32)
            .map(|i| {
                // Ids in scrambled order (an odd multiplier is a bijection mod 2^32).
                let mut e = entry(i, BlobKind::Data);
                e.id.0[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
                e
            })
            .collect();
        let mut inc = IndexTable::new();
        for (n, chunk) in all.chunks(700).enumerate() {
            inc.insert_pack(PackId([n as u8; 32]), chunk);
        }
        let mut visited = Vec::new();
        inc.for_each(|id, loc| visited.push((*id, *loc)));
        assert_eq!(visited, inc.entries(), "for_each before compaction");
        inc.compact();
        let bulk = IndexTable::from_packs(
            all.chunks(700)
                .enumerate()
                .map(|(n, c)| (PackId([n as u8; 32]), c.to_vec())),
        );
        assert_eq!(inc.entries(), bulk.entries());
        assert_eq!(inc.len(), 30_000);
        for w in inc.sorted.windows(2) {
            assert!(w[0].key() < w[1].key());
        }
    }

    #[test]
    fn slots_stay_compact() {
        // 32-byte id + kind + compression + pack/offset/stored/raw as u32: the memory budget
        // per indexed blob the performance issue plans with.
        assert!(
            std::mem::size_of::<Slot>() <= 52,
            "{}",
            std::mem::size_of::<Slot>()
        );
        let entries: Vec<_> = (0..100_000).map(|i| entry(i, BlobKind::Data)).collect();
        let t = IndexTable::from_packs([(PackId([1; 32]), entries)]);
        assert!(
            t.heap_bytes() / t.len() <= 60,
            "{} bytes per blob",
            t.heap_bytes() / t.len()
        );
    }

    #[test]
    fn duplicates_keep_first_location() {
        let mut t = IndexTable::new();
        let e = entry(7, BlobKind::Tree);
        t.insert_pack(PackId([1; 32]), &[e]);
        t.compact();
        t.insert_pack(PackId([2; 32]), &[e]);
        t.compact();
        assert_eq!(t.len(), 1);
        assert_eq!(t.get_any(&e.id).unwrap().pack, PackId([1; 32]));
    }

    #[test]
    fn same_id_different_kinds_are_distinct() {
        let mut t = IndexTable::new();
        t.insert_pack(
            PackId([1; 32]),
            &[entry(1, BlobKind::Data), entry(1, BlobKind::Tree)],
        );
        assert_eq!(t.len(), 2);
        assert_eq!(t.entries().len(), 2);
    }
}
