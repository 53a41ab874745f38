//! `snapshots` with deployment backups (backup sets, INCOMPLETE, hidden partial snapshots),
//! through the real binary.
#![allow(clippy::unwrap_used)]

use crate::vault_common;

use std::fs;
use std::path::Path;

use vault::backup::{backup_sources, BackupOptions, BackupSource};
use vault::{Repository, Storage};
use vault_common::{Env, PASSWORD};

fn open(env: &Env) -> Repository {
    Repository::open(Storage::local(&env.repo()).unwrap(), PASSWORD).unwrap()
}

/// A snapshot like the deployment backup writes: `application` with set and status.
fn deployment_snapshot(
    repo: &Repository,
    src: &Path,
    host: &str,
    set: &str,
    status: &str,
    tags: &[&str],
) {
    let opts = BackupOptions {
        host: host.into(),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        application: Some(serde_json::json!({
            "kind": "cnxbackup.backup", "backup_set": set, "status": status,
            "failed_steps": if status == "incomplete" { vec!["db:HOMEPAGE"] } else { vec![] },
        })),
        ..BackupOptions::default()
    };
    backup_sources(
        repo,
        vec![BackupSource::path(src, "/opt/IBM/Connections")],
        &opts,
    )
    .unwrap();
}

#[test]
fn snapshots_groups_sets_marks_incomplete_and_hides_partials() {
    let env = Env::new();
    env.init();
    fs::write(env.src().join("f"), b"data").unwrap();
    let repo = open(&env);
    deployment_snapshot(
        &repo,
        &env.src(),
        "host-a",
        "set-1",
        "complete",
        &["cnxbackup"],
    );
    deployment_snapshot(
        &repo,
        &env.src(),
        "host-x",
        "set-2",
        "complete",
        &["cnxbackup"],
    );
    deployment_snapshot(
        &repo,
        &env.src(),
        "host-b",
        "set-1",
        "incomplete",
        &["cnxbackup", "incomplete"],
    );
    deployment_snapshot(
        &repo,
        &env.src(),
        "host-a",
        "set-3",
        "complete",
        &["cnxbackup-partial"],
    );
    drop(repo);

    let out = env.cmd().arg("snapshots").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("set") && lines[0].contains("status"),
        "{text}"
    );
    // set-1's two hosts together, before set-2 (its first snapshot is older)
    let pos = |needle: &str| lines.iter().position(|l| l.contains(needle)).unwrap();
    assert!(
        pos("host-a") < pos("host-b") && pos("host-b") < pos("host-x"),
        "{text}"
    );
    assert!(lines[pos("host-b")].contains("INCOMPLETE"), "{text}");
    assert!(!lines[pos("host-a")].contains("INCOMPLETE"), "{text}");
    assert!(
        !text.contains("set-3"),
        "partial snapshots are hidden: {text}"
    );
    assert!(
        text.contains("1 temporary cnxbackup-partial snapshots hidden"),
        "{text}"
    );

    let out = env
        .cmd()
        .args(["--json", "snapshots", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let snaps = v["snapshots"].as_array().unwrap();
    assert_eq!(snaps.len(), 4);
    assert_eq!(v["hidden_partial"], 0);
    let b = snaps.iter().find(|s| s["host"] == "host-b").unwrap();
    assert_eq!(b["incomplete"], true);
    assert_eq!(b["set"], "set-1");
    assert_eq!(b["application"]["failed_steps"][0], "db:HOMEPAGE");
}
