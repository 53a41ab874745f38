//! Read stage: open a file without following symlinks, find its data regions (holes of
//! sparse files are recorded, not read), and feed the bytes through the chunker to a
//! [`ChunkSink`]. Small files are read with one `read`; large ones stream through FastCDC in
//! max-chunk-sized reads, so memory per reader is bounded by the maximum chunk size.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};

use super::summary::WarningKind;
use crate::chunker::{chunk_slice, ChunkerParams, StreamChunker};
use crate::tree::{ContentPart, Entry};
use crate::BlobId;

/// The pipeline is shutting down after a fatal error elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Aborted;

/// Where chunks go: hashed, deduplicated and queued for saving by the pipeline.
pub(crate) trait ChunkSink {
    /// Takes one chunk; returns its blob id.
    fn put(&self, data: Vec<u8>) -> Result<BlobId, Aborted>;
}

/// What reading one file gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadOutcome {
    Done {
        content: Vec<ContentPart>,
        sparse: bool,
        /// Size as read (may differ from the `lstat` size when the file changed).
        size: u64,
        bytes_read: u64,
        /// Why the file looks changed after reading, if it does.
        changed: Option<String>,
    },
    Failed {
        kind: WarningKind,
        message: String,
    },
}

fn failed(e: &io::Error, what: &str) -> ReadOutcome {
    let kind = if e.kind() == io::ErrorKind::NotFound {
        WarningKind::Vanished
    } else {
        WarningKind::Unreadable
    };
    ReadOutcome::Failed {
        kind,
        message: format!("{what}: {e}"),
    }
}

/// Opens for reading: never follows a symlink, does not update atime when allowed to.
fn open_nofollow(path: &Path) -> io::Result<File> {
    let reachable = crate::fs_meta::long_path::reachable(path)?;
    let path = reachable.path();
    let base = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let fd = match rustix::fs::open(path, base | OFlags::NOATIME, Mode::empty()) {
        // O_NOATIME is only allowed to the file's owner (or root)
        Err(Errno::PERM) => rustix::fs::open(path, base, Mode::empty())?,
        other => other?,
    };
    Ok(File::from(fd))
}

/// Data regions `(start, len)` of a file, and whether it has holes. Files whose allocated
/// blocks cover their size are one region without asking the file system.
fn data_regions(file: &File, size: u64, blocks: u64) -> io::Result<(Vec<(u64, u64)>, bool)> {
    if size == 0 || blocks.saturating_mul(512) >= size {
        return Ok((vec![(0, size)], false));
    }
    let mut regions = Vec::new();
    let mut pos = 0u64;
    while pos < size {
        let start = match rustix::fs::seek(file.as_fd(), rustix::fs::SeekFrom::Data(pos)) {
            Ok(s) => s,
            Err(Errno::NXIO) => break, // only a hole up to the end
            // no SEEK_DATA support: read everything
            Err(Errno::INVAL | Errno::OPNOTSUPP) => return Ok((vec![(0, size)], false)),
            Err(e) => return Err(e.into()),
        };
        if start >= size {
            break;
        }
        let end = match rustix::fs::seek(file.as_fd(), rustix::fs::SeekFrom::Hole(start)) {
            Ok(e) => e.min(size),
            Err(e) => return Err(e.into()),
        };
        if end > start {
            regions.push((start, end - start));
        }
        pos = end.max(start + 1);
    }
    let data: u64 = regions.iter().map(|r| r.1).sum();
    Ok((regions, data < size))
}

/// Chunks everything `reader` yields into `parts`; returns the bytes read.
fn chunk_stream<R: Read>(
    mut reader: R,
    size_hint: Option<u64>,
    params: &ChunkerParams,
    sink: &dyn ChunkSink,
    parts: &mut Vec<ContentPart>,
) -> Result<io::Result<u64>, Aborted> {
    // One read covers small files; only files larger than a maximum chunk stream.
    let limit = params.max_size as usize;
    // Sized once from the file size: growing by doubling would leave up to twice the file
    // size allocated, and a file that streams gets the chunker's whole buffer at once.
    let capacity = match size_hint {
        Some(n) if n < limit as u64 => n as usize + 1,
        _ => limit + limit / 2,
    };
    let mut head = Vec::with_capacity(capacity);
    if let Err(e) = (&mut reader).take(limit as u64).read_to_end(&mut head) {
        return Ok(Err(e));
    }
    if head.len() < limit {
        let spans = match chunk_slice(&head, params) {
            Ok(s) => s,
            Err(e) => return Ok(Err(io::Error::other(e.to_string()))),
        };
        let total = head.len() as u64;
        if spans.len() == 1 {
            let len = head.len() as u64;
            let id = sink.put(head)?;
            parts.push(ContentPart::Data { id, len });
        } else {
            for span in spans {
                let data = head
                    .get(span.offset..span.offset + span.length)
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                let len = data.len() as u64;
                let id = sink.put(data)?;
                parts.push(ContentPart::Data { id, len });
            }
        }
        return Ok(Ok(total));
    }
    let chunker = match StreamChunker::with_head(head, reader, params) {
        Ok(c) => c,
        Err(e) => return Ok(Err(io::Error::other(e.to_string()))),
    };
    let mut total = 0u64;
    for chunk in chunker {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => return Ok(Err(e)),
        };
        let len = chunk.data.len() as u64;
        total += len;
        let id = sink.put(chunk.data)?;
        parts.push(ContentPart::Data { id, len });
    }
    Ok(Ok(total))
}

/// Reads a whole stream (a file that is not on disk: a dump from a tool's stdout, bytes in
/// memory) through the chunker. A read error fails the stream: what it yielded so far is not
/// stored.
pub(crate) fn read_stream(
    reader: &mut dyn Read,
    params: &ChunkerParams,
    sink: &dyn ChunkSink,
) -> Result<ReadOutcome, Aborted> {
    let mut parts = Vec::new();
    match chunk_stream(reader, None, params, sink, &mut parts)? {
        Ok(n) => Ok(ReadOutcome::Done {
            content: parts,
            sparse: false,
            size: n,
            bytes_read: n,
            changed: None,
        }),
        Err(e) => Ok(ReadOutcome::Failed {
            kind: WarningKind::Unreadable,
            message: format!("reading the stream: {e}"),
        }),
    }
}

/// Feeds what passes through a reader into a SHA-256 (the content hash a stream's or a
/// pending source's files report), when there is one.
pub(crate) struct Tee<'h, R> {
    pub(crate) inner: R,
    pub(crate) hasher: Option<&'h mut Sha256>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(h) = self.hasher.as_deref_mut() {
            h.update(buf.get(..n).unwrap_or_default());
        }
        Ok(n)
    }
}

/// A hole of `len` bytes reads as zeros: hashed as such.
fn hash_hole(hasher: Option<&mut Sha256>, len: u64) {
    static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];
    let Some(h) = hasher else { return };
    let mut left = len;
    while left > 0 {
        let n = left.min(ZEROS.len() as u64);
        h.update(ZEROS.get(..n as usize).unwrap_or_default());
        left -= n;
    }
}

/// Reads one file whose `lstat` gave `entry`.
pub(crate) fn read_file(
    path: &Path,
    entry: &Entry,
    params: &ChunkerParams,
    sink: &dyn ChunkSink,
) -> Result<ReadOutcome, Aborted> {
    read_file_into(path, entry, params, sink, None)
}

/// [`read_file`], also feeding the file's content (holes as zeros) into `hasher`.
pub(crate) fn read_file_hashed(
    path: &Path,
    entry: &Entry,
    params: &ChunkerParams,
    sink: &dyn ChunkSink,
    hasher: &mut Sha256,
) -> Result<ReadOutcome, Aborted> {
    read_file_into(path, entry, params, sink, Some(hasher))
}

fn read_file_into(
    path: &Path,
    entry: &Entry,
    params: &ChunkerParams,
    sink: &dyn ChunkSink,
    mut hasher: Option<&mut Sha256>,
) -> Result<ReadOutcome, Aborted> {
    let file = match open_nofollow(path) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(Errno::LOOP.raw_os_error()) => {
            return Ok(ReadOutcome::Failed {
                kind: WarningKind::Changed,
                message: "replaced by a symlink while backing up".into(),
            })
        }
        Err(e) => return Ok(failed(&e, "open")),
    };
    let before = match file.metadata() {
        Ok(m) => m,
        Err(e) => return Ok(failed(&e, "fstat")),
    };
    if !before.is_file() {
        return Ok(ReadOutcome::Failed {
            kind: WarningKind::Changed,
            message: "no longer a regular file".into(),
        });
    }
    let (regions, sparse) = match data_regions(&file, before.size(), before.blocks()) {
        Ok(r) => r,
        Err(e) => return Ok(failed(&e, "finding holes")),
    };
    let mut parts = Vec::new();
    let mut bytes_read = 0u64;
    let mut pos = 0u64;
    let single = !sparse;
    for (start, len) in regions {
        if start > pos {
            parts.push(ContentPart::Hole { len: start - pos });
            hash_hole(hasher.as_deref_mut(), start - pos);
        }
        let result = if single {
            // not sparse: read to the real end of file, whatever lstat said
            let tee = Tee {
                inner: &file,
                hasher: hasher.as_deref_mut(),
            };
            chunk_stream(tee, Some(before.size()), params, sink, &mut parts)?
        } else {
            match (&file).seek(SeekFrom::Start(start)) {
                Ok(_) => {
                    let tee = Tee {
                        inner: (&file).take(len),
                        hasher: hasher.as_deref_mut(),
                    };
                    chunk_stream(tee, Some(len), params, sink, &mut parts)?
                }
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(n) => {
                bytes_read += n;
                pos = start + n;
            }
            Err(e) => return Ok(failed(&e, "read")),
        }
    }
    if sparse && pos < before.size() {
        parts.push(ContentPart::Hole {
            len: before.size() - pos,
        });
        hash_hole(hasher, before.size() - pos);
        pos = before.size();
    }
    let changed = match file.metadata() {
        Ok(after) => {
            if after.size() != entry.size || after.size() != pos {
                Some(format!(
                    "size was {} when listed, {} bytes read, {} now",
                    entry.size,
                    pos,
                    after.size()
                ))
            } else if (after.mtime(), after.mtime_nsec()) != (before.mtime(), before.mtime_nsec())
                || before.ino() != entry.inode
            {
                Some("modified while being read".into())
            } else {
                None
            }
        }
        Err(e) => Some(format!("fstat after reading: {e}")),
    };
    Ok(ReadOutcome::Done {
        content: parts,
        sparse,
        size: pos,
        bytes_read,
        changed,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct MemSink(Mutex<HashMap<BlobId, Vec<u8>>>);

    impl ChunkSink for MemSink {
        fn put(&self, data: Vec<u8>) -> Result<BlobId, Aborted> {
            let id = BlobId(*blake3::hash(&data).as_bytes());
            self.0.lock().unwrap().insert(id, data);
            Ok(id)
        }
    }

    impl MemSink {
        fn reassemble(&self, parts: &[ContentPart]) -> Vec<u8> {
            let map = self.0.lock().unwrap();
            let mut out = Vec::new();
            for p in parts {
                match p {
                    ContentPart::Data { id, len } => {
                        assert_eq!(map[id].len() as u64, *len);
                        out.extend_from_slice(&map[id]);
                    }
                    ContentPart::Hole { len } => out.resize(out.len() + *len as usize, 0),
                }
            }
            out
        }
    }

    fn small_params() -> ChunkerParams {
        ChunkerParams {
            min_size: 1024,
            avg_size: 4096,
            max_size: 16384,
            seed: 7,
        }
    }

    fn entry_of(path: &Path) -> Entry {
        let m = std::fs::symlink_metadata(path).unwrap();
        crate::fs_meta::entry_from_metadata(
            std::ffi::OsStr::new("x"),
            &m,
            &crate::fs_meta::NameCache::default(),
        )
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut s = 0x1234_5678_u64;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                s as u8
            })
            .collect()
    }

    #[test]
    fn small_and_large_files_reassemble() {
        let d = tempfile::tempdir().unwrap();
        for len in [0usize, 10, 16383, 16384, 100_000] {
            let p = d.path().join(format!("f{len}"));
            let data = noise(len);
            std::fs::write(&p, &data).unwrap();
            let sink = MemSink::default();
            let out = read_file(&p, &entry_of(&p), &small_params(), &sink).unwrap();
            let ReadOutcome::Done {
                content,
                size,
                bytes_read,
                changed,
                sparse,
            } = out
            else {
                panic!("failed")
            };
            assert_eq!(size, len as u64);
            assert_eq!(bytes_read, len as u64);
            assert_eq!(changed, None);
            assert!(!sparse);
            assert_eq!(sink.reassemble(&content), data);
            if len > 16384 {
                assert!(
                    content.len() > 2,
                    "large file must be cut in several chunks"
                );
            }
        }
    }

    #[test]
    fn holes_are_recorded_not_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sparse");
        let f = File::create(&p).unwrap();
        f.set_len(8 << 20).unwrap();
        use std::os::unix::fs::FileExt;
        f.write_all_at(b"hello", 4 << 20).unwrap();
        drop(f);
        let sink = MemSink::default();
        let out = read_file(&p, &entry_of(&p), &small_params(), &sink).unwrap();
        let ReadOutcome::Done {
            content,
            sparse,
            bytes_read,
            ..
        } = out
        else {
            panic!("failed")
        };
        let mut expect = vec![0u8; 8 << 20];
        expect[4 << 20..(4 << 20) + 5].copy_from_slice(b"hello");
        assert_eq!(sink.reassemble(&content), expect);
        if sparse {
            // file systems with SEEK_HOLE: only the data block was read
            assert!(bytes_read < 1 << 20, "read {bytes_read}");
            assert!(content
                .iter()
                .any(|p| matches!(p, ContentPart::Hole { .. })));
        }
    }

    #[test]
    fn missing_file_and_symlink_fail_with_warnings() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let e = entry_of(&p);
        std::fs::remove_file(&p).unwrap();
        let sink = MemSink::default();
        let out = read_file(&p, &e, &small_params(), &sink).unwrap();
        assert!(matches!(
            out,
            ReadOutcome::Failed {
                kind: WarningKind::Vanished,
                ..
            }
        ));
        std::os::unix::fs::symlink("/etc/passwd", &p).unwrap();
        let out = read_file(&p, &e, &small_params(), &sink).unwrap();
        assert!(matches!(
            out,
            ReadOutcome::Failed {
                kind: WarningKind::Changed,
                ..
            }
        ));
    }

    #[test]
    fn growth_after_listing_is_reported_as_changed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let e = entry_of(&p);
        std::fs::write(&p, b"abcdef").unwrap();
        let sink = MemSink::default();
        let ReadOutcome::Done { changed, size, .. } =
            read_file(&p, &e, &small_params(), &sink).unwrap()
        else {
            panic!("failed")
        };
        assert_eq!(size, 6);
        assert!(changed.unwrap().contains("size was 3"));
    }
}
