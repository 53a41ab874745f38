//! `init --append-only` on the real binary: backups and `key add` run; `forget`, `prune`,
//! `tag`, `key remove` and `key passwd` refuse with exit 3 (naming `--maintenance`) and change
//! nothing; with `--maintenance` they run.

use crate::vault_common;

use std::fs;

use vault_common::{noise, Env};

fn snapshot_count(env: &Env) -> usize {
    let out = env.cmd().args(["--json", "snapshots"]).output().unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["snapshots"].as_array().unwrap().len()
}

#[test]
fn an_append_only_repository_refuses_deletes_without_maintenance() {
    let env = Env::new();
    env.cmd().args(["init", "--append-only"]).assert().success();
    for i in 0..3 {
        fs::write(env.src().join("f"), noise(50_000, i)).unwrap();
        env.backup();
    }
    let pw = env.root.path().join("second.pw");
    fs::write(&pw, "second-Password-1\n").unwrap();
    env.cmd()
        .args(["key", "add", "--new-password-file", pw.to_str().unwrap()])
        .assert()
        .success();

    for args in [
        vec!["forget", "--keep-last", "1"],
        vec!["forget", "latest"],
        vec!["prune"],
        vec!["tag", "--add", "x", "latest"],
        vec!["key", "passwd", "--new-password-file", pw.to_str().unwrap()],
    ] {
        let out = env.cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("append-only") && err.contains("--maintenance"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(snapshot_count(&env), 3, "nothing was removed");
    // dry runs delete nothing and are allowed
    env.cmd()
        .args(["forget", "--keep-last", "1", "--dry-run"])
        .assert()
        .success();

    env.cmd()
        .args([
            "forget",
            "--keep-last",
            "1",
            "--prune",
            "--grace",
            "0",
            "--maintenance",
        ])
        .assert()
        .success();
    assert_eq!(snapshot_count(&env), 1);
    env.cmd().args(["check", "--read-data"]).assert().success();
}
