//! The multi-host sample cell: one sysroot per host, each with its part of the cell.

use sample::{HostRole, ServerType};

use crate::common::built_cell;

#[test]
fn each_host_holds_its_part_and_the_nodes_share_one_data_export() {
    let b = built_cell();
    let cell = &b.cell;
    let roles: Vec<(&str, HostRole)> = cell
        .hosts
        .iter()
        .map(|h| (h.name.as_str(), h.role))
        .collect();
    assert_eq!(
        roles,
        [
            ("cnx-dmgr.example.com", HostRole::DeploymentManager),
            ("cnx-app1.example.com", HostRole::Node),
            ("cnx-app2.example.com", HostRole::Node),
            ("cnx-web.example.com", HostRole::WebServer),
            ("db2.example.com", HostRole::Database),
        ]
    );
    let dmgr = &cell.host("cnx-dmgr").unwrap().sample;
    let app1 = &cell.host("cnx-app1").unwrap().sample;
    let app2 = &cell.host("cnx-app2").unwrap().sample;
    let web = &cell.host("cnx-web").unwrap().sample;
    let db = &cell.host("db2").unwrap().sample;
    let asr = &cell.expected.was.app_server_root;
    let root = &cell.expected.connections.root;

    // profiles where their nodes live, the cell configuration synchronised into each
    assert!(dmgr.real_path(&format!("{asr}/profiles/Dmgr01")).is_dir());
    assert!(!dmgr.real_path(&format!("{asr}/profiles/AppSrv01")).exists());
    assert!(app1.real_path(&format!("{asr}/profiles/AppSrv01")).is_dir());
    assert!(!app1.real_path(&format!("{asr}/profiles/Dmgr01")).exists());
    assert!(!app1.real_path(&format!("{asr}/profiles/AppSrv02")).exists());
    let cell_name = &cell.expected.was.cell;
    for (s, profile) in [(app1, "AppSrv01"), (app2, "AppSrv02"), (dmgr, "Dmgr01")] {
        let nodes = s.real_path(&format!(
            "{asr}/profiles/{profile}/config/cells/{cell_name}/nodes"
        ));
        for node in ["cnxapp1Node01", "cnxapp2Node01", "cnxwebNode01"] {
            assert!(
                nodes.join(node).join("serverindex.xml").is_file(),
                "{profile} {node}"
            );
        }
    }
    let profile_registry =
        std::fs::read_to_string(app2.real_path(&format!("{asr}/properties/profileRegistry.xml")))
            .unwrap();
    assert!(profile_registry.contains("AppSrv02") && !profile_registry.contains("Dmgr01"));

    // the install on the dmgr host, data on the node hosts, tools on the database server
    assert!(dmgr.real_path(&format!("{root}/version")).is_dir());
    assert!(!app1.real_path(&format!("{root}/version")).exists());
    assert!(app1.real_path(&cell.expected.data.local_root).is_dir());
    assert!(!dmgr.real_path(&cell.expected.data.local_root).exists());
    assert!(db.db_command().is_file());
    assert!(!dmgr.db_command().exists());
    assert!(web
        .real_path("/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml")
        .is_file());
    assert!(web.expected.was.servers.is_empty());

    // one shared-data export, mounted on both node hosts
    let shared = &cell.expected.data.shared_root;
    let marker = app1.real_path(&format!("{shared}/written-on-app1"));
    std::fs::write(&marker, "x").unwrap();
    assert!(app2
        .real_path(&format!("{shared}/written-on-app1"))
        .is_file());
    assert!(cell.shared_export.join("written-on-app1").is_file());
    std::fs::remove_file(marker).unwrap();
    assert!(app2.real_path(&format!("{}/provision", shared)).is_dir());

    // a host's sample can be opened again with its own part
    let reopened = sample::Sample::open(&app2.sysroot).unwrap();
    assert_eq!(reopened.host.as_deref(), Some("cnx-app2.example.com"));
    assert_eq!(reopened.expected.was.profiles.len(), 1);
}

#[test]
fn every_host_runs_its_own_servers_and_logs_its_own_actions() {
    let b = built_cell();
    let cell = &b.cell;
    cell.start_all().unwrap();
    let running = |name: &str| -> Vec<String> {
        let mut s: Vec<String> = cell
            .host(name)
            .unwrap()
            .sample
            .running_servers()
            .into_iter()
            .map(|r| r.server)
            .collect();
        s.sort();
        s
    };
    assert_eq!(running("cnx-dmgr"), ["dmgr"]);
    assert_eq!(
        running("cnx-app1"),
        ["AppsCluster_server1", "InfraCluster_server1", "nodeagent"]
    );
    assert_eq!(
        running("cnx-app2"),
        ["AppsCluster_server2", "InfraCluster_server2", "nodeagent"]
    );
    assert!(running("cnx-web").is_empty());

    cell.stop_all().unwrap();
    let log = cell.control_log().unwrap();
    let started: Vec<(&str, &str)> = log
        .iter()
        .filter(|(_, e)| e.outcome == "started")
        .map(|(h, e)| (h.as_str(), e.server.as_str()))
        .collect();
    assert_eq!(started.first(), Some(&("cnx-dmgr.example.com", "dmgr")));
    assert_eq!(started.len(), 7);
    let stopped: Vec<(&str, &str)> = log
        .iter()
        .filter(|(_, e)| e.outcome == "stopped")
        .map(|(h, e)| (h.as_str(), e.server.as_str()))
        .collect();
    assert_eq!(stopped.last(), Some(&("cnx-dmgr.example.com", "dmgr")));
    let app_servers = cell
        .expected
        .was
        .servers
        .iter()
        .filter(|s| s.server_type == ServerType::ApplicationServer)
        .count();
    assert_eq!(app_servers, 4);
    assert!(cell
        .hosts
        .iter()
        .all(|h| h.sample.running_servers().is_empty()));
}
