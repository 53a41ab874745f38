//! Verification of a restored tree against the snapshot: every entry of the subtree must be
//! at the target with the same kind; files with the same size and content (re-read and
//! hashed blob by blob, holes all zeros); symlinks with the same target. Nothing is
//! followed: paths are resolved below the real directory without crossing symlinks.

use std::ffi::OsStr;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{AtFlags, FileType};
use rustix::io::Errno;
use serde::Serialize;

use super::mirror::same_content;
use super::plan::Selection;
use super::safety::{RelPath, SafeTarget};
use super::RestoreError;
use crate::tree::{find_entry, walk, ContentPart, Entry, EntryKind, Visit};
use crate::{Repository, Snapshot};

/// One difference between the snapshot and the restored tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyProblem {
    /// Stored path.
    pub path: String,
    pub reason: String,
}

/// What [`verify`] checked and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub files: u64,
    pub bytes: u64,
    pub dirs: u64,
    /// Symlinks and other entries.
    pub others: u64,
    pub problems: Vec<VerifyProblem>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Compares the restored `real` (a directory for a directory subtree, the file path for a
/// file) with the entry at stored path `subtree` of `snapshot`. Entries matching `excludes`
/// (globs over stored paths, as in [`super::RestoreOptions::excludes`]) are not checked.
pub fn verify(
    repo: &Repository,
    snapshot: &Snapshot,
    subtree: &Path,
    real: &Path,
    excludes: &[String],
) -> Result<VerifyReport, RestoreError> {
    let start =
        find_entry(repo, snapshot, subtree)?.ok_or_else(|| RestoreError::NotInSnapshot {
            path: subtree.display().to_string(),
            reason: "no such entry in the snapshot".into(),
        })?;
    let selection = Selection::new(&[], excludes, subtree)?;
    let mut report = VerifyReport::default();
    // the directory the paths are relative to, and the path of the subtree's entry in it
    let (base, top) = if start.kind == EntryKind::Dir {
        (real.to_path_buf(), RelPath::root())
    } else {
        match (real.parent(), real.file_name()) {
            (Some(p), Some(n)) => (p.to_path_buf(), RelPath::root().join(n.as_bytes())),
            _ => {
                return Err(RestoreError::BadOptions(format!(
                    "{} is a file: give the restored file's path",
                    subtree.display()
                )))
            }
        }
    };
    let Some(safe) = SafeTarget::open_existing(&base).map_err(|source| RestoreError::Target {
        path: base.clone(),
        source,
    })?
    else {
        report.problems.push(VerifyProblem {
            path: subtree.display().to_string(),
            reason: format!("{} does not exist", base.display()),
        });
        return Ok(report);
    };
    let mut checker = Checker {
        repo,
        safe: &safe,
        last: None,
    };
    let prefix = subtree.to_path_buf();
    walk(repo, snapshot, subtree, &mut |path, entry| {
        let rel = if start.kind == EntryKind::Dir {
            let Ok(below) = path.strip_prefix(&prefix) else {
                return Visit::SkipSubtree;
            };
            let mut rel = RelPath::root();
            for c in below.components() {
                rel = rel.join(c.as_os_str().as_bytes());
            }
            rel
        } else {
            top.clone()
        };
        if !rel.is_root() && selection.excluded(&rel, &entry.name) {
            return Visit::SkipSubtree;
        }
        match checker.check(&rel, entry, &mut report) {
            Ok(true) => Visit::Continue,
            Ok(false) => Visit::SkipSubtree,
            Err(reason) => {
                report.problems.push(VerifyProblem {
                    path: path.display().to_string(),
                    reason,
                });
                Visit::SkipSubtree
            }
        }
    })?;
    Ok(report)
}

struct Checker<'a> {
    repo: &'a Repository,
    safe: &'a SafeTarget,
    last: Option<(RelPath, OwnedFd)>,
}

impl Checker<'_> {
    /// Checks one entry; `Ok(false)`: do not descend (not a directory there).
    fn check(
        &mut self,
        rel: &RelPath,
        entry: &Entry,
        report: &mut VerifyReport,
    ) -> Result<bool, String> {
        let Some((parent, name)) = rel.split_last() else {
            // the target directory itself
            report.dirs += 1;
            return Ok(true);
        };
        // not recreated by a restore (sockets; devices unless root): nothing to compare
        let recreated = match entry.kind {
            EntryKind::Socket => false,
            EntryKind::CharDevice | EntryKind::BlockDevice => crate::fs_meta::is_root(),
            _ => true,
        };
        if !recreated {
            report.others += 1;
            return Ok(false);
        }
        if self.last.as_ref().is_none_or(|(r, _)| *r != parent) {
            let fd = self
                .safe
                .open_dir(&parent)
                .map_err(|e| format!("cannot open its directory: {e}"))?;
            self.last = Some((parent.clone(), fd));
        }
        let Some((_, dir)) = self.last.as_ref() else {
            return Err("no directory".into());
        };
        let name = OsStr::from_bytes(name);
        let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Err("missing".into()),
            Err(e) => return Err(format!("cannot stat: {e}")),
        };
        let ft = FileType::from_raw_mode(st.st_mode);
        let kind_ok = matches!(
            (entry.kind, ft),
            (EntryKind::Dir, FileType::Directory)
                | (EntryKind::File, FileType::RegularFile)
                | (EntryKind::Symlink, FileType::Symlink)
                | (EntryKind::Fifo, FileType::Fifo)
                | (EntryKind::CharDevice, FileType::CharacterDevice)
                | (EntryKind::BlockDevice, FileType::BlockDevice)
        );
        if !kind_ok {
            return Err(format!(
                "a {:?} in the snapshot, not at the target",
                entry.kind
            ));
        }
        match entry.kind {
            EntryKind::Dir => {
                report.dirs += 1;
                Ok(true)
            }
            EntryKind::File => {
                let size: u64 = entry.content.iter().map(ContentPart::len).sum();
                if u64::try_from(st.st_size).ok() != Some(size) {
                    return Err(format!("size {} instead of {size}", st.st_size));
                }
                match same_content(self.repo, dir.as_fd(), name, entry) {
                    Ok(true) => {}
                    Ok(false) => return Err("content differs".into()),
                    Err(e) => return Err(format!("cannot read: {e}")),
                }
                report.files += 1;
                report.bytes += size;
                Ok(false)
            }
            EntryKind::Symlink => {
                let target = rustix::fs::readlinkat(dir, name, Vec::new())
                    .map_err(|e| format!("cannot read the link: {e}"))?;
                if Some(target.as_bytes()) != entry.symlink_target.as_deref() {
                    return Err("symlink target differs".into());
                }
                report.others += 1;
                Ok(false)
            }
            _ => {
                report.others += 1;
                Ok(false)
            }
        }
    }
}
