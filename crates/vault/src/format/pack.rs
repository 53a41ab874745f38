//! Pack files: `packs/<first two hex chars>/<pack id>`.
//!
//! Layout: `blob 0 || blob 1 || ... || sealed trailer || footer`.
//! - each blob is a sealed blob ([`super::blob`]);
//! - the trailer lists every blob (plaintext layout in [`encode_trailer`]) and is sealed with
//!   associated data `"cnx1-trailer"`;
//! - the footer is 8 bytes: sealed trailer length (u32 LE) then the magic `"CNXP"`.
//!
//! The trailer makes the index rebuildable from packs alone (`repair index`).

use super::error::DecodeError;
use crate::compress::Compression;
use crate::crypto::MasterKey;
use crate::{BlobId, BlobKind, PackId, VaultError};

/// Associated data of a sealed trailer.
pub const TRAILER_AAD: &[u8] = b"cnx1-trailer";
/// Footer magic.
pub const PACK_MAGIC: &[u8; 4] = b"CNXP";
/// Footer length.
pub const FOOTER_LEN: usize = 8;
/// Trailer plaintext magic.
pub const TRAILER_MAGIC: &[u8; 4] = b"CNXT";
/// Trailer plaintext version.
pub const TRAILER_VERSION: u8 = 1;
/// Encoded length of one entry.
pub const ENTRY_LEN: usize = 1 + 1 + 32 + 4 + 4 + 4;
/// Object prefix of packs.
pub const PACKS_DIR: &str = "packs/";

/// One blob in a pack, as listed in the trailer and the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PackEntry {
    /// Data or tree.
    pub kind: BlobKind,
    /// Payload compression.
    pub compression: Compression,
    /// Blob id.
    pub id: BlobId,
    /// Offset of the sealed blob in the pack.
    pub offset: u32,
    /// Length of the sealed blob.
    pub stored_len: u32,
    /// Plaintext length.
    pub raw_len: u32,
}

/// Object path of a pack.
pub fn pack_path(id: &PackId) -> String {
    let h = id.to_hex();
    format!("{PACKS_DIR}{}/{h}", &h[..2])
}

/// Parse a pack id from an object path `packs/xx/<hex>`.
pub fn pack_id_from_path(path: &str) -> Option<PackId> {
    let name = path.rsplit('/').next()?;
    let id = PackId::from_hex(name).ok()?;
    (pack_path(&id) == path).then_some(id)
}

/// Append one entry's 46 bytes.
pub fn encode_entry(out: &mut Vec<u8>, e: &PackEntry) {
    out.push(e.kind.to_byte());
    out.push(e.compression.to_byte());
    out.extend_from_slice(&e.id.0);
    out.extend_from_slice(&e.offset.to_le_bytes());
    out.extend_from_slice(&e.stored_len.to_le_bytes());
    out.extend_from_slice(&e.raw_len.to_le_bytes());
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(x)
}

/// Decode one entry from exactly [`ENTRY_LEN`] bytes.
pub fn decode_entry(b: &[u8]) -> Result<PackEntry, DecodeError> {
    if b.len() != ENTRY_LEN {
        return Err(DecodeError::Invalid(format!(
            "entry is {} bytes, not {ENTRY_LEN}",
            b.len()
        )));
    }
    let kind = BlobKind::from_byte(b[0])
        .ok_or_else(|| DecodeError::Invalid(format!("unknown blob kind {}", b[0])))?;
    let compression = Compression::from_byte(b[1])
        .ok_or_else(|| DecodeError::Invalid(format!("unknown compression {}", b[1])))?;
    let mut id = [0u8; 32];
    id.copy_from_slice(&b[2..34]);
    Ok(PackEntry {
        kind,
        compression,
        id: BlobId(id),
        offset: u32_at(b, 34),
        stored_len: u32_at(b, 38),
        raw_len: u32_at(b, 42),
    })
}

/// Trailer plaintext: `"CNXT" || version (1) || count (u32 LE) || count * entry`, each entry
/// `kind (1) || compression (1) || id (32) || offset (u32 LE) || stored_len (u32 LE) ||
/// raw_len (u32 LE)`.
pub fn encode_trailer(entries: &[PackEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + entries.len() * ENTRY_LEN);
    out.extend_from_slice(TRAILER_MAGIC);
    out.push(TRAILER_VERSION);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        encode_entry(&mut out, e);
    }
    out
}

/// Decode a trailer plaintext. `data_len` is the length of the blob region (everything
/// before the sealed trailer): every entry must lie inside it, in order, without overlap.
pub fn decode_trailer(plain: &[u8], data_len: u64) -> Result<Vec<PackEntry>, DecodeError> {
    if plain.len() < 9 || &plain[..4] != TRAILER_MAGIC {
        return Err(DecodeError::invalid("trailer has no CNXT header"));
    }
    if plain[4] != TRAILER_VERSION {
        return Err(DecodeError::Invalid(format!(
            "trailer version {} is not supported",
            plain[4]
        )));
    }
    let count = u32_at(plain, 5) as usize;
    let body = &plain[9..];
    if body.len() != count.saturating_mul(ENTRY_LEN) {
        return Err(DecodeError::Invalid(format!(
            "trailer announces {count} entries but holds {} bytes",
            body.len()
        )));
    }
    let mut out = Vec::with_capacity(count);
    let mut prev_end = 0u64;
    for chunk in body.chunks_exact(ENTRY_LEN) {
        let e = decode_entry(chunk)?;
        let start = u64::from(e.offset);
        let end = start + u64::from(e.stored_len);
        if start < prev_end || end > data_len {
            return Err(DecodeError::Invalid(format!(
                "entry for blob {} at {start}..{end} overlaps or lies outside the {data_len}-byte blob region",
                e.id
            )));
        }
        prev_end = end;
        out.push(e);
    }
    Ok(out)
}

/// Decode the 8-byte footer: the sealed trailer length.
pub fn decode_footer(footer: &[u8]) -> Result<u32, DecodeError> {
    if footer.len() != FOOTER_LEN || &footer[4..] != PACK_MAGIC {
        return Err(DecodeError::invalid(
            "no CNXP footer (truncated or not a pack)",
        ));
    }
    Ok(u32_at(footer, 0))
}

/// Seal a trailer and build the tail (`sealed trailer || footer`) to append to the blobs.
pub fn build_tail(key: &MasterKey, entries: &[PackEntry]) -> Result<Vec<u8>, VaultError> {
    let mut tail = key.aead().seal(TRAILER_AAD, &encode_trailer(entries))?;
    let len = tail.len() as u32;
    tail.extend_from_slice(&len.to_le_bytes());
    tail.extend_from_slice(PACK_MAGIC);
    Ok(tail)
}

/// Where the sealed trailer lies, given the pack size and its footer.
pub fn trailer_range(pack_size: u64, footer: &[u8]) -> Result<(u64, u64), DecodeError> {
    let tlen = u64::from(decode_footer(footer)?);
    let start = pack_size
        .checked_sub(FOOTER_LEN as u64)
        .and_then(|x| x.checked_sub(tlen))
        .ok_or_else(|| {
            DecodeError::Invalid(format!(
                "trailer length {tlen} exceeds the {pack_size}-byte pack"
            ))
        })?;
    Ok((start, tlen))
}

/// Open and decode a sealed trailer whose blob region is `data_len` bytes long.
pub fn open_trailer(
    key: &MasterKey,
    sealed: &[u8],
    data_len: u64,
) -> Result<Vec<PackEntry>, DecodeError> {
    let plain =
        key.aead()
            .open(TRAILER_AAD, sealed)
            .map_err(|source| DecodeError::Unauthentic {
                what: "trailer",
                source,
            })?;
    decode_trailer(&plain, data_len)
}

/// Decode the trailer of a whole pack held in memory (fuzzing, tests, small tools).
pub fn decode_pack(key: &MasterKey, pack: &[u8]) -> Result<Vec<PackEntry>, DecodeError> {
    if pack.len() < FOOTER_LEN {
        return Err(DecodeError::Truncated("pack (shorter than its footer)"));
    }
    let (start, len) = trailer_range(pack.len() as u64, &pack[pack.len() - FOOTER_LEN..])?;
    let start = start as usize;
    open_trailer(key, &pack[start..start + len as usize], start as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entries() -> Vec<PackEntry> {
        (0..5u32)
            .map(|i| PackEntry {
                kind: if i % 2 == 0 {
                    BlobKind::Data
                } else {
                    BlobKind::Tree
                },
                compression: Compression::None,
                id: BlobId([i as u8; 32]),
                offset: i * 100,
                stored_len: 100,
                raw_len: 72,
            })
            .collect()
    }

    #[test]
    fn trailer_round_trip() {
        let e = entries();
        assert_eq!(decode_trailer(&encode_trailer(&e), 500).unwrap(), e);
        assert!(decode_trailer(&encode_trailer(&e), 499).is_err());
    }

    #[test]
    fn whole_pack_round_trip() {
        let k = MasterKey::generate().unwrap();
        let e = entries();
        let mut pack = vec![0u8; 500];
        pack.extend(build_tail(&k, &e).unwrap());
        assert_eq!(decode_pack(&k, &pack).unwrap(), e);
        for cut in [1, 7, 8, 30] {
            assert!(decode_pack(&k, &pack[..pack.len() - cut]).is_err());
        }
    }

    #[test]
    fn paths() {
        let id = PackId([0xab; 32]);
        let p = pack_path(&id);
        assert!(p.starts_with("packs/ab/abab"));
        assert_eq!(pack_id_from_path(&p), Some(id));
        assert_eq!(pack_id_from_path("packs/cd/abab"), None);
    }

    #[test]
    fn truncated_trailers_never_panic() {
        let t = encode_trailer(&entries());
        for n in 0..t.len() {
            assert!(decode_trailer(&t[..n], 500).is_err());
        }
    }
}
