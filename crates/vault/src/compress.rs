//! Compression of blobs: zstd when it pays, raw otherwise.
//!
//! Much of a Connections backup is already compressed (jars, ears, images, compressed DB
//! images); compressing those burns CPU for nothing. Two cheap guards:
//! 1. for blobs over [`SAMPLE_THRESHOLD`], a sample (three 4 KiB slices from the start, middle
//!    and end) is compressed first; when it shrinks by less than [`MIN_GAIN_PERCENT`] % the
//!    whole blob is stored raw without compressing it;
//! 2. otherwise the blob is compressed and the result kept only when it is at least
//!    [`MIN_GAIN_PERCENT`] % smaller than the input.
//!
//! The choice is recorded per blob ([`Compression`]) in the pack trailer and the index.

use std::cell::RefCell;

use serde::{Deserialize, Serialize};

use crate::format::error::DecodeError;

/// Blobs at or below this size are never sampled, only compressed and compared.
pub const SAMPLE_THRESHOLD: usize = 64 * 1024;
/// Smallest saving (in percent of the input) worth storing compressed.
pub const MIN_GAIN_PERCENT: usize = 3;
/// Blobs shorter than this are stored raw (zstd's frame overhead eats any gain).
pub const MIN_COMPRESS_LEN: usize = 64;
const SAMPLE_SLICE: usize = 4096;

/// How a blob's payload is stored. One byte on disk.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Stored as is.
    None,
    /// A single zstd frame.
    Zstd,
}

impl Compression {
    /// The byte stored on disk.
    pub fn to_byte(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Zstd => 1,
        }
    }

    /// Parse the on-disk byte.
    pub fn from_byte(b: u8) -> Option<Compression> {
        match b {
            0 => Some(Compression::None),
            1 => Some(Compression::Zstd),
            _ => None,
        }
    }
}

thread_local! {
    /// One zstd compression context per thread, reused across blobs (creating a context
    /// allocates several hundred KiB).
    static COMPRESSOR: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
}

fn with_compressor<T>(
    level: i32,
    f: impl FnOnce(&mut zstd::bulk::Compressor<'static>) -> std::io::Result<T>,
) -> std::io::Result<T> {
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let reuse = matches!(&*slot, Some((l, _)) if *l == level);
        if !reuse {
            *slot = Some((level, zstd::bulk::Compressor::new(level)?));
        }
        match slot.as_mut() {
            Some((_, c)) => f(c),
            None => Err(std::io::Error::other("zstd context missing")),
        }
    })
}

fn pays(input_len: usize, output_len: usize) -> bool {
    // output <= input * (100 - gain) / 100, in integers.
    output_len.saturating_mul(100) <= input_len.saturating_mul(100 - MIN_GAIN_PERCENT)
}

fn sample(data: &[u8]) -> Vec<u8> {
    let mid = data.len() / 2 - SAMPLE_SLICE / 2;
    let end = data.len() - SAMPLE_SLICE;
    let mut s = Vec::with_capacity(3 * SAMPLE_SLICE);
    s.extend_from_slice(&data[..SAMPLE_SLICE]);
    s.extend_from_slice(&data[mid..mid + SAMPLE_SLICE]);
    s.extend_from_slice(&data[end..]);
    s
}

/// Compress `data` at zstd `level` when it pays; `None` means "store raw".
/// A zstd failure (it has none on valid input) also yields `None`: raw is always correct.
pub fn compress_if_worth(data: &[u8], level: i32) -> Option<Vec<u8>> {
    if data.len() < MIN_COMPRESS_LEN {
        return None;
    }
    if data.len() > SAMPLE_THRESHOLD {
        let s = sample(data);
        let probe = with_compressor(level, |c| c.compress(&s)).ok()?;
        if !pays(s.len(), probe.len()) {
            return None;
        }
    }
    let out = with_compressor(level, |c| c.compress(data)).ok()?;
    pays(data.len(), out.len()).then_some(out)
}

thread_local! {
    /// One zstd decompression context per thread, reused across blobs: a restore or a check
    /// decompresses every blob it reads, and a fresh context per blob was 2–4 % of a restore.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

/// Decompress a zstd frame that must expand to exactly `raw_len` bytes.
pub fn decompress(data: &[u8], raw_len: usize) -> Result<Vec<u8>, DecodeError> {
    let out = DECOMPRESSOR
        .with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = Some(zstd::bulk::Decompressor::new()?);
            }
            let result = match slot.as_mut() {
                Some(d) => d.decompress(data, raw_len),
                None => Err(std::io::Error::other("zstd context missing")),
            };
            // After a damaged frame, start the next blob with a fresh context.
            if result.is_err() {
                *slot = None;
            }
            result
        })
        .map_err(DecodeError::Zstd)?;
    if out.len() != raw_len {
        return Err(DecodeError::Invalid(format!(
            "decompressed to {} bytes, expected {raw_len}",
            out.len()
        )));
    }
    Ok(out)
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
                seed as u8
            })
            .collect()
    }

    #[test]
    fn text_is_compressed_and_round_trips() {
        let text = b"the quick brown fox jumps over the lazy dog. ".repeat(5000);
        let c = compress_if_worth(&text, 1).unwrap();
        assert!(c.len() < text.len() / 10);
        assert_eq!(decompress(&c, text.len()).unwrap(), text);
    }

    #[test]
    fn random_data_is_kept_raw() {
        assert!(compress_if_worth(&noise(1 << 20, 7), 1).is_none());
        assert!(compress_if_worth(&noise(10_000, 9), 1).is_none());
    }

    #[test]
    fn tiny_blobs_are_kept_raw() {
        assert!(compress_if_worth(&[0u8; 10], 1).is_none());
    }

    #[test]
    fn wrong_length_is_an_error() {
        let text = vec![b'a'; 10_000];
        let c = compress_if_worth(&text, 3).unwrap();
        assert!(decompress(&c, 9_999).is_err());
        assert!(decompress(&c, 10_001).is_err());
        assert!(decompress(b"not zstd", 100).is_err());
    }

    #[test]
    fn the_reused_context_carries_nothing_from_one_blob_to_the_next() {
        // Same thread throughout: every call below goes through the one cached context.
        let a = b"alpha alpha alpha alpha ".repeat(2000);
        let b = b"bravo charlie delta echo ".repeat(3000);
        let ca = compress_if_worth(&a, 1).unwrap();
        let cb = compress_if_worth(&b, 1).unwrap();
        for _ in 0..3 {
            assert_eq!(decompress(&ca, a.len()).unwrap(), a);
            assert_eq!(decompress(&cb, b.len()).unwrap(), b);
        }
        // A damaged frame (cut short) fails, and the next good one still decodes.
        assert!(decompress(&cb[..cb.len() / 2], b.len()).is_err());
        assert_eq!(decompress(&ca, a.len()).unwrap(), a);
        let mut flipped = ca.clone();
        let mid = flipped.len() / 2;
        flipped[mid] ^= 0xff;
        let _ = decompress(&flipped, a.len()); // may fail or decode wrongly: AEAD catches that
        assert_eq!(decompress(&cb, b.len()).unwrap(), b);
    }

    #[test]
    fn compression_bytes_round_trip() {
        for c in [Compression::None, Compression::Zstd] {
            assert_eq!(Compression::from_byte(c.to_byte()), Some(c));
        }
        assert_eq!(Compression::from_byte(2), None);
    }
}
