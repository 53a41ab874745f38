//! [`Repository`]: an opened repository — keys unwrapped, index loaded — and the operations
//! the backup, restore and check layers build on.
//!
//! Thread model: `Repository` is `Send + Sync`; share it with `Arc`. [`Repository::save_blob`]
//! compresses and seals in the caller's thread (so every core works), appends to the open
//! pack of the blob's kind under a short lock, and the thread whose append fills a pack
//! uploads it (so upload concurrency is bounded by the number of saving threads).

pub mod filter;
mod keys;
pub mod locks;
mod packer;
mod probe;
mod sets;
mod snapshots;
mod uploader;

pub mod index_table;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

use crate::chunker::ChunkerParams;
use crate::crypto::kdf::KdfParams;
use crate::crypto::MasterKey;
use crate::format::blob::{decode_blob, encode_blob};
use crate::format::config::{decode_config, RepoConfig, CONFIG_PATH, MAX_PACK_SIZE, MIN_PACK_SIZE};
use crate::format::error::DecodeError;
use crate::format::index::{index_path, open_index_segment, seal_index_segment, INDEX_DIR};
use crate::format::keyfile::{decode_key_file, KeyFile, KEYS_DIR};
use crate::format::pack::{
    open_trailer, pack_id_from_path, pack_path, trailer_range, PackEntry, FOOTER_LEN, PACKS_DIR,
};
use crate::storage::Storage;
use crate::{BlobId, BlobKind, IndexId, PackId, VaultError};

pub use filter::SnapshotFilter;
pub use index_table::{BlobLocation, IndexTable};
pub use keys::KeyInfo;
pub use locks::{LockList, RepoLock};
use packer::{OpenPack, Pending};
pub use sets::SetRecordList;
pub use snapshots::SnapshotList;
use uploader::Uploader;

/// Default target pack size (8 MiB: a backup holds up to four packs in memory — the open
/// one and those being uploaded — so this is 32 MiB of its peak memory).
pub const DEFAULT_PACK_SIZE: u32 = 8 * 1024 * 1024;
/// Small metadata objects (index segments, snapshot documents) read at once when loading.
pub(crate) const METADATA_READ_CONCURRENCY: usize = 8;
/// How many of them are fetched before they are decoded (bounds the bytes held at once).
pub(crate) const METADATA_READ_BATCH: usize = 64;
/// Default zstd level.
pub const DEFAULT_COMPRESSION_LEVEL: i32 = 1;
/// Threads writing finished packs to storage in the background.
pub const UPLOAD_THREADS: usize = 2;
/// Index checkpoint interval during a backup.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(60);
/// Index checkpoint after this many bytes of new packs.
pub const CHECKPOINT_BYTES: u64 = 1024 * 1024 * 1024;

/// Options for [`Repository::init`].
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Argon2id cost of the first key file.
    pub kdf: KdfParams,
    /// Default chunk sizes recorded in the config (the seed is ignored).
    pub chunker: ChunkerParams,
    /// Default zstd level.
    pub compression_level: i32,
    /// Target pack size in bytes (1 MiB ..= 1 GiB).
    pub pack_size: u32,
    /// Create an append-only repository (see [`Repository::allow_deletes`]).
    pub append_only: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            kdf: KdfParams::default(),
            chunker: ChunkerParams::default(),
            compression_level: DEFAULT_COMPRESSION_LEVEL,
            pack_size: DEFAULT_PACK_SIZE,
            append_only: false,
        }
    }
}

/// An index segment that could not be loaded (reported, skipped; `repair index` fixes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexProblem {
    /// Object path of the segment.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

/// What [`Repository::load_index_segments`] read.
struct LoadedIndex {
    table: IndexTable,
    doomed: IndexTable,
    problems: Vec<IndexProblem>,
    /// Some listed segment was gone when read (replaced by a concurrent prune).
    vanished: bool,
}

/// Counters of what this process stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Data blobs stored (new).
    pub data_blobs: u64,
    /// Tree blobs stored (new).
    pub tree_blobs: u64,
    /// Plaintext bytes of the new blobs.
    pub bytes_raw: u64,
    /// Stored bytes of the new blobs (compressed + sealed).
    pub bytes_stored: u64,
    /// Blobs stored compressed.
    pub blobs_compressed: u64,
    /// Packs uploaded.
    pub packs: u64,
    /// Index segments written.
    pub index_segments: u64,
}

#[derive(Default)]
struct Counters {
    data_blobs: AtomicU64,
    tree_blobs: AtomicU64,
    bytes_raw: AtomicU64,
    bytes_stored: AtomicU64,
    blobs_compressed: AtomicU64,
    packs: AtomicU64,
    index_segments: AtomicU64,
}

struct Checkpoint {
    last: Instant,
    bytes_since: u64,
    every: Duration,
    max_bytes: u64,
}

/// An open repository.
pub struct Repository {
    storage: Storage,
    config: RepoConfig,
    key: MasterKey,
    key_path: String,
    compression_level: AtomicI32,
    index: RwLock<IndexTable>,
    /// Packs listed in a pending-deletion marker (or hidden by this session's prune): absent
    /// for deduplication, still readable (vault-s3: maintenance/pending.rs).
    doomed: RwLock<IndexTable>,
    hidden_packs: Mutex<HashSet<PackId>>,
    index_problems: Mutex<Vec<IndexProblem>>,
    pending: Mutex<HashMap<(BlobKind, BlobId), Pending>>,
    open_packs: [Mutex<OpenPack>; 2],
    unindexed: Mutex<Vec<(PackId, Vec<PackEntry>)>>,
    checkpoint: Mutex<Checkpoint>,
    counters: Counters,
    uploader: Uploader,
    /// Set by the first failed pack upload: the session can no longer promise durability.
    failed: Mutex<Option<std::sync::Arc<VaultError>>>,
    any_failed: std::sync::atomic::AtomicBool,
    /// Deletes allowed in an append-only repository (see [`Repository::allow_deletes`]).
    maintenance: std::sync::atomic::AtomicBool,
    /// Tree plaintexts read a pack at a time (vault-s3: tree/cache.rs).
    pub(crate) tree_cache: crate::tree::TreeCache,
}

impl std::fmt::Debug for Repository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repository")
            .field("location", &self.storage.location())
            .field("id", &self.config.id)
            .finish_non_exhaustive()
    }
}

/// Lock helpers: a poisoned lock means another thread panicked mid-update; the data it
/// guards is still structurally valid (every update is a plain insert/remove), so go on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}
fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn kind_slot(kind: BlobKind) -> usize {
    match kind {
        BlobKind::Data => 0,
        BlobKind::Tree => 1,
    }
}

impl Repository {
    fn assemble(
        storage: Storage,
        config: RepoConfig,
        key: MasterKey,
        key_path: String,
    ) -> Result<Self, VaultError> {
        let uploader = Uploader::start(&storage, UPLOAD_THREADS)?;
        Ok(Repository {
            uploader,
            failed: Mutex::new(None),
            any_failed: std::sync::atomic::AtomicBool::new(false),
            maintenance: std::sync::atomic::AtomicBool::new(false),
            compression_level: AtomicI32::new(config.compression.level),
            storage,
            config,
            key,
            key_path,
            index: RwLock::new(IndexTable::new()),
            doomed: RwLock::new(IndexTable::new()),
            hidden_packs: Mutex::new(HashSet::new()),
            index_problems: Mutex::new(Vec::new()),
            pending: Mutex::new(HashMap::new()),
            open_packs: [
                Mutex::new(OpenPack::default()),
                Mutex::new(OpenPack::default()),
            ],
            unindexed: Mutex::new(Vec::new()),
            checkpoint: Mutex::new(Checkpoint {
                last: Instant::now(),
                bytes_since: 0,
                every: CHECKPOINT_INTERVAL,
                max_bytes: CHECKPOINT_BYTES,
            }),
            counters: Counters::default(),
            tree_cache: crate::tree::TreeCache::default(),
        })
    }

    /// Create a repository: a fresh master key wrapped by `password`, then the config.
    /// Fails when a config already exists.
    pub fn init(
        storage: Storage,
        password: &str,
        opts: &InitOptions,
    ) -> Result<Repository, VaultError> {
        Repository::init_with_key(storage, password, opts, MasterKey::generate()?)
    }

    /// Create a repository with `key` as its master key (a copy destination shares its
    /// source's: `copy`).
    pub(crate) fn init_with_key(
        storage: Storage,
        password: &str,
        opts: &InitOptions,
        key: MasterKey,
    ) -> Result<Repository, VaultError> {
        if storage.exists(CONFIG_PATH)? {
            return Err(VaultError::RepositoryExists {
                location: storage.location().to_string(),
            });
        }
        if password.is_empty() {
            return Err(VaultError::InvalidArgument(
                "the repository password must not be empty".into(),
            ));
        }
        opts.chunker.validate()?;
        if !(MIN_PACK_SIZE..=MAX_PACK_SIZE).contains(&opts.pack_size) {
            return Err(VaultError::InvalidArgument(format!(
                "pack size {} is outside {MIN_PACK_SIZE}..={MAX_PACK_SIZE}",
                opts.pack_size
            )));
        }
        if !(-7..=22).contains(&opts.compression_level) {
            return Err(VaultError::InvalidArgument(format!(
                "zstd level {} is outside -7..=22",
                opts.compression_level
            )));
        }
        opts.kdf.validate().map_err(VaultError::InvalidArgument)?;
        let config = RepoConfig {
            append_only: opts.append_only,
            ..RepoConfig::new(
                crate::crypto::random_bytes::<32>()?,
                &opts.chunker,
                opts.compression_level,
                opts.pack_size,
            )
        };
        let key_path = write_key_file(&storage, &key, password, opts.kdf)?;
        // The config is written last: its presence marks a complete repository.
        storage.write(CONFIG_PATH, config.encode())?;
        debug!(location = storage.location(), "repository initialised");
        Repository::assemble(storage, config, key, key_path)
    }

    /// Open a repository: check the format, unwrap the master key with `password` (trying
    /// every key file), load the index. Corrupt index segments are skipped and reported by
    /// [`Repository::index_problems`].
    pub fn open(storage: Storage, password: &str) -> Result<Repository, VaultError> {
        let config_bytes = match storage.read(CONFIG_PATH) {
            Ok(b) => b,
            Err(e) if e.is_not_found() => {
                return Err(VaultError::NoRepository {
                    location: storage.location().to_string(),
                })
            }
            Err(e) => return Err(e),
        };
        let config = decode_config(&config_bytes)?;
        let key_files = storage.list(KEYS_DIR)?;
        if key_files.is_empty() {
            return Err(VaultError::corrupt(
                KEYS_DIR,
                "the repository has no key files",
            ));
        }
        let (key, key_path) = unlock_master(&storage, &key_files, password)?;
        let repo = Repository::assemble(storage, config, key, key_path)?;
        repo.reload_index()?;
        Ok(repo)
    }

    /// Add another password (a new key file wrapping the same master key); returns the key
    /// file's object path.
    pub fn add_password(&self, password: &str, kdf: KdfParams) -> Result<String, VaultError> {
        if password.is_empty() {
            return Err(VaultError::InvalidArgument(
                "the repository password must not be empty".into(),
            ));
        }
        kdf.validate().map_err(VaultError::InvalidArgument)?;
        write_key_file(&self.storage, &self.key, password, kdf)
    }

    /// Re-read every index segment into a fresh in-memory index.
    ///
    /// A segment that was listed but is gone when read was replaced by a concurrent prune
    /// (which writes the new segment before it deletes the old ones): the listing is stale,
    /// so the whole load runs once more; a segment missing again is reported as a problem.
    pub fn reload_index(&self) -> Result<(), VaultError> {
        let mut hidden = crate::maintenance::pending::pending_packs(&self.storage, &self.key)?;
        hidden.extend(lock(&self.hidden_packs).iter().copied());
        let mut loaded = self.load_index_segments(&hidden)?;
        if loaded.vanished {
            debug!("index segments were replaced while loading; loading again");
            loaded = self.load_index_segments(&hidden)?;
        }
        let LoadedIndex {
            mut table,
            mut doomed,
            problems,
            ..
        } = loaded;
        // Blobs uploaded in this session but not yet in a segment stay visible.
        for (pack, entries) in lock(&self.unindexed).iter() {
            table.bulk_add(*pack, entries);
        }
        table.finish_bulk();
        doomed.finish_bulk();
        *write(&self.index) = table;
        *write(&self.doomed) = doomed;
        *lock(&self.index_problems) = problems;
        Ok(())
    }

    /// Every index segment listed now, read and decoded; packs in `hidden` go to the doomed
    /// table.
    fn load_index_segments(&self, hidden: &HashSet<PackId>) -> Result<LoadedIndex, VaultError> {
        let mut loaded = LoadedIndex {
            table: IndexTable::new(),
            doomed: IndexTable::new(),
            problems: Vec::new(),
            vanished: false,
        };
        let objects = self.storage.list(INDEX_DIR)?;
        // Several segments in flight (one request each would make opening a repository on
        // S3 a round trip per backup ever made); in batches, so the raw bytes held at once
        // stay bounded.
        for batch in objects.chunks(METADATA_READ_BATCH) {
            let paths: Vec<String> = batch.iter().map(|o| o.path.clone()).collect();
            let contents = self.storage.read_many(&paths, METADATA_READ_CONCURRENCY);
            for (obj, content) in batch.iter().zip(contents) {
                if content.as_ref().is_err_and(VaultError::is_not_found) {
                    loaded.vanished = true;
                }
                // Reported, not returned: the text is what `index_problems` shows.
                let seg = content.map_err(|e| e.to_string()).and_then(|b| {
                    let named = IndexId::from_hex(obj.path.trim_start_matches(INDEX_DIR));
                    if named
                        .map(|id| id.0 != *blake3::hash(&b).as_bytes())
                        .unwrap_or(true)
                    {
                        return Err("content does not match its name (truncated or altered)".into());
                    }
                    open_index_segment(&self.key, &b).map_err(|e| e.to_string())
                });
                match seg {
                    Ok(packs) => {
                        for (pack, entries) in packs {
                            if hidden.contains(&pack) {
                                loaded.doomed.bulk_add(pack, &entries);
                            } else {
                                loaded.table.bulk_add(pack, &entries);
                            }
                        }
                    }
                    Err(reason) => {
                        warn!(segment = obj.path, %reason, "skipping corrupt index segment; run `repair index`");
                        loaded.problems.push(IndexProblem {
                            path: obj.path.clone(),
                            reason,
                        });
                    }
                }
            }
        }
        Ok(loaded)
    }

    /// Index segments skipped at the last load, with the reason.
    pub fn index_problems(&self) -> Vec<IndexProblem> {
        lock(&self.index_problems).clone()
    }

    /// The storage this repository lives on.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The decoded config object.
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// Whether the repository is append-only (its config says so).
    pub fn is_append_only(&self) -> bool {
        self.config.append_only
    }

    /// Run this session in maintenance mode: deletes are allowed in an append-only
    /// repository. The caller has opened the storage with credentials that may delete
    /// (the backup host's may not: that is what makes the repository append-only).
    pub fn set_maintenance(&self, on: bool) {
        self.maintenance.store(on, Ordering::SeqCst);
    }

    /// Refuse `what` (an operation that deletes objects) in an append-only repository
    /// unless the session is in maintenance mode ([`VaultError::AppendOnly`]). Backups,
    /// copies, checks and restores never delete and never ask.
    pub fn allow_deletes(&self, what: &'static str) -> Result<(), VaultError> {
        if self.config.append_only && !self.maintenance.load(Ordering::SeqCst) {
            return Err(VaultError::AppendOnly {
                what,
                location: self.storage.location().to_string(),
            });
        }
        Ok(())
    }

    /// Object path of the key file that opened the repository.
    pub fn key_path(&self) -> &str {
        &self.key_path
    }

    /// Keyed hash of a plaintext: the id under which [`Repository::save_blob`] stores it.
    pub fn id_of(&self, plaintext: &[u8]) -> BlobId {
        self.key.blob_id(plaintext)
    }

    /// The repository's default chunker parameters with the key-derived seed. Use
    /// [`ChunkerParams::with_sizes`] for other sizes.
    pub fn chunker(&self) -> ChunkerParams {
        self.config.chunker_params(self.key.chunker_seed())
    }

    /// Set the zstd level for blobs saved from now on (`None`: store everything raw).
    pub fn set_compression_level(&self, level: Option<i32>) {
        self.compression_level
            .store(level.unwrap_or(i32::MIN), Ordering::Relaxed);
    }

    fn compression(&self) -> Option<i32> {
        match self.compression_level.load(Ordering::Relaxed) {
            i32::MIN => None,
            l => Some(l),
        }
    }

    /// Change when index checkpoints are written during a session (default: every 60 s or
    /// 1 GiB of new packs, whichever comes first).
    pub fn set_checkpoint_policy(&self, every: Duration, max_bytes: u64) {
        let mut c = lock(&self.checkpoint);
        c.every = every;
        c.max_bytes = max_bytes;
    }

    /// Whether a blob is in the index or saved earlier in this session.
    pub fn has_blob(&self, kind: BlobKind, id: &BlobId) -> bool {
        read(&self.index).contains(kind, id) || lock(&self.pending).contains_key(&(kind, *id))
    }

    /// Where an indexed blob lives (any kind; data first). Blobs still in an open pack have no
    /// location yet.
    pub fn lookup(&self, id: &BlobId) -> Option<BlobLocation> {
        read(&self.index)
            .get_any(id)
            .or_else(|| read(&self.doomed).get_any(id))
    }

    /// Where an indexed blob of a given kind lives.
    pub fn lookup_kind(&self, kind: BlobKind, id: &BlobId) -> Option<BlobLocation> {
        read(&self.index)
            .get(kind, id)
            .or_else(|| read(&self.doomed).get(kind, id))
    }

    /// Treat these packs as absent for deduplication from now on (their blobs stay readable
    /// until the packs are deleted): prune hides the packs it is about to repack, so that
    /// saving their live blobs writes new copies. Reloads the index.
    pub fn hide_packs_for_dedup(&self, packs: &[PackId]) -> Result<(), VaultError> {
        lock(&self.hidden_packs).extend(packs.iter().copied());
        self.reload_index()
    }

    /// Read the pending-deletion markers again and stop deduplicating against packs listed
    /// since the index was loaded (reloads the index only when there are such packs). A
    /// backup calls this right after taking its shared lock: a prune then knows that every
    /// marker older than the lock was seen.
    pub fn refresh_pending_markers(&self) -> Result<(), VaultError> {
        let pending = crate::maintenance::pending::pending_packs(&self.storage, &self.key)?;
        let newly_listed = {
            let index = read(&self.index);
            let indexed: HashSet<&PackId> = index.packs().iter().collect();
            pending.iter().any(|p| indexed.contains(p))
        };
        if newly_listed {
            debug!("pending-deletion markers changed since the index was loaded: reloading");
            self.reload_index()?;
        }
        Ok(())
    }

    /// Whether a pack is treated as absent for deduplication (pending deletion).
    pub fn is_pack_hidden(&self, pack: &PackId) -> bool {
        let doomed = read(&self.doomed);
        lock(&self.hidden_packs).contains(pack) || doomed.packs().contains(pack)
    }

    /// Compress (when it pays), seal and append a blob to the open pack of its kind.
    /// Thread-safe. Returns `true` when the blob was new, `false` when it was already stored
    /// or is being stored by another thread. `id` must be [`Repository::id_of`] the plaintext
    /// (a mismatch is caught when the blob is loaded).
    pub fn save_blob(
        &self,
        kind: BlobKind,
        id: BlobId,
        plaintext: &[u8],
    ) -> Result<bool, VaultError> {
        if !self.claim(kind, id)? {
            return Ok(false);
        }
        let encoded = match encode_blob(&self.key, kind, &id, plaintext, self.compression()) {
            Ok(e) => e,
            Err(e) => {
                lock(&self.pending).remove(&(kind, id));
                return Err(e);
            }
        };
        self.append_claimed(kind, id, encoded)?;
        Ok(true)
    }

    /// [`Repository::save_blob`] for a blob already sealed with this repository's master key
    /// (copied as stored from a repository that shares it: `copy`). The caller has verified
    /// it (decoded it once).
    pub(crate) fn save_encoded(
        &self,
        kind: BlobKind,
        id: BlobId,
        encoded: crate::format::blob::EncodedBlob,
    ) -> Result<bool, VaultError> {
        if !self.claim(kind, id)? {
            return Ok(false);
        }
        self.append_claimed(kind, id, encoded)?;
        Ok(true)
    }

    /// Mark a blob as being saved by this thread; `false` when it is stored already or
    /// another thread is saving it.
    fn claim(&self, kind: BlobKind, id: BlobId) -> Result<bool, VaultError> {
        self.check_failed()?;
        if read(&self.index).contains(kind, &id) {
            return Ok(false);
        }
        let mut pending = lock(&self.pending);
        // Look at the index again under the pending lock: a finished upload inserts its
        // blobs into the index *before* removing them from `pending`, so a blob that just
        // left `pending` is seen here (otherwise it would be stored twice).
        if pending.contains_key(&(kind, id)) || read(&self.index).contains(kind, &id) {
            return Ok(false);
        }
        pending.insert((kind, id), Pending::Encoding);
        Ok(true)
    }

    /// Append a claimed, sealed blob to the open pack of its kind; upload the pack when it
    /// is full.
    fn append_claimed(
        &self,
        kind: BlobKind,
        id: BlobId,
        encoded: crate::format::blob::EncodedBlob,
    ) -> Result<(), VaultError> {
        self.count_blob(kind, &encoded);
        let full = {
            let mut open = lock(&self.open_packs[kind_slot(kind)]);
            open.append(kind, id, encoded);
            lock(&self.pending).insert((kind, id), Pending::InOpenPack);
            if open.len() >= self.config.pack_size as usize {
                Some(std::mem::take(&mut *open))
            } else {
                None
            }
        };
        if let Some(pack) = full {
            self.upload_pack(pack)?;
        }
        if self.uploader.in_flight.load(Ordering::Relaxed) > 0 {
            self.reap_uploads(false)?;
            self.maybe_checkpoint()?;
        }
        Ok(())
    }

    fn count_blob(&self, kind: BlobKind, e: &crate::format::blob::EncodedBlob) {
        let c = &self.counters;
        match kind {
            BlobKind::Data => c.data_blobs.fetch_add(1, Ordering::Relaxed),
            BlobKind::Tree => c.tree_blobs.fetch_add(1, Ordering::Relaxed),
        };
        c.bytes_raw
            .fetch_add(u64::from(e.raw_len), Ordering::Relaxed);
        c.bytes_stored
            .fetch_add(e.stored.len() as u64, Ordering::Relaxed);
        if e.compression != crate::compress::Compression::None {
            c.blobs_compressed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// What this process has stored so far.
    pub fn session_stats(&self) -> SessionStats {
        let c = &self.counters;
        SessionStats {
            data_blobs: c.data_blobs.load(Ordering::Relaxed),
            tree_blobs: c.tree_blobs.load(Ordering::Relaxed),
            bytes_raw: c.bytes_raw.load(Ordering::Relaxed),
            bytes_stored: c.bytes_stored.load(Ordering::Relaxed),
            blobs_compressed: c.blobs_compressed.load(Ordering::Relaxed),
            packs: c.packs.load(Ordering::Relaxed),
            index_segments: c.index_segments.load(Ordering::Relaxed),
        }
    }

    /// Seal a full pack's trailer and hand it to an upload thread.
    fn upload_pack(&self, open: OpenPack) -> Result<(), VaultError> {
        let finished = match open.finish(&self.key) {
            Ok(f) => std::sync::Arc::new(f),
            Err(e) => {
                // Cannot happen short of a broken RNG; the blobs are lost for this session.
                return Err(self.mark_failed(e));
            }
        };
        {
            let mut pending = lock(&self.pending);
            for e in &finished.entries {
                pending.insert((e.kind, e.id), Pending::Uploading(finished.clone()));
            }
        }
        if let Err(e) = self.uploader.submit(finished.clone()) {
            self.forget_pending(&finished.entries);
            return Err(self.mark_failed(e));
        }
        Ok(())
    }

    fn forget_pending(&self, entries: &[PackEntry]) {
        let mut pending = lock(&self.pending);
        for e in entries {
            pending.remove(&(e.kind, e.id));
        }
    }

    /// Record the session's first failure (a later one is dropped: the first says what
    /// went wrong) and return the error for the caller, which carries it as its source.
    fn mark_failed(&self, e: VaultError) -> VaultError {
        let source = lock(&self.failed)
            .get_or_insert_with(|| std::sync::Arc::new(e))
            .clone();
        self.any_failed.store(true, Ordering::SeqCst);
        VaultError::SessionFailed { source }
    }

    /// The error every operation returns after a failed upload.
    fn check_failed(&self) -> Result<(), VaultError> {
        if !self.any_failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        match lock(&self.failed).clone() {
            Some(source) => Err(VaultError::SessionFailed { source }),
            None => Ok(()),
        }
    }

    /// Process finished uploads: index the uploaded packs, record failures. With `wait`,
    /// block until every pack handed over so far is done; otherwise take only what is ready
    /// (and nothing when another thread is already reaping).
    fn reap_uploads(&self, wait: bool) -> Result<(), VaultError> {
        let rx = if wait {
            lock(&self.uploader.done)
        } else {
            match self.uploader.done.try_lock() {
                Ok(rx) => rx,
                Err(_) => return Ok(()),
            }
        };
        let mut first_error = None;
        loop {
            let next = if wait && self.uploader.in_flight.load(Ordering::SeqCst) > 0 {
                rx.recv().ok()
            } else {
                rx.try_recv().ok()
            };
            let Some((pack, result)) = next else { break };
            self.uploader.in_flight.fetch_sub(1, Ordering::SeqCst);
            match result {
                Ok(()) => {
                    debug!(pack = %pack.id, blobs = pack.entries.len(), bytes = pack.len, "pack uploaded");
                    self.counters.packs.fetch_add(1, Ordering::Relaxed);
                    write(&self.index).insert_pack(pack.id, &pack.entries);
                    self.forget_pending(&pack.entries);
                    lock(&self.unindexed).push((pack.id, pack.entries.clone()));
                    lock(&self.checkpoint).bytes_since += pack.len as u64;
                }
                Err(e) => {
                    warn!(pack = %pack.id, error = %e, "pack upload failed");
                    // Those blobs never reached the repository.
                    self.forget_pending(&pack.entries);
                    let failed = self.mark_failed(e);
                    first_error.get_or_insert(failed);
                }
            }
        }
        drop(rx);
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Index the packs whose upload finished (waiting for those in flight) and write an index
    /// checkpoint when one is due (see [`Repository::set_checkpoint_policy`]). `save_blob`
    /// does this by itself as packs complete; a pipeline may also call it from a timer so a
    /// quiet period still gets its checkpoint.
    pub fn checkpoint_if_due(&self) -> Result<(), VaultError> {
        self.check_failed()?;
        self.reap_uploads(true)?;
        self.maybe_checkpoint()
    }

    fn maybe_checkpoint(&self) -> Result<(), VaultError> {
        let due = {
            let c = lock(&self.checkpoint);
            c.last.elapsed() >= c.every || c.bytes_since >= c.max_bytes
        };
        if due {
            self.write_index_segment()?;
        }
        Ok(())
    }

    /// Write one index segment listing every uploaded pack not yet in a segment.
    fn write_index_segment(&self) -> Result<Option<IndexId>, VaultError> {
        let packs = std::mem::take(&mut *lock(&self.unindexed));
        {
            let mut c = lock(&self.checkpoint);
            c.last = Instant::now();
            c.bytes_since = 0;
        }
        if packs.is_empty() {
            return Ok(None);
        }
        let written = seal_index_segment(&self.key, &packs)
            .and_then(|(id, bytes)| self.storage.write(&index_path(&id), bytes).map(|()| id));
        match written {
            Ok(id) => {
                self.counters.index_segments.fetch_add(1, Ordering::Relaxed);
                debug!(segment = %id, packs = packs.len(), "index segment written");
                Ok(Some(id))
            }
            Err(e) => {
                // Keep them for the next attempt.
                lock(&self.unindexed).extend(packs);
                Err(e)
            }
        }
    }

    /// Write one index segment listing `packs` (maintenance: repair, prune). The caller
    /// guarantees the packs exist with these entries; the in-memory index is not changed
    /// (call [`Repository::reload_index`]).
    pub fn write_index_segment_of(
        &self,
        packs: &[(PackId, Vec<PackEntry>)],
    ) -> Result<IndexId, VaultError> {
        let (id, bytes) = seal_index_segment(&self.key, packs)?;
        self.storage.write(&index_path(&id), bytes)?;
        Ok(id)
    }

    /// Upload the open packs and write an index segment for everything uploaded: afterwards
    /// every blob saved so far is durable and indexed.
    ///
    /// After a failed pack upload every later `flush` (and `save_blob`) fails with
    /// [`VaultError::SessionFailed`]: blobs the caller was told were stored are lost, so no
    /// snapshot may be written in this session.
    pub fn flush(&self) -> Result<(), VaultError> {
        self.check_failed()?;
        for slot in &self.open_packs {
            let open = std::mem::take(&mut *lock(slot));
            if !open.is_empty() {
                self.upload_pack(open)?;
            }
        }
        self.reap_uploads(true)?;
        self.check_failed()?;
        self.write_index_segment()?;
        Ok(())
    }

    /// After a failed session: wait for the uploads in flight, then index the packs that
    /// did reach the storage whole (each upload either completed or failed; the failed ones
    /// are in no index). The session stays failed — no snapshot may be written — but the
    /// next run deduplicates against what was stored instead of sending it again. Returns
    /// the number of packs indexed.
    pub fn index_uploaded_packs(&self) -> Result<usize, VaultError> {
        // The failure is already recorded; what matters here is what did upload.
        let _ = self.reap_uploads(true);
        let packs = lock(&self.unindexed).len();
        self.write_index_segment()?;
        Ok(packs)
    }

    /// Load, verify and decompress a blob (also one saved in this session and not yet
    /// flushed).
    pub fn load_blob(&self, kind: BlobKind, id: &BlobId) -> Result<Vec<u8>, VaultError> {
        // A blob saved in this session moves encoding -> open pack -> uploading -> index;
        // look again while it is in transit so a concurrent move cannot hide it.
        let not_found = || VaultError::BlobNotFound {
            kind,
            id: id.to_hex(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(loc) = self.lookup_kind(kind, id) {
                let stored = self.read_pack_range(&loc.pack, loc.offset, loc.length)?;
                return self.decode_blob(&loc, id, &stored);
            }
            let state = lock(&self.pending).get(&(kind, *id)).cloned();
            let found = match state {
                None if self.lookup_kind(kind, id).is_none() => return Err(not_found()),
                None => None,
                Some(Pending::Encoding) => {
                    std::thread::sleep(Duration::from_millis(1));
                    None
                }
                Some(Pending::InOpenPack) => lock(&self.open_packs[kind_slot(kind)])
                    .find(kind, id)
                    .map(|(e, b)| (PackId::default(), e, b)),
                Some(Pending::Uploading(p)) => p.find(kind, id).map(|(e, b)| (p.id, e, b)),
            };
            if let Some((pack, entry, stored)) = found {
                let loc = BlobLocation {
                    pack,
                    kind,
                    offset: u64::from(entry.offset),
                    length: u64::from(entry.stored_len),
                    raw_len: u64::from(entry.raw_len),
                    compression: entry.compression,
                };
                return self.decode_blob(&loc, id, &stored);
            }
            if Instant::now() > deadline {
                return Err(not_found());
            }
        }
    }

    /// Read raw bytes of a pack (one or more sealed blobs for a restore plan).
    pub fn read_pack_range(
        &self,
        pack: &PackId,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, VaultError> {
        self.storage.read_range(&pack_path(pack), offset, len)
    }

    /// Open, decompress and verify (length and id) one sealed blob read at `loc`.
    /// Errors name the pack and the blob.
    pub fn decode_blob(
        &self,
        loc: &BlobLocation,
        id: &BlobId,
        stored: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let damaged = |reason: DecodeError| VaultError::BlobDamaged {
            pack: loc.pack.to_hex(),
            blob: id.to_hex(),
            reason,
        };
        if stored.len() as u64 != loc.length {
            return Err(damaged(DecodeError::Invalid(format!(
                "{} stored bytes, index says {}",
                stored.len(),
                loc.length
            ))));
        }
        let raw_len = u32::try_from(loc.raw_len)
            .map_err(|_| damaged(DecodeError::invalid("raw length exceeds u32")))?;
        decode_blob(&self.key, loc.kind, id, loc.compression, raw_len, stored).map_err(damaged)
    }

    /// Every pack object in the repository with its size (objects whose name is not a pack
    /// id are skipped with a warning).
    pub fn list_packs(&self) -> Result<Vec<(PackId, u64)>, VaultError> {
        Ok(self
            .storage
            .list(PACKS_DIR)?
            .into_iter()
            .filter_map(|o| match pack_id_from_path(&o.path) {
                Some(id) => Some((id, o.size)),
                None => {
                    warn!(
                        object = o.path,
                        "ignoring object in packs/ that is not a pack"
                    );
                    None
                }
            })
            .collect())
    }

    /// Every indexed blob with its location, sorted by id.
    pub fn index_entries(&self) -> Vec<(BlobId, BlobLocation)> {
        let mut all = read(&self.index).entries();
        let doomed = read(&self.doomed).entries();
        if !doomed.is_empty() {
            all.extend(doomed);
            all.sort_by_key(|e| e.0);
        }
        all
    }

    /// Call `f` for every indexed blob, in id order, without copying the index (a check of
    /// a large repository should prefer this to [`Repository::index_entries`]). The index is
    /// read-locked meanwhile: `f` must not save blobs.
    pub fn for_each_index_entry(&self, mut f: impl FnMut(&BlobId, &BlobLocation)) {
        read(&self.index).for_each(|id, loc| f(id, loc));
        read(&self.doomed).for_each(|id, loc| f(id, loc));
    }

    /// Number of indexed blobs and approximate heap bytes of the in-memory index.
    pub fn index_stats(&self) -> (usize, usize) {
        let t = read(&self.index);
        (t.len(), t.heap_bytes())
    }

    /// Read and decode a pack's trailer (the list of its blobs) from storage.
    pub fn read_pack_trailer(&self, pack: &PackId) -> Result<Vec<PackEntry>, VaultError> {
        let path = pack_path(pack);
        let size = self.storage.size(&path)?;
        if size < FOOTER_LEN as u64 {
            return Err(VaultError::corrupt(&path, "shorter than a pack footer"));
        }
        let footer = self
            .storage
            .read_range(&path, size - FOOTER_LEN as u64, FOOTER_LEN as u64)?;
        let (start, len) =
            trailer_range(size, &footer).map_err(|r| VaultError::corrupt_with(&path, r))?;
        let sealed = self.storage.read_range(&path, start, len)?;
        open_trailer(&self.key, &sealed, start).map_err(|r| VaultError::corrupt_with(&path, r))
    }

    pub(crate) fn key(&self) -> &MasterKey {
        &self.key
    }
}

impl Drop for Repository {
    fn drop(&mut self) {
        let unsaved: usize = self.open_packs.iter().map(|p| lock(p).blob_count()).sum();
        if unsaved > 0 {
            warn!(
                blobs = unsaved,
                "repository closed without flush: blobs of the open packs were not stored"
            );
        }
    }
}

/// Try every key file with the password. A key file that cannot be read, decoded or used
/// (truncated, altered, hostile KDF cost) is never reported as a wrong password: it may be
/// the one the password belongs to.
fn unlock_master(
    storage: &Storage,
    key_files: &[crate::storage::ObjectEntry],
    password: &str,
) -> Result<(MasterKey, String), VaultError> {
    let mut first_format_error = None;
    let mut unusable = Vec::new();
    let mut tried = 0;
    for obj in key_files {
        let kf = match storage
            .read(&obj.path)
            .and_then(|b| decode_key_file(&b, &obj.path))
        {
            Ok(kf) => kf,
            Err(e @ VaultError::NewerFormat { .. }) => {
                first_format_error.get_or_insert(e);
                continue;
            }
            Err(e) => {
                warn!(key = obj.path, error = %e, "skipping unreadable key file");
                unusable.push(format!("{}: {e}", obj.path));
                continue;
            }
        };
        match kf.unwrap_master(password) {
            Ok(k) => return Ok((k, obj.path.clone())),
            Err(VaultError::WrongPassword) => tried += 1,
            Err(e) => {
                warn!(key = obj.path, error = %e, "skipping unusable key file");
                unusable.push(format!("{}: {e}", obj.path));
            }
        }
    }
    if let Some(e) = first_format_error {
        return Err(e);
    }
    if unusable.is_empty() {
        return Err(VaultError::WrongPassword);
    }
    Err(VaultError::KeyFilesUnusable {
        unreadable: unusable,
        tried,
    })
}

fn write_key_file(
    storage: &Storage,
    key: &MasterKey,
    password: &str,
    kdf: KdfParams,
) -> Result<String, VaultError> {
    let kf = KeyFile::create(
        key,
        password,
        kdf,
        crate::util::hostname(),
        crate::util::username(),
        crate::util::now_unix_ns(),
    )?;
    let bytes = kf.encode();
    let path = format!("{KEYS_DIR}{}", blake3::hash(&bytes).to_hex());
    storage.write(&path, bytes)?;
    Ok(path)
}
