//! The storage contract (`vault::storage::store`), checked on every store: memory, a local
//! directory, S3 (the test server started by scripts/test) and the fault-injecting wrapper
//! with no fault set, over memory and over a local directory. A new store gets one more
//! `#[test]` here that calls [`conformance`].
#![allow(clippy::unwrap_used)]

use crate::s3_common;

use std::sync::Arc;

use bytes::Bytes;
use vault::storage::{FaultStore, MemStore, OpendalStore, Store, StoreErrorKind};

/// How a test gets at a store: the store, and a second, independent handle on the same
/// objects (another process opening the same repository).
struct Subject {
    store: Arc<dyn Store>,
    reopen: Box<dyn Fn() -> Arc<dyn Store>>,
    /// Keeps a temporary directory alive.
    _dir: Option<tempfile::TempDir>,
}

fn put(s: &dyn Store, path: &str, bytes: &[u8]) {
    s.write(path, vec![Bytes::copy_from_slice(bytes)]).unwrap();
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Every rule of the contract, in order; the first broken one fails with its name.
fn conformance(subject: &Subject) {
    let s = subject.store.as_ref();
    writes_are_read_back_whole(s);
    overwrite_replaces(s);
    missing_objects_are_not_found(s);
    ranged_reads_return_what_exists(s);
    listing_is_sorted_recursive_and_bounded_by_its_directory(s);
    deletes_are_idempotent(s);
    batches_keep_the_order_and_report_each_object(s);
    a_write_is_seen_by_another_handle(subject);
    concurrent_readers_and_listings_never_see_half_an_object(subject);
}

fn writes_are_read_back_whole(s: &dyn Store) {
    let big = pattern(3 << 20, 7);
    s.write(
        "packs/00/big",
        vec![
            Bytes::copy_from_slice(&big[..1000]),
            Bytes::new(),
            Bytes::copy_from_slice(&big[1000..]),
        ],
    )
    .unwrap();
    assert_eq!(
        s.read("packs/00/big").unwrap(),
        big,
        "parts are concatenated"
    );
    assert_eq!(s.size("packs/00/big").unwrap(), big.len() as u64);
    assert!(s.exists("packs/00/big").unwrap());
    s.write("index/empty", vec![]).unwrap();
    assert_eq!(s.read("index/empty").unwrap(), b"");
    assert_eq!(s.size("index/empty").unwrap(), 0);
}

fn overwrite_replaces(s: &dyn Store) {
    put(s, "config", b"first version, longer");
    put(s, "config", b"second");
    assert_eq!(s.read("config").unwrap(), b"second");
    assert_eq!(s.size("config").unwrap(), 6);
}

fn missing_objects_are_not_found(s: &dyn Store) {
    for err in [
        s.read("snapshots/none").unwrap_err(),
        s.read_range("snapshots/none", 0, 10).unwrap_err(),
        s.size("snapshots/none").unwrap_err(),
    ] {
        assert_eq!(err.kind(), StoreErrorKind::NotFound, "{err}");
    }
    assert!(!s.exists("snapshots/none").unwrap());
    assert!(s.list("nothing-here/").unwrap().is_empty());
}

fn ranged_reads_return_what_exists(s: &dyn Store) {
    let body = pattern(100_000, 3);
    put(s, "packs/01/ranged", &body);
    let r = |offset, len| s.read_range("packs/01/ranged", offset, len).unwrap();
    assert_eq!(r(0, 10), body[..10]);
    assert_eq!(r(50_000, 1234), body[50_000..51_234]);
    assert_eq!(r(99_990, 10), body[99_990..], "up to the end");
    assert_eq!(r(99_990, 100), body[99_990..], "short only at the end");
    assert!(r(100_000, 10).is_empty(), "at the end");
    assert!(r(200_000, 10).is_empty(), "past the end");
}

fn listing_is_sorted_recursive_and_bounded_by_its_directory(s: &dyn Store) {
    put(s, "locks/b", b"bb");
    put(s, "locks/a", b"a");
    put(s, "locks/sub/c", b"ccc");
    put(s, "locksmith/x", b"not under locks/");
    let listed: Vec<(String, u64)> = s
        .list("locks/")
        .unwrap()
        .into_iter()
        .map(|o| (o.path, o.size))
        .collect();
    assert_eq!(
        listed,
        [
            ("locks/a".to_string(), 1),
            ("locks/b".to_string(), 2),
            ("locks/sub/c".to_string(), 3)
        ]
    );
}

fn deletes_are_idempotent(s: &dyn Store) {
    put(s, "locks/gone", b"x");
    s.delete("locks/gone").unwrap();
    assert!(!s.exists("locks/gone").unwrap());
    assert_eq!(
        s.read("locks/gone").unwrap_err().kind(),
        StoreErrorKind::NotFound
    );
    s.delete("locks/gone").unwrap();
    s.delete("locks/never-was").unwrap();
    assert!(s
        .list("locks/")
        .unwrap()
        .iter()
        .all(|o| o.path != "locks/gone"));
}

fn batches_keep_the_order_and_report_each_object(s: &dyn Store) {
    let mut paths: Vec<String> = (0..20u8).map(|i| format!("index/batch-{i:02}")).collect();
    for (i, p) in paths.iter().enumerate() {
        put(s, p, &vec![i as u8; i + 1]);
    }
    paths.insert(7, "index/batch-missing".into());
    let got = s.read_many(&paths, 4);
    assert_eq!(got.len(), paths.len());
    for (p, r) in paths.iter().zip(&got) {
        match p.strip_prefix("index/batch-").unwrap().parse::<usize>() {
            Ok(i) => assert_eq!(r.as_ref().unwrap(), &vec![i as u8; i + 1], "{p}"),
            Err(_) => assert_eq!(r.as_ref().unwrap_err().kind(), StoreErrorKind::NotFound),
        }
    }
    s.delete_many(&paths, 3).unwrap();
    assert!(s
        .list("index/")
        .unwrap()
        .iter()
        .all(|o| !o.path.starts_with("index/batch-")));
}

fn a_write_is_seen_by_another_handle(subject: &Subject) {
    put(
        subject.store.as_ref(),
        "snapshots/durable",
        b"seen elsewhere",
    );
    let other = (subject.reopen)();
    assert_eq!(other.read("snapshots/durable").unwrap(), b"seen elsewhere");
    assert!(other
        .list("snapshots/")
        .unwrap()
        .iter()
        .any(|o| o.path == "snapshots/durable"));
    other.delete("snapshots/durable").unwrap();
    assert!(!subject.store.exists("snapshots/durable").unwrap());
}

/// Writers replace objects of one size with other contents while readers (through another
/// handle) read and list them: every read is one whole version, every listed size is the
/// full size.
fn concurrent_readers_and_listings_never_see_half_an_object(subject: &Subject) {
    const LEN: usize = 256 * 1024;
    const ROUNDS: u8 = 6;
    let s = subject.store.clone();
    let other = (subject.reopen)();
    for i in 0..4 {
        put(s.as_ref(), &format!("packs/cc/{i}"), &[0u8; LEN]);
    }
    std::thread::scope(|scope| {
        for i in 0..4 {
            let s = s.clone();
            scope.spawn(move || {
                for round in 1..=ROUNDS {
                    put(s.as_ref(), &format!("packs/cc/{i}"), &[round; LEN]);
                }
            });
        }
        for i in 0..4 {
            let other = other.clone();
            scope.spawn(move || {
                for _ in 0..ROUNDS {
                    let bytes = other.read(&format!("packs/cc/{i}")).unwrap();
                    assert_eq!(bytes.len(), LEN);
                    assert!(
                        bytes.iter().all(|b| *b == bytes[0]),
                        "a mix of two versions"
                    );
                    for o in other.list("packs/cc/").unwrap() {
                        assert_eq!(o.size, LEN as u64, "{} listed half-written", o.path);
                    }
                }
            });
        }
    });
    for i in 0..4 {
        assert_eq!(s.read(&format!("packs/cc/{i}")).unwrap(), vec![ROUNDS; LEN]);
    }
}

fn mem() -> Subject {
    let store = MemStore::new();
    let again = store.clone();
    Subject {
        store: Arc::new(store),
        reopen: Box::new(move || Arc::new(again.clone())),
        _dir: None,
    }
}

fn local() -> Subject {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    Subject {
        store: Arc::new(OpendalStore::local(&path).unwrap()),
        reopen: Box::new(move || Arc::new(OpendalStore::local(&path).unwrap())),
        _dir: Some(dir),
    }
}

#[test]
fn memory_store_keeps_the_contract() {
    conformance(&mem());
}

#[test]
fn local_directory_store_keeps_the_contract() {
    let subject = local();
    conformance(&subject);
    // Atomic writes leave no temporaries behind.
    let tmp = subject
        ._dir
        .as_ref()
        .unwrap()
        .path()
        .join(vault::storage::TMP_DIR);
    assert_eq!(std::fs::read_dir(tmp).unwrap().count(), 0);
}

#[test]
fn s3_store_keeps_the_contract() {
    let env = s3_common::s3_env();
    let url = s3_common::unique_url(&env, "conformance");
    let rest = url.strip_prefix("s3://").unwrap().to_string();
    let opts = s3_common::options(&env).s3;
    let open = move || Arc::new(OpendalStore::s3(&rest, &opts).unwrap()) as Arc<dyn Store>;
    let store = open();
    assert!(store.is_remote());
    conformance(&Subject {
        store,
        reopen: Box::new(open),
        _dir: None,
    });
}

#[test]
fn fault_store_without_faults_keeps_the_contract_over_memory() {
    let inner = mem();
    let reopen_inner = inner.reopen;
    conformance(&Subject {
        store: Arc::new(FaultStore::wrap(inner.store)),
        reopen: Box::new(move || Arc::new(FaultStore::wrap(reopen_inner()))),
        _dir: None,
    });
}

#[test]
fn fault_store_without_faults_keeps_the_contract_over_a_local_directory() {
    let inner = local();
    let reopen_inner = inner.reopen;
    conformance(&Subject {
        store: Arc::new(FaultStore::wrap(inner.store)),
        reopen: Box::new(move || Arc::new(FaultStore::wrap(reopen_inner()))),
        _dir: inner._dir,
    });
}
