//! Many writers, no lock: 4 backups of different trees into one repository at the same
//! time (separate sessions, as from 4 hosts), on the fs service and on S3. Afterwards every
//! snapshot restores exactly and check --read-data passes.
#![allow(clippy::unwrap_used)]

use crate::fs_common;
use crate::s3_common;

use std::fs;
use std::path::PathBuf;

use fs_common::*;
use vault::backup::{backup, BackupOptions};
use vault::restore::{restore, RestoreOptions};
use vault::Repository;

fn make_trees(n: u64) -> Vec<tempfile::TempDir> {
    (0..n)
        .map(|i| {
            let t = tmp();
            fs::create_dir_all(t.path().join("data/sub")).unwrap();
            // unique content per host ...
            fs::write(t.path().join("data/own.bin"), noise(1_200_000, 1000 + i)).unwrap();
            fs::write(t.path().join("data/sub/small"), format!("host {i}\n")).unwrap();
            // ... and content every host has (each writer may upload it: duplicates are fine)
            fs::write(t.path().join("data/shared.bin"), noise(900_000, 77)).unwrap();
            t
        })
        .collect()
}

fn many_writers(open: impl Fn() -> Repository + Sync) {
    let trees = make_trees(4);
    let ids: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = trees
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let open = &open;
                s.spawn(move || {
                    let repo = open();
                    let o = BackupOptions {
                        host: format!("host{i}"),
                        ..BackupOptions::default()
                    };
                    let paths: Vec<PathBuf> = vec![t.path().to_path_buf()];
                    backup(&repo, &paths, &o).unwrap().snapshot_id
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let repo = open();
    let listed = repo.list_snapshots().unwrap();
    assert_eq!(listed.len(), 4);
    read_data_clean(&repo);
    for (i, id) in ids.iter().enumerate() {
        let snap = repo.load_snapshot(id).unwrap();
        assert_eq!(snap.host, format!("host{i}"));
        let dst = tmp();
        let res = restore(&repo, &snap, dst.path(), &RestoreOptions::default()).unwrap();
        assert!(res.damaged.is_empty(), "{:?}", res.damaged);
        let src = trees[i].path();
        assert_same_tree(src, &dst.path().join(src.strip_prefix("/").unwrap()));
    }
}

#[test]
fn four_concurrent_backups_on_fs() {
    let dir = tmp();
    init_repo(dir.path());
    many_writers(|| open_repo(dir.path()));
}

#[test]
fn four_concurrent_backups_on_s3() {
    let env = s3_common::s3_env();
    let url = s3_common::unique_url(&env, "many-writers");
    s3_common::init_s3(&url);
    many_writers(|| s3_common::open_s3(&url));
}
