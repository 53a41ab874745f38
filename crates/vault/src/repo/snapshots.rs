//! Snapshot documents: save, list (corrupt ones reported, not fatal), find by spec.

use tracing::{debug, warn};

use super::Repository;
use crate::format::snapshot::{
    open_snapshot, seal_snapshot, snapshot_path, Snapshot, SNAPSHOTS_DIR,
};
use crate::{BlobKind, SnapshotId, VaultError};

/// Every snapshot id with its document or the error that prevented reading it.
pub type SnapshotList = Vec<(SnapshotId, Result<Snapshot, VaultError>)>;

impl Repository {
    /// Write a snapshot document. Flushes first, so the snapshot is written only after every
    /// pack and index segment it depends on is durable; refuses a snapshot whose root tree is
    /// not in the repository.
    pub fn save_snapshot(&self, snap: &Snapshot) -> Result<SnapshotId, VaultError> {
        self.flush()?;
        if self.lookup_kind(BlobKind::Tree, &snap.tree).is_none() {
            return Err(VaultError::InvalidArgument(format!(
                "snapshot root tree {} is not in the repository (save it before the snapshot)",
                snap.tree
            )));
        }
        let (id, bytes) = seal_snapshot(self.key(), snap)?;
        self.storage().write(&snapshot_path(&id), bytes)?;
        Ok(id)
    }

    /// Load one snapshot by full id.
    pub fn load_snapshot(&self, id: &SnapshotId) -> Result<Snapshot, VaultError> {
        let path = snapshot_path(id);
        let bytes = self.storage().read(&path)?;
        self.open_snapshot_bytes(id, &path, &bytes)
    }

    /// Check a snapshot document's bytes against its name and decrypt it.
    fn open_snapshot_bytes(
        &self,
        id: &SnapshotId,
        path: &str,
        bytes: &[u8],
    ) -> Result<Snapshot, VaultError> {
        if *blake3::hash(bytes).as_bytes() != id.0 {
            return Err(VaultError::corrupt(
                path,
                "content does not match its name (truncated or altered)",
            ));
        }
        open_snapshot(self.key(), bytes, path)
    }

    /// Every snapshot, oldest first (undecodable ones last), each with its document or the
    /// error that prevented reading it. Only a failure to list is fatal; a snapshot deleted
    /// between the listing and its read (a concurrent `forget`) is left out.
    pub fn list_snapshots(&self) -> Result<SnapshotList, VaultError> {
        let mut ids = Vec::new();
        for obj in self.storage().list(SNAPSHOTS_DIR)? {
            let name = obj.path.trim_start_matches(SNAPSHOTS_DIR);
            let Ok(id) = SnapshotId::from_hex(name) else {
                warn!(
                    object = obj.path,
                    "ignoring object in snapshots/ that is not a snapshot"
                );
                continue;
            };
            ids.push(id);
        }
        // Several documents in flight: one request each made listing a long history on S3 a
        // round trip per snapshot.
        let mut out = Vec::with_capacity(ids.len());
        for batch in ids.chunks(crate::repo::METADATA_READ_BATCH) {
            let paths: Vec<String> = batch.iter().map(snapshot_path).collect();
            let contents = self
                .storage()
                .read_many(&paths, crate::repo::METADATA_READ_CONCURRENCY);
            for ((id, path), content) in batch.iter().zip(&paths).zip(contents) {
                // Listed, then deleted by a concurrent `forget`: no longer a snapshot.
                if content.as_ref().is_err_and(VaultError::is_not_found) {
                    debug!(snapshot = %id, "snapshot deleted while listing");
                    continue;
                }
                let snap = content.and_then(|bytes| self.open_snapshot_bytes(id, path, &bytes));
                out.push((*id, snap));
            }
        }
        out.sort_by_key(|(id, s)| match s {
            Ok(s) => (0, s.time, *id),
            Err(_) => (1, 0, *id),
        });
        Ok(out)
    }

    /// Find a snapshot by full id, unique hex prefix, or `latest` (the newest readable one).
    pub fn find_snapshot(&self, spec: &str) -> Result<(SnapshotId, Snapshot), VaultError> {
        let not_found = || VaultError::SnapshotNotFound {
            spec: spec.to_string(),
        };
        if spec == "latest" {
            return self
                .list_snapshots()?
                .into_iter()
                .filter_map(|(id, s)| s.ok().map(|s| (id, s)))
                .max_by_key(|(id, s)| (s.time, *id))
                .ok_or_else(not_found);
        }
        let prefix = spec.to_ascii_lowercase();
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) || prefix.len() > 64
        {
            return Err(not_found());
        }
        let mut matches: Vec<SnapshotId> = self
            .storage()
            .list(SNAPSHOTS_DIR)?
            .iter()
            .filter_map(|o| SnapshotId::from_hex(o.path.trim_start_matches(SNAPSHOTS_DIR)).ok())
            .filter(|id| id.to_hex().starts_with(&prefix))
            .collect();
        matches.sort();
        match matches.as_slice() {
            [] => Err(not_found()),
            [id] => Ok((*id, self.load_snapshot(id)?)),
            many => Err(VaultError::AmbiguousSnapshot {
                prefix: spec.to_string(),
                candidates: many.iter().map(SnapshotId::to_hex).collect(),
            }),
        }
    }

    /// Delete a snapshot document (its data stays until a prune).
    pub fn forget_snapshot(&self, id: &SnapshotId) -> Result<(), VaultError> {
        self.allow_deletes("forget")?;
        self.storage().delete(&snapshot_path(id))
    }

    /// Add and remove tags of a snapshot. A snapshot's id is the hash of its sealed
    /// document, so the document is written again under a new id, and only then is the old
    /// one deleted (an interruption leaves both, never neither). Returns the new id, or the
    /// old one when the tags do not change. The order of the remaining tags is kept; added
    /// ones follow; a tag is never listed twice.
    pub fn retag_snapshot(
        &self,
        id: &SnapshotId,
        add: &[String],
        remove: &[String],
    ) -> Result<SnapshotId, VaultError> {
        let mut snap = self.load_snapshot(id)?;
        let mut tags: Vec<String> = snap
            .tags
            .iter()
            .filter(|t| !remove.contains(t))
            .cloned()
            .collect();
        for t in add {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        if tags == snap.tags {
            return Ok(*id);
        }
        self.allow_deletes("tag")?;
        snap.tags = tags;
        let new = self.save_snapshot(&snap)?;
        self.storage().delete(&snapshot_path(id))?;
        Ok(new)
    }
}
