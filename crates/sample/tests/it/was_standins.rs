//! The WebSphere control-script stand-ins manage real processes, PID files, credentials and
//! log every call in order.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;
use std::os::unix::fs::FileTypeExt;

use common::*;
use sample::{ServerTruth, ServerType, Variant};

/// The sample's first application server (the one each test stops, starts or breaks).
fn first_application_server(b: &Built) -> &ServerTruth {
    b.expected
        .was
        .servers
        .iter()
        .find(|s| s.server_type == ServerType::ApplicationServer)
        .expect("every sample variant has an application server")
}

#[test]
fn start_all_runs_every_jvm_with_pid_files_and_identifying_command_lines() {
    let b = built(Variant::V80Db2Ccm);
    b.start_all().unwrap();
    let jvms: Vec<_> = b
        .expected
        .was
        .servers
        .iter()
        .filter(|s| s.server_type.is_jvm())
        .collect();
    let running = b.running_servers();
    assert_eq!(running.len(), jvms.len(), "{running:?}");
    for r in &running {
        let pid_file = b.pid_file(&r.server).unwrap();
        assert_eq!(
            fs::read_to_string(&pid_file).unwrap().trim(),
            r.pid.to_string()
        );
        let cmdline = fs::read(format!("/proc/{}/cmdline", r.pid)).unwrap();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let profile = b.profile_of_server(&r.server).unwrap();
        assert!(args.iter().any(|a| a.contains(&profile.path)), "{args:?}");
        assert_eq!(args.last().unwrap(), &r.server);
    }
    // Start order: dmgr, node agents, then application servers.
    let log = b.control_log().unwrap();
    let started: Vec<&str> = log
        .iter()
        .filter(|e| e.outcome == "started")
        .map(|e| e.server.as_str())
        .collect();
    assert_eq!(started[0], "dmgr");
    assert_eq!(&started[1..3], &["nodeagent", "nodeagent"]);
    assert_eq!(started.len(), jvms.len());

    // A second start of a running server is refused like the real script does.
    let s = first_application_server(&b);
    let o = run(&b.script(&s.profile, "startServer").unwrap(), &[&s.name]);
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("ADMU3027E"), "{}", text(&o));

    // Running servers leave no FIFO or socket in the tree (a backup of the whole sysroot
    // must never block on one).
    assert!(!walk(&b.sysroot)
        .values()
        .any(|m| is_fifo(m) || m.file_type().is_socket()));

    let killed = b.stop_all().unwrap();
    assert!(killed.is_empty());
    assert!(b.running_servers().is_empty());
    for s in &jvms {
        assert!(!b.pid_file(&s.name).unwrap().exists(), "{}", s.name);
    }
}

#[test]
fn stop_needs_the_right_credentials_and_logs_order() {
    let b = built(Variant::V70TwoNodesSplitClusters);
    b.start_all().unwrap();
    let admin = &b.expected.was.admin;
    let s = first_application_server(&b);
    let stop = b.script(&s.profile, "stopServer").unwrap();

    let o = run(
        &stop,
        &[&s.name, "-username", &admin.username, "-password", "wrong"],
    );
    assert_eq!(o.status.code(), Some(255));
    assert!(text(&o).contains("ADMN0022E"));
    let o = run(&stop, &[&s.name]);
    assert_ne!(
        o.status.code(),
        Some(0),
        "no credentials must fail with security on"
    );
    assert!(b.running_servers().iter().any(|r| r.server == s.name));

    let o = run(
        &stop,
        &[
            &s.name,
            "-username",
            &admin.username,
            "-password",
            admin.password(),
            "-timeout",
            "30",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("ADMU4000I: Server {} stop completed.", s.name)));
    // Stopping again: not running.
    let o = run(
        &stop,
        &[
            &s.name,
            "-username",
            &admin.username,
            "-password",
            admin.password(),
        ],
    );
    assert!(text(&o).contains("ADMU0509I"), "{}", text(&o));

    b.stop_all().unwrap();
    let log = b.control_log().unwrap();
    let stops: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.outcome == "stopped")
        .map(|e| (e.script.as_str(), e.server.as_str()))
        .collect();
    let pos = |script: &str| stops.iter().rposition(|(s, _)| *s == script).unwrap();
    let first = |script: &str| stops.iter().position(|(s, _)| *s == script).unwrap();
    assert!(pos("stopServer.sh") < first("stopNode.sh"), "{stops:?}");
    assert!(pos("stopNode.sh") < first("stopManager.sh"), "{stops:?}");
    assert!(log.iter().any(|e| e.outcome == "denied"));
}

#[test]
fn stale_and_reused_pid_files_do_not_count_as_running() {
    let b = built(Variant::V60Cr4Ccm);
    let s = first_application_server(&b);
    let pid_file = b.pid_file(&s.name).unwrap();
    fs::create_dir_all(pid_file.parent().unwrap()).unwrap();
    // A live PID that is not this server (the test process itself), then a dead PID.
    for pid in [std::process::id(), 4_000_000] {
        fs::write(&pid_file, pid.to_string()).unwrap();
        assert!(b.running_servers().is_empty());
        let admin = &b.expected.was.admin;
        let o = run(
            &b.script(&s.profile, "stopServer").unwrap(),
            &[
                &s.name,
                "-username",
                &admin.username,
                "-password",
                admin.password(),
            ],
        );
        assert!(text(&o).contains("ADMU0509I"), "{}", text(&o));
    }
    // Starting over a stale PID file works and replaces it.
    let o = run(&b.script(&s.profile, "startServer").unwrap(), &[&s.name]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let pid = fs::read_to_string(&pid_file).unwrap().trim().to_string();
    assert!(text(&o).contains(&format!("open for e-business; process id is {pid}")));
    b.stop_all().unwrap();
}

#[test]
fn refuse_stop_knob_times_out_and_only_sigkill_ends_it() {
    let b = built(Variant::V80SqlServerLdap);
    b.start_all().unwrap();
    let s = first_application_server(&b);
    b.knobs().refuse_stop(&s.name, 1).unwrap();
    let admin = &b.expected.was.admin;
    let o = run(
        &b.script(&s.profile, "stopServer").unwrap(),
        &[
            &s.name,
            "-username",
            &admin.username,
            "-password",
            admin.password(),
            "-timeout",
            "5",
        ],
    );
    assert_eq!(o.status.code(), Some(255));
    assert!(text(&o).contains("ADMU3060E"), "{}", text(&o));
    assert!(b.running_servers().iter().any(|r| r.server == s.name));
    let killed = b.stop_all().unwrap();
    assert_eq!(killed, vec![s.name.clone()]);
    assert!(b.running_servers().is_empty());
    // A SIGKILL leaves the PID file behind, as a crashed JVM does.
    assert!(b.pid_file(&s.name).unwrap().exists());
}

#[test]
fn server_status_stop_node_with_servers_and_wsadmin_roles() {
    let b = built(Variant::V65Cr1Oracle);
    b.start_all().unwrap();
    let admin = &b.expected.was.admin;
    let node_profile = b
        .expected
        .was
        .profiles
        .iter()
        .find(|p| p.profile_type == sample::ProfileType::Managed)
        .unwrap();
    let o = run(
        &b.script(&node_profile.name, "serverStatus").unwrap(),
        &[
            "-all",
            "-username",
            &admin.username,
            "-password",
            admin.password(),
        ],
    );
    assert!(
        text(&o).contains("ADMU0508I: The Node Agent \"nodeagent\" is STARTED"),
        "{}",
        text(&o)
    );

    let dmgr = b
        .expected
        .was
        .profiles
        .iter()
        .find(|p| p.profile_type == sample::ProfileType::Dmgr)
        .unwrap();
    let o = run(
        &b.script(&dmgr.name, "wsadmin").unwrap(),
        &[
            "-lang",
            "jython",
            "-username",
            &admin.username,
            "-password",
            admin.password(),
            "-c",
            "print AdminApp.view('Files', ['-MapRolesToUsers'])",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.starts_with("WASX7209I"));
    for r in &b.expected.role_mappings["Files"] {
        assert!(out.contains(&format!("Role:  {}\n", r.role)));
    }
    let o = run(
        &b.script(&dmgr.name, "wsadmin").unwrap(),
        &[
            "-username",
            &admin.username,
            "-password",
            "bad",
            "-c",
            "AdminApp.list()",
        ],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(text(&o).contains("WASX7246E"));

    let o = run(
        &b.script(&node_profile.name, "stopNode").unwrap(),
        &[
            "-stopservers",
            "-username",
            &admin.username,
            "-password",
            admin.password(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let running: Vec<String> = b.running_servers().into_iter().map(|r| r.server).collect();
    assert_eq!(running, vec!["dmgr".to_string()]);
    b.stop_all().unwrap();
}

#[test]
fn servers_of_a_deleted_sample_exit_on_their_own() {
    let b = built(Variant::NonRootIim);
    b.start_all().unwrap();
    let pids: Vec<u32> = b.running_servers().iter().map(|r| r.pid).collect();
    assert!(!pids.is_empty());
    fs::remove_dir_all(&b.sysroot).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let alive = |pid: &u32| {
        fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| {
                !s.rsplit_once(')')
                    .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(false)
    };
    while pids.iter().any(alive) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        !pids.iter().any(alive),
        "stand-in JVMs outlived their sample"
    );
    // Cleanup of a vanished sample does not fail.
    assert!(b.stop_all().unwrap().is_empty());
}

/// Issue 21 case 3: like the real scripts, the stand-ins take the credentials from the
/// profile's client properties, `{xor}`-encoded, when none are on the command line.
#[test]
fn stop_takes_encoded_credentials_from_the_client_properties() {
    let b = built(Variant::V80Db2Ccm);
    b.start_all().unwrap();
    let admin = &b.expected.was.admin;
    let s = first_application_server(&b);
    let stop = b.script(&s.profile, "stopServer").unwrap();
    let props = stop.parent().unwrap().parent().unwrap().join("properties");
    fs::create_dir_all(&props).unwrap();
    // a wrong password in ipc.client.props is refused
    fs::write(
        props.join("ipc.client.props"),
        format!(
            "com.ibm.IPC.loginUserid={}\ncom.ibm.IPC.loginPassword={}\n",
            admin.username,
            sample::xor_encode("wrong")
        ),
    )
    .unwrap();
    let o = run(&stop, &[&s.name]);
    assert_eq!(o.status.code(), Some(255), "{}", text(&o));
    assert!(text(&o).contains("ADMN0022E"));
    // the right one, encoded, stops the server with no credentials on the command line
    fs::write(
        props.join("ipc.client.props"),
        format!(
            "#IPC client\ncom.ibm.IPC.loginUserid={}\ncom.ibm.IPC.loginPassword={}\n",
            admin.username,
            sample::xor_encode(admin.password())
        ),
    )
    .unwrap();
    let o = run(&stop, &[&s.name, "-timeout", "30"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains(&format!("ADMU4000I: Server {} stop completed.", s.name)));
}
