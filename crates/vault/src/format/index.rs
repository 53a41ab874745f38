//! Index segments: `index/<id>`, sealed with associated data `"cnx1-index"`.
//!
//! Plaintext: `"CNXI" || version (1) || pack count (u32 LE)`, then per pack
//! `pack id (32) || entry count (u32 LE) || entries` with the 46-byte entry layout of the pack
//! trailer ([`super::pack::encode_entry`]). The object name is the BLAKE3 hash of the sealed
//! bytes.

use super::error::DecodeError;
use super::pack::{decode_entry, encode_entry, PackEntry, ENTRY_LEN};
use crate::crypto::MasterKey;
use crate::{IndexId, PackId, VaultError};

/// Associated data of a sealed index segment.
pub const INDEX_AAD: &[u8] = b"cnx1-index";
/// Plaintext magic.
pub const INDEX_MAGIC: &[u8; 4] = b"CNXI";
/// Plaintext version.
pub const INDEX_VERSION: u8 = 1;
/// Object prefix of index segments.
pub const INDEX_DIR: &str = "index/";

/// The packs and blobs listed by one segment.
pub type IndexSegment = Vec<(PackId, Vec<PackEntry>)>;

/// Object path of an index segment.
pub fn index_path(id: &IndexId) -> String {
    format!("{INDEX_DIR}{id}")
}

/// Encode a segment's plaintext.
pub fn encode_index_segment(packs: &[(PackId, Vec<PackEntry>)]) -> Vec<u8> {
    let n: usize = packs.iter().map(|(_, e)| 36 + e.len() * ENTRY_LEN).sum();
    let mut out = Vec::with_capacity(9 + n);
    out.extend_from_slice(INDEX_MAGIC);
    out.push(INDEX_VERSION);
    out.extend_from_slice(&(packs.len() as u32).to_le_bytes());
    for (pack, entries) in packs {
        out.extend_from_slice(&pack.0);
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for e in entries {
            encode_entry(&mut out, e);
        }
    }
    out
}

fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
    if b.len() < n {
        return Err(DecodeError::Truncated("index segment"));
    }
    let (head, rest) = b.split_at(n);
    *b = rest;
    Ok(head)
}

fn take_u32(b: &mut &[u8]) -> Result<u32, DecodeError> {
    let mut x = [0u8; 4];
    x.copy_from_slice(take(b, 4)?);
    Ok(u32::from_le_bytes(x))
}

/// Decode a segment's plaintext.
pub fn decode_index_segment(plain: &[u8]) -> Result<IndexSegment, DecodeError> {
    let mut b = plain;
    if take(&mut b, 4)? != INDEX_MAGIC {
        return Err(DecodeError::invalid("no CNXI header"));
    }
    let version = take(&mut b, 1)?[0];
    if version != INDEX_VERSION {
        return Err(DecodeError::Invalid(format!(
            "index segment version {version} is not supported"
        )));
    }
    let packs = take_u32(&mut b)? as usize;
    // Each pack needs at least 36 bytes: never pre-allocate more than the input can hold.
    let mut out = Vec::with_capacity(packs.min(b.len() / 36));
    for _ in 0..packs {
        let mut id = [0u8; 32];
        id.copy_from_slice(take(&mut b, 32)?);
        let n = take_u32(&mut b)? as usize;
        let body = take(
            &mut b,
            n.checked_mul(ENTRY_LEN)
                .ok_or_else(|| DecodeError::invalid("entry count overflows"))?,
        )?;
        let entries = body
            .chunks_exact(ENTRY_LEN)
            .map(decode_entry)
            .collect::<Result<Vec<_>, _>>()?;
        out.push((PackId(id), entries));
    }
    if !b.is_empty() {
        return Err(DecodeError::Invalid(format!(
            "{} trailing bytes after the last pack",
            b.len()
        )));
    }
    Ok(out)
}

/// Seal a segment; returns its id and stored bytes.
pub fn seal_index_segment(
    key: &MasterKey,
    packs: &[(PackId, Vec<PackEntry>)],
) -> Result<(IndexId, Vec<u8>), VaultError> {
    let sealed = key.aead().seal(INDEX_AAD, &encode_index_segment(packs))?;
    Ok((IndexId(*blake3::hash(&sealed).as_bytes()), sealed))
}

/// Open and decode a stored segment.
pub fn open_index_segment(key: &MasterKey, stored: &[u8]) -> Result<IndexSegment, DecodeError> {
    let plain = key
        .aead()
        .open(INDEX_AAD, stored)
        .map_err(|source| DecodeError::Unauthentic {
            what: "index segment",
            source,
        })?;
    decode_index_segment(&plain)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::compress::Compression;
    use crate::{BlobId, BlobKind};

    fn seg() -> IndexSegment {
        (0..3u8)
            .map(|p| {
                let entries = (0..4u32)
                    .map(|i| PackEntry {
                        kind: BlobKind::Data,
                        compression: Compression::Zstd,
                        id: BlobId([p * 10 + i as u8; 32]),
                        offset: i * 50,
                        stored_len: 50,
                        raw_len: 99,
                    })
                    .collect();
                (PackId([p; 32]), entries)
            })
            .collect()
    }

    #[test]
    fn round_trip_plain_and_sealed() {
        let s = seg();
        assert_eq!(decode_index_segment(&encode_index_segment(&s)).unwrap(), s);
        let k = MasterKey::generate().unwrap();
        let (id, stored) = seal_index_segment(&k, &s).unwrap();
        assert_eq!(id.0, *blake3::hash(&stored).as_bytes());
        assert_eq!(open_index_segment(&k, &stored).unwrap(), s);
    }

    #[test]
    fn truncation_is_an_error_not_a_panic() {
        let p = encode_index_segment(&seg());
        for n in 0..p.len() {
            assert!(decode_index_segment(&p[..n]).is_err(), "len {n}");
        }
        let k = MasterKey::generate().unwrap();
        let (_, stored) = seal_index_segment(&k, &seg()).unwrap();
        assert!(open_index_segment(&k, &stored[..stored.len() / 2]).is_err());
    }

    #[test]
    fn huge_counts_do_not_allocate() {
        let mut p = INDEX_MAGIC.to_vec();
        p.push(INDEX_VERSION);
        p.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_index_segment(&p).is_err());
    }
}
