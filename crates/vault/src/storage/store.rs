//! The [`Store`] trait: the handful of operations a repository needs from the place it lives,
//! and the contract every implementation keeps.
//!
//! # The contract
//!
//! Object names are `/`-separated paths relative to the repository root, such as `config`,
//! `keys/<hex>` or `packs/ab/<hex>`; they never start with `/` and never contain `.` or `..`
//! components. Directories are not objects: they exist only as prefixes of object names.
//!
//! - **Write** ([`Store::write`]) stores a whole object from the concatenation of `parts`.
//!   It is *atomic*: until `write` returns, readers and listings see the previous state (no
//!   object, or the old one); afterwards every reader in any process sees the new object
//!   whole. A failed or interrupted write leaves the previous state (at most an invisible
//!   temporary, such as a file in the local store's `.tmp/`). When `write` returns `Ok` the
//!   object is durable (a local store has `fsync`ed it). Writing an existing name
//!   *replaces* it. The repository never needs to: every object's name is derived from its
//!   content (packs, index segments, snapshots, key files) or is new (locks), and `config`
//!   is written once, by `init`.
//! - **Read** ([`Store::read`]) returns the whole object; [`Store::read_range`] returns the
//!   bytes at `offset..offset + len` that exist — fewer than `len` only when the object ends
//!   first, empty when `offset` is at or past its end (the caller decides whether a short
//!   read is damage). A missing object is [`StoreErrorKind::NotFound`].
//! - **Size** ([`Store::size`]) is the object's length in bytes, or `NotFound`.
//! - **List** ([`Store::list`]) returns every object under a directory prefix (recursively),
//!   sorted by name, with its size. A missing directory lists as empty. Objects whose write
//!   completed before the listing began are in it; objects written or deleted while it runs
//!   may or may not be; an object is never listed half-written. A listed object may be gone
//!   by the time it is read (a concurrent prune): readers must treat `NotFound` after a
//!   listing as "deleted meanwhile", not as damage.
//! - **Delete** ([`Store::delete`]) removes an object; deleting a missing object succeeds
//!   (deletes are idempotent, so an interrupted prune can simply run again).
//! - **Concurrency**: every method may be called from many threads at once; a store is
//!   `Send + Sync`. Methods block (a store that is asynchronous inside drives its own
//!   runtime; never call one from inside another runtime's async context).
//! - **Errors** carry a [`StoreErrorKind`] the repository acts on — `NotFound`, `NoSpace`
//!   (disk full or quota), `PermissionDenied` (credentials, file modes, a read-only file
//!   system, a bucket policy without delete), `Transient` (still failing after the store's
//!   own retries: timeouts, an unreachable endpoint), `Misconfigured` (the store itself is
//!   wrong: a missing bucket, an invalid endpoint) — and keep the underlying error as their
//!   [`source`](std::error::Error::source). A store retries transient failures itself (the
//!   S3 store does, with backoff); the repository never retries.
//!
//! The conformance suite in `crates/vault/tests` (`store_conformance`) checks these rules
//! on every store: memory, local directory, S3 and the fault-injecting wrapper.

use std::fmt;

use bytes::Bytes;

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// Path relative to the repository root, e.g. `packs/ab/ab12...`.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

/// What kind of failure a [`StoreError`] is: what the repository (and the user) can do
/// about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The object is not there.
    NotFound,
    /// The disk, file system or quota is full.
    NoSpace,
    /// The store refused the operation: credentials, file modes, a read-only file system, a
    /// policy that forbids deleting or overwriting.
    PermissionDenied,
    /// A failure that may pass (timeout, connection refused, throttling, 5xx), still there
    /// after the store's own retries.
    Transient,
    /// The store is set up wrong (a missing bucket, an invalid endpoint or option).
    Misconfigured,
    /// Anything else (an I/O error, a malformed response).
    Other,
}

impl StoreErrorKind {
    /// How the kind reads in a message when the store gave no better description.
    pub fn describe(self) -> &'static str {
        match self {
            StoreErrorKind::NotFound => "not found",
            StoreErrorKind::NoSpace => "no space left on the storage",
            StoreErrorKind::PermissionDenied => "access denied",
            StoreErrorKind::Transient => "temporarily unavailable (still failing after retries)",
            StoreErrorKind::Misconfigured => "the storage is misconfigured",
            StoreErrorKind::Other => "storage error",
        }
    }
}

impl fmt::Display for StoreErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// The underlying error of a [`StoreError`].
pub type BoxedSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error a [`Store`] returns: a kind, what the store says about it (with what to check,
/// when it knows), and the underlying error as the source. The operation and the object are
/// added by [`Storage`](super::Storage) when it turns this into a
/// [`VaultError::Storage`](crate::VaultError::Storage).
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: Option<String>,
    source: Option<BoxedSource>,
}

impl StoreError {
    /// An error of `kind` with no further description.
    pub fn new(kind: StoreErrorKind) -> StoreError {
        StoreError {
            kind,
            message: None,
            source: None,
        }
    }

    /// A local I/O error, classified by its OS error: ENOSPC and EDQUOT are
    /// [`NoSpace`](StoreErrorKind::NoSpace), EACCES, EPERM and EROFS
    /// [`PermissionDenied`](StoreErrorKind::PermissionDenied).
    pub fn from_io(e: std::io::Error) -> StoreError {
        StoreError::new(kind_of_io(&e)).with_source(e)
    }

    /// What went wrong and what to check, in the user's terms (replaces the kind's generic
    /// description in messages). Never put credentials here.
    pub fn with_message(mut self, message: impl Into<String>) -> StoreError {
        self.message = Some(message.into());
        self
    }

    /// The underlying error (an `io::Error`, the object store client's error).
    pub fn with_source(mut self, source: impl Into<BoxedSource>) -> StoreError {
        self.source = Some(source.into());
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The message (or the kind's description).
    pub fn message(&self) -> &str {
        self.message.as_deref().unwrap_or(self.kind.describe())
    }

    /// Split into kind, message and source (for [`Storage`](super::Storage)).
    pub(crate) fn into_parts(self) -> (StoreErrorKind, Option<String>, Option<BoxedSource>) {
        (self.kind, self.message, self.source)
    }
}

/// The kind of a local I/O error (the OS error first: `io::ErrorKind` has no variant for a
/// full disk on the oldest toolchain this project supports).
pub(crate) fn kind_of_io(e: &std::io::Error) -> StoreErrorKind {
    use rustix::io::Errno;
    if let Some(errno) = e.raw_os_error().map(Errno::from_raw_os_error) {
        if errno == Errno::NOSPC || errno == Errno::DQUOT {
            return StoreErrorKind::NoSpace;
        }
        if errno == Errno::ROFS {
            return StoreErrorKind::PermissionDenied;
        }
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => StoreErrorKind::NotFound,
        std::io::ErrorKind::PermissionDenied => StoreErrorKind::PermissionDenied,
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted => StoreErrorKind::Transient,
        _ => StoreErrorKind::Other,
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Where a repository's objects live. See the [module documentation](self) for the contract
/// every implementation keeps; wrap one in [`Storage`](super::Storage) to use it.
pub trait Store: Send + Sync + fmt::Debug {
    /// Where the store is, for messages: a directory, `s3://BUCKET/PREFIX`, `memory`.
    fn location(&self) -> &str;

    /// How errors name the store (the location, plus e.g. the S3 endpoint). Never
    /// credentials.
    fn describe(&self) -> String {
        self.location().to_string()
    }

    /// Whether every request is a network round trip (S3), so that callers should keep
    /// several in flight; a local directory or memory is not.
    fn is_remote(&self) -> bool {
        false
    }

    /// Store `parts`, concatenated, as the object `path`, atomically, replacing an existing
    /// object of that name. Empty parts are allowed.
    fn write(&self, path: &str, parts: Vec<Bytes>) -> Result<(), StoreError>;

    /// The whole object.
    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError>;

    /// The bytes at `offset..offset + len` that exist (shorter only at the object's end).
    fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, StoreError>;

    /// The object's size in bytes.
    fn size(&self, path: &str) -> Result<u64, StoreError>;

    /// Every object under the directory `dir` (ending in `/`, never empty), recursively,
    /// sorted by path.
    fn list(&self, dir: &str) -> Result<Vec<ObjectEntry>, StoreError>;

    /// Remove an object; a missing one is not an error.
    fn delete(&self, path: &str) -> Result<(), StoreError>;

    /// Whether the object exists.
    fn exists(&self, path: &str) -> Result<bool, StoreError> {
        match self.size(path) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == StoreErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Read several whole objects with up to `concurrency` reads at once; the results come
    /// back in the order of `paths`. The default runs [`Store::read`] on that many threads;
    /// a store with an asynchronous client overrides it.
    fn read_many(&self, paths: &[String], concurrency: usize) -> Vec<Result<Vec<u8>, StoreError>> {
        on_threads(paths, concurrency, |p| self.read(p))
    }

    /// Delete several objects with up to `concurrency` deletes at once. Returns the first
    /// failure with the index of its path (the others may or may not have been deleted).
    fn delete_many(&self, paths: &[String], concurrency: usize) -> Result<(), (usize, StoreError)> {
        let results = on_threads(paths, concurrency, |p| self.delete(p));
        match results
            .into_iter()
            .enumerate()
            .find_map(|(i, r)| r.err().map(|e| (i, e)))
        {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

/// Run `op` on every path with up to `concurrency` scoped threads; results in path order.
fn on_threads<T: Send>(
    paths: &[String],
    concurrency: usize,
    op: impl Fn(&str) -> T + Sync,
) -> Vec<T> {
    let workers = concurrency.clamp(1, paths.len().max(1));
    if workers == 1 {
        return paths.iter().map(|p| op(p)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::Mutex::new(Vec::with_capacity(paths.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(path) = paths.get(i) else { return };
                let result = op(path);
                done.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((i, result));
            });
        }
    });
    // Every index was taken by exactly one worker; a worker that panicked re-raised its
    // panic when the scope ended, so there is one result per path.
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}
