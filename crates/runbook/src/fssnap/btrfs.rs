//! btrfs: a read-only snapshot of the subvolume holding the paths, placed inside that
//! subvolume (`<root>/.<name>`, so it is on the same file system and nothing outside the
//! volume is touched): `btrfs subvolume snapshot -r ROOT ROOT/.NAME`, removed with
//! `btrfs subvolume delete`. A snapshot does not descend into nested subvolumes (they show
//! as empty directories), which is why a path's own nearest subvolume is the one taken.

use std::path::{Path, PathBuf};

use super::common::{
    run_checked, FsSnapError, SnapshotConfig, SnapshotMethod, Taken, Undo, Volume,
};
use crate::process::{self, CommandSpec};

fn btrfs() -> Option<PathBuf> {
    process::which("btrfs")
}

pub(super) fn preflight() -> Vec<String> {
    match btrfs() {
        Some(_) => Vec::new(),
        None => vec![
            "snapshot.method = \"btrfs\": the btrfs command (btrfs-progs) is not in PATH".into(),
        ],
    }
}

pub(super) fn create(cfg: &SnapshotConfig, v: &Volume, name: &str) -> Result<Taken, FsSnapError> {
    let program = btrfs().ok_or_else(|| FsSnapError::Config {
        key: "method",
        message: "the btrfs command (btrfs-progs) is not in PATH".into(),
    })?;
    let at = v.root.join(format!(".{name}"));
    let spec = CommandSpec::new(program)
        .args(["subvolume", "snapshot", "-r"])
        .arg(&v.root)
        .arg(&at)
        .timeout(cfg.timeout);
    run_checked(SnapshotMethod::Btrfs, &v.root, &spec)?;
    Ok(Taken {
        volume: v.clone(),
        at: at.clone(),
        undo: Undo::Btrfs { subvolume: at },
    })
}

pub(super) fn remove(cfg: &SnapshotConfig, subvolume: &Path) -> Result<(), FsSnapError> {
    let program = btrfs().unwrap_or_else(|| PathBuf::from("btrfs"));
    let spec = CommandSpec::new(program)
        .args(["subvolume", "delete"])
        .arg(subvolume)
        .timeout(cfg.timeout);
    run_checked(SnapshotMethod::Btrfs, subvolume, &spec).map(|_| ())
}
