//! The staging directory native tools write their images into: created private, handed to
//! the tool's user, and checked for free space before a backup.

use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
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
        let u = os_user(user)?;
        if u.uid != nix::unistd::geteuid() {
            nix::unistd::chown(dir, Some(u.uid), Some(u.gid))
                .map_err(|e| DbError::io(dir, std::io::Error::from(e)))?;
        }
    }
    Ok(())
}

/// The OS user `name` (`database.run_as`).
pub fn os_user(name: &str) -> Result<nix::unistd::User, DbError> {
    nix::unistd::User::from_name(name)
        .map_err(|e| DbError::io(Path::new("/etc/passwd"), std::io::Error::from(e)))?
        .ok_or_else(|| DbError::NoSuchUser {
            user: name.to_owned(),
        })
}

/// Proves, changing nothing that stays, that a backup can stage its images in `dir`: the
/// directory exists or can be created (a probe directory is made and removed in it, or in
/// its nearest existing ancestor), it is not on a read-only file system, and when the tool
/// runs as `run_as` that user can write into a directory cnxbackup prepares there (checked
/// by writing a file as that user, the way the vendor tool will). Returns the bytes free.
pub fn check_staging(dir: &Path, run_as: Option<&str>) -> Result<u64, DbError> {
    let bad = |message: String| DbError::Staging {
        dir: dir.to_path_buf(),
        message,
    };
    let mut base = dir;
    while !base.exists() {
        match base.parent() {
            Some(p) if p.as_os_str().is_empty() => base = Path::new("."),
            Some(p) => base = p,
            None => break,
        }
    }
    if !base.is_dir() {
        return Err(bad(format!(
            "{} is not a directory; set database.staging_dir to a directory",
            base.display()
        )));
    }
    let st = nix::sys::statvfs::statvfs(base).map_err(|e| DbError::io(base, e.into()))?;
    if st.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY) {
        return Err(bad(format!(
            "{} is on a read-only file system; set database.staging_dir to a writable one",
            base.display()
        )));
    }
    let probe = base.join(format!(
        ".cnxbackup-probe-{}-{}",
        std::process::id(),
        vault::now_unix_ns()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&probe)
        .map_err(|e| {
            bad(format!(
                "cannot create a directory in {} ({e}); make it writable for the user cnxbackup \
                 runs as, or set database.staging_dir",
                base.display()
            ))
        })?;
    let written = match run_as {
        Some(user) => write_as(&probe, user),
        None => Ok(()),
    };
    let _ = std::fs::remove_dir_all(&probe);
    written.map_err(bad)?;
    #[allow(clippy::useless_conversion)] // the field types differ between targets
    let available = u64::from(st.blocks_available()).saturating_mul(u64::from(st.fragment_size()));
    Ok(available)
}

/// Writes and removes a file in `dir` as `user`, the way the vendor tool will write its
/// images into the run directory cnxbackup creates and hands to that user.
fn write_as(dir: &Path, user: &str) -> Result<(), String> {
    let u = os_user(user).map_err(|e| e.to_string())?;
    if u.uid != nix::unistd::geteuid() {
        nix::unistd::chown(dir, Some(u.uid), Some(u.gid))
            .map_err(|e| format!("cannot hand {} to {user}: {e}", dir.display()))?;
    }
    let file = dir.join("probe");
    let spec = crate::process::CommandSpec::new("/bin/sh")
        .arg("-c")
        .arg(r#"umask 077; : > "$1" && rm -f "$1""#)
        .arg("sh")
        .arg(&file)
        .run_as(Some(user))
        .timeout(std::time::Duration::from_secs(30));
    match crate::process::run(&spec) {
        Ok(o) if o.success() => Ok(()),
        Ok(o) => Err(format!(
            "the database user {user} cannot write into it ({}); let {user} reach it (search \
             permission on every parent directory) or set database.staging_dir",
            o.tail(2).trim()
        )),
        Err(e) => Err(format!("cannot check writing as {user}: {e}")),
    }
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
    fn staging_is_proven_writable_without_leaving_anything() {
        let d = tempfile::tempdir().unwrap();
        let staging = d.path().join("not/yet");
        assert!(check_staging(&staging, None).unwrap() > 0);
        assert!(!staging.exists());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
        let file = d.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = check_staging(&file.join("sub"), None).unwrap_err();
        assert!(e.to_string().contains("is not a directory"), "{e}");
        let e = check_staging(d.path(), Some("no-such-user-cnx")).unwrap_err();
        assert!(e.to_string().contains("no-such-user-cnx"), "{e}");
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
