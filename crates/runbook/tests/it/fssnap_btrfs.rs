//! The btrfs snapshot method on a real btrfs: a file system made in a loop device (the tests
//! run as root; `scripts/test` installs btrfs-progs). A snapshot freezes what the paths held
//! when it was taken, maps each path into itself, and is gone after `remove` — and after a
//! drop without `remove`.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use runbook::fssnap::{volumes_for, SnapshotConfig, SnapshotMethod, Snapshots};
use sample::loopfs::LoopBtrfs;

/// A btrfs in a loop device inside a temporary directory, with subvolume `data` holding the
/// "deployment".
struct Btrfs {
    // fields drop in order: unmounted before `dir` is removed
    fs: LoopBtrfs,
    data: PathBuf,
    dir: tempfile::TempDir,
}

impl Btrfs {
    fn new() -> Btrfs {
        let dir = tempfile::Builder::new()
            .prefix("outage-btrfs-")
            .tempdir_in("/tmp")
            .unwrap();
        let fs = LoopBtrfs::mount(dir.path(), 256).unwrap();
        let data = fs.subvolume("data").unwrap();
        Btrfs { fs, data, dir }
    }
}

fn config(dir: &Path) -> SnapshotConfig {
    SnapshotConfig {
        method: SnapshotMethod::Btrfs,
        mount_dir: dir.join("snapshots"),
        lvm_size: "20%ORIGIN".into(),
        create_command: None,
        remove_command: None,
        timeout: Duration::from_secs(60),
    }
}

#[test]
fn a_btrfs_snapshot_freezes_the_paths_and_is_removed() {
    let fs = Btrfs::new();
    let shared = fs.data.join("shared");
    std::fs::create_dir_all(shared.join("files")).unwrap();
    std::fs::write(shared.join("files/a.txt"), b"before").unwrap();
    let local = fs.data.join("local");
    std::fs::create_dir_all(&local).unwrap();

    let volumes = volumes_for(SnapshotMethod::Btrfs, &[shared.clone(), local.clone()]).unwrap();
    // both paths are in the subvolume `data`: one snapshot
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0].root, fs.data);
    assert_eq!(volumes[0].fstype, "btrfs");

    let snaps = Snapshots::take(&config(fs.dir.path()), &volumes, "t1").unwrap();
    std::fs::write(shared.join("files/a.txt"), b"after the restart").unwrap();
    let mapped = snaps.map(&shared.join("files/a.txt")).unwrap();
    assert!(
        mapped.starts_with(&snaps.taken()[0].at),
        "{}",
        mapped.display()
    );
    assert_eq!(std::fs::read(&mapped).unwrap(), b"before");
    // read-only
    assert!(std::fs::write(&mapped, b"x").is_err());
    assert_eq!(snaps.map(Path::new("/elsewhere")), None);

    let at = snaps.taken()[0].at.clone();
    assert!(snaps.remove().is_empty());
    assert!(!at.exists(), "the snapshot is still there");
    assert_eq!(fs.fs.subvolumes().unwrap(), ["data"]);
}

#[test]
fn a_snapshot_dropped_without_remove_is_removed_too() {
    let fs = Btrfs::new();
    let volumes = volumes_for(SnapshotMethod::Btrfs, std::slice::from_ref(&fs.data)).unwrap();
    let at = {
        let snaps = Snapshots::take(&config(fs.dir.path()), &volumes, "t2").unwrap();
        snaps.taken()[0].at.clone()
    };
    assert!(!at.exists());
}
