//! Content-defined chunking: FastCDC 2020, keyed.
//!
//! The gear table is XORed with a 64-bit seed taken from the master key, so chunk boundaries
//! (and therefore chunk sizes) reveal nothing about content to someone without the key.
//! Sizes are chosen per call through [`ChunkerParams`]: the defaults follow restic
//! (512 KiB / 1 MiB / 8 MiB); callers may pick smaller chunks for page-structured files such
//! as database images.

use std::io::Read;

use fastcdc::v2020;
use serde::{Deserialize, Serialize};

use crate::VaultError;

/// Default minimum chunk size (512 KiB).
pub const DEFAULT_MIN_SIZE: u32 = 512 * 1024;
/// Default average chunk size (1 MiB).
pub const DEFAULT_AVG_SIZE: u32 = 1024 * 1024;
/// Default maximum chunk size (8 MiB).
pub const DEFAULT_MAX_SIZE: u32 = 8 * 1024 * 1024;

/// Default minimum chunk size of page-structured files (4 KiB).
pub const PAGE_FILE_MIN_SIZE: u32 = 4 * 1024;
/// Default average chunk size of page-structured files (16 KiB: two 8 KiB database pages).
pub const PAGE_FILE_AVG_SIZE: u32 = 16 * 1024;
/// Default maximum chunk size of page-structured files (64 KiB).
pub const PAGE_FILE_MAX_SIZE: u32 = 64 * 1024;

/// Chunk size bounds plus the key-derived seed. `Debug` hides the seed.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerParams {
    /// No chunk is shorter, except the last of a stream.
    pub min_size: u32,
    /// The target average.
    pub avg_size: u32,
    /// No chunk is longer.
    pub max_size: u32,
    /// Gear-table seed from the master key (0 = unkeyed, tests only).
    #[serde(skip)]
    pub seed: u64,
}

impl std::fmt::Debug for ChunkerParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkerParams")
            .field("min_size", &self.min_size)
            .field("avg_size", &self.avg_size)
            .field("max_size", &self.max_size)
            .field("seed", &"<redacted>")
            .finish()
    }
}

impl Default for ChunkerParams {
    fn default() -> Self {
        ChunkerParams {
            min_size: DEFAULT_MIN_SIZE,
            avg_size: DEFAULT_AVG_SIZE,
            max_size: DEFAULT_MAX_SIZE,
            seed: 0,
        }
    }
}

impl ChunkerParams {
    /// The default sizes of page-structured files (database images), without a seed.
    pub fn page_file_defaults() -> ChunkerParams {
        ChunkerParams {
            min_size: PAGE_FILE_MIN_SIZE,
            avg_size: PAGE_FILE_AVG_SIZE,
            max_size: PAGE_FILE_MAX_SIZE,
            seed: 0,
        }
    }

    /// The same seed with other sizes (e.g. smaller chunks for DB images).
    pub fn with_sizes(
        self,
        min_size: u32,
        avg_size: u32,
        max_size: u32,
    ) -> Result<Self, VaultError> {
        let p = ChunkerParams {
            min_size,
            avg_size,
            max_size,
            seed: self.seed,
        };
        p.validate()?;
        Ok(p)
    }

    /// Check the bounds FastCDC 2020 accepts: min in 64 B..=1 MiB, avg in 256 B..=4 MiB,
    /// max in 1 KiB..=16 MiB, all even, min <= avg <= max.
    pub fn validate(&self) -> Result<(), VaultError> {
        let (min, avg, max) = (
            self.min_size as usize,
            self.avg_size as usize,
            self.max_size as usize,
        );
        let ok = (v2020::MINIMUM_MIN..=v2020::MINIMUM_MAX).contains(&min)
            && (v2020::AVERAGE_MIN..=v2020::AVERAGE_MAX).contains(&avg)
            && (v2020::MAXIMUM_MIN..=v2020::MAXIMUM_MAX).contains(&max)
            && min % 2 == 0
            && avg % 2 == 0
            && max % 2 == 0
            && min <= avg
            && avg <= max;
        if ok {
            Ok(())
        } else {
            Err(VaultError::InvalidArgument(format!(
                "chunker sizes min {min} / avg {avg} / max {max} are outside FastCDC's bounds \
                 (min 64 B..1 MiB, avg 256 B..4 MiB, max 1 KiB..16 MiB, even, min <= avg <= max)"
            )))
        }
    }
}

/// Which chunk sizes a file gets, chosen by its name.
///
/// Database backup images and data files are rewritten page by page (8 KiB pages, changed
/// at scattered places between two backups). With ~1 MiB chunks every rewritten page
/// re-stores a whole chunk of 128 pages; with the page-file sizes (16 KiB average) it
/// re-stores a few pages. Everything else keeps the large default chunks, which are cheaper
/// per byte (fewer blobs to hash, seal, index and list in trees).
///
/// The choice depends only on the file name, so the same file is cut the same way in every
/// backup (deduplication across snapshots needs that), and a stream stored under a
/// database-image name (a dump read from a tool's stdout) is treated like the file.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct ChunkPolicy {
    /// Sizes of every file that is not page-structured.
    pub default: ChunkerParams,
    /// Sizes of page-structured files ([`is_page_structured`]).
    pub page_files: ChunkerParams,
}

impl ChunkPolicy {
    /// The sizes for a file named `name` (the last path component).
    pub fn for_name(&self, name: &[u8]) -> &ChunkerParams {
        if is_page_structured(name) {
            &self.page_files
        } else {
            &self.default
        }
    }
}

/// File-name extensions of page-structured database files and backup images (compared
/// without case): SQL Server backups and data/log files (`bak`, `mdf`, `ndf`, `ldf`),
/// Oracle dumps, RMAN pieces and data files (`dmp`, `bkp`, `rman`, `dbf`), PostgreSQL
/// custom-format dumps (`dump`, `backup`), MySQL InnoDB tablespaces (`ibd`).
const PAGE_FILE_EXTENSIONS: &[&str] = &[
    "bak", "mdf", "ndf", "ldf", "dmp", "bkp", "rman", "dbf", "dump", "backup", "ibd",
];

/// Whether a file name looks like a page-structured database image:
/// - a DB2 backup image, `ALIAS.TYPE.INSTANCE.DBPARTnnn.YYYYMMDDhhmmss.SEQ` — the last two
///   dot-separated parts are a 14-digit timestamp and a 3-digit sequence number (`.001`);
/// - an RMAN backup piece named by `%U` (`8 alphanumerics_N_N` at the end, e.g.
///   `0b2k3l4m_1_1`);
/// - a name with one of the extensions of [`PAGE_FILE_EXTENSIONS`].
pub fn is_page_structured(name: &[u8]) -> bool {
    let all_digits = |s: &[u8], n: usize| s.len() == n && s.iter().all(u8::is_ascii_digit);
    let mut parts = name.rsplit(|&b| b == b'.');
    let last = parts.next().unwrap_or_default();
    let before = parts.next();
    if let Some(before) = before {
        if all_digits(last, 3) && before.len() == 14 && all_digits(before, 14) {
            return true;
        }
        if PAGE_FILE_EXTENSIONS
            .iter()
            .any(|ext| last.eq_ignore_ascii_case(ext.as_bytes()))
        {
            return true;
        }
        return false;
    }
    is_rman_piece_name(name)
}

/// `%U` of RMAN: 8 characters of [0-9a-z], then `_<copy>_<piece>` digits, at the end of the
/// name (formats such as `db_%U` put a prefix before it).
fn is_rman_piece_name(name: &[u8]) -> bool {
    let mut parts = name.rsplit(|&b| b == b'_');
    let (Some(b), Some(a), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &[u8]| !s.is_empty() && s.len() <= 5 && s.iter().all(u8::is_ascii_digit);
    id.len() == 8
        && id
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
        && digits(a)
        && digits(b)
}

/// One chunk of a slice: `data[offset..offset + length]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkSpan {
    /// Offset in the input.
    pub offset: usize,
    /// Length in bytes (never 0).
    pub length: usize,
}

/// Cut an in-memory slice into chunks. Invalid params give an error, never a panic.
pub fn chunk_slice(data: &[u8], params: &ChunkerParams) -> Result<Vec<ChunkSpan>, VaultError> {
    params.validate()?;
    Ok(v2020::FastCDC::with_level_and_seed(
        data,
        params.min_size as usize,
        params.avg_size as usize,
        params.max_size as usize,
        v2020::Normalization::Level1,
        params.seed,
    )
    .map(|c| ChunkSpan {
        offset: c.offset,
        length: c.length,
    })
    .collect())
}

/// A chunk read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamChunk {
    /// Offset of the chunk in the stream.
    pub offset: u64,
    /// The chunk's bytes.
    pub data: Vec<u8>,
}

/// Chunks a reader of any size, holding at most 1.5 × `max_size` bytes in memory.
/// Iterates over `Result<StreamChunk, std::io::Error>`.
///
/// Own buffer management instead of `fastcdc::v2020::StreamCDC`: that one allocates
/// `max_size` bytes per stream (8 MiB even for a 4 KiB file) and shifts the whole unconsumed
/// buffer after every chunk (~7 MiB of memmove per 1 MiB chunk at the default sizes). Here the
/// buffer grows only as far as the input needs, and the unconsumed tail (< `max_size`) is
/// moved to the front only when the buffer is full. Cut points are identical to
/// [`chunk_slice`] (same `cut_gear` with the same masks and seeded gear tables).
pub struct StreamChunker<R: Read> {
    reader: R,
    buf: Vec<u8>,
    pos: usize,
    offset: u64,
    eof: bool,
    params: ChunkerParams,
    masks: (u64, u64),
    gear: (
        std::borrow::Cow<'static, [u64]>,
        std::borrow::Cow<'static, [u64]>,
    ),
}

impl<R: Read> StreamChunker<R> {
    /// A chunker over `reader`. Invalid params give an error, never a panic.
    pub fn new(reader: R, params: &ChunkerParams) -> Result<Self, VaultError> {
        Self::with_head(Vec::new(), reader, params)
    }

    /// A chunker over `head` followed by what `reader` yields. `head` becomes the chunker's
    /// buffer (a caller that already read the start of a file to see whether it is small
    /// hands it over instead of keeping a second copy); it is grown to the buffer size
    /// once, not step by step.
    pub fn with_head(
        mut head: Vec<u8>,
        reader: R,
        params: &ChunkerParams,
    ) -> Result<Self, VaultError> {
        params.validate()?;
        let max = params.max_size as usize;
        head.reserve_exact((max + max / 2).saturating_sub(head.len()));
        Ok(StreamChunker {
            reader,
            buf: head,
            pos: 0,
            offset: 0,
            eof: false,
            params: *params,
            masks: v2020::select_masks(params.avg_size as usize, v2020::Normalization::Level1),
            gear: v2020::get_gear_with_seed(params.seed),
        })
    }

    fn capacity_limit(&self) -> usize {
        let max = self.params.max_size as usize;
        max + max / 2
    }

    /// Make at least `max_size` unconsumed bytes available, or everything up to EOF.
    fn fill(&mut self) -> std::io::Result<()> {
        let max = self.params.max_size as usize;
        while !self.eof && self.buf.len() - self.pos < max {
            let limit = self.capacity_limit();
            if self.buf.len() >= limit {
                // Full: move the unconsumed tail (< max bytes) to the front.
                self.buf.drain(..self.pos);
                self.pos = 0;
            }
            let want = (limit - self.buf.len()) as u64;
            let got = (&mut self.reader).take(want).read_to_end(&mut self.buf)?;
            if got == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Iterator for StreamChunker<R> {
    type Item = std::io::Result<StreamChunk>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Err(e) = self.fill() {
            return Some(Err(e));
        }
        let rest = &self.buf[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let (mask_s, mask_l) = self.masks;
        let (_, len) = v2020::cut_gear(
            rest,
            self.params.min_size as usize,
            self.params.avg_size as usize,
            self.params.max_size as usize,
            mask_s,
            mask_l,
            mask_s << 1,
            mask_l << 1,
            &self.gear.0,
            &self.gear.1,
        );
        if len == 0 {
            return None;
        }
        let chunk = StreamChunk {
            offset: self.offset,
            data: rest[..len].to_vec(),
        };
        self.pos += len;
        self.offset += len as u64;
        Some(Ok(chunk))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn noise(len: usize, mut seed: u64) -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed >> 24) as u8
            })
            .collect()
    }

    fn small(seed: u64) -> ChunkerParams {
        ChunkerParams {
            min_size: 2048,
            avg_size: 8192,
            max_size: 65536,
            seed,
        }
    }

    #[test]
    fn slice_chunks_cover_input_and_respect_bounds() {
        let data = noise(1 << 20, 1);
        let p = small(42);
        let spans = chunk_slice(&data, &p).unwrap();
        let mut pos = 0;
        for (i, s) in spans.iter().enumerate() {
            assert_eq!(s.offset, pos);
            assert!(s.length <= 65536);
            if i + 1 < spans.len() {
                assert!(s.length >= 2048);
            }
            pos += s.length;
        }
        assert_eq!(pos, data.len());
        assert!(spans.len() > 50, "avg 8 KiB on 1 MiB gives many chunks");
    }

    #[test]
    fn stream_matches_slice() {
        let data = noise(600_000, 3);
        let p = small(7);
        let spans = chunk_slice(&data, &p).unwrap();
        let streamed: Vec<StreamChunk> = StreamChunker::new(&data[..], &p)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(spans.len(), streamed.len());
        for (s, c) in spans.iter().zip(&streamed) {
            assert_eq!(s.offset as u64, c.offset);
            assert_eq!(&data[s.offset..s.offset + s.length], &c.data[..]);
        }
    }

    /// A reader that returns 1 to 3 bytes per call: cut points must not depend on read sizes.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.1 = self.1 % 3 + 1;
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn stream_cut_points_do_not_depend_on_read_sizes() {
        let data = noise(300_000, 8);
        let p = small(3);
        let a: Vec<StreamChunk> = StreamChunker::new(&data[..], &p)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        let b: Vec<StreamChunk> = StreamChunker::new(Trickle(&data, 0), &p)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        assert_eq!(a, b);
        assert!(a.len() > 10);
    }

    #[test]
    fn stream_matches_slice_at_default_sizes_on_large_input() {
        let data = noise(40 << 20, 21);
        let p = ChunkerParams {
            seed: 77,
            ..ChunkerParams::default()
        };
        let spans = chunk_slice(&data, &p).unwrap();
        let streamed: Vec<(u64, usize)> = StreamChunker::new(&data[..], &p)
            .unwrap()
            .map(|c| c.map(|c| (c.offset, c.data.len())).unwrap())
            .collect();
        let expected: Vec<(u64, usize)> =
            spans.iter().map(|s| (s.offset as u64, s.length)).collect();
        assert_eq!(streamed, expected);
    }

    #[test]
    fn a_head_handed_over_gives_the_same_chunks() {
        let data = noise(500_000, 4);
        let p = small(5);
        let whole: Vec<StreamChunk> = StreamChunker::new(&data[..], &p)
            .unwrap()
            .map(|c| c.unwrap())
            .collect();
        for split in [0usize, 1, 65536, 200_000] {
            let split_at: Vec<StreamChunk> =
                StreamChunker::with_head(data[..split].to_vec(), &data[split..], &p)
                    .unwrap()
                    .map(|c| c.unwrap())
                    .collect();
            assert_eq!(split_at, whole, "head of {split} bytes");
        }
    }

    #[test]
    fn read_errors_are_returned() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut c = StreamChunker::new(Broken, &small(1)).unwrap();
        let err = c.next().unwrap().unwrap_err();
        assert!(err.to_string().contains("disk on fire"));
    }

    #[test]
    fn seed_changes_boundaries() {
        let data = noise(1 << 20, 5);
        let a = chunk_slice(&data, &small(1)).unwrap();
        let b = chunk_slice(&data, &small(2)).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn insertion_keeps_later_boundaries() {
        let data = noise(1 << 20, 11);
        let mut shifted = vec![0xEE; 100];
        shifted.extend_from_slice(&data);
        let p = small(9);
        let a: std::collections::HashSet<usize> = chunk_slice(&data, &p)
            .unwrap()
            .iter()
            .map(|s| s.offset + s.length)
            .collect();
        let b: std::collections::HashSet<usize> = chunk_slice(&shifted, &p)
            .unwrap()
            .iter()
            .map(|s| s.offset + s.length - 100)
            .collect();
        let common = a.intersection(&b).count();
        assert!(
            common * 10 >= a.len() * 8,
            "most cut points survive an insertion"
        );
    }

    #[test]
    fn invalid_params_are_errors() {
        let bad = ChunkerParams {
            min_size: 10,
            avg_size: 8192,
            max_size: 65536,
            seed: 0,
        };
        assert!(chunk_slice(b"abc", &bad).is_err());
        assert!(StreamChunker::new(&b"abc"[..], &bad).is_err());
        assert!(ChunkerParams::default()
            .with_sizes(4096, 2048, 65536)
            .is_err());
        assert!(ChunkerParams::default()
            .with_sizes(2048, 8192, 65536)
            .is_ok());
    }

    #[test]
    fn empty_input_has_no_chunks() {
        assert!(chunk_slice(b"", &small(1)).unwrap().is_empty());
        assert_eq!(StreamChunker::new(&b""[..], &small(1)).unwrap().count(), 0);
    }

    #[test]
    fn page_structured_names() {
        for yes in [
            "FILES.0.db2inst1.DBPART000.20241126010000.001",
            "WIKIS.0.DB2INST1.NODE0000.CATN0000.20241126010000.012",
            "cnx.bak",
            "HOMEPAGE.BAK",
            "expdp_full.dmp",
            "o1_mf_nnndf_TAG20241126_abc_.bkp",
            "0b2k3l4m_1_1",
            "db_0b2k3l4m_1_1",
            "users01.dbf",
            "blogs.dump",
        ] {
            assert!(is_page_structured(yes.as_bytes()), "{yes}");
        }
        for no in [
            "app.jar",
            "SystemOut.log",
            "notes.001",
            "2024112601000.001",
            "bak",
            "0b2k3l4m_1",
            "0B2K3L4M_1_1",
            "x_0b2k3l4_1_1",
            "d1f0e2c3-4b5a-4c6d-a7e8-f9a0b1c2d3e4",
            "",
        ] {
            assert!(!is_page_structured(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn policy_picks_page_sizes_by_name() {
        let policy = ChunkPolicy {
            default: ChunkerParams::default(),
            page_files: ChunkerParams::page_file_defaults(),
        };
        assert_eq!(policy.for_name(b"x.bak").avg_size, PAGE_FILE_AVG_SIZE);
        assert_eq!(policy.for_name(b"x.jar").avg_size, DEFAULT_AVG_SIZE);
        ChunkerParams::page_file_defaults().validate().unwrap();
    }

    #[test]
    fn debug_hides_seed() {
        let s = format!("{:?}", small(0xdead_beef));
        assert!(!s.contains("3735928559") && !s.contains("deadbeef"));
    }
}
