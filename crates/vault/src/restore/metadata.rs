//! Metadata pass: after all content is written, apply owner (root only), mode, xattrs and
//! times. Non-directories first, then directories deepest-first, so creating or writing
//! entries never disturbs a directory's restored mtime, and a read-only directory is made
//! read-only only after everything inside it exists.

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use super::create::{Created, DirCache};
use super::plan::Plan;
use super::safety::SafeTarget;
use super::RestoreOutcome;
use crate::fs_meta::{apply_metadata, is_root};
use crate::tree::EntryKind;

pub(crate) fn apply_all(
    safe: &SafeTarget,
    plan: &Plan,
    created: &Created,
    outcome: &mut RestoreOutcome,
) {
    let root = is_root();
    let mut order: Vec<usize> = (0..plan.items.len())
        .filter(|i| created.state.get(*i).is_some_and(|s| s.gets_metadata()))
        .collect();
    // non-directories (in plan order) before directories (deepest first)
    order.sort_by_key(|i| {
        plan.items.get(*i).map_or((1, 0), |it| {
            if it.entry.kind == EntryKind::Dir {
                (1, usize::MAX - it.rel.depth())
            } else {
                (0, 0)
            }
        })
    });
    let mut dirs = DirCache::new(safe);
    for i in order {
        let Some(item) = plan.items.get(i) else {
            continue;
        };
        let Some((parent, name)) = item.rel.split_last() else {
            continue;
        };
        let dir = match dirs.get(&parent, &item.rel) {
            Ok(d) => d,
            Err(e) => {
                outcome
                    .warnings
                    .push(format!("{}: metadata not applied: {e}", item.rel.display()));
                continue;
            }
        };
        for w in apply_metadata(dir.as_fd(), OsStr::from_bytes(name), &item.entry, root) {
            outcome.warnings.push(format!(
                "{}: {} not restored: {}",
                item.rel.display(),
                w.what,
                w.error
            ));
        }
    }
}

/// Applies the restored subtree's own metadata to the target directory itself (reached
/// through whatever symlinks the user's target path contains: it is the user's choice).
/// With `skip_if_same`, nothing is applied when the directory's mode, mtime and (as root)
/// owner already are the entry's.
pub(crate) fn apply_to_target(
    target: &std::path::Path,
    entry: &crate::tree::Entry,
    skip_if_same: bool,
    outcome: &mut RestoreOutcome,
) {
    if skip_if_same && already_as(target, entry) {
        return;
    }
    let applied = std::fs::canonicalize(target).and_then(|real| {
        let (Some(parent), Some(name)) = (real.parent(), real.file_name()) else {
            return Ok(Vec::new()); // the file system root keeps its metadata
        };
        let dir = rustix::fs::open(
            parent,
            rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )?;
        Ok(apply_metadata(dir.as_fd(), name, entry, is_root()))
    });
    match applied {
        Ok(warnings) => {
            for w in warnings {
                outcome.warnings.push(format!(
                    "{}: {} not restored: {}",
                    target.display(),
                    w.what,
                    w.error
                ));
            }
        }
        Err(e) => outcome
            .warnings
            .push(format!("{}: metadata not applied: {e}", target.display())),
    }
}

/// Whether `path` already has `entry`'s mode, mtime and (as root) owner.
fn already_as(path: &std::path::Path, entry: &crate::tree::Entry) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).is_ok_and(|m| {
        m.mode() & 0o7777 == entry.mode & 0o7777
            && m.mtime()
                .saturating_mul(1_000_000_000)
                .saturating_add(m.mtime_nsec())
                == entry.mtime_ns
            && (!is_root() || (m.uid(), m.gid()) == (entry.uid, entry.gid))
    })
}
