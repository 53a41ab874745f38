//! The storage seam: [`Storage`], the one handle the repository uses for everything it
//! stores, over a [`Store`] — the trait with the written contract (in [`store`]) that every
//! place a repository can live implements.
//!
//! | store | what |
//! |---|---|
//! | [`OpendalStore`] | real repositories: a local directory, or `s3://BUCKET/PREFIX` ([`s3`] composes the retry, timeout and concurrency layers) |
//! | [`MemStore`] | in memory: tests, and the contract's reference implementation |
//! | [`FaultStore`] | wraps another store and fails on command (tests of the failure paths) |
//!
//! `Storage` adds what every store would otherwise repeat: counters of what went through it
//! ([`StorageStats`]), the check that a ranged read returned every byte, and errors that
//! name the store, the operation and the object ([`VaultError::Storage`], which keeps the
//! store's error kind and its source). A new store implements [`Store`], passes the
//! conformance suite (`crates/vault/tests/store_conformance.rs`) and is wrapped with
//! [`Storage::new`]; see docs/VAULT.md.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::VaultError;

pub mod fault;
pub mod mem;
pub mod opendal_store;
pub mod s3;
pub mod s3_retention;
pub mod store;

pub use fault::{FaultStore, WriteFault};
pub use mem::MemStore;
pub use opendal_store::OpendalStore;
pub use s3::{S3Options, S3Url};
pub use s3_retention::{LockMode, ObjectLock};
pub use secret::Secret;
pub use store::{ObjectEntry, Store, StoreError, StoreErrorKind};

/// Name of the directory (inside a local repository's root) that holds temporary files of
/// in-flight atomic writes.
pub const TMP_DIR: &str = ".tmp";

/// Options for opening storage by URL.
#[derive(Debug, Clone, Default)]
pub struct StorageOptions {
    /// How to reach `s3://` repositories (ignored for local ones).
    pub s3: S3Options,
}

/// Bytes and requests that went through a [`Storage`] (all clones share them): lets tests
/// and benchmarks see that a restore or check fetched only the byte ranges it needed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StorageStats {
    /// Read requests (whole and ranged).
    pub reads: u64,
    /// Bytes returned by reads.
    pub bytes_read: u64,
    /// Whole-object writes.
    pub writes: u64,
    /// Bytes written.
    pub bytes_written: u64,
}

#[derive(Debug, Default)]
struct Counters {
    reads: AtomicU64,
    bytes_read: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
}

impl Counters {
    fn read(&self, n: usize) {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
    }
    fn wrote(&self, n: usize) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.bytes_written.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// Fewest pack readers on remote storage (see [`Storage::read_workers`]). Measured on the
/// 2 GiB S3 bench, client on one core: a restore took 5.0 s with 4 workers, 4.0 s with 8,
/// no less with 16.
pub const REMOTE_READ_WORKERS: usize = 8;

/// A repository's storage: a [`Store`] plus counters and error context. Cheap to clone
/// (clones share the store and the counters); `Send + Sync`.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn Store>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.location())
            .finish()
    }
}

impl Storage {
    /// Storage on any [`Store`].
    pub fn new(store: impl Store + 'static) -> Storage {
        Storage::shared(Arc::new(store))
    }

    /// Storage on a store shared with other owners.
    pub fn shared(store: Arc<dyn Store>) -> Storage {
        Storage {
            store,
            counters: Arc::new(Counters::default()),
        }
    }

    /// Storage on a local directory (created when missing).
    pub fn local(path: &Path) -> Result<Storage, VaultError> {
        Ok(Storage::new(OpendalStore::local(path)?))
    }

    /// Storage on S3-compatible object storage: `rest` is the part of `s3://BUCKET/PREFIX`
    /// after the scheme. Wrong credentials, a missing bucket or an unreachable endpoint are
    /// reported here.
    pub fn s3(rest: &str, opts: &S3Options) -> Result<Storage, VaultError> {
        Ok(Storage::new(OpendalStore::s3(rest, opts)?))
    }

    /// Storage from a URL: a local path, `file://PATH`, or `s3://BUCKET/PREFIX`.
    pub fn from_url(url: &str, opts: &StorageOptions) -> Result<Storage, VaultError> {
        if let Some(rest) = url.strip_prefix("s3://") {
            return Storage::s3(rest, &opts.s3);
        }
        if let Some(rest) = url.strip_prefix("file://") {
            return Storage::local(Path::new(rest));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(VaultError::InvalidArgument(format!(
                "repository URL scheme \"{scheme}\" is not supported (use a local directory)"
            )));
        }
        Storage::local(Path::new(url))
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// What went through this storage so far (shared by its clones).
    pub fn stats(&self) -> StorageStats {
        let c = &self.counters;
        StorageStats {
            reads: c.reads.load(Ordering::Relaxed),
            bytes_read: c.bytes_read.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            bytes_written: c.bytes_written.load(Ordering::Relaxed),
        }
    }

    /// Whether this is a remote object store (S3) rather than a local directory.
    pub fn is_remote(&self) -> bool {
        self.store.is_remote()
    }

    /// How many workers should read (and then decode and write) pack data at once when
    /// `threads` are asked for: on a remote store each worker spends most of its time
    /// waiting for a ranged read, so at least [`REMOTE_READ_WORKERS`] keep the object store
    /// and the local CPU busy together.
    pub fn read_workers(&self, threads: usize) -> usize {
        if self.is_remote() {
            threads.max(REMOTE_READ_WORKERS)
        } else {
            threads.max(1)
        }
    }

    /// Where this storage lives, for messages.
    pub fn location(&self) -> &str {
        self.store.location()
    }

    fn err_at(&self, op: &'static str, path: &str, error: StoreError) -> VaultError {
        VaultError::storage(self.store.describe(), op, path, error)
    }

    /// Read a whole object.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, VaultError> {
        let bytes = self
            .store
            .read(path)
            .map_err(|e| self.err_at("read", path, e))?;
        self.counters.read(bytes.len());
        Ok(bytes)
    }

    /// Read several whole objects with up to `concurrency` requests in flight; the results
    /// come back in the order of `paths`. On S3 this turns N round trips into about
    /// N / `concurrency` (opening a repository reads every index segment and snapshot).
    pub fn read_many(
        &self,
        paths: &[String],
        concurrency: usize,
    ) -> Vec<Result<Vec<u8>, VaultError>> {
        self.store
            .read_many(paths, concurrency)
            .into_iter()
            .zip(paths)
            .map(|(result, path)| {
                let bytes = result.map_err(|e| self.err_at("read", path, e))?;
                self.counters.read(bytes.len());
                Ok(bytes)
            })
            .collect()
    }

    /// Read `len` bytes at `offset`. Fails (naming the path) when the object is shorter.
    pub fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, VaultError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        if offset.checked_add(len).is_none() {
            return Err(VaultError::InvalidArgument(format!(
                "range {offset}+{len} of {path} overflows"
            )));
        }
        let bytes = self
            .store
            .read_range(path, offset, len)
            .map_err(|e| self.err_at("read", path, e))?;
        self.counters.read(bytes.len());
        if bytes.len() as u64 != len {
            return Err(VaultError::corrupt(
                path,
                format!(
                    "short read: wanted {len} bytes at offset {offset}, got {}",
                    bytes.len()
                ),
            ));
        }
        Ok(bytes)
    }

    /// Size of an object in bytes.
    pub fn size(&self, path: &str) -> Result<u64, VaultError> {
        self.store
            .size(path)
            .map_err(|e| self.err_at("stat", path, e))
    }

    /// Write a whole object atomically (replaces an existing one).
    pub fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), VaultError> {
        self.write_parts(path, vec![Bytes::from(bytes)])
    }

    /// Write a whole object atomically from shared bytes (no copy of the buffer).
    pub fn write_bytes(&self, path: &str, bytes: Bytes) -> Result<(), VaultError> {
        self.write_parts(path, vec![bytes])
    }

    /// Write a whole object atomically from several buffers written back to back (the
    /// buffers are not concatenated in memory by the local and S3 stores).
    pub fn write_parts(&self, path: &str, parts: Vec<Bytes>) -> Result<(), VaultError> {
        self.counters
            .wrote(parts.iter().map(Bytes::len).sum::<usize>());
        self.store
            .write(path, parts)
            .map_err(|e| self.err_at("write", path, e))
    }

    /// Whether an object exists.
    pub fn exists(&self, path: &str) -> Result<bool, VaultError> {
        self.store
            .exists(path)
            .map_err(|e| self.err_at("stat", path, e))
    }

    /// Delete an object (no error when it is already gone).
    pub fn delete(&self, path: &str) -> Result<(), VaultError> {
        self.store
            .delete(path)
            .map_err(|e| self.err_at("delete", path, e))
    }

    /// Delete several objects with up to `concurrency` requests in flight (objects already
    /// gone are no error). Stops at, and returns, the first failure; the others may or may
    /// not have been deleted.
    pub fn delete_many(&self, paths: &[String], concurrency: usize) -> Result<(), VaultError> {
        self.store
            .delete_many(paths, concurrency)
            .map_err(|(at, e)| {
                let path = paths.get(at).map_or("", String::as_str);
                self.err_at("delete", path, e)
            })
    }

    /// Every object under a directory prefix such as `packs/` (recursively), sorted by path.
    /// A missing directory lists as empty.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, VaultError> {
        let dir = if prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        self.store
            .list(&dir)
            .map_err(|e| self.err_at("list", &dir, e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn write_read_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        s.write("packs/ab/abcd", b"hello world".to_vec()).unwrap();
        s.write("config", b"{}".to_vec()).unwrap();
        s.write_parts(
            "index/parts",
            vec![
                bytes::Bytes::from_static(b"ab"),
                bytes::Bytes::from_static(b""),
                bytes::Bytes::from_static(b"cde"),
            ],
        )
        .unwrap();
        assert_eq!(s.read("index/parts").unwrap(), b"abcde");
        assert_eq!(s.read("packs/ab/abcd").unwrap(), b"hello world");
        assert_eq!(s.read_range("packs/ab/abcd", 6, 5).unwrap(), b"world");
        assert_eq!(s.size("packs/ab/abcd").unwrap(), 11);
        let listed = s.list("packs/").unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].path, "packs/ab/abcd");
        assert!(s.exists("config").unwrap());
        s.delete("config").unwrap();
        assert!(!s.exists("config").unwrap());
        assert_eq!(s.list("index/").unwrap().len(), 1); // index/parts
        assert!(s.list("snapshots/").unwrap().is_empty());
        // No temporary files are left behind by atomic writes.
        let tmp: Vec<_> = std::fs::read_dir(dir.path().join(TMP_DIR))
            .unwrap()
            .collect();
        assert!(tmp.is_empty());
    }

    #[test]
    fn local_storage_reads_with_the_threads_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        assert!(!s.is_remote());
        assert_eq!(s.read_workers(0), 1);
        assert_eq!(s.read_workers(3), 3);
    }

    #[test]
    fn read_many_keeps_the_order_and_reports_each_failure() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        let mut paths = Vec::new();
        for i in 0..20u8 {
            let p = format!("index/{i:02}");
            s.write(&p, vec![i; usize::from(i) + 1]).unwrap();
            paths.push(p);
        }
        paths.insert(5, "index/missing".to_string());
        let before = s.stats().reads;
        let got = s.read_many(&paths, 4);
        assert_eq!(got.len(), 21);
        for (p, r) in paths.iter().zip(&got) {
            if p == "index/missing" {
                let e = r.as_ref().unwrap_err();
                assert!(e.to_string().contains("index/missing"), "{e}");
            } else {
                let i: u8 = p.trim_start_matches("index/").parse().unwrap();
                assert_eq!(r.as_ref().unwrap(), &vec![i; usize::from(i) + 1]);
            }
        }
        assert_eq!(s.stats().reads - before, 20);
        s.delete_many(&paths, 3).unwrap();
        assert!(s.list("index/").unwrap().is_empty());
    }

    #[test]
    fn missing_object_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        let err = s.read("snapshots/0011").unwrap_err();
        assert!(err.to_string().contains("snapshots/0011"), "{err}");
        let err = s.read_range("config", 0, 10).unwrap_err();
        assert!(err.to_string().contains("config"), "{err}");
    }

    #[test]
    fn short_range_read_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        s.write("x", vec![1, 2, 3]).unwrap();
        let err = s.read_range("x", 1, 10).unwrap_err();
        assert!(err.to_string().contains('x'), "{err}");
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let err = Storage::from_url("ftp://host/repo", &StorageOptions::default()).unwrap_err();
        assert!(err.to_string().contains("ftp"));
    }
}
