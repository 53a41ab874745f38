//! `backup_sources`: real paths stored under other (product) paths, streams and bytes,
//! nested sources with excludes, per-source reports, the finish hook, incremental runs by
//! stored path, and index checkpoints during long reads.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fs_common::{init_repo, noise};
use vault::backup::{
    backup_sources, backup_sources_with_finish, BackupOptions, BackupSource, FinishAdditions,
    SourceKind,
};
use vault::restore::dump_file;
use vault::tree::{find_entry, walk, EntryKind, Visit};
use vault::{Repository, Storage};

fn opts() -> BackupOptions {
    BackupOptions {
        host: "sources-test".into(),
        ..BackupOptions::default()
    }
}

/// A deployment under a sysroot: `<root>/opt/IBM/Connections/...` and shared data with a
/// `provision` directory inside.
fn sysroot(root: &Path) {
    let c = root.join("opt/IBM/Connections");
    fs::create_dir_all(c.join("lib")).unwrap();
    fs::write(c.join("lib/a.jar"), noise(300_000, 1)).unwrap();
    fs::write(c.join("version.txt"), b"8.0 CR3\n").unwrap();
    let s = root.join("data/shared");
    fs::create_dir_all(s.join("provision/webresources")).unwrap();
    fs::create_dir_all(s.join("search")).unwrap();
    fs::write(s.join("search/index.bin"), noise(200_000, 2)).unwrap();
    fs::write(s.join("provision/webresources/p.jar"), noise(50_000, 3)).unwrap();
    fs::set_permissions(root.join("opt"), fs::Permissions::from_mode(0o750)).unwrap();
}

fn path_sources(root: &Path) -> Vec<BackupSource> {
    vec![
        BackupSource::path(root.join("opt/IBM/Connections"), "/opt/IBM/Connections"),
        BackupSource::path(root.join("data/shared"), "/data/shared")
            .with_excludes(vec!["/data/shared/provision".into()]),
        BackupSource::path(root.join("data/shared/provision"), "/data/shared/provision"),
    ]
}

fn dump(repo: &Repository, snap: &vault::Snapshot, path: &str) -> Vec<u8> {
    let mut out = Vec::new();
    dump_file(repo, snap, Path::new(path), &mut out).unwrap();
    out
}

#[test]
fn sysroot_tree_is_stored_under_product_paths_and_rerun_reads_nothing() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let root = tempfile::tempdir().unwrap();
    sysroot(root.path());

    let first = backup_sources(&repo, path_sources(root.path()), &opts()).unwrap();
    assert_eq!(
        first.snapshot.paths,
        vec![
            "/data/shared",
            "/data/shared/provision",
            "/opt/IBM/Connections"
        ]
    );
    // stored under the product path, with the real intermediate directory's metadata
    let snap = &first.snapshot;
    assert_eq!(
        dump(&repo, snap, "/opt/IBM/Connections/version.txt"),
        b"8.0 CR3\n"
    );
    assert_eq!(
        dump(&repo, snap, "/data/shared/provision/webresources/p.jar"),
        noise(50_000, 3)
    );
    let opt = find_entry(&repo, snap, Path::new("/opt")).unwrap().unwrap();
    assert_eq!(opt.kind, EntryKind::Dir);
    assert_eq!(opt.mode, 0o750, "the real /opt under the sysroot");
    assert!(find_entry(&repo, snap, Path::new("/tmp"))
        .unwrap()
        .is_none());
    // per-source reports: provision counted once, in its own source
    let r = &first.sources;
    assert_eq!(r.len(), 3);
    assert_eq!((r[0].files, r[0].bytes), (2, 300_008));
    assert_eq!((r[1].files, r[1].bytes, r[1].dirs), (1, 200_000, 2));
    assert_eq!((r[2].files, r[2].bytes, r[2].dirs), (1, 50_000, 2));
    assert!(r.iter().all(|s| s.stored && s.kind == SourceKind::Path));
    assert_eq!(first.summary.bytes_read, 550_008);

    // the second run finds the parent by host + stored paths and reads nothing
    let second = backup_sources(&repo, path_sources(root.path()), &opts()).unwrap();
    assert_eq!(second.parent, Some(first.snapshot_id));
    assert_eq!(second.summary.bytes_read, 0);
    assert_eq!(second.summary.files_unchanged, 4);
    assert_eq!(second.snapshot.tree, first.snapshot.tree, "identical tree");
    assert_eq!(second.sources[0].bytes_read, 0);
    assert_eq!(second.sources[0].files, 2);
}

#[test]
fn streams_bytes_and_the_finish_hook_land_in_one_snapshot() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let root = tempfile::tempdir().unwrap();
    sysroot(root.path());
    let dump_data = noise(2_500_000, 9);
    let mut sources = path_sources(root.path());
    sources.push(BackupSource::stream(
        "/.cnxbackup/databases/HOMEPAGE.dump",
        Box::new(std::io::Cursor::new(dump_data.clone())),
        0o600,
        1_700_000_000_000_000_000,
    ));
    sources.push(BackupSource::bytes(
        "/.cnxbackup/evidence/version.txt",
        b"8.0 CR3".to_vec(),
        0o644,
        0,
    ));
    let outcome = backup_sources_with_finish(&repo, sources, &opts(), |reports| {
        // the manifest describes what was saved
        let doc: Vec<serde_json::Value> = reports
            .iter()
            .map(|r| {
                serde_json::json!({"path": r.stored_as, "files": r.files, "bytes": r.bytes,
                    "sha256": r.sha256})
            })
            .collect();
        FinishAdditions {
            files: vec![(
                PathBuf::from("/.cnxbackup/manifest.json"),
                serde_json::to_vec(&doc).unwrap(),
                0o644,
            )],
            application: Some(serde_json::json!({"kind": "test", "status": "complete"})),
            tags: vec!["set:abc".into()],
        }
    })
    .unwrap();
    let snap = &outcome.snapshot;
    assert_eq!(
        dump(&repo, snap, "/.cnxbackup/databases/HOMEPAGE.dump"),
        dump_data
    );
    assert_eq!(
        dump(&repo, snap, "/.cnxbackup/evidence/version.txt"),
        b"8.0 CR3"
    );
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&dump(&repo, snap, "/.cnxbackup/manifest.json")).unwrap();
    assert_eq!(manifest.len(), 5);
    assert_eq!(manifest[3]["bytes"], 2_500_000);
    let sha = manifest[3]["sha256"].as_str().unwrap();
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&dump_data)));
    assert_eq!(snap.application.as_ref().unwrap()["status"], "complete");
    assert!(snap.tags.contains(&"set:abc".to_string()));
    // the stream's metadata as given; the synthetic directory 0755
    let e = find_entry(
        &repo,
        snap,
        Path::new("/.cnxbackup/databases/HOMEPAGE.dump"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        (e.mode, e.mtime_ns, e.size),
        (0o600, 1_700_000_000_000_000_000, 2_500_000)
    );
    let d = find_entry(&repo, snap, Path::new("/.cnxbackup"))
        .unwrap()
        .unwrap();
    assert_eq!((d.kind, d.mode), (EntryKind::Dir, 0o755));
    // every stored path can be walked
    let mut seen = Vec::new();
    walk(&repo, snap, Path::new("/.cnxbackup"), &mut |p, _| {
        seen.push(p.display().to_string());
        Visit::Continue
    })
    .unwrap();
    assert_eq!(
        seen,
        vec![
            "/.cnxbackup",
            "/.cnxbackup/databases",
            "/.cnxbackup/databases/HOMEPAGE.dump",
            "/.cnxbackup/evidence",
            "/.cnxbackup/evidence/version.txt",
            "/.cnxbackup/manifest.json",
        ]
    );
    assert_eq!(outcome.sources[3].kind, SourceKind::Stream);
    assert_eq!(outcome.sources[3].bytes_read, 2_500_000);
}

/// A reader that fails after some bytes, like a dump whose tool exited non-zero.
struct FailingReader(usize);

impl Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0 == 0 {
            return Err(std::io::Error::other("db2 exited with status 4"));
        }
        let n = self.0.min(buf.len());
        buf[..n].fill(7);
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn a_failed_stream_is_left_out_and_reported() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let root = tempfile::tempdir().unwrap();
    sysroot(root.path());
    let mut sources = path_sources(root.path());
    sources.push(BackupSource::stream(
        "/.cnxbackup/databases/BAD.dump",
        Box::new(FailingReader(100_000)),
        0o600,
        0,
    ));
    let outcome = backup_sources(&repo, sources, &opts()).unwrap();
    let r = &outcome.sources[3];
    assert!(!r.stored);
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].message.contains("status 4"),
        "{:?}",
        r.warnings
    );
    assert!(find_entry(
        &repo,
        &outcome.snapshot,
        Path::new("/.cnxbackup/databases/BAD.dump")
    )
    .unwrap()
    .is_none());
    // the other sources are complete
    assert!(outcome.sources[..3]
        .iter()
        .all(|s| s.stored && s.warnings.is_empty()));
}

#[test]
fn overlapping_sources_and_bad_finish_files_are_refused() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let root = tempfile::tempdir().unwrap();
    sysroot(root.path());
    let err = backup_sources(
        &repo,
        vec![
            BackupSource::path(root.path().join("data/shared"), "/data/shared"),
            BackupSource::path(
                root.path().join("data/shared/provision"),
                "/data/shared/provision",
            ),
        ],
        &opts(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("overlaps with /data/shared"),
        "{err}"
    );
    let err = backup_sources(
        &repo,
        vec![BackupSource::path(
            root.path().join("data"),
            "relative/path",
        )],
        &opts(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("absolute"), "{err}");
    let err = backup_sources_with_finish(&repo, path_sources(root.path()), &opts(), |_| {
        FinishAdditions {
            files: vec![(PathBuf::from("/data/shared/x.json"), b"{}".to_vec(), 0o644)],
            ..FinishAdditions::default()
        }
    })
    .unwrap_err();
    assert!(err.to_string().contains("inside the source"), "{err}");
    assert!(
        repo.list_snapshots().unwrap().is_empty(),
        "no snapshot written"
    );
}

/// Yields its data, then blocks (a slow dump) until an index segment shows up in the
/// repository or 5 s pass, recording whether one did.
struct SlowReader {
    data: std::io::Cursor<Vec<u8>>,
    repo_dir: PathBuf,
    saw_checkpoint: Arc<AtomicBool>,
    waited: bool,
}

impl Read for SlowReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.data.read(buf)?;
        if n > 0 || self.waited {
            return Ok(n);
        }
        self.waited = true;
        let storage = Storage::local(&self.repo_dir).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !storage.list("index/").unwrap().is_empty() {
                self.saw_checkpoint.store(true, Ordering::SeqCst);
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(0)
    }
}

#[test]
fn index_checkpoints_happen_while_a_long_read_is_in_progress() {
    let repo_dir = tempfile::tempdir().unwrap();
    // small chunks, so the stream's data reaches full packs before the reader blocks
    let init = vault::InitOptions {
        kdf: vault::KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        chunker: vault::ChunkerParams::default()
            .with_sizes(16 * 1024, 64 * 1024, 256 * 1024)
            .unwrap(),
        ..vault::InitOptions::default()
    };
    let repo = Repository::init(Storage::local(repo_dir.path()).unwrap(), "pw", &init).unwrap();
    // due 1 s after the start: the data is saved well before that, so only a call made
    // while the reader blocks (the walker's timer) can write the checkpoint in time
    repo.set_checkpoint_policy(Duration::from_secs(1), vault::repo::CHECKPOINT_BYTES);
    let before = Storage::local(repo_dir.path())
        .unwrap()
        .list("index/")
        .unwrap()
        .len();
    assert_eq!(before, 0);
    let saw = Arc::new(AtomicBool::new(false));
    let reader = SlowReader {
        // several packs' worth (test packs are 1 MiB)
        data: std::io::Cursor::new(noise(3 << 20, 11)),
        repo_dir: repo_dir.path().to_path_buf(),
        saw_checkpoint: saw.clone(),
        waited: false,
    };
    let o = BackupOptions {
        checkpoint_every: Duration::from_millis(100),
        ..opts()
    };
    backup_sources(
        &repo,
        vec![BackupSource::stream(
            "/slow.dump",
            Box::new(reader),
            0o600,
            0,
        )],
        &o,
    )
    .unwrap();
    assert!(
        saw.load(Ordering::SeqCst),
        "no index checkpoint was written while the stream was still being read"
    );
}

#[test]
fn a_nested_source_whose_directory_is_missing_is_reported_not_stored() {
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = init_repo(repo_dir.path());
    let root = tempfile::tempdir().unwrap();
    sysroot(root.path());
    fs::create_dir_all(root.path().join("elsewhere")).unwrap();
    fs::write(root.path().join("elsewhere/p"), b"p").unwrap();
    let sources = vec![
        BackupSource::path(root.path().join("data/shared"), "/data/shared")
            .with_excludes(vec!["/data/shared/missing/inner".into()]),
        // its stored parent /data/shared/missing does not exist in the outer source
        BackupSource::path(root.path().join("elsewhere"), "/data/shared/missing/inner"),
    ];
    let outcome = backup_sources(&repo, sources, &opts()).unwrap();
    let r = &outcome.sources[1];
    assert!(!r.stored);
    assert_eq!(r.files, 0);
    assert!(
        r.warnings[0].message.contains("not stored"),
        "{:?}",
        r.warnings
    );
    assert!(outcome.sources[0].stored);
    assert_eq!(outcome.summary.warnings, 1);
}
