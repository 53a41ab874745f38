//! `repair index`: rebuild the index from the pack trailers, never losing what only the old
//! index knows.
//!
//! Steps: flush this session, read every old index segment, list every pack, read each
//! trailer, write new index segments, and only once they are all written (durably: the fs
//! service fsyncs before its rename) delete old segments.
//!
//! A pack whose trailer cannot be read keeps the entries the old segments list for it (they
//! are checked against the pack's size): its blobs were readable through the old index and
//! stay readable. Blobs cannot be found by scanning a pack without its trailer (a sealed
//! blob is not self-delimiting and its id is part of the authenticated data), so a pack that
//! neither its trailer nor a readable old segment describes cannot be indexed: it is left
//! alone, and so is every old segment that could not be read (it may be the only record of
//! that pack). Everything not rebuilt is in [`RepairReport::packs_failed`];
//! `cnxbackup repair index` then exits non-zero.

use std::collections::{HashMap, HashSet};

use tracing::{info, warn};

use crate::format::index::{open_index_segment, INDEX_DIR};
use crate::format::pack::PackEntry;
use crate::{IndexId, PackId, Repository, VaultError};

/// Packs per new index segment (keeps segments around a few MiB).
const PACKS_PER_SEGMENT: usize = 2048;

/// Old segments read at once.
const READ_CONCURRENCY: usize = 8;

/// A pack whose trailer could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFailure {
    /// The pack.
    pub pack: PackId,
    /// Why its trailer could not be read.
    pub reason: String,
    /// Blob entries kept from the old index for it (0: the pack is not indexed).
    pub blobs_kept: usize,
}

/// What `repair index` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Packs whose trailer was read.
    pub packs_read: usize,
    /// Packs whose trailer could not be read.
    pub packs_failed: Vec<PackFailure>,
    /// Blob entries in the new index.
    pub blobs_indexed: usize,
    /// Blobs in the new index that the old index did not know.
    pub blobs_recovered: usize,
    /// New segments written.
    pub segments_written: usize,
    /// Old segments deleted.
    pub segments_removed: usize,
    /// Old segments that could not be read and were kept, because a pack is described
    /// neither by its trailer nor by a readable segment (they may be its only record).
    pub segments_kept: Vec<String>,
}

impl RepairReport {
    /// Whether every pack is indexed from its own trailer: nothing is left to repair.
    pub fn is_complete(&self) -> bool {
        self.packs_failed.is_empty() && self.segments_kept.is_empty()
    }
}

/// The old index as stored: what the readable segments say per pack, and which segments
/// could not be read.
struct OldIndex {
    segments: Vec<String>,
    unreadable: Vec<String>,
    packs: HashMap<PackId, Vec<PackEntry>>,
}

fn read_old_index(repo: &Repository) -> Result<OldIndex, VaultError> {
    let segments: Vec<String> = repo
        .storage()
        .list(INDEX_DIR)?
        .into_iter()
        .map(|o| o.path)
        .collect();
    let mut old = OldIndex {
        segments: Vec::new(),
        unreadable: Vec::new(),
        packs: HashMap::new(),
    };
    for batch in segments.chunks(64) {
        let contents = repo.storage().read_many(batch, READ_CONCURRENCY);
        for (path, bytes) in batch.iter().zip(contents) {
            let decoded = bytes
                .map_err(|e| e.to_string())
                .and_then(|b| open_index_segment(repo.key(), &b).map_err(|e| e.to_string()));
            match decoded {
                Ok(packs) => {
                    for (pack, entries) in packs {
                        old.packs.entry(pack).or_insert(entries);
                    }
                }
                Err(reason) => {
                    warn!(segment = path, %reason, "old index segment unreadable");
                    old.unreadable.push(path.clone());
                }
            }
        }
    }
    old.segments = segments;
    Ok(old)
}

/// The old entries of a pack that fit in its `size` (a truncated pack keeps the blobs
/// still wholly inside it).
fn entries_within(entries: &[PackEntry], size: u64) -> Vec<PackEntry> {
    entries
        .iter()
        .filter(|e| u64::from(e.offset) + u64::from(e.stored_len) <= size)
        .copied()
        .collect()
}

/// Rebuild every index segment from the pack trailers (keeping the old entries of packs
/// whose trailer is unreadable), then reload the repository's in-memory index.
pub fn rebuild_index(repo: &Repository) -> Result<RepairReport, VaultError> {
    repo.flush()?;
    let mut report = RepairReport::default();
    let old = read_old_index(repo)?;
    let known: HashSet<(crate::BlobKind, crate::BlobId)> = old
        .packs
        .values()
        .flatten()
        .map(|e| (e.kind, e.id))
        .collect();

    let mut packs: Vec<(PackId, Vec<PackEntry>)> = Vec::new();
    for (pack, size) in repo.list_packs()? {
        match repo.read_pack_trailer(&pack) {
            Ok(entries) => {
                report.packs_read += 1;
                report.blobs_recovered += entries
                    .iter()
                    .filter(|e| !known.contains(&(e.kind, e.id)))
                    .count();
                packs.push((pack, entries));
            }
            Err(e) => {
                let kept = old
                    .packs
                    .get(&pack)
                    .map(|entries| entries_within(entries, size))
                    .unwrap_or_default();
                warn!(pack = %pack, error = %e, kept = kept.len(),
                    "cannot read pack trailer; keeping what the old index says of it");
                report.packs_failed.push(PackFailure {
                    pack,
                    reason: e.to_string(),
                    blobs_kept: kept.len(),
                });
                if !kept.is_empty() {
                    packs.push((pack, kept));
                }
            }
        }
    }
    report.blobs_indexed = packs.iter().map(|(_, e)| e.len()).sum();
    // An unreadable old segment is the only possible record of a pack nothing else
    // describes: keep it then.
    let undescribed = report.packs_failed.iter().any(|f| f.blobs_kept == 0);
    if undescribed {
        report.segments_kept.clone_from(&old.unreadable);
    }

    let mut new_segments: HashSet<IndexId> = HashSet::new();
    for group in packs.chunks(PACKS_PER_SEGMENT) {
        new_segments.insert(repo.write_index_segment_of(group)?);
        report.segments_written += 1;
    }
    for path in &old.segments {
        let is_new = IndexId::from_hex(path.trim_start_matches(INDEX_DIR))
            .map(|id| new_segments.contains(&id))
            .unwrap_or(false);
        if !is_new && !report.segments_kept.contains(path) {
            repo.storage().delete(path)?;
            report.segments_removed += 1;
        }
    }
    repo.reload_index()?;
    info!(
        packs = report.packs_read,
        failed = report.packs_failed.len(),
        blobs = report.blobs_indexed,
        recovered = report.blobs_recovered,
        "index rebuilt"
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::Compression;
    use crate::{BlobId, BlobKind};

    fn entry(offset: u32, stored_len: u32) -> PackEntry {
        PackEntry {
            kind: BlobKind::Data,
            compression: Compression::None,
            id: BlobId([offset as u8; 32]),
            offset,
            stored_len,
            raw_len: stored_len,
        }
    }

    #[test]
    fn a_truncated_pack_keeps_the_entries_wholly_inside_it() {
        let entries = [entry(0, 100), entry(100, 100), entry(200, 100)];
        assert_eq!(entries_within(&entries, 1000).len(), 3);
        assert_eq!(entries_within(&entries, 250), entries[..2].to_vec());
        assert!(entries_within(&entries, 50).is_empty());
    }
}
