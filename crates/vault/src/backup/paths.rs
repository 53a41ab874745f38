//! From the paths a user named to the shape of the snapshot's root tree.
//!
//! Absolute paths are stored below the root by their full path (`/srv/data` becomes
//! `srv/data` in the snapshot, with `srv` carrying the metadata of the real `/srv`).
//! Relative paths are stored relative to the working directory, and `.` puts the
//! directory's contents at the snapshot root — so `cd DIR && backup --path .` restores into
//! `--target` exactly, as with restic. Overlapping paths are refused.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::BackupError;

/// One source path: where it is and where it goes in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SourcePath {
    /// Absolute, lexically normalised path on this machine.
    pub abs: PathBuf,
    /// Components below the snapshot root (empty: the path *is* the root).
    pub components: Vec<OsString>,
}

/// The root tree's skeleton: directories on the way to the sources, then the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// Back up this path entirely.
    Source(PathBuf),
    /// An intermediate directory (metadata from `real`), holding only the named children.
    Inner {
        real: Option<PathBuf>,
        children: BTreeMap<OsString, Node>,
    },
}

fn normalise(p: &Path, cwd: &Path) -> Result<(PathBuf, Vec<OsString>), BackupError> {
    let invalid = |reason: &str| BackupError::InvalidPath {
        path: p.to_path_buf(),
        reason: reason.to_string(),
    };
    if p.as_os_str().is_empty() {
        return Err(invalid("empty path"));
    }
    let relative = p.is_relative();
    let mut stored: Vec<OsString> = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                if stored.pop().is_none() {
                    return Err(invalid(
                        "'..' leaves the working directory; give an absolute path instead",
                    ));
                }
            }
            Component::Normal(name) => stored.push(name.to_os_string()),
        }
    }
    let mut abs = if relative {
        cwd.to_path_buf()
    } else {
        PathBuf::from("/")
    };
    for c in &stored {
        abs.push(c);
    }
    Ok((abs, stored))
}

/// Normalises the user's paths and checks they do not overlap.
pub(crate) fn resolve(paths: &[PathBuf], cwd: &Path) -> Result<Vec<SourcePath>, BackupError> {
    if paths.is_empty() {
        return Err(BackupError::InvalidPath {
            path: PathBuf::new(),
            reason: "no path to back up".into(),
        });
    }
    let mut out: Vec<SourcePath> = Vec::new();
    for p in paths {
        let (abs, components) = normalise(p, cwd)?;
        if out.iter().any(|s| s.components == components) {
            continue; // the same path twice
        }
        if let Some(other) = out.iter().find(|s| {
            s.components.starts_with(&components) || components.starts_with(&s.components)
        }) {
            return Err(BackupError::InvalidPath {
                path: p.clone(),
                reason: format!("overlaps with {}", other.abs.display()),
            });
        }
        std::fs::symlink_metadata(&abs).map_err(|source| BackupError::Source {
            path: abs.clone(),
            source,
        })?;
        out.push(SourcePath { abs, components });
    }
    Ok(out)
}

/// The absolute paths for the snapshot document (sorted, so the parent lookup can compare).
pub(crate) fn snapshot_paths(sources: &[SourcePath]) -> Vec<String> {
    let mut v: Vec<String> = sources
        .iter()
        .map(|s| s.abs.to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Builds the skeleton of the root tree.
pub(crate) fn skeleton(sources: &[SourcePath]) -> Node {
    if let Some(root) = sources.iter().find(|s| s.components.is_empty()) {
        return Node::Source(root.abs.clone());
    }
    let mut root = Node::Inner {
        real: None,
        children: BTreeMap::new(),
    };
    for s in sources {
        let mut node = &mut root;
        let mut real = s.abs.clone();
        // the real path of each intermediate directory: strip the remaining components
        let depth = s.components.len();
        for (i, name) in s.components.iter().enumerate() {
            let last = i + 1 == depth;
            let Node::Inner { children, .. } = node else {
                break; // unreachable: overlaps were refused
            };
            if last {
                children.insert(name.clone(), Node::Source(s.abs.clone()));
                break;
            }
            real.clone_from(&s.abs);
            for _ in 0..(depth - i - 1) {
                real.pop();
            }
            node = children.entry(name.clone()).or_insert_with(|| Node::Inner {
                real: Some(real.clone()),
                children: BTreeMap::new(),
            });
        }
    }
    root
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn relative_dot_is_the_root() {
        let cwd = tempfile::tempdir().unwrap();
        let s = resolve(&[PathBuf::from(".")], cwd.path()).unwrap();
        assert_eq!(s[0].components, Vec::<OsString>::new());
        assert_eq!(skeleton(&s), Node::Source(cwd.path().to_path_buf()));
    }

    #[test]
    fn absolute_paths_keep_their_full_path() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::create_dir_all(d.path().join("a/c")).unwrap();
        let s = resolve(
            &[d.path().join("a/b"), d.path().join("a/./c")],
            Path::new("/"),
        )
        .unwrap();
        let Node::Inner { children, .. } = skeleton(&s) else {
            panic!("root must be inner")
        };
        // walk down to "a"
        let mut node = children.values().next().unwrap();
        let mut real = None;
        while let Node::Inner {
            children, real: r, ..
        } = node
        {
            if children.len() == 2 {
                real = r.clone();
                break;
            }
            node = children.values().next().unwrap();
        }
        assert_eq!(real.unwrap(), d.path().join("a"));
        assert_eq!(snapshot_paths(&s).len(), 2);
    }

    #[test]
    fn overlapping_and_missing_paths_are_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        let err = resolve(&[d.path().join("a"), d.path().join("a/b")], Path::new("/")).unwrap_err();
        assert!(err.to_string().contains("overlaps"), "{err}");
        let err = resolve(&[d.path().join("nope")], Path::new("/")).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = resolve(&[PathBuf::from("../x")], d.path()).unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
