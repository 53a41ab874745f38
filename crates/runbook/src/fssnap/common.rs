//! What the snapshot methods share: the settings, the volumes, a snapshot taken and how to
//! undo it, the error, and running one snapshot command. (Its own file so that the methods
//! and `fssnap/mod.rs`, which dispatches to them, do not import each other.)

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::process::ProcessError;

/// One volume to snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Its root: the subvolume's root directory, or the mount point.
    pub root: PathBuf,
    /// The device mounted there (LVM: the logical volume's device), from mountinfo.
    pub device: String,
    /// The file system type there (`btrfs`, `xfs`, `ext4`, ...).
    pub fstype: String,
}

/// How the volumes are snapshotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotMethod {
    /// A read-only btrfs snapshot of the subvolume holding each path.
    Btrfs,
    /// An LVM snapshot of the logical volume mounted there, mounted read-only.
    Lvm,
    /// The administrator's create and remove commands.
    Command,
}

impl std::fmt::Display for SnapshotMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SnapshotMethod::Btrfs => "btrfs",
            SnapshotMethod::Lvm => "lvm",
            SnapshotMethod::Command => "command",
        })
    }
}

/// The `[snapshot]` settings.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// The method.
    pub method: SnapshotMethod,
    /// Where LVM and command snapshots are mounted (one subdirectory each), and where a run's
    /// bookkeeping goes; created 0700.
    pub mount_dir: PathBuf,
    /// LVM: the size of each snapshot's copy-on-write area (`lvcreate --extents 20%ORIGIN`
    /// or `--size 10G`: what `lvm_size` says).
    pub lvm_size: String,
    /// `command`: creates a snapshot of `{volume}` readable at `{mount}` (`{name}`: a name
    /// for it). Split into words like a shell would, run without a shell.
    pub create_command: Option<String>,
    /// `command`: removes it again (same placeholders).
    pub remove_command: Option<String>,
    /// A limit per command run.
    pub timeout: std::time::Duration,
}

/// A snapshot of one volume, readable at `at`.
#[derive(Debug, Clone)]
pub struct Taken {
    /// The volume.
    pub volume: Volume,
    /// Where the snapshot's root is readable (the same tree as `volume.root`).
    pub at: PathBuf,
    /// What removing it needs (method-specific: the snapshot subvolume, the LV name, ...).
    pub(super) undo: Undo,
}

/// What removing one snapshot takes.
#[derive(Debug, Clone)]
pub(super) enum Undo {
    Btrfs { subvolume: PathBuf },
    Lvm { mount: PathBuf, lv: String },
    Command { words: Vec<String>, mount: PathBuf },
}

/// A file-system snapshot step failed.
#[derive(Debug, thiserror::Error)]
pub enum FsSnapError {
    /// A path of a file component is on no volume this method can snapshot.
    #[error("{path}: {why}")]
    Volume {
        /// The path (real).
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
    /// The snapshot command failed.
    #[error("{method} snapshot of {volume}: `{command}` failed ({status}): {message}")]
    Command {
        /// Method.
        method: SnapshotMethod,
        /// The volume.
        volume: PathBuf,
        /// The command (as shown).
        command: String,
        /// How it ended.
        status: String,
        /// Its last lines of output.
        message: String,
    },
    /// The command could not be run at all.
    #[error("{method} snapshot: {source}")]
    Process {
        /// Method.
        method: SnapshotMethod,
        /// Why.
        #[source]
        source: ProcessError,
    },
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration does not allow it.
    #[error("snapshot.{key}: {message}")]
    Config {
        /// The key.
        key: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
}

impl FsSnapError {
    pub(super) fn io(path: &Path, source: std::io::Error) -> FsSnapError {
        FsSnapError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Runs one snapshot command and fails unless it exits 0.
pub(super) fn run_checked(
    method: SnapshotMethod,
    volume: &Path,
    spec: &crate::process::CommandSpec,
) -> Result<crate::process::Output, FsSnapError> {
    let out =
        crate::process::run(spec).map_err(|source| FsSnapError::Process { method, source })?;
    if !out.success() {
        return Err(FsSnapError::Command {
            method,
            volume: volume.to_path_buf(),
            command: out.command.clone(),
            status: out.status_text(),
            message: out.tail(3),
        });
    }
    Ok(out)
}

/// Creates `dir` (0700) for a snapshot mount.
pub(super) fn mount_point(dir: &Path) -> Result<(), FsSnapError> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| FsSnapError::io(dir, e))
}
