//! The tree cache: tree blobs are read a pack at a time and kept, decrypted, in memory.
//!
//! Walking a snapshot loads one tree blob per directory, one after the other (a directory's
//! children are only known once it is decoded). On S3 every ranged GET costs a round trip,
//! so a walk of a few thousand directories spent most of its time waiting. Tree blobs live in
//! their own packs (the repository keeps one open pack per blob kind), so the trees a walk
//! needs sit together in a few packs: on a miss the cache reads the whole extent of tree blobs
//! of the pack holding the wanted tree in ONE request, verifies and decrypts every tree in it
//! and keeps their plaintexts. Walks that need every tree (check, prune) first call
//! [`TreeCache::prefetch_all`], which reads all tree packs with several requests in flight;
//! a walk of one snapshot does the same on its first miss when all the repository's trees
//! are small ([`EAGER_PREFETCH_BYTES`]), since its trees are spread over the tree packs of
//! every backup that changed a directory.
//!
//! Memory is bounded: plaintexts are held up to a byte cap ([`DEFAULT_TREE_CACHE_BYTES`]);
//! beyond it the oldest fetched packs are dropped, and a pack that has been dropped (or whose
//! trees alone exceed the cap) is never fetched whole again: its trees are then read one
//! ranged request each, as before. Tree blobs are content-addressed, so a cached plaintext
//! never goes stale; the pack layout is re-read from the index when it changes.
//!
//! Every tree read of the crate goes through here: [`super::load_tree`] (and so
//! [`super::find_entry`] and [`super::walk`]), check's walk and prune's reference walk.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing::debug;

use crate::{BlobId, BlobKind, BlobLocation, PackId, Progress, Repository, VaultError};

/// Default cap on the tree plaintexts held in memory (256 MiB: the trees of several million
/// files).
pub const DEFAULT_TREE_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Requests in flight while [`TreeCache::prefetch_all`] reads tree packs.
pub const PREFETCH_CONCURRENCY: usize = 8;

/// When all the trees of the repository together are at most this big, the first miss reads
/// every tree pack at once (in parallel) instead of one pack per miss: a snapshot's trees are
/// spread over the tree packs of every backup that changed a directory, and a few MiB more
/// read in parallel cost less than one round trip per pack met along the walk.
pub const EAGER_PREFETCH_BYTES: u64 = 32 * 1024 * 1024;

/// What the cache did so far (for tests, benchmarks and debug logs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TreeCacheStats {
    /// Trees served from memory.
    pub hits: u64,
    /// Trees not in memory when asked for.
    pub misses: u64,
    /// Packs read whole (one request each).
    pub packs_fetched: u64,
    /// Trees read with a request of their own (cap reached, dropped pack, or not indexed).
    pub single_reads: u64,
    /// Plaintext bytes held now.
    pub bytes_held: u64,
}

/// Where the tree blobs are: for each pack, its tree blobs in offset order.
struct Layout {
    /// Index size when this layout was built (rebuilt when the index changes).
    index_len: usize,
    packs: HashMap<PackId, Vec<(BlobId, BlobLocation)>>,
    /// Plaintext bytes of all the trees.
    total: u64,
}

#[derive(Default)]
struct State {
    trees: HashMap<BlobId, Arc<[u8]>>,
    /// Fetched packs still held, oldest first, with the trees they brought.
    held: VecDeque<(PackId, Vec<BlobId>, u64)>,
    /// Packs fetched once (held or dropped): never fetched whole again.
    fetched: HashSet<PackId>,
    bytes: u64,
    layout: Option<Arc<Layout>>,
    /// The eager prefetch was done for the layout of this index size.
    eager_done_at: Option<usize>,
    stats: TreeCacheStats,
}

/// A memory-bounded cache of tree plaintexts, filled a pack at a time. One per
/// [`Repository`]; `Send + Sync`.
pub struct TreeCache {
    cap: std::sync::atomic::AtomicU64,
    state: Mutex<State>,
}

impl Default for TreeCache {
    fn default() -> Self {
        TreeCache::new(DEFAULT_TREE_CACHE_BYTES)
    }
}

impl std::fmt::Debug for TreeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TreeCache")
            .field("cap", &self.cap())
            .field("stats", &self.stats())
            .finish()
    }
}

/// A tree pack read whole: the requested extent and the trees in it.
struct Fetched {
    pack: PackId,
    trees: Vec<(BlobId, Arc<[u8]>)>,
}

impl TreeCache {
    /// An empty cache holding at most `cap` bytes of tree plaintexts.
    pub fn new(cap: u64) -> TreeCache {
        TreeCache {
            cap: std::sync::atomic::AtomicU64::new(cap),
            state: Mutex::new(State::default()),
        }
    }

    /// The byte cap.
    pub fn cap(&self) -> u64 {
        self.cap.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Change the byte cap (0: no caching, every tree is one request). Trees held beyond the
    /// new cap are dropped.
    pub fn set_cap(&self, cap: u64) {
        self.cap.store(cap, std::sync::atomic::Ordering::Relaxed);
        let mut st = self.lock();
        evict_to(&mut st, cap);
    }

    /// Counters so far.
    pub fn stats(&self) -> TreeCacheStats {
        let st = self.lock();
        TreeCacheStats {
            bytes_held: st.bytes,
            ..st.stats
        }
    }

    /// Drop everything held (the counters stay).
    pub fn clear(&self) {
        let mut st = self.lock();
        st.trees.clear();
        st.held.clear();
        st.fetched.clear();
        st.bytes = 0;
        st.layout = None;
        st.eager_done_at = None;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The plaintext of tree blob `id`, verified (AEAD and id): from memory, else by reading
    /// the pack that holds it, else by one ranged read.
    pub fn load(&self, repo: &Repository, id: &BlobId) -> Result<Arc<[u8]>, VaultError> {
        {
            let mut st = self.lock();
            if let Some(b) = st.trees.get(id).cloned() {
                st.stats.hits += 1;
                return Ok(b);
            }
            st.stats.misses += 1;
        }
        // Not indexed (e.g. saved in this session and not yet uploaded): the repository
        // finds it in its pending packs.
        let Some(loc) = repo.lookup_kind(BlobKind::Tree, id) else {
            return self.single(repo, id);
        };
        if self.eager_prefetch(repo, &loc.pack) {
            if let Some(b) = self.lock().trees.get(id).cloned() {
                return Ok(b);
            }
        }
        let members = {
            let mut st = self.lock();
            if st.fetched.contains(&loc.pack) {
                None
            } else {
                let layout = layout_for(&mut st, repo, &loc.pack);
                layout
                    .packs
                    .get(&loc.pack)
                    .filter(|m| m.iter().any(|(b, _)| b == id))
                    .cloned()
            }
        };
        let Some(members) = members else {
            return self.single(repo, id);
        };
        let total: u64 = members.iter().map(|(_, l)| l.raw_len).sum();
        if total > self.cap() {
            return self.single(repo, id);
        }
        match fetch_pack(repo, loc.pack, &members) {
            Ok(f) => {
                let wanted = f
                    .trees
                    .iter()
                    .find(|(b, _)| b == id)
                    .map(|(_, p)| p.clone());
                self.insert(f);
                match wanted {
                    Some(p) => Ok(p),
                    // The wanted tree did not verify: read it alone for the precise error.
                    None => self.single(repo, id),
                }
            }
            Err(e) => {
                debug!(pack = %loc.pack, error = %e, "tree pack read failed; reading the tree alone");
                self.single(repo, id)
            }
        }
    }

    /// On the first miss (per index state): when every tree of the repository fits under
    /// [`EAGER_PREFETCH_BYTES`] and the cap, read all tree packs in parallel. Returns whether
    /// it did.
    fn eager_prefetch(&self, repo: &Repository, pack: &PackId) -> bool {
        {
            let mut st = self.lock();
            let layout = layout_for(&mut st, repo, pack);
            if st.eager_done_at == Some(layout.index_len)
                || layout.total > EAGER_PREFETCH_BYTES.min(self.cap())
                || layout.packs.len() < 2
            {
                return false;
            }
            st.eager_done_at = Some(layout.index_len);
        }
        self.prefetch_all(repo, PREFETCH_CONCURRENCY, None);
        true
    }

    /// Read every tree pack (not yet read) of the index with up to `concurrency` requests in
    /// flight, as long as the trees fit under the cap. For walks that visit every snapshot
    /// (check, prune). A pack that cannot be read is left to per-tree reads (which then report
    /// the error where it matters). `progress`, when given, counts packs and bytes to read
    /// (totals) and read (done).
    pub fn prefetch_all(
        &self,
        repo: &Repository,
        concurrency: usize,
        progress: Option<&Progress>,
    ) -> TreeCacheStats {
        let todo: Vec<(PackId, Vec<(BlobId, BlobLocation)>)> = {
            let mut st = self.lock();
            let layout = layout_for(&mut st, repo, &PackId::default());
            let mut room = self.cap().saturating_sub(st.bytes);
            let mut packs: Vec<(&PackId, &Vec<(BlobId, BlobLocation)>)> = layout
                .packs
                .iter()
                .filter(|(p, _)| !st.fetched.contains(p))
                .collect();
            packs.sort_by_key(|(p, _)| **p);
            let mut todo = Vec::new();
            for (p, m) in packs {
                let need: u64 = m.iter().map(|(_, l)| l.raw_len).sum();
                if need > room {
                    debug!(
                        cap = self.cap(),
                        "tree prefetch stops at the cache cap; other trees are read on demand"
                    );
                    break;
                }
                room -= need;
                todo.push((*p, m.clone()));
            }
            todo
        };
        if let Some(p) = progress {
            p.add_total(todo.len() as u64, todo.iter().map(|(_, m)| extent(m)).sum());
        }
        let queue = Mutex::new(todo.into_iter());
        let workers = concurrency.clamp(1, 64);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some((pack, members)) = next else { break };
                    let bytes = extent(&members);
                    match fetch_pack(repo, pack, &members) {
                        Ok(f) => self.insert(f),
                        Err(e) => debug!(pack = %pack, error = %e, "tree pack prefetch failed"),
                    }
                    if let Some(p) = progress {
                        p.add_done(1, bytes);
                    }
                });
            }
        });
        self.stats()
    }

    /// One tree by its own ranged read (no caching of the pack).
    fn single(&self, repo: &Repository, id: &BlobId) -> Result<Arc<[u8]>, VaultError> {
        self.lock().stats.single_reads += 1;
        let plain: Arc<[u8]> = repo.load_blob(BlobKind::Tree, id)?.into();
        let mut st = self.lock();
        // Kept only while there is room; it belongs to no fetched pack, so it is never
        // evicted and is counted against the cap like the others.
        if st.bytes + plain.len() as u64 <= self.cap() && !st.trees.contains_key(id) {
            st.bytes += plain.len() as u64;
            st.trees.insert(*id, plain.clone());
        }
        Ok(plain)
    }

    fn insert(&self, f: Fetched) {
        let cap = self.cap();
        let mut st = self.lock();
        st.stats.packs_fetched += 1;
        if !st.fetched.insert(f.pack) {
            return; // another thread brought it meanwhile
        }
        let size: u64 = f.trees.iter().map(|(_, p)| p.len() as u64).sum();
        evict_to(&mut st, cap.saturating_sub(size));
        let mut ids = Vec::with_capacity(f.trees.len());
        let mut added = 0u64;
        for (id, plain) in f.trees {
            if let std::collections::hash_map::Entry::Vacant(slot) = st.trees.entry(id) {
                added += plain.len() as u64;
                slot.insert(plain);
                ids.push(id);
            }
        }
        st.bytes += added;
        st.held.push_back((f.pack, ids, added));
    }
}

/// Bytes from the first tree's offset to the end of the last: what one fetch reads.
fn extent(members: &[(BlobId, BlobLocation)]) -> u64 {
    match (members.first(), members.last()) {
        (Some((_, a)), Some((_, b))) => (b.offset + b.length).saturating_sub(a.offset),
        _ => 0,
    }
}

/// Drop the oldest fetched packs until at most `limit` bytes are held.
fn evict_to(st: &mut State, limit: u64) {
    while st.bytes > limit {
        let Some((pack, ids, bytes)) = st.held.pop_front() else {
            break;
        };
        for id in ids {
            st.trees.remove(&id);
        }
        st.bytes = st.bytes.saturating_sub(bytes);
        debug!(pack = %pack, bytes, "tree cache full: dropped a pack's trees");
    }
}

/// The tree layout, rebuilt when the index changed and `pack` is not in it.
fn layout_for(st: &mut State, repo: &Repository, pack: &PackId) -> Arc<Layout> {
    let index_len = repo.index_stats().0;
    if let Some(l) = &st.layout {
        if l.packs.contains_key(pack) || l.index_len == index_len {
            return l.clone();
        }
    }
    let mut packs: HashMap<PackId, Vec<(BlobId, BlobLocation)>> = HashMap::new();
    repo.for_each_index_entry(|id, loc| {
        if loc.kind == BlobKind::Tree {
            packs.entry(loc.pack).or_default().push((*id, *loc));
        }
    });
    for m in packs.values_mut() {
        m.sort_by_key(|(_, l)| l.offset);
        // A blob listed twice for one pack (two index segments) is read once.
        m.dedup_by_key(|(id, _)| *id);
    }
    let total = packs.values().flatten().map(|(_, l)| l.raw_len).sum();
    let l = Arc::new(Layout {
        index_len,
        packs,
        total,
    });
    st.layout = Some(l.clone());
    l
}

/// Read the extent of `members` in `pack` with one request and open every tree in it.
/// Trees that do not verify are left out (a per-tree read reports them).
fn fetch_pack(
    repo: &Repository,
    pack: PackId,
    members: &[(BlobId, BlobLocation)],
) -> Result<Fetched, VaultError> {
    let start = members.first().map(|(_, l)| l.offset).unwrap_or(0);
    let bytes = repo.read_pack_range(&pack, start, extent(members))?;
    let mut trees = Vec::with_capacity(members.len());
    for (id, loc) in members {
        let from = (loc.offset - start) as usize;
        let Some(stored) = bytes.get(from..from.saturating_add(loc.length as usize)) else {
            continue;
        };
        match repo.decode_blob(loc, id, stored) {
            Ok(plain) => trees.push((*id, Arc::from(plain))),
            Err(e) => {
                debug!(pack = %pack, blob = %id, error = %e, "tree in fetched pack does not verify")
            }
        }
    }
    Ok(Fetched { pack, trees })
}
