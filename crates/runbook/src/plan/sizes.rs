//! Sizes on disk of the plan's paths, walked in parallel through the Sysroot.
//!
//! Counts like `du -s`: allocated blocks (`st_blocks * 512`), symbolic links not followed,
//! a file with several hard links counted once. The apparent size (sum of file lengths) is
//! reported beside it, because that is what a backup reads.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;
use serde::Serialize;
use websphere::Sysroot;

/// What a walk found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Allocated bytes on disk (what `du -s` reports, in bytes).
    pub disk_bytes: u64,
    /// Sum of file lengths.
    pub apparent_bytes: u64,
    /// Regular files (hard links counted once).
    pub files: u64,
    /// Directories, the top one included.
    pub dirs: u64,
    /// Symbolic links (not followed).
    pub symlinks: u64,
}

impl Usage {
    fn add(&mut self, other: Usage) {
        self.disk_bytes += other.disk_bytes;
        self.apparent_bytes += other.apparent_bytes;
        self.files += other.files;
        self.dirs += other.dirs;
        self.symlinks += other.symlinks;
    }
}

/// A path the walk could not read; the size is then a lower bound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SizeProblem {
    /// The product path concerned.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Walks state shared by the parallel workers of one measurement.
struct Walk<'a> {
    sysroot: &'a Sysroot,
    excluded: Vec<PathBuf>,
    seen_links: Mutex<HashSet<(u64, u64)>>,
    problems: Mutex<Vec<SizeProblem>>,
}

impl Walk<'_> {
    fn problem(&self, real: &Path, err: &std::io::Error) {
        let shown = self
            .sysroot
            .product_path(real)
            .unwrap_or_else(|| real.to_path_buf());
        if let Ok(mut p) = self.problems.lock() {
            p.push(SizeProblem {
                path: shown.display().to_string(),
                message: err.to_string(),
            });
        }
    }

    fn count_file(&self, meta: &fs::Metadata, usage: &mut Usage) {
        if meta.nlink() > 1 {
            let first = self
                .seen_links
                .lock()
                .map(|mut s| s.insert((meta.dev(), meta.ino())))
                .unwrap_or(true);
            if !first {
                return;
            }
        }
        usage.files += 1;
        usage.apparent_bytes += meta.len();
        usage.disk_bytes += meta.blocks() * 512;
    }

    fn dir(&self, real: &Path, meta: &fs::Metadata) -> Usage {
        let mut usage = Usage {
            dirs: 1,
            disk_bytes: meta.blocks() * 512,
            ..Usage::default()
        };
        let entries = match fs::read_dir(real) {
            Ok(e) => e,
            Err(err) => {
                self.problem(real, &err);
                return usage;
            }
        };
        let mut subdirs = Vec::new();
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    self.problem(real, &err);
                    continue;
                }
            };
            let path = entry.path();
            if self.excluded.iter().any(|x| x == &path) {
                continue;
            }
            // DirEntry::metadata does not follow symbolic links.
            match entry.metadata() {
                Ok(m) if m.is_dir() => subdirs.push((path, m)),
                Ok(m) if m.file_type().is_symlink() => {
                    usage.symlinks += 1;
                    usage.disk_bytes += m.blocks() * 512;
                }
                Ok(m) if m.is_file() => self.count_file(&m, &mut usage),
                Ok(m) => usage.disk_bytes += m.blocks() * 512,
                Err(err) => self.problem(&path, &err),
            }
        }
        let below =
            subdirs
                .par_iter()
                .map(|(p, m)| self.dir(p, m))
                .reduce(Usage::default, |mut a, b| {
                    a.add(b);
                    a
                });
        usage.add(below);
        usage
    }
}

/// Measures the product paths `paths` minus `excludes` (product paths inside them).
///
/// A path that does not exist counts nothing and is reported; so is every unreadable
/// directory below it.
pub fn measure(
    sysroot: &Sysroot,
    paths: &[String],
    excludes: &[String],
) -> (Usage, Vec<SizeProblem>) {
    let excluded = excludes
        .iter()
        .filter_map(|x| sysroot.real_path(Path::new(x)).ok())
        .collect();
    let walk = Walk {
        sysroot,
        excluded,
        seen_links: Mutex::new(HashSet::new()),
        problems: Mutex::new(Vec::new()),
    };
    let mut total = Usage::default();
    let mut problems = Vec::new();
    for product in paths {
        let real = match sysroot.real_path(Path::new(product)) {
            Ok(r) => r,
            Err(e) => {
                problems.push(SizeProblem {
                    path: product.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        match fs::symlink_metadata(&real) {
            Ok(m) if m.is_dir() => total.add(walk.dir(&real, &m)),
            Ok(m) if m.is_file() => walk.count_file(&m, &mut total),
            Ok(m) => total.disk_bytes += m.blocks() * 512,
            Err(e) => problems.push(SizeProblem {
                path: product.clone(),
                message: e.to_string(),
            }),
        }
    }
    problems.extend(walk.problems.into_inner().unwrap_or_default());
    (total, problems)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_files_dirs_links_and_honours_excludes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let data = root.join("opt/IBM/Connections/data/shared");
        fs::create_dir_all(data.join("provision/webresources")).unwrap();
        fs::create_dir_all(data.join("files/a")).unwrap();
        fs::write(data.join("files/a/one"), vec![1u8; 10_000]).unwrap();
        fs::write(data.join("provision/webresources/x.jar"), vec![2u8; 5000]).unwrap();
        fs::hard_link(data.join("files/a/one"), data.join("files/a/two")).unwrap();
        std::os::unix::fs::symlink("/nowhere", data.join("files/link")).unwrap();
        let sysroot = Sysroot::new(root).unwrap();
        let shared = "/opt/IBM/Connections/data/shared".to_string();
        let provision = "/opt/IBM/Connections/data/shared/provision".to_string();

        let (all, problems) = measure(&sysroot, std::slice::from_ref(&shared), &[]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(all.files, 2, "hard link counted once");
        assert_eq!(all.apparent_bytes, 15_000);
        assert_eq!(all.symlinks, 1);
        assert_eq!(all.dirs, 5);
        assert!(all.disk_bytes >= 15_000);

        let (without, _) = measure(&sysroot, std::slice::from_ref(&shared), &[provision]);
        assert_eq!(without.files, 1);
        assert_eq!(without.apparent_bytes, 10_000);
        assert_eq!(without.dirs, 3);
    }

    #[test]
    fn missing_path_is_a_problem_not_a_failure() {
        let tmp = tempfile::tempdir().unwrap();
        let sysroot = Sysroot::new(tmp.path()).unwrap();
        let (u, problems) = measure(&sysroot, &["/opt/none".to_string()], &[]);
        assert_eq!(u, Usage::default());
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "/opt/none");
    }
}
