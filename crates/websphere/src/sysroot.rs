//! The one seam through which every *product path* is read.
//!
//! A product path is the absolute path the product itself uses and writes into its own
//! configuration (`/opt/IBM/WebSphere/AppServer/profiles/Dmgr01`). A [`Sysroot`] maps it
//! onto the *real* path on this machine: with the host sysroot (`/`) both are the same;
//! with `--sysroot DIR` the product path `/opt/x` is read from `DIR/opt/x`.
//!
//! With a non-`/` root, resolution is chroot-like: `..` never climbs above the root and a
//! symbolic link met inside the sysroot is resolved by this module, an absolute link target
//! being re-rooted under the sysroot. Nothing outside the sysroot is ever read through it.
//!
//! Paths shown to users and stored in manifests are product paths; every error of this
//! module names the product path and, when it differs, the real path.
//!
//! Resolution and the later open are two steps: a tree that is being changed while it is
//! read (a link swapped in between) is outside what this seam guards against. It is meant
//! for installed product trees and images, not for hostile, live-changing directories.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symbolic links one resolution may follow before it is declared a loop
/// (the same bound Linux uses for path lookup).
const MAX_SYMLINK_HOPS: usize = 40;

/// Errors of the [`Sysroot`] seam. Each names the product path (and the real path when it
/// differs), never file contents.
#[derive(Debug, thiserror::Error)]
pub enum SysrootError {
    /// The directory given as sysroot does not exist or is not a directory.
    #[error("sysroot {}: {reason}", root.display())]
    BadRoot {
        /// The root as given by the caller.
        root: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A product path must be absolute.
    #[error("product path {} is not absolute", path.display())]
    NotAbsolute {
        /// The offending path.
        path: PathBuf,
    },
    /// Following symbolic links did not end (a cycle, or more than 40 hops).
    #[error("too many levels of symbolic links resolving {}{}", product.display(), real_note(real))]
    SymlinkLoop {
        /// The product path being resolved.
        product: PathBuf,
        /// The real path being resolved.
        real: Option<PathBuf>,
    },
    /// An I/O operation on a product path failed.
    #[error("cannot {action} {}{}: {source}", product.display(), real_note(real))]
    Io {
        /// What was being done ("read", "list", "stat", ...).
        action: &'static str,
        /// The product path.
        product: PathBuf,
        /// The real path, when it differs from the product path.
        real: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl SysrootError {
    /// The `io::ErrorKind` behind this error, if it came from the operating system.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            SysrootError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }

    /// True when the error means "the file does not exist".
    pub fn is_not_found(&self) -> bool {
        self.io_kind() == Some(io::ErrorKind::NotFound)
    }

    /// What went wrong without the path: for a message that names the path already
    /// (`<path>: cannot read it: Permission denied`).
    pub fn detail(&self) -> String {
        match self {
            SysrootError::Io { action, source, .. } => format!("cannot {action} it: {source}"),
            SysrootError::SymlinkLoop { .. } => "too many levels of symbolic links".into(),
            other => other.to_string(),
        }
    }
}

fn real_note(real: &Option<PathBuf>) -> String {
    match real {
        Some(r) => format!(" (real path {})", r.display()),
        None => String::new(),
    }
}

/// The mapping from product paths to real paths. Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct Sysroot {
    /// The canonical real root (no symlinks, absolute). `/` for the host.
    root: PathBuf,
    /// The root as the caller gave it, used by [`Sysroot::product_path`] so that real paths
    /// built from the un-canonicalised root map back too.
    given: PathBuf,
}

impl fmt::Debug for Sysroot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sysroot({})", self.root.display())
    }
}

impl Default for Sysroot {
    fn default() -> Self {
        Sysroot::host()
    }
}

impl Sysroot {
    /// The host itself: product paths are real paths.
    pub fn host() -> Sysroot {
        Sysroot {
            root: PathBuf::from("/"),
            given: PathBuf::from("/"),
        }
    }

    /// A sysroot at `root`, which must be an existing directory. The root is
    /// canonicalised, so a relative or symlinked `root` is fine.
    pub fn new(root: &Path) -> Result<Sysroot, SysrootError> {
        let bad = |reason: String| SysrootError::BadRoot {
            root: root.to_path_buf(),
            reason,
        };
        let canonical = fs::canonicalize(root).map_err(|e| bad(e.to_string()))?;
        let meta = fs::metadata(&canonical).map_err(|e| bad(e.to_string()))?;
        if !meta.is_dir() {
            return Err(bad("not a directory".to_string()));
        }
        let given = if root.is_absolute() {
            root.to_path_buf()
        } else {
            canonical.clone()
        };
        Ok(Sysroot {
            root: canonical,
            given,
        })
    }

    /// The real (canonical) root directory; `/` for the host.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// True when this is the host sysroot (`/`), i.e. product paths are real paths.
    pub fn is_host(&self) -> bool {
        self.root == Path::new("/")
    }

    /// The real path for an absolute product path, following every symbolic link
    /// (chroot-style under a non-`/` root). Components that do not exist are kept as they
    /// are, so the path of a file about to be created can be computed too.
    pub fn real_path(&self, product: &Path) -> Result<PathBuf, SysrootError> {
        self.resolve(product, true)
    }

    /// Like [`Sysroot::real_path`], but a symbolic link in the *last* component is not
    /// followed (for `lstat`, `readlink`, and for backing up links as links).
    pub fn real_path_no_follow(&self, product: &Path) -> Result<PathBuf, SysrootError> {
        self.resolve(product, false)
    }

    /// The product path for a real path under this root, or `None` when `real` lies
    /// outside the sysroot (or is relative). Inverse of [`Sysroot::real_path`] for paths
    /// without symbolic links.
    pub fn product_path(&self, real: &Path) -> Option<PathBuf> {
        if !real.is_absolute() {
            return None;
        }
        if self.is_host() {
            return Some(real.to_path_buf());
        }
        for base in [&self.root, &self.given] {
            if let Ok(rest) = real.strip_prefix(base) {
                let mut product = PathBuf::from("/");
                for c in rest.components() {
                    match c {
                        Component::Normal(n) => product.push(n),
                        Component::CurDir => {}
                        // A real path that climbs with `..` may leave the root: refuse it.
                        _ => return None,
                    }
                }
                return Some(product);
            }
        }
        None
    }

    /// Reads a whole file as UTF-8 text.
    pub fn read_to_string(&self, product: &Path) -> Result<String, SysrootError> {
        let real = self.real_path(product)?;
        fs::read_to_string(&real).map_err(|e| self.io_error("read", product, &real, e))
    }

    /// Reads a whole file as bytes.
    pub fn read(&self, product: &Path) -> Result<Vec<u8>, SysrootError> {
        let real = self.real_path(product)?;
        fs::read(&real).map_err(|e| self.io_error("read", product, &real, e))
    }

    /// Opens a file for streaming reads.
    pub fn open(&self, product: &Path) -> Result<fs::File, SysrootError> {
        let real = self.real_path(product)?;
        fs::File::open(&real).map_err(|e| self.io_error("open", product, &real, e))
    }

    /// Whether the product path exists (after following links). Any error (including a
    /// relative path or a permission problem) reads as `false`; use
    /// [`Sysroot::try_exists`] to tell them apart.
    pub fn exists(&self, product: &Path) -> bool {
        matches!(self.try_exists(product), Ok(true))
    }

    /// Whether the product path exists, distinguishing "no" from "cannot tell".
    pub fn try_exists(&self, product: &Path) -> Result<bool, SysrootError> {
        let real = self.real_path(product)?;
        real.try_exists()
            .map_err(|e| self.io_error("stat", product, &real, e))
    }

    /// Whether the product path is a directory (after following links); `false` on error.
    pub fn is_dir(&self, product: &Path) -> bool {
        self.metadata(product).map(|m| m.is_dir()).unwrap_or(false)
    }

    /// Whether the product path is a regular file (after following links); `false` on error.
    pub fn is_file(&self, product: &Path) -> bool {
        self.metadata(product).map(|m| m.is_file()).unwrap_or(false)
    }

    /// The names in a directory, sorted bytewise (deterministic output), as `OsString`
    /// because product trees can hold names that are not UTF-8.
    pub fn read_dir(&self, product: &Path) -> Result<Vec<OsString>, SysrootError> {
        Ok(self
            .read_dir_entries(product)?
            .into_iter()
            .map(|e| e.name)
            .collect())
    }

    /// The entries of a directory with their file types (links are not followed), sorted
    /// by name.
    pub fn read_dir_entries(&self, product: &Path) -> Result<Vec<DirEntryInfo>, SysrootError> {
        let real = self.real_path(product)?;
        let list_err = |e| self.io_error("list", product, &real, e);
        let mut out = Vec::new();
        for entry in fs::read_dir(&real).map_err(list_err)? {
            let entry = entry.map_err(|e| self.io_error("list", product, &real, e))?;
            let file_type = entry
                .file_type()
                .map_err(|e| self.io_error("list", product, &real, e))?;
            out.push(DirEntryInfo {
                name: entry.file_name(),
                file_type,
            });
        }
        out.sort_by(|a, b| a.name.as_encoded_bytes().cmp(b.name.as_encoded_bytes()));
        Ok(out)
    }

    /// Metadata of the product path, following links.
    pub fn metadata(&self, product: &Path) -> Result<fs::Metadata, SysrootError> {
        let real = self.real_path(product)?;
        fs::metadata(&real).map_err(|e| self.io_error("stat", product, &real, e))
    }

    /// Metadata of the product path without following a link in the last component.
    pub fn symlink_metadata(&self, product: &Path) -> Result<fs::Metadata, SysrootError> {
        let real = self.real_path_no_follow(product)?;
        fs::symlink_metadata(&real).map_err(|e| self.io_error("stat", product, &real, e))
    }

    /// The target of a symbolic link, as stored in the link (a product-side path: an
    /// absolute target means a product path, not a real one).
    pub fn read_link(&self, product: &Path) -> Result<PathBuf, SysrootError> {
        let real = self.real_path_no_follow(product)?;
        fs::read_link(&real).map_err(|e| self.io_error("read link", product, &real, e))
    }

    fn io_error(
        &self,
        action: &'static str,
        product: &Path,
        real: &Path,
        source: io::Error,
    ) -> SysrootError {
        SysrootError::Io {
            action,
            product: product.to_path_buf(),
            real: (real != product).then(|| real.to_path_buf()),
            source,
        }
    }

    /// Resolves a product path to a real path.
    ///
    /// On the host the OS does the resolution itself, so the path is returned as given.
    /// Under another root, components are walked one at a time; every existing symlink
    /// (except perhaps the last component) is replaced by its target, re-rooted when
    /// absolute, and `..` pops a resolved component but never the root.
    fn resolve(&self, product: &Path, follow_last: bool) -> Result<PathBuf, SysrootError> {
        if !product.is_absolute() {
            return Err(SysrootError::NotAbsolute {
                path: product.to_path_buf(),
            });
        }
        if self.is_host() {
            return Ok(product.to_path_buf());
        }
        let mut pending: VecDeque<OsString> = VecDeque::new();
        push_components(&mut pending, product, false);
        let mut resolved: Vec<OsString> = Vec::new();
        // Once a component is missing, nothing below it can be a link: stop probing.
        let mut missing = false;
        let mut hops = 0usize;
        while let Some(name) = pending.pop_front() {
            if name == ".." {
                resolved.pop();
                // Popping a missing component may bring us back onto existing ground.
                missing = false;
                continue;
            }
            if missing {
                resolved.push(name);
                continue;
            }
            let candidate = self.join_real(&resolved, Some(&name));
            let is_last = pending.is_empty();
            match fs::symlink_metadata(&candidate) {
                Ok(meta) if meta.file_type().is_symlink() && (follow_last || !is_last) => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(SysrootError::SymlinkLoop {
                            product: product.to_path_buf(),
                            real: Some(candidate),
                        });
                    }
                    let target = fs::read_link(&candidate)
                        .map_err(|e| self.io_error("read link", product, &candidate, e))?;
                    if target.is_absolute() {
                        resolved.clear();
                    }
                    push_components(&mut pending, &target, true);
                }
                Ok(_) => resolved.push(name),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    missing = true;
                    resolved.push(name);
                }
                Err(e) if e.kind() == io::ErrorKind::NotADirectory => {
                    missing = true;
                    resolved.push(name);
                }
                Err(e) => return Err(self.io_error("stat", product, &candidate, e)),
            }
        }
        Ok(self.join_real(&resolved, None))
    }

    fn join_real(&self, resolved: &[OsString], extra: Option<&OsStr>) -> PathBuf {
        let mut p = self.root.clone();
        for c in resolved {
            p.push(c);
        }
        if let Some(e) = extra {
            p.push(e);
        }
        p
    }
}

/// Pushes the normal and `..` components of `path` onto the queue, at the front when
/// `front` (a link target replaces the link and precedes what followed it).
fn push_components(queue: &mut VecDeque<OsString>, path: &Path, front: bool) {
    let comps: Vec<OsString> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    if front {
        for c in comps.into_iter().rev() {
            queue.push_front(c);
        }
    } else {
        queue.extend(comps);
    }
}

/// One entry of [`Sysroot::read_dir_entries`].
#[derive(Debug, Clone)]
pub struct DirEntryInfo {
    /// The entry's name (may not be UTF-8).
    pub name: OsString,
    /// The entry's type, links not followed.
    pub file_type: fs::FileType,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree() -> (tempfile::TempDir, Sysroot) {
        let dir = tempfile::tempdir().unwrap();
        let sys = Sysroot::new(dir.path()).unwrap();
        fs::create_dir_all(dir.path().join("opt/IBM/WAS/profiles/Dmgr01")).unwrap();
        fs::write(
            dir.path().join("opt/IBM/WAS/profiles/Dmgr01/a.txt"),
            "inside",
        )
        .unwrap();
        (dir, sys)
    }

    #[test]
    fn maps_product_to_real_and_back() {
        let (dir, sys) = tree();
        let real = sys
            .real_path(Path::new("/opt/IBM/WAS/profiles/Dmgr01/a.txt"))
            .unwrap();
        assert_eq!(real, sys.root().join("opt/IBM/WAS/profiles/Dmgr01/a.txt"));
        assert_eq!(
            sys.product_path(&real).unwrap(),
            PathBuf::from("/opt/IBM/WAS/profiles/Dmgr01/a.txt")
        );
        // The root as given (maybe not canonical) maps back too.
        let given = dir.path().join("opt");
        assert_eq!(sys.product_path(&given).unwrap(), PathBuf::from("/opt"));
        assert_eq!(sys.product_path(Path::new("/elsewhere/x")), None);
        assert_eq!(sys.product_path(Path::new("relative")), None);
    }

    #[test]
    fn rejects_relative_product_paths_and_bad_roots() {
        let (dir, sys) = tree();
        let err = sys.real_path(Path::new("opt/x")).unwrap_err();
        assert!(err.to_string().contains("opt/x"), "{err}");
        let missing = dir.path().join("nope");
        let err = Sysroot::new(&missing).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let file = dir.path().join("opt/IBM/WAS/profiles/Dmgr01/a.txt");
        let err = Sysroot::new(&file).unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
    }

    #[test]
    fn dotdot_never_climbs_above_root() {
        let (_dir, sys) = tree();
        let real = sys.real_path(Path::new("/../../../etc/passwd")).unwrap();
        assert_eq!(real, sys.root().join("etc/passwd"));
        let real = sys
            .real_path(Path::new("/opt/IBM/../../../../opt/IBM"))
            .unwrap();
        assert_eq!(real, sys.root().join("opt/IBM"));
    }

    #[test]
    fn absolute_symlinks_are_rerooted() {
        let (dir, sys) = tree();
        // /opt/link -> /opt/IBM/WAS (absolute, product-side)
        symlink("/opt/IBM/WAS", dir.path().join("opt/link")).unwrap();
        let text = sys
            .read_to_string(Path::new("/opt/link/profiles/Dmgr01/a.txt"))
            .unwrap();
        assert_eq!(text, "inside");
        // A link pointing at the host's /etc must not leave the sysroot.
        symlink("/etc", dir.path().join("opt/etc")).unwrap();
        let real = sys.real_path(Path::new("/opt/etc/passwd")).unwrap();
        assert_eq!(real, sys.root().join("etc/passwd"));
        assert!(!sys.exists(Path::new("/opt/etc/passwd")));
    }

    #[test]
    fn relative_symlinks_with_dotdot_stay_inside() {
        let (dir, sys) = tree();
        symlink("../../../../../../..", dir.path().join("opt/IBM/up")).unwrap();
        let real = sys.real_path(Path::new("/opt/IBM/up/opt/IBM/WAS")).unwrap();
        assert_eq!(real, sys.root().join("opt/IBM/WAS"));
        symlink("WAS/profiles", dir.path().join("opt/IBM/p")).unwrap();
        assert!(sys.is_dir(Path::new("/opt/IBM/p/Dmgr01")));
    }

    #[test]
    fn symlink_loops_are_reported() {
        let (dir, sys) = tree();
        symlink("/opt/b", dir.path().join("opt/a")).unwrap();
        symlink("/opt/a", dir.path().join("opt/b")).unwrap();
        let err = sys.read(Path::new("/opt/a/x")).unwrap_err();
        assert!(matches!(err, SysrootError::SymlinkLoop { .. }), "{err}");
        assert!(err.to_string().contains("/opt/a/x"), "{err}");
    }

    #[test]
    fn no_follow_keeps_the_last_link() {
        let (dir, sys) = tree();
        symlink("/opt/IBM", dir.path().join("opt/l")).unwrap();
        let meta = sys.symlink_metadata(Path::new("/opt/l")).unwrap();
        assert!(meta.file_type().is_symlink());
        assert!(sys.metadata(Path::new("/opt/l")).unwrap().is_dir());
        assert_eq!(
            sys.read_link(Path::new("/opt/l")).unwrap(),
            PathBuf::from("/opt/IBM")
        );
    }

    #[test]
    fn errors_name_product_and_real_path() {
        let (_dir, sys) = tree();
        let err = sys
            .read_to_string(Path::new("/opt/missing.xml"))
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("/opt/missing.xml"), "{msg}");
        assert!(
            msg.contains(&sys.root().join("opt/missing.xml").display().to_string()),
            "{msg}"
        );
        assert!(err.is_not_found());
    }

    #[test]
    fn read_dir_is_sorted_and_keeps_non_utf8_names() {
        use std::os::unix::ffi::OsStrExt;
        let (dir, sys) = tree();
        let base = dir.path().join("opt/IBM/WAS/profiles");
        fs::create_dir(base.join("AppSrv01")).unwrap();
        let odd = OsStr::from_bytes(b"caf\xe9");
        fs::create_dir(base.join(odd)).unwrap();
        let names = sys.read_dir(Path::new("/opt/IBM/WAS/profiles")).unwrap();
        assert_eq!(
            names,
            vec![
                OsString::from("AppSrv01"),
                OsString::from("Dmgr01"),
                odd.to_os_string()
            ]
        );
    }

    #[test]
    fn host_sysroot_is_identity() {
        let sys = Sysroot::host();
        assert!(sys.is_host());
        assert_eq!(
            sys.real_path(Path::new("/etc/hostname")).unwrap(),
            PathBuf::from("/etc/hostname")
        );
        assert_eq!(
            sys.product_path(Path::new("/x/y")).unwrap(),
            PathBuf::from("/x/y")
        );
        assert!(sys.is_dir(Path::new("/")));
    }

    #[test]
    fn missing_intermediate_components_still_map() {
        let (_dir, sys) = tree();
        let real = sys
            .real_path(Path::new("/var/ibm/InstallationManager/installed.xml"))
            .unwrap();
        assert_eq!(
            real,
            sys.root().join("var/ibm/InstallationManager/installed.xml")
        );
    }
}
