//! The backup procedure and a repository without room: preflight proves the room before any
//! server is stopped, so a repository that cannot hold the backup is refused (exit 3) with
//! the check, the path, the estimate and what it is based on, and nothing is stopped or
//! written. (A repository that fails *during* the backup, and `--restart` bringing the
//! servers back then, is the procedure runner's test.) Needs root to mount a small tmpfs.
#![allow(clippy::unwrap_used)]

use crate::backup_common;

use std::path::PathBuf;
use std::process::Command;

use backup_common::*;
use sample::{BuildOptions, Size, Variant};

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn backup_repository_too_small_is_refused_before_any_server_stops() {
    let mnt = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted,
        "this test needs root to mount a 2 MiB tmpfs for the repository (run it through scripts/test as root)"
    );
    let _guard = Unmount(mnt.path().to_path_buf());
    let h = Harness::with(
        Variant::V80Db2Ccm,
        &BuildOptions {
            size: Size::Demo,
            seed: 7,
        },
        Some(mnt.path().join("repo")),
    );
    h.sample.start_all().unwrap();
    let running = h.sample.running_servers().len();
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("[repository_space]"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&mnt.path().join("repo").display().to_string()),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("first backup of this host: the plan's files"),
        "the estimate says what it is based on: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing was stopped or written"),
        "{}",
        run.stderr
    );
    // nothing stopped, no database touched, nothing written
    assert!(!h
        .sample
        .control_log()
        .unwrap()
        .iter()
        .any(|c| c.script.starts_with("stop")));
    assert_eq!(h.sample.running_servers().len(), running);
    assert!(!h
        .sample
        .db_log()
        .unwrap()
        .iter()
        .any(|e| e.action.starts_with("backup") || e.action == "quiesce"));
    assert_eq!(h.snapshot_count(), 0);
    let err = run.events().last().cloned().unwrap();
    assert_eq!(err["error"]["exit_code"], 3);
}
