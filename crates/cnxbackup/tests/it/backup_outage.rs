//! The outage a backup causes, on the sample deployments through the real binary: the
//! window is recorded (manifest, `--json`, `show` text and HTML, `plan`'s estimate) and the
//! database backups run side by side within `--parallel-databases` (the stand-ins' action
//! log shows them overlapping, never more than the limit).
#![allow(clippy::unwrap_used)]

use runbook::manifest::{OutageEnd, Status};
use sample::Variant;

use sample::loopfs::LoopBtrfs;

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
    let shared = &h.sample.expected.data.shared_root;
    let marker = format!("{shared}/outage-marker.txt");
    std::fs::write(h.sample.real_path(&marker), b"at rest while stopped").unwrap();
    h.sample.start_all().unwrap();

    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let result = run.result();
    let order = phase_order(&result);
    let at = |name: &str| order.iter().position(|p| p == name).unwrap();
    // the servers start after the file-system snapshot, before the files are read
    assert!(at("databases") < at("fs_snapshot"), "{order:?}");
    assert!(at("fs_snapshot") < at("restart"), "{order:?}");
    assert!(at("restart") < at("files"), "{order:?}");

    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    assert_eq!(m.status, Status::Complete, "{:?}", m.failed_steps);
    assert_eq!(m.options.fs_snapshot, Some(runbook::fssnap::Method::Btrfs));
    let w = m.outage.unwrap();
    assert_eq!(w.end, OutageEnd::Restarted);
    let files_started = result["phase_table"][at("files")]["started_ns"]
        .as_i64()
        .unwrap();
    // the window ends before the files phase begins: it no longer depends on the data
    assert!(w.restart.unwrap().ended_ns <= files_started);
    // stored under the real product path, read from the snapshot
    assert_eq!(snap.read(&marker), b"at rest while stopped");
    // the file-system snapshot is gone again
    assert_eq!(fs.subvolumes().unwrap(), ["data"]);
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
