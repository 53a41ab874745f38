//! Restore never writes outside its target.
//!
//! Two rules, both enforced here:
//! - a tree entry name must be one plain path component: not empty, not `.` or `..`, no `/`
//!   and no NUL ([`check_entry_name`]);
//! - every path under the target is resolved by the kernel with `openat2(RESOLVE_BENEATH |
//!   RESOLVE_NO_SYMLINKS)` relative to the target directory's descriptor, so a symlink
//!   already present at the target (or planted meanwhile) is never crossed. Kernels without
//!   `openat2` fall back to opening one component at a time with `O_NOFOLLOW`.

use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Why an entry name is refused, or `Ok` for a plain component.
pub fn check_entry_name(name: &[u8]) -> Result<(), &'static str> {
    match name {
        b"" => Err("empty name"),
        b"." => Err("name is \".\""),
        b".." => Err("name is \"..\""),
        _ if name.contains(&b'/') => Err("name contains '/'"),
        _ if name.contains(&0) => Err("name contains a NUL byte"),
        _ => Ok(()),
    }
}

/// A path below the target, as components that each passed [`check_entry_name`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RelPath(Vec<Vec<u8>>);

impl RelPath {
    pub fn root() -> RelPath {
        RelPath(Vec::new())
    }

    /// This path plus one component (the caller has checked the name).
    pub fn join(&self, name: &[u8]) -> RelPath {
        let mut c = self.0.clone();
        c.push(name.to_vec());
        RelPath(c)
    }

    pub fn components(&self) -> &[Vec<u8>] {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The parent path and the last component (`None` for the root).
    pub fn split_last(&self) -> Option<(RelPath, &[u8])> {
        let (last, rest) = self.0.split_last()?;
        Some((RelPath(rest.to_vec()), last.as_slice()))
    }

    /// Depth below the target (root = 0).
    pub fn depth(&self) -> usize {
        self.0.len()
    }

    /// As a relative `Path` (raw bytes joined with '/'; "." for the root).
    pub fn to_path(&self) -> PathBuf {
        if self.0.is_empty() {
            return PathBuf::from(".");
        }
        let mut bytes = Vec::new();
        for (i, c) in self.0.iter().enumerate() {
            if i > 0 {
                bytes.push(b'/');
            }
            bytes.extend_from_slice(c);
        }
        PathBuf::from(OsStr::from_bytes(&bytes))
    }

    /// For messages: "/a/b" (lossy for non-UTF-8 names).
    pub fn display(&self) -> String {
        let mut s = String::new();
        for c in &self.0 {
            s.push('/');
            s.push_str(&String::from_utf8_lossy(c));
        }
        if s.is_empty() {
            s.push('/');
        }
        s
    }
}

/// The restore target, held open; all access goes through it.
#[derive(Debug)]
pub struct SafeTarget {
    root: OwnedFd,
    path: PathBuf,
}

impl SafeTarget {
    /// Opens (creating it if missing) the target directory. The part of `path` that exists
    /// may be reached through symlinks the user chose; the directories it lacks are created
    /// one at a time (`mkdirat`) and each opened without following a symlink, so a link
    /// planted where one of them goes is refused, never written through. Everything below
    /// the target is then resolved without symlinks ([`SafeTarget::open_beneath`]).
    pub fn open(path: &Path) -> io::Result<SafeTarget> {
        let mut missing = Vec::new();
        let mut existing = path;
        let mut dir = loop {
            match open_dir_following(existing) {
                Ok(fd) => break fd,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    let (Some(parent), Some(name)) = (existing.parent(), existing.file_name())
                    else {
                        return Err(e);
                    };
                    missing.push(name);
                    existing = if parent.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        parent
                    };
                }
                Err(e) => return Err(e),
            }
        };
        for name in missing.into_iter().rev() {
            dir = make_dir_beneath(&dir, name)?;
        }
        Ok(SafeTarget {
            root: dir,
            path: path.to_path_buf(),
        })
    }

    /// Opens the target directory `path`, which must lie inside `root`: `root` may be
    /// reached through symlinks (the user's choice), but from it down to `path` no symlink
    /// is followed, and missing directories are created one at a time without following
    /// one. A symlink on the way (say a failed update's `opt -> /opt` inside a restore
    /// root) makes the open fail ([`is_path_crossing`]) instead of leading outside `root`.
    pub fn open_within(root: &Path, path: &Path) -> io::Result<SafeTarget> {
        let rel = path.strip_prefix(root).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not inside {}", path.display(), root.display()),
            )
        })?;
        let mut dir = open_dir_following(root)?;
        for c in rel.components() {
            match c {
                std::path::Component::Normal(name) => dir = make_dir_beneath(&dir, name)?,
                std::path::Component::CurDir => {}
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("{}: '..' below the restore root", path.display()),
                    ))
                }
            }
        }
        Ok(SafeTarget {
            root: dir,
            path: path.to_path_buf(),
        })
    }

    /// Opens the target directory if it exists (`None` when it does not), without creating
    /// anything (dry runs).
    pub fn open_existing(path: &Path) -> io::Result<Option<SafeTarget>> {
        match rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(root) => Ok(Some(SafeTarget {
                root,
                path: path.to_path_buf(),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The target as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The target directory's descriptor.
    pub fn root_fd(&self) -> BorrowedFd<'_> {
        self.root.as_fd()
    }

    /// Opens `rel` below the target without crossing any symlink. `flags` gets `O_NOFOLLOW`
    /// and `O_CLOEXEC` added, so the last component is not followed either.
    pub fn open_beneath(&self, rel: &RelPath, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let flags = flags | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let path = rel.to_path();
        let resolve =
            ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
        match rustix::fs::openat2(&self.root, &path, flags, mode, resolve) {
            // no openat2, or a relative path longer than the kernel takes (any depth a file
            // system holds is restored): one component at a time
            Err(Errno::NOSYS | Errno::NAMETOOLONG) => self.open_by_components(rel, flags, mode),
            other => other.map_err(io::Error::from),
        }
    }

    fn open_by_components(&self, rel: &RelPath, flags: OFlags, mode: Mode) -> io::Result<OwnedFd> {
        let Some((parent, last)) = rel.split_last() else {
            return Ok(rustix::fs::openat(&self.root, ".", flags, mode)?);
        };
        let mut dir = rustix::fs::openat(
            &self.root,
            ".",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        for c in parent.components() {
            dir = rustix::fs::openat(
                &dir,
                OsStr::from_bytes(c),
                OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
        }
        Ok(rustix::fs::openat(
            &dir,
            OsStr::from_bytes(last),
            flags,
            mode,
        )?)
    }

    /// A descriptor of directory `rel` usable with the `*at` calls.
    pub fn open_dir(&self, rel: &RelPath) -> io::Result<OwnedFd> {
        self.open_beneath(rel, OFlags::PATH | OFlags::DIRECTORY, Mode::empty())
    }

    /// Opens an existing regular file below the target for positional writes.
    pub fn open_file_for_write(&self, rel: &RelPath) -> io::Result<File> {
        Ok(File::from(self.open_beneath(
            rel,
            OFlags::WRONLY,
            Mode::empty(),
        )?))
    }
}

/// Opens a directory by path, following symlinks (the user's part of the target path).
fn open_dir_following(path: &Path) -> io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        path,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens directory `name` in `dir` without following a symlink, creating it first if it is
/// not there.
fn make_dir_beneath(dir: &OwnedFd, name: &OsStr) -> io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::openat(dir, name, flags, Mode::empty()) {
        Err(Errno::NOENT) => {}
        other => return Ok(other?),
    }
    match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755)) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?)
}

/// Whether an error from [`SafeTarget::open_beneath`] means "a symlink (or a non-directory)
/// is in the way" rather than an ordinary I/O failure.
pub fn is_path_crossing(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error().map(Errno::from_raw_os_error),
        Some(Errno::LOOP | Errno::XDEV | Errno::NOTDIR)
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_that_escape_are_refused() {
        for bad in [&b""[..], b".", b"..", b"a/b", b"/", b"a\0"] {
            assert!(check_entry_name(bad).is_err(), "{bad:?}");
        }
        for good in [&b"a"[..], b"...", b"..a", b"\xff\xfe", b" "] {
            assert!(check_entry_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn symlinked_parent_is_never_crossed() {
        let outside = tempfile::tempdir().unwrap();
        let target = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), target.path().join("evil")).unwrap();
        let t = SafeTarget::open(target.path()).unwrap();
        let rel = RelPath::root().join(b"evil").join(b"file");
        let err = t
            .open_beneath(
                &rel,
                OFlags::WRONLY | OFlags::CREATE,
                Mode::from_raw_mode(0o600),
            )
            .unwrap_err();
        assert!(is_path_crossing(&err), "{err}");
        assert!(!outside.path().join("file").exists());
        // the fallback path refuses too
        let err = t
            .open_by_components(
                &rel,
                OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW,
                Mode::from_raw_mode(0o600),
            )
            .unwrap_err();
        assert!(is_path_crossing(&err), "{err}");
        assert!(!outside.path().join("file").exists());
        // a symlink as the last component is not followed
        let err = t
            .open_beneath(
                &RelPath::root().join(b"evil"),
                OFlags::PATH | OFlags::DIRECTORY,
                Mode::empty(),
            )
            .unwrap_err();
        assert!(is_path_crossing(&err), "{err}");
    }

    #[test]
    fn missing_target_directories_are_never_created_through_a_symlink() {
        let outside = tempfile::tempdir().unwrap();
        let base = tempfile::tempdir().unwrap();
        // a dangling link where a missing directory of the target path goes
        std::os::unix::fs::symlink(outside.path().join("made"), base.path().join("a")).unwrap();
        let err = SafeTarget::open(&base.path().join("a/b/c")).unwrap_err();
        assert!(is_path_crossing(&err), "{err}");
        assert!(!outside.path().join("made").exists());
        // missing directories are created one by one
        let t = SafeTarget::open(&base.path().join("x/y/z")).unwrap();
        assert!(base.path().join("x/y/z").is_dir());
        assert_eq!(t.path(), base.path().join("x/y/z"));
        // the existing part may go through a link the user chose
        std::os::unix::fs::symlink(outside.path(), base.path().join("mine")).unwrap();
        SafeTarget::open(&base.path().join("mine/sub")).unwrap();
        assert!(outside.path().join("sub").is_dir());
    }

    #[test]
    fn open_within_follows_no_symlink_below_the_root() {
        let outside = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("opt")).unwrap();
        let err = SafeTarget::open_within(root.path(), &root.path().join("opt/IBM")).unwrap_err();
        assert!(is_path_crossing(&err), "{err}");
        assert!(!outside.path().join("IBM").exists());
        let t = SafeTarget::open_within(root.path(), &root.path().join("data/shared")).unwrap();
        assert!(root.path().join("data/shared").is_dir());
        drop(t);
        assert!(SafeTarget::open_within(root.path(), Path::new("/elsewhere")).is_err());
    }

    #[test]
    fn rel_paths_render() {
        let p = RelPath::root().join(b"a").join(b"b\xff");
        assert_eq!(p.to_path(), PathBuf::from(OsStr::from_bytes(b"a/b\xff")));
        assert_eq!(p.display(), "/a/b\u{fffd}");
        assert_eq!(RelPath::root().to_path(), PathBuf::from("."));
        let (parent, last) = p.split_last().unwrap();
        assert_eq!(parent.components().len(), 1);
        assert_eq!(last, b"b\xff");
    }
}
