//! Damaged repositories and failing stores: flipped bytes, truncated index segments, corrupt
//! snapshots; disk full, interrupted and lying writes, objects that vanish between a listing
//! and a read (on the fault-injecting store, no root needed; one disk-full test on a real
//! tmpfs).
#![allow(clippy::unwrap_used)]

use crate::repo_common;

use repo_common::*;
use vault::storage::{FaultStore, MemStore, StoreErrorKind, WriteFault};
use vault::{BlobId, BlobKind, Snapshot, SnapshotSummary, VaultError};

/// A snapshot of `tree` at time `t` (host `h`, path `/data`), as a backup would record it.
fn snapshot_of(tree: BlobId, t: i64) -> Snapshot {
    Snapshot {
        time: t,
        host: "h".into(),
        paths: vec!["/data".into()],
        tags: vec![],
        tree,
        parent: None,
        summary: SnapshotSummary::default(),
        application: None,
        username: "u".into(),
        program_version: "test".into(),
    }
}

#[test]
fn flipped_byte_in_a_pack_names_the_pack_and_the_blob() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let blobs: Vec<Vec<u8>> = (0..5).map(|i| noise(20_000, i)).collect();
    for b in &blobs {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.flush().unwrap();
    let victim = repo.id_of(&blobs[2]);
    let loc = repo.lookup(&victim).unwrap();
    let pack_file = files_under(dir.path(), "packs")
        .into_iter()
        .find(|p| p.ends_with(loc.pack.to_hex()))
        .unwrap();
    let mut bytes = std::fs::read(&pack_file).unwrap();
    bytes[(loc.offset + loc.length / 2) as usize] ^= 0x40;
    std::fs::write(&pack_file, &bytes).unwrap();

    let err = repo.load_blob(BlobKind::Data, &victim).unwrap_err();
    assert!(matches!(err, VaultError::BlobDamaged { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&loc.pack.to_hex()), "{msg}");
    assert!(msg.contains(&victim.to_hex()), "{msg}");
    // The other blobs of the same pack are intact.
    for (i, b) in blobs.iter().enumerate() {
        if i != 2 {
            assert_eq!(&repo.load_blob(BlobKind::Data, &repo.id_of(b)).unwrap(), b);
        }
    }
}

#[test]
fn truncated_index_segment_is_reported_and_repair_recovers_every_blob() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let mut ids = Vec::new();
    for round in 0..3u64 {
        for i in 0..10u64 {
            let b = noise(30_000, round * 100 + i);
            let id = repo.id_of(&b);
            repo.save_blob(BlobKind::Data, id, &b).unwrap();
            ids.push((id, b));
        }
        repo.flush().unwrap();
    }
    let before = repo.index_entries();
    drop(repo);
    let segments = files_under(dir.path(), "index");
    assert_eq!(segments.len(), 3);
    let seg = &segments[1];
    let len = std::fs::metadata(seg).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(seg)
        .unwrap()
        .set_len(len / 2)
        .unwrap();

    let repo = open(dir.path());
    let problems = repo.index_problems();
    assert_eq!(problems.len(), 1);
    let seg_name = seg.file_name().unwrap().to_string_lossy().to_string();
    assert!(problems[0].path.ends_with(&seg_name), "{problems:?}");
    assert!(!problems[0].reason.is_empty());
    let missing = ids
        .iter()
        .filter(|(id, _)| !repo.has_blob(BlobKind::Data, id))
        .count();
    assert_eq!(
        missing, 10,
        "the blobs of the truncated segment are unindexed"
    );

    let report = vault::repair::rebuild_index(&repo).unwrap();
    assert_eq!(report.packs_read, 3);
    assert!(report.packs_failed.is_empty());
    assert_eq!(report.blobs_indexed, 30);
    assert_eq!(report.blobs_recovered, 10);
    assert_eq!(report.segments_removed, 3);
    assert!(repo.index_problems().is_empty());
    for (id, b) in &ids {
        assert_eq!(&repo.load_blob(BlobKind::Data, id).unwrap(), b);
    }
    drop(repo);
    let repo = open(dir.path());
    assert!(repo.index_problems().is_empty());
    assert_eq!(repo.index_entries(), before);
}

/// Issue 21 case 1: a pack whose trailer is damaged but whose blobs are intact keeps its
/// index entries through `repair index` (before, repair dropped the pack and deleted the
/// old segments, the only record of its blobs).
#[test]
fn repair_keeps_the_old_index_entries_of_a_pack_with_a_damaged_trailer() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let blobs: Vec<Vec<u8>> = (0..4).map(|i| noise(10_000, i)).collect();
    for b in &blobs {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.flush().unwrap();
    let other = noise(10_000, 99);
    repo.save_blob(BlobKind::Data, repo.id_of(&other), &other)
        .unwrap();
    repo.flush().unwrap();
    let victim = repo.lookup(&repo.id_of(&blobs[0])).unwrap().pack;
    let pack = files_under(dir.path(), "packs")
        .into_iter()
        .find(|p| p.ends_with(victim.to_hex()))
        .unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1; // inside the sealed trailer
    std::fs::write(&pack, &bytes).unwrap();

    let report = vault::repair::rebuild_index(&repo).unwrap();
    assert_eq!(report.packs_read, 1);
    assert_eq!(report.packs_failed.len(), 1);
    let failed = &report.packs_failed[0];
    assert_eq!(failed.pack, victim);
    assert!(failed.reason.contains("packs/"), "{failed:?}");
    assert_eq!(failed.blobs_kept, blobs.len());
    assert!(!report.is_complete());
    drop(repo);
    let repo = open(dir.path());
    for b in blobs.iter().chain([&other]) {
        assert_eq!(&repo.load_blob(BlobKind::Data, &repo.id_of(b)).unwrap(), b);
    }
    // and a second repair keeps them again
    vault::repair::rebuild_index(&repo).unwrap();
    assert_eq!(
        &repo
            .load_blob(BlobKind::Data, &repo.id_of(&blobs[1]))
            .unwrap(),
        &blobs[1]
    );
}

/// A pack no readable record describes (trailer damaged, old segment unreadable) cannot be
/// indexed: the unreadable segment, its only possible record, is kept.
#[test]
fn repair_keeps_an_unreadable_segment_while_a_pack_is_undescribed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let b = noise(10_000, 1);
    repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
    repo.flush().unwrap();
    drop(repo);
    let pack = files_under(dir.path(), "packs").pop().unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 1;
    std::fs::write(&pack, &bytes).unwrap();
    let segment = files_under(dir.path(), "index").pop().unwrap();
    let mut seg = std::fs::read(&segment).unwrap();
    seg[10] ^= 1;
    std::fs::write(&segment, &seg).unwrap();

    let repo = open(dir.path());
    let report = vault::repair::rebuild_index(&repo).unwrap();
    assert_eq!(report.packs_failed.len(), 1);
    assert_eq!(report.packs_failed[0].blobs_kept, 0);
    assert_eq!(report.segments_kept.len(), 1, "{report:?}");
    assert!(segment.exists(), "the only record of the pack was deleted");
    assert!(pack.exists());
}

#[test]
fn corrupt_snapshot_is_listed_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init(dir.path());
    let tree = b"{\"entries\":[]}".to_vec();
    let tree_id = repo.id_of(&tree);
    repo.save_blob(BlobKind::Tree, tree_id, &tree).unwrap();
    let snap = |t: i64| snapshot_of(tree_id, t);
    let good = repo.save_snapshot(&snap(1)).unwrap();
    let bad = repo.save_snapshot(&snap(2)).unwrap();
    let bad_path = dir.path().join("snapshots").join(bad.to_hex());
    let mut bytes = std::fs::read(&bad_path).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&bad_path, &bytes).unwrap();

    let list = repo.list_snapshots().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].0, good);
    assert!(list[0].1.is_ok());
    assert_eq!(list[1].0, bad);
    let err = list[1].1.as_ref().unwrap_err();
    assert!(err.to_string().contains(&bad.to_hex()), "{err}");
    // `latest` skips the unreadable one.
    assert_eq!(repo.find_snapshot("latest").unwrap().0, good);
}

/// Saves blobs of 300 kB until one fails (at most 40); the error, or `None`.
fn save_until_failure(repo: &vault::Repository, seed: u64) -> Option<VaultError> {
    for i in 0..40 {
        let b = noise(300_000, seed + i);
        if let Err(e) = repo.save_blob(BlobKind::Data, repo.id_of(&b), &b) {
            return Some(e);
        }
    }
    None
}

/// After a failed write the session is over: blobs reported as saved were lost, so every
/// later flush and save fails, still naming the first failure.
fn assert_session_is_over(repo: &vault::Repository, kind: StoreErrorKind) {
    let again = repo.flush().unwrap_err();
    assert!(
        matches!(again, VaultError::SessionFailed { .. }),
        "{again:?}"
    );
    assert_eq!(again.storage_kind(), Some(kind), "{again:?}");
    let b = noise(10, 99);
    assert!(repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).is_err());
}

/// Opened again, the repository is consistent: no index problem, `kept` loads, every pack
/// trailer reads (no half-written object is visible).
fn assert_consistent(repo: &vault::Repository, kept: &[u8]) {
    assert!(
        repo.index_problems().is_empty(),
        "{:?}",
        repo.index_problems()
    );
    assert_eq!(
        repo.load_blob(BlobKind::Data, &repo.id_of(kept)).unwrap(),
        kept
    );
    for (pack, _) in repo.list_packs().unwrap() {
        repo.read_pack_trailer(&pack).unwrap();
    }
}

/// The whole error chain on one line, as the binary prints it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Disk full while uploading: a clear storage error naming the object and the kind, the
/// session refuses to go on, and the repository stays consistent (what was flushed before
/// is still readable).
#[test]
fn disk_full_gives_a_clear_error_and_keeps_the_repository_consistent() {
    let mem = MemStore::new();
    let store = FaultStore::new(mem.clone());
    let repo = init_on(store.clone());
    let first = noise(200_000, 1);
    repo.save_blob(BlobKind::Data, repo.id_of(&first), &first)
        .unwrap();
    repo.flush().unwrap();

    store.limit_space(3 << 20);
    let err = save_until_failure(&repo, 10).unwrap_or_else(|| repo.flush().unwrap_err());
    assert_eq!(err.storage_kind(), Some(StoreErrorKind::NoSpace), "{err:?}");
    let msg = chain(&err);
    assert!(msg.contains("packs/") || msg.contains("index/"), "{msg}");
    assert!(msg.contains("no space"), "{msg}");
    assert_session_is_over(&repo, StoreErrorKind::NoSpace);
    drop(repo);

    assert_consistent(&open_on(mem), &first);
}

/// A store that turns read-only mid-session (a file system remounted read-only, a write
/// permission withdrawn): the refused write ends the session with "access denied" naming the
/// object, no later flush claims success, and what was flushed before stays readable.
#[test]
fn a_read_only_store_ends_the_session_and_keeps_the_repository_consistent() {
    let mem = MemStore::new();
    let store = FaultStore::new(mem.clone());
    let repo = init_on(store.clone());
    let first = noise(200_000, 2);
    repo.save_blob(BlobKind::Data, repo.id_of(&first), &first)
        .unwrap();
    repo.flush().unwrap();

    store.read_only(true);
    let err = save_until_failure(&repo, 30).unwrap_or_else(|| repo.flush().unwrap_err());
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::PermissionDenied),
        "{err:?}"
    );
    let msg = chain(&err);
    assert!(msg.contains("packs/") || msg.contains("index/"), "{msg}");
    assert!(msg.contains("read-only"), "{msg}");
    assert_session_is_over(&repo, StoreErrorKind::PermissionDenied);
    drop(repo);

    assert_consistent(&open_on(mem), &first);
}

/// The same on a real file system: a 3 MiB tmpfs, so the kernel's ENOSPC is what the store
/// classifies. Needs root (scripts/test runs the suite as root); fails when it cannot mount.
#[test]
fn disk_full_on_a_real_file_system_is_reported_as_no_space() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted,
        "this test needs root to mount a 3 MiB tmpfs (run it through scripts/test as root)"
    );
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());

    let repo = init(&mnt);
    let first = noise(200_000, 1);
    repo.save_blob(BlobKind::Data, repo.id_of(&first), &first)
        .unwrap();
    repo.flush().unwrap();
    let err = save_until_failure(&repo, 10).unwrap_or_else(|| repo.flush().unwrap_err());
    assert_eq!(err.storage_kind(), Some(StoreErrorKind::NoSpace), "{err:?}");
    let msg = chain(&err);
    assert!(msg.contains("No space left on device"), "{msg}");
    assert!(
        msg.contains(&mnt.display().to_string()),
        "names the store: {msg}"
    );
    assert_session_is_over(&repo, StoreErrorKind::NoSpace);
    drop(repo);

    assert_consistent(&open(&mnt), &first);
}

/// A pack upload cut off halfway on a store without atomic writes (the partial object is
/// visible): the session fails, the partial pack is in no index, and the next session saves
/// the lost blobs again instead of deduplicating against them.
#[test]
fn interrupted_pack_upload_is_never_indexed_and_the_next_session_saves_again() {
    let mem = MemStore::new();
    let store = FaultStore::new(mem.clone());
    let repo = init_on(store.clone());
    let first = noise(200_000, 1);
    repo.save_blob(BlobKind::Data, repo.id_of(&first), &first)
        .unwrap();
    repo.flush().unwrap();

    store.on_write(
        "packs/",
        2,
        WriteFault::Truncate {
            keep: 4096,
            report: true,
        },
    );
    let err = save_until_failure(&repo, 20).unwrap_or_else(|| repo.flush().unwrap_err());
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::Transient),
        "{err:?}"
    );
    assert!(chain(&err).contains("connection reset"), "{}", chain(&err));
    assert_session_is_over(&repo, StoreErrorKind::Transient);
    drop(repo);

    let repo = open_on(store.clone());
    assert!(repo.index_problems().is_empty());
    assert_eq!(
        repo.load_blob(BlobKind::Data, &repo.id_of(&first)).unwrap(),
        first
    );
    let indexed: std::collections::HashSet<_> =
        repo.index_entries().iter().map(|(_, l)| l.pack).collect();
    let torn: Vec<_> = repo
        .list_packs()
        .unwrap()
        .into_iter()
        .filter(|(pack, _)| repo.read_pack_trailer(pack).is_err())
        .collect();
    assert_eq!(torn.len(), 1, "the cut-off pack is left behind");
    assert!(!indexed.contains(&torn[0].0), "and is in no index");
    // Every blob of this run is saved (again) and loads.
    let blobs: Vec<Vec<u8>> = (0..12).map(|i| noise(300_000, 20 + i)).collect();
    for b in &blobs {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.flush().unwrap();
    drop(repo);
    let repo = open_on(store);
    for b in &blobs {
        assert_eq!(&repo.load_blob(BlobKind::Data, &repo.id_of(b)).unwrap(), b);
    }
}

/// A failed index segment write (after its packs were stored) is not a lost session: the
/// packs stay unindexed in memory and the next flush writes the segment.
#[test]
fn a_failed_index_write_is_written_by_the_next_flush() {
    let store = FaultStore::new(MemStore::new());
    let repo = init_on(store.clone());
    let b = noise(100_000, 3);
    repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
    store.on_write("index/", 1, WriteFault::Fail(StoreErrorKind::Transient));
    let err = repo.flush().unwrap_err();
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::Transient),
        "{err:?}"
    );
    assert!(err.to_string().contains("cannot write index/"), "{err}");
    repo.flush().unwrap();
    drop(repo);
    let repo = open_on(store);
    assert_eq!(repo.load_blob(BlobKind::Data, &repo.id_of(&b)).unwrap(), b);
}

/// A store that claims success for a truncated pack: nothing notices at save time, but
/// `check --read-data` names the damaged pack (and reading a blob names pack and blob).
#[test]
fn a_silently_truncated_pack_is_found_by_check_read_data() {
    let store = FaultStore::new(MemStore::new());
    let repo = init_on(store.clone());
    let blobs: Vec<Vec<u8>> = (0..4).map(|i| noise(100_000, 40 + i)).collect();
    for b in &blobs[..2] {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.flush().unwrap();
    store.on_write(
        "packs/",
        1,
        WriteFault::Truncate {
            keep: 150_000,
            report: false,
        },
    );
    for b in &blobs[2..] {
        repo.save_blob(BlobKind::Data, repo.id_of(b), b).unwrap();
    }
    repo.flush().unwrap();
    let victim = repo.lookup(&repo.id_of(&blobs[3])).unwrap().pack;
    let report = vault::check::check(
        &repo,
        &vault::check::CheckOptions {
            read_data: Some(100.0),
            threads: 1,
            progress: None,
        },
    )
    .unwrap();
    assert!(!report.is_ok(), "{report:?}");
    let text = format!("{report:?}");
    assert!(text.contains(&victim.to_hex()), "{text}");
    assert!(repo
        .load_blob(BlobKind::Data, &repo.id_of(&blobs[3]))
        .is_err());
    assert_eq!(
        repo.load_blob(BlobKind::Data, &repo.id_of(&blobs[0]))
            .unwrap(),
        blobs[0]
    );
}

/// Objects deleted between a listing and the reads that follow (a concurrent prune,
/// `forget` or a backup releasing its lock) are not damage: a replaced index segment makes
/// the load list again, a forgotten snapshot and a released lock are simply gone.
#[test]
fn objects_deleted_between_listing_and_reading_are_not_damage() {
    let mem = MemStore::new();
    let store = FaultStore::new(mem.clone());
    let repo = init_on(store.clone());
    let (a, b) = (noise(50_000, 1), noise(50_000, 2));
    repo.save_blob(BlobKind::Data, repo.id_of(&a), &a).unwrap();
    repo.flush().unwrap();
    let first_segment = mem
        .paths()
        .into_iter()
        .find(|p| p.starts_with("index/"))
        .unwrap();
    repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
    repo.flush().unwrap();

    store.delete_after_list(&first_segment);
    repo.reload_index().unwrap();
    assert!(
        repo.index_problems().is_empty(),
        "{:?}",
        repo.index_problems()
    );
    assert!(
        !repo.has_blob(BlobKind::Data, &repo.id_of(&a)),
        "its segment is gone"
    );
    assert!(repo.has_blob(BlobKind::Data, &repo.id_of(&b)));

    let tree = b"{\"entries\":[]}".to_vec();
    let tree_id = repo.id_of(&tree);
    repo.save_blob(BlobKind::Tree, tree_id, &tree).unwrap();
    repo.flush().unwrap();
    let snap = |t: i64| snapshot_of(tree_id, t);
    let kept = repo.save_snapshot(&snap(1)).unwrap();
    let forgotten = repo.save_snapshot(&snap(2)).unwrap();
    store.delete_after_list(&format!("snapshots/{}", forgotten.to_hex()));
    let list = repo.list_snapshots().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0].0, kept);

    let held = repo
        .lock_exclusive(std::time::Duration::from_secs(60))
        .unwrap();
    drop(held);
    let other = repo
        .lock_exclusive(std::time::Duration::from_secs(60))
        .unwrap();
    let lock_path = mem
        .paths()
        .into_iter()
        .find(|p| p.starts_with("locks/"))
        .unwrap();
    store.delete_after_list(&lock_path);
    assert!(
        repo.list_locks().unwrap().is_empty(),
        "a released lock is no lock"
    );
    drop(other);
}

/// A pack that is listed but cannot be read (missing from the store) is named by the error
/// of every read that needs it.
#[test]
fn a_missing_pack_is_named_with_the_not_found_kind() {
    let store = FaultStore::new(MemStore::new());
    let repo = init_on(store.clone());
    let b = noise(50_000, 5);
    repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
    repo.flush().unwrap();
    let pack = repo.lookup(&repo.id_of(&b)).unwrap().pack;
    store.hide("packs/");
    let err = repo.load_blob(BlobKind::Data, &repo.id_of(&b)).unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(err.storage_kind(), Some(StoreErrorKind::NotFound));
    assert!(err.to_string().contains(&pack.to_hex()), "{err}");
    assert!(err.to_string().contains("memory"), "names the store: {err}");
}

/// A writer killed with SIGKILL in the middle of saving: the repository opens cleanly, every
/// indexed blob loads, every pack's trailer reads, and `repair index` finds at least what the
/// checkpoints had indexed (leftover packs after the last checkpoint become indexed too).
#[test]
fn killed_writer_leaves_a_consistent_repository() {
    const CHILD_ENV: &str = "VAULT_TEST_KILL_CHILD_REPO";
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        // Child: save blobs with a checkpoint after every upload until killed (or 60 s).
        let repo = open(std::path::Path::new(&dir));
        repo.set_checkpoint_policy(std::time::Duration::ZERO, 0);
        let start = std::time::Instant::now();
        let mut i = 0u64;
        while start.elapsed() < std::time::Duration::from_secs(60) {
            let b = noise(150_000, 10_000 + i);
            repo.save_blob(BlobKind::Data, repo.id_of(&b), &b).unwrap();
            i += 1;
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    drop(init(dir.path()));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "repo_faults::killed_writer_leaves_a_consistent_repository",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while files_under(dir.path(), "index").len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        files_under(dir.path(), "index").len() >= 3,
        "the child wrote checkpoints before the kill"
    );

    let repo = open(dir.path());
    assert!(
        repo.index_problems().is_empty(),
        "{:?}",
        repo.index_problems()
    );
    let indexed = repo.index_entries();
    assert!(!indexed.is_empty());
    for (id, loc) in &indexed {
        assert_eq!(repo.load_blob(loc.kind, id).unwrap().len(), 150_000);
    }
    for (pack, _) in repo.list_packs().unwrap() {
        repo.read_pack_trailer(&pack).unwrap();
    }
    let report = vault::repair::rebuild_index(&repo).unwrap();
    assert!(report.packs_failed.is_empty());
    assert!(report.blobs_indexed >= indexed.len());
}
