//! The backup's file-system snapshot mode (`[snapshot] method`): right after the stop, the
//! volumes that hold the file components are snapshotted ([`crate::fssnap`]); the files
//! phase reads each component from the same place inside its volume's snapshot (stored under
//! its real product path) while the databases are backed up, and the servers start again as
//! soon as the databases are done, whether the files are read yet or not; the snapshots are
//! removed once every file is read. The outage then no longer grows with the size of the
//! shared data.
//!
//! Preflight checks that every file component is on a volume the method can snapshot and
//! that its tools are there, before any server stops. Should taking the snapshots still fail
//! during the run, nothing is lost: the files are read from the live volumes before the
//! servers start, as without the snapshot mode (a warning says so).

use std::path::{Path, PathBuf};

use crate::fssnap::{self, FsSnapError, SnapshotConfig, Snapshots, Volume};
use crate::procedure::{Ended, Phase, Procedure};

/// The volumes the snapshot mode will snapshot for the file components at `paths` (real
/// paths that exist), or what keeps it from working: the method's tools missing, volumes it
/// cannot snapshot. Changes nothing (preflight).
pub(crate) fn check(cfg: &SnapshotConfig, paths: &[PathBuf]) -> Result<Vec<Volume>, Vec<String>> {
    let mut problems = fssnap::preflight(cfg);
    let volumes = fssnap::volumes_for(cfg.method, paths)
        .map_err(|e| problems.push(format!("snapshot.method = \"{}\": {e}", cfg.method)))
        .ok();
    match volumes {
        Some(v) if problems.is_empty() => Ok(v),
        _ => Err(problems),
    }
}

/// The `fs_snapshot` phase: the volumes holding `paths` snapshotted (named after `run`).
/// `None` when they could not be: the phase fails with a warning, and the caller reads the
/// live files before starting the servers.
pub(crate) fn take(
    p: &mut Procedure<'_>,
    cfg: &SnapshotConfig,
    paths: &[PathBuf],
    run: &str,
) -> Option<Snapshots> {
    p.phase(Phase::FsSnapshot, |s| {
        let taken = fssnap::volumes_for(cfg.method, paths)
            .and_then(|volumes| Snapshots::take(cfg, &volumes, run))
            .and_then(|snaps| every_path_mapped(snaps, paths));
        match taken {
            Ok(snaps) => {
                let roots: Vec<String> = snaps
                    .taken()
                    .iter()
                    .map(|t| t.volume.root.display().to_string())
                    .collect();
                let message = format!(
                    "{} volume(s) snapshotted ({}): {}",
                    roots.len(),
                    cfg.method,
                    roots.join(", ")
                );
                Ended::ok(Some(snaps), message)
            }
            Err(e) => {
                let message = format!(
                    "file-system snapshot ({}): {e}; the files are read from the live file \
                     systems before the servers start again",
                    cfg.method
                );
                s.warn(message.clone());
                Ended::failed(None, message)
            }
        }
    })
}

/// The snapshots, when every path has its place in them (a path whose last part is a link to
/// another volume has none: the link is stored, from the volume holding its directory). When
/// one has none, the snapshots are removed (dropped) and the error names the path.
fn every_path_mapped(snaps: Snapshots, paths: &[PathBuf]) -> Result<Snapshots, FsSnapError> {
    match paths.iter().find(|p| place(&snaps, p).is_none()) {
        None => Ok(snaps),
        Some(path) => Err(FsSnapError::Volume {
            path: path.clone(),
            why: "is on no volume that was snapshotted (is it a symbolic link to another \
                  volume?)"
                .into(),
        }),
    }
}

/// Where the pipeline reads `real` from: the same place inside the snapshot of its volume
/// ([`take`] made sure there is one).
pub(crate) fn mapped(snaps: &Snapshots, real: &Path) -> PathBuf {
    place(snaps, real).unwrap_or_else(|| real.to_path_buf())
}

/// `real`'s place in the snapshots: its directory resolved the way the volumes were found,
/// its last part kept (a symbolic link stays one).
fn place(snaps: &Snapshots, real: &Path) -> Option<PathBuf> {
    let resolved = match (real.parent(), real.file_name()) {
        (Some(parent), Some(name)) => parent.canonicalize().ok()?.join(name),
        _ => real.to_path_buf(),
    };
    snaps.map(&resolved)
}
