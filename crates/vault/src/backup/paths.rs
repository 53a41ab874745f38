//! From the sources' stored paths to the shape of the snapshot's root tree.
//!
//! Every source has an absolute stored path (`/srv/data` is `srv/data` below the snapshot
//! root). For [`super::backup`], absolute paths are stored under themselves, relative ones
//! relative to the working directory, and `.` puts the directory's contents at the snapshot
//! root — so `cd DIR && backup --path .` restores into `--target` exactly, as with restic.
//! Directories on the way to the sources carry the metadata of their real counterpart
//! (`srv` that of the real `/srv`) or are synthetic. Overlapping sources are refused.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use super::walk::Excludes;
use super::BackupError;

/// The root tree's skeleton: directories on the way to the sources, then the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// The source with this index.
    Source(usize),
    /// An intermediate directory (metadata from `real`, or synthetic when `None`), holding
    /// only the named children.
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

/// The user's paths for [`super::backup`] as sources stored under their own (normalised)
/// path: absolute paths under their full path, relative ones below the root.
pub(crate) fn user_paths(
    paths: &[PathBuf],
    cwd: &Path,
) -> Result<Vec<(PathBuf, PathBuf)>, BackupError> {
    if paths.is_empty() {
        return Err(BackupError::InvalidPath {
            path: PathBuf::new(),
            reason: "no path to back up".into(),
        });
    }
    let mut seen: Vec<Vec<OsString>> = Vec::new();
    let mut out = Vec::new();
    for p in paths {
        let (abs, components) = normalise(p, cwd)?;
        if seen.contains(&components) {
            continue; // the same path twice
        }
        let mut stored = PathBuf::from("/");
        stored.extend(&components);
        seen.push(components);
        out.push((abs, stored));
    }
    Ok(out)
}

/// The components of an absolute stored path; `..` and relative paths are refused.
pub(crate) fn stored_components(stored: &Path) -> Result<Vec<OsString>, BackupError> {
    let invalid = |reason: &str| BackupError::InvalidPath {
        path: stored.to_path_buf(),
        reason: reason.to_string(),
    };
    if !stored.is_absolute() {
        return Err(invalid("a stored path must be absolute"));
    }
    let mut out = Vec::new();
    for c in stored.components() {
        match c {
            Component::RootDir | Component::CurDir => {}
            Component::Normal(n) => out.push(n.to_os_string()),
            Component::ParentDir | Component::Prefix(_) => {
                return Err(invalid("'..' is not allowed in a stored path"))
            }
        }
    }
    Ok(out)
}

/// One source as the layout sees it.
pub(crate) struct SourceSpec<'e> {
    /// Normalised stored path ("/" for the root).
    pub stored: PathBuf,
    pub components: Vec<OsString>,
    /// Real path of a `Path` source; `None` for streams and bytes.
    pub real: Option<PathBuf>,
    /// The source's exclude patterns (its own and the global ones).
    pub excludes: &'e Excludes,
}

/// Where each source goes.
#[derive(Debug)]
pub(crate) struct Layout {
    /// The root tree's skeleton: the directories on the way to the top-level sources.
    pub skeleton: Node,
    /// Sources stored inside another source's tree (which excludes their stored path),
    /// by the stored path of the directory they go in.
    pub nested: HashMap<PathBuf, Vec<usize>>,
    /// The stored paths, sorted (the snapshot's `paths`; the parent lookup compares them).
    pub paths: Vec<String>,
}

/// The stored path of `components` ("/" for none).
pub(crate) fn stored_path(components: &[OsString]) -> PathBuf {
    let mut p = PathBuf::from("/");
    p.extend(components);
    p
}

/// Checks that no stored path is provided by two sources and builds the skeleton.
///
/// A source may sit inside another `Path` source's stored tree only when that source
/// excludes exactly its stored path (and no directory between the two): e.g. a component
/// `data/shared` excluding `data/shared/provision`, and `provision` as its own source.
pub(crate) fn layout(specs: &[SourceSpec<'_>]) -> Result<Layout, BackupError> {
    let mut order: Vec<usize> = (0..specs.len()).collect();
    order.sort_by_key(|i| specs.get(*i).map_or(0, |s| s.components.len()));
    let mut root = Node::Inner {
        real: None,
        children: BTreeMap::new(),
    };
    let mut nested: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    let mut placed: Vec<usize> = Vec::new();
    for i in order {
        let Some(spec) = specs.get(i) else { continue };
        let enclosing = placed
            .iter()
            .filter_map(|p| specs.get(*p).map(|s| (*p, s)))
            .filter(|(_, s)| spec.components.starts_with(&s.components))
            .max_by_key(|(_, s)| s.components.len());
        if let Some((_, outer)) = enclosing {
            check_nesting(spec, outer)?;
            let parent = stored_path(spec.components.split_last().map_or(&[][..], |(_, p)| p));
            nested.entry(parent).or_default().push(i);
        } else {
            insert_top_level(&mut root, spec, i);
        }
        placed.push(i);
    }
    let mut paths: Vec<String> = specs
        .iter()
        .map(|s| s.stored.to_string_lossy().into_owned())
        .collect();
    paths.sort();
    Ok(Layout {
        skeleton: root,
        nested,
        paths,
    })
}

fn check_nesting(inner: &SourceSpec<'_>, outer: &SourceSpec<'_>) -> Result<(), BackupError> {
    let refuse = |reason: String| BackupError::InvalidPath {
        path: inner.stored.clone(),
        reason,
    };
    if inner.components == outer.components {
        return Err(refuse(
            "stored twice: two sources have this stored path".into(),
        ));
    }
    let overlaps = || {
        refuse(format!(
            "overlaps with {} (a source may lie inside another only when that one \
             excludes its stored path)",
            outer.stored.display()
        ))
    };
    if outer.real.is_none() {
        return Err(overlaps());
    }
    let excluded = |comps: &[OsString]| {
        let name = comps.last().map(OsString::as_os_str).unwrap_or_default();
        outer.excludes.is_excluded(&stored_path(comps), name)
    };
    if !excluded(&inner.components) {
        return Err(overlaps());
    }
    // the directories between the two are walked by the outer source: none may be excluded
    for depth in outer.components.len() + 1..inner.components.len() {
        let dir = inner.components.get(..depth).unwrap_or_default();
        if excluded(dir) {
            return Err(refuse(format!(
                "its directory {} is excluded from {}, so it has nowhere to go",
                stored_path(dir).display(),
                outer.stored.display()
            )));
        }
    }
    Ok(())
}

/// The real counterpart of the stored directory `components[..depth]` of a source: the real
/// path's ancestor when the trailing names of both paths match (a deployment under a sysroot:
/// `/tmp/x/opt/IBM` for `/opt/IBM`), `None` otherwise (a synthetic directory).
fn real_counterpart(spec: &SourceSpec<'_>, depth: usize) -> Option<PathBuf> {
    let real = spec.real.as_ref()?;
    let real_names: Vec<&std::ffi::OsStr> = real
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    let up = spec.components.len().checked_sub(depth)?;
    let stored_tail = spec.components.get(depth..)?;
    let real_tail = real_names.get(real_names.len().checked_sub(up)?..)?;
    if stored_tail
        .iter()
        .zip(real_tail)
        .all(|(a, b)| a.as_os_str() == *b)
    {
        let mut r = real.clone();
        for _ in 0..up {
            r.pop();
        }
        Some(r)
    } else {
        None
    }
}

fn insert_top_level(root: &mut Node, spec: &SourceSpec<'_>, index: usize) {
    if spec.components.is_empty() {
        *root = Node::Source(index);
        return;
    }
    let mut node = root;
    let depth = spec.components.len();
    for (i, name) in spec.components.iter().enumerate() {
        let Node::Inner { children, .. } = node else {
            return; // unreachable: enclosing sources were handled by the caller
        };
        if i + 1 == depth {
            children.insert(name.clone(), Node::Source(index));
            return;
        }
        let real = real_counterpart(spec, i + 1);
        let child = children.entry(name.clone()).or_insert_with(|| Node::Inner {
            real: None,
            children: BTreeMap::new(),
        });
        if let Node::Inner { real: r @ None, .. } = child {
            *r = real;
        }
        node = child;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    fn spec<'e>(stored: &str, real: Option<&str>, ex: &'e Excludes) -> SourceSpec<'e> {
        let stored = PathBuf::from(stored);
        SourceSpec {
            components: stored_components(&stored).unwrap(),
            stored,
            real: real.map(PathBuf::from),
            excludes: ex,
        }
    }

    #[test]
    fn relative_dot_is_the_root() {
        let cwd = tempfile::tempdir().unwrap();
        let s = user_paths(&[PathBuf::from(".")], cwd.path()).unwrap();
        assert_eq!(s, vec![(cwd.path().to_path_buf(), PathBuf::from("/"))]);
        let none = Excludes::new(&[]).unwrap();
        let l = layout(&[spec("/", Some("/x"), &none)]).unwrap();
        assert_eq!(l.skeleton, Node::Source(0));
        assert_eq!(l.paths, vec!["/".to_string()]);
    }

    #[test]
    fn intermediate_dirs_take_the_real_counterpart_when_names_match() {
        let none = Excludes::new(&[]).unwrap();
        let l = layout(&[
            spec(
                "/opt/IBM/Connections",
                Some("/tmp/x/opt/IBM/Connections"),
                &none,
            ),
            spec("/.cnxbackup/db/x.dump", None, &none),
            spec("/opt/data", Some("/elsewhere/stuff"), &none),
        ])
        .unwrap();
        let Node::Inner { children, .. } = &l.skeleton else {
            panic!("root must be inner")
        };
        let Some(Node::Inner {
            real,
            children: opt,
        }) = children.get(OsStr::new("opt"))
        else {
            panic!("opt")
        };
        assert_eq!(real.as_deref(), Some(Path::new("/tmp/x/opt")));
        let Some(Node::Inner { real, .. }) = opt.get(OsStr::new("IBM")) else {
            panic!("IBM")
        };
        assert_eq!(real.as_deref(), Some(Path::new("/tmp/x/opt/IBM")));
        assert_eq!(opt.get(OsStr::new("data")), Some(&Node::Source(2)));
        let Some(Node::Inner { real, .. }) = children.get(OsStr::new(".cnxbackup")) else {
            panic!(".cnxbackup")
        };
        assert_eq!(real, &None, "no real counterpart: synthetic");
        assert_eq!(l.paths[0], "/.cnxbackup/db/x.dump");
    }

    #[test]
    fn overlaps_are_refused_unless_excluded() {
        let none = Excludes::new(&[]).unwrap();
        let err = layout(&[
            spec("/a", Some("/a"), &none),
            spec("/a/b", Some("/a/b"), &none),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("overlaps with /a"), "{err}");
        let err =
            layout(&[spec("/a", Some("/a"), &none), spec("/a", Some("/b"), &none)]).unwrap_err();
        assert!(err.to_string().contains("stored twice"), "{err}");
        // the shared-data-minus-provision case
        let ex = Excludes::new(&["/d/shared/provision".into()]).unwrap();
        let l = layout(&[
            spec("/d/shared", Some("/r/d/shared"), &ex),
            spec("/d/shared/provision", Some("/r/d/shared/provision"), &none),
        ])
        .unwrap();
        assert_eq!(l.nested.get(Path::new("/d/shared")), Some(&vec![1]));
        // the directory between the two must not be excluded
        let ex = Excludes::new(&["/d/x".into(), "/d/x/y".into()]).unwrap();
        let err = layout(&[
            spec("/d", Some("/d"), &ex),
            spec("/d/x/y", Some("/q"), &none),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("nowhere to go"), "{err}");
        // a stream cannot hold anything
        let err = layout(&[spec("/s", None, &none), spec("/s/t", None, &none)]).unwrap_err();
        assert!(err.to_string().contains("overlaps"), "{err}");
    }

    #[test]
    fn bad_paths_are_refused() {
        assert!(stored_components(Path::new("rel")).is_err());
        assert!(stored_components(Path::new("/a/../b")).is_err());
        assert_eq!(stored_components(Path::new("/a/./b")).unwrap().len(), 2);
        let err = user_paths(&[PathBuf::from("../x")], Path::new("/tmp")).unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
        let same =
            user_paths(&[PathBuf::from("/a"), PathBuf::from("/a/")], Path::new("/")).unwrap();
        assert_eq!(same.len(), 1);
    }
}
