//! LVM, through its documented commands: the logical volume mounted at the volume's root
//! (`lvs --noheadings --separator / -o vg_name,lv_name DEVICE`) gets a snapshot
//! (`lvcreate --snapshot --permission r --name NAME --extents|--size SIZE VG/LV`), mounted
//! read-only under `snapshot.mount_dir` (`mount -o ro[,nouuid] /dev/VG/NAME DIR`; `nouuid`
//! for XFS, which refuses a second mount of the same file system UUID); removed with
//! `umount DIR` and `lvremove --yes VG/NAME`.
//!
//! The tests drive these commands through stand-ins (the test machine has no device
//! mapper): they check the arguments, the order and the clean-up, not the kernel's part.

use std::path::{Path, PathBuf};

use super::common::{
    mount_point, run_checked, FsSnapError, SnapshotConfig, SnapshotMethod, Taken, Undo, Volume,
};
use crate::process::{self, CommandSpec};

/// The programs this method runs.
const PROGRAMS: [&str; 5] = ["lvs", "lvcreate", "lvremove", "mount", "umount"];

fn program(name: &str) -> PathBuf {
    process::which(name).unwrap_or_else(|| PathBuf::from(name))
}

pub(super) fn preflight() -> Vec<String> {
    PROGRAMS
        .iter()
        .filter(|p| process::which(p).is_none())
        .map(|p| format!("snapshot.method = \"lvm\": {p} is not in PATH (install lvm2)"))
        .collect()
}

/// `--extents 20%ORIGIN` for a percentage, `--size 10G` otherwise.
fn size_args(size: &str) -> [String; 2] {
    if size.contains('%') {
        ["--extents".into(), size.into()]
    } else {
        ["--size".into(), size.into()]
    }
}

pub(super) fn create(cfg: &SnapshotConfig, v: &Volume, name: &str) -> Result<Taken, FsSnapError> {
    let lvs = CommandSpec::new(program("lvs"))
        .args(["--noheadings", "--separator", "/", "-o", "vg_name,lv_name"])
        .arg(&v.device)
        .timeout(cfg.timeout);
    let out = run_checked(SnapshotMethod::Lvm, &v.root, &lvs)?;
    let origin = out.stdout.trim().to_string();
    if origin.split('/').filter(|p| !p.is_empty()).count() != 2 {
        return Err(FsSnapError::Volume {
            path: v.root.clone(),
            why: format!(
                "{} (mounted there) is not an LVM logical volume (lvs said {origin:?}): use \
                 snapshot.method = \"command\" for it",
                v.device
            ),
        });
    }
    let vg = origin.split('/').next().unwrap_or_default();
    let lv = format!("{vg}/{name}");
    let create = CommandSpec::new(program("lvcreate"))
        .args(["--snapshot", "--permission", "r", "--name", name])
        .args(size_args(&cfg.lvm_size))
        .arg(&origin)
        .timeout(cfg.timeout);
    run_checked(SnapshotMethod::Lvm, &v.root, &create)?;
    let at = cfg.mount_dir.join(name);
    let mounted = mount_point(&at).and_then(|()| {
        let options = if v.fstype == "xfs" { "ro,nouuid" } else { "ro" };
        let mount = CommandSpec::new(program("mount"))
            .args(["-o", options])
            .arg(format!("/dev/{lv}"))
            .arg(&at)
            .timeout(cfg.timeout);
        run_checked(SnapshotMethod::Lvm, &v.root, &mount)
    });
    if let Err(e) = mounted {
        // the snapshot exists but cannot be read: take it away again
        if let Err(undo) = remove(cfg, &at, &lv) {
            tracing::error!("LVM snapshot {lv} left behind: {undo}");
        }
        return Err(e);
    }
    Ok(Taken {
        volume: v.clone(),
        at: at.clone(),
        undo: Undo::Lvm { mount: at, lv },
    })
}

pub(super) fn remove(cfg: &SnapshotConfig, mount: &Path, lv: &str) -> Result<(), FsSnapError> {
    let mounted = is_mounted(mount);
    if mounted {
        let umount = CommandSpec::new(program("umount"))
            .arg(mount)
            .timeout(cfg.timeout);
        run_checked(SnapshotMethod::Lvm, mount, &umount)?;
    }
    let _ = std::fs::remove_dir(mount);
    let lvremove = CommandSpec::new(program("lvremove"))
        .args(["--yes", lv])
        .timeout(cfg.timeout);
    run_checked(SnapshotMethod::Lvm, mount, &lvremove).map(|_| ())
}

/// Whether something is mounted at `dir` (or it has content a stand-in put there).
fn is_mounted(dir: &Path) -> bool {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    super::volumes::parse_mountinfo(&mounts)
        .iter()
        .any(|m| m.point == dir)
        || std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_extents_or_sizes() {
        assert_eq!(size_args("20%ORIGIN"), ["--extents", "20%ORIGIN"]);
        assert_eq!(size_args("10G"), ["--size", "10G"]);
    }
}
