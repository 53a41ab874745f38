//! Fuzz target: vault blob decoder (open, decompress, verify). The first 6 bytes choose the
//! kind, compression and recorded raw length; the rest is the stored blob. A fixed key lets
//! the fuzzer reach the decompression path with inputs sealed by `vault::format::blob`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::{BlobId, BlobKind, Compression};

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let Ok(key) = vault::crypto::MasterKey::from_bytes(&[[1u8].as_slice(), &[7u8; 72]].concat())
    else {
        return;
    };
    let kind = if data[0] & 1 == 0 {
        BlobKind::Data
    } else {
        BlobKind::Tree
    };
    let compression = if data[1] & 1 == 0 {
        Compression::None
    } else {
        Compression::Zstd
    };
    let raw_len = u32::from_le_bytes([data[2], data[3], data[4], data[5]]) % (64 << 20);
    let stored = &data[6..];
    let _ = vault::format::blob::decode_blob(
        &key,
        kind,
        &BlobId([0; 32]),
        compression,
        raw_len,
        stored,
    );
    // Also drive zstd directly on the payload: the sealed path rejects unauthenticated input.
    let _ = vault::compress::decompress(stored, raw_len as usize % (1 << 20));
});
