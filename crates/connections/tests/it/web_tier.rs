//! The web tier on a hand-built deployment: IBM HTTP Server under a non-default path that
//! only the root Installation Manager records (no web server definition in the cell), a
//! definition whose install root moved, and files the configuration names that are gone.

use connections::discover::{discover, DiscoverOptions};

use crate::common::{Fixture, ASR, CELL_DIR, CNX};

const IHS: &str = "/srv/ihs90";
const PLG: &str = "/srv/plugins90";

/// The root IIM of the fixture (which installed WebSphere and Connections) also records
/// IHS and the plug-in under `/srv`; their files are written there.
fn with_ihs_under_srv(f: &Fixture) {
    f.write(
        "/var/ibm/InstallationManager/installed.xml",
        &format!("<?xml version='1.0' encoding='UTF-8'?>\n<installInfo>\n  <location id='IBM Installation Manager' path='/opt/IBM/InstallationManager/eclipse' kind='im'>\n    <package id='com.ibm.cic.agent' version='1.9.2003.20220917_1018'/>\n  </location>\n  <location id='IBM WebSphere Application Server V8.5' path='{ASR}' kind='product'>\n    <package id='com.ibm.websphere.ND.v85' version='8.5.5024.20230628_1659'/>\n  </location>\n  <location id='HCL Connections' path='{CNX}' kind='product'>\n    <package id='com.ibm.connections' version='8.0.0.0_CR14'/>\n  </location>\n  <location id='IBM HTTP Server V9.0' path='{IHS}' kind='product'>\n    <package id='com.ibm.websphere.IHS.v90' version='9.0.5017.20230815_0900'/>\n  </location>\n  <location id='Web Server Plug-ins V9.0' path='{PLG}' kind='product'>\n    <package id='com.ibm.websphere.PLG.v90' version='9.0.5017.20230815_0900'/>\n  </location>\n</installInfo>\n"),
    );
    f.write(
        &format!("{IHS}/conf/httpd.conf"),
        &format!("ServerRoot {IHS}\nInclude conf/sites/*.conf\nIncludeOptional conf/optional/*.conf\nWebSpherePluginConfig {PLG}/config/webserver1/plugin-cfg.xml\n"),
    );
    f.write(
        &format!("{IHS}/conf/sites/ssl.conf"),
        "<VirtualHost *:443>\n  SSLEnable\n  KeyFile /etc/ihs-keys/key.kdb\n</VirtualHost>\nInclude /etc/ihs-extra.conf\n",
    );
    f.write(
        "/etc/ihs-extra.conf",
        "Header set X-Frame-Options SAMEORIGIN\n",
    );
    f.write("/etc/ihs-keys/key.kdb", "kdb");
    f.write("/etc/ihs-keys/key.sth", "sth");
    f.write(
        &format!("{PLG}/config/webserver1/plugin-cfg.xml"),
        &format!("<Config>\n  <Log LogLevel=\"Error\" Name=\"{PLG}/logs/webserver1/http_plugin.log\"/>\n  <Property Name=\"keyring\" Value=\"{PLG}/config/webserver1/plugin-key.kdb\"/>\n  <Property Name=\"stashfile\" Value=\"{PLG}/config/webserver1/plugin-key.sth\"/>\n</Config>\n"),
    );
    f.write(&format!("{PLG}/config/webserver1/plugin-key.kdb"), "kdb");
    f.write(&format!("{PLG}/config/webserver1/plugin-key.sth"), "sth");
    f.write(&format!("{PLG}/logs/webserver1/http_plugin.log"), "");
}

#[test]
fn ihs_known_only_to_the_root_iim_is_found_with_its_files() {
    let f = Fixture::new();
    with_ihs_under_srv(&f);
    let d = discover(&f.sysroot(), &DiscoverOptions::default()).unwrap();
    assert_eq!(d.web_servers.len(), 1, "{:#?}", d.web_servers);
    let w = &d.web_servers[0];
    assert!(w.on_this_host);
    assert!(w.definition.is_none());
    assert_eq!(
        w.found_by,
        "Installation Manager /var/ibm/InstallationManager"
    );
    assert_eq!(w.install_root, IHS);
    assert_eq!(w.config_file, format!("{IHS}/conf/httpd.conf"));
    assert_eq!(w.version.as_deref(), Some("9.0.5017.20230815_0900"));
    assert_eq!(
        w.server_paths,
        vec![
            format!("{IHS}/conf"),
            "/etc/ihs-extra.conf".to_string(),
            "/etc/ihs-keys/key.kdb".to_string(),
            "/etc/ihs-keys/key.sth".to_string(),
        ],
        "the root IIM installed Connections too: it is backed up as installation_manager"
    );
    assert_eq!(w.plugin_install_root.as_deref(), Some(PLG));
    assert_eq!(
        w.plugin_paths,
        vec![
            format!("{PLG}/config/webserver1"),
            format!("{PLG}/logs/webserver1"),
        ]
    );
    assert!(
        !d.warnings.iter().any(|x| x.message.contains("optional")),
        "an IncludeOptional that matches nothing is fine: {:#?}",
        d.warnings
    );
}

/// The cell's definition names the default root; IHS was reinstalled under `/srv`.
fn define_webserver1(f: &Fixture, config_file: &str) {
    f.write(
        &format!("{CELL_DIR}/nodes/node1/servers/webserver1/server.xml"),
        &format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<process:Server xmi:version=\"2.0\" xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:process=\"http://www.ibm.com/websphere/appserver/schemas/5.0/process.xmi\" xmlns:webserver=\"http://www.ibm.com/websphere/appserver/schemas/6.0/webserver.xmi\" name=\"webserver1\">\n  <components xmi:type=\"webserver:WebServer\" webserverType=\"IHS\" webserverInstallRoot=\"/opt/IBM/HTTPServer\" pluginInstallRoot=\"{PLG}\" configurationFilename=\"{config_file}\"/>\n</process:Server>\n"),
    );
}

#[test]
fn a_definition_whose_install_moved_follows_the_iim_record() {
    let f = Fixture::new();
    with_ihs_under_srv(&f);
    define_webserver1(&f, "${WEB_INSTALL_ROOT}/conf/httpd.conf");
    let d = discover(&f.sysroot(), &DiscoverOptions::default()).unwrap();
    assert_eq!(d.web_servers.len(), 1, "{:#?}", d.web_servers);
    let w = &d.web_servers[0];
    assert_eq!(w.name, "webserver1");
    assert_eq!(w.host.as_deref(), Some("cnx1.example.com"));
    assert_eq!(w.install_root, IHS);
    assert_eq!(w.config_file, format!("{IHS}/conf/httpd.conf"));
    assert!(w.definition.is_some());
    let moved = d
        .warnings
        .iter()
        .find(|x| {
            x.message
                .contains("webserver1 is defined with IBM HTTP Server at /opt/IBM/HTTPServer")
        })
        .unwrap_or_else(|| panic!("{:#?}", d.warnings));
    assert!(moved.message.contains(IHS), "{moved}");
}

#[test]
fn files_the_configuration_names_but_that_are_gone_stay_listed_and_warn() {
    let f = Fixture::new();
    with_ihs_under_srv(&f);
    define_webserver1(&f, &format!("{IHS}/conf/httpd.conf"));
    std::fs::remove_file(f.real("/etc/ihs-keys/key.kdb")).unwrap();
    std::fs::remove_file(f.real(&format!("{PLG}/config/webserver1/plugin-cfg.xml"))).unwrap();
    f.write(
        &format!("{IHS}/conf/sites/broken.conf"),
        "Include conf/none/*.conf\n",
    );
    let d = discover(&f.sysroot(), &DiscoverOptions::default()).unwrap();
    let w = &d.web_servers[0];
    // the named key database stays: the backup's preflight refuses naming it
    assert!(w
        .server_paths
        .contains(&"/etc/ihs-keys/key.kdb".to_string()));
    let cfg = format!("{PLG}/config/webserver1/plugin-cfg.xml");
    assert_eq!(w.plugin_config_file.as_deref(), Some(cfg.as_str()));
    let text: Vec<String> = d.warnings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|t| t.contains(&cfg) && t.contains("key database")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("broken.conf:1") && t.contains("matches no file")),
        "{text:#?}"
    );
}

#[test]
fn no_definition_and_no_iim_record_means_no_web_server() {
    let f = Fixture::new();
    let d = discover(&f.sysroot(), &DiscoverOptions::default()).unwrap();
    assert!(d.web_servers.is_empty(), "{:#?}", d.web_servers);
}
