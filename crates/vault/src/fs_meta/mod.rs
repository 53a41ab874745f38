//! File system metadata: capturing it into tree [`Entry`]s at backup time and applying it
//! again at restore time.
//!
//! Capture never follows symlinks (`lstat`, `llistxattr`, `readlink`). Application works
//! relative to an open directory descriptor with `AT_SYMLINK_NOFOLLOW`, so restoring metadata
//! never reaches through a symlink either.

mod apply;
pub mod long_path;
mod names;

pub use apply::{apply_metadata, is_root, ApplyWarning};
pub use names::NameCache;

use std::ffi::OsStr;
use std::fs::Metadata;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::tree::{Entry, EntryKind, Xattr};

/// The entry kind of an `lstat` result.
pub fn kind_of(meta: &Metadata) -> EntryKind {
    let ft = meta.file_type();
    if ft.is_symlink() {
        EntryKind::Symlink
    } else if ft.is_dir() {
        EntryKind::Dir
    } else if ft.is_fifo() {
        EntryKind::Fifo
    } else if ft.is_socket() {
        EntryKind::Socket
    } else if ft.is_char_device() {
        EntryKind::CharDevice
    } else if ft.is_block_device() {
        EntryKind::BlockDevice
    } else {
        EntryKind::File
    }
}

fn ns(secs: i64, nsec: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nsec)
}

/// An entry filled from `lstat` metadata (no xattrs, target or content yet).
pub fn entry_from_metadata(name: &OsStr, meta: &Metadata, names: &NameCache) -> Entry {
    let kind = kind_of(meta);
    let mut e = Entry::new(name.as_bytes().to_vec(), kind);
    e.mode = meta.mode() & 0o7777;
    e.uid = meta.uid();
    e.gid = meta.gid();
    e.user = names.user(e.uid);
    e.group = names.group(e.gid);
    e.mtime_ns = ns(meta.mtime(), meta.mtime_nsec());
    e.atime_ns = ns(meta.atime(), meta.atime_nsec());
    e.ctime_ns = ns(meta.ctime(), meta.ctime_nsec());
    e.size = meta.size();
    e.dev = meta.dev();
    e.inode = meta.ino();
    e.nlink = meta.nlink();
    if matches!(kind, EntryKind::CharDevice | EntryKind::BlockDevice) {
        e.rdev = meta.rdev();
    }
    e
}

/// The extended attributes of `path` (not following a symlink), sorted by name.
/// A file system without xattr support gives an empty list.
pub fn read_xattrs(path: &Path) -> io::Result<Vec<Xattr>> {
    let reachable = long_path::reachable(path)?;
    let path = reachable.path();
    let names = match xattr::list(path) {
        Ok(names) => names,
        Err(e) if is_unsupported(&e) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for name in names {
        // An attribute removed between list and get is simply gone.
        if let Some(value) = xattr::get(path, &name)? {
            out.push(Xattr {
                name: name.as_bytes().to_vec(),
                value,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Whether an I/O error means "this file system does not do that".
pub fn is_unsupported(e: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        e.raw_os_error().map(Errno::from_raw_os_error),
        Some(Errno::OPNOTSUPP | Errno::NOSYS)
    )
}

/// The target of a symlink as raw bytes.
pub fn read_symlink(path: &Path) -> io::Result<Vec<u8>> {
    let reachable = long_path::reachable(path)?;
    Ok(std::fs::read_link(reachable.path())?
        .into_os_string()
        .into_vec_bytes())
}

trait IntoVecBytes {
    fn into_vec_bytes(self) -> Vec<u8>;
}

impl IntoVecBytes for std::ffi::OsString {
    fn into_vec_bytes(self) -> Vec<u8> {
        std::os::unix::ffi::OsStringExt::into_vec(self)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::symlink;

    #[test]
    fn captures_file_symlink_and_fifo() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"hello").unwrap();
        let l = dir.path().join("l");
        symlink(OsStr::from_bytes(b"\xffnowhere"), &l).unwrap();
        let p = dir.path().join("p");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &p,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o640),
            0,
        )
        .unwrap();
        let names = NameCache::default();

        let meta = std::fs::symlink_metadata(&f).unwrap();
        let e = entry_from_metadata(OsStr::new("f"), &meta, &names);
        assert_eq!(e.kind, EntryKind::File);
        assert_eq!(e.size, 5);
        assert_eq!(e.inode, meta.ino());
        assert!(e.mtime_ns > 1_000_000_000_000_000_000);

        let meta = std::fs::symlink_metadata(&l).unwrap();
        assert_eq!(kind_of(&meta), EntryKind::Symlink);
        assert_eq!(read_symlink(&l).unwrap(), b"\xffnowhere");

        let meta = std::fs::symlink_metadata(&p).unwrap();
        let e = entry_from_metadata(OsStr::new("p"), &meta, &names);
        assert_eq!(e.kind, EntryKind::Fifo);
        assert_eq!(e.mode, 0o640 & !umask_bits());
    }

    fn umask_bits() -> u32 {
        // Tests run with the ambient umask; mknod applies it.
        let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
        rustix::process::umask(old);
        old.bits()
    }

    #[test]
    fn xattrs_are_read_sorted_when_supported() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        if xattr::set(&f, "user.b", b"2").is_err() {
            return; // file system without user xattrs: nothing to test here
        }
        xattr::set(&f, "user.a", b"\x00\x01").unwrap();
        let got = read_xattrs(&f).unwrap();
        let names: Vec<&[u8]> = got.iter().map(|x| x.name.as_slice()).collect();
        assert_eq!(names, vec![b"user.a".as_slice(), b"user.b".as_slice()]);
        assert_eq!(got[0].value, b"\x00\x01");
    }
}
