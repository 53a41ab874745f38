//! In-place (mirror) restores: only what differs is written, untouched entries keep their
//! inode and ctime (directories included), a single file restored as a path leaves its
//! siblings alone, and the progress counters reach their totals.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use fs_common::{assert_same_tree, init_repo, noise, set_times, tmp};
use vault::backup::{backup_sources, BackupOptions, BackupSource};
use vault::restore::{restore, verify, RestoreOptions};
use vault::{Progress, Repository, Snapshot};

/// A data tree: `big.db` (4 MiB, several chunks), small files in nested directories, an
/// empty file and a sparse one, all with fixed times.
fn data_tree(root: &Path) {
    fs::create_dir_all(root.join("a/b")).unwrap();
    fs::create_dir_all(root.join("c")).unwrap();
    fs::write(root.join("big.db"), noise(4 << 20, 7)).unwrap();
    for i in 0..20u64 {
        fs::write(root.join(format!("a/f{i:02}")), noise(3000 + i as usize, i)).unwrap();
    }
    fs::write(root.join("a/b/deep.txt"), b"deep").unwrap();
    fs::write(root.join("c/empty"), b"").unwrap();
    let sparse = fs::File::create(root.join("c/sparse.img")).unwrap();
    sparse.set_len(2 << 20).unwrap();
    sparse.write_all_at(b"head", 0).unwrap();
    drop(sparse);
    for p in walk_files(root) {
        set_times(&p, 1_500_000_000_000_000_000);
    }
    for d in ["a/b", "a", "c", ""] {
        set_times(&root.join(d), 1_500_000_001_000_000_000);
    }
}

fn walk_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(root).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn setup() -> (tempfile::TempDir, Repository, tempfile::TempDir, Snapshot) {
    let repo_dir = tmp();
    let repo = init_repo(repo_dir.path());
    let root = tmp();
    data_tree(root.path());
    let out = backup_sources(
        &repo,
        vec![BackupSource::path(root.path(), "/data")],
        &BackupOptions::default(),
    )
    .unwrap();
    (repo_dir, repo, root, out.snapshot)
}

fn mirror(path: &str) -> RestoreOptions {
    RestoreOptions {
        mirror: true,
        subtree: Some(PathBuf::from(path)),
        ..RestoreOptions::default()
    }
}

/// (inode, ctime) of a path, not following symlinks.
fn identity(p: &Path) -> (u64, i64, i64) {
    let m = fs::symlink_metadata(p).unwrap();
    (m.ino(), m.ctime(), m.ctime_nsec())
}

#[test]
fn a_changed_big_file_gets_only_its_changed_chunk_written() {
    let (_r, repo, root, snap) = setup();
    let d = root.path();
    let before_big = identity(&d.join("big.db"));
    // 64 bytes changed in the middle of the big file (mtime moves), one small file touched
    let f = fs::OpenOptions::new()
        .write(true)
        .open(d.join("big.db"))
        .unwrap();
    f.write_all_at(&[0xAB; 64], 2 << 20).unwrap();
    drop(f);
    fs::write(d.join("a/f03"), b"changed").unwrap();
    let untouched_dir = identity(&d.join("c"));
    let untouched_file = identity(&d.join("a/f04"));
    let untouched_deep = identity(&d.join("a/b"));

    let out = restore(&repo, &snap, d, &mirror("/data")).unwrap();
    assert_eq!((out.added, out.removed), (0, 0), "{out:?}");
    assert_eq!(out.replaced, 2, "{out:?}");
    assert_eq!(out.files, 2, "two files rewritten");
    // the one chunk of big.db holding the change, plus f03 — not the 4 MiB file
    let big = vault::tree::find_entry(&repo, &snap, Path::new("/data/big.db"))
        .unwrap()
        .unwrap();
    assert!(big.content.len() > 1, "big.db must span several chunks");
    let mut at = 0u64;
    let mut chunk = 0u64;
    for part in &big.content {
        if at <= 2 << 20 && (2 << 20) + 64 <= at + part.len() {
            chunk = part.len();
        }
        at += part.len();
    }
    assert!(chunk > 0, "the change falls inside one chunk");
    let parts: Vec<u64> = big.content.iter().map(|p| p.len()).collect();
    assert_eq!(out.bytes_written, chunk + 3003, "{out:?} {parts:?}");
    // the big file was kept (same inode), its content is the snapshot's again
    assert_eq!(fs::metadata(d.join("big.db")).unwrap().ino(), before_big.0);
    let report = verify(&repo, &snap, Path::new("/data"), d, &[]).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
    // unchanged entries and directories with nothing changed inside: not touched at all
    assert_eq!(identity(&d.join("c")), untouched_dir);
    assert_eq!(identity(&d.join("a/f04")), untouched_file);
    assert_eq!(identity(&d.join("a/b")), untouched_deep);
    // the directory holding f03 has its snapshot mtime back
    let a = fs::metadata(d.join("a")).unwrap();
    assert_eq!(
        a.mtime() * 1_000_000_000 + a.mtime_nsec(),
        1_500_000_001_000_000_000
    );
    // nothing left to do
    let again = restore(&repo, &snap, d, &mirror("/data")).unwrap();
    assert_eq!(
        (
            again.added,
            again.replaced,
            again.removed,
            again.bytes_written
        ),
        (0, 0, 0, 0)
    );
}

#[test]
fn a_file_grown_shrunk_or_with_data_in_a_hole_is_put_back_exactly() {
    let (_r, repo, root, snap) = setup();
    let d = root.path();
    // grown
    let mut grown = fs::read(d.join("a/f01")).unwrap();
    grown.extend_from_slice(b"appended by the update");
    fs::write(d.join("a/f01"), grown).unwrap();
    // shrunk
    let f = fs::OpenOptions::new()
        .write(true)
        .open(d.join("big.db"))
        .unwrap();
    f.set_len(1 << 20).unwrap();
    drop(f);
    // data written into the sparse file's hole
    let f = fs::OpenOptions::new()
        .write(true)
        .open(d.join("c/sparse.img"))
        .unwrap();
    f.write_all_at(b"not a hole any more", 1 << 20).unwrap();
    drop(f);
    let pristine = tmp();
    restore(
        &repo,
        &snap,
        pristine.path(),
        &RestoreOptions {
            subtree: Some(PathBuf::from("/data")),
            ..RestoreOptions::default()
        },
    )
    .unwrap();
    let out = restore(&repo, &snap, d, &mirror("/data")).unwrap();
    assert_eq!(out.replaced, 3, "{out:?}");
    assert!(out.damaged.is_empty(), "{:?}", out.damaged);
    assert_same_tree(pristine.path(), d);
    let report = verify(&repo, &snap, Path::new("/data"), d, &[]).unwrap();
    assert!(report.is_ok(), "{:?}", report.problems);
}

#[test]
fn a_single_file_mirror_leaves_its_siblings_alone() {
    let (_r, repo, root, snap) = setup();
    let d = root.path();
    fs::write(d.join("a/f05"), b"changed by the update").unwrap();
    fs::write(
        d.join("a/sibling-added-later"),
        b"not the restore's business",
    )
    .unwrap();
    let out = restore(&repo, &snap, &d.join("a/f05"), &mirror("/data/a/f05")).unwrap();
    assert_eq!((out.replaced, out.removed), (1, 0), "{out:?}");
    assert_eq!(fs::read(d.join("a/f05")).unwrap(), noise(3005, 5));
    assert!(d.join("a/sibling-added-later").exists());
    assert!(d.join("a/f06").exists());
    // unchanged now: nothing written, nothing removed
    let again = restore(&repo, &snap, &d.join("a/f05"), &mirror("/data/a/f05")).unwrap();
    assert_eq!(
        (
            again.unchanged,
            again.replaced,
            again.removed,
            again.bytes_written
        ),
        (1, 0, 0, 0)
    );
    // missing: added, still without touching the siblings
    fs::remove_file(d.join("a/f05")).unwrap();
    let added = restore(&repo, &snap, &d.join("a/f05"), &mirror("/data/a/f05")).unwrap();
    assert_eq!((added.added, added.removed), (1, 0));
    assert!(d.join("a/sibling-added-later").exists());
    // a dry run lists only the file itself
    fs::write(d.join("a/f05"), b"again").unwrap();
    let dry = RestoreOptions {
        dry_run: true,
        ..mirror("/data/a/f05")
    };
    let listed = restore(&repo, &snap, &d.join("a/f05"), &dry).unwrap();
    assert_eq!(listed.changes.len(), 1, "{:?}", listed.changes);
    assert_eq!(listed.changes[0].path, "/data/a/f05");
}

#[test]
fn progress_reaches_its_totals_in_full_and_in_place_restores() {
    let (_r, repo, root, snap) = setup();
    let total_bytes: u64 = walk_files(root.path())
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    let files = walk_files(root.path()).len() as u64;
    // full restore into an empty directory
    let p = Progress::new();
    let dst = tmp();
    let opts = RestoreOptions {
        subtree: Some(PathBuf::from("/data")),
        progress: Some(p.clone()),
        ..RestoreOptions::default()
    };
    restore(&repo, &snap, dst.path(), &opts).unwrap();
    let r = p.now();
    assert_eq!((r.files_total, r.bytes_total), (files, total_bytes));
    assert_eq!((r.files_done, r.bytes_done), (files, total_bytes));
    // in place, one file changed: the unchanged ones count as done with their bytes
    fs::write(root.path().join("a/f07"), b"x").unwrap();
    let p = Progress::new();
    let opts = RestoreOptions {
        progress: Some(p.clone()),
        ..mirror("/data")
    };
    let out = restore(&repo, &snap, root.path(), &opts).unwrap();
    assert_eq!(out.replaced, 1);
    let r = p.now();
    assert_eq!((r.files_total, r.bytes_total), (files, total_bytes));
    assert_eq!((r.files_done, r.bytes_done), (files, total_bytes));
}
