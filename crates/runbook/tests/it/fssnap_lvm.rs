//! The LVM snapshot method through its documented commands, against the LVM stand-in of
//! crates/sample (the test machines have no device mapper): the volume holding the paths is
//! a real mount (a tmpfs whose source names the "logical volume"); the stand-in's `lvs`,
//! `lvcreate`, `mount`, `umount` and `lvremove` come first in `PATH` (nextest runs each test
//! in its own process, so changing `PATH` touches no other test).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use runbook::fssnap::{volumes_for, SnapshotConfig, SnapshotMethod, Snapshots};
use sample::loopfs::Tmpfs;
use sample::lvm_standin::LvmStandIn;

#[test]
fn an_lvm_snapshot_is_created_mounted_read_only_mapped_and_removed() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let _mount = Tmpfs::mount("cnxtest-vg0-data", &data).unwrap();
    std::fs::create_dir_all(data.join("shared/files")).unwrap();
    std::fs::write(data.join("shared/files/a.txt"), b"before").unwrap();

    let lvm = LvmStandIn::install(&d.path().join("lvm")).unwrap();
    lvm.add_volume("cnxtest-vg0-data", "vg0/data", &data)
        .unwrap();
    std::env::set_var("PATH", lvm.path_first());

    let shared = data.join("shared");
    let volumes = volumes_for(SnapshotMethod::Lvm, std::slice::from_ref(&shared)).unwrap();
    assert_eq!(volumes.len(), 1);
    assert_eq!(volumes[0].root, data.canonicalize().unwrap());
    assert_eq!(volumes[0].device, "cnxtest-vg0-data");
    assert!(runbook::fssnap::preflight(&config(d.path())).is_empty());

    let snaps = Snapshots::take(&config(d.path()), &volumes, "t1").unwrap();
    // what the volume holds later is not in the snapshot
    std::fs::write(data.join("shared/files/a.txt"), b"after the restart").unwrap();
    let mapped = snaps
        .map(&data.canonicalize().unwrap().join("shared/files/a.txt"))
        .unwrap();
    assert_eq!(
        mapped,
        d.path().join("snapshots/cnxbackup-t1-0/shared/files/a.txt")
    );
    assert_eq!(std::fs::read(&mapped).unwrap(), b"before");
    assert_eq!(lvm.snapshots(), ["vg0/cnxbackup-t1-0"]);

    assert!(snaps.remove().is_empty());
    assert_eq!(lvm.snapshots(), Vec::<String>::new());
    let mount_dir = d.path().join("snapshots/cnxbackup-t1-0");
    assert_eq!(
        lvm.log(),
        [
            "lvs --noheadings --separator / -o vg_name,lv_name cnxtest-vg0-data".to_string(),
            "lvcreate --snapshot --permission r --name cnxbackup-t1-0 --extents 20%ORIGIN vg0/data"
                .into(),
            format!(
                "mount -o ro /dev/vg0/cnxbackup-t1-0 {}",
                mount_dir.display()
            ),
            format!("umount {}", mount_dir.display()),
            "lvremove --yes vg0/cnxbackup-t1-0".into(),
        ]
    );
    assert!(!mount_dir.exists(), "the mount point is left behind");
}

#[test]
fn a_device_that_is_no_logical_volume_is_refused_and_nothing_is_left() {
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data");
    let _mount = Tmpfs::mount("cnxtest-plain", &data).unwrap();
    let lvm = LvmStandIn::install(&d.path().join("lvm")).unwrap();
    std::env::set_var("PATH", lvm.path_first());

    let volumes = volumes_for(SnapshotMethod::Lvm, std::slice::from_ref(&data)).unwrap();
    let err = Snapshots::take(&config(d.path()), &volumes, "t2").unwrap_err();
    // lvs exits 5: the error quotes it
    assert!(
        err.to_string().contains("Failed to find logical volume"),
        "{err}"
    );
    assert!(lvm.snapshots().is_empty());
    assert!(!lvm.log().iter().any(|l| l.starts_with("lvcreate")));
}

fn config(dir: &Path) -> SnapshotConfig {
    SnapshotConfig {
        method: SnapshotMethod::Lvm,
        mount_dir: dir.join("snapshots"),
        lvm_size: "20%ORIGIN".into(),
        create_command: None,
        remove_command: None,
        timeout: Duration::from_secs(60),
    }
}
