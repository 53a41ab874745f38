//! Faults through the real binary: a flipped byte in a pack, a deleted pack, a corrupt
//! snapshot document, `kill -9` in the middle of a backup, a full disk, and files that
//! change or cannot be read while a backup runs.
#![allow(clippy::unwrap_used)]

use crate::vault_common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use vault_common::*;

fn largest(paths: Vec<std::path::PathBuf>) -> std::path::PathBuf {
    paths
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap()
}

fn snapshot_count(env: &Env) -> usize {
    fs::read_dir(env.repo().join("snapshots")).map_or(0, |d| d.count())
}

fn three_files(env: &Env) {
    for i in 0..3u64 {
        fs::write(
            env.src().join(format!("file{i}.bin")),
            noise(3 << 20, i + 5),
        )
        .unwrap();
    }
    fs::write(
        env.src().join("small.txt"),
        b"small and in a tree-less data pack",
    )
    .unwrap();
}

#[test]
fn flipped_byte_check_names_pack_snapshot_paths_and_restore_goes_on() {
    let env = Env::new();
    three_files(&env);
    env.init();
    let snap = env.backup()["snapshot"].as_str().unwrap().to_string();
    let pack = largest(env.packs());
    let pack_id = pack.file_name().unwrap().to_string_lossy().into_owned();
    let mut bytes = fs::read(&pack).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    fs::write(&pack, bytes).unwrap();

    // structure alone passes; reading the data fails with 3 and names everything
    env.cmd().arg("check").assert().success();
    let out = env.cmd().args(["check", "--read-data"]).output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&pack_id), "{stdout}");
    assert!(stdout.contains(&snap), "{stdout}");
    assert!(stdout.contains("/file"), "{stdout}");
    let json = env
        .cmd()
        .args(["--json", "check", "--read-data=100%"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let damaged_path = report["damaged"][0]["paths"][0]
        .as_str()
        .unwrap()
        .to_string();

    // restore: every intact file, exit 1 naming the damaged one
    env.cmd()
        .args(["restore", "latest", "--target"])
        .arg(env.dst())
        .assert()
        .code(1)
        .stderr(predicate::str::contains(damaged_path.as_str()));
    for i in 0..3 {
        let name = format!("file{i}.bin");
        if !damaged_path.ends_with(&name) {
            assert_eq!(
                fs::read(env.dst().join(&name)).unwrap(),
                fs::read(env.src().join(&name)).unwrap(),
                "{name} must be restored intact"
            );
        }
    }
    assert!(env.dst().join("small.txt").exists());
}

#[test]
fn deleted_pack_fails_check_and_restore_reports_damage() {
    let env = Env::new();
    three_files(&env);
    env.init();
    env.backup();
    fs::remove_file(largest(env.packs())).unwrap();
    env.cmd()
        .arg("check")
        .assert()
        .code(3)
        .stdout(predicate::str::contains("missing"));
    env.cmd()
        .args(["restore", "latest", "--target"])
        .arg(env.dst())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("file0.bin"));
    // the directory structure is still restored
    assert!(env.dst().is_dir());
}

#[test]
fn corrupt_snapshot_document_is_reported_and_others_still_restore() {
    let env = Env::new();
    fs::write(env.src().join("a"), b"version one").unwrap();
    env.init();
    let first = env.backup()["snapshot"].as_str().unwrap().to_string();
    fs::write(env.src().join("a"), b"version two").unwrap();
    let second = env.backup()["snapshot"].as_str().unwrap().to_string();
    fs::write(
        env.repo().join("snapshots").join(&first),
        b"garbage, not a sealed document",
    )
    .unwrap();

    env.cmd()
        .arg("snapshots")
        .assert()
        .success()
        .stdout(predicate::str::contains(&first[..8]))
        .stdout(predicate::str::contains("cannot be read"));
    env.cmd()
        .arg("check")
        .assert()
        .code(3)
        .stdout(predicate::str::contains(first.as_str()));
    env.cmd()
        .args(["restore", &second, "--target"])
        .arg(env.dst())
        .assert()
        .success();
    assert_eq!(fs::read(env.dst().join("a")).unwrap(), b"version two");
}

#[test]
fn kill_9_mid_backup_leaves_a_consistent_repository_and_data_is_reused() {
    let env = Env::new();
    for i in 0..48u64 {
        fs::write(
            env.src().join(format!("big{i:02}")),
            noise(3 << 20, i + 100),
        )
        .unwrap();
    }
    env.init();
    let bin = assert_cmd::cargo::cargo_bin("cnxbackup");
    let mut child = std::process::Command::new(bin)
        .current_dir(env.src())
        .env("CNXBACKUP_REPOSITORY", env.repo())
        .env("CNXBACKUP_PASSWORD", PASSWORD)
        // an index checkpoint after every pack, so what was uploaded is reusable
        .env("CNXBACKUP_CHECKPOINT_SECS", "0")
        .args(["backup", "--host", "e2e", "--path", "."])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once packs have been uploaded AND an index checkpoint lists some of them: data is
    // reusable from the moment an index segment names it (a pack uploaded but not yet
    // indexed is a leftover, found again only by `repair index`).
    let index_segments = || {
        fs::read_dir(env.repo().join("index"))
            .map(|dir| dir.count())
            .unwrap_or(0)
    };
    let start = Instant::now();
    while (env.packs().len() < 2 || index_segments() == 0)
        && start.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = std::process::Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        !exit.success(),
        "the backup finished before it could be killed"
    );
    assert_eq!(snapshot_count(&env), 0, "no snapshot may be written");

    // consistent: structure check passes (leftovers are unreferenced, not errors)
    env.cmd().args(["check", "--read-data"]).assert().success();
    // the next backup reuses what reached the repository
    let report = env.backup();
    let added = report["summary"]["bytes_added_raw"].as_u64().unwrap();
    let total = report["summary"]["bytes_total"].as_u64().unwrap();
    assert!(added < total, "nothing reused: added {added} of {total}");
    env.cmd().args(["check", "--read-data"]).assert().success();
    env.cmd()
        .args(["restore", "latest", "--target"])
        .arg(env.dst())
        .assert()
        .success();
    assert_same(&env.src(), &env.dst());
}

#[test]
fn disk_full_fails_with_exit_1_and_leaves_the_repository_consistent() {
    // The real binary on a real full file system (the repository's failure paths on a full
    // store are tested without root on vault's fault-injecting store, in
    // crates/vault/tests/repo_faults.rs). Needs root: scripts/test runs the suite as root;
    // anywhere else this fails rather than passing untested.
    let env = Env::new();
    fs::create_dir_all(env.repo()).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(env.repo())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted,
        "this test needs root to mount a 6 MiB tmpfs for the repository (run it through \
         scripts/test as root)"
    );
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(env.repo());
    for i in 0..6u64 {
        fs::write(env.src().join(format!("f{i}")), noise(3 << 20, i + 9)).unwrap();
    }
    env.init();
    env.cmd()
        .args(["backup", "--path", "."])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("No space left on device"));
    assert_eq!(snapshot_count(&env), 0, "no snapshot may be written");
    env.cmd().arg("check").assert().success();
}

#[test]
fn changed_file_is_a_warning_exit_0_and_strict_exit_1() {
    let env = Env::new();
    fs::write(env.src().join("steady"), b"steady").unwrap();
    let growing = env.src().join("growing.log");
    fs::write(&growing, noise(24 << 20, 3)).unwrap();
    env.init();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (stop, growing) = (stop.clone(), growing.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = fs::OpenOptions::new().append(true).open(&growing).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(&[b'x'; 4096]).unwrap();
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let run = |strict: bool| {
        let mut c = env.cmd();
        c.args(["backup", "--force", "--path", "."]);
        if strict {
            c.arg("--strict");
        }
        c.output().unwrap()
    };
    let relaxed = run(false);
    let strict = run(true);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    let err = String::from_utf8_lossy(&relaxed.stderr);
    assert_eq!(relaxed.status.code(), Some(0), "{err}");
    assert!(
        err.contains("growing.log") && err.contains("changed during backup"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&relaxed.stdout).contains("warnings: 1"));
    assert_eq!(strict.status.code(), Some(1));
    // both snapshots were written
    assert_eq!(snapshot_count(&env), 2);
}

/// Issue 21 case 7: unreadable input exited 0 and nothing in the snapshot said what was
/// missing. Now: exit 4, the snapshot records the entries, `snapshots` and `show` mark it,
/// `ls` and `restore` name them.
#[test]
fn unreadable_file_is_a_warning_and_the_rest_is_saved() {
    let env = Env::new();
    fs::write(env.src().join("readable"), b"fine").unwrap();
    let secret = env.src().join("secret");
    fs::write(&secret, b"no").unwrap();
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();
    let closed = env.src().join("closed");
    fs::create_dir(&closed).unwrap();
    fs::write(closed.join("inside"), b"hidden").unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o700)).unwrap();
    let as_root = rustix::process::geteuid().is_root();
    // root reads anything: run the binary as nobody, with everything else open to it
    for dir in [env.root.path().to_path_buf(), env.src()] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    }
    fs::set_permissions(
        env.src().join("readable"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let bin = assert_cmd::cargo::cargo_bin("cnxbackup");
        let mut c = if as_root {
            let mut c = std::process::Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(bin);
            c
        } else {
            std::process::Command::new(bin)
        };
        c.current_dir(env.src())
            .env("CNXBACKUP_REPOSITORY", env.repo())
            .env("CNXBACKUP_PASSWORD", PASSWORD)
            .env("HOME", env.root.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init"]).status.success());
    let out = run(&["backup", "--path", "."]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("secret") && err.contains("cannot be read"),
        "{err}"
    );
    assert!(err.contains("2 entries could not be read"), "{err}");
    let strict = run(&["backup", "--strict", "--path", "."]);
    assert_eq!(strict.status.code(), Some(1));
    let ls = run(&["ls", "latest"]);
    let listing = String::from_utf8_lossy(&ls.stdout);
    assert!(listing.contains("/readable"), "{listing}");
    assert!(
        listing.contains("MISSING /secret: not backed up: permission denied (entry)"),
        "{listing}"
    );
    assert!(
        listing.contains("MISSING /closed: not backed up: permission denied (directory content)"),
        "{listing}"
    );
    let snapshots = run(&["snapshots"]);
    let table = String::from_utf8_lossy(&snapshots.stdout);
    assert!(table.contains("UNREADABLE"), "{table}");
    let show = run(&["show", "latest"]);
    let report = String::from_utf8_lossy(&show.stdout);
    assert!(
        report.contains("UNREADABLE: 2 entries could not be read and are not in this snapshot"),
        "{report}"
    );
    let show_json = run(&["show", "latest", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&show_json.stdout).unwrap();
    assert_eq!(
        doc["snapshot"]["not_backed_up"].as_array().map(Vec::len),
        Some(2),
        "{doc}"
    );
    let restored = env.root.path().join("restored");
    let restore = run(&["restore", "latest", "--target", restored.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&restore.stdout);
    assert!(
        said.contains("MISSING: /closed: not backed up: permission denied (restored empty)"),
        "{said}"
    );
}
