//! Walk stage: list a directory, `lstat` each entry (never following symlinks), apply the
//! exclude patterns, and fill tree entries with everything but file content.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::summary::{Counters, WarningKind};
use super::BackupError;
use crate::fs_meta::{self, NameCache};
use crate::tree::{Entry, EntryKind};

/// Compiled exclude patterns.
#[derive(Debug)]
pub(crate) struct Excludes {
    by_name: GlobSet,
    by_path: GlobSet,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, BackupError> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        for p in patterns {
            let glob = Glob::new(p).map_err(|e| BackupError::BadExclude {
                pattern: p.clone(),
                reason: e.to_string(),
            })?;
            if p.contains('/') {
                by_path.add(glob);
            } else {
                by_name.add(glob);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| BackupError::BadExclude {
                pattern: patterns.join(", "),
                reason: e.to_string(),
            })
        };
        Ok(Excludes {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
        })
    }

    pub fn is_excluded(&self, path: &Path, name: &OsStr) -> bool {
        self.by_name.is_match(Path::new(name)) || self.by_path.is_match(path)
    }

    /// Whether an entry listed at `real` and stored at `stored` is excluded: path patterns
    /// match either path (stored paths are what the snapshot shows; real paths are what a
    /// user of `backup --path .` sees).
    pub fn is_excluded_at(&self, stored: &Path, real: &Path, name: &OsStr) -> bool {
        self.is_excluded(stored, name) || self.by_path.is_match(real)
    }
}

/// One listed entry: the metadata-filled tree entry and its real path.
#[derive(Debug)]
pub(crate) struct Listed {
    pub entry: Entry,
    pub path: PathBuf,
}

/// `lstat` + xattrs + symlink target of one path; `None` (with a warning) when it vanished
/// or cannot be stat'ed.
pub(crate) fn stat_entry(
    path: &Path,
    name: &OsStr,
    names: &NameCache,
    counters: &Counters,
    source: usize,
) -> Option<Listed> {
    let meta = match crate::fs_meta::long_path::reachable(path)
        .and_then(|r| std::fs::symlink_metadata(r.path()))
    {
        Ok(m) => m,
        Err(e) => {
            let kind = if e.kind() == io::ErrorKind::NotFound {
                WarningKind::Vanished
            } else {
                WarningKind::Unreadable
            };
            counters.warn(source, path.to_path_buf(), kind, e.to_string());
            return None;
        }
    };
    let mut entry = fs_meta::entry_from_metadata(name, &meta, names);
    match fs_meta::read_xattrs(path) {
        Ok(x) => entry.xattrs = x,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            counters.warn(
                source,
                path.to_path_buf(),
                WarningKind::Vanished,
                e.to_string(),
            );
            return None;
        }
        Err(e) => counters.warn(
            source,
            path.to_path_buf(),
            WarningKind::Metadata,
            format!("xattrs: {e}"),
        ),
    }
    if entry.kind == EntryKind::Symlink {
        match fs_meta::read_symlink(path) {
            Ok(t) => entry.symlink_target = Some(t),
            Err(e) => {
                let kind = if e.kind() == io::ErrorKind::NotFound {
                    WarningKind::Vanished
                } else {
                    WarningKind::Unreadable
                };
                counters.warn(
                    source,
                    path.to_path_buf(),
                    kind,
                    format!("symlink target: {e}"),
                );
                return None;
            }
        }
    }
    Some(Listed {
        entry,
        path: path.to_path_buf(),
    })
}

/// Opens a directory for listing without updating its atime where allowed (so an unchanged
/// directory's metadata, and therefore its tree blob, stays identical between runs).
fn open_dir_noatime(dir: &Path) -> rustix::io::Result<std::os::fd::OwnedFd> {
    use rustix::fs::{Mode, OFlags};
    let reachable = crate::fs_meta::long_path::reachable(dir)
        .map_err(|e| rustix::io::Errno::from_io_error(&e).unwrap_or(rustix::io::Errno::IO))?;
    let dir = reachable.path();
    let base = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::open(dir, base | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => rustix::fs::open(dir, base, Mode::empty()),
        other => other,
    }
}

/// Lists the real directory `dir`, stored as `stored` (sorted by name bytes), skipping
/// entries whose stored path or name is excluded. A directory that cannot be listed gives a
/// warning and no entries.
pub(crate) fn list_dir(
    dir: &Path,
    stored: &Path,
    excludes: &Excludes,
    names: &NameCache,
    counters: &Counters,
    source: usize,
) -> Vec<Listed> {
    let mut names_found = Vec::new();
    let listing = open_dir_noatime(dir).and_then(rustix::fs::Dir::new);
    let listing = match listing {
        Ok(d) => d,
        Err(e) => {
            let e = io::Error::from(e);
            let kind = if e.kind() == io::ErrorKind::NotFound {
                WarningKind::Vanished
            } else {
                WarningKind::Unreadable
            };
            counters.warn(
                source,
                dir.to_path_buf(),
                kind,
                format!("cannot list directory: {e}"),
            );
            return Vec::new();
        }
    };
    for item in listing {
        match item {
            Ok(d) => {
                let name = d.file_name().to_bytes();
                if name != b"." && name != b".." {
                    names_found.push(OsStr::from_bytes(name).to_os_string());
                }
            }
            Err(e) => {
                counters.warn(
                    source,
                    dir.to_path_buf(),
                    WarningKind::Unreadable,
                    format!("listing: {e}"),
                );
                break;
            }
        }
    }
    names_found.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut out = Vec::with_capacity(names_found.len());
    for name in names_found {
        let path = dir.join(&name);
        if excludes.is_excluded_at(&stored.join(&name), &path, &name) {
            continue;
        }
        if let Some(listed) = stat_entry(&path, &name, names, counters, source) {
            out.push(listed);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn excludes_by_name_and_by_path() {
        let ex = Excludes::new(&["*.tmp".into(), "/data/cache/**".into()]).unwrap();
        assert!(ex.is_excluded(Path::new("/x/a.tmp"), OsStr::new("a.tmp")));
        assert!(ex.is_excluded(Path::new("/data/cache/z"), OsStr::new("z")));
        assert!(!ex.is_excluded(Path::new("/data/keep"), OsStr::new("keep")));
        assert!(Excludes::new(&["a[".into()]).is_err());
    }

    #[test]
    fn lists_sorted_skips_excluded_and_reads_symlinks() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b"), b"1").unwrap();
        std::fs::write(d.path().join("a.tmp"), b"1").unwrap();
        std::os::unix::fs::symlink("/nonexistent", d.path().join("a")).unwrap();
        let counters = Counters::default();
        let ex = Excludes::new(&["*.tmp".into()]).unwrap();
        let got = list_dir(d.path(), d.path(), &ex, &NameCache::default(), &counters, 0);
        let names: Vec<&[u8]> = got.iter().map(|l| l.entry.name.as_slice()).collect();
        assert_eq!(names, vec![b"a".as_slice(), b"b".as_slice()]);
        assert_eq!(
            got[0].entry.symlink_target.as_deref(),
            Some(b"/nonexistent".as_slice())
        );
        assert!(counters.take_warnings().is_empty());
        let gone = d.path().join("gone");
        let missing = list_dir(&gone, &gone, &ex, &NameCache::default(), &counters, 0);
        assert!(missing.is_empty());
        assert_eq!(counters.take_warnings()[0].1.kind, WarningKind::Vanished);
    }
}
