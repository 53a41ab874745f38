//! The backup procedure when the repository fills up: exit 1 with a clear error, no
//! snapshot written (not even the per-component temporary ones), the staged database images
//! kept and named, the servers left stopped. Needs root to mount a small tmpfs.
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
fn backup_repository_full_exits_1_without_snapshot_and_keeps_staging() {
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
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the repository failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("No snapshot was written"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.to_lowercase().contains("no space left"),
        "the error should say the disk is full: {}",
        run.stderr
    );
    assert_eq!(
        h.snapshot_count(),
        0,
        "no snapshot, not even a temporary one"
    );
    // the staged images were kept and the message says where
    assert!(!h.staging_is_empty(), "the staged images should be kept");
    assert!(
        run.stderr.contains("staged database images were kept"),
        "{}",
        run.stderr
    );
    // servers left stopped
    assert!(h.sample.running_servers().is_empty());
    let err = run.events().last().cloned().unwrap();
    assert_eq!(err["error"]["exit_code"], 1);
}
