//! The LVM stand-in (`scripts/lvm.sh`): `lvs`, `lvcreate`, `lvremove`, `mount` and `umount`
//! for the tests of the snapshot mode's LVM method, where the kernel's device mapper is not
//! available. Put [`LvmStandIn::bin`] first in `PATH`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::SampleError;

const BODY: &str = include_str!("scripts/lvm.sh");

/// The names the stand-in answers to.
const TOOLS: [&str; 5] = ["lvs", "lvcreate", "lvremove", "mount", "umount"];

/// An installed LVM stand-in.
#[derive(Debug, Clone)]
pub struct LvmStandIn {
    /// The directory holding the commands.
    pub bin: PathBuf,
    state: PathBuf,
}

impl LvmStandIn {
    /// Installs the commands in `dir/bin`, their state in `dir/state`.
    pub fn install(dir: &Path) -> Result<LvmStandIn, SampleError> {
        let bin = dir.join("bin");
        let state = dir.join("state");
        for d in [&bin, &state] {
            std::fs::create_dir_all(d).map_err(|e| SampleError::io(d, e))?;
        }
        let volumes = state.join("volumes");
        std::fs::write(&volumes, "").map_err(|e| SampleError::io(&volumes, e))?;
        let script = format!(
            "#!/usr/bin/env bash\nset -u\nSTATE={:?}\n{BODY}",
            state.display().to_string()
        );
        for tool in TOOLS {
            let p = bin.join(tool);
            std::fs::write(&p, &script).map_err(|e| SampleError::io(&p, e))?;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| SampleError::io(&p, e))?;
        }
        Ok(LvmStandIn { bin, state })
    }

    /// A logical volume `vg_lv` (`vg0/data`) behind the mounted `device`, holding `dir`.
    pub fn add_volume(&self, device: &str, vg_lv: &str, dir: &Path) -> Result<(), SampleError> {
        use std::io::Write as _;
        let p = self.state.join("volumes");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .map_err(|e| SampleError::io(&p, e))?;
        writeln!(f, "{device}\t{vg_lv}\t{}", dir.display()).map_err(|e| SampleError::io(&p, e))
    }

    /// This process's `PATH` with the stand-in's commands first (for `set_var` in a test
    /// of its own process, or a child's environment).
    pub fn path_first(&self) -> std::ffi::OsString {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let dirs = std::iter::once(self.bin.clone()).chain(std::env::split_paths(&path));
        // the stand-in's directory is one this crate made: no ':' in it
        std::env::join_paths(dirs).unwrap_or(path)
    }

    /// Every call so far, one line each (`lvcreate --snapshot ...`).
    pub fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("lvm.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The snapshots that exist (`vg0/NAME`), sorted.
    pub fn snapshots(&self) -> Vec<String> {
        let mut out = Vec::new();
        let Ok(vgs) = std::fs::read_dir(self.state.join("lv")) else {
            return out;
        };
        for vg in vgs.flatten() {
            let Ok(lvs) = std::fs::read_dir(vg.path()) else {
                continue;
            };
            for lv in lvs.flatten().filter(|e| e.path().is_dir()) {
                out.push(format!(
                    "{}/{}",
                    vg.file_name().to_string_lossy(),
                    lv.file_name().to_string_lossy()
                ));
            }
        }
        out.sort();
        out
    }
}
