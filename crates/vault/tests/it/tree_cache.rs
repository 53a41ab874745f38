//! The tree cache: a walk of many trees that sit in one pack costs about one storage read
//! (not one per tree), on the fs backend and on S3; the byte cap bounds memory and the walk
//! still sees every entry beyond it; check and prune walk through it; check's progress.
#![allow(clippy::unwrap_used)]

use crate::fs_common;
use crate::s3_common;

use std::fs;
use std::path::{Path, PathBuf};

use fs_common::*;
use vault::backup::{backup, BackupOptions};
use vault::check::{check, CheckOptions};
use vault::maintenance::prune::referenced_blobs;
use vault::tree::{cache_of, walk, Visit};
use vault::{BlobKind, Repository};

/// Directories in the source: each is one tree blob.
const DIRS: usize = 60;

fn opts() -> BackupOptions {
    BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    }
}

/// `DIRS` directories (some nested) with two small files each.
fn make_many_dirs(root: &Path) {
    for i in 0..DIRS {
        let d = root.join(format!("top{}/sub{i}", i % 6));
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("a.txt"), format!("file a of {i}\n")).unwrap();
        fs::write(d.join("b.bin"), noise(300, i as u64)).unwrap();
    }
}

/// `make_many_dirs` (plus `big`, 3 MB of noise, when asked) backed up into a new fs
/// repository, which is closed again: (source, repository directory).
fn backed_up_many_dirs(with_big_file: bool) -> (tempfile::TempDir, tempfile::TempDir) {
    let (src, repo_dir) = (tmp(), tmp());
    make_many_dirs(src.path());
    if with_big_file {
        fs::write(src.path().join("big"), noise(3_000_000, 7)).unwrap();
    }
    let repo = init_repo(repo_dir.path());
    backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    (src, repo_dir)
}

/// Every stored path of the latest snapshot, in walk order.
fn walk_all(repo: &Repository) -> Vec<PathBuf> {
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    walk_snapshot(repo, &snap)
}

fn walk_snapshot(repo: &Repository, snap: &vault::Snapshot) -> Vec<PathBuf> {
    let mut seen = Vec::new();
    walk(repo, snap, Path::new("/"), &mut |p, _| {
        seen.push(p.to_path_buf());
        Visit::Continue
    })
    .unwrap();
    seen
}

fn tree_count(repo: &Repository) -> usize {
    repo.index_entries()
        .iter()
        .filter(|(_, l)| l.kind == BlobKind::Tree)
        .count()
}

fn tree_packs(repo: &Repository) -> usize {
    let mut packs: Vec<_> = repo
        .index_entries()
        .iter()
        .filter(|(_, l)| l.kind == BlobKind::Tree)
        .map(|(_, l)| l.pack)
        .collect();
    packs.sort();
    packs.dedup();
    packs.len()
}

/// The walk of the latest snapshot: reads (storage requests) and what it saw.
fn counted_walk(repo: &Repository) -> (u64, Vec<PathBuf>) {
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let before = repo.storage().stats().reads;
    let seen = walk_snapshot(repo, &snap);
    (repo.storage().stats().reads - before, seen)
}

/// Walks with the cache and without (cap 0): the same entries; about one read against one
/// per tree.
fn assert_walk_reads_one_pack(repo: &Repository) {
    let trees = tree_count(repo);
    assert!(trees > DIRS, "{trees} trees");
    assert_eq!(tree_packs(repo), 1, "all trees should share one pack");

    let (reads, seen) = counted_walk(repo);
    assert!(seen.len() > 3 * DIRS, "walk saw {} entries", seen.len());
    assert!(
        reads <= 2,
        "a walk of {trees} trees in one pack made {reads} storage reads"
    );
    let stats = cache_of(repo).stats();
    assert_eq!(stats.packs_fetched, 1, "{stats:?}");
    assert_eq!(stats.single_reads, 0, "{stats:?}");
    assert!(stats.hits as usize >= trees - 1, "{stats:?}");

    // the same walk with caching off: one read per tree, the same entries
    cache_of(repo).set_cap(0);
    cache_of(repo).clear();
    let (uncached_reads, uncached_seen) = counted_walk(repo);
    assert_eq!(uncached_seen, seen);
    assert!(
        uncached_reads as usize >= trees,
        "without the cache: {uncached_reads} reads for {trees} trees"
    );
    cache_of(repo).set_cap(vault::tree::DEFAULT_TREE_CACHE_BYTES);
}

#[test]
fn walk_of_many_trees_in_one_pack_reads_it_once_on_fs() {
    let (_src, repo_dir) = backed_up_many_dirs(false);
    let repo = open_repo(repo_dir.path());
    assert_walk_reads_one_pack(&repo);
}

#[test]
fn walk_of_many_trees_in_one_pack_reads_it_once_on_s3() {
    let env = s3_common::s3_env();
    let url = s3_common::unique_url(&env, "treecache");
    let src = tmp();
    make_many_dirs(src.path());
    let repo = s3_common::init_s3(&url);
    backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    drop(repo);
    let repo = s3_common::open_s3(&url);
    assert_walk_reads_one_pack(&repo);

    // prune's reference walk and check's walk go through the same cache: a fresh repository
    // reads the tree pack once for both
    drop(repo);
    let repo = s3_common::open_s3(&url);
    let before = repo.storage().stats().reads;
    let (snaps, refs) = referenced_blobs(&repo).unwrap();
    assert_eq!(snaps, 1);
    assert!(refs.len() > 2 * DIRS, "{}", refs.len());
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert!(r.trees > DIRS, "{r:?}");
    let reads = repo.storage().stats().reads - before;
    // snapshots listed/read, index listing, packs listed, the tree pack once
    assert!(reads <= 8, "prune walk + check made {reads} reads");
    assert_eq!(cache_of(&repo).stats().packs_fetched, 1);
}

#[test]
fn cap_bounds_memory_and_the_walk_still_sees_everything() {
    let (_src, repo_dir) = backed_up_many_dirs(false);

    let repo = open_repo(repo_dir.path());
    let full = walk_all(&repo);
    let whole = cache_of(&repo).stats().bytes_held;
    assert!(whole > 2000, "{whole}");

    let repo = open_repo(repo_dir.path());
    let cap = whole / 4;
    cache_of(&repo).set_cap(cap);
    let (reads, seen) = counted_walk(&repo);
    assert_eq!(seen, full);
    let stats = cache_of(&repo).stats();
    assert!(stats.bytes_held <= cap, "{stats:?} cap {cap}");
    // the pack's trees do not fit: trees are read one by one, never the pack
    assert_eq!(stats.packs_fetched, 0, "{stats:?}");
    assert!(stats.single_reads as usize >= DIRS, "{stats:?}");
    assert!(reads as usize >= DIRS, "{reads}");
}

#[test]
fn check_reads_tree_packs_once_and_reports_progress() {
    let (_src, repo_dir) = backed_up_many_dirs(true);

    let repo = open_repo(repo_dir.path());
    let packs = repo.list_packs().unwrap();
    let pack_bytes: u64 = packs.iter().map(|(_, s)| s).sum();
    let progress = vault::Progress::new();
    let r = check(
        &repo,
        &CheckOptions {
            read_data: Some(100.0),
            threads: 2,
            progress: Some(progress.clone()),
        },
    )
    .unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.packs_read, packs.len());
    let p = progress.now();
    // every pack read by the data check, plus the tree pack read by the structure walk
    assert_eq!(p.files_total, packs.len() as u64 + 1, "{p:?}");
    assert_eq!(p.files_done, p.files_total, "{p:?}");
    assert_eq!(p.bytes_done, p.bytes_total, "{p:?}");
    assert!(p.bytes_total >= pack_bytes, "{p:?} vs {pack_bytes}");
    assert!(p.bytes_total < pack_bytes * 2, "{p:?} vs {pack_bytes}");
    assert_eq!(cache_of(&repo).stats().packs_fetched, 1);
}

#[test]
fn a_damaged_tree_in_a_fetched_pack_is_still_reported() {
    let (src, repo_dir) = (tmp(), tmp());
    make_many_dirs(src.path());
    let repo = init_repo(repo_dir.path());
    backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    // The tree of one named leaf directory: never the root (a damaged root stops the walk at
    // once, whatever the cache does), never chosen by the index's iteration order.
    let leaf = src.path().join("top3/sub9");
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let mut leaf_tree = None;
    walk(&repo, &snap, Path::new("/"), &mut |p, entry| {
        if p == leaf {
            leaf_tree = entry.subtree;
        }
        Visit::Continue
    })
    .unwrap();
    let leaf_tree = leaf_tree.expect("the leaf directory's tree");
    let loc = repo
        .index_entries()
        .into_iter()
        .find_map(|(id, l)| (id == leaf_tree).then_some(l))
        .unwrap();
    drop(repo);
    // flip one byte inside that tree blob
    let hex = loc.pack.to_hex();
    let path = repo_dir.path().join(format!("packs/{}/{hex}", &hex[..2]));
    let mut bytes = fs::read(&path).unwrap();
    bytes[(loc.offset + loc.length / 2) as usize] ^= 0x55;
    fs::write(&path, bytes).unwrap();

    let repo = open_repo(repo_dir.path());
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(
        r.errors.iter().any(|e| e.kind == "tree"),
        "damaged tree not reported: {r:?}"
    );
    // the other trees of that pack were still served from the one pack read
    assert!(r.trees > 0, "{r:?}");
    assert_eq!(cache_of(&repo).stats().packs_fetched, 1);
}

#[test]
fn a_walk_over_several_tree_packs_reads_each_once_and_serves_older_snapshots_from_memory() {
    let (src, repo_dir) = (tmp(), tmp());
    make_many_dirs(src.path());
    let repo = init_repo(repo_dir.path());
    // three backups, each changing a few directories: new trees in a new tree pack each time
    for round in 0..3 {
        for i in (0..DIRS).step_by(7) {
            let d = src.path().join(format!("top{}/sub{i}", i % 6));
            fs::write(d.join("a.txt"), format!("round {round} of {i}\n")).unwrap();
        }
        backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    }
    drop(repo);

    let repo = open_repo(repo_dir.path());
    let packs = tree_packs(&repo);
    assert!(packs >= 3, "{packs} tree packs");
    let (reads, seen) = counted_walk(&repo);
    assert!(seen.len() > 3 * DIRS);
    assert_eq!(reads as usize, packs, "one read per tree pack");
    let stats = cache_of(&repo).stats();
    assert_eq!(stats.packs_fetched as usize, packs, "{stats:?}");
    assert_eq!(stats.single_reads, 0, "{stats:?}");

    // every other snapshot now walks without a read
    let before = repo.storage().stats().reads;
    let snaps = repo.list_snapshots().unwrap();
    assert_eq!(snaps.len(), 3);
    let list_reads = repo.storage().stats().reads - before;
    for (_, snap) in snaps {
        let snap = snap.unwrap();
        walk(&repo, &snap, Path::new("/"), &mut |_, _| Visit::Continue).unwrap();
    }
    assert_eq!(repo.storage().stats().reads - before, list_reads);
}
