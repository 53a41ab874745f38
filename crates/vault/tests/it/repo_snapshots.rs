//! Snapshot documents and locks.
#![allow(clippy::unwrap_used)]

use crate::repo_common;

use std::time::Duration;

use repo_common::*;
use vault::{BlobKind, Repository, Snapshot, SnapshotSummary, VaultError};

fn snapshot(repo: &Repository, time: i64, host: &str) -> Snapshot {
    let tree = format!("tree of {host} at {time}").into_bytes();
    let tree_id = repo.id_of(&tree);
    repo.save_blob(BlobKind::Tree, tree_id, &tree).unwrap();
    Snapshot {
        time,
        host: host.into(),
        paths: vec!["/opt/IBM".into()],
        tags: vec!["before-cr3".into()],
        tree: tree_id,
        parent: None,
        summary: SnapshotSummary {
            files_new: 10,
            bytes_read: 1234,
            ..Default::default()
        },
        application: Some(serde_json::json!({"release": "8.0", "cr": 3})),
        username: "root".into(),
        program_version: "0.1.0".into(),
    }
}

#[test]
fn save_list_find() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let mut ids = Vec::new();
    for t in [30, 10, 20] {
        let s = snapshot(&repo, t, "cnx1");
        ids.push((repo.save_snapshot(&s).unwrap(), s));
    }
    drop(repo);
    let repo = open(dir.path());
    let list = repo.list_snapshots().unwrap();
    let times: Vec<i64> = list.iter().map(|(_, s)| s.as_ref().unwrap().time).collect();
    assert_eq!(times, vec![10, 20, 30], "oldest first");

    let (latest, s) = repo.find_snapshot("latest").unwrap();
    assert_eq!(latest, ids[0].0);
    assert_eq!(s, ids[0].1);
    for (id, s) in &ids {
        assert_eq!(&repo.find_snapshot(&id.to_hex()).unwrap().1, s);
        // An 8-character prefix is unique among three random ids.
        assert_eq!(repo.find_snapshot(&id.to_hex()[..8]).unwrap().0, *id);
        assert_eq!(repo.load_snapshot(id).unwrap(), *s);
    }
    let err = repo.find_snapshot("zz").unwrap_err();
    assert!(matches!(err, VaultError::SnapshotNotFound { .. }));
    assert!(err.to_string().contains("zz"));
}

#[test]
fn ambiguous_prefix_lists_the_candidates() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    // With 40 snapshots, two of them share a first hex digit (pigeonhole over 16 digits).
    let mut ids = Vec::new();
    for t in 0..40 {
        ids.push(repo.save_snapshot(&snapshot(&repo, t, "h")).unwrap());
    }
    let digit = (0..16)
        .map(|d| format!("{d:x}"))
        .find(|d| {
            ids.iter()
                .filter(|i| i.to_hex().starts_with(d.as_str()))
                .count()
                >= 2
        })
        .unwrap();
    let err = repo.find_snapshot(&digit).unwrap_err();
    match &err {
        VaultError::AmbiguousSnapshot { candidates, .. } => assert!(candidates.len() >= 2),
        other => panic!("expected ambiguity, got {other:?}"),
    }
    assert!(err.to_string().contains("ambiguous"), "{err}");
}

#[test]
fn snapshot_needs_its_tree_in_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let mut s = snapshot(&repo, 1, "h");
    s.tree = repo.id_of(b"a tree never saved");
    let err = repo.save_snapshot(&s).unwrap_err();
    assert!(err.to_string().contains(&s.tree.to_hex()), "{err}");
    assert!(repo.list_snapshots().unwrap().is_empty());
}

#[test]
fn save_snapshot_makes_its_blobs_durable_first() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let data = noise(5000, 1);
    repo.save_blob(BlobKind::Data, repo.id_of(&data), &data)
        .unwrap();
    let s = snapshot(&repo, 5, "h");
    repo.save_snapshot(&s).unwrap();
    // No explicit flush: reopen and every blob is there.
    std::mem::forget(repo);
    let repo = open(dir.path());
    assert!(repo.has_blob(BlobKind::Data, &repo.id_of(&data)));
    assert!(repo.has_blob(BlobKind::Tree, &s.tree));
}

#[test]
fn exclusive_lock_blocks_a_second_one_until_released() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let other = open(dir.path());
    let lock = repo.lock_exclusive(Duration::from_secs(300)).unwrap();
    assert_eq!(lock.info().pid, std::process::id());
    let err = other.lock_exclusive(Duration::from_secs(300)).unwrap_err();
    assert!(matches!(err, VaultError::Locked { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    lock.release().unwrap();
    let again = other.lock_exclusive(Duration::from_secs(300)).unwrap();
    assert_eq!(other.list_locks().unwrap().len(), 1);
    drop(again);
    assert!(other.list_locks().unwrap().is_empty(), "dropping releases");
}

#[test]
fn a_write_probe_leaves_nothing_and_reports_live_locks() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    assert!(repo.probe_write().unwrap().is_empty());
    assert!(
        repo.list_locks().unwrap().is_empty(),
        "the probe is deleted"
    );
    // A prune's lock does not block a backup; the probe reports it.
    let other = open(dir.path());
    let held = other.lock_exclusive(Duration::from_secs(300)).unwrap();
    let live = repo.probe_write().unwrap();
    assert_eq!(live.len(), 1);
    assert!(live[0].exclusive);
    drop(held);
    assert!(repo.list_locks().unwrap().is_empty());
}

#[test]
fn expired_locks_are_stale() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let other = open(dir.path());
    let lock = repo.lock_exclusive(Duration::ZERO).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    // Expired: ignored by the next locker, and removable.
    let mut second = other.lock_exclusive(Duration::from_secs(60)).unwrap();
    second.refresh().unwrap();
    assert!(second.info().expires > vault::now_unix_ns());
    assert_eq!(other.remove_stale_locks().unwrap(), 1);
    std::mem::forget(lock);
    drop(second);
    assert!(other.list_locks().unwrap().is_empty());
}

#[test]
fn lock_of_a_dead_process_on_this_host_is_stale() {
    let info = vault::LockInfo {
        format_version: 1,
        host: "here".into(),
        pid: u32::MAX - 1,
        username: "u".into(),
        time: 0,
        expires: i64::MAX,
        exclusive: true,
        since: None,
    };
    assert!(vault::repo::locks::is_stale(&info, 1, "here"));
    assert!(!vault::repo::locks::is_stale(&info, 1, "elsewhere"));
}

#[test]
fn retagging_writes_a_new_document_and_removes_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let id = repo.save_snapshot(&snapshot(&repo, 10, "cnx1")).unwrap();
    let add = vec!["keep".to_string(), "keep".to_string()];
    let remove = vec!["before-cr3".to_string()];
    let new = repo.retag_snapshot(&id, &add, &remove).unwrap();
    assert_ne!(new, id);
    let snap = repo.load_snapshot(&new).unwrap();
    assert_eq!(snap.tags, ["keep"], "removed, added once");
    assert_eq!(
        snap.tree,
        snapshot(&repo, 10, "cnx1").tree,
        "the data is the same"
    );
    let ids = snapshot_ids(&repo);
    assert_eq!(ids, [new], "the old document is gone");
    // nothing to change: the same id, nothing written
    assert_eq!(repo.retag_snapshot(&new, &add, &[]).unwrap(), new);
}

#[test]
fn forgetting_named_snapshots_reports_them_by_group() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let a = repo.save_snapshot(&snapshot(&repo, 10, "cnx1")).unwrap();
    let b = repo.save_snapshot(&snapshot(&repo, 20, "cnx2")).unwrap();
    let keep = repo.save_snapshot(&snapshot(&repo, 30, "cnx1")).unwrap();
    let dry = vault::maintenance::forget_ids(&repo, &[a, b, a], true).unwrap();
    assert_eq!((dry.removed, dry.groups.len()), (2, 2), "{dry:?}");
    assert_eq!(
        repo.list_snapshots().unwrap().len(),
        3,
        "a dry run removes nothing"
    );
    let done = vault::maintenance::forget_ids(&repo, &[a, b], false).unwrap();
    assert_eq!(done.removed, 2);
    let ids = snapshot_ids(&repo);
    assert_eq!(ids, [keep]);
    let err = vault::maintenance::forget_ids(&repo, &[a], false).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

/// The ids of the repository's snapshot documents, as listed.
fn snapshot_ids(repo: &Repository) -> Vec<vault::SnapshotId> {
    repo.list_snapshots()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}
