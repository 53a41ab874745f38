//! End to end: the real binary's `backup` (the deployment procedure) on every sample
//! variant with its stand-in servers running, checked against the sample's truth: stop
//! order, every path the procedure names in the snapshot under its product path, skipped
//! steps, the version in the manifest, role mappings; and the failure outcomes (wrong
//! WebSphere password, a server that refuses to stop (abort before any database, or the
//! files only), a failing database backup, a repository that fails mid-backup, a missing
//! vendor tool, `--no-stop` with servers running, `--dry-run`), with `--restart` starting
//! the servers again on each of those paths.
#![allow(clippy::unwrap_used)]

use crate::backup_common;

use std::path::Path;

use backup_common::*;
use runbook::manifest::{Status, StepStatus};
use runbook::plan::Component;
use sample::{ServerType, Variant};

fn check_variant(variant: Variant) {
    let h = Harness::new(variant);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 0, "{}: {}", variant, run.stderr);
    let result = run.result();
    assert_eq!(result["complete"], true, "{variant}");
    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    let e = &h.sample.expected;

    // Stop order from the stand-ins' log: servers, then node agents, then the dmgr.
    let log = h.sample.control_log().unwrap();
    let stops: Vec<_> = log.iter().filter(|c| c.outcome == "stopped").collect();
    let rank = |server: &str| {
        let t = e.was.servers.iter().find(|s| s.name == server).unwrap();
        match t.server_type {
            ServerType::ApplicationServer => 0,
            ServerType::NodeAgent => 1,
            ServerType::DeploymentManager => 2,
            ServerType::WebServer => 9,
        }
    };
    let jvms = e
        .was
        .servers
        .iter()
        .filter(|s| s.server_type.is_jvm())
        .count();
    assert_eq!(stops.len(), jvms, "{variant}: {stops:#?}");
    let ranks: Vec<u8> = stops.iter().map(|c| rank(&c.server)).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "{variant}: stop order {stops:#?}"
    );
    assert!(
        h.sample.running_servers().is_empty(),
        "{variant}: servers left running"
    );

    // The manifest carries the right version.
    assert_eq!(
        m.connections
            .fingerprint
            .as_ref()
            .unwrap()
            .offering
            .to_string(),
        e.connections.offering_version,
        "{variant}"
    );
    assert_eq!(
        m.connections.release.as_deref(),
        Some(e.connections.release.as_str())
    );
    assert_eq!(m.connections.ifixes, e.connections.ifixes, "{variant}");
    assert_eq!(m.status, Status::Complete);
    assert!(!m.connections.evidence.is_null());

    // Skipped steps match the variant.
    let status = |c: Component| m.component(c).unwrap().status;
    let ccm = e.connections.ccm.installed;
    assert_eq!(
        status(Component::EngineWsEar) != StepStatus::Skipped,
        ccm,
        "{variant}"
    );
    assert_eq!(
        status(Component::FileRegistry) != StepStatus::Skipped,
        e.filenet_admin.in_file_registry,
        "{variant}"
    );
    for c in [
        Component::InstallationManager,
        Component::DmgrProfile,
        Component::ConnectionsRoot,
        Component::ProfileRegistry,
        Component::SharedData,
        Component::Provision,
        Component::LocalData,
        Component::SharedResources,
    ] {
        if c == Component::DmgrProfile && !e.was.profiles.iter().any(|p| p.name.contains("Dmgr")) {
            continue;
        }
        assert!(
            matches!(status(c), StepStatus::Ok),
            "{variant}: {c} is {:?}",
            status(c)
        );
    }

    // Components inside another are stored once, by it; provision is its own source.
    if e.filenet_admin.in_file_registry {
        assert_eq!(
            m.component(Component::FileRegistry).unwrap().stored_with,
            Some(Component::DmgrProfile),
            "{variant}"
        );
        assert_eq!(m.component(Component::FileRegistry).unwrap().files, 1);
    }
    let provision = m.component(Component::Provision).unwrap();
    assert_eq!(provision.stored_with, None, "{variant}");
    assert!(provision.files > 0, "{variant}");
    let shared = m.component(Component::SharedData).unwrap();
    if Path::new(&provision.paths[0]).starts_with(&shared.paths[0]) {
        assert!(shared.excludes.contains(&provision.paths[0]), "{variant}");
    }

    // Every file under every path the procedure names is in the snapshot, under its
    // product path (excluding what belongs to another component).
    let listing = snap.listing();
    let mut checked = 0;
    for c in &m.components {
        if c.status != StepStatus::Ok || c.component == Component::Databases {
            continue;
        }
        for p in &c.paths {
            checked += h.assert_tree_stored(p, &c.excludes, &listing);
        }
    }
    assert!(checked > 50, "{variant}: only {checked} files checked");
    assert!(listing.contains_key("/.cnxbackup/manifest.json"));
    // Nothing of the sysroot's real location leaked into the snapshot.
    let leaked = h.sample.sysroot.display().to_string();
    assert!(!listing.keys().any(|k| k.starts_with(&leaked)), "{variant}");

    // Databases: one image per database, stored under /.cnxbackup/databases/.
    assert_eq!(m.databases.len(), h.expected_database_steps(), "{variant}");
    for d in &m.databases {
        assert_eq!(d.status, StepStatus::Ok, "{variant}: {d:?}");
        for p in &d.stored_paths {
            assert!(p.starts_with("/.cnxbackup/databases/"), "{p}");
            assert!(
                listing.contains_key(p),
                "{variant}: {p} not in the snapshot"
            );
        }
        let image = d.image.as_ref().unwrap();
        assert_eq!(image.files.len(), d.stored_paths.len());
        for (f, p) in image.files.iter().zip(&d.stored_paths) {
            assert_eq!(listing[p], f.size, "{variant}: {p}");
        }
    }

    // Role mappings exported for every application of the truth.
    for (app, roles) in &e.role_mappings {
        let got = m
            .role_mappings
            .applications
            .iter()
            .find(|a| &a.application == app)
            .unwrap_or_else(|| panic!("{variant}: no role mappings for {app}"));
        for want in roles {
            let r = got.mappings.iter().find(|r| r.role == want.role).unwrap();
            let users: Vec<&str> = r.users.iter().map(|u| u.name.as_str()).collect();
            assert_eq!(
                users,
                want.users.iter().map(String::as_str).collect::<Vec<_>>()
            );
            assert_eq!(r.everyone, want.everyone);
        }
    }
    // wsadmin answered while the dmgr ran (the stand-in logs the call)
    if m.topology.profiles.iter().any(|p| p.kind == "dmgr") {
        assert!(
            m.role_mappings.sources.iter().any(|s| s == "wsadmin"),
            "{variant}: {:?}",
            m.warnings
        );
        assert!(!m.role_mappings.wsadmin.is_empty());
    }
    assert!(listing.contains_key("/.cnxbackup/role-mappings.json"));

    // snapshots can tell it apart: the application document says complete.
    let app = snap.snapshot.application.clone().unwrap();
    assert_eq!(app["status"], "complete");
    assert_eq!(app["kind"], "cnxbackup.backup");
    assert_eq!(app["backup_set"], m.backup_set.as_str());

    // The JSON-lines events: a start and an end per phase, a result last.
    let events = run.events();
    let phases: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "phase_end")
        .map(|e| e["phase"].as_str().unwrap())
        .collect();
    assert_eq!(
        phases,
        [
            "preflight",
            "role_mappings",
            "stop",
            "databases",
            "files",
            "snapshot"
        ]
        .into_iter()
        .chain(h.staged().then_some("cleanup"))
        .collect::<Vec<_>>(),
        "{variant}"
    );
    // the staging copies are gone once the snapshot is durable
    assert!(h.staging_is_empty(), "{variant}");
    // no secret in any output
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !all.contains(&h.was_password),
        "{variant}: the WebSphere password was printed"
    );
    assert!(
        !all.contains("{xor}"),
        "{variant}: an {{xor}} value was printed"
    );
}

#[test]
fn backup_8_0_db2_ccm() {
    check_variant(Variant::V80Db2Ccm);
}

#[test]
fn backup_8_0_sqlserver_ldap() {
    check_variant(Variant::V80SqlServerLdap);
}

#[test]
fn backup_6_5_cr1_oracle() {
    check_variant(Variant::V65Cr1Oracle);
}

#[test]
fn backup_6_0_cr6_ccm() {
    check_variant(Variant::V60Cr6Ccm);
}

#[test]
fn backup_6_0_cr4_ccm() {
    check_variant(Variant::V60Cr4Ccm);
}

#[test]
fn backup_7_0_two_nodes_split_clusters() {
    check_variant(Variant::V70TwoNodesSplitClusters);
}

#[test]
fn backup_8_0_hcl_relocated() {
    check_variant(Variant::HclBrandedRelocated);
}

#[test]
fn backup_8_0_nonroot_iim() {
    check_variant(Variant::NonRootIim);
}

#[test]
fn backup_wrong_websphere_password_stops_nothing_and_writes_nothing() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let before = h.sample.running_servers().len();
    h.was_password = "wrong".into();
    let run = h.backup(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("wrong WebSphere credentials"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nothing was stopped or written"),
        "{}",
        run.stderr
    );
    assert_eq!(h.sample.running_servers().len(), before);
    assert!(!h
        .sample
        .control_log()
        .unwrap()
        .iter()
        .any(|c| c.outcome == "stopped"));
    assert_eq!(h.snapshot_count(), 0);
}

#[test]
fn backup_missing_vendor_tool_is_a_preflight_problem() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    h.db_command = Some("/opt/ibm/db2/V11.5/bin/no-such-db2".into());
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no-such-db2"), "{}", run.stderr);
    assert!(
        !h.sample.running_servers().is_empty(),
        "servers were stopped"
    );
    assert_eq!(h.snapshot_count(), 0);
    let err = run.events().last().cloned().unwrap();
    assert_eq!(err["error"]["exit_code"], 2);
}

#[test]
fn backup_no_stop_refuses_while_servers_run_and_dry_run_writes_nothing() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--no-stop"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("still running"), "{}", run.stderr);
    let dry = h.backup(&["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("nothing was stopped or written"));
    assert!(!h.sample.running_servers().is_empty());
    assert_eq!(h.snapshot_count(), 0);
    // with everything stopped, --no-stop backs up
    h.sample.stop_all().unwrap();
    let ok = h.backup(&["--no-stop", "--set", "cell-a.1", "--tag", "pre-cr5"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let snaps = h.snapshots();
    assert_eq!(snaps.len(), 1);
    assert!(snaps[0].tags.contains(&"set:cell-a.1".to_string()));
    assert!(snaps[0].tags.contains(&"pre-cr5".to_string()));
}

#[test]
fn backup_failed_database_gives_incomplete_snapshot_and_exit_1() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let run = h.backup_failing_database("FILES");
    assert!(run.stderr.contains("INCOMPLETE"), "{}", run.stderr);
    assert!(run.stderr.contains("FILES"), "{}", run.stderr);
    let result = run.result();
    assert_eq!(result["complete"], false);
    let snap = h.snapshot(result["snapshot"].as_str().unwrap());
    let m = snap.manifest();
    assert_eq!(m.status, Status::Incomplete);
    assert_eq!(m.failed_steps.len(), 1);
    assert_eq!(m.failed_steps[0].database.as_deref(), Some("FILES"));
    // the other databases and every file component are there
    assert!(
        m.databases
            .iter()
            .filter(|d| d.status == StepStatus::Ok)
            .count()
            > 5
    );
    assert_eq!(
        m.component(Component::SharedData).unwrap().status,
        StepStatus::Ok
    );
    let app = snap.snapshot.application.clone().unwrap();
    assert_eq!(app["status"], "incomplete");
    assert!(snap.snapshot.tags.contains(&"incomplete".to_string()));
    // servers stay stopped without --restart
    assert!(h.sample.running_servers().is_empty());
}

#[test]
fn backup_stop_failure_with_on_stop_failure_files_backs_up_the_files_only() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    h.sample.start_all().unwrap();
    let member = an_application_server(&h);
    h.sample.knobs().refuse_stop(&member, 1).unwrap();
    let run = h.backup(&["--json", "--restart", "--on-stop-failure", "files"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let m = h
        .snapshot(run.result()["snapshot"].as_str().unwrap())
        .manifest();
    assert_eq!(m.status, Status::Incomplete);
    assert!(
        m.failed_steps
            .iter()
            .any(|f| f.procedure_step == "1" && f.message.contains(&member)),
        "{:?}",
        m.failed_steps
    );
    // the databases are left out, and no vendor tool touched one
    assert!(
        m.failed_steps
            .iter()
            .any(|f| f.message.contains("the servers did not stop")),
        "{:?}",
        m.failed_steps
    );
    assert!(m.databases.is_empty(), "{:?}", m.databases);
    assert_eq!(databases_touched(&h), Vec::<String>::new());
    assert_eq!(
        m.component(Component::SharedData).unwrap().status,
        StepStatus::Ok
    );
    let rec = m
        .servers
        .iter()
        .find(|s| s.server == member && s.operation == "stop")
        .unwrap();
    assert_eq!(rec.result, "failed");
    // --restart: the others came back (the refusing one never went down)
    assert_started_after_stopping(&h);
    assert_all_running(&h);
}

#[test]
fn backup_skip_databases_is_complete_only_when_a_set_member_holds_them() {
    let h = Harness::new(Variant::V70TwoNodesSplitClusters);
    // Alone, without a set, --skip-databases leaves a snapshot no host can complete.
    let alone = h.backup(&["--json", "--no-stop", "--skip-databases", "--host", "solo"]);
    assert_eq!(alone.code, 1, "{}", alone.stderr);
    assert!(alone.stderr.contains("INCOMPLETE"), "{}", alone.stderr);
    let m = h
        .snapshot(alone.result()["snapshot"].as_str().unwrap())
        .manifest();
    assert_eq!(m.status, Status::Incomplete);
    assert!(
        m.failed_steps[0].message.contains("without --set"),
        "{:?}",
        m.failed_steps
    );

    let node = [
        "--json",
        "--no-stop",
        "--skip-databases",
        "--set",
        "cell7",
        "--host",
        "cnx2",
    ];
    // A node host first: no host of the set holds the databases yet. The snapshot says
    // so; show and snapshots call it INCOMPLETE until a member holds them. No database
    // tool is run.
    let run = h.backup(&node);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("none held them"), "{}", run.stdout);
    let early = run.result()["snapshot"].as_str().unwrap().to_string();
    let m = h.snapshot(&early).manifest();
    assert_eq!(m.backup_set, "cell7");
    assert!(m.databases.is_empty());
    assert_eq!(m.absent.len(), 1);
    assert_eq!(m.absent[0].component, Component::Databases);
    assert!(
        m.absent[0]
            .message
            .contains("left to another host of backup set cell7"),
        "{:?}",
        m.absent
    );
    let show = Run::of(h.cmd().args(["show", &early]).output().unwrap());
    assert!(show.stdout.contains("INCOMPLETE"), "{}", show.stdout);
    assert!(
        show.stdout.contains("no member of the set holds them now"),
        "{}",
        show.stdout
    );
    let step = m
        .steps
        .iter()
        .find(|s| s.action == "backup_databases")
        .unwrap();
    assert_eq!(step.status, StepStatus::Skipped);
    assert!(!step
        .message
        .as_deref()
        .unwrap()
        .contains("are backed up from"));
    assert!(
        h.sample.db_log().unwrap().is_empty(),
        "a database tool was run"
    );

    // The database host backs them up in the same set; a node host after it is complete
    // and names the member holding them.
    let dbhost = h.backup(&["--json", "--no-stop", "--set", "cell7", "--host", "cnx1"]);
    assert_eq!(dbhost.code, 0, "{}", dbhost.stderr);
    let run = h.backup(&node);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let m = h
        .snapshot(run.result()["snapshot"].as_str().unwrap())
        .manifest();
    assert_eq!(m.status, Status::Complete);
    assert_eq!(m.absent[0].held_by.as_ref().unwrap().host, "cnx1");

    // show and snapshots count the set: the early snapshot is complete now, and both say
    // what is absent and who holds it.
    let show = Run::of(h.cmd().args(["show", &early]).output().unwrap());
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(show.stdout.contains("COMPLETE"), "{}", show.stdout);
    assert!(
        show.stdout.contains("set member cnx1 now holds them"),
        "{}",
        show.stdout
    );
    let list = Run::of(h.cmd().args(["snapshots"]).output().unwrap());
    // only the lone snapshot without a set is incomplete
    assert!(list.stdout.contains("1 INCOMPLETE"), "{}", list.stdout);
    assert!(
        list.stdout.lines().any(|l| l.starts_with(&early[..8])
            && l.contains("absent databases: --skip-databases")),
        "{}",
        list.stdout
    );
    assert!(
        list.stdout.contains("now held by set member cnx1"),
        "{}",
        list.stdout
    );
}

#[test]
fn backup_second_run_is_incremental_and_the_set_groups_snapshots() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let first = h.backup(&["--json", "--no-stop", "--set", "s1"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = h.backup(&["--json", "--no-stop", "--set", "s1"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let a = h.snapshot(first.result()["snapshot"].as_str().unwrap());
    let b = h.snapshot(second.result()["snapshot"].as_str().unwrap());
    assert!(a.snapshot.summary.bytes_read > 100_000);
    // unchanged files are not read again: only the database images (new every run) are
    let images: u64 = b
        .manifest()
        .databases
        .iter()
        .filter_map(|d| d.image.as_ref())
        .map(|i| i.bytes)
        .sum();
    assert!(
        b.snapshot.summary.bytes_read <= images + 64 * 1024,
        "second run read {} bytes (images {images}, first run {})",
        b.snapshot.summary.bytes_read,
        a.snapshot.summary.bytes_read
    );
    // the same files were stored (the database images and the manifest differ run to run)
    let files = |s: &backup_common::Snap| {
        s.listing()
            .into_iter()
            .filter(|(p, _)| !p.starts_with("/.cnxbackup"))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&a), files(&b));
    assert!(images_of(&a) > 0);
    for s in [&a, &b] {
        assert_eq!(s.snapshot.application.as_ref().unwrap()["backup_set"], "s1");
    }
}

fn images_of(s: &backup_common::Snap) -> u64 {
    s.manifest()
        .databases
        .iter()
        .filter_map(|d| d.image.as_ref())
        .map(|i| i.bytes)
        .sum()
}

/// Vendor-tool runs that touched a database (backups, exports, verifications); preflight
/// probes do not count.
fn databases_touched(h: &Harness) -> Vec<String> {
    h.sample
        .db_log()
        .unwrap()
        .into_iter()
        .filter(|e| {
            e.action.starts_with("backup") || matches!(e.action.as_str(), "export" | "verify")
        })
        .map(|e| format!("{} {} {}", e.tool, e.action, e.database))
        .collect()
}

/// Every JVM of the sample runs (after the stand-in's knobs are cleared).
fn assert_all_running(h: &Harness) {
    h.sample.knobs().clear().unwrap();
    let jvms = h
        .sample
        .expected
        .was
        .servers
        .iter()
        .filter(|s| s.server_type.is_jvm())
        .count();
    assert_eq!(
        h.sample.running_servers().len(),
        jvms,
        "not every server runs"
    );
}

/// The start scripts ran after the last stop script (the WebSphere stand-ins' action log).
fn assert_started_after_stopping(h: &Harness) {
    let log = h.sample.control_log().unwrap();
    let last_stop = log
        .iter()
        .rposition(|e| e.script.starts_with("stop"))
        .expect("no stop script ran");
    assert!(
        log[last_stop..]
            .iter()
            .any(|e| e.script.starts_with("start") && e.outcome == "started"),
        "no server was started after the stop: {log:?}"
    );
}

fn an_application_server(h: &Harness) -> String {
    h.sample
        .expected
        .was
        .servers
        .iter()
        .find(|s| s.server_type == ServerType::ApplicationServer)
        .unwrap()
        .name
        .clone()
}

#[test]
fn backup_stop_failure_aborts_before_any_database_and_restart_brings_servers_back() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let member = an_application_server(&h);
    h.sample.knobs().refuse_stop(&member, 1).unwrap();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("did not all stop"), "{}", run.stderr);
    assert!(run.stderr.contains(&member), "{}", run.stderr);
    assert!(
        run.stderr.contains("started again (--restart)"),
        "{}",
        run.stderr
    );
    assert_eq!(h.snapshot_count(), 0, "an aborted run writes no snapshot");
    assert_eq!(databases_touched(&h), Vec::<String>::new());
    let phases: Vec<String> = run
        .events()
        .iter()
        .filter(|e| e["event"] == "phase_end")
        .map(|e| e["phase"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(phases, ["preflight", "role_mappings", "stop", "restart"]);
    assert_started_after_stopping(&h);
    assert_all_running(&h);
}

#[test]
fn backup_stop_failure_without_restart_leaves_the_stopped_servers_and_touches_no_database() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    h.sample.start_all().unwrap();
    let member = an_application_server(&h);
    h.sample.knobs().refuse_stop(&member, 1).unwrap();
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("did stop were left stopped"),
        "{}",
        run.stderr
    );
    assert_eq!(databases_touched(&h), Vec::<String>::new());
    assert_eq!(h.snapshot_count(), 0);
    // only the refusing server still runs
    let running: Vec<String> = h
        .sample
        .running_servers()
        .into_iter()
        .map(|r| r.server)
        .collect();
    assert_eq!(running, [member]);
}

#[test]
fn backup_repository_failing_mid_backup_with_restart_starts_the_servers_again() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    // packs cannot be written (not even by root): `packs` is a file, not a directory
    let packs = h.repo_dir.join("packs");
    let _ = std::fs::remove_dir_all(&packs);
    std::fs::write(&packs, b"not a directory").unwrap();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("the repository failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("the servers were started again (--restart)"),
        "{}",
        run.stderr
    );
    assert_eq!(h.snapshot_count(), 0);
    // the sample's data fits in one pack, written when the pipeline flushes after every
    // source was read: the servers were started before that, and the failure came after
    let ends: Vec<(String, String)> = run
        .events()
        .iter()
        .filter(|e| e["event"] == "phase_end")
        .map(|e| (e["phase"].to_string(), e["status"].to_string()))
        .collect();
    let restart = ends
        .iter()
        .position(|(p, s)| p == "\"restart\"" && s == "\"ok\"");
    let failed = ends.iter().position(|(_, s)| s == "\"failed\"");
    assert!(
        restart.is_some() && failed.is_some(),
        "a restart that ended ok and a failed phase: {ends:?}"
    );
    assert_started_after_stopping(&h);
    assert_all_running(&h);
}

#[test]
fn backup_failed_database_with_restart_records_stops_and_starts_in_the_manifest() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    h.sample.knobs().fail_db_backup(Some("FILES")).unwrap();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let id = run.result()["snapshot"].as_str().unwrap().to_string();
    let m = h.snapshot(&id).manifest();
    assert_eq!(m.status, Status::Incomplete);
    let ops = |op: &str| m.servers.iter().filter(|s| s.operation == op).count();
    assert!(ops("stop") > 0 && ops("start") > 0, "{:?}", m.servers);
    assert!(
        m.servers
            .iter()
            .filter(|s| s.operation == "start")
            .all(|s| s.result != "failed"),
        "{:?}",
        m.servers
    );
    // the phase table in the manifest: the restart came before the manifest was written
    // (the files phase, run beside the databases, ends once everything is stored)
    let phases: Vec<_> = m.phases.iter().map(|p| p.phase).collect();
    assert!(
        phases.ends_with(&[
            runbook::procedure::Phase::Restart,
            runbook::procedure::Phase::Files
        ]),
        "{phases:?}"
    );
    let show = h.cmd().args(["show", &id]).output().unwrap();
    let show = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.lines()
            .any(|l| l.contains("start") && l.contains("started")),
        "show lists the starts:\n{show}"
    );
    assert_started_after_stopping(&h);
    assert_all_running(&h);
}

/// Issue 21 case 3: `was-credentials` stores the WebSphere credentials in every profile's
/// client properties; the backup then stops and starts every server without the password
/// on any script's command line (before: `-password` on every stop, readable by every local
/// user). Without it, the argv path is still used, with a loud preflight warning.
#[test]
fn backup_after_was_credentials_keeps_the_password_off_every_command_line() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let argv_log = h
        .sample
        .real_path(&format!("{}/was/password-on-argv.log", sample::STATE_DIR));

    // the argv path: it works, and the preflight says loudly what it costs
    let run = h.backup(&["--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("cnxbackup was-credentials"),
        "{}",
        run.stderr
    );
    assert!(argv_log.is_file(), "the stand-ins saw no -password");
    std::fs::remove_file(&argv_log).unwrap();

    let stored = h
        .cmd()
        .args(["--json", "was-credentials"])
        .output()
        .unwrap();
    assert!(
        stored.status.success(),
        "{}",
        String::from_utf8_lossy(&stored.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&stored.stdout).unwrap();
    let profiles = report["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), h.sample.expected.was.profiles.len());
    assert!(!String::from_utf8_lossy(&stored.stdout).contains(&h.was_password));
    for p in &h.sample.expected.was.profiles {
        let ipc = std::fs::read_to_string(
            h.sample
                .real_path(&format!("{}/properties/ipc.client.props", p.path)),
        )
        .unwrap();
        assert!(ipc.contains("com.ibm.IPC.loginPassword={xor}"), "{ipc}");
        assert!(!ipc.contains(&h.was_password));
    }

    let run = h.backup(&["--restart"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stderr.contains("cnxbackup was-credentials"),
        "{}",
        run.stderr
    );
    assert!(
        !argv_log.exists(),
        "a script still got -password: {}",
        std::fs::read_to_string(&argv_log).unwrap_or_default()
    );
    assert!(h
        .sample
        .control_log()
        .unwrap()
        .iter()
        .any(|c| c.outcome == "stopped"));
}
