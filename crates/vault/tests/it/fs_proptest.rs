//! Property: any generated tree (nested directories, files of any size including empty and
//! multi-chunk, symlinks with arbitrary byte targets, non-UTF-8 names, modes, ns mtimes)
//! survives backup and restore exactly.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use fs_common::*;
use proptest::prelude::*;
use vault::backup::{backup, BackupOptions};
use vault::restore::{restore, RestoreOptions};

#[derive(Debug, Clone)]
enum Node {
    File {
        len: usize,
        seed: u64,
        mode: u32,
    },
    Link {
        target: Vec<u8>,
    },
    Dir {
        children: Vec<(Vec<u8>, Node)>,
        mode: u32,
    },
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    // any bytes but '/' and NUL, never "." or ".."
    proptest::collection::vec(
        any::<u8>().prop_filter("no / or NUL", |b| *b != b'/' && *b != 0),
        1..12,
    )
    .prop_filter("not . or ..", |n| n != b"." && n != b"..")
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        (
            prop_oneof![Just(0usize), 1usize..5000, 100_000usize..1_500_000],
            any::<u64>(),
            prop_oneof![Just(0o644u32), Just(0o600), Just(0o755), Just(0o4711)]
        )
            .prop_map(|(len, seed, mode)| Node::File { len, seed, mode }),
        proptest::collection::vec(any::<u8>().prop_filter("no NUL", |b| *b != 0), 1..40)
            .prop_map(|target| Node::Link { target }),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        (
            proptest::collection::vec((name(), inner), 0..5),
            prop_oneof![Just(0o755u32), Just(0o700), Just(0o1777)],
        )
            .prop_map(|(children, mode)| Node::Dir { children, mode })
    })
}

fn materialize(path: &Path, node: &Node, mtime: &mut i64) {
    match node {
        Node::File { len, seed, mode } => {
            fs::write(path, noise(*len, *seed)).unwrap();
            fs::set_permissions(path, fs::Permissions::from_mode(*mode)).unwrap();
        }
        Node::Link { target } => {
            std::os::unix::fs::symlink(OsStr::from_bytes(target), path).unwrap()
        }
        Node::Dir { children, mode } => {
            fs::create_dir(path).unwrap();
            let mut seen = std::collections::HashSet::new();
            for (n, child) in children {
                if seen.insert(n.clone()) {
                    materialize(&path.join(OsStr::from_bytes(n)), child, mtime);
                }
            }
            fs::set_permissions(path, fs::Permissions::from_mode(*mode)).unwrap();
        }
    }
    *mtime += 1_000_000_007;
    set_times(path, *mtime);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn any_tree_survives_backup_and_restore(
        children in proptest::collection::vec((name(), node()), 1..6)
    ) {
        let (src, repo_dir, dst) = (tmp(), tmp(), tmp());
        let root = src.path().join("root");
        let mut mtime = 1_234_567_890_000_000_000i64;
        materialize(&root, &Node::Dir { children, mode: 0o755 }, &mut mtime);
        let repo = init_repo(repo_dir.path());
        let opts = BackupOptions { host: "prop".into(), ..BackupOptions::default() };
        let out = backup(&repo, std::slice::from_ref(&root), &opts).unwrap();
        prop_assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let r = restore(&repo, &out.snapshot, dst.path(), &RestoreOptions::default()).unwrap();
        prop_assert!(r.damaged.is_empty());
        assert_same_tree(&root, &dst.path().join(root.strip_prefix("/").unwrap()));
    }
}
