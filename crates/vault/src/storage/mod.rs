//! The storage seam: a blocking facade over an OpenDAL [`opendal::Operator`].
//!
//! Everything the repository stores goes through [`Storage`]: whole-object writes, whole and
//! ranged reads, listing and deletion. Only this module knows about OpenDAL, so adding a
//! service (S3 in a later issue) means adding a branch to [`Storage::from_url`].
//!
//! OpenDAL is asynchronous; the repository is driven from plain threads. The facade owns a
//! small multi-thread tokio runtime and calls `block_on` for each operation, which is allowed
//! concurrently from many threads. Do not call these methods from inside another tokio
//! runtime's async context.
//!
//! Writes are atomic on the `fs` service: OpenDAL writes to a temporary file in the
//! `.tmp/` directory of the repository, `fsync`s it and renames it into place, so a reader
//! never sees a half-written object and a crash leaves at most a stray temporary file.

use std::path::Path;
use std::sync::Arc;

use opendal::{ErrorKind, Operator};

use crate::VaultError;

/// Name of the directory (inside the repository root) that holds temporary files of
/// in-flight atomic writes.
pub const TMP_DIR: &str = ".tmp";

/// Options for opening storage by URL. Empty for now: S3 credentials arrive with the S3 issue.
#[derive(Debug, Clone, Default)]
pub struct StorageOptions {}

/// A repository's storage: an OpenDAL operator plus a runtime to drive it synchronously.
/// Cheap to clone; `Send + Sync`.
#[derive(Clone)]
pub struct Storage {
    op: Operator,
    rt: Arc<tokio::runtime::Runtime>,
    location: String,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("location", &self.location)
            .finish()
    }
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    /// Path relative to the repository root, e.g. `packs/ab/ab12...`.
    pub path: String,
    /// Size in bytes (0 when the service does not report it in listings).
    pub size: u64,
}

impl Storage {
    /// Storage on a local directory (created when missing).
    pub fn local(path: &Path) -> Result<Storage, VaultError> {
        let root = path.to_string_lossy().into_owned();
        let tmp = path.join(TMP_DIR);
        let builder = opendal::services::Fs::default()
            .root(&root)
            .atomic_write_dir(&tmp.to_string_lossy());
        let op = Operator::new(builder).map_err(|e| Self::err_at("open", &root, e))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vault-storage")
            .enable_all()
            .build()
            .map_err(|source| VaultError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Storage {
            op,
            rt: Arc::new(rt),
            location: root,
        })
    }

    /// Storage from a URL: a local path or `file://PATH` now; `s3://` comes later.
    pub fn from_url(url: &str, _opts: &StorageOptions) -> Result<Storage, VaultError> {
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

    /// Where this storage lives, for messages.
    pub fn location(&self) -> &str {
        &self.location
    }

    fn err_at(op: &'static str, path: &str, source: opendal::Error) -> VaultError {
        if source.kind() == ErrorKind::NotFound {
            VaultError::NotFound {
                path: path.to_string(),
            }
        } else {
            VaultError::Storage {
                op,
                path: path.to_string(),
                source: Box::new(source),
            }
        }
    }

    /// Read a whole object.
    pub fn read(&self, path: &str) -> Result<Vec<u8>, VaultError> {
        let buf = self
            .rt
            .block_on(self.op.read(path))
            .map_err(|e| Self::err_at("read", path, e))?;
        Ok(buf.to_vec())
    }

    /// Read `len` bytes at `offset`. Fails (naming the path) when the object is shorter.
    pub fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, VaultError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = offset.checked_add(len).ok_or_else(|| {
            VaultError::InvalidArgument(format!("range {offset}+{len} of {path} overflows"))
        })?;
        let buf = self
            .rt
            .block_on(async { self.op.read_with(path).range(offset..end).await })
            .map_err(|e| Self::err_at("read", path, e))?;
        let bytes = buf.to_vec();
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
        let meta = self
            .rt
            .block_on(self.op.stat(path))
            .map_err(|e| Self::err_at("stat", path, e))?;
        Ok(meta.content_length())
    }

    /// Write a whole object atomically (replaces an existing one).
    pub fn write(&self, path: &str, bytes: Vec<u8>) -> Result<(), VaultError> {
        self.rt
            .block_on(self.op.write(path, bytes))
            .map_err(|e| Self::err_at("write", path, e))?;
        Ok(())
    }

    /// Write a whole object atomically from shared bytes (no copy of the buffer).
    pub fn write_bytes(&self, path: &str, bytes: bytes::Bytes) -> Result<(), VaultError> {
        self.rt
            .block_on(self.op.write(path, bytes))
            .map_err(|e| Self::err_at("write", path, e))?;
        Ok(())
    }

    /// Write a whole object atomically from several buffers written back to back (one
    /// vectored write; the buffers are not concatenated in memory).
    pub fn write_parts(&self, path: &str, parts: Vec<bytes::Bytes>) -> Result<(), VaultError> {
        self.rt
            .block_on(self.op.write(path, opendal::Buffer::from(parts)))
            .map_err(|e| Self::err_at("write", path, e))?;
        Ok(())
    }

    /// Whether an object exists.
    pub fn exists(&self, path: &str) -> Result<bool, VaultError> {
        self.rt
            .block_on(self.op.exists(path))
            .map_err(|e| Self::err_at("stat", path, e))
    }

    /// Delete an object (no error when it is already gone).
    pub fn delete(&self, path: &str) -> Result<(), VaultError> {
        self.rt
            .block_on(self.op.delete(path))
            .map_err(|e| Self::err_at("delete", path, e))
    }

    /// Every object under a directory prefix such as `packs/` (recursively), sorted by path.
    /// A missing directory lists as empty.
    pub fn list(&self, prefix: &str) -> Result<Vec<ObjectEntry>, VaultError> {
        let dir = if prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        let entries = match self
            .rt
            .block_on(async { self.op.list_with(&dir).recursive(true).await })
        {
            Ok(v) => v,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Self::err_at("list", &dir, e)),
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
        assert!(s.list("index/").unwrap().is_empty());
        // No temporary files are left behind by atomic writes.
        let tmp: Vec<_> = std::fs::read_dir(dir.path().join(TMP_DIR))
            .unwrap()
            .collect();
        assert!(tmp.is_empty());
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
