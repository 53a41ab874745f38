//! check: structure and data, with a flipped byte and a deleted pack; restore around damage.
//! The storage faults of issue 21 (a pack cut short by a lying store, packs and index segments
//! that vanished) run on the fault-injecting store over memory: no file system, no root, the
//! same fault every run.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::fs;

use fs_common::*;
use vault::backup::{backup, BackupOptions};
use vault::check::{check, check_packs, CheckOptions};
use vault::restore::{restore, RestoreOptions};
use vault::storage::{FaultStore, MemStore, Store, WriteFault};

fn pack_files(repo_dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in fs::read_dir(repo_dir.join("packs")).unwrap() {
        for f in fs::read_dir(sub.unwrap().path()).unwrap() {
            out.push(f.unwrap().path());
        }
    }
    out.sort();
    out
}

fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let (src, repo_dir) = (tmp(), tmp());
    fs::create_dir_all(src.path().join("d")).unwrap();
    // each file is larger than a pack (1 MiB in tests), so files land in different packs
    for i in 0..4u64 {
        fs::write(src.path().join(format!("d/f{i}")), noise(1_500_000, i + 1)).unwrap();
    }
    let repo = init_repo(repo_dir.path());
    let o = BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    };
    backup(&repo, &[src.path().to_path_buf()], &o).unwrap();
    (src, repo_dir)
}

#[test]
fn healthy_repository_passes_structure_and_data_checks() {
    let (_src, repo_dir) = setup();
    let repo = open_repo(repo_dir.path());
    let r = read_data_clean(&repo);
    assert_eq!(r.snapshots, 1);
    assert!(r.packs_read >= 4);
    assert!(r.blobs_verified > 4);
    assert!(r.unreferenced_packs.is_empty());
}

#[test]
fn flipped_byte_is_named_with_pack_snapshot_and_path_and_restore_goes_on() {
    let (src, repo_dir) = setup();
    // flip a byte in the middle of the largest pack (a data pack)
    let mut packs = pack_files(repo_dir.path());
    packs.sort_by_key(|p| fs::metadata(p).unwrap().len());
    let victim = packs.last().unwrap().clone();
    let mut bytes = fs::read(&victim).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid] ^= 0x40;
    fs::write(&victim, bytes).unwrap();
    let pack_name = victim.file_name().unwrap().to_string_lossy().into_owned();

    let repo = open_repo(repo_dir.path());
    let structure = check(&repo, &CheckOptions::default()).unwrap();
    assert!(
        structure.is_ok(),
        "structure alone cannot see a flipped byte: {structure:?}"
    );
    let r = check(
        &repo,
        &CheckOptions {
            read_data: Some(100.0),
            threads: 2,
            progress: None,
        },
    )
    .unwrap();
    assert!(!r.is_ok());
    assert_eq!(r.damaged.len(), 1, "{:?}", r.damaged);
    let d = &r.damaged[0];
    assert_eq!(d.pack, pack_name);
    assert_eq!(d.snapshots.len(), 1);
    assert!(d.paths[0].contains("/d/f"), "{:?}", d.paths);

    // restore: every other file intact, the damaged one listed
    let dst = tmp();
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let out = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
    assert_eq!(out.damaged.len(), 1, "{:?}", out.damaged);
    let damaged_name = d.paths[0].rsplit('/').next().unwrap().to_string();
    assert!(out.damaged[0].path.ends_with(&damaged_name));
    let restored = dst.path().join(src.path().strip_prefix("/").unwrap());
    for i in 0..4 {
        let name = format!("f{i}");
        if name != damaged_name {
            assert_eq!(
                fs::read(restored.join("d").join(&name)).unwrap(),
                fs::read(src.path().join("d").join(&name)).unwrap()
            );
        }
    }
}

#[test]
fn deleted_pack_is_a_structure_error() {
    let (_src, repo_dir) = setup();
    let packs = pack_files(repo_dir.path());
    let mut sizes: Vec<_> = packs
        .iter()
        .map(|p| (fs::metadata(p).unwrap().len(), p.clone()))
        .collect();
    sizes.sort();
    fs::remove_file(&sizes.last().unwrap().1).unwrap();
    let repo = open_repo(repo_dir.path());
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(!r.is_ok());
    assert!(
        r.errors
            .iter()
            .any(|e| e.kind == "pack" && e.message.contains("missing")),
        "{:?}",
        r.errors
    );
}

/// Four files larger than a pack (1 MiB in tests): they land in several packs.
fn four_large_files() -> tempfile::TempDir {
    let src = tmp();
    fs::create_dir_all(src.path().join("d")).unwrap();
    for i in 0..4u64 {
        fs::write(src.path().join(format!("d/f{i}")), noise(1_500_000, i + 1)).unwrap();
    }
    src
}

/// Backs `src` up into a repository on `store`.
fn backed_up_on(store: &FaultStore, src: &std::path::Path) -> vault::Repository {
    let repo = init_repo_on(store.clone());
    let o = BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    };
    backup(&repo, &[src.to_path_buf()], &o).unwrap();
    repo
}

/// The last path component of an object (a pack's hex id).
fn object_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap()
}

/// A first write killed before its first index checkpoint (a copy into a new destination,
/// a first backup): packs, no index, no snapshot. Nothing can need those packs, so check
/// passes and lists them as unreferenced, rather than calling the index lost.
#[test]
fn packs_without_index_or_snapshots_are_leftovers_not_a_lost_index() {
    let src = four_large_files();
    let mem = MemStore::new();
    drop(backed_up_on(&FaultStore::new(mem.clone()), src.path()));
    for prefix in ["index/", "snapshots/"] {
        for object in mem.list(prefix).unwrap() {
            mem.delete(&object.path).unwrap();
        }
    }
    let repo = open_repo_on(mem.clone());
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert!(!r.index_incomplete, "{r:?}");
    assert_eq!(r.snapshots, 0);
    assert_eq!(
        r.unreferenced_packs.len(),
        mem.list("packs/").unwrap().len()
    );
}

/// Issue 21 case 10: with the index gone, every pack is "unreferenced"; check must say the
/// index is missing and to run `repair index`, never that prune may remove those packs.
#[test]
fn a_missing_index_is_named_and_repair_is_suggested() {
    let src = four_large_files();
    let mem = MemStore::new();
    drop(backed_up_on(&FaultStore::new(mem.clone()), src.path()));
    // every index segment vanishes
    for segment in mem.list("index/").unwrap() {
        mem.delete(&segment.path).unwrap();
    }
    let repo = open_repo_on(mem.clone());
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(!r.is_ok());
    assert!(r.index_incomplete, "{r:?}");
    assert_eq!(
        r.unreferenced_packs.len(),
        mem.list("packs/").unwrap().len()
    );
    let index_errors: Vec<&str> = r
        .errors
        .iter()
        .filter(|e| e.kind == "index")
        .map(|e| e.message.as_str())
        .collect();
    assert_eq!(index_errors.len(), 1, "{r:?}");
    assert!(
        index_errors[0].contains("index is missing"),
        "{index_errors:?}"
    );
    assert!(index_errors[0].contains("repair index"), "{index_errors:?}");
    // and after the repair everything is found again
    vault::repair::rebuild_index(&repo).unwrap();
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(r.is_ok() && !r.index_incomplete, "{r:?}");
}

/// Issue 21 case 6: a truncated pack. The structure check sees it (pack size against the
/// index), and restore loses only the files whose blobs lie past the cut — before, one
/// short read marked every blob of the merged range damaged, so no file of the pack came
/// back. The pack is cut by a lying store (a short write reported as complete).
#[test]
fn truncated_pack_is_a_structure_error_and_restore_keeps_the_intact_files() {
    let src = tmp();
    // 40 small files share one data pack (1 MiB in tests, ~800 kB of data)
    for i in 0..40u64 {
        fs::write(src.path().join(format!("f{i:02}")), noise(20_000, 500 + i)).unwrap();
    }
    let store = FaultStore::new(MemStore::new());
    // the store keeps only the first 300 kB of the first two packs and claims success: the
    // tree pack is smaller and stays whole, the data pack is cut
    let cut = WriteFault::Truncate {
        keep: 300_000,
        report: false,
    };
    store.on_write("packs/", 1, cut);
    store.on_write("packs/", 2, cut);
    let repo = backed_up_on(&store, src.path());
    store.clear();

    let structure = check(&repo, &CheckOptions::default()).unwrap();
    let pack_errors: Vec<_> = structure
        .errors
        .iter()
        .filter(|e| e.kind == "pack")
        .collect();
    assert_eq!(pack_errors.len(), 1, "{structure:?}");
    assert!(
        pack_errors[0].message.contains("truncated"),
        "{pack_errors:?}"
    );

    let dst = tmp();
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let out = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
    let damaged = out.damaged.len();
    let restored = dst.path().join(src.path().strip_prefix("/").unwrap());
    let mut intact = 0;
    for i in 0..40u64 {
        let name = format!("f{i:02}");
        if !out.damaged.iter().any(|d| d.path.ends_with(&name)) {
            assert_eq!(
                fs::read(restored.join(&name)).unwrap(),
                fs::read(src.path().join(&name)).unwrap(),
                "{name}"
            );
            intact += 1;
        }
    }
    assert_eq!(intact + damaged, 40);
    // 300 kB hold 14 of the 20 kB files whole
    assert!(
        (12..=15).contains(&intact),
        "{intact} intact, {damaged} damaged: {:?}",
        out.damaged
    );
}

/// The pack part alone (what a backup checks once its uploads are done): a pack that
/// vanished and one a lying store cut short are named, each once, the same way the whole
/// check names them.
#[test]
fn check_packs_names_a_missing_and_a_truncated_pack() {
    let src = four_large_files();
    let mem = MemStore::new();
    let store = FaultStore::new(mem.clone());
    // the second pack written (a data pack: the trees come last) is cut to 100 kB
    store.on_write(
        "packs/",
        2,
        WriteFault::Truncate {
            keep: 100_000,
            report: false,
        },
    );
    let repo = backed_up_on(&store, src.path());
    store.clear();
    let packs = mem.list("packs/").unwrap();
    let short = packs
        .iter()
        .find(|o| o.size == 100_000)
        .unwrap()
        .path
        .clone();
    let gone = packs.iter().find(|o| o.path != short).unwrap().path.clone();
    mem.delete(&gone).unwrap();

    let problems = check_packs(&repo).unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    let missing = problems
        .iter()
        .find(|p| p.message.contains(object_name(&gone)))
        .unwrap();
    assert!(
        missing.message.contains("missing from the repository"),
        "{missing:?}"
    );
    let truncated = problems
        .iter()
        .find(|p| p.message.contains(object_name(&short)))
        .unwrap();
    assert!(truncated.message.contains("truncated"), "{truncated:?}");
    // the whole check says the same of them
    let whole = check(&repo, &CheckOptions::default()).unwrap();
    for p in &problems {
        assert!(whole.errors.contains(p), "{p:?} not in {:?}", whole.errors);
    }
}
