//! Server control against the sample deployments' stand-in scripts: real background
//! processes, real PID files, the stand-ins' call log as the witness of order.

#![allow(clippy::unwrap_used)] // test helpers

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use runbook::servers::{
    server_state, start_all, stop_all, verify_all_stopped, ControlOptions, ControlProfile,
    ControlServer, ControlTopology, Outcome, ProfileKind, RunAs, ServerError, ServerKind,
    ServerState, StoppedHow, WasCredentials,
};
use sample::{BuildOptions, Sample, Variant};
use secret::Secret;

/// A started sample whose servers are always cleaned up.
struct Running {
    sample: Sample,
    _dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.sample.knobs().clear();
        let _ = self.sample.stop_all();
    }
}

fn started(variant: Variant) -> Running {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let sample = sample::build(variant, &root, &BuildOptions::default()).unwrap();
    let r = Running { sample, _dir: dir };
    r.sample.start_all().unwrap();
    assert!(!r.sample.running_servers().is_empty());
    r
}

/// The topology from the sample's own truth (independent of discovery).
fn topology_of(s: &Sample) -> ControlTopology {
    let was = &s.expected.was;
    let profiles = was
        .profiles
        .iter()
        .map(|p| ControlProfile {
            name: p.name.clone(),
            product_path: PathBuf::from(&p.path),
            path: s.real_path(&p.path),
            kind: match p.profile_type {
                sample::ProfileType::Dmgr => ProfileKind::Dmgr,
                _ => ProfileKind::Managed,
            },
            servers: was
                .servers
                .iter()
                .filter(|sv| sv.profile == p.name)
                .map(|sv| ControlServer {
                    name: sv.name.clone(),
                    kind: match sv.server_type {
                        sample::ServerType::DeploymentManager => ServerKind::DeploymentManager,
                        sample::ServerType::NodeAgent => ServerKind::NodeAgent,
                        sample::ServerType::ApplicationServer => ServerKind::ApplicationServer,
                        sample::ServerType::WebServer => ServerKind::WebServer,
                    },
                    node: sv.node.clone(),
                    cluster: sv.cluster.clone(),
                })
                .collect(),
        })
        .collect();
    ControlTopology { profiles }
}

fn creds(s: &Sample) -> WasCredentials {
    let admin = &s.expected.was.admin;
    WasCredentials::new(&admin.username, Secret::new(admin.password()))
}

fn fast_opts() -> ControlOptions {
    ControlOptions {
        timeout: Duration::from_secs(20),
        attempts: 3,
        retry_pause: Duration::from_millis(200),
        verify_wait: Duration::from_secs(10),
        force_kill: false,
        kill_grace: Duration::from_secs(2),
        run_as: RunAs::Current,
    }
}

/// Rank of a control-log script: 0 servers, 1 node agents, 2 dmgr.
fn rank(script: &str) -> u8 {
    match script {
        "stopServer.sh" | "startServer.sh" => 0,
        "stopNode.sh" | "startNode.sh" => 1,
        "stopManager.sh" | "startManager.sh" => 2,
        other => panic!("unexpected script {other}"),
    }
}

fn pid_file(s: &Sample, server: &str) -> PathBuf {
    s.pid_file(server).unwrap()
}

fn find<'a>(t: &'a ControlTopology, server: &str) -> (&'a ControlProfile, &'a ControlServer) {
    t.servers().find(|(_, s)| s.name == server).unwrap()
}

fn first_app_server(s: &Sample) -> String {
    s.expected
        .was
        .servers
        .iter()
        .find(|sv| sv.server_type == sample::ServerType::ApplicationServer)
        .unwrap()
        .name
        .clone()
}

#[test]
fn servers_stop_in_order_servers_node_agents_dmgr_then_start_in_reverse() {
    let r = started(Variant::V80Db2Ccm);
    let s = &r.sample;
    let topo = topology_of(s);
    let log_before = s.control_log().unwrap().len();

    let report = stop_all(&topo, &creds(s), &fast_opts()).unwrap();
    assert!(report.ok(), "{report:#?}");
    assert!(report.killed().is_empty());
    assert!(s.running_servers().is_empty(), "{:?}", s.running_servers());
    assert!(verify_all_stopped(&topo).is_empty());

    let jvms = s
        .expected
        .was
        .servers
        .iter()
        .filter(|x| x.server_type.is_jvm())
        .count();
    let stopped: Vec<_> = report
        .servers
        .iter()
        .filter(|o| o.outcome == Outcome::Stopped)
        .collect();
    assert_eq!(stopped.len(), jvms);
    assert!(stopped
        .iter()
        .all(|o| o.messages.iter().any(|m| m == "ADMU4000I")));
    // Web servers are reported as skipped, never run through a script.
    for o in report
        .servers
        .iter()
        .filter(|o| o.kind == ServerKind::WebServer)
    {
        assert!(matches!(o.outcome, Outcome::Skipped { .. }));
    }

    let events = &s.control_log().unwrap()[log_before..];
    let stops: Vec<_> = events.iter().filter(|e| e.outcome == "stopped").collect();
    assert_eq!(stops.len(), jvms, "{events:#?}");
    let ranks: Vec<u8> = stops.iter().map(|e| rank(&e.script)).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(
        ranks, sorted,
        "stop order was not servers → node agents → dmgr: {stops:#?}"
    );
    assert_eq!(ranks.first(), Some(&0));
    assert_eq!(ranks.last(), Some(&2));

    // Start: dmgr, node agents, servers, each verified running.
    let log_before = s.control_log().unwrap().len();
    let report = start_all(&topo, &creds(s), &fast_opts()).unwrap();
    assert!(report.ok(), "{report:#?}");
    assert_eq!(s.running_servers().len(), jvms);
    let events = &s.control_log().unwrap()[log_before..];
    let ranks: Vec<u8> = events
        .iter()
        .filter(|e| e.outcome == "started")
        .map(|e| 2 - rank(&e.script))
        .collect();
    assert_eq!(ranks.len(), jvms);
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(
        ranks, sorted,
        "start order was not dmgr → node agents → servers"
    );
    for o in &report.servers {
        if o.kind.is_managed() {
            assert_eq!(o.outcome, Outcome::Started);
            assert!(o.pid.is_some());
        }
    }
}

#[test]
fn servers_topology_from_discovery_matches_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let s = sample::build(
        Variant::V70TwoNodesSplitClusters,
        &root,
        &BuildOptions::default(),
    )
    .unwrap();
    let sys = websphere::Sysroot::new(&s.sysroot).unwrap();
    let dep = connections::discover::discover(&sys, &Default::default()).unwrap();
    let topo = ControlTopology::from_deployment(&dep, &sys);
    let mut got: Vec<(String, String, ServerKind, PathBuf)> = topo
        .servers()
        .filter(|(_, sv)| sv.kind.is_managed())
        .map(|(p, sv)| (p.name.clone(), sv.name.clone(), sv.kind, p.path.clone()))
        .collect();
    got.sort();
    let mut want: Vec<(String, String, ServerKind, PathBuf)> = topology_of(&s)
        .servers()
        .filter(|(_, sv)| sv.kind.is_managed())
        .map(|(p, sv)| (p.name.clone(), sv.name.clone(), sv.kind, p.path.clone()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn servers_stale_pid_file_counts_as_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample::build(
        Variant::V80Db2Ccm,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let topo = topology_of(&s);
    let server = first_app_server(&s);
    // A PID that existed and is gone.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let f = pid_file(&s, &server);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, format!("{dead}\n")).unwrap();

    let (p, sv) = find(&topo, &server);
    assert_eq!(
        server_state(p, sv),
        ServerState::Stopped(StoppedHow::StalePidFile { pid: dead })
    );
    assert!(verify_all_stopped(&topo).is_empty());
    let report = stop_all(&topo, &creds(&s), &fast_opts()).unwrap();
    assert!(report.ok());
    let o = report.servers.iter().find(|o| o.server == server).unwrap();
    match &o.outcome {
        Outcome::AlreadyStopped { why } => assert!(why.contains("stale"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(o.attempts, 0, "no script should run for a stopped server");
}

struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn servers_reused_pid_does_not_count_as_running_and_is_never_killed() {
    let dir = tempfile::tempdir().unwrap();
    let s = sample::build(
        Variant::V80Db2Ccm,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let topo = topology_of(&s);
    let server = first_app_server(&s);
    let mut sleeper = Reaped(Command::new("sleep").arg("60").spawn().unwrap());
    let pid = sleeper.0.id();
    let f = pid_file(&s, &server);
    std::fs::create_dir_all(f.parent().unwrap()).unwrap();
    std::fs::write(&f, format!("{pid}\n")).unwrap();

    let (p, sv) = find(&topo, &server);
    assert_eq!(
        server_state(p, sv),
        ServerState::Stopped(StoppedHow::PidReused { pid })
    );
    assert!(verify_all_stopped(&topo).is_empty());
    let mut opts = fast_opts();
    opts.force_kill = true;
    let report = stop_all(&topo, &creds(&s), &opts).unwrap();
    assert!(report.killed().is_empty());
    assert!(
        sleeper.0.try_wait().unwrap().is_none(),
        "the unrelated process was killed"
    );
}

#[test]
fn servers_refusing_to_stop_fails_after_retries_and_is_killed_only_with_force_kill() {
    let r = started(Variant::V80Db2Ccm);
    let s = &r.sample;
    let topo = topology_of(s);
    let server = first_app_server(s);
    s.knobs().refuse_stop(&server, 1).unwrap();
    let mut opts = fast_opts();
    opts.timeout = Duration::from_secs(1);
    opts.attempts = 2;
    opts.verify_wait = Duration::from_millis(300);

    let report = stop_all(&topo, &creds(s), &opts).unwrap();
    assert!(!report.ok());
    let o = report.servers.iter().find(|o| o.server == server).unwrap();
    assert_eq!(o.attempts, 2);
    match &o.outcome {
        Outcome::Failed { reason } => {
            assert!(reason.contains("still running"), "{reason}");
            assert!(reason.contains("force_kill"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        o.messages.iter().any(|m| m == "ADMU3060E"),
        "{:?}",
        o.messages
    );
    assert!(report.killed().is_empty());
    let running: Vec<_> = verify_all_stopped(&topo);
    assert_eq!(running.len(), 1, "{running:?}");
    assert_eq!(running[0].server, server);
    let timeouts = s
        .control_log()
        .unwrap()
        .iter()
        .filter(|e| e.server == server && e.outcome == "timeout")
        .count();
    assert_eq!(timeouts, 2);

    // Now allowed to kill: the server ignores SIGTERM, so SIGKILL ends it.
    opts.force_kill = true;
    opts.attempts = 1;
    let report = stop_all(&topo, &creds(s), &opts).unwrap();
    assert!(report.ok(), "{report:#?}");
    let killed = report.killed();
    assert_eq!(killed.len(), 1);
    assert_eq!(killed[0].server, server);
    match &killed[0].outcome {
        Outcome::Killed { signal, pid } => {
            assert_eq!(signal, "SIGKILL");
            assert_eq!(Some(*pid), running.first().map(|r| r.pid));
        }
        other => panic!("{other:?}"),
    }
    assert!(verify_all_stopped(&topo).is_empty());
}

#[test]
fn servers_wrong_password_is_a_clear_error_without_retries() {
    let r = started(Variant::V80Db2Ccm);
    let s = &r.sample;
    let topo = topology_of(s);
    let log_before = s.control_log().unwrap().len();
    let wrong = WasCredentials::new(&s.expected.was.admin.username, Secret::new("not-the-pw"));
    let err = stop_all(&topo, &wrong, &fast_opts()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("wrong WebSphere credentials"), "{text}");
    assert!(!text.contains("not-the-pw"), "{text}");
    let ServerError::WrongCredentials { server, report, .. } = &err;
    assert!(text.contains(server.as_str()));
    let events = &s.control_log().unwrap()[log_before..];
    assert_eq!(events.len(), 1, "retried after a denial: {events:#?}");
    assert_eq!(events[0].outcome, "denied");
    assert_eq!(&events[0].server, server);
    assert_eq!(report.servers.len(), 1);
    // Nothing was stopped.
    assert_eq!(
        s.running_servers().len(),
        s.expected
            .was
            .servers
            .iter()
            .filter(|x| x.server_type.is_jvm())
            .count()
    );
}

#[test]
fn servers_missing_scripts_fail_clearly() {
    let topo = ControlTopology {
        profiles: vec![ControlProfile {
            name: "AppSrv01".into(),
            product_path: PathBuf::from("/nonexistent/AppSrv01"),
            path: Path::new("/nonexistent/AppSrv01").to_path_buf(),
            kind: ProfileKind::Managed,
            servers: vec![ControlServer {
                name: "nodeagent".into(),
                kind: ServerKind::NodeAgent,
                node: "n1".into(),
                cluster: None,
            }],
        }],
    };
    // Not running (no PID file): nothing to do, and nothing to start without scripts.
    let stop = stop_all(&topo, &WasCredentials::none(), &fast_opts()).unwrap();
    assert!(stop.ok());
    let start = start_all(&topo, &WasCredentials::none(), &fast_opts()).unwrap();
    assert!(!start.ok());
    match &start.servers[0].outcome {
        Outcome::Failed { reason } => {
            assert!(reason.contains("startNode.sh is missing"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

/// The database side of a preflight for `tool` on the sample's databases.
fn db_input<'a>(
    tool: &'a dyn runbook::databases::DatabaseTool,
    targets: &'a [runbook::databases::DatabaseTarget],
    staging: &'a std::path::Path,
    plan_files: u64,
) -> runbook::preflight::DatabaseInput<'a> {
    runbook::preflight::DatabaseInput {
        tool,
        run_as: None,
        targets,
        staging,
        previous_images: None,
        plan_file_bytes: Some(plan_files),
    }
}

#[test]
fn servers_preflight_checks_scripts_credentials_tool_and_space() {
    use runbook::databases::{DatabaseTarget, Db2};
    use runbook::preflight::{preflight, PreflightInput};
    use runbook::servers::CredentialCheck;

    let r = started(Variant::V80Db2Ccm);
    let s = &r.sample;
    let topo = topology_of(s);
    let opts = fast_opts();
    let tool = Db2::new(s.db_command(), Default::default());
    let stage = tempfile::tempdir().unwrap();

    let good = creds(s);
    let targets: Vec<DatabaseTarget> = s
        .expected
        .databases
        .iter()
        .map(|d| DatabaseTarget::named(&d.name))
        .collect();
    let db = |tool, plan_files| db_input(tool, &targets, stage.path(), plan_files);
    let report = preflight(&PreflightInput {
        topology: Some(&topo),
        credentials: &good,
        control: &opts,
        database: Some(db(&tool, 1)),
    });
    assert!(report.ok(), "{report:#?}");
    // The tool answered for every database and gave their sizes.
    let probe = report.probe.as_ref().unwrap();
    assert!(probe.unknown().is_empty(), "{probe:#?}");
    assert!(probe.total_bytes().unwrap() > 0);
    let est = report.staging_estimate.as_ref().unwrap();
    assert!(est.basis.contains("get_dbsize_info"), "{est:?}");
    assert_eq!(
        report.credentials,
        Some(CredentialCheck::Accepted {
            server: "dmgr".into()
        })
    );
    assert!(report.staging_available.unwrap() > 1);

    // Wrong password, a missing tool, no room, a missing script: all reported at once,
    // and nothing stopped.
    let wrong = WasCredentials::new(&s.expected.was.admin.username, Secret::new("nope"));
    let missing_tool = Db2::new("/nonexistent/db2", Default::default());
    let (p, sv) = find(&topo, &first_app_server(s));
    let script = p.path.join("bin/stopServer.sh");
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
    std::fs::set_permissions(&script, perms).unwrap();
    let report = preflight(&PreflightInput {
        topology: Some(&topo),
        credentials: &wrong,
        control: &opts,
        // no sizes from the missing tool: a quarter of "the plan's files" is needed
        database: Some(db(&missing_tool, u64::MAX)),
    });
    let checks: Vec<&str> = report.problems.iter().map(|p| p.check).collect();
    assert!(checks.contains(&"websphere_scripts"), "{report:#?}");
    assert!(checks.contains(&"websphere_credentials"), "{report:#?}");
    assert!(checks.contains(&"database_tool"), "{report:#?}");
    assert!(checks.contains(&"staging_space"), "{report:#?}");
    let text = format!("{report:?}");
    assert!(!text.contains("nope"));
    assert!(text.contains(&sv.name));
    assert!(server_state(p, sv).running_pid().is_some());
    assert_eq!(
        s.running_servers().len(),
        s.expected
            .was
            .servers
            .iter()
            .filter(|x| x.server_type.is_jvm())
            .count()
    );
}

#[test]
fn servers_nothing_running_means_no_scripts_and_unverifiable_credentials() {
    use runbook::servers::{check_credentials, CredentialCheck};
    let dir = tempfile::tempdir().unwrap();
    let s = sample::build(
        Variant::V80Db2Ccm,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let topo = topology_of(&s);
    assert!(matches!(
        check_credentials(&topo, &creds(&s), &fast_opts()),
        CredentialCheck::NotVerifiable { .. }
    ));
    let report = stop_all(&topo, &creds(&s), &fast_opts()).unwrap();
    assert!(report.ok());
    assert!(report
        .servers
        .iter()
        .filter(|o| o.kind.is_managed())
        .all(|o| matches!(o.outcome, Outcome::AlreadyStopped { .. }) && o.attempts == 0));
    assert!(s.control_log().unwrap().is_empty());
}
