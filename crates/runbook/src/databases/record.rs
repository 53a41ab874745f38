//! What a database step leaves for the manifest, and the checksums behind it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::DbError;
use super::vendor::{Mode, Vendor};

/// One image file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFile {
    /// File name (relative to the staging directory the backup wrote into).
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, lowercase hex.
    pub sha256: String,
}

/// The result of one database backup, as recorded in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// Database name.
    pub database: String,
    /// Vendor.
    pub vendor: Vendor,
    /// Offline or online.
    pub mode: Mode,
    /// The image files, in order.
    pub files: Vec<ImageFile>,
    /// True when the dump was streamed to the caller instead of staged (`command`).
    pub streamed: bool,
    /// The vendor's own identifier of the backup (DB2 timestamp, RMAN tag, Data Pump job
    /// stamp, SQL Server file stamp).
    pub vendor_timestamp: Option<String>,
    /// Total bytes of all files.
    pub bytes: u64,
    /// How the image was verified (`db2ckbkp: Image Verification Complete - successful`),
    /// or why it was not.
    pub verification: Option<String>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// The main command (secrets masked).
    pub command: String,
    /// Vendor specifics a restore needs (`schemas`, `until_time`, `server_dir`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
    /// Things that went wrong without failing the step (an `unquiesce` that failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The result of one database restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreRecord {
    /// Database name.
    pub database: String,
    /// Vendor.
    pub vendor: Vendor,
    /// The backup's vendor timestamp that was restored.
    pub vendor_timestamp: Option<String>,
    /// Commands run (secrets masked).
    pub commands: Vec<String>,
    /// Bytes fed to the restore command (streamed restores).
    pub bytes: u64,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Warnings that did not fail the restore.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// SHA-256 and size of a file.
pub fn sha256_file(path: &Path) -> Result<(String, u64), DbError> {
    let mut f = File::open(path).map_err(|e| DbError::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n_total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(DbError::io(path, e)),
        };
        h.update(&buf[..n]);
        n_total += n as u64;
    }
    Ok((hex::encode(h.finalize()), n_total))
}

/// An [`ImageFile`] for a file in `dir`.
pub(crate) fn image_file(dir: &Path, name: &str) -> Result<ImageFile, DbError> {
    let (sha256, size) = sha256_file(&dir.join(name))?;
    Ok(ImageFile {
        name: name.to_owned(),
        size,
        sha256,
    })
}

/// A writer that hashes and counts what passes through it.
pub(crate) struct HashingWriter<'a> {
    inner: &'a mut dyn Write,
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl<'a> HashingWriter<'a> {
    pub(crate) fn new(inner: &'a mut dyn Write) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl Write for HashingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes and counts what passes through it.
pub(crate) struct HashingReader<'a> {
    inner: &'a mut dyn Read,
    hasher: Sha256,
    pub(crate) bytes: u64,
}

impl<'a> HashingReader<'a> {
    pub(crate) fn new(inner: &'a mut dyn Read) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    pub(crate) fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.bytes)
    }
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_content() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("f"), b"abc").unwrap();
        let f = image_file(d.path(), "f").unwrap();
        assert_eq!(
            f.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(f.size, 3);
        let mut sink = Vec::new();
        let mut w = HashingWriter::new(&mut sink);
        w.write_all(b"abc").unwrap();
        assert_eq!(w.finish().0, f.sha256);
        let mut src: &[u8] = b"abc";
        let mut r = HashingReader::new(&mut src);
        io::copy(&mut r, &mut io::sink()).unwrap();
        assert_eq!(r.finish(), (f.sha256, 3));
    }
}
