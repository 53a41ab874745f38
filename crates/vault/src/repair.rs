//! `repair index`: rebuild the index from the pack trailers alone.
//!
//! Steps: flush this session, list every pack, read each trailer, write new index segments,
//! and only once they are all written (durably: the fs service fsyncs before its rename)
//! delete the old segments. A pack whose trailer cannot be read is reported and left alone;
//! its blobs are missing from the new index (`check` will name what they belonged to).

use std::collections::HashSet;

use tracing::{info, warn};

use crate::format::index::INDEX_DIR;
use crate::format::pack::PackEntry;
use crate::{IndexId, PackId, Repository, VaultError};

/// Packs per new index segment (keeps segments around a few MiB).
const PACKS_PER_SEGMENT: usize = 2048;

/// What `repair index` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Packs whose trailer was read.
    pub packs_read: usize,
    /// Packs whose trailer could not be read, with the reason.
    pub packs_failed: Vec<(PackId, String)>,
    /// Blob entries in the new index.
    pub blobs_indexed: usize,
    /// Blobs in the new index that the old index did not know.
    pub blobs_recovered: usize,
    /// New segments written.
    pub segments_written: usize,
    /// Old segments deleted.
    pub segments_removed: usize,
}

/// Rebuild every index segment from the pack trailers, then reload the repository's
/// in-memory index.
pub fn rebuild_index(repo: &Repository) -> Result<RepairReport, VaultError> {
    repo.flush()?;
    let mut report = RepairReport::default();
    let old_segments: Vec<String> = repo
        .storage()
        .list(INDEX_DIR)?
        .into_iter()
        .map(|o| o.path)
        .collect();
    let known: HashSet<(crate::BlobKind, crate::BlobId)> = repo
        .index_entries()
        .into_iter()
        .map(|(id, loc)| (loc.kind, id))
        .collect();

    let mut packs: Vec<(PackId, Vec<PackEntry>)> = Vec::new();
    for (pack, _size) in repo.list_packs()? {
        match repo.read_pack_trailer(&pack) {
            Ok(entries) => {
                report.packs_read += 1;
                report.blobs_indexed += entries.len();
                report.blobs_recovered += entries
                    .iter()
                    .filter(|e| !known.contains(&(e.kind, e.id)))
                    .count();
                packs.push((pack, entries));
            }
            Err(e) => {
                warn!(pack = %pack, error = %e, "cannot read pack trailer; pack not indexed");
                report.packs_failed.push((pack, e.to_string()));
            }
        }
    }

    let mut new_segments: HashSet<IndexId> = HashSet::new();
    for group in packs.chunks(PACKS_PER_SEGMENT) {
        new_segments.insert(repo.write_index_segment_of(group)?);
        report.segments_written += 1;
    }
    for path in old_segments {
        let keep = IndexId::from_hex(path.trim_start_matches(INDEX_DIR))
            .map(|id| new_segments.contains(&id))
            .unwrap_or(false);
        if !keep {
            repo.storage().delete(&path)?;
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
