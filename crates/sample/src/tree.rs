//! Writes files below the sysroot: every path given here is a *product* path
//! (`/opt/IBM/...`) mapped to `<sysroot>/opt/IBM/...`.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::SampleError;

/// A writer rooted at a sysroot.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    sysroot: PathBuf,
}

impl Tree {
    pub(crate) fn new(sysroot: &Path) -> Self {
        Self {
            sysroot: sysroot.to_path_buf(),
        }
    }

    /// The real path of a product path.
    pub(crate) fn real(&self, product: &str) -> PathBuf {
        real_path(&self.sysroot, product)
    }

    pub(crate) fn mkdir(&self, product: &str) -> Result<PathBuf, SampleError> {
        let p = self.real(product);
        fs::create_dir_all(&p).map_err(|e| SampleError::io(&p, e))?;
        Ok(p)
    }

    pub(crate) fn mkdir_mode(&self, product: &str, mode: u32) -> Result<(), SampleError> {
        let p = self.mkdir(product)?;
        set_mode(&p, mode)
    }

    pub(crate) fn write(
        &self,
        product: &str,
        content: impl AsRef<[u8]>,
    ) -> Result<(), SampleError> {
        let p = self.real(product);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).map_err(|e| SampleError::io(parent, e))?;
        }
        fs::write(&p, content).map_err(|e| SampleError::io(&p, e))
    }

    pub(crate) fn write_mode(
        &self,
        product: &str,
        content: impl AsRef<[u8]>,
        mode: u32,
    ) -> Result<(), SampleError> {
        self.write(product, content)?;
        set_mode(&self.real(product), mode)
    }

    /// An executable script (0755).
    pub(crate) fn script(&self, product: &str, text: &str) -> Result<(), SampleError> {
        self.write_mode(product, text, 0o755)
    }

    /// A file whose name is raw bytes (may be non-UTF-8) inside a product directory.
    pub(crate) fn write_raw_name(
        &self,
        product_dir: &str,
        name: &[u8],
        content: &[u8],
    ) -> Result<(), SampleError> {
        let dir = self.mkdir(product_dir)?;
        let p = dir.join(OsStr::from_bytes(name));
        fs::write(&p, content).map_err(|e| SampleError::io(&p, e))
    }

    /// A symlink at `product_link` pointing at `target` (written verbatim: relative targets
    /// stay relative, absolute ones are product paths, as on the real machine).
    pub(crate) fn symlink(&self, target: &str, product_link: &str) -> Result<(), SampleError> {
        let link = self.real(product_link);
        if let Some(parent) = link.parent() {
            fs::create_dir_all(parent).map_err(|e| SampleError::io(parent, e))?;
        }
        if fs::symlink_metadata(&link).is_ok() {
            fs::remove_file(&link).map_err(|e| SampleError::io(&link, e))?;
        }
        std::os::unix::fs::symlink(target, &link).map_err(|e| SampleError::io(&link, e))
    }

    pub(crate) fn exists(&self, product: &str) -> bool {
        fs::symlink_metadata(self.real(product)).is_ok()
    }

    pub(crate) fn remove(&self, product: &str) -> Result<(), SampleError> {
        let p = self.real(product);
        let meta = fs::symlink_metadata(&p).map_err(|e| SampleError::io(&p, e))?;
        if meta.is_dir() {
            fs::remove_dir_all(&p).map_err(|e| SampleError::io(&p, e))
        } else {
            fs::remove_file(&p).map_err(|e| SampleError::io(&p, e))
        }
    }
}

/// `<sysroot>/<product path without its leading slash>`.
pub(crate) fn real_path(sysroot: &Path, product: &str) -> PathBuf {
    sysroot.join(product.trim_start_matches('/'))
}

pub(crate) fn set_mode(p: &Path, mode: u32) -> Result<(), SampleError> {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(|e| SampleError::io(p, e))
}
