//! Saving and loading blobs: flush, reopen, dedup, compression, threads, checkpoints.
#![allow(clippy::unwrap_used)]

use crate::repo_common;

use std::sync::Arc;
use std::time::Duration;

use repo_common::*;
use vault::{BlobKind, Compression};

#[test]
fn blobs_survive_flush_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let blobs: Vec<Vec<u8>> = (0..40).map(|i| noise(50_000 + i * 997, i as u64)).collect();
    let mut ids = Vec::new();
    for b in &blobs {
        let id = repo.id_of(b);
        assert!(repo.save_blob(BlobKind::Data, id, b).unwrap());
        ids.push(id);
    }
    let tree = text(3000, 1);
    let tree_id = repo.id_of(&tree);
    assert!(repo.save_blob(BlobKind::Tree, tree_id, &tree).unwrap());
    // Readable before the flush (from the open pack or the uploaded ones).
    assert_eq!(repo.load_blob(BlobKind::Data, &ids[39]).unwrap(), blobs[39]);
    assert_eq!(repo.load_blob(BlobKind::Tree, &tree_id).unwrap(), tree);
    repo.flush().unwrap();
    drop(repo);

    let repo = open(dir.path());
    assert!(repo.index_problems().is_empty());
    for (id, b) in ids.iter().zip(&blobs) {
        assert!(repo.has_blob(BlobKind::Data, id));
        assert_eq!(&repo.load_blob(BlobKind::Data, id).unwrap(), b);
    }
    assert_eq!(repo.load_blob(BlobKind::Tree, &tree_id).unwrap(), tree);
    // Kinds are separate namespaces, and data and tree blobs go to separate packs.
    assert!(!repo.has_blob(BlobKind::Tree, &ids[0]));
    let tree_pack = repo.lookup_kind(BlobKind::Tree, &tree_id).unwrap().pack;
    assert!(ids
        .iter()
        .all(|id| repo.lookup(id).unwrap().pack != tree_pack));
    // ~2 MiB of data in 1 MiB packs: at least two data packs plus the tree pack.
    assert!(repo.list_packs().unwrap().len() >= 3);
}

#[test]
fn the_same_blob_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let b = noise(100_000, 5);
    let id = repo.id_of(&b);
    assert!(repo.save_blob(BlobKind::Data, id, &b).unwrap());
    assert!(!repo.save_blob(BlobKind::Data, id, &b).unwrap());
    repo.flush().unwrap();
    assert!(!repo.save_blob(BlobKind::Data, id, &b).unwrap());
    assert_eq!(repo.session_stats().data_blobs, 1);
    drop(repo);
    let repo = open(dir.path());
    assert!(!repo.save_blob(BlobKind::Data, id, &b).unwrap());
    repo.flush().unwrap();
    assert_eq!(repo.session_stats().packs, 0, "nothing new to upload");
    assert_eq!(repo.index_entries().len(), 1);
    let packs = repo.list_packs().unwrap();
    assert_eq!(packs.len(), 1);
    assert!(packs[0].1 < 101_000, "one copy of a 100 kB blob");
}

#[test]
fn compressible_blobs_are_compressed_and_random_ones_kept_raw() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let t = text(200_000, 3);
    let n = noise(200_000, 3);
    let (tid, nid) = (repo.id_of(&t), repo.id_of(&n));
    repo.save_blob(BlobKind::Data, tid, &t).unwrap();
    repo.save_blob(BlobKind::Data, nid, &n).unwrap();
    repo.flush().unwrap();
    let tl = repo.lookup(&tid).unwrap();
    let nl = repo.lookup(&nid).unwrap();
    assert_eq!(tl.compression, Compression::Zstd);
    assert!(tl.length < 50_000, "text compresses well: {}", tl.length);
    assert_eq!(nl.compression, Compression::None);
    assert_eq!(nl.length, 200_000 + 28, "raw plus nonce and tag");
    assert_eq!(tl.raw_len, 200_000);
    drop(repo);
    let repo = open(dir.path());
    assert_eq!(repo.load_blob(BlobKind::Data, &tid).unwrap(), t);
    assert_eq!(repo.load_blob(BlobKind::Data, &nid).unwrap(), n);
}

#[test]
fn compression_can_be_switched_off() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    repo.set_compression_level(None);
    let t = text(10_000, 1);
    let id = repo.id_of(&t);
    repo.save_blob(BlobKind::Data, id, &t).unwrap();
    repo.flush().unwrap();
    assert_eq!(repo.lookup(&id).unwrap().compression, Compression::None);
}

#[test]
fn many_threads_save_concurrently_with_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Arc::new(init(dir.path()));
    let blobs: Arc<Vec<Vec<u8>>> = Arc::new((0..120).map(|i| noise(30_000, i)).collect());
    let handles: Vec<_> = (0..6)
        .map(|t| {
            let repo = repo.clone();
            let blobs = blobs.clone();
            std::thread::spawn(move || {
                let mut new = 0;
                // Every thread saves every blob, in a different order.
                for k in 0..blobs.len() {
                    let b = &blobs[(k * 7 + t * 13) % blobs.len()];
                    if repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap() {
                        new += 1;
                    }
                }
                new
            })
        })
        .collect();
    let total_new: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total_new, 120, "each blob is new exactly once");
    repo.flush().unwrap();
    assert_eq!(repo.index_entries().len(), 120);
    for b in blobs.iter() {
        assert_eq!(&repo.load_blob(BlobKind::Data, &repo.id_of(b)).unwrap(), b);
    }
    let stored: u64 = repo.list_packs().unwrap().iter().map(|p| p.1).sum();
    assert!(
        stored < 120 * 30_100 + 120 * 100,
        "no duplicate stored: {stored}"
    );
}

/// A backup killed after some packs were uploaded: the checkpointed index lets the next
/// session reuse those blobs instead of uploading them again.
#[test]
fn checkpointed_blobs_survive_a_killed_session() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    repo.set_checkpoint_policy(Duration::from_secs(3600), 2 * 1024 * 1024);
    let blobs: Vec<Vec<u8>> = (0..80).map(|i| noise(100_000, 100 + i)).collect();
    for b in &blobs {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.checkpoint_if_due().unwrap();
    let segments = files_under(dir.path(), "index").len();
    assert!(segments >= 2, "checkpoints written every 2 MiB: {segments}");
    // Simulate kill -9: no flush, the open pack is lost.
    std::mem::forget(repo);

    let repo = open(dir.path());
    let reused = blobs
        .iter()
        .filter(|b| repo.has_blob(BlobKind::Data, &repo.id_of(b)))
        .count();
    assert!(
        reused >= 40,
        "at least the checkpointed 4+ MiB are reused: {reused}"
    );
    for b in &blobs {
        let id = repo.id_of(b);
        if repo.has_blob(BlobKind::Data, &id) {
            assert_eq!(&repo.load_blob(BlobKind::Data, &id).unwrap(), b);
            assert!(!repo.save_blob(BlobKind::Data, id, b).unwrap());
        } else {
            assert!(repo.save_blob(BlobKind::Data, id, b).unwrap());
        }
    }
    repo.flush().unwrap();
    assert_eq!(repo.index_entries().len(), 80);
}

#[test]
fn time_based_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    repo.set_checkpoint_policy(Duration::ZERO, u64::MAX);
    for i in 0..15 {
        let b = noise(100_000, 900 + i);
        repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
    }
    // The pipeline's timer call: waits for the uploads in flight, then checkpoints.
    repo.checkpoint_if_due().unwrap();
    assert!(!files_under(dir.path(), "index").is_empty());
}

#[test]
fn unknown_blob_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let id = repo.id_of(b"never saved");
    let err = repo.load_blob(BlobKind::Data, &id).unwrap_err();
    assert!(err.to_string().contains(&id.to_hex()), "{err}");
}
