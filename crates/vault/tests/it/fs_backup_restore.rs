//! Backup and restore through the library API: every entry kind round-trips, incremental
//! runs read nothing unchanged, excludes and includes work, unsafe trees are refused.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use fs_common::*;
use vault::backup::{backup, BackupOptions, ParentChoice, WarningKind};
use vault::restore::{restore, RestoreOptions};

/// The working directory is process-wide: tests that change it take turns.
static CWD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn opts() -> BackupOptions {
    BackupOptions {
        host: "testhost".into(),
        ..BackupOptions::default()
    }
}

#[test]
fn every_entry_kind_round_trips() {
    let (src, repo_dir, dst) = (tmp(), tmp(), tmp());
    make_everything_tree(src.path());
    let repo = init_repo(repo_dir.path());
    let out = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    assert!(out.summary.files_new >= 10, "{:?}", out.summary);
    assert_eq!(out.summary.files_unchanged, 0);

    let repo = open_repo(repo_dir.path());
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let r = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    assert_eq!(r.hardlinks, 1);
    // absolute source paths are restored under their full path
    let restored = dst.path().join(src.path().strip_prefix("/").unwrap());
    assert_same_tree(src.path(), &restored);
    // holes stay holes
    let sparse = restored.join("sparse.img");
    assert_eq!(fs::metadata(&sparse).unwrap().len(), 16 << 20);
    assert!(
        allocated(&sparse) < 4 << 20,
        "sparse file allocated {}",
        allocated(&sparse)
    );
    // hard links are links again
    let a = fs::metadata(restored.join("dir/hard-a")).unwrap();
    let b = fs::metadata(restored.join("dir/sub/hard-b")).unwrap();
    assert_eq!(a.ino(), b.ino());
}

#[test]
fn unchanged_files_are_not_read_again() {
    let (src, repo_dir) = (tmp(), tmp());
    fs::create_dir_all(src.path().join("a/b")).unwrap();
    for i in 0..20 {
        fs::write(
            src.path().join(format!("a/f{i}")),
            noise(10_000 + i, i as u64),
        )
        .unwrap();
    }
    fs::write(src.path().join("a/b/big"), noise(2 << 20, 9)).unwrap();
    let repo = init_repo(repo_dir.path());
    let first = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    assert_eq!(first.summary.files_new, 21);
    assert!(first.summary.bytes_read > 2 << 20);

    let second = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    assert_eq!(second.parent, Some(first.snapshot_id));
    assert_eq!(second.summary.files_unchanged, 21);
    assert_eq!(second.summary.files_new + second.summary.files_changed, 0);
    assert_eq!(second.summary.bytes_read, 0);
    assert_eq!(second.summary.data_blobs_new, 0);
    // the source dir, a and a/b are reused as they were (the trees above them hold /tmp's
    // metadata, which other tests change meanwhile)
    assert!(second.summary.dirs_unchanged >= 3, "{:?}", second.summary);

    // one changed file, one new file
    fs::write(src.path().join("a/f3"), b"changed").unwrap();
    fs::write(src.path().join("a/b/new"), b"new").unwrap();
    let third = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    assert_eq!(third.summary.files_changed, 1);
    assert_eq!(third.summary.files_new, 1);
    assert_eq!(third.summary.files_unchanged, 20);
    assert_eq!(third.summary.bytes_read, 10);

    // no parent: everything read again, nothing new stored
    let o = BackupOptions {
        parent: ParentChoice::None,
        ..opts()
    };
    let fourth = backup(&repo, &[src.path().to_path_buf()], &o).unwrap();
    assert_eq!(fourth.summary.files_new, 22);
    assert_eq!(fourth.summary.data_blobs_new, 0);
    assert!(fourth.summary.tree_blobs_new <= 2, "{:?}", fourth.summary);
}

#[test]
fn relative_dot_restores_into_the_target_and_excludes_apply() {
    let (src, repo_dir, dst) = (tmp(), tmp(), tmp());
    fs::create_dir_all(src.path().join("keep")).unwrap();
    fs::write(src.path().join("keep/a.txt"), b"a").unwrap();
    fs::write(src.path().join("keep/b.tmp"), b"b").unwrap();
    fs::create_dir_all(src.path().join("cache")).unwrap();
    fs::write(src.path().join("cache/c"), b"c").unwrap();
    let repo = init_repo(repo_dir.path());
    let o = BackupOptions {
        excludes: vec!["*.tmp".into(), format!("{}/cache", src.path().display())],
        ..opts()
    };
    // relative "." from inside the source: contents at the snapshot root
    let _cwd = CWD.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_current_dir(src.path()).unwrap();
    let out = backup(&repo, &[PathBuf::from(".")], &o).unwrap();
    assert_eq!(out.summary.files_new, 1);
    restore(&repo, &out.snapshot, dst.path(), &RestoreOptions::default()).unwrap();
    assert_eq!(fs::read(dst.path().join("keep/a.txt")).unwrap(), b"a");
    assert!(!dst.path().join("keep/b.tmp").exists());
    assert!(!dst.path().join("cache").exists());

    // include patterns
    let dst2 = tmp();
    let ro = RestoreOptions {
        includes: vec!["a.txt".into()],
        ..RestoreOptions::default()
    };
    let r = restore(&repo, &out.snapshot, dst2.path(), &ro).unwrap();
    assert_eq!(r.files, 1);
    assert!(dst2.path().join("keep/a.txt").exists());
}

#[test]
fn vanished_and_unreadable_files_are_warnings() {
    let (src, repo_dir) = (tmp(), tmp());
    fs::write(src.path().join("ok"), b"ok").unwrap();
    let locked = src.path().join("locked");
    fs::write(&locked, b"secret").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let repo = init_repo(repo_dir.path());
    let out = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    if rustix::process::geteuid().is_root() {
        // root reads anything: no warning expected here
        assert!(out.warnings.is_empty());
    } else {
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(out.warnings[0].kind, WarningKind::Unreadable);
        assert!(out.warnings[0].path.ends_with("locked"));
    }
}

#[test]
fn symlinked_parent_at_the_target_is_refused() {
    let (src, repo_dir, dst, outside) = (tmp(), tmp(), tmp(), tmp());
    fs::create_dir_all(src.path().join("d")).unwrap();
    fs::write(src.path().join("d/f"), b"payload").unwrap();
    let repo = init_repo(repo_dir.path());
    let _cwd = CWD.lock().unwrap_or_else(|e| e.into_inner());
    std::env::set_current_dir(src.path()).unwrap();
    let out = backup(&repo, &[PathBuf::from(".")], &opts()).unwrap();
    std::os::unix::fs::symlink(outside.path(), dst.path().join("d")).unwrap();
    let err = restore(&repo, &out.snapshot, dst.path(), &RestoreOptions::default()).unwrap_err();
    assert!(err.is_refusal(), "{err}");
    assert!(err.to_string().contains("/d"), "{err}");
    assert!(
        !outside.path().join("f").exists(),
        "wrote through the symlink"
    );
}

#[test]
fn progress_counts_found_and_done_files_and_bytes() {
    let (src, repo_dir) = (tmp(), tmp());
    fs::create_dir_all(src.path().join("a/b")).unwrap();
    let mut expected_bytes = 0u64;
    for (i, len) in [0usize, 10, 5000, 3 << 20].into_iter().enumerate() {
        fs::write(src.path().join(format!("a/f{i}")), noise(len, i as u64)).unwrap();
        fs::write(
            src.path().join(format!("a/b/g{i}")),
            noise(len, 100 + i as u64),
        )
        .unwrap();
        expected_bytes += 2 * len as u64;
    }
    let repo = init_repo(repo_dir.path());
    let run = || {
        let progress = vault::Progress::new();
        let o = BackupOptions {
            progress: Some(progress.clone()),
            ..opts()
        };
        let out = backup(&repo, &[src.path().to_path_buf()], &o).unwrap();
        (out, progress.now())
    };
    let (first, p) = run();
    assert_eq!(first.summary.files_new, 8);
    assert_eq!((p.files_total, p.bytes_total), (8, expected_bytes));
    assert_eq!((p.files_done, p.bytes_done), (8, expected_bytes));
    // unchanged files are skipped through the parent and count as done at once
    let (second, p) = run();
    assert_eq!(second.summary.files_unchanged, 8);
    assert_eq!((p.files_total, p.bytes_total), (8, expected_bytes));
    assert_eq!((p.files_done, p.bytes_done), (8, expected_bytes));
    // one changed file: read again, still every file done
    fs::write(src.path().join("a/f1"), noise(20, 77)).unwrap();
    let (third, p) = run();
    assert_eq!(third.summary.files_changed, 1);
    assert_eq!(p.files_done, 8);
    assert_eq!(p.bytes_total, expected_bytes + 10);
    assert_eq!(p.bytes_done, p.bytes_total);
}

/// A small tmpfs, unmounted on drop (the tests run as root; without the right to mount,
/// the test fails rather than pass unseen).
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> SmallFs {
        let dir = tmp();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "mount tmpfs (this test needs root)");
        SmallFs { dir }
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

/// Issue 21 case 9: a full target looked like repository damage (thousands of "DAMAGED:
/// No space left on device"). The restore now stops at the first such write with one error
/// naming the target and the space needed.
#[test]
fn a_full_target_stops_the_restore_with_one_clear_error() {
    let (src, repo_dir) = (tmp(), tmp());
    for i in 0..12u64 {
        fs::write(src.path().join(format!("f{i:02}")), noise(400_000, 900 + i)).unwrap();
    }
    let repo = init_repo(repo_dir.path());
    let out = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    let small = SmallFs::mount("2m");
    let target = small.dir.path().join("t");
    let err = restore(&repo, &out.snapshot, &target, &RestoreOptions::default()).unwrap_err();
    assert!(
        matches!(err, vault::restore::RestoreError::TargetFull { .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&target.display().to_string()), "{msg}");
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(msg.contains("need 4.6 MiB in all"), "{msg}");
}

/// Issue 21 case 4: paths longer than 4,096 bytes were left out (with a warning) and the
/// backup exited 0. 25 levels of 200-byte names: everything is backed up and restored.
#[test]
fn paths_longer_than_path_max_are_backed_up_and_restored() {
    use vault::fs_meta::long_path::reachable;
    let (src, repo_dir, dst) = (tmp(), tmp(), tmp());
    let name = "n".repeat(200);
    let mut dir = src.path().to_path_buf();
    for level in 0..25 {
        dir.push(format!("{level:02}{}", &name[2..]));
        fs::create_dir(reachable(&dir).unwrap().path()).unwrap();
    }
    assert!(dir.as_os_str().len() > 5_000);
    let deep = dir.join("deep.txt");
    fs::write(reachable(&deep).unwrap().path(), b"at the bottom").unwrap();
    let repo = init_repo(repo_dir.path());
    let out = backup(&repo, &[src.path().to_path_buf()], &opts()).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let restored = restore(&repo, &out.snapshot, dst.path(), &RestoreOptions::default()).unwrap();
    assert!(restored.damaged.is_empty(), "{:?}", restored.damaged);
    let back = dst
        .path()
        .join(src.path().strip_prefix("/").unwrap())
        .join(deep.strip_prefix(src.path()).unwrap());
    assert_eq!(
        fs::read(reachable(&back).unwrap().path()).unwrap(),
        b"at the bottom"
    );
    // tempdir's cleanup cannot take the long names: remove the deep trees level by level
    for root in [dir.clone(), back.parent().unwrap().to_path_buf()] {
        let file = root.join("deep.txt");
        fs::remove_file(reachable(&file).unwrap().path()).unwrap();
        let mut d = root;
        for _ in 0..25 {
            fs::remove_dir(reachable(&d).unwrap().path()).unwrap();
            d.pop();
        }
    }
}
