//! Each reader against a realistic fixture, plus its malformed and truncated variants.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use websphere::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The product path the errors should name.
fn product(name: &str) -> PathBuf {
    PathBuf::from("/opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/ICCell").join(name)
}

/// Cuts a document in half and checks the error names the file and a line.
fn assert_truncation_reported<T: std::fmt::Debug>(
    name: &str,
    parse: impl Fn(&[u8], &Path) -> Result<T, ReadError>,
) {
    let bytes = fixture(name);
    let cut = &bytes[..bytes.len() / 2];
    let file = product(name);
    let err = parse(cut, &file).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{}:", file.display())), "{msg}");
    assert!(err.line().is_some(), "{msg}");
    assert_eq!(err.file(), Some(file.as_path()));
}

#[test]
fn profile_registry_lists_profiles() {
    let file = Path::new("/opt/IBM/WebSphere/AppServer/properties/profileRegistry.xml");
    let profiles = parse_profile_registry(&fixture("profileRegistry.xml"), file).unwrap();
    assert_eq!(profiles.len(), 3);
    let dmgr = &profiles[0];
    assert_eq!(dmgr.name, "Dmgr01");
    assert_eq!(
        dmgr.path,
        PathBuf::from("/opt/IBM/WebSphere/AppServer/profiles/Dmgr01")
    );
    assert!(dmgr.is_default);
    assert_eq!(
        dmgr.template.as_deref(),
        Some(Path::new(
            "/opt/IBM/WebSphere/AppServer/profileTemplates/management"
        ))
    );
    assert_eq!(dmgr.augmentors.len(), 1);
    assert_eq!(dmgr.line, 2);
    assert!(!profiles[1].is_default);
    assert!(profiles[2].is_reservation_ticket);
    assert_eq!(
        profile_registry_path(Path::new("/opt/WAS")),
        PathBuf::from("/opt/WAS/properties/profileRegistry.xml")
    );
}

#[test]
fn profile_registry_errors() {
    assert_truncation_reported("profileRegistry.xml", parse_profile_registry);
    let err = parse_profile_registry(
        b"<profiles>\n<profile name=\"x\"/>\n</profiles>",
        Path::new("/r.xml"),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "/r.xml:2: profile x has no path");
    let err = parse_profile_registry(b"<other/>", Path::new("/r.xml")).unwrap_err();
    assert!(
        err.to_string().contains("expected root element <profiles>"),
        "{err}"
    );
}

#[test]
fn profile_key_and_ports() {
    let key = parse_profile_key(
        &fixture("profileKey.metadata"),
        Path::new("/p/profileKey.metadata"),
    )
    .unwrap();
    assert_eq!(key.profile_type, ProfileType::DeploymentManager);
    assert_eq!(
        key.properties
            .get("com.ibm.ws.profile.name")
            .map(String::as_str),
        Some("Dmgr01")
    );
    assert_eq!(ProfileType::from_metadata_value("BASE"), ProfileType::Base);
    assert_eq!(
        ProfileType::from_metadata_value("CUSTOM"),
        ProfileType::Managed
    );
    assert_eq!(
        ProfileType::from_metadata_value("weird"),
        ProfileType::Other("weird".into())
    );
    let err = parse_profile_key(b"a=b\n", Path::new("/p/k")).unwrap_err();
    assert!(err.to_string().contains("com.ibm.ws.profile.type"));

    let ports =
        parse_port_definitions(&fixture("portdef.props"), Path::new("/p/portdef.props")).unwrap();
    assert_eq!(ports.get("SOAP_CONNECTOR_ADDRESS"), Some(&8879));
    assert_eq!(ports.len(), 6);
    let err = parse_port_definitions(b"A=1\nB=99999\n", Path::new("/p/portdef.props")).unwrap_err();
    assert_eq!(err.line(), Some(2));
}

#[test]
fn serverindex_reads_host_servers_endpoints_and_apps() {
    let idx = parse_serverindex(
        &fixture("serverindex.xml"),
        &product("nodes/cnx1Node01/serverindex.xml"),
    )
    .unwrap();
    assert_eq!(idx.host_name.as_deref(), Some("cnx1.example.com"));
    assert_eq!(idx.servers.len(), 3);
    let na = idx.server("nodeagent").unwrap();
    assert_eq!(na.server_type, ServerType::NodeAgent);
    assert_eq!(
        na.endpoint("SOAP_CONNECTOR_ADDRESS").unwrap().port,
        Some(8878)
    );
    let app = idx.server("Apps_server1").unwrap();
    assert_eq!(app.server_type, ServerType::ApplicationServer);
    assert_eq!(
        app.application_names(),
        vec!["Files", "Profiles", "Homepage"]
    );
    assert_eq!(app.endpoint("WC_defaulthost").unwrap().host, "*");
    let web = idx.server("webserver1").unwrap();
    assert_eq!(web.server_type, ServerType::WebServer);
    assert!(!web.server_type.is_jvm());
    assert_truncation_reported("serverindex.xml", parse_serverindex);
}

#[test]
fn server_xml_detects_web_servers_and_clusters() {
    let app = parse_server_xml(&fixture("server_app.xml"), &product("x/server.xml")).unwrap();
    assert_eq!(app.name, "Apps_server1");
    assert_eq!(app.cluster_name.as_deref(), Some("Apps"));
    assert_eq!(app.process_definition.as_deref(), Some("JavaProcessDef"));
    assert_eq!(app.initial_state.as_deref(), Some("START"));
    assert!(!app.is_web_server());
    let web = parse_server_xml(&fixture("server_web.xml"), &product("x/server.xml")).unwrap();
    assert!(web.is_web_server());
    let info = web.web_server.unwrap();
    assert_eq!(info.kind.as_deref(), Some("IHS"));
    assert_eq!(info.install_root.as_deref(), Some("/opt/IBM/HTTPServer"));
    assert_eq!(
        info.plugin_install_root.as_deref(),
        Some("/opt/IBM/WebSphere/Plugins")
    );
    assert_eq!(
        info.plugin_config_file.as_deref(),
        Some("/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml")
    );
    assert_eq!(
        info.plugin_key_ring.as_deref(),
        Some("/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-key.kdb")
    );
    assert_eq!(
        web.executable.as_deref(),
        Some("/opt/IBM/HTTPServer/bin/apachectl")
    );
    assert_truncation_reported("server_app.xml", parse_server_xml);
}

#[test]
fn cluster_xml_members() {
    let c = parse_cluster_xml(
        &fixture("cluster.xml"),
        &product("clusters/Apps/cluster.xml"),
    )
    .unwrap();
    assert_eq!(c.name, "Apps");
    assert_eq!(
        c.members
            .iter()
            .map(|m| (m.server.as_str(), m.node.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("Apps_server1", "cnx1Node01"),
            ("Apps_server2", "cnx2Node01")
        ]
    );
    assert_eq!(c.members[0].weight, Some(2));
    let err = parse_cluster_xml(
        b"<topology.cluster:ServerCluster name=\"A\">\n<members memberName=\"s\"/>\n</topology.cluster:ServerCluster>",
        Path::new("/c.xml"),
    )
    .unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert_truncation_reported("cluster.xml", parse_cluster_xml);
}

#[test]
fn security_xml_auth_data_and_registry() {
    let sec = parse_security_xml(&fixture("security.xml"), &product("security.xml")).unwrap();
    assert_eq!(sec.security_enabled, Some(true));
    assert_eq!(sec.app_security_enabled, Some(true));
    let reg = sec.active_user_registry.as_ref().unwrap();
    assert_eq!(reg.kind, "WIMUserRegistry");
    assert_eq!(reg.realm.as_deref(), Some("defaultWIMFileBasedRealm"));
    assert_eq!(reg.primary_admin_id.as_deref(), Some("wasadmin"));
    assert_eq!(sec.user_registries.len(), 3);
    assert_eq!(sec.auth_data.len(), 4);

    let admin = sec.auth_data("connectionsAdmin").unwrap();
    assert_eq!(admin.user_id, "wasadmin");
    assert_eq!(admin.password.secret().unwrap().expose(), "Adm1n&Pass");
    assert_eq!(
        admin.description.as_deref(),
        Some("Connections administrator")
    );
    let fnet = sec.auth_data("filenetAdmin").unwrap();
    assert!(is_local_file_registry_user(&fnet.user_id));
    assert_eq!(fnet.password.secret().unwrap().expose(), "F1leNet!");
    // Console-made aliases carry a node prefix; the short name still finds them.
    let prof = sec.auth_data("profilesJAASAuth").unwrap();
    assert_eq!(prof.alias, "cnx1CellManager01/profilesJAASAuth");
    assert!(matches!(
        sec.auth_data("icecJAASAuth").unwrap().password,
        Password::Encrypted { .. }
    ));
    assert!(sec.auth_data("nope").is_none());
}

#[test]
fn security_xml_never_shows_secrets() {
    let sec = parse_security_xml(&fixture("security.xml"), &product("security.xml")).unwrap();
    let debug = format!("{sec:?} {sec:#?}");
    let json = serde_json::to_string(&sec).unwrap();
    for secret in ["Adm1n&Pass", "F1leNet!", "dbpass", "ltpaKeyPass"] {
        assert!(!debug.contains(secret), "{secret} in Debug");
        assert!(!json.contains(secret), "{secret} in JSON");
    }
    // A broken file's error must not echo the password either.
    let broken = String::from_utf8(fixture("security.xml")).unwrap().replace(
        "description=\"FileNet administrator\"/>",
        "description=\"x\"",
    );
    let err = parse_security_xml(broken.as_bytes(), &product("security.xml")).unwrap_err();
    assert!(!err.to_string().contains("F1leNet!"));
    assert_truncation_reported("security.xml", parse_security_xml);
}

#[test]
fn file_registry_users_and_local_check() {
    let reg =
        parse_file_registry(&fixture("fileRegistry.xml"), &product("fileRegistry.xml")).unwrap();
    assert_eq!(reg.users.len(), 2);
    assert_eq!(reg.groups.len(), 1);
    let u = &reg.users[1];
    assert_eq!(u.uid.as_deref(), Some("filenetAdmin"));
    assert_eq!(u.cn.as_deref(), Some("FileNet Admin"));
    assert_eq!(u.unique_name, "uid=filenetAdmin,o=defaultWIMFileBasedRealm");
    assert_eq!(
        reg.groups[0].members,
        vec!["uid=wasadmin,o=defaultWIMFileBasedRealm"]
    );
    assert!(reg.is_local_user("filenetadmin"));
    assert!(reg.is_local_user("UID=filenetAdmin, O=defaultWIMFileBasedRealm"));
    assert!(!reg.is_local_user("someoneElse"));
    assert!(is_local_file_registry_user(
        "uid=x,o=defaultWIMFileBasedRealm"
    ));
    assert!(is_local_file_registry_user(
        "uid=x, o=DEFAULTWIMFILEBASEDREALM "
    ));
    assert!(!is_local_file_registry_user(
        "uid=filenetAdmin,cn=users,dc=example,dc=com"
    ));
    assert!(!is_local_file_registry_user(
        "uid=x,o=defaultWIMFileBasedRealmX"
    ));
    assert!(!is_local_file_registry_user("filenetAdmin"));
    assert_truncation_reported("fileRegistry.xml", parse_file_registry);
}

#[test]
fn wimconfig_repositories() {
    let cfg = parse_wimconfig(
        &fixture("wimconfig.xml"),
        &product("wim/config/wimconfig.xml"),
    )
    .unwrap();
    assert_eq!(cfg.repositories.len(), 2);
    assert_eq!(cfg.repositories[0].id, "InternalFileRepository");
    assert_eq!(cfg.repositories[0].kind, RepositoryKind::File);
    assert_eq!(
        cfg.repositories[0].base_entries,
        vec!["o=defaultWIMFileBasedRealm"]
    );
    let ldap = &cfg.repositories[1];
    assert_eq!(ldap.kind, RepositoryKind::Ldap);
    assert_eq!(
        ldap.adapter_class.as_deref(),
        Some("com.ibm.ws.wim.adapter.ldap.LdapAdapter")
    );
    assert_eq!(ldap.ldap_servers.len(), 2);
    assert_eq!(ldap.ldap_servers[0].host, "ldap1.example.com");
    assert_eq!(ldap.ldap_servers[0].port, Some(389));
    assert_eq!(
        cfg.default_realm.as_deref(),
        Some("defaultWIMFileBasedRealm")
    );
    assert_eq!(cfg.realms[0].base_entries.len(), 2);
    assert!(!format!("{cfg:?}").contains("LTAwKw"));
    assert_truncation_reported("wimconfig.xml", parse_wimconfig);
}

#[test]
fn resources_datasources() {
    let res = parse_resources(&fixture("resources.xml"), &product("resources.xml")).unwrap();
    assert_eq!(res.providers.len(), 3);
    assert_eq!(
        res.providers[0].classpath,
        vec![
            "${DB2_JCC_DRIVER_PATH}/db2jcc4.jar",
            "${DB2_JCC_DRIVER_PATH}/db2jcc_license_cu.jar"
        ]
    );
    assert_eq!(
        res.providers[0].provider_type.as_deref(),
        Some("DB2 Universal JDBC Driver Provider")
    );
    assert_eq!(
        res.datasources.len(),
        4,
        "{:?}",
        res.datasources.iter().map(|d| &d.name).collect::<Vec<_>>()
    );

    let profiles = &res.datasources[0];
    assert_eq!(profiles.name, "profiles");
    assert_eq!(profiles.jndi_name.as_deref(), Some("jdbc/profiles"));
    assert_eq!(profiles.provider.as_deref(), Some("profilesJDBC"));
    assert_eq!(profiles.vendor, DbVendor::Db2);
    assert_eq!(
        profiles.auth_data_alias.as_deref(),
        Some("profilesJAASAuth")
    );
    assert_eq!(
        profiles.container_auth_alias.as_deref(),
        Some("profilesJAASAuth")
    );
    assert_eq!(profiles.database_name.as_deref(), Some("PEOPLEDB"));
    assert_eq!(profiles.server_name.as_deref(), Some("db2.example.com"));
    assert_eq!(profiles.port_number, Some(50000));
    assert!(
        !profiles.properties.contains_key("password"),
        "password property must not be kept"
    );
    assert_eq!(profiles.line, 6);

    let files = &res.datasources[1];
    assert_eq!(files.database_name.as_deref(), Some("FILES"));
    assert_eq!(files.port_number, None);
    assert_eq!(
        files.properties.get("portNumber").map(String::as_str),
        Some("not-a-port")
    );

    let blogs = &res.datasources[2];
    assert_eq!(blogs.vendor, DbVendor::Oracle);
    let ep = blogs.endpoint();
    assert_eq!(ep.host.as_deref(), Some("ora.example.com"));
    assert_eq!(ep.port, Some(1521));
    assert_eq!(ep.database.as_deref(), Some("LSCONN"));

    let hp = &res.datasources[3];
    assert_eq!(hp.vendor, DbVendor::SqlServer);
    assert_eq!(hp.endpoint().port, Some(1433));
    assert_eq!(hp.provider.as_deref(), Some("sqlserverJDBC"));
    assert!(!format!("{res:?}").contains("neverKeepThis"));
}

#[test]
fn resources_errors() {
    assert_truncation_reported("resources.xml", parse_resources);
    let bytes = String::from_utf8(fixture("resources.xml"))
        .unwrap()
        .replace("</factories>\n    <factories", "</factory>\n    <factories");
    let err = parse_resources(bytes.as_bytes(), &product("resources.xml")).unwrap_err();
    assert_eq!(err.line(), Some(16), "{err}");
    assert!(parse_resources(b"", Path::new("/r.xml")).is_err());
}

#[test]
fn jdbc_urls() {
    let e = parse_jdbc_url("jdbc:oracle:thin:@ora1:1521:LSCONN").unwrap();
    assert_eq!(
        (e.host.as_deref(), e.port, e.database.as_deref()),
        (Some("ora1"), Some(1521), Some("LSCONN"))
    );
    let e = parse_jdbc_url("jdbc:oracle:thin:@ora1:1522/svc.example").unwrap();
    assert_eq!(
        (e.host.as_deref(), e.port, e.database.as_deref()),
        (Some("ora1"), Some(1522), Some("svc.example"))
    );
    let e = parse_jdbc_url("jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=rac1)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=CNX)))").unwrap();
    assert_eq!(
        (e.host.as_deref(), e.port, e.database.as_deref()),
        (Some("rac1"), Some(1521), Some("CNX"))
    );
    let e = parse_jdbc_url("jdbc:db2://db2h:50001/OPNACT").unwrap();
    assert_eq!(
        (e.host.as_deref(), e.port, e.database.as_deref()),
        (Some("db2h"), Some(50001), Some("OPNACT"))
    );
    let e = parse_jdbc_url("jdbc:sqlserver://sqlh:1433;databaseName=BLOGS;encrypt=false").unwrap();
    assert_eq!(
        (e.host.as_deref(), e.port, e.database.as_deref()),
        (Some("sqlh"), Some(1433), Some("BLOGS"))
    );
    assert!(parse_jdbc_url("not a url").is_none());
}

#[test]
fn application_bindings_xmi_and_xml() {
    let file = product("applications/Files.ear/deployments/Files/META-INF/ibm-application-bnd.xmi");
    let mut m = parse_application_bnd_xmi(&fixture("ibm-application-bnd.xmi"), &file).unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(m[0].role, "SecurityRole_1");
    let roles =
        parse_application_xml_roles(&fixture("application.xml"), Path::new("/a/application.xml"))
            .unwrap();
    assert_eq!(roles.len(), 3);
    resolve_role_refs(&mut m, &roles);
    assert_eq!(m[0].role, "everyone");
    assert!(m[0].everyone && !m[0].all_authenticated);
    assert_eq!(m[1].role, "reader");
    assert!(m[1].all_authenticated);
    assert_eq!(m[2].role, "admin");
    assert_eq!(m[2].users[0].name, "wasadmin");
    assert!(m[2].users[0]
        .access_id
        .as_deref()
        .unwrap()
        .starts_with("user:"));
    assert_eq!(m[2].groups[0].name, "cnxadmins");
    // An unresolvable reference keeps its id.
    assert_eq!(m[3].role, "SecurityRole_99");
    assert!(m[3].is_empty());

    let xml = parse_application_bnd_xml(&fixture("ibm-application-bnd.xml"), Path::new("/b.xml"))
        .unwrap();
    assert_eq!(
        xml.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(),
        vec!["everyone", "reader", "search-admin", "unmapped"]
    );
    assert!(xml[0].everyone);
    assert!(xml[1].all_authenticated);
    assert_eq!(xml[2].users[0].name, "wasadmin");
    assert!(xml[2].users[0].access_id.is_some());
    assert_eq!(xml[2].groups[0].name, "cnxadmins");
    assert!(xml[3].is_empty());
    assert_truncation_reported("ibm-application-bnd.xmi", parse_application_bnd_xmi);
    assert_truncation_reported("ibm-application-bnd.xml", parse_application_bnd_xml);
}

#[test]
fn pid_files() {
    let f = Path::new("/opt/WAS/profiles/AppSrv01/logs/server1/server1.pid");
    assert_eq!(parse_pid_file(b"12345\n", f).unwrap(), 12345);
    assert_eq!(parse_pid_file(b"  77  ", f).unwrap(), 77);
    for bad in [
        &b""[..],
        b"abc",
        b"0",
        b"-5",
        b"12 13",
        b"1\n2\n",
        b"\xff\xfe",
        b"99999999999",
    ] {
        let err = parse_pid_file(bad, f).unwrap_err();
        assert!(
            err.to_string().starts_with(&f.display().to_string()),
            "{err}"
        );
    }
    assert_eq!(
        pid_file_path(Path::new("/p/AppSrv01"), "server1"),
        PathBuf::from("/p/AppSrv01/logs/server1/server1.pid")
    );
}

#[test]
fn role_mappings_round_trip_through_json() {
    // Role mappings are stored in backup manifests and read back at restore time.
    let m = parse_application_bnd_xml(&fixture("ibm-application-bnd.xml"), Path::new("/b.xml"))
        .unwrap();
    let json = serde_json::to_string(&m).unwrap();
    let back: Vec<RoleMapping> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, m);
    let idx = parse_serverindex(&fixture("serverindex.xml"), Path::new("/s.xml")).unwrap();
    let back: ServerIndex = serde_json::from_str(&serde_json::to_string(&idx).unwrap()).unwrap();
    assert_eq!(back, idx);
}
