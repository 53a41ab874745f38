//! File systems of their own for the tests of the file-system snapshot mode (they run as
//! root): a real btrfs in a loop device (`scripts/test` installs btrfs-progs; the image file
//! lives in the directory the caller gives, a temporary directory it removes), and a tmpfs
//! whose device name the LVM stand-in maps to a logical volume. Unmounted when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::SampleError;

/// A btrfs file system mounted at [`LoopBtrfs::mnt`].
#[derive(Debug)]
pub struct LoopBtrfs {
    /// Where it is mounted.
    pub mnt: PathBuf,
}

impl LoopBtrfs {
    /// Makes a btrfs of `size_mib` MiB in `dir/btrfs.img` and mounts it at `dir/mnt`.
    pub fn mount(dir: &Path, size_mib: u64) -> Result<LoopBtrfs, SampleError> {
        let image = dir.join("btrfs.img");
        let f = std::fs::File::create(&image).map_err(|e| SampleError::io(&image, e))?;
        f.set_len(size_mib << 20)
            .map_err(|e| SampleError::io(&image, e))?;
        run("mkfs.btrfs", &["-q".as_ref(), image.as_os_str()])?;
        let mnt = dir.join("mnt");
        std::fs::create_dir_all(&mnt).map_err(|e| SampleError::io(&mnt, e))?;
        run(
            "mount",
            &[
                "-o".as_ref(),
                "loop".as_ref(),
                image.as_os_str(),
                mnt.as_os_str(),
            ],
        )?;
        Ok(LoopBtrfs { mnt })
    }

    /// Creates subvolume `name` at the top of the file system; its path.
    pub fn subvolume(&self, name: &str) -> Result<PathBuf, SampleError> {
        let path = self.mnt.join(name);
        run(
            "btrfs",
            &["subvolume".as_ref(), "create".as_ref(), path.as_os_str()],
        )?;
        Ok(path)
    }

    /// The paths of the subvolumes in it (`btrfs subvolume list -o`-style, relative to the
    /// top), sorted.
    pub fn subvolumes(&self) -> Result<Vec<String>, SampleError> {
        let out = Command::new("btrfs")
            .args(["subvolume", "list"])
            .arg(&self.mnt)
            .output()
            .map_err(|e| SampleError::io(Path::new("btrfs"), e))?;
        let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split(" path ").nth(1).map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }
}

impl Drop for LoopBtrfs {
    fn drop(&mut self) {
        // lazily: a test that failed may still hold a file open in it
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

/// A tmpfs mounted at [`Tmpfs::mnt`] with `source` as its device name (what
/// `/proc/self/mountinfo` shows): for the LVM stand-in, the device of a logical volume.
#[derive(Debug)]
pub struct Tmpfs {
    /// Where it is mounted.
    pub mnt: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs named `source` at `dir` (created).
    pub fn mount(source: &str, dir: &Path) -> Result<Tmpfs, SampleError> {
        std::fs::create_dir_all(dir).map_err(|e| SampleError::io(dir, e))?;
        run(
            "mount",
            &[
                "-t".as_ref(),
                "tmpfs".as_ref(),
                source.as_ref(),
                dir.as_os_str(),
            ],
        )?;
        Ok(Tmpfs {
            mnt: dir.to_path_buf(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

/// Runs `program args` and fails unless it exits 0.
fn run(program: &str, args: &[&std::ffi::OsStr]) -> Result<(), SampleError> {
    let out = Command::new(program).args(args).output().map_err(|e| {
        SampleError::io(
            Path::new(program),
            std::io::Error::new(
                e.kind(),
                format!(
                    "{e} (the btrfs tests need root and btrfs-progs; scripts/test installs it)"
                ),
            ),
        )
    })?;
    if out.status.success() {
        return Ok(());
    }
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    Err(SampleError::Command {
        command: format!("{program} {}", words.join(" ")),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}
