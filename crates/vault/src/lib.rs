//! The deduplicating, compressed, encrypted repository engine.
//!
//! `vault` owns the repository format (config, keys, packs, index, snapshots, locks), the
//! backup pipeline that turns paths into snapshots and the restore that turns snapshots back
//! into paths, and the integrity checks. It is generic: it must never depend on anything that
//! knows about WebSphere or Connections (`websphere`, `connections`, `runbook`).
//!
//! Repository layer (this part): [`Storage`] (OpenDAL seam), [`Repository`] (open/init,
//! `save_blob`/`load_blob`, flush with periodic index checkpoints, snapshots, locks),
//! [`repair::rebuild_index`], the content-defined [`chunker`], [`compress`]ion, [`crypto`]
//! and the byte-level codecs in [`format`](mod@format) (documented in `docs/FORMAT.md`).

pub mod backup; // vault-fs
pub mod check; // vault-fs
pub mod chunker;
pub mod compress;
pub mod copy; // offsite copies (issue 18)
pub mod crypto;
pub mod error;
pub mod format;
pub mod fs_meta; // vault-fs
pub mod maintenance; // vault-s3: forget, prune, unlock
pub mod progress; // live counters for progress displays
pub mod repair;
pub mod repo;
pub mod restore; // vault-fs
pub mod storage;
pub mod tree; // vault-fs
mod util;

pub use chunker::{
    chunk_slice, is_page_structured, ChunkPolicy, ChunkSpan, ChunkerParams, StreamChunk,
    StreamChunker,
};
pub use compress::Compression;
pub use crypto::kdf::KdfParams;
pub use error::VaultError;
pub use format::config::FORMAT_VERSION;
pub use format::ids::{BlobId, BlobKind, IndexId, PackId, SnapshotId};
pub use format::lock::LockInfo;
pub use format::pack::PackEntry;
pub use format::set_record::SetRecord;
pub use format::snapshot::{NotBackedUp, Snapshot, SnapshotSummary};
pub use progress::{Progress, ProgressReading};
pub use repair::{rebuild_index, RepairReport};
pub use repo::{
    BlobLocation, IndexProblem, InitOptions, KeyInfo, LockList, RepoLock, Repository, SessionStats,
    SetRecordList, SnapshotFilter, SnapshotList,
};
pub use storage::{Storage, StorageOptions};
pub use util::{format_unix_ns, hostname, now_unix_ns};
