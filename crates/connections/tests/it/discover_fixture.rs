//! Discovery over a small hand-written deployment, and what each kind of bad input does.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;

use common::*;
use connections::deployment::{DbVendor, ProfileType, ServerType};
use connections::discover::{discover, DiscoverError, DiscoverOptions};
use connections::version::{EvidenceSource, VersionFact};

fn run(f: &Fixture) -> connections::deployment::Deployment {
    discover(&f.sysroot(), &DiscoverOptions::default()).unwrap()
}

fn run_err(f: &Fixture) -> DiscoverError {
    discover(&f.sysroot(), &DiscoverOptions::default()).unwrap_err()
}

#[test]
fn reads_the_whole_fixture() {
    let f = Fixture::new();
    let d = run(&f);
    assert!(d.warnings.is_empty(), "{:#?}", d.warnings);

    assert_eq!(d.was.app_server_root, ASR);
    assert_eq!(d.was.cell, "ICCell");
    assert_eq!(d.was.version.as_deref(), Some("8.5.5024.20230628_1659"));
    let kinds: Vec<(&str, ProfileType, Option<&str>)> = d
        .was
        .profiles
        .iter()
        .map(|p| (p.name.as_str(), p.kind, p.node.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Dmgr01", ProfileType::Dmgr, Some("dmgrNode")),
            ("AppSrv01", ProfileType::Managed, Some("node1"))
        ]
    );
    let node1 = d.was.nodes.iter().find(|n| n.name == "node1").unwrap();
    assert_eq!(node1.host.as_deref(), Some("cnx1.example.com"));
    assert_eq!(node1.profile.as_deref(), Some("AppSrv01"));
    let app = node1
        .servers
        .iter()
        .find(|s| s.name == "Apps_server1")
        .unwrap();
    assert_eq!(app.kind, ServerType::ApplicationServer);
    assert_eq!(app.cluster.as_deref(), Some("Apps"));
    assert_eq!(app.applications, ["Files"]);
    let web = node1
        .servers
        .iter()
        .find(|s| s.name == "webserver1")
        .unwrap();
    assert_eq!(web.kind, ServerType::WebServer);
    assert_eq!(d.was.clusters[0].members[0].server, "Apps_server1");

    let v = &d.connections.version;
    assert_eq!(v.release.unwrap().to_string(), "8.0");
    assert_eq!(v.cr, Some(14));
    let ifixes: Vec<&str> = v.ifixes.iter().map(|i| i.as_str()).collect();
    assert_eq!(ifixes, ["KB0100001", "KB0101234"]);
    assert_eq!(v.basis, Some(EvidenceSource::IimInstalled));
    assert!(v.webresources_sha256.is_some());

    assert_eq!(d.connections.root, CNX);
    assert!(d.connections.ccm.installed);
    assert!(d.connections.ccm.engine_ws_ear_found);
    assert_eq!(d.connections.ccm.databases, ["FNGCD"]);
    assert_eq!(d.data.shared_root, "/opt/IBM/Connections/data/shared");
    assert_eq!(
        d.data.provision,
        "/opt/IBM/Connections/data/shared/provision"
    );
    assert_eq!(d.data.local_root, "/srv/local");
    assert!(!d.provenance["data.shared_root"].assumed);
    assert_eq!(d.filenet_admin.user_id.as_deref(), Some("wasadmin"));
    assert!(d.filenet_admin.in_file_registry);

    // FILES appears twice (host spelled differently): one database.
    assert_eq!(d.databases.len(), 2);
    assert!(d.databases.iter().all(|db| db.vendor == DbVendor::Db2));
    let files = d.databases.iter().find(|db| db.name == "FILES").unwrap();
    assert_eq!(files.datasources, ["files", "files_xa"]);
    assert_eq!(files.port, Some(50000));

    assert_eq!(d.role_mappings.len(), 1);
    let roles = &d.role_mappings[0].roles;
    assert!(roles.iter().any(|r| r.role == "reader" && r.everyone));
    assert!(roles
        .iter()
        .any(|r| r.role == "admin" && r.users == ["wasadmin"] && r.groups == ["cnxadmins"]));

    assert_eq!(
        d.installation_manager.install_dir,
        "/opt/IBM/InstallationManager"
    );
    assert_eq!(
        d.installation_manager.data_dir,
        "/var/ibm/InstallationManager"
    );
    assert!(d.provenance["installation_manager.shared_dir"].assumed);
}

#[test]
fn json_has_the_contract_keys_and_no_secrets() {
    let f = Fixture::new();
    let d = run(&f);
    let j = serde_json::to_value(&d).unwrap();
    assert_eq!(j["connections"]["root"], CNX);
    assert_eq!(j["connections"]["version"]["release"], "8.0");
    assert_eq!(j["connections"]["version"]["cr"], 14);
    assert_eq!(j["connections"]["version"]["ifixes"][0], "KB0100001");
    assert_eq!(j["connections"]["ccm"]["installed"], true);
    assert_eq!(j["was"]["app_server_root"], ASR);
    assert_eq!(j["was"]["cell"], "ICCell");
    assert_eq!(j["was"]["profiles"][0]["type"], "dmgr");
    assert_eq!(j["was"]["profiles"][1]["type"], "managed");
    assert!(j["data"]["shared_root"].is_string() && j["data"]["local_root"].is_string());
    assert_eq!(j["filenet_admin"]["user_id"], "wasadmin");
    assert_eq!(j["filenet_admin"]["in_file_registry"], true);
    assert!(j["installation_manager"]["data_dir"].is_string());
    assert!(j["installation_manager"]["shared_dir"].is_string());
    assert_eq!(j["databases"][0]["vendor"], "db2");
    let text = j.to_string();
    assert!(!text.contains("{xor}") && !text.contains("KD4sPjsyNjE="));
}

#[test]
fn missing_profile_registry_is_an_error_naming_it() {
    let f = Fixture::new();
    fs::remove_file(f.real(&format!("{ASR}/properties/profileRegistry.xml"))).unwrap();
    // Without a registry the WAS root is still found from installed.xml, and then the
    // registry is required.
    let e = run_err(&f);
    assert!(
        matches!(
            e,
            DiscoverError::Required {
                what: "profile registry",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("profileRegistry.xml"), "{e}");
}

#[test]
fn truncated_profile_registry_names_file_and_line() {
    let f = Fixture::new();
    f.write(
        &format!("{ASR}/properties/profileRegistry.xml"),
        "<?xml version=\"1.0\"?>\n<profiles>\n  <profile name=\"Dmgr01\" path=\"/opt/x\"",
    );
    let e = run_err(&f);
    assert!(e.to_string().contains("profileRegistry.xml"), "{e}");
    assert!(e.line().is_some(), "{e:?}");
}

#[test]
fn malformed_security_xml_is_an_error() {
    let f = Fixture::new();
    f.write(
        &format!("{CELL_DIR}/security.xml"),
        "<security:Security>\n<authDataEntries alias=",
    );
    let e = run_err(&f);
    assert!(e.to_string().contains("security.xml"), "{e}");
    assert_eq!(
        e.file().unwrap().to_str().unwrap(),
        format!("{CELL_DIR}/security.xml")
    );
}

#[test]
fn profile_path_that_does_not_exist_is_a_warning() {
    let f = Fixture::new();
    fs::remove_dir_all(f.real(APPSRV)).unwrap();
    let d = run(&f);
    let p = d
        .was
        .profiles
        .iter()
        .find(|p| p.name == "AppSrv01")
        .unwrap();
    assert!(!p.exists);
    let w = d
        .warnings
        .iter()
        .find(|w| w.message.contains("AppSrv01") && w.message.contains("does not exist"))
        .unwrap();
    assert!(w.file.as_deref().unwrap().ends_with("profileRegistry.xml"));
    assert_eq!(w.line, Some(4));
}

#[test]
fn unreadable_optional_file_is_a_warning_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let lcc = f.real(&format!(
        "{CELL_DIR}/LotusConnections-config/LotusConnections-config.xml"
    ));
    fs::set_permissions(&lcc, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&lcc).is_ok() {
        return; // running as root: permissions do not apply
    }
    let d = run(&f);
    assert!(d.warnings.iter().any(|w| w
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with("LotusConnections-config.xml"))));
    assert!(d.connections.version.evidence.buildlevel.is_none());
    assert_eq!(d.connections.version.cr, Some(14));
}

#[test]
fn variable_expanding_to_nothing_is_a_warning_and_falls_back() {
    let f = Fixture::new();
    let vars = fs::read_to_string(f.real(&format!("{CELL_DIR}/variables.xml"))).unwrap();
    f.write(
        &format!("{CELL_DIR}/variables.xml"),
        &vars.replace("value=\"/opt/IBM/Connections/data/shared\"", "value=\"\""),
    );
    let d = run(&f);
    let w = d
        .warnings
        .iter()
        .find(|w| {
            w.message.contains("CNX_SHARED") || w.message.contains("CONNECTIONS_PROVISION_PATH")
        })
        .unwrap_or_else(|| panic!("{:#?}", d.warnings));
    assert!(w.file.as_deref().unwrap().ends_with("variables.xml"));
    assert!(d.provenance["data.provision"].assumed);
    // Met through the cell and both node scopes, it is still reported once.
    let same = d.warnings.iter().filter(|x| *x == w).count();
    assert_eq!(same, 1, "{:#?}", d.warnings);
}

#[test]
fn contradicting_version_sources_are_a_warning_with_each_value() {
    let f = Fixture::new();
    f.write(
        &format!("{CNX}/bin/uninstall-launcher.sh"),
        "#!/bin/sh\n# Build: 8.0.0.0_CR13 x\n",
    );
    let d = run(&f);
    let c = &d.connections.version.conflicts;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].fact, VersionFact::Cr);
    let w = d
        .warnings
        .iter()
        .find(|w| w.message.contains("disagree"))
        .unwrap();
    for needle in [
        "8.0.0.0_CR14",
        "8.0.0.0_CR13",
        "IC8.0_CR14_20230601_1200",
        "uninstall-launcher.sh",
        "installed.xml",
    ] {
        assert!(w.message.contains(needle), "{needle} not in {}", w.message);
    }
}

#[test]
fn malformed_efix_falls_back_to_its_name_with_a_warning() {
    let f = Fixture::new();
    f.write(&format!("{CNX}/version/KB0101234.efix"), "<efix id=");
    let d = run(&f);
    assert!(d
        .connections
        .version
        .ifixes
        .iter()
        .any(|i| i.as_str() == "KB0101234"));
    assert!(d.warnings.iter().any(|w| w
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with("KB0101234.efix"))
        && w.line.is_some()));
}

#[test]
fn ldap_filenet_admin_is_not_in_file_registry() {
    let f = Fixture::new();
    let sec = fs::read_to_string(f.real(&format!("{CELL_DIR}/security.xml"))).unwrap();
    f.write(
        &format!("{CELL_DIR}/security.xml"),
        &sec.replace(
            "alias=\"filenetAdmin\" userId=\"wasadmin\"",
            "alias=\"filenetAdmin\" userId=\"fnadmin\"",
        ),
    );
    let d = run(&f);
    assert_eq!(d.filenet_admin.user_id.as_deref(), Some("fnadmin"));
    assert!(!d.filenet_admin.in_file_registry);
}

#[test]
fn ccm_location_follows_the_release() {
    let f = Fixture::new();
    f.write(
        "/var/ibm/InstallationManager/installed.xml",
        &fs::read_to_string(f.real("/var/ibm/InstallationManager/installed.xml"))
            .unwrap()
            .replace("8.0.0.0_CR14", "6.0.0.0_CR4"),
    );
    let d = run(&f);
    assert!(d
        .connections
        .ccm
        .engine_ws_ear_dir
        .as_deref()
        .unwrap()
        .starts_with("/opt/IBM/Connections/addons/ccm/"));
    assert!(!d.connections.ccm.engine_ws_ear_found);
    // The release disagreement with the other sources is reported too.
    assert!(d
        .connections
        .version
        .conflicts
        .iter()
        .any(|c| c.fact == VersionFact::Release));
}

#[test]
fn no_installation_manager_means_assumed_roots() {
    let f = Fixture::new();
    fs::remove_dir_all(f.real("/var/ibm")).unwrap();
    let d = run(&f);
    assert!(d.provenance["was.app_server_root"].assumed);
    assert!(d.provenance["connections.root"].assumed);
    assert!(d
        .warnings
        .iter()
        .any(|w| w.message.contains("Installation Manager")));
    // Version still known from the other sources.
    assert_eq!(d.connections.version.cr, Some(14));
    assert_eq!(
        d.connections.version.basis,
        Some(EvidenceSource::UninstallLauncher)
    );
}

#[test]
fn deployment_round_trips_through_json_and_fingerprints() {
    let f = Fixture::new();
    let d = run(&f);
    let json = serde_json::to_value(&d).unwrap();
    let back: connections::deployment::Deployment = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), json);
    let fp = d.connections.version.fingerprint().unwrap();
    assert_eq!(fp.offering.as_str(), "8.0.0.0_CR14");
    assert_eq!(fp.ifixes.len(), 2);
    assert_eq!(fp.was_version.as_deref(), Some("8.5.5024.20230628_1659"));
    assert_eq!(
        fp.webresources_sha256,
        d.connections.version.webresources_sha256
    );
}

#[test]
fn configured_roots_win_and_say_so() {
    let f = Fixture::new();
    let opts = DiscoverOptions {
        app_server_root: Some(ASR.into()),
        connections_root: Some("/opt/IBM/Connections".into()),
        ccm_storage_area: None,
        ..DiscoverOptions::default()
    };
    let d = discover(&f.sysroot(), &opts).unwrap();
    assert_eq!(d.provenance["connections.root"].source, "configuration");
    assert_eq!(d.provenance["was.app_server_root"].source, "configuration");
    // A wrong configured WAS root is an error naming the registry it looked for.
    let bad = DiscoverOptions {
        app_server_root: Some("/opt/nowhere".into()),
        connections_root: None,
        ccm_storage_area: None,
        ..DiscoverOptions::default()
    };
    let e = discover(&f.sysroot(), &bad).unwrap_err();
    assert!(
        e.to_string()
            .contains("/opt/nowhere/properties/profileRegistry.xml"),
        "{e}"
    );
}

#[test]
fn no_version_source_leaves_the_version_unknown() {
    let f = Fixture::new();
    fs::remove_file(f.real("/var/ibm/InstallationManager/installed.xml")).unwrap();
    fs::remove_file(f.real(&format!("{CNX}/bin/uninstall-launcher.sh"))).unwrap();
    fs::remove_file(f.real(&format!(
        "{CELL_DIR}/LotusConnections-config/LotusConnections-config.xml"
    )))
    .unwrap();
    fs::remove_dir_all(f.real(&format!("{CNX}/version"))).unwrap();
    let d = run(&f);
    let v = &d.connections.version;
    assert!(v.release.is_none() && v.cr.is_none() && v.offering.is_none());
    assert!(!v.ifixes_known);
    assert!(v.fingerprint().is_none());
    assert!(d
        .warnings
        .iter()
        .any(|w| w.message.contains("version") && w.message.contains("unknown")));
    let j = serde_json::to_value(&d).unwrap();
    assert!(j["connections"]["version"]["release"].is_null());
    // With the version unknown, CCM is still found by whichever Engine-ws.ear directory exists.
    assert!(d.connections.ccm.installed && d.connections.ccm.engine_ws_ear_found);
}

mod installed_version {
    use super::*;
    use connections::discover::installed_version;

    #[test]
    fn full_discovery_gives_the_same_version() {
        let f = Fixture::new();
        let iv = installed_version(&f.sysroot(), &DiscoverOptions::default());
        assert_eq!(iv.connections_root.as_deref(), Some(CNX));
        assert_eq!(
            iv.version.version().unwrap().to_string(),
            "8.0.0.0_CR14 + KB0100001, KB0101234"
        );
        assert!(iv.warnings.is_empty(), "{:#?}", iv.warnings);
    }

    #[test]
    fn bare_metal_has_no_install_and_no_version() {
        let dir = tempfile::tempdir().unwrap();
        let sys = websphere::Sysroot::new(dir.path()).unwrap();
        let iv = installed_version(&sys, &DiscoverOptions::default());
        assert!(iv.connections_root.is_none());
        assert!(iv.version.version().is_none());
        assert!(iv
            .warnings
            .iter()
            .any(|w| w.message.contains("full discovery was not possible")));
    }

    #[test]
    fn without_the_cell_the_version_still_comes_from_iim_and_the_install() {
        let f = Fixture::new();
        // A failed restore left the WebSphere profiles unusable.
        fs::remove_file(f.real(&format!("{ASR}/properties/profileRegistry.xml"))).unwrap();
        let iv = installed_version(&f.sysroot(), &DiscoverOptions::default());
        assert_eq!(iv.connections_root.as_deref(), Some(CNX));
        let v = iv.version.version().unwrap();
        assert_eq!(v.offering.as_str(), "8.0.0.0_CR14");
        assert_eq!(v.ifixes.len(), 2);
        assert!(iv.version.evidence.launcher.is_some());
        assert!(iv.version.conflicts.is_empty());
        assert!(iv
            .warnings
            .iter()
            .any(|w| w.message.contains("profileRegistry.xml")));
    }
}

#[test]
fn missing_profile_key_is_a_warning_and_the_type_is_inferred() {
    let f = Fixture::new();
    fs::remove_file(f.real(&format!("{APPSRV}/properties/profileKey.metadata"))).unwrap();
    let d = run(&f);
    let p = d
        .was
        .profiles
        .iter()
        .find(|p| p.name == "AppSrv01")
        .unwrap();
    assert_eq!(p.kind, ProfileType::Managed);
    assert_eq!(p.node.as_deref(), Some("node1"));
    let w = d
        .warnings
        .iter()
        .find(|w| w.message.contains("inferred"))
        .unwrap_or_else(|| panic!("{:#?}", d.warnings));
    assert!(w
        .file
        .as_deref()
        .unwrap()
        .ends_with("AppSrv01/properties/profileKey.metadata"));
}

#[test]
fn missing_serverindex_leaves_host_unknown() {
    let f = Fixture::new();
    fs::remove_file(f.real(&format!("{CELL_DIR}/nodes/node1/serverindex.xml"))).unwrap();
    let d = run(&f);
    let n = d.was.nodes.iter().find(|n| n.name == "node1").unwrap();
    assert!(n.host.is_none());
    // Server directories still give the servers; the node agent is known by its name.
    let na = n.servers.iter().find(|s| s.name == "nodeagent").unwrap();
    assert_eq!(na.kind, ServerType::NodeAgent);
    assert!(n
        .servers
        .iter()
        .any(|s| s.name == "Apps_server1" && s.cluster.as_deref() == Some("Apps")));
    assert!(d.warnings.iter().any(|w| w
        .file
        .as_deref()
        .is_some_and(|f| f.ends_with("node1/serverindex.xml"))));
}

#[test]
fn ccm_found_by_its_datasources_alone_still_gets_a_storage_area() {
    let f = Fixture::new();
    fs::remove_dir_all(f.real(&format!("{CNX}/FileNet"))).unwrap();
    let d = run(&f);
    let ccm = &d.connections.ccm;
    assert!(ccm.installed);
    assert!(!ccm.engine_ws_ear_found);
    assert!(ccm.evidence.iter().any(|e| e.contains("FNGCD")));
    assert_eq!(
        ccm.storage_area.as_deref(),
        Some("/opt/IBM/Connections/data/shared/ccm")
    );
    assert!(d.provenance["connections.ccm.storage_area"].assumed);
}

#[test]
fn ccm_storage_missing_at_the_default_is_a_warning() {
    let f = Fixture::new();
    fs::remove_dir_all(f.real(&format!("{CNX}/data/shared/ccm"))).unwrap();
    let d = run(&f);
    let w = d
        .warnings
        .iter()
        .find(|w| w.message.contains("storage area"))
        .unwrap_or_else(|| panic!("{:#?}", d.warnings));
    assert_eq!(
        w.file.as_deref(),
        Some("/opt/IBM/Connections/data/shared/ccm")
    );
    assert!(w.message.contains("[ccm] storage_area"), "{w}");
    assert!(!d.connections.ccm.storage_area_found);
    // The path is named once: in the warning's file, not again in its message.
    assert!(!w.message.contains("/data/shared/ccm"), "{w}");
}

#[test]
fn ccm_storage_area_from_configuration_or_a_websphere_variable() {
    let f = Fixture::new();
    let moved = "/srv/filenet/os1";
    fs::create_dir_all(f.real(moved)).unwrap();
    let opts = DiscoverOptions {
        ccm_storage_area: Some(format!("{moved}/")),
        ..DiscoverOptions::default()
    };
    let d = discover(&f.sysroot(), &opts).unwrap();
    assert_eq!(d.connections.ccm.storage_area.as_deref(), Some(moved));
    assert!(d.connections.ccm.storage_area_found);
    assert!(d.connections.ccm.storage_outside_shared_data);
    assert_eq!(
        d.provenance["connections.ccm.storage_area"].source,
        "configuration"
    );
    // A WebSphere variable naming it is found without configuration.
    let vars = f.real(&format!("{CELL_DIR}/variables.xml"));
    let text = fs::read_to_string(&vars).unwrap();
    let text = text.replacen(
        "</variables:VariableMap>",
        &format!("  <entries xmi:id=\"VariableSubstitutionEntry_9\" symbolicName=\"CCM_STORAGE_AREA_PATH\" value=\"{moved}\"/>\n</variables:VariableMap>"),
        1,
    );
    fs::write(&vars, text).unwrap();
    let d = run(&f);
    assert_eq!(d.connections.ccm.storage_area.as_deref(), Some(moved));
    assert_eq!(
        d.provenance["connections.ccm.storage_area"].source,
        "variable CCM_STORAGE_AREA_PATH"
    );
}
