//! Pending sources (`BackupSource::pending`): the rest of the backup is read first (the read
//! notice comes while they are still not ready), each is stored once its sender names its
//! real path, in whatever order they become ready, and one that fails or is dropped is left
//! out with the reason in its report (or without a warning when its producer reports why);
//! every file of a pending source is read and its SHA-256 reported, also in a second run.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::fs_common::{init_repo, noise};
use vault::backup::{backup_sources, BackupOptions, BackupOutcome, BackupSource, SourceKind};
use vault::restore::dump_file;
use vault::tree::{walk, Visit};
use vault::Repository;

/// The database images as they will be when their backups are done (left as they are when
/// a previous run wrote them).
fn write_images(dir: &Path) {
    if dir.join("ONE").exists() {
        return;
    }
    fs::create_dir_all(dir.join("ONE")).unwrap();
    fs::write(dir.join("ONE/ONE.0.db2inst1.001"), noise(400_000, 11)).unwrap();
    fs::write(dir.join("ONE/transcript.log"), b"$ db2 backup ONE\n").unwrap();
    fs::create_dir_all(dir.join("TWO")).unwrap();
    fs::write(dir.join("TWO/TWO.bak"), noise(100_000, 12)).unwrap();
    fs::write(dir.join("FOUR.img"), noise(70_000, 14)).unwrap();
}

/// Backs up a file tree and five pending sources; `ready` makes them ready (in its own
/// order) once the notice that everything else is read has come.
fn run_with_pending(repo: &Repository, data: &Path, images: &Path) -> BackupOutcome {
    let (notice, noticed) = mpsc::channel();
    let opts = BackupOptions {
        host: "pending-test".into(),
        read_notice: Some(notice),
        ..BackupOptions::default()
    };
    let mut sources = vec![BackupSource::path(data, "/data/shared")];
    let mut senders = Vec::new();
    for name in ["ONE", "TWO", "THREE", "FOUR.img", "FIVE", "SIX"] {
        let (source, sender) = BackupSource::pending(format!("/.cnxbackup/databases/{name}"));
        sources.push(source);
        senders.push(sender);
    }
    std::thread::scope(|s| {
        let backup = s.spawn(|| backup_sources(repo, sources, &opts));
        // every other source is read before any pending one is ready
        noticed.recv_timeout(Duration::from_secs(60)).unwrap();
        write_images(images);
        let mut senders = senders.into_iter();
        let [one, two, three, four, five, six] = std::array::from_fn(|_| senders.next().unwrap());
        two.ready(images.join("TWO"));
        four.ready(images.join("FOUR.img"));
        three.failed("SQL2062N  An error occurred while accessing media");
        one.ready(images.join("ONE"));
        drop(five);
        six.nothing();
        backup.join().unwrap().unwrap()
    })
}

fn dump(repo: &Repository, snap: &vault::Snapshot, path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    dump_file(repo, snap, Path::new(path), &mut out).unwrap();
    out
}

#[test]
fn pending_sources_are_stored_when_ready_after_the_rest_is_read() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let data = tempfile::tempdir().unwrap();
    fs::create_dir_all(data.path().join("search")).unwrap();
    fs::write(data.path().join("search/index.bin"), noise(300_000, 1)).unwrap();
    let images = tempfile::tempdir().unwrap();

    let out = run_with_pending(&repo, data.path(), images.path());
    let snap = &out.snapshot;
    assert_eq!(
        dump(&repo, snap, "/.cnxbackup/databases/ONE/ONE.0.db2inst1.001"),
        noise(400_000, 11)
    );
    assert_eq!(
        dump(&repo, snap, "/.cnxbackup/databases/TWO/TWO.bak"),
        noise(100_000, 12)
    );
    assert_eq!(
        dump(&repo, snap, "/.cnxbackup/databases/FOUR.img"),
        noise(70_000, 14)
    );
    assert_eq!(
        dump(&repo, snap, "/data/shared/search/index.bin"),
        noise(300_000, 1)
    );
    let mut seen = Vec::new();
    walk(
        &repo,
        snap,
        Path::new("/.cnxbackup/databases"),
        &mut |p, _| {
            seen.push(p.display().to_string());
            Visit::Continue
        },
    )
    .unwrap();
    assert_eq!(
        seen,
        [
            "/.cnxbackup/databases",
            "/.cnxbackup/databases/FOUR.img",
            "/.cnxbackup/databases/ONE",
            "/.cnxbackup/databases/ONE/ONE.0.db2inst1.001",
            "/.cnxbackup/databases/ONE/transcript.log",
            "/.cnxbackup/databases/TWO",
            "/.cnxbackup/databases/TWO/TWO.bak",
        ]
    );
    // the reports: one per source, in the order given
    let r = &out.sources;
    assert!(r[1..].iter().all(|s| s.kind == SourceKind::Pending));
    assert!(
        r[1].stored && r[1].files == 2 && r[1].bytes == 400_017,
        "{:?}",
        r[1]
    );
    assert!(r[2].stored && r[2].files == 1);
    assert!(!r[3].stored);
    assert!(
        r[3].warnings[0].message.contains("SQL2062N"),
        "{:?}",
        r[3].warnings
    );
    assert!(r[4].stored && r[4].files == 1 && r[4].bytes == 70_000);
    assert!(!r[5].stored);
    assert!(r[5].warnings[0].message.contains("never became ready"));
    // left out without a warning: its producer reports why
    assert!(!r[6].stored && r[6].warnings.is_empty(), "{:?}", r[6]);
    assert_eq!(
        snap.summary.not_backed_up.len(),
        2,
        "{:?}",
        snap.summary.not_backed_up
    );
    // each file's SHA-256, by its path below the source
    let sha = |data: &[u8]| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data));
    let one: Vec<(String, String)> = r[1]
        .file_sha256
        .iter()
        .map(|(p, h)| (p.display().to_string(), h.clone()))
        .collect();
    assert_eq!(
        one,
        [
            ("ONE.0.db2inst1.001".to_string(), sha(&noise(400_000, 11))),
            ("transcript.log".to_string(), sha(b"$ db2 backup ONE\n")),
        ]
    );
    assert_eq!(r[4].file_sha256[Path::new("")], sha(&noise(70_000, 14)));
    assert!(
        r[0].file_sha256.is_empty(),
        "only pending sources report them"
    );
}

#[test]
fn unchanged_pending_content_is_read_again_for_its_hashes_and_adds_no_data() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let data = tempfile::tempdir().unwrap();
    fs::write(data.path().join("a.txt"), b"a").unwrap();
    let images = tempfile::tempdir().unwrap();
    let first = run_with_pending(&repo, data.path(), images.path());
    assert!(first.sources[1].bytes_read > 0);
    // same images, same inodes: the files of the other sources are not read again, the
    // pending ones are (for their hashes), and deduplicate to nothing new
    let second = run_with_pending(&repo, data.path(), images.path());
    assert_eq!(second.parent, Some(first.snapshot_id));
    let read: Vec<u64> = second.sources.iter().map(|s| s.bytes_read).collect();
    assert_eq!(
        read,
        [0, 400_017, 100_000, 0, 70_000, 0, 0],
        "{:?}",
        second.sources
    );
    assert_eq!(second.summary.data_blobs_new, 0);
    assert_eq!(second.sources[1].file_sha256, first.sources[1].file_sha256);
    assert!(second.sources[1].stored && second.sources[4].stored);
}

#[test]
fn a_pending_source_cannot_be_the_snapshot_root() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let (source, _sender) = BackupSource::pending(PathBuf::from("/"));
    let err = backup_sources(&repo, vec![source], &BackupOptions::default()).unwrap_err();
    assert!(err.to_string().contains("snapshot root"), "{err}");
}
