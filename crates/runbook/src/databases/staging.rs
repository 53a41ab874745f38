//! The staging directory native tools write their images into: created private, handed to
//! the tool's user, and checked for free space before a backup.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::DbError;

/// The result of a free-space check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpaceCheck {
    /// The directory checked.
    pub dir: PathBuf,
    /// Bytes available to unprivileged writers (`f_bavail × f_frsize`).
    pub available: u64,
    /// Bytes the caller expects the images to take.
    pub needed: u64,
}

/// Checks that `dir` (or, when it does not exist yet, its nearest existing ancestor) has at
/// least `needed` bytes free. `needed` is the caller's estimate (e.g. the databases' sizes;
/// compressed images are usually smaller).
pub fn check_free_space(dir: &Path, needed: u64) -> Result<SpaceCheck, DbError> {
    // The nearest existing ancestor holds the space the directory will get. A relative
    // path's last ancestor is "" (the current directory), which statvfs cannot take.
    let mut probe = dir;
    while !probe.exists() {
        match probe.parent() {
            Some(p) if p.as_os_str().is_empty() => probe = Path::new("."),
            Some(p) => probe = p,
            None => break,
        }
    }
    let st = nix::sys::statvfs::statvfs(probe)
        .map_err(|e| DbError::io(probe, std::io::Error::from(e)))?;
    #[allow(clippy::useless_conversion)] // the field types differ between targets
    let available = u64::from(st.blocks_available()).saturating_mul(u64::from(st.fragment_size()));
    let check = SpaceCheck {
        dir: dir.to_path_buf(),
        available,
        needed,
    };
    if available < needed {
        return Err(DbError::NoSpace {
            dir: dir.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(check)
}

/// Creates `dir` (mode 0700) if needed and, when the tool runs as `owner`, gives it to that
/// user so the vendor tool can write its images there.
pub fn prepare_staging(dir: &Path, owner: Option<&str>) -> Result<(), DbError> {
    std::fs::create_dir_all(dir).map_err(|e| DbError::io(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| DbError::io(dir, e))?;
    if let Some(user) = owner {
        let u = nix::unistd::User::from_name(user)
            .map_err(|e| DbError::io(dir, std::io::Error::from(e)))?
            .ok_or_else(|| {
                DbError::Config(format!("database.run_as: there is no OS user {user:?}"))
            })?;
        if u.uid != nix::unistd::geteuid() {
            nix::unistd::chown(dir, Some(u.uid), Some(u.gid))
                .map_err(|e| DbError::io(dir, std::io::Error::from(e)))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_measured_and_enforced() {
        let d = tempfile::tempdir().unwrap();
        let ok = check_free_space(d.path(), 1).unwrap();
        assert!(ok.available > 1);
        let err = check_free_space(d.path(), u64::MAX).unwrap_err();
        assert!(err.to_string().contains("not enough free space"), "{err}");
        // A directory that does not exist yet is measured on its parent.
        assert!(check_free_space(&d.path().join("a/b"), 1).is_ok());
        // A relative directory that does not exist yet is measured on the current directory
        // (its last ancestor is the empty path, which statvfs refuses).
        let rel = Path::new("cnxbackup-no-such-staging-dir/images");
        assert!(!rel.exists());
        let c = check_free_space(rel, 1).unwrap();
        assert!(c.available > 1);
    }

    #[test]
    fn staging_is_created_private() {
        let d = tempfile::tempdir().unwrap();
        let s = d.path().join("stage");
        prepare_staging(&s, None).unwrap();
        let mode = std::fs::metadata(&s).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(prepare_staging(&s, Some("no-such-user-cnx")).is_err());
    }
}
