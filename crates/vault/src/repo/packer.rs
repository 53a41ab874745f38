//! Pack assembly: the open pack that blobs are appended to, and finished packs on their way
//! to storage.

use std::sync::Arc;

use crate::crypto::MasterKey;
use crate::format::blob::EncodedBlob;
use crate::format::pack::{build_tail, PackEntry};
use crate::{BlobId, BlobKind, PackId, VaultError};

/// Where a blob saved in this session is, before it is in the index.
#[derive(Clone)]
pub(crate) enum Pending {
    /// Being compressed and sealed by the saving thread.
    Encoding,
    /// Appended to the open pack of its kind.
    InOpenPack,
    /// In a finished pack being uploaded.
    Uploading(Arc<FinishedPack>),
}

/// A pack being filled: sealed blobs back to back, plus their entries.
#[derive(Default)]
pub(crate) struct OpenPack {
    buf: Vec<u8>,
    entries: Vec<PackEntry>,
}

impl OpenPack {
    /// Append a sealed blob. The first append reserves the target size so the buffer does
    /// not reallocate while it fills.
    pub(crate) fn append(&mut self, kind: BlobKind, id: BlobId, blob: &EncodedBlob, target: usize) {
        if self.buf.capacity() == 0 {
            self.buf.reserve(target + target / 8);
        }
        // Offsets fit in u32: a pack is closed once it reaches the target (<= 1 GiB) and a
        // blob is at most 512 MiB (both checked at init/encode time).
        let offset = self.buf.len() as u32;
        self.buf.extend_from_slice(&blob.stored);
        self.entries.push(PackEntry {
            kind,
            compression: blob.compression,
            id,
            offset,
            stored_len: blob.stored.len() as u32,
            raw_len: blob.raw_len,
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn blob_count(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A copy of a blob's entry and sealed bytes, when it is in this pack.
    pub(crate) fn find(&self, kind: BlobKind, id: &BlobId) -> Option<(PackEntry, Vec<u8>)> {
        find_in(&self.entries, &self.buf, kind, id)
    }

    /// Append the sealed trailer and footer and compute the pack id.
    pub(crate) fn finish(mut self, key: &MasterKey) -> Result<FinishedPack, VaultError> {
        let tail = build_tail(key, &self.entries)?;
        self.buf.extend_from_slice(&tail);
        let id = PackId(*blake3::hash(&self.buf).as_bytes());
        Ok(FinishedPack {
            id,
            bytes: bytes::Bytes::from(self.buf),
            entries: self.entries,
        })
    }
}

fn find_in(
    entries: &[PackEntry],
    buf: &[u8],
    kind: BlobKind,
    id: &BlobId,
) -> Option<(PackEntry, Vec<u8>)> {
    let e = entries.iter().find(|e| e.kind == kind && e.id == *id)?;
    let start = e.offset as usize;
    let bytes = buf.get(start..start + e.stored_len as usize)?.to_vec();
    Some((*e, bytes))
}

/// A complete pack (blobs, sealed trailer, footer) and its id.
pub(crate) struct FinishedPack {
    pub(crate) id: PackId,
    pub(crate) bytes: bytes::Bytes,
    pub(crate) entries: Vec<PackEntry>,
}

impl FinishedPack {
    pub(crate) fn find(&self, kind: BlobKind, id: &BlobId) -> Option<(PackEntry, Vec<u8>)> {
        find_in(&self.entries, &self.bytes, kind, id)
    }
}
