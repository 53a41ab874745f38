//! Shared helpers of the vault-fs integration tests: a repository in a temp dir, a source
//! tree with every entry kind, and a comparison of two trees that names the first
//! difference.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use vault::check::{check, CheckOptions, CheckReport};
use vault::storage::{FaultStore, Store};
use vault::{InitOptions, KdfParams, Repository, Storage};

/// Fast KDF, 1 MiB packs.
fn init_options() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        ..InitOptions::default()
    }
}

pub fn init_repo(dir: &Path) -> Repository {
    Repository::init(
        Storage::local(dir).unwrap(),
        "test-password",
        &init_options(),
    )
    .unwrap()
}

/// A repository on any store (memory, the fault-injecting wrapper).
pub fn init_repo_on(store: impl Store + 'static) -> Repository {
    Repository::init(Storage::new(store), "test-password", &init_options()).unwrap()
}

pub fn open_repo_on(store: impl Store + 'static) -> Repository {
    Repository::open(Storage::new(store), "test-password").unwrap()
}

pub fn open_repo(dir: &Path) -> Repository {
    Repository::open(Storage::local(dir).unwrap(), "test-password").unwrap()
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

pub fn set_times(path: &Path, mtime_ns: i64) {
    let ts = rustix::fs::Timespec {
        tv_sec: mtime_ns / 1_000_000_000,
        tv_nsec: (mtime_ns % 1_000_000_000) as _,
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &rustix::fs::Timestamps {
            last_access: ts,
            last_modification: ts,
        },
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

/// Whether the file system under `dir` takes user xattrs.
pub fn xattrs_supported(dir: &Path) -> bool {
    let probe = dir.join(".xattr-probe");
    fs::write(&probe, b"").unwrap();
    let ok = xattr::set(&probe, "user.probe", b"1").is_ok();
    fs::remove_file(&probe).unwrap();
    ok
}

/// A tree with every kind of entry the vault must round-trip.
pub fn make_everything_tree(root: &Path) {
    fs::create_dir_all(root.join("dir/sub/empty")).unwrap();
    fs::write(root.join("dir/small.txt"), b"hello world\n").unwrap();
    fs::write(root.join("dir/big.bin"), noise(3 << 20, 7)).unwrap();
    fs::write(root.join("dir/sub/dup.bin"), noise(3 << 20, 7)).unwrap();
    fs::write(root.join("empty-file"), b"").unwrap();
    // modes, including setgid and a read-only file and directory
    let ro = root.join("dir/readonly");
    fs::write(&ro, b"ro").unwrap();
    fs::set_permissions(&ro, fs::Permissions::from_mode(0o444)).unwrap();
    let sg = root.join("dir/setgid-script");
    fs::write(&sg, b"#!/bin/sh\n").unwrap();
    fs::set_permissions(&sg, fs::Permissions::from_mode(0o2755)).unwrap();
    fs::create_dir(root.join("rodir")).unwrap();
    fs::write(root.join("rodir/inside"), b"x").unwrap();
    // symlinks: relative, absolute, dangling, to a directory
    std::os::unix::fs::symlink("small.txt", root.join("dir/link-rel")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("dir/link-abs")).unwrap();
    std::os::unix::fs::symlink("../nowhere/at/all", root.join("dir/link-dangling")).unwrap();
    std::os::unix::fs::symlink("sub", root.join("dir/link-dir")).unwrap();
    // hard links
    fs::write(root.join("dir/hard-a"), b"linked content").unwrap();
    fs::hard_link(root.join("dir/hard-a"), root.join("dir/sub/hard-b")).unwrap();
    // sparse file: 16 MiB with data at 1 MiB and at the end
    let sp = fs::File::create(root.join("sparse.img")).unwrap();
    sp.set_len(16 << 20).unwrap();
    sp.write_all_at(&noise(4096, 3), 1 << 20).unwrap();
    sp.write_all_at(b"tail", (16 << 20) - 4).unwrap();
    drop(sp);
    // FIFO
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("dir/pipe"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o640),
        0,
    )
    .unwrap();
    // non-UTF-8 names
    fs::write(
        root.join(OsStr::from_bytes(b"caf\xe9-latin1.txt")),
        b"latin1",
    )
    .unwrap();
    fs::create_dir(root.join(OsStr::from_bytes(b"dir-\xff\xfe"))).unwrap();
    fs::write(
        root.join(OsStr::from_bytes(b"dir-\xff\xfe/\x01ctl")),
        b"ctl",
    )
    .unwrap();
    // a path longer than 255 bytes in total
    let mut long = root.to_path_buf();
    for i in 0..6 {
        long.push(format!("{i}-{}", "d".repeat(60)));
    }
    fs::create_dir_all(&long).unwrap();
    fs::write(long.join("deep-file"), b"deep").unwrap();
    assert!(long.join("deep-file").as_os_str().len() > 255 + root.as_os_str().len());
    // xattrs where supported
    if xattrs_supported(root) {
        xattr::set(root.join("dir/small.txt"), "user.comment", b"hi \x00 there").unwrap();
        xattr::set(root.join("dir/sub"), "user.dir", b"on a dir").unwrap();
    }
    // ns times (set last: after every write)
    set_times(&root.join("dir/small.txt"), 1_600_000_000_123_456_789);
    set_times(&root.join("dir/link-rel"), 1_500_000_000_000_000_042);
    set_times(&root.join("dir/sub/empty"), 1_400_000_000_987_654_321);
    fs::set_permissions(root.join("rodir"), fs::Permissions::from_mode(0o555)).unwrap();
}

/// What we compare per path.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    kind: &'static str,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: (i64, i64),
    size: u64,
    content: Option<Vec<u8>>,
    target: Option<Vec<u8>>,
    xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
    nlink: u64,
}

fn kind_of(m: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "dir"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_socket() {
        "socket"
    } else if t.is_file() {
        "file"
    } else {
        "device"
    }
}

/// Everything below `root` (relative raw paths), not following symlinks.
pub fn scan(root: &Path) -> BTreeMap<Vec<u8>, Seen> {
    let mut out = BTreeMap::new();
    scan_into(root, root, &mut out);
    out
}

fn scan_into(root: &Path, dir: &Path, out: &mut BTreeMap<Vec<u8>, Seen>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        let m = fs::symlink_metadata(&p).unwrap();
        let kind = kind_of(&m);
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec();
        let mut xattrs = BTreeMap::new();
        if kind != "symlink" {
            if let Ok(names) = xattr::list(&p) {
                for n in names {
                    if let Ok(Some(v)) = xattr::get(&p, &n) {
                        xattrs.insert(n.as_bytes().to_vec(), v);
                    }
                }
            }
        }
        let seen = Seen {
            kind,
            mode: if kind == "symlink" {
                0
            } else {
                m.permissions().mode() & 0o7777
            },
            uid: m.uid(),
            gid: m.gid(),
            // directory mtimes are compared too: restore applies them last
            mtime: (m.mtime(), m.mtime_nsec()),
            size: if kind == "dir" { 0 } else { m.size() },
            content: (kind == "file").then(|| fs::read(&p).unwrap()),
            target: (kind == "symlink")
                .then(|| fs::read_link(&p).unwrap().as_os_str().as_bytes().to_vec()),
            xattrs,
            nlink: if kind == "dir" { 0 } else { m.nlink() },
        };
        out.insert(rel, seen);
        if kind == "dir" {
            scan_into(root, &p, out);
        }
    }
}

/// Asserts two trees are equal, naming the first difference.
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (sa, sb) = (scan(a), scan(b));
    let ka: Vec<String> = sa
        .keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    let kb: Vec<String> = sb
        .keys()
        .map(|k| String::from_utf8_lossy(k).into_owned())
        .collect();
    assert_eq!(ka, kb, "different sets of paths");
    for (k, va) in &sa {
        let vb = &sb[k];
        assert!(
            va == vb,
            "{} differs:\n source   {:?}\n restored {:?}",
            String::from_utf8_lossy(k),
            Seen {
                content: None,
                ..clone_seen(va)
            },
            Seen {
                content: None,
                ..clone_seen(vb)
            }
        );
    }
}

fn clone_seen(s: &Seen) -> Seen {
    Seen {
        kind: s.kind,
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        mtime: s.mtime,
        size: s.size,
        content: s.content.clone(),
        target: s.target.clone(),
        xattrs: s.xattrs.clone(),
        nlink: s.nlink,
    }
}

/// Allocated bytes of a file (to check holes survive).
pub fn allocated(path: &Path) -> u64 {
    fs::symlink_metadata(path).unwrap().blocks() * 512
}

pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

pub fn p(s: &str) -> PathBuf {
    PathBuf::from(s)
}

/// `inner` as a backup host's credentials see it under the tamper-resistant bucket policy
/// (docs/S3.md): no delete and no overwrite, except under `locks/`.
pub fn backup_user_store(inner: impl Store + 'static) -> FaultStore {
    let store = FaultStore::new(inner);
    store.refuse_deletes(true);
    store.refuse_overwrites(true);
    store.exempt_from_refusals("locks/");
    store
}

/// `check --read-data` of every pack; asserts the repository is clean.
pub fn read_data_clean(repo: &Repository) -> CheckReport {
    let r = check(
        repo,
        &CheckOptions {
            read_data: Some(100.0),
            threads: 2,
            progress: None,
        },
    )
    .unwrap();
    assert!(r.is_ok(), "{r:?}");
    r
}
