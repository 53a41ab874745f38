//! Crafted snapshots and hostile targets never make a restore write outside its target:
//! `..`, `.`, names with '/', a symlink entry followed by a directory of the same name, a
//! symlinked parent directory at the target (plain, mirror and confined restores) and a
//! symlink where a missing directory of the target path goes.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::fs;
use std::path::{Path, PathBuf};

use fs_common::{init_repo, tmp};
use vault::backup::{backup_sources, BackupOptions, BackupSource};
use vault::restore::{restore, RestoreOptions};
use vault::tree::{encode_tree, ContentPart, Entry, EntryKind, Tree};
use vault::{BlobId, BlobKind, Repository, Snapshot};

fn file_entry(repo: &Repository, name: &[u8], data: &[u8]) -> Entry {
    let id = repo.id_of(data);
    repo.save_blob(BlobKind::Data, id, data).unwrap();
    let mut e = Entry::new(name.to_vec(), EntryKind::File);
    e.mode = 0o644;
    e.size = data.len() as u64;
    e.nlink = 1;
    e.content = vec![ContentPart::Data {
        id,
        len: data.len() as u64,
    }];
    e
}

fn dir_entry(name: &[u8], tree: BlobId) -> Entry {
    let mut e = Entry::new(name.to_vec(), EntryKind::Dir);
    e.mode = 0o755;
    e.subtree = Some(tree);
    e
}

/// Stores a tree as given (entries not re-sorted, so duplicates can be crafted).
fn save_tree(repo: &Repository, entries: Vec<Entry>) -> BlobId {
    let bytes = encode_tree(&Tree { entries });
    let id = repo.id_of(&bytes);
    repo.save_blob(BlobKind::Tree, id, &bytes).unwrap();
    id
}

/// A repository with one ordinary snapshot (whose fields the crafted ones borrow).
fn repo_and_snapshot() -> (tempfile::TempDir, Repository, Snapshot) {
    let repo_dir = tmp();
    let repo = init_repo(repo_dir.path());
    let src = tmp();
    fs::create_dir_all(src.path().join("d")).unwrap();
    fs::write(src.path().join("d/f"), b"payload").unwrap();
    let out = backup_sources(
        &repo,
        vec![BackupSource::path(src.path(), "/app")],
        &BackupOptions::default(),
    )
    .unwrap();
    (repo_dir, repo, out.snapshot)
}

fn crafted(repo: &Repository, base: &Snapshot, root: BlobId) -> Snapshot {
    repo.flush().unwrap();
    let mut s = base.clone();
    s.tree = root;
    s
}

/// Every file below `dir`, recursively (symlinks not followed).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return out;
    };
    for e in rd {
        let e = e.unwrap();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            out.extend(files_below(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

#[test]
fn names_that_would_climb_out_are_refused_before_anything_is_written() {
    let (_r, repo, base) = repo_and_snapshot();
    let bad_names: [&[u8]; 5] = [b"..", b".", b"../escaped", b"a/../../x", b""];
    for bad in bad_names {
        // /app/ok (a file), /app/sub/<bad> (a directory holding "escaped")
        let inner = save_tree(&repo, vec![file_entry(&repo, b"escaped", b"pwned")]);
        let mut evil = if bad.contains(&b'/') || bad.is_empty() {
            file_entry(&repo, bad, b"pwned")
        } else {
            dir_entry(bad, inner)
        };
        evil.name = bad.to_vec();
        let sub = save_tree(&repo, vec![evil]);
        let app = save_tree(
            &repo,
            vec![file_entry(&repo, b"ok", b"fine"), dir_entry(b"sub", sub)],
        );
        let root = save_tree(&repo, vec![dir_entry(b"app", app)]);
        let snap = crafted(&repo, &base, root);

        let area = tmp();
        let target = area.path().join("t/inner");
        fs::create_dir_all(&target).unwrap();
        for opts in [
            RestoreOptions::default(),
            RestoreOptions {
                subtree: Some(PathBuf::from("/app")),
                mirror: true,
                ..RestoreOptions::default()
            },
        ] {
            let err = restore(&repo, &snap, &target, &opts).unwrap_err();
            assert!(err.is_refusal(), "{bad:?}: {err}");
            assert!(err.to_string().contains("/sub"), "{bad:?}: {err}");
            assert_eq!(
                files_below(area.path()),
                Vec::<PathBuf>::new(),
                "{bad:?}: nothing may be written"
            );
        }
    }
}

#[test]
fn a_symlink_entry_then_a_directory_of_the_same_name_never_leads_outside() {
    let (_r, repo, base) = repo_and_snapshot();
    let outside = tmp();
    let mut link = Entry::new(b"x".to_vec(), EntryKind::Symlink);
    link.symlink_target = Some(outside.path().as_os_str().as_encoded_bytes().to_vec());
    link.size = link.symlink_target.as_ref().unwrap().len() as u64;
    let inner = save_tree(&repo, vec![file_entry(&repo, b"planted", b"pwned")]);
    // duplicate names: a well-formed tree never has them; the decoder must reject the tree
    let root = save_tree(&repo, vec![link, dir_entry(b"x", inner)]);
    let snap = crafted(&repo, &base, root);
    let target = tmp();
    match restore(&repo, &snap, target.path(), &RestoreOptions::default()) {
        Ok(out) => assert!(!out.damaged.is_empty(), "{out:?}"),
        Err(e) => assert!(e.is_refusal(), "{e}"),
    }
    assert_eq!(files_below(outside.path()), Vec::<PathBuf>::new());
}

#[test]
fn a_symlinked_parent_at_the_target_is_never_written_through() {
    let (_r, repo, snap) = repo_and_snapshot();
    let outside = tmp();
    // plain restore: /app/d at TARGET/app/d, where app is a link to outside
    let target = tmp();
    std::os::unix::fs::symlink(outside.path(), target.path().join("app")).unwrap();
    let err = restore(&repo, &snap, target.path(), &RestoreOptions::default()).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    // mirror of /app into a directory whose "d" is a link to outside: the link is replaced
    let comp = tmp();
    std::os::unix::fs::symlink(outside.path(), comp.path().join("d")).unwrap();
    let opts = RestoreOptions {
        subtree: Some(PathBuf::from("/app")),
        mirror: true,
        ..RestoreOptions::default()
    };
    let out = restore(&repo, &snap, comp.path(), &opts).unwrap();
    assert_eq!(out.replaced, 1, "{out:?}");
    assert!(fs::symlink_metadata(comp.path().join("d"))
        .unwrap()
        .is_dir());
    assert_eq!(fs::read(comp.path().join("d/f")).unwrap(), b"payload");
    // confined to a root: a link between the root and the target is refused
    let root = tmp();
    std::os::unix::fs::symlink(outside.path(), root.path().join("opt")).unwrap();
    let confined = RestoreOptions {
        confine_to: Some(root.path().to_path_buf()),
        ..opts.clone()
    };
    let err = restore(&repo, &snap, &root.path().join("opt/app"), &confined).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    // a dangling link where a missing directory of the target path goes: refused
    let area = tmp();
    std::os::unix::fs::symlink(outside.path().join("made"), area.path().join("new")).unwrap();
    let err = restore(&repo, &snap, &area.path().join("new/app"), &opts).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert!(!outside.path().join("made").exists());
    assert_eq!(files_below(outside.path()), Vec::<PathBuf>::new());
}

/// A snapshot whose directories share one subtree at every level (forged with the key: a
/// hostile host sharing the repository): `levels` trees name 2^levels files.
fn dag_snapshot(repo: &vault::Repository, levels: u32) -> vault::Snapshot {
    use vault::tree::{encode_tree, Entry, EntryKind, Tree};
    let mut file = Entry::new(b"f".to_vec(), EntryKind::File);
    file.mode = 0o644;
    let mut tree = Tree::from_unsorted(vec![file]);
    for _ in 0..levels {
        let bytes = encode_tree(&tree);
        let id = repo.id_of(&bytes);
        repo.save_blob(vault::BlobKind::Tree, id, &bytes).unwrap();
        let dir = |name: &[u8]| {
            let mut e = Entry::new(name.to_vec(), EntryKind::Dir);
            e.mode = 0o755;
            e.subtree = Some(id);
            e
        };
        tree = Tree::from_unsorted(vec![dir(b"a"), dir(b"b")]);
    }
    let bytes = encode_tree(&tree);
    let root = repo.id_of(&bytes);
    repo.save_blob(vault::BlobKind::Tree, root, &bytes).unwrap();
    repo.flush().unwrap();
    vault::Snapshot {
        time: 1,
        host: "hostile".into(),
        paths: vec!["/".into()],
        tags: vec![],
        tree: root,
        parent: None,
        summary: vault::SnapshotSummary::default(),
        application: None,
        username: "x".into(),
        program_version: "forged".into(),
    }
}

/// Issue 21 case 8: a DAG-shaped tree (shared subtrees) made restore run out of memory
/// (6.9 GiB in 15 s). It is refused once it names more than `MAX_ENTRIES`, with the reason.
#[test]
fn a_tree_sharing_subtrees_exponentially_is_refused_not_exhausting_memory() {
    let (repo_dir, dst) = (tmp(), tmp());
    let repo = init_repo(repo_dir.path());
    // 2^26 = 67 million files from 27 tree blobs
    let snap = dag_snapshot(&repo, 26);
    let err = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, vault::restore::RestoreError::TooManyEntries { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("share subtrees"), "{err}");
    // a small DAG is a legitimate tree (identical directories share their tree): restored
    let small = dag_snapshot(&repo, 3);
    let out = restore(&repo, &small, dst.path(), &RestoreOptions::default()).unwrap();
    assert_eq!(out.files, 8);
    assert!(dst.path().join("a/b/a/f").is_file());
}

/// The entry count that guards restore and ls walks a hostile nesting of 20,000 trees (a
/// chain a recursive count would overflow the thread's stack on) and counts every level.
#[test]
fn the_entry_count_takes_trees_nested_deeper_than_a_stack() {
    let repo_dir = tmp();
    let repo = init_repo(repo_dir.path());
    let mut tree = Tree::from_unsorted(vec![Entry::new(b"f".to_vec(), EntryKind::File)]);
    let levels = 20_000u64;
    for _ in 0..levels {
        let bytes = encode_tree(&tree);
        let id = repo.id_of(&bytes);
        repo.save_blob(BlobKind::Tree, id, &bytes).unwrap();
        let mut dir = Entry::new(b"d".to_vec(), EntryKind::Dir);
        dir.subtree = Some(id);
        tree = Tree::from_unsorted(vec![dir]);
    }
    let bytes = encode_tree(&tree);
    let root = repo.id_of(&bytes);
    repo.save_blob(BlobKind::Tree, root, &bytes).unwrap();
    repo.flush().unwrap();
    // one directory per level, the file at the bottom
    assert_eq!(vault::tree::expanded_entries(&repo, &root), levels + 1);
}
