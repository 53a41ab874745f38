//! Helpers for the end-to-end tests of the repository commands: the real binary, a
//! repository in a temp dir, the password through the environment (never argv).
#![allow(clippy::unwrap_used, dead_code)]

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub const PASSWORD: &str = "e2e-Password-123";

pub struct Env {
    pub root: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("src")).unwrap();
        Env { root }
    }

    pub fn repo(&self) -> PathBuf {
        self.root.path().join("repo")
    }

    pub fn src(&self) -> PathBuf {
        self.root.path().join("src")
    }

    pub fn dst(&self) -> PathBuf {
        self.root.path().join("dst")
    }

    /// The binary with repository and password in the environment, run in `src`.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("cnxbackup").unwrap();
        c.current_dir(self.src())
            .env("CNXBACKUP_REPOSITORY", self.repo())
            .env("CNXBACKUP_PASSWORD", PASSWORD)
            .env_remove("CNXBACKUP_PASSWORD_FILE")
            .env_remove("CNXBACKUP_CONFIG")
            .env("HOME", self.root.path());
        c
    }

    pub fn init(&self) {
        self.cmd().arg("init").assert().success();
    }

    /// `backup --json --path .` from inside src; returns the JSON report.
    pub fn backup(&self) -> serde_json::Value {
        let out = self
            .cmd()
            .args(["--json", "backup", "--host", "e2e", "--path", "."])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "backup failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn packs(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(dirs) = fs::read_dir(self.repo().join("packs")) else {
            return out;
        };
        for d in dirs {
            for f in fs::read_dir(d.unwrap().path()).unwrap() {
                out.push(f.unwrap().path());
            }
        }
        out.sort();
        out
    }
}

pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    // mix the seed: nearby seeds must give unrelated content (no accidental dedup)
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// Sets atime and mtime (ns) without following a symlink (GNU touch -h).
pub fn set_mtime_ns(path: &Path, secs: i64, nsec: i64) {
    let status = std::process::Command::new("touch")
        .arg("-h")
        .arg("-d")
        .arg(format!("@{secs}.{nsec:09}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Everything below `root` as comparable lines: path, kind, mode, mtime ns, size, nlink,
/// content hash or link target, xattrs. Symlinks are never followed.
pub fn scan(root: &Path) -> Vec<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let t = m.file_type();
            let rel = String::from_utf8_lossy(p.strip_prefix(root).unwrap().as_os_str().as_bytes())
                .into_owned();
            let (kind, detail) = if t.is_symlink() {
                (
                    "link",
                    String::from_utf8_lossy(fs::read_link(&p).unwrap().as_os_str().as_bytes())
                        .into_owned(),
                )
            } else if t.is_dir() {
                stack.push(p.clone());
                ("dir", String::new())
            } else if t.is_fifo() {
                ("fifo", String::new())
            } else {
                let data = fs::read(&p).unwrap();
                ("file", format!("{:x}", md5ish(&data)))
            };
            let mut xs = Vec::new();
            if !t.is_symlink() {
                if let Ok(names) = xattr::list(&p) {
                    for n in names {
                        let v = xattr::get(&p, &n).unwrap().unwrap_or_default();
                        xs.push(format!("{}={:?}", n.to_string_lossy(), v));
                    }
                }
            }
            xs.sort();
            let mode = if t.is_symlink() { 0 } else { m.mode() & 0o7777 };
            let size = if t.is_dir() { 0 } else { m.size() };
            let nlink = if t.is_dir() { 0 } else { m.nlink() };
            out.push(format!(
                "{rel} {kind} {mode:o} {}.{:09} {size} {nlink} {detail} {}",
                m.mtime(),
                m.mtime_nsec(),
                xs.join(",")
            ));
        }
    }
    out.sort();
    out
}

/// A cheap content fingerprint (FNV-1a 64) for comparisons.
fn md5ish(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub fn assert_same(a: &Path, b: &Path) {
    let (sa, sb) = (scan(a), scan(b));
    for (x, y) in sa.iter().zip(sb.iter()) {
        assert_eq!(x, y, "first difference");
    }
    assert_eq!(sa.len(), sb.len(), "different number of entries");
}

/// Whether user xattrs work under `dir`.
pub fn xattrs_supported(dir: &Path) -> bool {
    let probe = dir.join(".probe");
    fs::write(&probe, b"").unwrap();
    let ok = xattr::set(&probe, "user.p", b"1").is_ok();
    fs::remove_file(&probe).unwrap();
    ok
}

/// A source tree with every entry kind.
pub fn make_everything(root: &Path) {
    fs::create_dir_all(root.join("dir/sub/empty")).unwrap();
    fs::write(root.join("dir/small.txt"), b"hello\n").unwrap();
    fs::write(root.join("dir/big.bin"), noise(5 << 20, 11)).unwrap();
    fs::write(root.join("dir/sub/copy.bin"), noise(5 << 20, 11)).unwrap();
    fs::write(root.join("zero-length"), b"").unwrap();
    let x = root.join("dir/script.sh");
    fs::write(&x, b"#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&x, fs::Permissions::from_mode(0o4750)).unwrap();
    let ro = root.join("dir/ro.txt");
    fs::write(&ro, b"ro").unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o400)).unwrap();
    std::os::unix::fs::symlink("small.txt", root.join("dir/rel-link")).unwrap();
    std::os::unix::fs::symlink("/does/not/exist", root.join("dir/dangling")).unwrap();
    std::os::unix::fs::symlink("sub", root.join("dir/dir-link")).unwrap();
    fs::write(root.join("dir/hard1"), b"one inode").unwrap();
    fs::hard_link(root.join("dir/hard1"), root.join("dir/sub/hard2")).unwrap();
    let sp = fs::File::create(root.join("sparse.bin")).unwrap();
    sp.set_len(32 << 20).unwrap();
    sp.write_all_at(b"middle", 16 << 20).unwrap();
    drop(sp);
    let st = std::process::Command::new("mkfifo")
        .arg(root.join("dir/fifo"))
        .status()
        .unwrap();
    assert!(st.success());
    fs::write(
        root.join(std::ffi::OsStr::from_bytes(b"bad-\xff\xfe-name")),
        b"latin",
    )
    .unwrap();
    let mut long = root.to_path_buf();
    for i in 0..5 {
        long.push(format!("level{i}-{}", "x".repeat(70)));
    }
    fs::create_dir_all(&long).unwrap();
    fs::write(long.join("leaf"), b"deep").unwrap();
    if xattrs_supported(root) {
        xattr::set(root.join("dir/small.txt"), "user.note", b"xattr value").unwrap();
    }
    set_mtime_ns(&root.join("dir/small.txt"), 1_600_000_000, 123_456_789);
    set_mtime_ns(&root.join("dir/rel-link"), 1_500_000_000, 42);
    set_mtime_ns(&root.join("dir/sub/empty"), 1_400_000_000, 999_999_999);
}
