//! Blob codec: compress (when it pays), seal, and the reverse with id verification.
//!
//! Stored blob = AEAD seal of the (possibly compressed) plaintext with associated data
//! `"cnx1-blob" || kind (1) || compression (1) || id (32) || raw_len (u32 LE)`, so a blob
//! cannot be swapped with another or its trailer entry altered without detection.

use super::error::DecodeError;
use crate::compress::{compress_if_worth, decompress, Compression};
use crate::crypto::MasterKey;
use crate::{BlobId, BlobKind, VaultError};

/// Largest plaintext blob accepted (keeps pack offsets within `u32`).
pub const MAX_BLOB_LEN: usize = 512 * 1024 * 1024;

/// A blob ready to append to a pack.
#[derive(Debug, Clone)]
pub struct EncodedBlob {
    /// Sealed bytes as stored in the pack.
    pub stored: Vec<u8>,
    /// How the payload was compressed.
    pub compression: Compression,
    /// Plaintext length.
    pub raw_len: u32,
}

fn blob_aad(kind: BlobKind, compression: Compression, id: &BlobId, raw_len: u32) -> Vec<u8> {
    let mut a = Vec::with_capacity(47);
    a.extend_from_slice(b"cnx1-blob");
    a.push(kind.to_byte());
    a.push(compression.to_byte());
    a.extend_from_slice(&id.0);
    a.extend_from_slice(&raw_len.to_le_bytes());
    a
}

/// Compress (at `level`, when it pays; `None` = never) and seal a blob.
pub fn encode_blob(
    key: &MasterKey,
    kind: BlobKind,
    id: &BlobId,
    plaintext: &[u8],
    level: Option<i32>,
) -> Result<EncodedBlob, VaultError> {
    if plaintext.len() > MAX_BLOB_LEN {
        return Err(VaultError::InvalidArgument(format!(
            "{kind} blob {id} is {} bytes; the limit is {MAX_BLOB_LEN}",
            plaintext.len()
        )));
    }
    let raw_len = plaintext.len() as u32;
    let compressed = level.and_then(|l| compress_if_worth(plaintext, l));
    let (compression, payload): (Compression, &[u8]) = match &compressed {
        Some(c) => (Compression::Zstd, c),
        None => (Compression::None, plaintext),
    };
    let stored = key
        .aead()
        .seal(&blob_aad(kind, compression, id, raw_len), payload)?;
    Ok(EncodedBlob {
        stored,
        compression,
        raw_len,
    })
}

/// Open, decompress and verify a stored blob. The error says which step failed.
pub fn decode_blob(
    key: &MasterKey,
    kind: BlobKind,
    id: &BlobId,
    compression: Compression,
    raw_len: u32,
    stored: &[u8],
) -> Result<Vec<u8>, DecodeError> {
    let payload = key
        .aead()
        .open(&blob_aad(kind, compression, id, raw_len), stored)
        .map_err(|source| DecodeError::Unauthentic {
            what: "sealed blob",
            source,
        })?;
    let plain = match compression {
        Compression::None => payload,
        Compression::Zstd => decompress(&payload, raw_len as usize)?,
    };
    if plain.len() != raw_len as usize {
        return Err(DecodeError::Invalid(format!(
            "length {} differs from the recorded {raw_len}",
            plain.len()
        )));
    }
    if key.blob_id(&plain) != *id {
        return Err(DecodeError::invalid("content does not match its id"));
    }
    Ok(plain)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_compressed_and_raw() {
        let k = MasterKey::generate().unwrap();
        let text = b"hello hello hello hello hello hello hello hello hello hello".repeat(100);
        let id = k.blob_id(&text);
        let e = encode_blob(&k, BlobKind::Data, &id, &text, Some(1)).unwrap();
        assert_eq!(e.compression, Compression::Zstd);
        assert!(e.stored.len() < text.len());
        let d = decode_blob(&k, BlobKind::Data, &id, e.compression, e.raw_len, &e.stored);
        assert_eq!(d.unwrap(), text);

        let e = encode_blob(&k, BlobKind::Tree, &id, &text, None).unwrap();
        assert_eq!(e.compression, Compression::None);
        let d = decode_blob(&k, BlobKind::Tree, &id, e.compression, e.raw_len, &e.stored);
        assert_eq!(d.unwrap(), text);
    }

    #[test]
    fn metadata_is_authenticated() {
        let k = MasterKey::generate().unwrap();
        let text = vec![b'z'; 5000];
        let id = k.blob_id(&text);
        let e = encode_blob(&k, BlobKind::Data, &id, &text, Some(1)).unwrap();
        let c = e.compression;
        assert!(decode_blob(&k, BlobKind::Tree, &id, c, e.raw_len, &e.stored).is_err());
        assert!(decode_blob(&k, BlobKind::Data, &id, c, e.raw_len + 1, &e.stored).is_err());
        let other = BlobId([1; 32]);
        assert!(decode_blob(&k, BlobKind::Data, &other, c, e.raw_len, &e.stored).is_err());
        assert!(decode_blob(
            &k,
            BlobKind::Data,
            &id,
            Compression::None,
            e.raw_len,
            &e.stored
        )
        .is_err());
    }

    #[test]
    fn wrong_id_given_at_encode_is_caught_at_decode() {
        let k = MasterKey::generate().unwrap();
        let bogus = BlobId([9; 32]);
        let e = encode_blob(&k, BlobKind::Data, &bogus, b"abc", None).unwrap();
        let err = decode_blob(&k, BlobKind::Data, &bogus, e.compression, 3, &e.stored);
        assert!(err.unwrap_err().to_string().contains("id"));
    }
}
