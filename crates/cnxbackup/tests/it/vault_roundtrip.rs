//! End to end through the real binary: init, backup, snapshots, ls, restore, check; every
//! entry kind round-trips; incremental runs read nothing unchanged; wrong password; unsafe
//! trees refused.
#![allow(clippy::unwrap_used)]

use crate::vault_common;

use std::fs;
use std::os::unix::fs::MetadataExt;

use predicates::prelude::*;
use vault_common::*;

#[test]
fn every_entry_kind_round_trips_through_the_cli() {
    let env = Env::new();
    make_everything(&env.src());
    env.init();
    let report = env.backup();
    assert_eq!(report["summary"]["warnings"], 0, "{report}");
    assert!(report["summary"]["files_new"].as_u64().unwrap() >= 9);

    // snapshots and ls see it
    let out = env.cmd().args(["--json", "snapshots"]).output().unwrap();
    let snaps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(snaps["snapshots"].as_array().unwrap().len(), 1);
    assert_eq!(snaps["snapshots"][0]["host"], "e2e");
    env.cmd()
        .args(["ls", "latest", "/dir"])
        .assert()
        .success()
        .stdout(predicate::str::contains("/dir/rel-link -> small.txt"))
        .stdout(predicate::str::contains("fifo"));

    env.cmd()
        .args(["restore", "latest", "--target"])
        .arg(env.dst())
        .assert()
        .success();
    assert_same(&env.src(), &env.dst());
    // the hole is still a hole, hard links are one inode again
    let sparse = fs::metadata(env.dst().join("sparse.bin")).unwrap();
    assert_eq!(sparse.len(), 32 << 20);
    assert!(
        sparse.blocks() * 512 < 1 << 20,
        "holes filled: {} blocks",
        sparse.blocks()
    );
    let a = fs::metadata(env.dst().join("dir/hard1")).unwrap();
    let b = fs::metadata(env.dst().join("dir/sub/hard2")).unwrap();
    assert_eq!(a.ino(), b.ino());

    env.cmd()
        .args(["check", "--read-data"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no errors found"));
}

#[test]
fn unchanged_rerun_reads_nothing_and_counts() {
    let env = Env::new();
    for i in 0..30u64 {
        fs::write(env.src().join(format!("f{i}")), noise(20_000, i + 1)).unwrap();
    }
    env.init();
    let first = env.backup();
    assert_eq!(first["summary"]["files_new"], 30);
    let second = env.backup();
    assert_eq!(second["summary"]["files_unchanged"], 30);
    assert_eq!(second["summary"]["files_new"], 0);
    assert_eq!(second["summary"]["bytes_read"], 0);
    assert_eq!(second["summary"]["data_blobs_new"], 0);
    assert_eq!(second["parent"], first["snapshot"]);
    fs::write(env.src().join("f0"), b"now different").unwrap();
    fs::write(env.src().join("new"), b"brand new").unwrap();
    let third = env.backup();
    assert_eq!(third["summary"]["files_changed"], 1);
    assert_eq!(third["summary"]["files_new"], 1);
    assert_eq!(third["summary"]["files_unchanged"], 29);
    assert_eq!(third["summary"]["bytes_read"], 13 + 9);
    // human summary names the counts
    env.cmd()
        .args(["backup", "--host", "e2e", "--path", "."])
        .assert()
        .success()
        .stdout(predicate::str::contains("0 new, 0 changed, 31 unchanged"));
}

#[test]
fn wrong_password_is_exit_1_without_backtrace_or_password() {
    let env = Env::new();
    env.init();
    env.cmd()
        .env("CNXBACKUP_PASSWORD", "not-the-password")
        .env("RUST_BACKTRACE", "1")
        .arg("snapshots")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrong password"))
        .stderr(predicate::str::contains("backtrace").not())
        .stderr(predicate::str::contains("not-the-password").not())
        .stderr(predicate::str::contains(PASSWORD).not());
    // the password can also come from a file
    let pw = env.root.path().join("pw");
    fs::write(&pw, format!("{PASSWORD}\n")).unwrap();
    env.cmd()
        .env_remove("CNXBACKUP_PASSWORD")
        .env("CNXBACKUP_PASSWORD_FILE", &pw)
        .arg("snapshots")
        .assert()
        .success();
}

#[test]
fn restore_refuses_dotdot_entries_and_symlinked_parents() {
    use vault::tree::{encode_tree, Entry, EntryKind, Tree};
    use vault::{BlobKind, Repository, Storage};
    let env = Env::new();
    env.init();
    // a hostile snapshot: root/".."/"escape.txt"
    let repo = Repository::open(Storage::local(&env.repo()).unwrap(), PASSWORD).unwrap();
    let content = b"escaped!".to_vec();
    let data_id = repo.id_of(&content);
    repo.save_blob(BlobKind::Data, data_id, &content).unwrap();
    let mut file = Entry::new(b"escape.txt".to_vec(), EntryKind::File);
    file.mode = 0o644;
    file.size = 8;
    file.content = vec![vault::tree::ContentPart::Data {
        id: data_id,
        len: 8,
    }];
    let inner = encode_tree(&Tree::from_unsorted(vec![file]));
    let inner_id = repo.id_of(&inner);
    repo.save_blob(BlobKind::Tree, inner_id, &inner).unwrap();
    let mut up = Entry::new(b"..".to_vec(), EntryKind::Dir);
    up.mode = 0o755;
    up.subtree = Some(inner_id);
    let root = encode_tree(&Tree::from_unsorted(vec![up]));
    let root_id = repo.id_of(&root);
    repo.save_blob(BlobKind::Tree, root_id, &root).unwrap();
    repo.flush().unwrap();
    let snap = vault::Snapshot {
        time: vault::now_unix_ns(),
        host: "evil".into(),
        paths: vec!["/".into()],
        tags: vec![],
        tree: root_id,
        parent: None,
        summary: Default::default(),
        application: None,
        username: "x".into(),
        program_version: "0".into(),
    };
    let id = repo.save_snapshot(&snap).unwrap();
    let target = env.root.path().join("t/inner");
    env.cmd()
        .args(["restore", &id.to_hex(), "--target"])
        .arg(&target)
        .assert()
        .code(3)
        .stderr(predicate::str::contains("\"..\""));
    assert!(!env.root.path().join("t/escape.txt").exists());

    // a symlinked parent already at the target
    fs::create_dir_all(env.src().join("d")).unwrap();
    fs::write(env.src().join("d/f"), b"payload").unwrap();
    env.backup();
    let outside = env.root.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(env.dst()).unwrap();
    std::os::unix::fs::symlink(&outside, env.dst().join("d")).unwrap();
    env.cmd()
        .args(["restore", "latest", "--target"])
        .arg(env.dst())
        .assert()
        .code(3)
        .stderr(predicate::str::contains("/d"))
        .stderr(predicate::str::contains("symlink"));
    assert!(!outside.join("f").exists(), "wrote through a symlink");
}
