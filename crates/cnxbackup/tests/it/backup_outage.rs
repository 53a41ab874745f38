//! The outage a backup causes, on the sample deployments through the real binary: the
//! window is recorded (manifest, `--json`, `show` text and HTML, `plan`'s estimate) and the
//! database backups run side by side within `--parallel-databases` (the stand-ins' action
//! log shows them overlapping, never more than the limit).
#![allow(clippy::unwrap_used)]

use runbook::manifest::{OutageEnd, Status};
use sample::Variant;

use sample::loopfs::{LoopBtrfs, Tmpfs};
use sample::lvm_standin::LvmStandIn;

use crate::backup_common::Harness;

/// The most backups the stand-ins' log shows running at one moment: `backup-start` to the
/// end (`backup` or `backup-failed`) of each database, by the log's millisecond times.
fn peak_overlap(h: &Harness) -> usize {
    let log = h.sample.db_log().unwrap();
    let mut spans: Vec<(String, String)> = Vec::new();
    for e in log.iter().filter(|e| e.action == "backup-start") {
        let end = log
            .iter()
            .find(|x| {
                x.database == e.database
                    && x.time >= e.time
                    && (x.action == "backup" || x.action == "backup-failed")
            })
            .unwrap_or_else(|| panic!("{} never ended: {log:#?}", e.database));
        spans.push((e.time.clone(), end.time.clone()));
    }
    assert!(!spans.is_empty(), "no backup in {log:#?}");
    spans
        .iter()
        .map(|(start, _)| {
            spans
                .iter()
                .filter(|(s, e)| s <= start && start < e)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// `plan --json --no-sizes` of the harness's deployment.
fn plan_json(h: &Harness) -> serde_json::Value {
    let plan = h
        .cmd()
        .args(["--json", "plan", "--no-sizes"])
        .output()
        .unwrap();
    assert!(plan.status.success());
    serde_json::from_slice(&plan.stdout).unwrap()
}

#[test]
fn the_outage_window_is_reported_everywhere() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.result();
    let m = h.snapshot(result["snapshot"].as_str().unwrap()).manifest();
    let w = m.outage.expect("the manifest records the outage");
    assert_eq!(w.end, OutageEnd::Restarted);
    let restart = w.restart.unwrap();
    // stop, then capture, then restart, and the window covers all three
    assert!(w.stop.ended_ns <= w.capture.started_ns);
    assert!(w.capture.ended_ns <= restart.started_ns);
    assert_eq!(
        w.down_ms,
        u64::try_from((restart.ended_ns - w.stop.started_ns) / 1_000_000).unwrap()
    );
    assert!(w.down_ms >= w.stop.duration_ms + w.capture.duration_ms + restart.duration_ms - 2);
    // the result event carries the same window (what a metrics writer reads)
    assert_eq!(result["outage"], serde_json::to_value(w).unwrap());
    assert_eq!(m.status, Status::Complete);

    let show = h.cmd().args(["show", "latest"]).output().unwrap();
    let text = String::from_utf8(show.stdout).unwrap();
    assert!(text.contains("Connections was down for "), "{text}");
    assert!(text.contains("Outage window"), "{text}");
    let html_path = h.dir.path().join("report.html");
    let html = h
        .cmd()
        .args(["show", "latest", "--html"])
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(html.status.success());
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(
        html.contains("<p class=\"outage\">Connections was down for "),
        "{html}"
    );

    // plan estimates the next outage from this backup
    let plan = plan_json(&h);
    let estimate = &plan["outage_estimate"];
    assert_eq!(estimate["snapshot"], result["snapshot"]);
    assert_eq!(estimate["window"]["down_ms"], w.down_ms);
    let text = h.cmd().args(["plan", "--no-sizes"]).output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Expected outage: about "), "{text}");
}

#[test]
fn no_stop_causes_no_outage_and_plan_has_no_estimate_from_it() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    let run = h.backup(&["--json", "--no-stop"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.result()["outage"], serde_json::Value::Null);
    let m = h
        .snapshot(run.result()["snapshot"].as_str().unwrap())
        .manifest();
    assert_eq!(m.outage, None);
    let plan = plan_json(&h);
    assert_eq!(plan["outage_estimate"], serde_json::Value::Null);
    assert!(
        plan["outage_estimate_note"]
            .as_str()
            .unwrap()
            .contains("no backup of this host"),
        "{plan:#}"
    );
}

#[test]
fn databases_are_backed_up_side_by_side_within_the_limit() {
    let h = Harness::new(Variant::V80Db2Ccm);
    // each backup takes 0.4 s (40 MiB at 100 MiB/s)
    h.sample.knobs().db_size_mib(None, 40).unwrap();
    h.sample.knobs().fail_db_backup(Some("BLOGS")).unwrap();
    let run = h.backup(&["--json", "--no-stop", "--parallel-databases", "3"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(peak_overlap(&h), 3);
    let snap = h.snapshot(run.result()["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    assert_eq!(m.options.database_parallel, Some(3));
    assert_eq!(m.databases.len(), h.expected_database_steps());
    // the failure of one does not stop the others
    for d in &m.databases {
        let ok = d.database != "BLOGS";
        assert_eq!(d.status == runbook::manifest::StepStatus::Ok, ok, "{d:?}");
        assert!(d.started_ns.unwrap() < d.ended_ns.unwrap(), "{d:?}");
        // each has its own transcript, in the snapshot beside its images
        let log = d.log.as_deref().unwrap();
        let text = String::from_utf8(snap.read(log)).unwrap();
        assert!(
            text.contains(&format!("backup database {} to ", d.database)),
            "{text}"
        );
        let other = if ok { "BLOGS" } else { "PEOPLEDB" };
        assert!(
            !text.contains(&format!("backup database {other} ")),
            "{text}"
        );
    }
    assert_eq!(
        m.failed_steps
            .iter()
            .filter_map(|f| f.database.as_deref())
            .collect::<Vec<_>>(),
        ["BLOGS"]
    );
}

#[test]
fn one_database_at_a_time_when_the_limit_is_one() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    h.sample.knobs().db_size_mib(None, 20).unwrap();
    let run = h.backup(&["--json", "--no-stop", "--parallel-databases", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(peak_overlap(&h), 1);
}

/// The phase names of a run's `phase_table`, in order.
fn phase_order(result: &serde_json::Value) -> Vec<String> {
    result["phase_table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["phase"].as_str().unwrap().to_string())
        .collect()
}

/// The row of `phase` in a run's `phase_table`.
fn phase_row<'r>(result: &'r serde_json::Value, phase: &str) -> &'r serde_json::Value {
    result["phase_table"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phase"] == phase)
        .unwrap_or_else(|| panic!("no {phase} phase in {result:#}"))
}

/// The phases of a run's `phase_start` events, in the order they began.
fn phase_starts(run: &crate::backup_common::Run) -> Vec<String> {
    run.events()
        .iter()
        .filter(|e| e["event"] == "phase_start")
        .map(|e| e["phase"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_files_are_read_while_the_databases_run_and_each_image_is_stored_as_it_ends() {
    let h = Harness::new(Variant::V80Db2Ccm);
    // one database's backup takes 5 s (500 MiB at the stand-in's 100 MiB/s): the file
    // components, a few MiB, are read long before it ends
    let slow = h.sample.expected.databases[0].name.clone();
    h.sample.knobs().db_size_mib(Some(&slow), 500).unwrap();
    h.sample.start_all().unwrap();
    let servers = h.sample.running_servers().len();
    let run = h.backup(&["--json", "--restart", "--parallel-databases", "4"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // the event log: the files phase begins before the databases phase, and had read every
    // file by the time the last database ended
    let starts = phase_starts(&run);
    let at = |name: &str| starts.iter().position(|p| p == name).unwrap();
    assert!(
        at("stop") < at("files") && at("files") < at("databases"),
        "{starts:?}"
    );
    let result = run.result();
    let files = phase_row(&result, "files");
    assert!(
        files["message"]
            .as_str()
            .unwrap()
            .contains("every file was read before the last database ended"),
        "{files:#}"
    );
    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    assert_eq!(m.status, Status::Complete, "{:?}", m.failed_steps);
    let last_db_ended = m.databases.iter().filter_map(|d| d.ended_ns).max().unwrap();
    let slowest = m.databases.iter().find(|d| d.database == slow).unwrap();
    assert_eq!(slowest.ended_ns, Some(last_db_ended), "{:?}", m.databases);
    assert!(files["started_ns"].as_i64().unwrap() < slowest.started_ns.unwrap());
    // the servers started once the last database ended, not before
    let w = m.outage.unwrap();
    assert_eq!(w.end, OutageEnd::Restarted);
    assert!(w.capture.ended_ns >= last_db_ended);
    assert_eq!(h.sample.running_servers().len(), servers);
    // every image was stored as it ended, with the SHA-256 the vendor step recorded (checked
    // by the run: a mismatch fails the database) and its transcript beside it
    for d in &m.databases {
        assert_eq!(d.status, runbook::manifest::StepStatus::Ok, "{d:?}");
        let image = d.image.as_ref().unwrap();
        for (f, stored) in image.files.iter().zip(&d.stored_paths) {
            let bytes = snap.read(stored);
            let sha = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
            assert_eq!(sha, f.sha256, "{stored}");
        }
        assert!(d.log.is_some(), "{d:?}");
    }
    assert!(h.staging_is_empty());
}

#[test]
fn a_check_failing_after_the_restart_makes_the_snapshot_incomplete_with_the_servers_running() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    // the vendor's image check, standing in for db2ckbkp: it finds every image damaged, and
    // notes when it ran
    let ran = h.dir.path().join("verify-ran-at");
    // a product path (the key names the tool as installed), written under the sysroot
    let product = "/opt/cnxbackup-test/db2ckbkp-damaged";
    let verify = h.sample.real_path(product);
    std::fs::create_dir_all(verify.parent().unwrap()).unwrap();
    std::fs::write(
        &verify,
        format!(
            "#!/bin/sh\ndate +%s%N >> {}\necho \"ERROR! Unable to read backup image: bad header.\"\n\
             echo \"Image Verification Complete - ERRORS DETECTED:  1\"\nexit 1\n",
            ran.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&verify, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    h.extra_config = format!("verify_command = {product:?}\n");
    h.sample.start_all().unwrap();
    let servers = h.sample.running_servers().len();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let result = run.result();
    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    // reported as any failed step: INCOMPLETE, naming each database whose image failed
    assert_eq!(m.status, Status::Incomplete);
    assert_eq!(
        m.failed_steps.len(),
        m.databases.len(),
        "{:?}",
        m.failed_steps
    );
    for f in &m.failed_steps {
        assert!(f.message.contains("does not verify"), "{f:?}");
    }
    assert!(snap.snapshot.tags.iter().any(|t| t == "incomplete"));
    // the checks ran after the servers were started again, and they still run
    let w = m.outage.unwrap();
    assert_eq!(w.end, OutageEnd::Restarted);
    let restarted = w.restart.unwrap().ended_ns;
    let times: Vec<i64> = std::fs::read_to_string(&ran)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(!times.is_empty());
    assert!(
        times.iter().all(|t| *t >= restarted),
        "{times:?} vs {restarted}"
    );
    let order = phase_order(&result);
    let at = |name: &str| order.iter().position(|p| p == name).unwrap();
    assert!(at("restart") < at("snapshot"), "{order:?}");
    assert_eq!(h.sample.running_servers().len(), servers);
}

#[test]
fn the_snapshot_mode_starts_the_servers_before_the_files_are_read() {
    // the sample lives in a btrfs subvolume of a loop device (the tests run as root)
    let scratch = tempfile::Builder::new()
        .prefix("outage-e2e-btrfs-")
        .tempdir_in("/tmp")
        .unwrap();
    let fs = LoopBtrfs::mount(scratch.path(), 512).unwrap();
    let data = fs.subvolume("data").unwrap();
    let mut h = Harness::within(Variant::V80Db2Ccm, &data);
    h.extra_config = "\n[snapshot]\nmethod = \"btrfs\"\n".into();
    let marker = at_rest_marker(&h);
    h.sample.start_all().unwrap();

    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snap =
        assert_read_from_the_file_system_snapshot(&h, &run, runbook::fssnap::SnapshotMethod::Btrfs);
    // stored under the real product path, read from the snapshot
    assert_eq!(snap.read(&marker), b"at rest while stopped");
    // the file-system snapshot is gone again
    assert_eq!(fs.subvolumes().unwrap(), ["data"]);
}

/// A file in the shared data written while the servers run (so at rest once they stopped);
/// its product path.
fn at_rest_marker(h: &Harness) -> String {
    let shared = &h.sample.expected.data.shared_root;
    let marker = format!("{shared}/outage-marker.txt");
    std::fs::write(h.sample.real_path(&marker), b"at rest while stopped").unwrap();
    marker
}

/// The snapshot mode's run: the volumes snapshotted right after the stop, the servers
/// started once the databases ended — before the files phase ended, whatever the data's
/// size — COMPLETE, the method recorded; the snapshot written.
fn assert_read_from_the_file_system_snapshot(
    h: &Harness,
    run: &crate::backup_common::Run,
    method: runbook::fssnap::SnapshotMethod,
) -> crate::backup_common::Snap {
    let result = run.result();
    let starts = phase_starts(run);
    let began = |name: &str| starts.iter().position(|p| p == name).unwrap();
    assert!(began("stop") < began("fs_snapshot"), "{starts:?}");
    assert!(began("fs_snapshot") < began("files"), "{starts:?}");
    assert!(began("files") < began("restart"), "{starts:?}");
    let order = phase_order(&result);
    let ended = |name: &str| order.iter().position(|p| p == name).unwrap();
    // the files phase ends after the restart: the servers did not wait for the files
    assert!(ended("restart") < ended("files"), "{order:?}");
    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    assert_eq!(m.status, Status::Complete, "{:?}", m.failed_steps);
    assert_eq!(m.options.fs_snapshot, Some(method));
    assert_eq!(m.outage.unwrap().end, OutageEnd::Restarted);
    snap
}

#[test]
fn the_snapshot_mode_is_refused_before_any_server_stops_when_the_files_are_not_on_btrfs() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    if std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .any(|l| l.contains(" - btrfs "))
    {
        // the temporary directory itself might be on btrfs: then use a method whose
        // tools are surely missing
        h.extra_config = "\n[snapshot]\nmethod = \"command\"\ncreate_command = \"/nonexistent/snap {volume} {mount}\"\nremove_command = \"/nonexistent/unsnap {mount}\"\n".into();
    } else {
        h.extra_config = "\n[snapshot]\nmethod = \"btrfs\"\n".into();
    }
    h.sample.start_all().unwrap();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // the problem names the key to change
    assert!(
        run.stderr.contains("snapshot.method = \"btrfs\"")
            || run.stderr.contains("snapshot.create_command"),
        "{}",
        run.stderr
    );
    assert_eq!(h.snapshot_count(), 0);
    // nothing was stopped
    assert!(
        !h.sample.running_servers().is_empty(),
        "servers were stopped"
    );
    assert!(h
        .sample
        .control_log()
        .unwrap()
        .iter()
        .all(|e| e.script != "stopServer.sh"));
}

#[test]
fn the_lvm_snapshot_mode_runs_through_a_whole_backup_with_the_lvm_stand_in() {
    // the sample on a volume whose device the stand-in's `lvs` knows as vg0/data (the test
    // machines have no device mapper: lvcreate, mount, umount and lvremove are the
    // stand-in's, first in the binary's PATH)
    let scratch = tempfile::Builder::new()
        .prefix("outage-e2e-lvm-")
        .tempdir_in("/tmp")
        .unwrap();
    let volume = Tmpfs::mount("cnxe2e-vg0-data", &scratch.path().join("data")).unwrap();
    let lvm = LvmStandIn::install(&scratch.path().join("lvm")).unwrap();
    lvm.add_volume("cnxe2e-vg0-data", "vg0/data", &volume.mnt)
        .unwrap();
    let mut h = Harness::within(Variant::V80Db2Ccm, &volume.mnt);
    let mounts = scratch.path().join("snapshots");
    h.extra_config = format!(
        "\n[snapshot]\nmethod = \"lvm\"\nmount_dir = {:?}\nlvm_size = \"10%ORIGIN\"\n",
        mounts.display().to_string()
    );
    let marker = at_rest_marker(&h);
    h.sample.start_all().unwrap();

    let path = lvm.path_first();
    let run = h.backup_with_env(
        &["--json", "--restart"],
        &[("PATH", path.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snap =
        assert_read_from_the_file_system_snapshot(&h, &run, runbook::fssnap::SnapshotMethod::Lvm);
    assert_eq!(snap.read(&marker), b"at rest while stopped");
    // the documented commands, in order, and nothing left behind
    let log = lvm.log();
    let words: Vec<&str> = log.iter().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(
        words,
        ["lvs", "lvcreate", "mount", "umount", "lvremove"],
        "{log:#?}"
    );
    assert!(
        log[1].starts_with("lvcreate --snapshot --permission r --name cnxbackup-"),
        "{log:#?}"
    );
    assert!(
        log[1].ends_with(" --extents 10%ORIGIN vg0/data"),
        "{log:#?}"
    );
    assert!(
        log[2].starts_with("mount -o ro /dev/vg0/cnxbackup-"),
        "{log:#?}"
    );
    assert!(lvm.snapshots().is_empty());
    assert_eq!(std::fs::read_dir(&mounts).unwrap().count(), 0);
}

#[test]
fn the_command_snapshot_mode_runs_through_a_whole_backup() {
    // the administrator's own pair of commands: here a copy of the volume made while the
    // servers are stopped, with one file only the copy has (so the test sees what was read)
    let scratch = tempfile::Builder::new()
        .prefix("outage-e2e-command-")
        .tempdir_in("/tmp")
        .unwrap();
    let volume = Tmpfs::mount("cnxe2e-command", &scratch.path().join("data")).unwrap();
    let mut h = Harness::within(Variant::V80Db2Ccm, &volume.mnt);
    let shared = h.sample.real_path(&h.sample.expected.data.shared_root);
    let in_copy = shared
        .strip_prefix(&volume.mnt)
        .unwrap()
        .join("snapshot-only.txt");
    let mounts = scratch.path().join("snapshots");
    let calls = scratch.path().join("calls.log");
    h.extra_config = format!(
        "\n[snapshot]\nmethod = \"command\"\nmount_dir = {mounts:?}\n\
         create_command = \"sh -c 'echo create {{name}} >> {calls} && cp -a {{volume}}/. {{mount}}/ && echo copy > {{mount}}/{in_copy}'\"\n\
         remove_command = \"sh -c 'echo remove {{name}} >> {calls} && rm -rf {{mount}}'\"\n",
        mounts = mounts.display().to_string(),
        calls = calls.display(),
        in_copy = in_copy.display(),
    );
    let marker = at_rest_marker(&h);
    h.sample.start_all().unwrap();

    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snap = assert_read_from_the_file_system_snapshot(
        &h,
        &run,
        runbook::fssnap::SnapshotMethod::Command,
    );
    assert_eq!(snap.read(&marker), b"at rest while stopped");
    let shared_root = &h.sample.expected.data.shared_root;
    assert_eq!(
        snap.read(&format!("{shared_root}/snapshot-only.txt")),
        b"copy\n"
    );
    let calls: Vec<String> = std::fs::read_to_string(&calls)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls[0].starts_with("create cnxbackup-") && calls[1].starts_with("remove "));
    assert_eq!(std::fs::read_dir(&mounts).unwrap().count(), 0);
}
