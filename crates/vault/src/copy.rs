//! Copy snapshots to a second repository: the offsite copy of a 3-2-1 scheme.
//!
//! A copy destination shares its source's master key, each with its own password
//! ([`init_destination`] creates one): blob ids are keyed by the master key, so only then
//! are the ids the same on both sides, a blob the destination already has is recognised
//! without reading it from the source, and a missing one is copied as stored (sealed and
//! compressed; decoded once on the way to verify it, never re-encrypted). Snapshot
//! documents are copied byte for byte, so a snapshot keeps its id in the copy.
//!
//! The order makes a copy resumable: the blobs a snapshot needs first (packs, with index
//! checkpoints while it runs), then the snapshot document. An interrupted copy leaves
//! stored packs behind (indexed by the last checkpoint, or by [`copy`] itself when a write
//! failed), and the next run sends only what is still missing. Before a snapshot document
//! is written, the snapshot is verified in the destination: every tree loads from there and
//! every blob it needs is indexed there (`check --read-data` on the destination reads the
//! data back as well).
//!
//! Retention stays each side's own: `forget` runs on each repository with its own policy.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;

use serde::Serialize;
use tracing::{debug, info};

use crate::format::blob::EncodedBlob;
use crate::format::snapshot::snapshot_path;
use crate::repo::InitOptions;
use crate::storage::Storage;
use crate::tree::{load_tree, ContentPart};
use crate::{BlobId, BlobKind, BlobLocation, PackId, Repository, SnapshotId, VaultError};

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// Snapshots copied by this run (hex ids), oldest first.
    pub copied: Vec<String>,
    /// Snapshots the destination had already (hex ids).
    pub present: Vec<String>,
    /// Blobs sent (the destination lacked them).
    pub blobs_copied: u64,
    /// Their stored (sealed, compressed) bytes.
    pub bytes_copied: u64,
    /// Blobs the copied snapshots need that the destination already had.
    pub blobs_present: u64,
}

/// Create a copy destination for `source` on `storage`: a new repository with the same
/// master key and chunker settings, opened by `password` (its own).
pub fn init_destination(
    source: &Repository,
    storage: Storage,
    password: &str,
    opts: &InitOptions,
) -> Result<Repository, VaultError> {
    let config = source.config();
    let opts = InitOptions {
        chunker: config.chunker_params(0),
        compression_level: config.compression.level,
        pack_size: config.pack_size,
        ..opts.clone()
    };
    Repository::init_with_key(storage, password, &opts, source.key().duplicate()?)
}

/// Copy `snapshots` (all of the source's when empty) from `source` to `dest`, skipping those
/// the destination has. `threads` source reads run at once (raised on remote storage).
pub fn copy(
    source: &Repository,
    dest: &Repository,
    snapshots: &[SnapshotId],
    threads: usize,
) -> Result<CopyReport, VaultError> {
    if !source.key().same_as(dest.key()) {
        return Err(VaultError::NotACopy {
            from: source.storage().location().to_string(),
            to: dest.storage().location().to_string(),
        });
    }
    // Like a backup, a copy adds data the destination's prune must not take away meanwhile.
    dest.under_shared_lock(|| copy_locked(source, dest, snapshots, threads))
}

fn copy_locked(
    source: &Repository,
    dest: &Repository,
    snapshots: &[SnapshotId],
    threads: usize,
) -> Result<CopyReport, VaultError> {
    let mut report = CopyReport::default();
    let wanted = chosen_snapshots(source, snapshots)?;
    let present: HashSet<SnapshotId> = dest
        .list_snapshots()?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let (todo, already): (Vec<SnapshotId>, Vec<SnapshotId>) =
        wanted.into_iter().partition(|id| !present.contains(id));
    report.present = already.iter().map(SnapshotId::to_hex).collect();
    if todo.is_empty() {
        return Ok(report);
    }
    let roots = todo
        .iter()
        .map(|id| Ok(source.load_snapshot(id)?.tree))
        .collect::<Result<Vec<BlobId>, VaultError>>()?;
    let needed = needed_blobs(source, &roots)?;
    let missing: Vec<(BlobKind, BlobId)> = needed
        .iter()
        .filter(|(kind, id)| !dest.has_blob(*kind, id))
        .copied()
        .collect();
    report.blobs_present = (needed.len() - missing.len()) as u64;
    info!(
        snapshots = todo.len(),
        blobs = missing.len(),
        "copying the blobs the destination lacks"
    );
    (report.blobs_copied, report.bytes_copied) =
        send_keeping_progress(source, dest, &missing, threads)?;
    verify(dest, &roots)?;
    // The snapshot documents last: a snapshot is in the destination only once everything it
    // needs was found there.
    for id in &todo {
        let path = snapshot_path(id);
        dest.storage().write(&path, source.storage().read(&path)?)?;
        report.copied.push(id.to_hex());
    }
    Ok(report)
}

/// [`copy_blobs`] and the destination's flush; on a failure the packs that did arrive are
/// indexed (the session stays failed), so the next run sends only what is still missing.
fn send_keeping_progress(
    source: &Repository,
    dest: &Repository,
    missing: &[(BlobKind, BlobId)],
    threads: usize,
) -> Result<(u64, u64), VaultError> {
    let sent = copy_blobs(source, dest, missing, threads).and_then(|sent| {
        dest.flush()?;
        Ok(sent)
    });
    if sent.is_err() {
        match dest.index_uploaded_packs() {
            Ok(packs) => debug!(packs, "indexed the packs copied before the failure"),
            Err(e) => debug!(error = %e, "could not index the packs copied before the failure"),
        }
    }
    sent
}

/// The snapshots to copy, oldest first: the given ones (each must exist and read), or every
/// readable snapshot of the source.
fn chosen_snapshots(
    source: &Repository,
    given: &[SnapshotId],
) -> Result<Vec<SnapshotId>, VaultError> {
    let all = source.list_snapshots()?;
    if given.is_empty() {
        return Ok(all
            .into_iter()
            .filter_map(|(id, snap)| snap.ok().map(|_| id))
            .collect());
    }
    let mut out = Vec::new();
    for (id, snap) in all {
        if given.contains(&id) {
            snap?;
            out.push(id);
        }
    }
    if let Some(missing) = given.iter().find(|g| !out.contains(g)) {
        return Err(VaultError::SnapshotNotFound {
            spec: missing.to_hex(),
        });
    }
    Ok(out)
}

/// Every blob (kind, id) under the root trees, the trees included (read from `repo`).
fn needed_blobs(
    repo: &Repository,
    roots: &[BlobId],
) -> Result<BTreeSet<(BlobKind, BlobId)>, VaultError> {
    let mut needed = BTreeSet::new();
    let mut stack = Vec::new();
    for root in roots {
        if needed.insert((BlobKind::Tree, *root)) {
            stack.push(*root);
        }
    }
    while let Some(tree_id) = stack.pop() {
        for entry in load_tree(repo, &tree_id)?.entries {
            for part in &entry.content {
                if let ContentPart::Data { id, .. } = part {
                    needed.insert((BlobKind::Data, *id));
                }
            }
            if let Some(sub) = entry.subtree {
                if needed.insert((BlobKind::Tree, sub)) {
                    stack.push(sub);
                }
            }
        }
    }
    Ok(needed)
}

/// A pack and the blobs wanted from it, with where each lies.
type PackBlobs = (PackId, Vec<(BlobId, BlobLocation)>);

/// Send `blobs` from the source's packs to the destination, a pack at a time (one ranged
/// read over the blobs wanted from it), several packs at once. Returns blobs and stored
/// bytes sent.
fn copy_blobs(
    source: &Repository,
    dest: &Repository,
    blobs: &[(BlobKind, BlobId)],
    threads: usize,
) -> Result<(u64, u64), VaultError> {
    let mut by_pack: BTreeMap<PackId, Vec<(BlobId, BlobLocation)>> = BTreeMap::new();
    for (kind, id) in blobs {
        let loc = source
            .lookup_kind(*kind, id)
            .ok_or_else(|| VaultError::BlobNotFound {
                kind: *kind,
                id: id.to_hex(),
            })?;
        by_pack.entry(loc.pack).or_default().push((*id, loc));
    }
    let packs: Mutex<Vec<PackBlobs>> = Mutex::new(by_pack.into_iter().rev().collect());
    let sent = Mutex::new((0u64, 0u64));
    let workers = source
        .storage()
        .read_workers(threads)
        .min(packs_len(&packs));
    let failure: Mutex<Option<VaultError>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while failure_is_none(&failure) {
                    let Some((pack, mut wanted)) = lock(&packs).pop() else {
                        return;
                    };
                    match copy_pack(source, dest, &pack, &mut wanted) {
                        Ok((n, bytes)) => {
                            let mut s = lock(&sent);
                            s.0 += n;
                            s.1 += bytes;
                        }
                        Err(e) => {
                            lock(&failure).get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    match failure
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        Some(e) => Err(e),
        None => Ok(sent
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)),
    }
}

// A poisoned lock means a copying thread panicked (a bug); the scope re-raises that panic,
// so the data is never used afterwards.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn failure_is_none(failure: &Mutex<Option<VaultError>>) -> bool {
    lock(failure).is_none()
}

fn packs_len<T>(packs: &Mutex<Vec<T>>) -> usize {
    lock(packs).len().max(1)
}

/// One pack's wanted blobs: one read from the first to the last, each blob verified (it
/// opens, decompresses and hashes to its id) and saved sealed as it is.
fn copy_pack(
    source: &Repository,
    dest: &Repository,
    pack: &PackId,
    wanted: &mut [(BlobId, BlobLocation)],
) -> Result<(u64, u64), VaultError> {
    wanted.sort_by_key(|(_, loc)| loc.offset);
    let start = wanted.first().map_or(0, |(_, l)| l.offset);
    let end = wanted.last().map_or(0, |(_, l)| l.offset + l.length);
    let span = source.read_pack_range(pack, start, end - start)?;
    let (mut blobs, mut bytes) = (0, 0);
    for (id, loc) in wanted.iter() {
        let at = usize::try_from(loc.offset - start).unwrap_or(usize::MAX);
        let len = usize::try_from(loc.length).unwrap_or(usize::MAX);
        let stored = span
            .get(at..at.saturating_add(len))
            .ok_or_else(|| VaultError::corrupt(format!("pack {pack}"), "entry outside the pack"))?;
        source.decode_blob(loc, id, stored)?;
        let raw_len = u32::try_from(loc.raw_len)
            .map_err(|_| VaultError::corrupt(format!("blob {id}"), "raw length exceeds u32"))?;
        let encoded = EncodedBlob {
            stored: stored.to_vec(),
            compression: loc.compression,
            raw_len,
        };
        if dest.save_encoded(loc.kind, *id, encoded)? {
            blobs += 1;
            bytes += loc.length;
        }
    }
    Ok((blobs, bytes))
}

/// Every tree of the copied snapshots loads from the destination (read back and
/// authenticated there) and every blob they need is indexed there.
fn verify(dest: &Repository, roots: &[BlobId]) -> Result<(), VaultError> {
    dest.reload_index()?;
    for (kind, id) in needed_blobs(dest, roots)? {
        if !dest.has_blob(kind, &id) {
            return Err(VaultError::BlobNotFound {
                kind,
                id: id.to_hex(),
            });
        }
    }
    Ok(())
}
