//! Offsite copies: snapshots copied fs -> S3 -> fs restore exactly and check clean, a second
//! run sends nothing, an interrupted copy resumes with only what is missing, and a
//! repository that is not a copy destination is refused.

use crate::fs_common;
use crate::s3_common;

use std::fs;

use fs_common::*;
use vault::backup::{backup, BackupOptions};
use vault::copy::{copy, init_destination};
use vault::restore::{restore, RestoreOptions};
use vault::storage::{FaultStore, MemStore, StoreErrorKind, WriteFault};
use vault::{InitOptions, KdfParams, Repository, SnapshotId, Storage, VaultError};

fn fast() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        ..InitOptions::default()
    }
}

fn backed_up(repo: &Repository, src: &std::path::Path) -> SnapshotId {
    let opts = BackupOptions {
        host: "copyhost".into(),
        ..BackupOptions::default()
    };
    backup(repo, &[src.to_path_buf()], &opts)
        .unwrap()
        .snapshot_id
}

fn restored_equals(repo: &Repository, id: &SnapshotId, src: &std::path::Path) {
    let dst = tmp();
    let snap = repo.load_snapshot(id).unwrap();
    let r = restore(repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
    assert!(r.damaged.is_empty(), "{:?}", r.damaged);
    assert_same_tree(src, &dst.path().join(src.strip_prefix("/").unwrap()));
}

#[test]
fn fs_to_s3_to_fs_copies_restore_exactly_and_a_second_run_sends_nothing() {
    let (src, home, back) = (tmp(), tmp(), tmp());
    make_everything_tree(src.path());
    let origin =
        Repository::init(Storage::local(home.path()).unwrap(), "origin-pw", &fast()).unwrap();
    let first = backed_up(&origin, src.path());
    fs::write(src.path().join("added-later.bin"), noise(300_000, 9)).unwrap();
    let second = backed_up(&origin, src.path());

    let env = s3_common::s3_env();
    let url = s3_common::unique_url(&env, "copy");
    let s3 = Storage::from_url(&url, &s3_common::options(&env)).unwrap();
    let offsite = init_destination(&origin, s3, "offsite-pw", &fast()).unwrap();
    let r = copy(&origin, &offsite, &[first], 2).unwrap();
    assert_eq!(r.copied, [first.to_hex()]);
    assert!(r.blobs_copied > 0 && r.bytes_copied > 0, "{r:?}");
    let r = copy(&origin, &offsite, &[], 2).unwrap();
    assert_eq!(r.copied, [second.to_hex()], "only the new snapshot");
    assert_eq!(r.present, [first.to_hex()]);
    assert!(
        r.blobs_present > 0,
        "the second snapshot shares the first's data: {r:?}"
    );
    assert!(r.blobs_copied > 0, "{r:?}");
    let again = copy(&origin, &offsite, &[], 2).unwrap();
    assert!(
        again.copied.is_empty() && again.blobs_copied == 0,
        "{again:?}"
    );
    drop(offsite);

    // The copy opens with its own password only, checks clean, and copies on to fs.
    let offsite = Repository::open(
        Storage::from_url(&url, &s3_common::options(&env)).unwrap(),
        "offsite-pw",
    )
    .unwrap();
    assert!(matches!(
        Repository::open(
            Storage::from_url(&url, &s3_common::options(&env)).unwrap(),
            "origin-pw"
        )
        .unwrap_err(),
        VaultError::WrongPassword
    ));
    read_data_clean(&offsite);
    let local = init_destination(
        &offsite,
        Storage::local(back.path()).unwrap(),
        "back-pw",
        &fast(),
    )
    .unwrap();
    let r = copy(&offsite, &local, &[], 2).unwrap();
    assert_eq!(r.copied.len(), 2);
    let r = read_data_clean(&local);
    assert_eq!(r.snapshots, 2);
    // Same snapshot ids on every side; the restore of the copy of the copy is the source.
    restored_equals(&local, &second, src.path());
}

#[test]
fn an_interrupted_copy_resumes_with_only_what_is_missing() {
    let (src, home) = (tmp(), tmp());
    for i in 0..12u64 {
        fs::write(src.path().join(format!("f{i}")), noise(400_000, i)).unwrap();
    }
    let origin = Repository::init(Storage::local(home.path()).unwrap(), "pw", &fast()).unwrap();
    let id = backed_up(&origin, src.path());

    let mem = MemStore::new();
    let faulty = FaultStore::new(mem.clone());
    let dest = init_destination(&origin, Storage::new(faulty.clone()), "dest-pw", &fast()).unwrap();
    faulty.on_write("packs/", 3, WriteFault::Fail(StoreErrorKind::Transient));
    let err = copy(&origin, &dest, &[], 1).unwrap_err();
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::Transient),
        "{err:?}"
    );
    drop(dest);
    // Nothing half-copied is visible as a snapshot.
    assert!(mem.paths().iter().all(|p| !p.starts_with("snapshots/")));

    let dest = Repository::open(Storage::new(mem.clone()), "dest-pw").unwrap();
    let r = copy(&origin, &dest, &[], 1).unwrap();
    assert_eq!(r.copied, [id.to_hex()]);
    assert!(
        r.blobs_present > 0,
        "the packs stored before the failure count: {r:?}"
    );
    read_data_clean(&dest);
    restored_equals(&dest, &id, src.path());
}

#[test]
fn a_repository_with_another_master_key_is_refused() {
    let (src, home, other) = (tmp(), tmp(), tmp());
    fs::write(src.path().join("f"), b"data").unwrap();
    let origin = Repository::init(Storage::local(home.path()).unwrap(), "pw", &fast()).unwrap();
    backed_up(&origin, src.path());
    let stranger = Repository::init(Storage::local(other.path()).unwrap(), "pw", &fast()).unwrap();
    let err = copy(&origin, &stranger, &[], 1).unwrap_err();
    assert!(matches!(err, VaultError::NotACopy { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&other.path().display().to_string()),
        "{err}"
    );
    // And a destination is never created over an existing repository.
    let err = init_destination(
        &origin,
        Storage::local(other.path()).unwrap(),
        "pw",
        &fast(),
    )
    .unwrap_err();
    assert!(
        matches!(err, VaultError::RepositoryExists { .. }),
        "{err:?}"
    );
}

/// Backups and copies never delete or overwrite an object outside their own locks: on a
/// store that refuses both, a backup, a second backup and a copy succeed, nothing was
/// refused, and no lock is left behind.
#[test]
fn backups_and_copies_need_no_delete_and_no_overwrite() {
    let src = tmp();
    make_everything_tree(src.path());
    let mem = MemStore::new();
    let store = backup_user_store(mem.clone());
    let repo = Repository::init(Storage::new(store.clone()), "pw", &fast()).unwrap();
    backed_up(&repo, src.path());
    fs::write(src.path().join("more"), noise(100_000, 3)).unwrap();
    backed_up(&repo, src.path());
    let dest_store = backup_user_store(MemStore::new());
    let dest = init_destination(&repo, Storage::new(dest_store.clone()), "pw2", &fast()).unwrap();
    copy(&repo, &dest, &[], 2).unwrap();
    copy(&repo, &dest, &[], 2).unwrap();
    assert!(store.refused().is_empty(), "{:?}", store.refused());
    assert!(
        dest_store.refused().is_empty(),
        "{:?}",
        dest_store.refused()
    );
    assert!(
        mem.paths().iter().all(|p| !p.starts_with("locks/")),
        "{:?}",
        mem.paths()
    );
    // ... and forgetting does need a delete.
    let (id, _) = repo.find_snapshot("latest").unwrap();
    let err = repo.forget_snapshot(&id).unwrap_err();
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::PermissionDenied),
        "{err:?}"
    );
}
