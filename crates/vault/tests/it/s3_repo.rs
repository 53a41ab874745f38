//! Repositories on a real S3 server (s3s-fs on 127.0.0.1, started by scripts/test): the
//! round trip, the error messages of the three classic misconfigurations, and ranged reads.
#![allow(clippy::unwrap_used)]

use crate::fs_common;
use crate::s3_common;

use std::fs;

use fs_common::*;
use s3_common::*;
use vault::backup::{backup, BackupOptions};
use vault::check::{check, CheckOptions};
use vault::restore::{restore, RestoreOptions};
use vault::storage::{S3Options, Secret};
use vault::{Repository, Storage, StorageOptions};

fn opts(host: &str) -> BackupOptions {
    BackupOptions {
        host: host.into(),
        ..BackupOptions::default()
    }
}

#[test]
fn s3_init_backup_restore_check_round_trip() {
    let env = s3_env();
    let url = unique_url(&env, "roundtrip");
    let (src, dst) = (tmp(), tmp());
    make_everything_tree(src.path());
    let repo = init_s3(&url);
    let out = backup(&repo, &[src.path().to_path_buf()], &opts("s3host")).unwrap();
    assert!(out.summary.files_new >= 10, "{:?}", out.summary);
    drop(repo);

    let repo = open_s3(&url);
    assert!(repo.storage().is_remote());
    // remote reads get more workers than the 2 asked for (they mostly wait on the store)
    assert_eq!(
        repo.storage().read_workers(2),
        vault::storage::REMOTE_READ_WORKERS
    );
    assert_eq!(repo.storage().read_workers(32), 32);
    let r = check(
        &repo,
        &CheckOptions {
            read_data: Some(100.0),
            threads: 2,
            progress: None,
        },
    )
    .unwrap();
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(r.snapshots, 1);
    assert!(r.packs_read >= 2, "{r:?}");
    let (_, snap) = repo.find_snapshot("latest").unwrap();
    let res = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
    assert!(res.damaged.is_empty(), "{:?}", res.damaged);
    assert_same_tree(
        src.path(),
        &dst.path().join(src.path().strip_prefix("/").unwrap()),
    );
    // a second backup of the unchanged tree stores no new data
    let again = backup(&repo, &[src.path().to_path_buf()], &opts("s3host")).unwrap();
    assert_eq!(again.summary.files_unchanged, out.summary.files_new);
    assert_eq!(again.summary.data_blobs_new, 0);
}

fn open_err(url: &str, o: &StorageOptions) -> String {
    let storage = match Storage::from_url(url, o) {
        Ok(s) => s,
        Err(e) => return e.to_string(),
    };
    match Repository::open(storage, "test-password") {
        Ok(_) => panic!("opened {url}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn wrong_credentials_name_endpoint_and_bucket_but_not_the_secret() {
    let env = s3_env();
    let url = unique_url(&env, "creds");
    init_s3(&url);
    let mut o = options(&env);
    let wrong_secret = "definitely-not-the-secret-4711";
    o.s3.secret_access_key = Some(Secret::new(wrong_secret));
    let text = open_err(&url, &o);
    assert!(text.contains("access denied"), "{text}");
    assert!(text.contains(&env.endpoint), "{text}");
    assert!(text.contains(&format!("bucket {}", env.bucket)), "{text}");
    assert!(!text.contains(wrong_secret), "{text}");
    assert!(!text.contains(&env.secret_key), "{text}");
    // an unknown access key id is refused the same way
    o.s3.access_key_id = Some("NOSUCHKEY".into());
    let text = open_err(&url, &o);
    assert!(text.contains("access denied"), "{text}");
    assert!(!text.contains(wrong_secret), "{text}");
}

#[test]
fn missing_bucket_is_named() {
    let env = s3_env();
    let o = options(&env);
    let text = open_err("s3://no-such-bucket-cnx/x", &o);
    assert!(text.contains("bucket does not exist"), "{text}");
    assert!(text.contains("bucket no-such-bucket-cnx"), "{text}");
    assert!(text.contains(&env.endpoint), "{text}");
    assert!(!text.contains(&env.secret_key), "{text}");
    // reported when the storage is opened, before init or open could say "no repository"
    let err = Storage::from_url("s3://no-such-bucket-cnx/x", &o)
        .unwrap_err()
        .to_string();
    assert!(err.contains("bucket does not exist"), "{err}");
}

#[test]
fn unreachable_endpoint_is_named() {
    let env = s3_env();
    let o = StorageOptions {
        s3: S3Options {
            endpoint: Some("http://127.0.0.1:1".into()),
            access_key_id: Some(env.access_key.clone()),
            secret_access_key: Some(Secret::new(env.secret_key.clone())),
            retries: Some(1),
            ..S3Options::default()
        },
    };
    let started = std::time::Instant::now();
    let text = open_err(&format!("s3://{}/x", env.bucket), &o);
    assert!(text.contains("cannot reach the endpoint"), "{text}");
    assert!(text.contains("http://127.0.0.1:1"), "{text}");
    assert!(text.contains(&format!("bucket {}", env.bucket)), "{text}");
    assert!(!text.contains(&env.secret_key), "{text}");
    // retried with backoff, but not for long
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn restore_and_check_read_only_the_needed_ranges() {
    let env = s3_env();
    let url = unique_url(&env, "ranges");
    let (src, dst) = (tmp(), tmp());
    fs::create_dir_all(src.path().join("d")).unwrap();
    for i in 0..4u64 {
        fs::write(
            src.path().join(format!("d/big{i}")),
            noise(1_500_000, 100 + i),
        )
        .unwrap();
    }
    fs::write(src.path().join("d/small.txt"), b"only this one\n").unwrap();
    let repo = init_s3(&url);
    backup(&repo, &[src.path().to_path_buf()], &opts("h")).unwrap();
    drop(repo);

    let repo = open_s3(&url);
    let packs_bytes: u64 = repo.list_packs().unwrap().iter().map(|(_, s)| s).sum();
    assert!(packs_bytes > 5_000_000, "{packs_bytes}");
    let (_, snap) = repo.find_snapshot("latest").unwrap();

    let before = repo.storage().stats();
    let ro = RestoreOptions {
        includes: vec!["small.txt".into()],
        ..RestoreOptions::default()
    };
    let res = restore(&repo, &snap, dst.path(), &ro).unwrap();
    assert!(res.damaged.is_empty());
    let restored = dst
        .path()
        .join(src.path().strip_prefix("/").unwrap())
        .join("d/small.txt");
    assert_eq!(fs::read(&restored).unwrap(), b"only this one\n");
    let read = repo.storage().stats().bytes_read - before.bytes_read;
    // trees plus one small blob: far less than one big file
    assert!(
        read < 200_000,
        "restore of one small file read {read} bytes"
    );

    let before = repo.storage().stats();
    let r = check(&repo, &CheckOptions::default()).unwrap();
    assert!(r.is_ok(), "{r:?}");
    let read = repo.storage().stats().bytes_read - before.bytes_read;
    assert!(
        read < packs_bytes / 10,
        "structure check read {read} of {packs_bytes} pack bytes"
    );
}
