//! Which volume holds each path: for btrfs the nearest subvolume root above it (the
//! directory whose inode is 256, on a btrfs file system), for LVM and `command` the mount it
//! is on (`/proc/self/mountinfo`, the longest mount point above it). A mount point *inside*
//! a path is refused: the outer volume's snapshot would show it as an empty directory.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use super::common::{FsSnapError, SnapshotMethod, Volume};

/// The inode number of a btrfs subvolume's root directory.
const BTRFS_SUBVOLUME_ROOT_INODE: u64 = 256;

/// `statfs` magic of btrfs.
const BTRFS_SUPER_MAGIC: i64 = 0x9123_683e;

/// One line of `/proc/self/mountinfo`: mount point, file system type, source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    pub(crate) point: PathBuf,
    pub(crate) fstype: String,
    pub(crate) source: String,
}

/// The volumes of `paths`, each once, in the order first seen.
pub(super) fn find(method: SnapshotMethod, paths: &[PathBuf]) -> Result<Vec<Volume>, FsSnapError> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| FsSnapError::io(Path::new("/proc/self/mountinfo"), e))?;
    let mounts = parse_mountinfo(&mountinfo);
    let mut out: Vec<Volume> = Vec::new();
    for path in paths {
        let real = path.canonicalize().map_err(|e| FsSnapError::io(path, e))?;
        if let Some(inner) = mounts
            .iter()
            .find(|m| m.point != real && m.point.starts_with(&real))
        {
            return Err(FsSnapError::Volume {
                path: path.clone(),
                why: format!(
                    "{} is mounted inside it, and a snapshot of the volume holding {} would \
                     show it empty; leave the snapshot mode off or move that data",
                    inner.point.display(),
                    path.display()
                ),
            });
        }
        let mount = mount_of(&mounts, &real).ok_or_else(|| FsSnapError::Volume {
            path: path.clone(),
            why: "no mount holds it (is /proc mounted?)".into(),
        })?;
        let root = match method {
            SnapshotMethod::Btrfs => btrfs_subvolume_root(path, &real, mount)?,
            SnapshotMethod::Lvm | SnapshotMethod::Command => mount.point.clone(),
        };
        if !out.iter().any(|v| v.root == root) {
            out.push(Volume {
                root,
                device: mount.source.clone(),
                fstype: mount.fstype.clone(),
            });
        }
    }
    Ok(out)
}

/// The nearest btrfs subvolume root at or above `real`.
fn btrfs_subvolume_root(path: &Path, real: &Path, mount: &Mount) -> Result<PathBuf, FsSnapError> {
    let not_btrfs = || FsSnapError::Volume {
        path: path.to_path_buf(),
        why: format!(
            "is on {} ({}), not on btrfs: use snapshot.method = \"lvm\" or \"command\" for it",
            mount.point.display(),
            mount.fstype
        ),
    };
    let fs = nix::sys::statfs::statfs(real).map_err(|e| FsSnapError::io(real, e.into()))?;
    #[allow(clippy::useless_conversion)] // the field type differs between targets
    if i64::from(fs.filesystem_type().0) != BTRFS_SUPER_MAGIC {
        return Err(not_btrfs());
    }
    let dev = std::fs::metadata(real)
        .map_err(|e| FsSnapError::io(real, e))?
        .dev();
    let mut at = Some(real);
    while let Some(dir) = at {
        let meta = std::fs::metadata(dir).map_err(|e| FsSnapError::io(dir, e))?;
        if meta.dev() != dev {
            break;
        }
        if meta.is_dir() && meta.ino() == BTRFS_SUBVOLUME_ROOT_INODE {
            return Ok(dir.to_path_buf());
        }
        at = dir.parent();
    }
    Err(not_btrfs())
}

/// The mount holding `real`: the longest mount point above it (the last one mounted there
/// when several are stacked).
pub(crate) fn mount_of<'m>(mounts: &'m [Mount], real: &Path) -> Option<&'m Mount> {
    mounts
        .iter()
        .enumerate()
        .filter(|(_, m)| real.starts_with(&m.point))
        .max_by_key(|(i, m)| (m.point.components().count(), *i))
        .map(|(_, m)| m)
}

/// The mounts of `/proc/self/mountinfo` (`man 5 proc`): field 5 is the mount point, then
/// optional fields up to `-`, then the type and the source; `\040`-style escapes decoded.
pub(crate) fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let point = left.split(' ').nth(4)?;
            let mut right = right.split(' ');
            let fstype = right.next()?;
            let source = right.next().unwrap_or("");
            Some(Mount {
                point: PathBuf::from(unescape(point)),
                fstype: fstype.to_string(),
                source: unescape(source),
            })
        })
        .collect()
}

/// Decodes mountinfo's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` `\`).
fn unescape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let octal = b.get(i + 1..i + 4).and_then(|d| {
            let d = std::str::from_utf8(d).ok()?;
            u8::from_str_radix(d, 8).ok()
        });
        match (b[i], octal) {
            (b'\\', Some(v)) => {
                out.push(v);
                i += 4;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:26 / /data rw,relatime shared:9 - xfs /dev/mapper/vg0-data rw,attr2
31 30 0:27 / /data/shared rw shared:10 - btrfs /dev/loop0 rw,subvol=/
32 22 0:28 / /mnt/with\\040space rw - tmpfs tmpfs rw
";

    #[test]
    fn mountinfo_is_read_with_its_escapes() {
        let m = parse_mountinfo(MOUNTINFO);
        assert_eq!(m.len(), 4);
        assert_eq!(
            m[1],
            Mount {
                point: "/data".into(),
                fstype: "xfs".into(),
                source: "/dev/mapper/vg0-data".into()
            }
        );
        assert_eq!(m[3].point, Path::new("/mnt/with space"));
    }

    #[test]
    fn the_deepest_mount_holds_a_path() {
        let m = parse_mountinfo(MOUNTINFO);
        let at = |p: &str| mount_of(&m, Path::new(p)).unwrap().point.clone();
        assert_eq!(at("/data/shared/files"), Path::new("/data/shared"));
        assert_eq!(at("/data/local"), Path::new("/data"));
        assert_eq!(at("/opt/IBM"), Path::new("/"));
        // "/database" is not under "/data"
        assert_eq!(at("/database"), Path::new("/"));
    }

    #[test]
    fn a_mount_inside_a_path_is_refused_and_a_plain_path_is_found() {
        let d = tempfile::tempdir().unwrap();
        let v = find(SnapshotMethod::Command, &[d.path().to_path_buf()]).unwrap();
        assert_eq!(v.len(), 1);
        assert!(d.path().canonicalize().unwrap().starts_with(&v[0].root));
        // "/" holds every other mount point
        let err = find(SnapshotMethod::Command, &[PathBuf::from("/")]).unwrap_err();
        assert!(err.to_string().contains("is mounted inside it"), "{err}");
    }

    #[test]
    fn btrfs_is_refused_elsewhere() {
        // procfs is never btrfs
        let err = find(SnapshotMethod::Btrfs, &[PathBuf::from("/proc/self/status")]).unwrap_err();
        assert!(err.to_string().contains("not on btrfs"), "{err}");
        assert!(err.to_string().contains("(proc)"), "{err}");
    }
}
