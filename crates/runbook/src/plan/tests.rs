use std::collections::BTreeMap;
use std::fs;

use connections::deployment::*;
use connections::version::{ResolvedVersion, VersionEvidence};

use super::*;

fn server(node: &str, name: &str, kind: ServerType) -> Server {
    Server {
        name: name.into(),
        node: node.into(),
        host: Some("cnx1.example.com".into()),
        kind,
        cluster: None,
        applications: vec![],
    }
}

fn deployment(ccm: bool, local_filenet: bool) -> Deployment {
    let r: ResolvedVersion = VersionEvidence::default().resolve();
    Deployment {
        connections: ConnectionsInstall {
            root: "/opt/IBM/Connections".into(),
            version: VersionInfo {
                release: None,
                cr: None,
                ifixes: vec![],
                offering: None,
                basis: r.basis,
                ifixes_known: false,
                evidence: VersionEvidence::default(),
                conflicts: vec![],
                was_version: None,
                webresources_sha256: None,
            },
            ccm: Ccm {
                installed: ccm,
                evidence: vec![],
                engine_ws_ear_dir: ccm.then(|| {
                    "/opt/IBM/Connections/FileNet/ContentEngine/tools/configure/profiles/CCM/ear".into()
                }),
                engine_ws_ear_found: ccm,
                storage_area: ccm.then(|| "/opt/IBM/Connections/data/shared/ccm".into()),
                storage_outside_shared_data: false,
                storage_area_found: ccm,
                databases: if ccm { vec!["FNGCD".into(), "FNOS".into()] } else { vec![] },
            },
        },
        was: Was {
            app_server_root: "/opt/IBM/WebSphere/AppServer".into(),
            cell: "ICCell".into(),
            version: None,
            profiles: vec![
                Profile {
                    name: "Dmgr01".into(),
                    path: "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01".into(),
                    kind: ProfileType::Dmgr,
                    node: Some("dmgrNode".into()),
                    exists: true,
                },
                Profile {
                    name: "AppSrv01".into(),
                    path: "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01".into(),
                    kind: ProfileType::Managed,
                    node: Some("node1".into()),
                    exists: true,
                },
            ],
            nodes: vec![
                Node {
                    name: "dmgrNode".into(),
                    host: Some("cnx1.example.com".into()),
                    profile: Some("Dmgr01".into()),
                    servers: vec![server("dmgrNode", "dmgr", ServerType::DeploymentManager)],
                },
                Node {
                    name: "node1".into(),
                    host: Some("cnx1.example.com".into()),
                    profile: Some("AppSrv01".into()),
                    servers: vec![
                        server("node1", "nodeagent", ServerType::NodeAgent),
                        server("node1", "webserver1", ServerType::WebServer),
                        server("node1", "Apps_server1", ServerType::ApplicationServer),
                    ],
                },
            ],
            clusters: vec![],
            profile_registry: "/opt/IBM/WebSphere/AppServer/properties/profileRegistry.xml".into(),
        },
        data: DataRoots {
            shared_root: "/opt/IBM/Connections/data/shared".into(),
            local_root: "/opt/IBM/Connections/data/local".into(),
            provision: "/opt/IBM/Connections/data/shared/provision".into(),
            customization: "/opt/IBM/Connections/data/shared/customization".into(),
            content_dirs: BTreeMap::new(),
        },
        filenet_admin: FilenetAdmin {
            user_id: ccm.then(|| "wasadmin".into()),
            in_file_registry: local_filenet,
            unique_name: None,
            file_registry: Some(
                "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/ICCell/fileRegistry.xml".into(),
            ),
        },
        installation_manager: InstallationManager {
            install_dir: "/opt/IBM/InstallationManager".into(),
            data_dir: "/var/ibm/InstallationManager".into(),
            shared_dir: "/opt/IBM/IMShared".into(),
            non_root_user: None,
            found_by: Some("default location".into()),
            others: Vec::new(),
        },
        databases: vec![Database {
            name: "FILES".into(),
            vendor: DbVendor::Db2,
            host: Some("db.example.com".into()),
            port: Some(50000),
            schemas: vec![],
            datasources: vec!["files".into()],
        }],
        role_mappings: vec![],
        web_servers: vec![],
        tdi: None,
        provenance: BTreeMap::new(),
        warnings: vec![],
    }
}

#[test]
fn steps_are_in_documented_order_with_role_mappings_first() {
    let plan = Plan::build(&deployment(true, true), &PlanOptions::default());
    let numbers: Vec<&str> = plan
        .steps
        .iter()
        .map(|s| s.procedure_step.as_str())
        .collect();
    assert_eq!(
        numbers,
        [
            "9 note", "1", "2", "2", "3", "4", "5", "6a", "6b", "6c", "6d", "6d", "6d", "7", "8",
            "9", "web", "web", "tdi"
        ]
    );
    let orders: Vec<usize> = plan.steps.iter().map(|s| s.order).collect();
    assert_eq!(orders, (1..=19).collect::<Vec<_>>());
    // Every contract component except nothing is planned exactly once.
    for c in Component::ALL {
        assert_eq!(
            plan.steps.iter().filter(|s| s.component == Some(c)).count(),
            1,
            "{c}"
        );
    }
}

#[test]
fn stop_order_is_app_servers_node_agents_dmgr_and_skips_web_servers() {
    let plan = Plan::build(&deployment(false, false), &PlanOptions::default());
    let stop = &plan.steps[1];
    assert_eq!(stop.action, Action::StopServers);
    let names: Vec<&str> = stop.servers.iter().map(|s| s.server.as_str()).collect();
    assert_eq!(names, ["Apps_server1", "nodeagent", "dmgr"]);
}

#[test]
fn skipped_steps_say_why() {
    let no_ccm = Plan::build(&deployment(false, false), &PlanOptions::default());
    let reason = |p: &Plan, c| p.step(c).unwrap().skip_reason.clone();
    assert_eq!(
        reason(&no_ccm, Component::CcmStorage).as_deref(),
        Some("CCM not installed")
    );
    assert_eq!(
        reason(&no_ccm, Component::EngineWsEar).as_deref(),
        Some("CCM not installed")
    );
    // The IIM state is part of every backup by default.
    assert!(no_ccm.step(Component::InstallationManager).unwrap().runs);
    assert!(no_ccm.step(Component::SharedResources).unwrap().runs);
    let without = Plan::build(
        &deployment(false, false),
        &PlanOptions {
            skip_installation_manager: true,
        },
    );
    for c in [Component::InstallationManager, Component::SharedResources] {
        let why = reason(&without, c).unwrap();
        assert!(why.contains(WITHOUT_IIM), "{c}: {why}");
        assert!(why.contains("--skip-installation-manager"), "{c}: {why}");
    }

    let ldap = Plan::build(&deployment(true, false), &PlanOptions::default());
    assert_eq!(
        reason(&ldap, Component::FileRegistry).as_deref(),
        Some("filenetAdmin is an LDAP user")
    );
    assert!(ldap.step(Component::EngineWsEar).unwrap().runs);
    // Storage inside the shared data root is covered by shared_data.
    assert!(!ldap.step(Component::CcmStorage).unwrap().runs);

    let local = Plan::build(&deployment(true, true), &PlanOptions::default());
    assert!(local.step(Component::FileRegistry).unwrap().runs);
    let iim = local.step(Component::InstallationManager).unwrap();
    assert!(iim.runs);
    assert_eq!(
        iim.paths,
        [
            "/opt/IBM/InstallationManager",
            "/var/ibm/InstallationManager"
        ]
    );
}

#[test]
fn shared_data_excludes_provision_and_root_excludes_data() {
    let plan = Plan::build(&deployment(false, false), &PlanOptions::default());
    let shared = plan.step(Component::SharedData).unwrap();
    assert_eq!(
        shared.excludes,
        ["/opt/IBM/Connections/data/shared/provision"]
    );
    let root = plan.step(Component::ConnectionsRoot).unwrap();
    assert_eq!(
        root.excludes,
        [
            "/opt/IBM/Connections/data/local",
            "/opt/IBM/Connections/data/shared"
        ]
    );
    let profiles = plan.step(Component::Profiles).unwrap();
    assert_eq!(
        profiles.paths,
        ["/opt/IBM/WebSphere/AppServer/profiles/AppSrv01"]
    );
}

#[test]
fn sizes_are_measured_per_component_without_overlap() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let put = |p: &str, n: usize| {
        let path = root.join(p.trim_start_matches('/'));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, vec![7u8; n]).unwrap();
    };
    put(
        "/opt/IBM/Connections/data/shared/provision/webresources/a.jar",
        3000,
    );
    put("/opt/IBM/Connections/data/shared/files/x", 5000);
    put("/opt/IBM/Connections/data/local/search/y", 700);
    put("/opt/IBM/Connections/bin/uninstall-launcher.sh", 100);
    let sysroot = Sysroot::new(root).unwrap();
    let mut plan = Plan::build(&deployment(false, false), &PlanOptions::default());
    plan.compute_sizes(&sysroot);
    assert!(plan.sizes_measured);
    let apparent = |c| plan.step(c).unwrap().size.unwrap().apparent_bytes;
    assert_eq!(apparent(Component::Provision), 3000);
    assert_eq!(apparent(Component::SharedData), 5000);
    assert_eq!(apparent(Component::LocalData), 700);
    assert_eq!(apparent(Component::ConnectionsRoot), 100);
    // Skipped steps are not measured; missing paths are reported.
    assert!(plan.step(Component::CcmStorage).unwrap().size.is_none());
    assert!(plan
        .size_problems
        .iter()
        .any(|p| p.path == "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01"));
}

#[test]
fn plan_serialises_with_contract_component_names() {
    let plan = Plan::build(&deployment(true, true), &PlanOptions::default());
    let json = serde_json::to_value(&plan).unwrap();
    let comps: Vec<&str> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["component"].as_str())
        .collect();
    assert!(comps.contains(&"shared_data") && comps.contains(&"provision"));
    assert_eq!(json["steps"][0]["component"], "role_mappings");
}

#[test]
fn storage_area_outside_shared_data_is_backed_up_on_its_own() {
    let mut d = deployment(true, true);
    d.connections.ccm.storage_area = Some("/srv/filenet/os1".into());
    d.connections.ccm.storage_outside_shared_data = true;
    let plan = Plan::build(&d, &PlanOptions::default());
    let storage = plan.step(Component::CcmStorage).unwrap();
    assert!(storage.runs);
    assert_eq!(storage.paths, ["/srv/filenet/os1"]);
}

#[test]
fn content_outside_the_data_roots_goes_with_its_component() {
    let mut d = deployment(false, false);
    let dirs = &mut d.data.content_dirs;
    dirs.insert("MESSAGE_STORE_PATH".into(), "/opt/HCL/MessageStore".into());
    dirs.insert("WIKIS_CONTENT_DIR".into(), "/nfs/wikis/upload".into());
    dirs.insert("WIKIS_STATS_DIR".into(), "/nfs/wikis/upload/stats".into());
    dirs.insert(
        "SEARCH_DICTIONARY_DIR".into(),
        "/srv/search/dictionary".into(),
    );
    // inside the roots: nothing extra
    dirs.insert(
        "FILES_CONTENT_DIR".into(),
        "/opt/IBM/Connections/data/shared/files/upload".into(),
    );
    let plan = Plan::build(&d, &PlanOptions::default());
    let shared = plan.step(Component::SharedData).unwrap();
    assert_eq!(
        shared.paths,
        [
            "/opt/IBM/Connections/data/shared",
            "/opt/HCL/MessageStore",
            "/nfs/wikis/upload"
        ]
    );
    assert!(shared
        .note
        .as_deref()
        .unwrap()
        .contains("MESSAGE_STORE_PATH /opt/HCL/MessageStore"));
    let local = plan.step(Component::LocalData).unwrap();
    assert_eq!(
        local.paths,
        ["/opt/IBM/Connections/data/local", "/srv/search/dictionary"]
    );
}

#[test]
fn ccm_storage_not_found_stays_in_the_plan_for_preflight_to_refuse() {
    let mut d = deployment(true, true);
    d.connections.ccm.storage_area_found = false;
    let plan = Plan::build(&d, &PlanOptions::default());
    let storage = plan.step(Component::CcmStorage).unwrap();
    assert!(storage.runs);
    assert!(storage
        .note
        .as_deref()
        .unwrap()
        .contains("[ccm] storage_area"));
}

#[test]
fn no_dmgr_on_this_host_skips_step_5() {
    let mut d = deployment(false, false);
    d.was.profiles.retain(|p| p.kind != ProfileType::Dmgr);
    let plan = Plan::build(&d, &PlanOptions::default());
    assert_eq!(
        plan.step(Component::DmgrProfile)
            .unwrap()
            .skip_reason
            .as_deref(),
        Some("no deployment manager profile on this host")
    );
}
