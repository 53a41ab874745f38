//! `cnxbackup servers status|stop|start` on the multi-host sample cell, host by host as an
//! orchestrator drives it: the cell-wide stop (application servers on every node host, then
//! the node agents, then the dmgr) and the start in reverse, read back from the hosts'
//! WebSphere action logs.
#![allow(clippy::unwrap_used)]

use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

use crate::cell_common;
use crate::cli_common::Schemas;

/// The sample cell with a configuration every host shares (no repository).
struct Cell {
    base: cell_common::Cell,
    schemas: Schemas,
}

impl std::ops::Deref for Cell {
    type Target = cell_common::Cell;

    fn deref(&self) -> &cell_common::Cell {
        &self.base
    }
}

fn cell() -> Cell {
    let base = cell_common::Cell::build();
    let config = "[websphere]\nusername = \"wasadmin\"\nstop_timeout_secs = 20\n";
    std::fs::write(base.dir.path().join("cnxbackup.toml"), config).unwrap();
    Cell {
        base,
        schemas: Schemas::load(),
    }
}

impl Cell {
    fn servers(&self, host: &str, args: &[&str]) -> (Output, Value) {
        let h = self.host(host);
        let out = Command::cargo_bin("cnxbackup")
            .unwrap()
            .env_remove("CNXBACKUP_CONFIG")
            .env_remove("CNXBACKUP_SYSROOT")
            .env(
                "CNXBACKUP_WAS_PASSWORD",
                h.sample.expected.was.admin.password(),
            )
            .env("CNXBACKUP_TEST_RETRY_PAUSE_MS", "200")
            .arg("--config")
            .arg(self.dir.path().join("cnxbackup.toml"))
            .arg("--sysroot")
            .arg(&h.sample.sysroot)
            .arg("--json")
            .arg("servers")
            .args(args)
            .output()
            .unwrap();
        let doc = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        self.schemas
            .assert_valid("servers", &doc, &format!("servers {args:?} on {host}"));
        (out, doc)
    }

    fn servers_ok(&self, host: &str, args: &[&str]) -> Value {
        let (out, doc) = self.servers(host, args);
        assert!(
            out.status.success(),
            "servers {args:?} on {host}: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        doc
    }
}

fn kind_rank(server: &str) -> u8 {
    match server {
        "dmgr" => 2,
        "nodeagent" => 1,
        _ => 0,
    }
}

#[test]
fn servers_status_stop_and_start_drive_a_cell_in_the_documented_order() {
    let c = cell();
    c.cell.start_all().unwrap();

    let status = c.servers_ok("cnx-app1", &["status"]);
    assert_eq!(status["running"], 3);
    assert!(!status["host"].as_str().unwrap().is_empty());
    let states: Vec<(&str, &str)> = status["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["server"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert!(states.contains(&("nodeagent", "running")), "{states:?}");
    let (refused, doc) = c.servers("cnx-app1", &["status", "--expect", "stopped"]);
    assert_eq!(refused.status.code(), Some(3));
    assert_eq!(doc["ok"], false);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("still running"));

    // the cell-wide stop: every node host's application servers, then the node agents,
    // then the deployment manager
    for host in ["cnx-app1", "cnx-app2"] {
        let r = c.servers_ok(host, &["stop", "--kind", "application-servers"]);
        assert_eq!(r["operation"], "stop");
        assert_eq!(r["ok"], true);
        assert_eq!(r["servers"].as_array().unwrap().len(), 2, "{r}");
    }
    for host in ["cnx-app1", "cnx-app2"] {
        c.servers_ok(host, &["stop", "--kind", "node-agents"]);
    }
    c.servers_ok("cnx-dmgr", &["stop"]);
    let stopped = c.events("stopped");
    assert_eq!(stopped.len(), 7, "{stopped:?}");
    let ranks: Vec<u8> = stopped.iter().map(|(_, s)| kind_rank(s)).collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "stop order: {stopped:?}"
    );
    for host in ["cnx-dmgr", "cnx-app1", "cnx-app2"] {
        let s = c.servers_ok(host, &["status", "--expect", "stopped"]);
        assert_eq!(s["running"], 0);
    }
    // stopping again finds nothing running and says so
    let again = c.servers_ok("cnx-app1", &["stop"]);
    assert!(again["servers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["outcome"]["result"] == "already_stopped"));

    // start: the dmgr, every node agent, then the application servers
    c.servers_ok("cnx-dmgr", &["start"]);
    for host in ["cnx-app1", "cnx-app2"] {
        c.servers_ok(host, &["start", "--kind", "node-agents"]);
    }
    for host in ["cnx-app1", "cnx-app2"] {
        c.servers_ok(host, &["start", "--kind", "application-servers"]);
    }
    let started = c.events("started");
    // the first 7 are the cell's start before the test's stop
    let restart: Vec<u8> = started[7..].iter().map(|(_, s)| kind_rank(s)).collect();
    assert_eq!(restart.len(), 7, "{started:?}");
    assert!(
        restart.windows(2).all(|w| w[0] >= w[1]),
        "start order: {started:?}"
    );
    let s = c.servers_ok("cnx-app2", &["status", "--expect", "running"]);
    assert_eq!(s["running"], 3);
}

#[test]
fn servers_stop_with_wrong_credentials_touches_nothing() {
    let c = cell();
    c.cell.start_all().unwrap();
    let h = c.host("cnx-app1");
    let out = Command::cargo_bin("cnxbackup")
        .unwrap()
        .env_remove("CNXBACKUP_CONFIG")
        .env("CNXBACKUP_WAS_PASSWORD", "wrong-password-123")
        .arg("--config")
        .arg(c.dir.path().join("cnxbackup.toml"))
        .arg("--sysroot")
        .arg(&h.sample.sysroot)
        .args(["servers", "stop"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong WebSphere credentials"));
    assert_eq!(h.sample.running_servers().len(), 3);
    assert!(c.events("stopped").is_empty());
}

#[test]
fn servers_sync_resynchronises_a_stopped_node_with_the_running_dmgr() {
    let c = cell();
    c.cell.start_all().unwrap();
    // the node's copy of the cell configuration drifted from the master's
    let app1 = c.host("cnx-app1");
    let node_profile = &app1.sample.expected.was.profiles[0];
    let lcc = |h: &sample::CellHost, profile: &str| {
        h.sample.real_path(&format!(
            "{profile}/config/cells/{}/LotusConnections-config/LotusConnections-config.xml",
            c.cell.expected.was.cell
        ))
    };
    let dmgr = c.host("cnx-dmgr");
    let master = lcc(dmgr, &dmgr.sample.expected.was.profiles[0].path);
    let copy = lcc(app1, &node_profile.path);
    std::fs::write(&copy, "<config>drifted</config>\n").unwrap();

    // with the node agent running, syncNode is not even tried
    let (out, doc) = c.servers("cnx-app1", &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    assert_eq!(doc["operation"], "sync");
    assert_eq!(doc["dmgr"]["host"], "cnx-dmgr.example.com");
    assert_eq!(doc["dmgr"]["port"], 8879);
    let node = &doc["nodes"][0];
    assert_eq!(node["synchronized"], false);
    assert!(
        node["reason"]
            .as_str()
            .unwrap()
            .contains("the node agent runs"),
        "{doc}"
    );
    assert!(c.events("synchronized").is_empty());

    // node agent stopped, dmgr running: the configuration is the master's again
    c.servers_ok("cnx-app1", &["stop", "--kind", "application-servers"]);
    c.servers_ok("cnx-app1", &["stop", "--kind", "node-agents"]);
    let doc = c.servers_ok("cnx-app1", &["sync"]);
    assert_eq!(doc["ok"], true);
    assert!(doc["nodes"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "ADMU0402I"));
    assert_eq!(
        std::fs::read(&copy).unwrap(),
        std::fs::read(&master).unwrap()
    );
    assert_eq!(
        c.events("synchronized"),
        [("cnx-app1".into(), "nodeagent".into())]
    );

    // the dmgr's host has no federated node: nothing to do
    let doc = c.servers_ok("cnx-dmgr", &["sync"]);
    assert_eq!(doc["nodes"].as_array().unwrap().len(), 0);

    // with the dmgr stopped, syncNode cannot reach it (ADMC0016E) and says so
    c.servers_ok("cnx-dmgr", &["stop"]);
    let (out, doc) = c.servers("cnx-app1", &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{doc}");
    assert!(
        doc["nodes"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("ADMC0016E"),
        "{doc}"
    );
    assert_eq!(c.events("sync-unreachable").len(), 1);
}
