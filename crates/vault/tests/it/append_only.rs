//! Append-only repositories: backups run on a store that refuses deletes and overwrites,
//! while `forget`, `prune` and key removal refuse outside maintenance mode, and run in it.

use crate::fs_common;
use crate::s3_common;

use std::fs;

use fs_common::*;
use vault::backup::{backup, BackupOptions};
use vault::maintenance::{forget, prune, PruneOptions, RetentionPolicy};
use vault::storage::{FaultStore, MemStore};
use vault::{InitOptions, KdfParams, Repository, SnapshotFilter, Storage, VaultError};

fn append_only() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        append_only: true,
        ..InitOptions::default()
    }
}

#[test]
fn backups_run_and_deleting_operations_wait_for_maintenance() {
    let src = tmp();
    make_everything_tree(src.path());
    // The backup host's credentials: no delete, no overwrite.
    let mem = MemStore::new();
    let store = backup_user_store(mem.clone());
    let repo = Repository::init(Storage::new(store.clone()), "pw", &append_only()).unwrap();
    assert!(repo.is_append_only());
    let opts = BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    };
    for round in 0..3u64 {
        fs::write(src.path().join("changing"), noise(50_000, round)).unwrap();
        backup(&repo, &[src.path().to_path_buf()], &opts).unwrap();
    }
    assert!(store.refused().is_empty(), "{:?}", store.refused());

    let keep_one = RetentionPolicy {
        keep_last: Some(1),
        ..RetentionPolicy::default()
    };
    let refused = |e: VaultError| assert!(matches!(e, VaultError::AppendOnly { .. }), "{e:?}");
    refused(forget(&repo, &keep_one, &SnapshotFilter::default(), false).unwrap_err());
    refused(prune(&repo, &PruneOptions::default()).unwrap_err());
    let (id, _) = repo.find_snapshot("latest").unwrap();
    refused(repo.forget_snapshot(&id).unwrap_err());
    let other = repo.add_key("second").unwrap();
    refused(repo.remove_key(&other, false).unwrap_err());
    // Dry runs delete nothing and are allowed.
    assert_eq!(
        forget(&repo, &keep_one, &SnapshotFilter::default(), true)
            .unwrap()
            .removed,
        2
    );
    // The client refused before the store was asked: nothing was attempted.
    assert!(store.refused().is_empty(), "{:?}", store.refused());
    drop(repo);

    // The maintenance credentials may delete.
    let maint = FaultStore::new(mem);
    let repo = Repository::open(Storage::new(maint), "pw").unwrap();
    assert!(repo.is_append_only(), "the mode is the repository's");
    repo.set_maintenance(true);
    assert_eq!(
        forget(&repo, &keep_one, &SnapshotFilter::default(), false)
            .unwrap()
            .removed,
        2
    );
    prune(
        &repo,
        &PruneOptions {
            grace: std::time::Duration::ZERO,
            ..PruneOptions::default()
        },
    )
    .unwrap();
    repo.remove_key(&other, false).unwrap();
    assert_eq!(repo.list_snapshots().unwrap().len(), 1);
}

#[test]
fn the_mode_is_in_the_config_and_off_by_default() {
    let (a, b) = (tmp(), tmp());
    let plain = InitOptions {
        append_only: false,
        ..append_only()
    };
    Repository::init(Storage::local(a.path()).unwrap(), "pw", &plain).unwrap();
    Repository::init(Storage::local(b.path()).unwrap(), "pw", &append_only()).unwrap();
    let config = |d: &std::path::Path| fs::read_to_string(d.join("config")).unwrap();
    assert!(
        !config(a.path()).contains("append_only"),
        "unchanged for plain repositories"
    );
    assert!(
        config(b.path()).contains("\"append_only\": true"),
        "{}",
        config(b.path())
    );
    assert!(!Repository::open(Storage::local(a.path()).unwrap(), "pw")
        .unwrap()
        .is_append_only());
    assert!(Repository::open(Storage::local(b.path()).unwrap(), "pw")
        .unwrap()
        .is_append_only());
}

/// The same on the S3 test server. s3s-fs has one access key and no bucket policies, so the
/// user without `s3:DeleteObject` is the fault store's refusal in front of the real S3
/// store: every object the backups write goes to S3, and no delete or overwrite is even
/// attempted.
#[test]
fn on_s3_a_user_that_may_not_delete_backs_up_and_cannot_prune() {
    let src = tmp();
    make_everything_tree(src.path());
    let env = s3_common::s3_env();
    let url = s3_common::unique_url(&env, "append-only");
    let rest = url.strip_prefix("s3://").unwrap();
    let s3 = vault::storage::OpendalStore::s3(rest, &s3_common::options(&env).s3).unwrap();
    let backup_user = backup_user_store(s3);
    let repo = Repository::init(Storage::new(backup_user.clone()), "pw", &append_only()).unwrap();
    let opts = BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    };
    backup(&repo, &[src.path().to_path_buf()], &opts).unwrap();
    fs::write(src.path().join("new"), noise(10_000, 1)).unwrap();
    backup(&repo, &[src.path().to_path_buf()], &opts).unwrap();
    assert!(
        backup_user.refused().is_empty(),
        "{:?}",
        backup_user.refused()
    );
    let err = prune(&repo, &PruneOptions::default()).unwrap_err();
    assert!(matches!(err, VaultError::AppendOnly { .. }), "{err:?}");
    // Even a client that skips the check is stopped by the store.
    repo.set_maintenance(true);
    let (id, _) = repo.find_snapshot("latest").unwrap();
    let err = repo.forget_snapshot(&id).unwrap_err();
    assert_eq!(
        err.storage_kind(),
        Some(vault::storage::StoreErrorKind::PermissionDenied),
        "{err:?}"
    );
    assert_eq!(repo.list_snapshots().unwrap().len(), 2);
}
