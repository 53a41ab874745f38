//! File-system snapshots for the backup's snapshot mode (`[snapshot] method`).
//!
//! With the servers stopped and the databases backed up, the volumes that hold the file
//! components are snapshotted, the servers start again, and the files are read from the
//! snapshots (each real path mapped to the same place inside its volume's snapshot), which
//! are removed afterwards. The outage no longer grows with the size of the data.
//!
//! Three methods, one module each: [`SnapshotMethod::Btrfs`] (a read-only snapshot of the subvolume
//! holding each path, `btrfs subvolume snapshot -r`), [`SnapshotMethod::Lvm`] (an LVM snapshot of the
//! logical volume mounted there, `lvcreate --snapshot`, mounted read-only) and
//! [`SnapshotMethod::Command`] (the administrator's own pair of commands: an XFS freeze with a
//! storage snapshot, a SAN's CLI). [`Snapshots`] removes what it took on every path out:
//! explicitly ([`Snapshots::remove`]) or, should a caller forget or unwind, when dropped.

mod btrfs;
mod command;
mod common;
mod lvm;
mod volumes;

use std::path::{Path, PathBuf};

use common::Undo;
pub use common::{FsSnapError, SnapshotConfig, SnapshotMethod, Taken, Volume};

/// The volumes holding `paths` for `method` (each path's nearest btrfs subvolume, or the
/// mount it is on), each once, and the problems that make the snapshot mode impossible for
/// them (a mount point inside a component; a path on no suitable volume). Changes nothing:
/// preflight calls it before any server is stopped.
pub fn volumes_for(method: SnapshotMethod, paths: &[PathBuf]) -> Result<Vec<Volume>, FsSnapError> {
    volumes::find(method, paths)
}

/// What the method needs installed and configured, as problems (empty: ready).
pub fn preflight(cfg: &SnapshotConfig) -> Vec<String> {
    match cfg.method {
        SnapshotMethod::Btrfs => btrfs::preflight(),
        SnapshotMethod::Lvm => lvm::preflight(),
        SnapshotMethod::Command => command::preflight(cfg),
    }
}

/// The snapshots of one run. Dropped without [`Snapshots::remove`], it removes them anyway
/// (logging what it could not remove).
#[derive(Debug)]
pub struct Snapshots {
    cfg: SnapshotConfig,
    taken: Vec<Taken>,
}

impl Snapshots {
    /// Snapshots every volume (named after `run`). When one fails, those already taken are
    /// removed before the error is returned.
    pub fn take(
        cfg: &SnapshotConfig,
        volumes: &[Volume],
        run: &str,
    ) -> Result<Snapshots, FsSnapError> {
        let mut out = Snapshots {
            cfg: cfg.clone(),
            taken: Vec::new(),
        };
        for (i, v) in volumes.iter().enumerate() {
            let name = format!("cnxbackup-{run}-{i}");
            let taken = match cfg.method {
                SnapshotMethod::Btrfs => btrfs::create(cfg, v, &name),
                SnapshotMethod::Lvm => lvm::create(cfg, v, &name),
                SnapshotMethod::Command => command::create(cfg, v, &name),
            };
            // on an error `out` drops here, removing what was taken
            out.taken.push(taken?);
        }
        Ok(out)
    }

    /// The snapshots taken.
    pub fn taken(&self) -> &[Taken] {
        &self.taken
    }

    /// Where `real` (a path on one of the volumes) is inside the snapshots: the same
    /// relative place under the snapshot of the deepest volume holding it.
    pub fn map(&self, real: &Path) -> Option<PathBuf> {
        self.taken
            .iter()
            .filter_map(|t| Some((t, real.strip_prefix(&t.volume.root).ok()?)))
            .max_by_key(|(t, _)| t.volume.root.components().count())
            .map(|(t, rest)| {
                if rest.as_os_str().is_empty() {
                    t.at.clone()
                } else {
                    t.at.join(rest)
                }
            })
    }

    /// Removes every snapshot; the errors of those that could not be removed (each one is
    /// tried).
    pub fn remove(mut self) -> Vec<FsSnapError> {
        self.remove_all()
    }

    fn remove_all(&mut self) -> Vec<FsSnapError> {
        let mut errors = Vec::new();
        // the last taken first
        while let Some(t) = self.taken.pop() {
            let result = match &t.undo {
                Undo::Btrfs { subvolume } => btrfs::remove(&self.cfg, subvolume),
                Undo::Lvm { mount, lv } => lvm::remove(&self.cfg, mount, lv),
                Undo::Command { words, mount } => command::remove(&self.cfg, words, mount),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        errors
    }
}

impl Drop for Snapshots {
    fn drop(&mut self) {
        for e in self.remove_all() {
            tracing::error!("file-system snapshot left behind: {e}");
        }
    }
}
