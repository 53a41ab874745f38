//! Pack assembly: the open pack that blobs are appended to, and finished packs on their way
//! to storage.

use std::sync::Arc;

use bytes::Bytes;

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

/// A pack being filled: the sealed blobs (kept as separate buffers, written back to back
/// by one vectored write: no copy into a pack buffer), plus their entries.
#[derive(Default)]
pub(crate) struct OpenPack {
    parts: Vec<Bytes>,
    len: usize,
    entries: Vec<PackEntry>,
}

impl OpenPack {
    /// Append a sealed blob (its buffer is moved, not copied).
    pub(crate) fn append(&mut self, kind: BlobKind, id: BlobId, blob: EncodedBlob) {
        // Offsets fit in u32: a pack is closed once it reaches the target (<= 1 GiB) and a
        // blob is at most 512 MiB (both checked at init/encode time).
        let offset = self.len as u32;
        let stored_len = blob.stored.len();
        self.entries.push(PackEntry {
            kind,
            compression: blob.compression,
            id,
            offset,
            stored_len: stored_len as u32,
            raw_len: blob.raw_len,
        });
        self.parts.push(Bytes::from(blob.stored));
        self.len += stored_len;
    }

    /// Bytes of sealed blobs so far.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn blob_count(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A copy of a blob's entry and sealed bytes, when it is in this pack.
    pub(crate) fn find(&self, kind: BlobKind, id: &BlobId) -> Option<(PackEntry, Vec<u8>)> {
        find_in(&self.entries, &self.parts, kind, id)
    }

    /// Append the sealed trailer and footer and compute the pack id.
    pub(crate) fn finish(mut self, key: &MasterKey) -> Result<FinishedPack, VaultError> {
        let tail = build_tail(key, &self.entries)?;
        self.len += tail.len();
        self.parts.push(Bytes::from(tail));
        let mut h = blake3::Hasher::new();
        for p in &self.parts {
            h.update(p);
        }
        Ok(FinishedPack {
            id: PackId(*h.finalize().as_bytes()),
            parts: self.parts,
            len: self.len,
            entries: self.entries,
        })
    }
}

/// `parts[i]` holds the blob of `entries[i]` (a trailing part holds the trailer).
fn find_in(
    entries: &[PackEntry],
    parts: &[Bytes],
    kind: BlobKind,
    id: &BlobId,
) -> Option<(PackEntry, Vec<u8>)> {
    let i = entries.iter().position(|e| e.kind == kind && e.id == *id)?;
    Some((entries[i], parts.get(i)?.to_vec()))
}

/// A complete pack (blobs, sealed trailer, footer) and its id.
pub(crate) struct FinishedPack {
    pub(crate) id: PackId,
    /// The pack file's bytes, in order.
    pub(crate) parts: Vec<Bytes>,
    /// Total length.
    pub(crate) len: usize,
    pub(crate) entries: Vec<PackEntry>,
}

impl FinishedPack {
    pub(crate) fn find(&self, kind: BlobKind, id: &BlobId) -> Option<(PackEntry, Vec<u8>)> {
        find_in(&self.entries, &self.parts, kind, id)
    }
}
