//! The `read_*` conveniences over a sysroot laid out like a real WAS install.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use websphere::*;

const WAS: &str = "opt/IBM/WebSphere/AppServer";
const DMGR: &str = "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01";

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn put(root: &Path, product: &str, fixture_name: &str) {
    let real = root.join(product.trim_start_matches('/'));
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(real, fixture(fixture_name)).unwrap();
}

/// A dmgr profile with one cell, two nodes, a cluster and two applications.
fn install() -> (tempfile::TempDir, Sysroot) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    put(
        r,
        &format!("{WAS}/properties/profileRegistry.xml"),
        "profileRegistry.xml",
    );
    put(
        r,
        &format!("{DMGR}/properties/profileKey.metadata"),
        "profileKey.metadata",
    );
    put(
        r,
        &format!("{DMGR}/properties/portdef.props"),
        "portdef.props",
    );
    let cell = format!("{DMGR}/config/cells/ICCell");
    put(r, &format!("{cell}/security.xml"), "security.xml");
    put(r, &format!("{cell}/fileRegistry.xml"), "fileRegistry.xml");
    put(
        r,
        &format!("{cell}/wim/config/wimconfig.xml"),
        "wimconfig.xml",
    );
    put(r, &format!("{cell}/variables.xml"), "variables_cell.xml");
    put(r, &format!("{cell}/resources.xml"), "resources.xml");
    put(
        r,
        &format!("{cell}/clusters/Apps/cluster.xml"),
        "cluster.xml",
    );
    put(
        r,
        &format!("{cell}/clusters/Apps/variables.xml"),
        "variables_cluster.xml",
    );
    put(
        r,
        &format!("{cell}/nodes/cnx1Node01/serverindex.xml"),
        "serverindex.xml",
    );
    put(
        r,
        &format!("{cell}/nodes/cnx1Node01/variables.xml"),
        "variables_node.xml",
    );
    put(
        r,
        &format!("{cell}/nodes/cnx1Node01/servers/Apps_server1/server.xml"),
        "server_app.xml",
    );
    put(
        r,
        &format!("{cell}/nodes/cnx1Node01/servers/Apps_server1/variables.xml"),
        "variables_server.xml",
    );
    put(
        r,
        &format!("{cell}/nodes/cnx1Node01/servers/webserver1/server.xml"),
        "server_web.xml",
    );
    fs::create_dir_all(r.join(format!("{}/nodes/cnx1Node01/servers/nodeagent", &cell[1..])))
        .unwrap();
    fs::create_dir_all(r.join(format!("{}/nodes/dmgrNode/servers/dmgr", &cell[1..]))).unwrap();
    put(
        r,
        &format!(
            "{cell}/applications/Files.ear/deployments/Files/META-INF/ibm-application-bnd.xmi"
        ),
        "ibm-application-bnd.xmi",
    );
    put(
        r,
        &format!("{cell}/applications/Files.ear/deployments/Files/META-INF/application.xml"),
        "application.xml",
    );
    put(
        r,
        &format!(
            "{cell}/applications/Search.ear/deployments/Search/META-INF/ibm-application-bnd.xml"
        ),
        "ibm-application-bnd.xml",
    );
    fs::create_dir_all(r.join(format!(
        "{}/applications/NoBinding.ear/deployments/NoBinding/META-INF",
        &cell[1..]
    )))
    .unwrap();
    let sys = Sysroot::new(r).unwrap();
    (dir, sys)
}

#[test]
fn reads_a_whole_profile_through_the_sysroot() {
    let (_dir, sys) = install();
    let profiles = read_profile_registry(
        &sys,
        &profile_registry_path(Path::new("/opt/IBM/WebSphere/AppServer")),
    )
    .unwrap();
    let dmgr = &profiles[0];
    assert_eq!(
        read_profile_key(&sys, &dmgr.path).unwrap().profile_type,
        ProfileType::DeploymentManager
    );
    assert_eq!(
        read_port_definitions(&sys, &dmgr.path).unwrap()["SOAP_CONNECTOR_ADDRESS"],
        8879
    );

    let tree = read_config_tree(&sys, &dmgr.path).unwrap();
    assert_eq!(tree.cells.len(), 1);
    let cell = &tree.cells[0];
    assert_eq!(cell.name, "ICCell");
    assert_eq!(cell.dir, PathBuf::from(DMGR).join("config/cells/ICCell"));
    assert_eq!(
        cell.nodes
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>(),
        vec!["cnx1Node01", "dmgrNode"]
    );
    assert_eq!(
        cell.nodes[0].servers,
        vec!["Apps_server1", "nodeagent", "webserver1"]
    );
    assert_eq!(cell.clusters, vec!["Apps"]);
    assert_eq!(
        cell.applications,
        vec!["Files.ear", "NoBinding.ear", "Search.ear"]
    );

    let node_dir = &cell.nodes[0].dir;
    let idx = read_serverindex(&sys, &node_dir.join("serverindex.xml")).unwrap();
    assert_eq!(idx.host_name.as_deref(), Some("cnx1.example.com"));
    let web = read_server_xml(&sys, &node_dir.join("servers/webserver1/server.xml")).unwrap();
    assert!(web.is_web_server());
    let cluster = read_cluster_xml(&sys, &cell.dir.join("clusters/Apps/cluster.xml")).unwrap();
    assert_eq!(cluster.members.len(), 2);
    let sec = read_security_xml(&sys, &cell.dir.join("security.xml")).unwrap();
    let fnet = sec.auth_data("filenetAdmin").unwrap();
    let reg = read_file_registry(&sys, &cell.dir.join("fileRegistry.xml")).unwrap();
    assert!(reg.is_local_user(&fnet.user_id));
    let wim = read_wimconfig(&sys, &cell.dir.join("wim/config/wimconfig.xml")).unwrap();
    assert_eq!(wim.repositories.len(), 2);
    let res = read_resources(&sys, &cell.dir.join("resources.xml")).unwrap();
    assert_eq!(res.datasources.len(), 4);
}

#[test]
fn scoped_variables_from_the_tree() {
    let (_dir, sys) = install();
    let mut vars = read_scoped_variables(
        &sys,
        Path::new(DMGR),
        "ICCell",
        Some("Apps"),
        Some("cnx1Node01"),
        Some("Apps_server1"),
    )
    .unwrap();
    vars.set_builtin(
        "USER_INSTALL_ROOT",
        "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01",
    );
    assert_eq!(vars.resolve("SERVER").unwrap(), "Apps_server1");
    assert_eq!(
        vars.resolve("FILES_CONTENT_DIR").unwrap(),
        "/nfs/files/upload"
    );
    assert_eq!(
        vars.resolve("LOG_ROOT").unwrap(),
        "/opt/IBM/WebSphere/AppServer/profiles/AppSrv01/logs"
    );
    // Cell only: no cluster, node or server layers.
    let cell_only =
        read_scoped_variables(&sys, Path::new(DMGR), "ICCell", None, None, None).unwrap();
    assert_eq!(
        cell_only.resolve("FILES_CONTENT_DIR").unwrap(),
        "/opt/IBM/Connections/data/shared/files/upload"
    );
    assert_eq!(cell_only.resolve("LOG_ROOT").unwrap(), "cell-log-root");
    // Missing files at a scope are fine.
    let missing_server = read_scoped_variables(
        &sys,
        Path::new(DMGR),
        "ICCell",
        None,
        Some("cnx1Node01"),
        Some("nosuch"),
    )
    .unwrap();
    assert_eq!(missing_server.resolve("SERVER").unwrap(), "nodeagent");
}

#[test]
fn role_mappings_of_every_application() {
    let (_dir, sys) = install();
    let cell_dir = PathBuf::from(DMGR).join("config/cells/ICCell");
    let all = read_cell_role_mappings(&sys, &cell_dir).unwrap();
    assert!(all.errors.is_empty(), "{:?}", all.errors);
    assert_eq!(all.applications.len(), 2);
    let files = &all.applications[0];
    assert_eq!(files.application, "Files");
    assert!(files.file.ends_with("META-INF/ibm-application-bnd.xmi"));
    assert_eq!(
        files
            .mappings
            .iter()
            .map(|m| m.role.as_str())
            .collect::<Vec<_>>(),
        vec!["everyone", "reader", "admin", "SecurityRole_99"]
    );
    let search = &all.applications[1];
    assert_eq!(search.application, "Search");
    assert!(search
        .mappings
        .iter()
        .any(|m| m.role == "search-admin" && m.users.iter().any(|u| u.name == "wasadmin")));
}

#[test]
fn a_bad_binding_does_not_hide_the_others() {
    let (dir, sys) = install();
    let bad = dir.path().join(&DMGR[1..]).join(
        "config/cells/ICCell/applications/Bad.ear/deployments/Bad/META-INF/ibm-application-bnd.xml",
    );
    fs::create_dir_all(bad.parent().unwrap()).unwrap();
    fs::write(&bad, "<application-bnd>\n<security-role name=\"x\">\n").unwrap();
    let all =
        read_cell_role_mappings(&sys, &PathBuf::from(DMGR).join("config/cells/ICCell")).unwrap();
    assert_eq!(all.applications.len(), 2);
    assert_eq!(all.errors.len(), 1);
    let msg = all.errors[0].to_string();
    // Errors name the product path, not the temporary real path.
    assert!(
        msg.starts_with(&format!("{DMGR}/config/cells/ICCell/applications/Bad.ear")),
        "{msg}"
    );
}

#[test]
fn missing_profile_and_files_are_clear_errors() {
    let (_dir, sys) = install();
    let err = read_config_tree(
        &sys,
        Path::new("/opt/IBM/WebSphere/AppServer/profiles/Nope"),
    )
    .unwrap_err();
    assert!(err.is_not_found());
    assert!(
        err.to_string()
            .contains("/opt/IBM/WebSphere/AppServer/profiles/Nope/config/cells"),
        "{err}"
    );
    let err = read_security_xml(&sys, Path::new("/nowhere/security.xml")).unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.file(), Some(Path::new("/nowhere/security.xml")));
}

#[test]
fn pid_file_through_sysroot_and_process_table() {
    let (dir, sys) = install();
    let profile = Path::new("/opt/IBM/WebSphere/AppServer/profiles/AppSrv01");
    let pid_file = pid_file_path(profile, "server1");
    let real = dir.path().join(pid_file.strip_prefix("/").unwrap());
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    let me = std::process::id();
    fs::write(&real, format!("{me}\n")).unwrap();
    let pid = read_pid_file(&sys, &pid_file).unwrap();
    assert_eq!(pid, me);
    // This test process is running; its command line contains the test binary name.
    let exe = std::env::current_exe().unwrap();
    let exe_name = exe.file_name().unwrap().to_str().unwrap();
    assert_eq!(process_state(pid, &[exe_name]), ProcessState::Running);
    assert_eq!(
        process_state(pid, &["com.ibm.ws.runtime.WsServer", "server1"]),
        ProcessState::PidReused
    );
    fs::write(&real, "garbage").unwrap();
    let err = read_pid_file(&sys, &pid_file).unwrap_err();
    assert!(
        err.to_string().starts_with(&pid_file.display().to_string()),
        "{err}"
    );
}

#[test]
fn process_state_from_a_fake_proc() {
    let dir = tempfile::tempdir().unwrap();
    let proc_root = dir.path();
    let mk = |pid: u32, cmdline: &[u8], state: &str| {
        let d = proc_root.join(pid.to_string());
        fs::create_dir_all(&d).unwrap();
        fs::write(d.join("cmdline"), cmdline).unwrap();
        fs::write(d.join("stat"), format!("{pid} (java) {state} 1 2 3")).unwrap();
    };
    mk(100, b"/opt/IBM/WebSphere/AppServer/java/bin/java\0-Dserver.root=/opt/IBM/WebSphere/AppServer/profiles/AppSrv01\0com.ibm.ws.runtime.WsServer\0ICCell\0node1\0server1\0", "S");
    mk(101, b"/usr/bin/vim\0notes.txt\0", "S");
    mk(102, b"", "Z");
    mk(103, b"", "S");
    let expect = ["/opt/IBM/WebSphere/AppServer/profiles/AppSrv01", "server1"];
    assert_eq!(
        process_state_in(proc_root, 100, &expect),
        ProcessState::Running
    );
    assert_eq!(
        process_state_in(proc_root, 101, &expect),
        ProcessState::PidReused
    );
    assert_eq!(
        process_state_in(proc_root, 102, &expect),
        ProcessState::NotRunning
    );
    assert_eq!(
        process_state_in(proc_root, 103, &expect),
        ProcessState::PidReused
    );
    assert_eq!(
        process_state_in(proc_root, 104, &expect),
        ProcessState::NotRunning
    );
}
