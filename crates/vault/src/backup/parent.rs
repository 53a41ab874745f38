//! The parent snapshot: which one to compare with, and loading its trees on demand.

use tracing::{debug, info};

use super::{BackupError, ParentChoice};
use crate::tree::Tree;
use crate::{BlobId, Repository, Snapshot, SnapshotId};

/// The snapshot to compare with: explicit, or the newest with the same host and paths.
pub(crate) fn choose(
    repo: &Repository,
    choice: &ParentChoice,
    host: &str,
    paths: &[String],
) -> Result<Option<(SnapshotId, Snapshot)>, BackupError> {
    match choice {
        ParentChoice::None => Ok(None),
        ParentChoice::Explicit(spec) => Ok(Some(repo.find_snapshot(spec)?)),
        ParentChoice::Auto => {
            let mut best: Option<(SnapshotId, Snapshot)> = None;
            for (id, snap) in repo.list_snapshots()? {
                // a corrupt snapshot document cannot be a parent; check reports it
                let Ok(snap) = snap else { continue };
                let mut their = snap.paths.clone();
                their.sort();
                if snap.host != host || their != paths {
                    continue;
                }
                if best.as_ref().is_none_or(|(_, b)| snap.time > b.time) {
                    best = Some((id, snap));
                }
            }
            if let Some((id, _)) = &best {
                info!(parent = %id, "using parent snapshot");
            }
            Ok(best)
        }
    }
}

/// Loads and decodes a tree of the parent. A parent tree that cannot be read only means
/// the files below it are read again, so failures are logged, not fatal.
/// Through the tree cache, so an incremental backup reads the parent's trees a pack at a
/// time (one request per directory made S3 incrementals slow).
pub(crate) fn load_tree(repo: &Repository, id: &BlobId) -> Option<Tree> {
    match crate::tree::load_tree(repo, id) {
        Ok(t) => Some(t),
        Err(e) => {
            debug!(tree = %id, error = %e, "parent tree unusable; reading files again");
            None
        }
    }
}
