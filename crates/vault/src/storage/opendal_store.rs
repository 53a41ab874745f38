//! [`OpendalStore`]: the [`Store`] of real repositories — a local directory (OpenDAL's `fs`
//! service) or S3-compatible object storage (its `s3` service with the layers composed in
//! [`s3`]).
//!
//! OpenDAL is asynchronous; the repository is driven from plain threads. The store owns a
//! small multi-thread tokio runtime and calls `block_on` for each operation, which is allowed
//! concurrently from many threads. Do not call it from inside another tokio runtime's async
//! context.
//!
//! Writes are atomic on the `fs` service: OpenDAL writes to a temporary file in the
//! `.tmp/` directory of the repository, `fsync`s it and renames it into place, so a reader
//! never sees a half-written object and a crash leaves at most a stray temporary file. On S3
//! a write is one PUT of the whole object (see [`s3`]).

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use opendal::{ErrorKind, Operator};

use super::s3::{self, S3Options};
use super::s3_retention::Retention;
use super::store::{kind_of_io, ObjectEntry, Store, StoreError, StoreErrorKind};
use super::TMP_DIR;
use crate::VaultError;

/// A repository's objects behind an OpenDAL operator. Cheap to clone.
#[derive(Clone)]
pub struct OpendalStore {
    op: Operator,
    rt: Arc<tokio::runtime::Runtime>,
    location: String,
    /// How errors name the store (S3: endpoint and bucket).
    describe: String,
    /// For S3: the access key id (named in "access denied" messages; never the secret).
    remote: Option<Remote>,
}

#[derive(Clone, Debug)]
struct Remote {
    access_key_id: Option<String>,
    /// S3 Object Lock: the retention every written object gets.
    retention: Option<Arc<Retention>>,
}

impl std::fmt::Debug for OpendalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpendalStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

impl OpendalStore {
    /// A local directory (created when missing); atomic writes go through `.tmp/` inside it.
    pub fn local(path: &Path) -> Result<OpendalStore, VaultError> {
        let root = path.to_string_lossy().into_owned();
        let tmp = path.join(TMP_DIR);
        let builder = opendal::services::Fs::default()
            .root(&root)
            .atomic_write_dir(&tmp.to_string_lossy());
        let op = Operator::new(builder).map_err(|e| {
            let error = StoreError::new(StoreErrorKind::Misconfigured).with_source(OpendalError(e));
            VaultError::storage(root.clone(), "open", "", error)
        })?;
        OpendalStore::with_operator(op, root.clone(), root, None)
    }

    /// S3-compatible object storage: `rest` is the part of `s3://BUCKET/PREFIX` after the
    /// scheme. Sends one cheap request (a listing of at most one object), so that wrong
    /// credentials, a missing bucket or an unreachable endpoint are reported here with a
    /// clear message, whatever the first real operation would have been.
    pub fn s3(rest: &str, opts: &S3Options) -> Result<OpendalStore, VaultError> {
        let parts = s3::open(rest, opts)?;
        let remote = Remote {
            access_key_id: parts.access_key_id,
            retention: parts.retention.map(Arc::new),
        };
        let store =
            OpendalStore::with_operator(parts.op, parts.location, parts.store, Some(remote))?;
        store
            .rt
            .block_on(async { store.op.list_with("/").limit(1).await })
            .map_err(|e| {
                VaultError::storage(store.describe.clone(), "list", "/", store.error(e))
            })?;
        Ok(store)
    }

    fn with_operator(
        op: Operator,
        location: String,
        describe: String,
        remote: Option<Remote>,
    ) -> Result<OpendalStore, VaultError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vault-storage")
            .enable_all()
            .build()
            .map_err(|source| VaultError::Io {
                path: location.clone().into(),
                source,
            })?;
        Ok(OpendalStore {
            op,
            rt: Arc::new(rt),
            location,
            describe,
            remote,
        })
    }

    /// An OpenDAL error in the contract's terms: the kind (S3's error codes and the OS
    /// error first), the message and what to check (S3), and the error itself as the source.
    fn error(&self, e: opendal::Error) -> StoreError {
        if let Some(remote) = &self.remote {
            if let Some((kind, message)) = s3::classify(&e, remote.access_key_id.as_deref()) {
                return StoreError::new(kind)
                    .with_message(message)
                    .with_source(OpendalError(e));
            }
        }
        StoreError::new(kind_of(&e)).with_source(OpendalError(e))
    }

    /// Run `task(operator, path)` for every path with up to `concurrency` in flight, handing
    /// each outcome (with the path's index) to `done` as it arrives; `done` returning
    /// `Break` stops launching more and returns once the running ones are dropped.
    fn bounded<T, F, Fut>(
        &self,
        paths: &[String],
        concurrency: usize,
        task: F,
        mut done: impl FnMut(usize, Result<T, tokio::task::JoinError>) -> ControlFlow<()>,
    ) where
        F: Fn(Operator, String) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.rt.block_on(async {
            let mut running = tokio::task::JoinSet::new();
            // Which path each task serves, for a task that panicked (its JoinError has none).
            let mut index_of = std::collections::HashMap::new();
            let mut next = 0;
            loop {
                while next < paths.len() && running.len() < concurrency.max(1) {
                    let fut = task(self.op.clone(), paths[next].clone());
                    let handle = running.spawn(fut);
                    index_of.insert(handle.id(), next);
                    next += 1;
                }
                let Some(joined) = running.join_next_with_id().await else {
                    return;
                };
                let (id, outcome) = match joined {
                    Ok((id, value)) => (id, Ok(value)),
                    Err(e) => (e.id(), Err(e)),
                };
                let Some(at) = index_of.remove(&id) else {
                    continue;
                };
                if done(at, outcome).is_break() {
                    return;
                }
            }
        })
    }
}

/// The kind of an OpenDAL error that [`s3::classify`] left alone: the OS error of a local
/// file system first (OpenDAL reports a full disk as a temporary "Unexpected" error).
fn kind_of(e: &opendal::Error) -> StoreErrorKind {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            let kind = kind_of_io(io);
            if kind != StoreErrorKind::Other {
                return kind;
            }
        }
        cause = c.source();
    }
    match e.kind() {
        ErrorKind::NotFound => StoreErrorKind::NotFound,
        ErrorKind::PermissionDenied => StoreErrorKind::PermissionDenied,
        ErrorKind::ConfigInvalid => StoreErrorKind::Misconfigured,
        ErrorKind::RateLimited => StoreErrorKind::Transient,
        _ if e.is_temporary() => StoreErrorKind::Transient,
        _ => StoreErrorKind::Other,
    }
}

/// An OpenDAL error as the source of a [`StoreError`]. OpenDAL's own message already ends
/// with its source ("..., source: No space left on device (os error 28)"), so this wrapper
/// reports no further source: an error chain printed cause by cause says it once.
struct OpendalError(opendal::Error);

impl std::fmt::Display for OpendalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::fmt::Debug for OpendalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for OpendalError {}

impl Store for OpendalStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn describe(&self) -> String {
        self.describe.clone()
    }

    fn is_remote(&self) -> bool {
        self.remote.is_some()
    }

    fn write(&self, path: &str, parts: Vec<Bytes>) -> Result<(), StoreError> {
        // OpenDAL's fs writer loops forever on an empty part (it writes 0 bytes and never
        // advances past it): drop empty parts.
        let parts: Vec<Bytes> = parts.into_iter().filter(|p| !p.is_empty()).collect();
        self.rt
            .block_on(self.op.write(path, opendal::Buffer::from(parts)))
            .map_err(|e| self.error(e))?;
        match self.remote.as_ref().and_then(|r| r.retention.as_deref()) {
            Some(retention) if Retention::applies_to(path) => {
                self.rt.block_on(retention.protect(path))
            }
            _ => Ok(()),
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        self.rt
            .block_on(self.op.read(path))
            .map(|buf| buf.to_vec())
            .map_err(|e| self.error(e))
    }

    fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let read = |end: u64| {
            self.rt
                .block_on(async { self.op.read_with(path).range(offset..end).await })
        };
        let end = offset.saturating_add(len);
        match read(end) {
            Ok(buf) => Ok(buf.to_vec()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(self.error(e)),
            // OpenDAL refuses a range that runs past the end as a whole (fs and S3 416:
            // RangeNotSatisfied; S3 206 with fewer bytes: "reader got too little data"),
            // where the contract wants the bytes that exist. Only on this error path: ask the
            // size, and read again up to the end when the range did run past it.
            Err(e) => {
                let size = self.size(path)?;
                if end <= size {
                    return Err(self.error(e));
                }
                if offset >= size {
                    return Ok(Vec::new());
                }
                read(size)
                    .map(|buf| buf.to_vec())
                    .map_err(|e| self.error(e))
            }
        }
    }

    fn size(&self, path: &str) -> Result<u64, StoreError> {
        self.rt
            .block_on(self.op.stat(path))
            .map(|meta| meta.content_length())
            .map_err(|e| self.error(e))
    }

    fn list(&self, dir: &str) -> Result<Vec<ObjectEntry>, StoreError> {
        let entries = match self
            .rt
            .block_on(async { self.op.list_with(dir).recursive(true).await })
        {
            Ok(v) => v,
            // (On S3 a missing prefix lists as empty; NotFound there is a missing bucket.)
            Err(e) if e.kind() == ErrorKind::NotFound && !e.message().contains("NoSuchBucket") => {
                return Ok(Vec::new())
            }
            Err(e) => return Err(self.error(e)),
        };
        let mut out: Vec<ObjectEntry> = entries
            .into_iter()
            .filter(|e| e.metadata().is_file())
            .map(|e| ObjectEntry {
                path: e.path().to_string(),
                size: e.metadata().content_length(),
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.rt
            .block_on(self.op.delete(path))
            .map_err(|e| self.error(e))
    }

    fn exists(&self, path: &str) -> Result<bool, StoreError> {
        self.rt
            .block_on(self.op.exists(path))
            .map_err(|e| self.error(e))
    }

    /// Up to `concurrency` requests in flight on the store's runtime (no thread each): on S3
    /// this turns N round trips into about N / `concurrency`.
    fn read_many(&self, paths: &[String], concurrency: usize) -> Vec<Result<Vec<u8>, StoreError>> {
        let mut out: Vec<Option<Result<Vec<u8>, StoreError>>> =
            std::iter::repeat_with(|| None).take(paths.len()).collect();
        self.bounded(
            paths,
            concurrency,
            |op, path| async move { op.read(&path).await },
            |at, result| {
                out[at] = Some(match result {
                    Ok(read) => read.map(|buf| buf.to_vec()).map_err(|e| self.error(e)),
                    Err(join) => Err(StoreError::new(StoreErrorKind::Other)
                        .with_message("the read task failed")
                        .with_source(join)),
                });
                ControlFlow::Continue(())
            },
        );
        out.into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(StoreError::new(StoreErrorKind::Other)
                        .with_message("the read was cancelled"))
                })
            })
            .collect()
    }

    fn delete_many(&self, paths: &[String], concurrency: usize) -> Result<(), (usize, StoreError)> {
        let mut failure = None;
        self.bounded(
            paths,
            concurrency,
            |op, path| async move { op.delete(&path).await },
            |at, outcome| match outcome {
                Ok(Ok(())) => ControlFlow::Continue(()),
                Ok(Err(e)) => {
                    failure = Some((at, self.error(e)));
                    ControlFlow::Break(())
                }
                Err(join) => {
                    failure = Some((
                        at,
                        StoreError::new(StoreErrorKind::Other)
                            .with_message("the delete task failed")
                            .with_source(join),
                    ));
                    ControlFlow::Break(())
                }
            },
        );
        failure.map_or(Ok(()), Err)
    }
}
