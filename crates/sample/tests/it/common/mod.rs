//! Helpers shared by the sample crate's integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sample::{build, BuildOptions, Sample, Variant};

/// A built sample in a temporary directory; stops its servers when dropped (even when a
/// test fails half-way), so no test leaves processes behind.
pub struct Built {
    pub sample: Sample,
    _dir: tempfile::TempDir,
}

impl Drop for Built {
    fn drop(&mut self) {
        let _ = self.sample.stop_all();
    }
}

impl std::ops::Deref for Built {
    type Target = Sample;
    fn deref(&self) -> &Sample {
        &self.sample
    }
}

/// A temporary directory on the fastest local file system.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("cnx-sample-")
        .tempdir_in(sample::preferred_temp_root())
        .unwrap()
}

pub fn built(variant: Variant) -> Built {
    let dir = tempdir();
    let root = dir.path().join("root");
    let sample = build(variant, &root, &BuildOptions::default()).unwrap();
    Built { sample, _dir: dir }
}

/// Every entry below `root` (not following symlinks), relative path → metadata.
pub fn walk(root: &Path) -> BTreeMap<PathBuf, fs::Metadata> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.is_dir() {
                stack.push(p.clone());
            }
            out.insert(p.strip_prefix(root).unwrap().to_path_buf(), m);
        }
    }
    out
}

pub fn mode(m: &fs::Metadata) -> u32 {
    m.permissions().mode() & 0o7777
}

pub fn is_fifo(m: &fs::Metadata) -> bool {
    m.mode() & 0o170000 == 0o010000
}

pub fn run(script: &Path, args: &[&str]) -> Output {
    Command::new(script).args(args).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn read(s: &Sample, product: &str) -> String {
    fs::read_to_string(s.real_path(product)).unwrap()
}

/// A multi-host sample cell in a temporary directory: its servers are stopped and its
/// shared data unmounted (the cell is dropped before the directory) when dropped.
pub struct BuiltCell {
    pub cell: sample::MultiHostCell,
    _dir: tempfile::TempDir,
}

impl Drop for BuiltCell {
    fn drop(&mut self) {
        let _ = self.cell.stop_all();
    }
}

pub fn built_cell() -> BuiltCell {
    let dir = tempdir();
    let cell = sample::build_cell(
        Variant::MultiHostCell,
        &dir.path().join("cell"),
        &BuildOptions::default(),
    )
    .unwrap();
    BuiltCell { cell, _dir: dir }
}
