//! Applying an entry's metadata to a restored object, relative to its parent directory fd.
//!
//! Order matters: xattrs first (a read-only mode could stop us opening the file), then the
//! owner (chown clears setuid/setgid), then the mode, then the times last (every other step
//! may touch ctime, none of them mtime/atime). Nothing here follows a symlink.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use rustix::fs::{AtFlags, Gid, Mode, OFlags, Timestamps, Uid};

use crate::tree::{Entry, EntryKind};

/// One metadata step that did not work (the restore goes on and reports it).
#[derive(Debug)]
pub struct ApplyWarning {
    /// Which step: "xattr", "owner", "mode" or "times".
    pub what: &'static str,
    pub error: io::Error,
}

/// Whether the process runs with an effective uid of 0 (may chown and mknod devices).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

fn timespec(ns: i64) -> rustix::fs::Timespec {
    rustix::fs::Timespec {
        tv_sec: ns.div_euclid(1_000_000_000),
        tv_nsec: ns.rem_euclid(1_000_000_000) as _,
    }
}

/// Applies xattrs, owner (when `as_root`), mode and times of `entry` to `dir/name`.
/// Returns the steps that failed; an empty list means everything was applied.
pub fn apply_metadata(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    entry: &Entry,
    as_root: bool,
) -> Vec<ApplyWarning> {
    let mut warnings = Vec::new();
    let mut warn = |what, r: io::Result<()>| {
        if let Err(error) = r {
            warnings.push(ApplyWarning { what, error });
        }
    };

    if !entry.xattrs.is_empty() {
        warn("xattr", set_xattrs(dir, name, entry));
    }
    if as_root {
        let r = rustix::fs::chownat(
            dir,
            name,
            Some(Uid::from_raw(entry.uid)),
            Some(Gid::from_raw(entry.gid)),
            AtFlags::SYMLINK_NOFOLLOW,
        );
        warn("owner", r.map_err(io::Error::from));
    }
    // Linux has no mode on symlinks (fchmodat cannot even address one without following).
    if entry.kind != EntryKind::Symlink {
        let r = rustix::fs::chmodat(
            dir,
            name,
            Mode::from_raw_mode(entry.mode & 0o7777),
            AtFlags::empty(),
        );
        warn("mode", r.map_err(io::Error::from));
    }
    let times = Timestamps {
        last_access: timespec(entry.atime_ns),
        last_modification: timespec(entry.mtime_ns),
    };
    let r = rustix::fs::utimensat(dir, name, &times, AtFlags::SYMLINK_NOFOLLOW);
    warn("times", r.map_err(io::Error::from));
    warnings
}

fn set_xattrs(dir: BorrowedFd<'_>, name: &OsStr, entry: &Entry) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    match entry.kind {
        EntryKind::File | EntryKind::Dir | EntryKind::Fifo => {
            let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
            if entry.kind == EntryKind::Dir {
                flags |= OFlags::DIRECTORY;
            }
            let fd = rustix::fs::openat(dir, name, flags, Mode::empty())?;
            let file = File::from(fd);
            for x in &entry.xattrs {
                xattr::FileExt::set_xattr(&file, OsStr::from_bytes(&x.name), &x.value)?;
            }
            Ok(())
        }
        _ => {
            // Symlinks, sockets and devices cannot be opened safely: address the entry through
            // the parent's /proc fd link (lsetxattr does not follow the last component).
            let path =
                std::path::PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name);
            for x in &entry.xattrs {
                xattr::set(&path, OsStr::from_bytes(&x.name), &x.value)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn applies_mode_and_ns_times_without_following_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), b"x").unwrap();
        std::os::unix::fs::symlink("f", dir.path().join("l")).unwrap();
        let dirfd = File::open(dir.path()).unwrap();

        let mut e = Entry::new(b"f".to_vec(), EntryKind::File);
        e.mode = 0o640;
        e.mtime_ns = 1_600_000_000_123_456_789;
        e.atime_ns = 1_500_000_000_000_000_001;
        let w = apply_metadata(dirfd.as_fd(), OsStr::new("f"), &e, false);
        assert!(w.is_empty(), "{w:?}");
        let m = std::fs::symlink_metadata(dir.path().join("f")).unwrap();
        assert_eq!(m.permissions().mode() & 0o7777, 0o640);
        assert_eq!((m.mtime(), m.mtime_nsec()), (1_600_000_000, 123_456_789));
        assert_eq!((m.atime(), m.atime_nsec()), (1_500_000_000, 1));

        let mut l = Entry::new(b"l".to_vec(), EntryKind::Symlink);
        l.symlink_target = Some(b"f".to_vec());
        l.mtime_ns = 1_000_000_000_000_000_007;
        let w = apply_metadata(dirfd.as_fd(), OsStr::new("l"), &l, false);
        assert!(w.is_empty(), "{w:?}");
        let lm = std::fs::symlink_metadata(dir.path().join("l")).unwrap();
        assert_eq!((lm.mtime(), lm.mtime_nsec()), (1_000_000_000, 7));
        // the link's target kept its own times
        let m = std::fs::symlink_metadata(dir.path().join("f")).unwrap();
        assert_eq!(m.mtime_nsec(), 123_456_789);
    }

    #[test]
    fn negative_times_are_split_correctly() {
        let t = timespec(-1);
        assert_eq!((t.tv_sec, t.tv_nsec), (-1, 999_999_999));
    }
}
