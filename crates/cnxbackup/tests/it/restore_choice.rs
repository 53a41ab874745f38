//! End to end, issue 15: the restore at 2 a.m. picks the right snapshot on every host of a
//! shared repository, loses nothing of the failed update (the `pre-restore` snapshot), and
//! extracts any backup into an empty directory.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::restore_common;

use std::path::{Path, PathBuf};

use backup_common::{Harness, Run};
use restore_common::{assert_components_equal, cnx, diff, listing, version_at, volatile};
use sample::Variant;
use serde_json::Value;

/// `cnxbackup ARGS` as host `host` (`deployment.host` through its environment variable).
fn on(h: &Harness, host: &str, args: &[&str]) -> Run {
    Run::of(
        h.cmd()
            .env("CNXBACKUP_DEPLOYMENT_HOST", host)
            .args(args)
            .output()
            .unwrap(),
    )
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn latest_is_this_hosts_complete_backup_and_another_hosts_needs_from_host() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    // A and B are one cell's backup set: A leaves the databases to B, so A's backup is
    // COMPLETE once B's holds them (and `latest` counts the set as `snapshots` does).
    let set = ["--set", "cell-1"];
    let a_complete = h.backup(
        &[
            &["--json", "--host", "host-a", "--skip-databases"],
            &set[..],
        ]
        .concat(),
    );
    assert_eq!(a_complete.code, 0, "{}", a_complete.stderr);
    let a_complete = a_complete.result()["snapshot"]
        .as_str()
        .unwrap()
        .to_string();
    let before_b = on(&h, "host-a", &["restore", "latest", "--dry-run"]);
    assert_eq!(before_b.code, 1, "{}", before_b.stderr);
    assert!(
        before_b.stderr.contains("INCOMPLETE"),
        "{}",
        before_b.stderr
    );
    let b_complete = h.backup(&[&["--json", "--host", "host-b"], &set[..]].concat());
    assert_eq!(b_complete.code, 0, "{}", b_complete.stderr);
    let b_complete = b_complete.result()["snapshot"]
        .as_str()
        .unwrap()
        .to_string();
    let db = h.sample.expected.databases[0].name.clone();
    h.sample.knobs().fail_db_backup(Some(&db)).unwrap();
    let a_incomplete = h.backup(&["--json", "--host", "host-a"]);
    h.sample.knobs().clear().unwrap();
    assert_eq!(a_incomplete.code, 1, "{}", a_incomplete.stderr);
    let a_incomplete = a_incomplete.result()["snapshot"]
        .as_str()
        .unwrap()
        .to_string();

    // On A: A's complete backup, and the output names the newer incomplete one.
    let r = on(&h, "host-a", &["--json", "restore", "latest", "--dry-run"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(report["snapshot"], a_complete.as_str());
    assert_eq!(
        report["snapshot_choice"]["passed_over"][0]["id"],
        a_incomplete.as_str()
    );
    assert!(
        r.stderr
            .contains(&format!("latest = snapshot {}", &a_complete[..8])),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&a_incomplete[..8]), "{}", r.stderr);
    assert!(r.stderr.contains("INCOMPLETE"), "{}", r.stderr);
    // `snapshots` says the same
    let list = json(&on(&h, "host-a", &["--json", "snapshots"]));
    assert_eq!(list["latest"], a_complete.as_str());

    // On B: B's.
    let r = on(&h, "host-b", &["--json", "restore", "latest", "--dry-run"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["snapshot"], b_complete.as_str());

    // B's backup on A: refused (exit 3) and says why; --from-host B allows it.
    let r = on(&h, "host-a", &["restore", &b_complete, "--dry-run"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("host-b") && r.stderr.contains("--from-host host-b"),
        "{}",
        r.stderr
    );
    let r = on(
        &h,
        "host-a",
        &[
            "--json",
            "restore",
            "latest",
            "--from-host",
            "host-b",
            "--dry-run",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report = json(&r);
    assert_eq!(report["snapshot"], b_complete.as_str());
    assert_eq!(report["host_check"]["snapshot_host"], "host-b");
    // naming a host that did not take it is a usage error
    let r = on(
        &h,
        "host-a",
        &["restore", &b_complete, "--from-host", "host-c", "--dry-run"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);

    // A host with no backup of its own: an error that lists the hosts there are.
    let r = on(&h, "host-c", &["restore", "latest", "--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("host-a (2)") && r.stderr.contains("host-b (1)"),
        "{}",
        r.stderr
    );

    // The filters of the other commands.
    let shown = on(
        &h,
        "host-a",
        &["--json", "show", "latest", "--host", "host-b"],
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let only_b = json(&on(
        &h,
        "host-a",
        &["--json", "snapshots", "--host", "host-b"],
    ));
    assert_eq!(only_b["snapshots"].as_array().unwrap().len(), 1);
    let ls = on(&h, "host-a", &["ls", "latest", "/.cnxbackup"]);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    let forget = on(
        &h,
        "host-a",
        &[
            "--json",
            "forget",
            "--keep-last",
            "1",
            "--host",
            "host-b",
            "--dry-run",
        ],
    );
    assert_eq!(
        json(&forget)["forget"]["not_matching"],
        2,
        "{}",
        forget.stdout
    );
}

/// A read-only bind mount of a directory over itself, undone on drop.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> ReadOnly {
        let run = |args: &[&str]| {
            let st = std::process::Command::new("mount")
                .args(args)
                .status()
                .unwrap();
            assert!(st.success(), "mount {args:?}");
        };
        let d = dir.to_str().unwrap();
        run(&["--bind", d, d]);
        let guard = ReadOnly(dir.to_path_buf());
        run(&["-o", "remount,ro,bind", d]);
        guard
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn nothing_of_the_failed_update_is_lost() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let run = h.backup(&["--in-place-migration", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let backup_id = run.result()["snapshot"].as_str().unwrap().to_string();
    let root = h.sample.sysroot.clone();
    let before = listing(&root, &volatile);
    let update = sample::simulate_failed_update(&h.sample).unwrap();
    assert!(update.added.iter().any(|p| p.contains("/logs/ffdc/")));
    let failed_version = version_at(&root);

    // The repository does not take writes: the restore stops before it changes anything,
    // and before it stops a server (it could not finish what it started).
    h.sample.start_all().unwrap();
    let running = h.sample.running_servers();
    let while_running = listing(&root, &volatile);
    let unchanged = |expected: &std::collections::BTreeMap<String, restore_common::Item>| {
        let d = diff(expected, &listing(&root, &volatile));
        assert!(d.is_empty(), "the target changed:\n{}", d.join("\n"));
    };
    let ro = ReadOnly::mount(&h.repo_dir);
    let r = cnx(&h, &["restore", "latest", "--stop"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("pre-restore"), "{}", r.stderr);
    assert!(r.stderr.contains("Nothing was changed"), "{}", r.stderr);
    assert_eq!(h.sample.running_servers().len(), running.len());
    unchanged(&while_running);
    // servers stopped (what they wrote is part of the failed state): the snapshot itself
    // cannot be written
    h.sample.stop_all().unwrap();
    let broken = listing(&root, &volatile);
    let r = cnx(&h, &["restore", "latest"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("pre-restore"), "{}", r.stderr);
    drop(ro);
    unchanged(&broken);
    assert!(h
        .sample
        .db_log()
        .unwrap()
        .iter()
        .all(|e| e.action != "restore"));

    // The full restore saves what it replaces first, and says what that cost.
    let r = cnx(&h, &["--json", "restore", "latest"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(report["snapshot"], backup_id.as_str());
    let pre = &report["pre_restore"];
    assert_eq!(pre["status"], "taken", "{pre:#}");
    let pre_id = pre["snapshot"].as_str().unwrap().to_string();
    assert!(pre["files"].as_u64().unwrap() > 0);
    assert!(
        pre["bytes_added"].as_u64().unwrap() < pre["bytes"].as_u64().unwrap(),
        "{pre:#}"
    );
    let d = diff(&before, &listing(&root, &volatile));
    assert!(d.is_empty(), "not restored:\n{}", d.join("\n"));
    // tagged, of this host, and never `latest`
    let tagged = json(&cnx(&h, &["--json", "snapshots", "--tag", "pre-restore"]));
    let rows = tagged["snapshots"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"], pre_id.as_str());
    assert_eq!(rows[0]["status"], "pre-restore");
    assert_eq!(tagged["latest"], pre_id.as_str());
    let all = json(&cnx(&h, &["--json", "snapshots"]));
    assert_eq!(all["latest"], backup_id.as_str());
    // the human report names it and its cost
    let listed = cnx(&h, &["ls", &pre_id]);
    for p in update.added.iter().filter(|p| p.contains("/logs/")) {
        assert!(
            listed.stdout.contains(p.as_str()),
            "{p} not in the pre-restore snapshot"
        );
    }

    // Restoring it brings the failed state back exactly.
    let r = cnx(&h, &["restore", &pre_id]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("pre-restore snapshot"), "{}", r.stdout);
    let d = diff(&broken, &listing(&root, &volatile));
    assert!(
        d.is_empty(),
        "the failed state did not come back:\n{}",
        d.join("\n")
    );
    assert_eq!(version_at(&root), failed_version);
}

#[test]
fn every_component_extracts_into_an_empty_directory() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let run = h.backup(&["--in-place-migration"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = h.snapshot("latest").manifest();
    let out = h.dir.path().join("extracted");
    std::fs::create_dir_all(&out).unwrap();
    // extraction of another host's backup needs no --from-host: it restores nothing
    let r = on(
        &h,
        "support-desk",
        &[
            "--json",
            "restore",
            "latest",
            "--host",
            &m.host,
            "--target",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report = json(&r);
    assert_eq!(report["mode"], "extract");
    assert_eq!(report["pre_restore"]["status"], "nothing_to_save");
    assert!(report["gate"]["checks"].as_array().unwrap().is_empty());
    for c in report["components"].as_array().unwrap() {
        assert_eq!(c["status"], "extracted", "{c:#}");
    }
    // the files equal the source, with modes and times
    assert_components_equal(&h, &m, &out);
    // the database images as files, as the backup recorded them
    let dbs = report["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), m.databases.len());
    for d in &m.databases {
        let image = d.image.as_ref().unwrap();
        for (file, stored) in image.files.iter().zip(&d.stored_paths) {
            use sha2::Digest;
            let bytes = std::fs::read(out.join(stored.trim_start_matches('/'))).unwrap();
            assert_eq!(bytes.len() as u64, file.size, "{stored}");
            assert_eq!(hex(&sha2::Sha256::digest(&bytes)), file.sha256, "{stored}");
        }
    }
    assert!(out.join(".cnxbackup/manifest.json").is_file());
    // the version gate still guards the directory now that it holds an installation
    let again = on(
        &h,
        "support-desk",
        &[
            "--json",
            "restore",
            "latest",
            "--host",
            &m.host,
            "--target",
            out.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(again.code, 3, "{}", again.stderr);
    assert!(again.stderr.contains("--from-host"), "{}", again.stderr);
    let again = cnx(
        &h,
        &[
            "--json",
            "restore",
            "latest",
            "--target",
            out.to_str().unwrap(),
            "--dry-run",
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(json(&again)["mode"], "restore");

    // A restore into that lab copy saves what it replaces there first; that pre-restore
    // snapshot goes back only there, never onto this host's own root.
    std::fs::write(out.join("opt/IBM/Connections/lab-note.txt"), b"lab").unwrap();
    let lab = cnx(
        &h,
        &[
            "--json",
            "restore",
            "latest",
            "--skip-databases",
            "--target",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(lab.code, 0, "{}", lab.stderr);
    let lab_pre = json(&lab)["pre_restore"]["snapshot"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!out.join("opt/IBM/Connections/lab-note.txt").exists());
    let here = cnx(&h, &["restore", &lab_pre, "--dry-run"]);
    assert_eq!(here.code, 3, "{}", here.stderr);
    assert!(
        here.stderr.contains("pre-restore snapshot of the target")
            && here.stderr.contains(out.to_str().unwrap()),
        "{}",
        here.stderr
    );
    let back = cnx(
        &h,
        &["restore", &lab_pre, "--target", out.to_str().unwrap()],
    );
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(
        std::fs::read(out.join("opt/IBM/Connections/lab-note.txt")).unwrap(),
        b"lab"
    );
}
