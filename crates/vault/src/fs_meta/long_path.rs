//! Paths longer than the kernel takes (`PATH_MAX`, 4,096 bytes) at any depth a file system
//! holds (issue 21: a 25-level tree of 200-byte names lost everything below depth 21).
//!
//! A long path is reached through a directory handle: its parent directory is opened one
//! component at a time (`openat`, relative names, never following a symlink), and the entry
//! is then named `/proc/self/fd/<parent>/<name>` — a short path every path-based call
//! (`lstat`, `llistxattr`, `readlink`, `open(O_NOFOLLOW)`) takes, which resolves through the
//! open handle, not through the long name. Short paths are used as they are.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{Mode, OFlags};

/// Paths at least this long go through a directory handle (a margin below `PATH_MAX` for
/// the `/proc/self/fd/N/` prefix and the terminating NUL).
const LONG: usize = 3_500;

/// A path the kernel accepts for the entry at a (possibly long) path: keep it alive while
/// the path is used (it holds the parent directory's handle).
#[derive(Debug)]
pub struct Reachable {
    _parent: Option<OwnedFd>,
    path: PathBuf,
}

impl Reachable {
    /// The path to hand to system calls.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The entry at `path`, reachable by a short path (see the module documentation). Fails
/// when a directory on the way cannot be opened (or is a symlink).
pub fn reachable(path: &Path) -> io::Result<Reachable> {
    if path.as_os_str().len() < LONG {
        return Ok(Reachable {
            _parent: None,
            path: path.to_path_buf(),
        });
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Ok(Reachable {
            _parent: None,
            path: path.to_path_buf(),
        });
    };
    let dir = open_dir_by_components(parent)?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name);
    Ok(Reachable {
        _parent: Some(dir),
        path: short,
    })
}

/// Open directory `path` one component at a time, never following a symlink below the
/// first component.
fn open_dir_by_components(path: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut dir = rustix::fs::open(
        if path.is_absolute() { "/" } else { "." },
        flags,
        Mode::empty(),
    )?;
    for c in path.components() {
        let name: &OsStr = match c {
            Component::Normal(n) => n,
            Component::ParentDir => OsStr::from_bytes(b".."),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => continue,
        };
        dir = rustix::fs::openat(&dir, name, flags | OFlags::NOFOLLOW, Mode::empty())?;
    }
    Ok(dir)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn short_paths_stay_and_long_ones_go_through_a_handle() {
        let root = tempfile::tempdir().unwrap();
        let mut dir = root.path().to_path_buf();
        let name = "d".repeat(200);
        while dir.as_os_str().len() < 5_000 {
            dir.push(&name);
            // create one level at a time through the parent's handle
            let r = reachable(&dir).unwrap();
            std::fs::create_dir(r.path()).unwrap();
        }
        let file = dir.join("f");
        let r = reachable(&file).unwrap();
        assert!(r.path().starts_with("/proc/self/fd/"), "{:?}", r.path());
        std::fs::write(r.path(), b"deep").unwrap();
        assert_eq!(
            std::fs::read(reachable(&file).unwrap().path()).unwrap(),
            b"deep"
        );
        let meta = std::fs::symlink_metadata(reachable(&dir).unwrap().path()).unwrap();
        assert!(meta.is_dir());
        let near = root.path().join("x");
        assert_eq!(reachable(&near).unwrap().path(), near.as_path());
        // the kernel itself refuses the long path
        assert!(std::fs::symlink_metadata(&file).is_err());
        // clean up from the deepest level (remove_dir_all cannot take the long names)
        std::fs::remove_file(reachable(&file).unwrap().path()).unwrap();
        let mut d = dir;
        while d.as_os_str().len() > root.path().as_os_str().len() {
            std::fs::remove_dir(reachable(&d).unwrap().path()).unwrap();
            d.pop();
        }
    }
}
