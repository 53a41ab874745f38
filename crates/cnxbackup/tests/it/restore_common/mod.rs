//! Helpers for the deployment restore tests: run `cnxbackup restore` with the backup
//! harness's configuration, and list a tree (content, mode, mtime, owner, links) so that
//! "byte for byte with modes and times" is one `assert_eq!`.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::backup_common::{Harness, Run};
use runbook::manifest::{Manifest, StepStatus};

/// Paths of a sample sysroot that are not the deployment's: the stand-ins' own logs and
/// state, the database state (compared through the stand-in), and each profile's
/// temp/wstemp (emptied by the restore, by design). The rule `cnxbackup demo` compares by.
pub fn volatile(rel: &str) -> bool {
    cnxbackup::commands::demo::volatile(rel)
}

/// The exact Connections version installed under `root`.
pub fn version_at(root: &Path) -> String {
    let sys = websphere::Sysroot::new(root).unwrap();
    connections::discover::installed_version(
        &sys,
        &connections::discover::DiscoverOptions::default(),
    )
    .version
    .version()
    .unwrap()
    .to_string()
}

/// Runs `cnxbackup ARGS` with the configuration the last `Harness::backup` wrote.
pub fn cnx(h: &Harness, args: &[&str]) -> Run {
    assert!(
        h.config_path().exists(),
        "run a backup first: it writes the config"
    );
    Run::of(h.cmd().args(args).output().unwrap())
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime_ns: i64,
    /// File content, or the symlink target.
    pub data: Vec<u8>,
}

/// Every entry below `root` (relative path → item), skipping relative paths for which
/// `skip` says so (and everything below them).
pub fn listing(root: &Path, skip: &dyn Fn(&str) -> bool) -> BTreeMap<String, Item> {
    let mut out = BTreeMap::new();
    walk(root, "", skip, &mut out);
    out
}

fn walk(dir: &Path, rel: &str, skip: &dyn Fn(&str) -> bool, out: &mut BTreeMap<String, Item>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = format!("{rel}/{name}");
        if skip(&r) {
            continue;
        }
        let p = e.path();
        let m = std::fs::symlink_metadata(&p).unwrap();
        let ft = m.file_type();
        let (kind, data) = if ft.is_symlink() {
            (
                'l',
                std::fs::read_link(&p)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
                    .into_bytes(),
            )
        } else if ft.is_dir() {
            ('d', Vec::new())
        } else if ft.is_file() {
            ('f', std::fs::read(&p).unwrap())
        } else {
            ('o', Vec::new())
        };
        out.insert(
            r.clone(),
            Item {
                kind,
                mode: m.mode(),
                uid: m.uid(),
                gid: m.gid(),
                mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
                data,
            },
        );
        if kind == 'd' {
            walk(&p, &r, skip, out);
        }
    }
}

/// The differences between two listings, for a readable assertion message.
pub fn diff(a: &BTreeMap<String, Item>, b: &BTreeMap<String, Item>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, x) in a {
        match b.get(k) {
            None => out.push(format!("missing after: {k}")),
            Some(y) if x != y => {
                let mut what = Vec::new();
                if x.kind != y.kind {
                    what.push(format!("kind {} -> {}", x.kind, y.kind));
                }
                if x.mode != y.mode {
                    what.push(format!("mode {:o} -> {:o}", x.mode, y.mode));
                }
                if x.mtime_ns != y.mtime_ns {
                    what.push(format!("mtime {} -> {}", x.mtime_ns, y.mtime_ns));
                }
                if (x.uid, x.gid) != (y.uid, y.gid) {
                    what.push("owner".into());
                }
                if x.data != y.data {
                    what.push("content".into());
                }
                out.push(format!("changed: {k}: {}", what.join(", ")));
            }
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            out.push(format!("added after: {k}"));
        }
    }
    out
}

/// Every component the backup stored (minus what belongs to other components and the
/// volatile paths) is under `root` exactly as in the sample, with modes and times.
pub fn assert_components_equal(h: &Harness, m: &Manifest, root: &Path) {
    for c in &m.components {
        if c.stored_with.is_some() || !matches!(c.status, StepStatus::Ok | StepStatus::Partial) {
            continue;
        }
        for p in &c.paths {
            let src = h.sample.real_path(p);
            if !src.is_dir() {
                continue;
            }
            let dst = root.join(p.trim_start_matches('/'));
            let skip = |rel: &str| {
                volatile(rel)
                    || c.excludes
                        .iter()
                        .any(|x| format!("{p}{rel}").starts_with(x.as_str()))
            };
            let d = diff(&listing(&src, &skip), &listing(&dst, &skip));
            assert!(d.is_empty(), "{}: {p}:\n{}", c.component, d.join("\n"));
        }
    }
}
