//! The web tier of a sample: IBM HTTP Server with the WebSphere plug-in for `webserver1`,
//! laid out as an IHS 9.0 install is: `conf/httpd.conf` including `conf/extra/*.conf`
//! (the SSL virtual host names its CMS key database `ssl/key.kdb`, with its stash and
//! request databases beside it), the plug-in's `config/webserver1/plugin-cfg.xml` with its
//! `plugin-key.kdb`/`.sth`, the plug-in log directory, each product's
//! `properties/version/*.product`, and, on a web server's own host, root's Installation
//! Manager that installed both.

use crate::rng::Rng;
use crate::topology::Spec;
use crate::tree::Tree;
use crate::xml::esc;
use crate::SampleError;

/// IHS install root, as the cell's web server definition names it.
pub const IHS_ROOT: &str = "/opt/IBM/HTTPServer";
/// The plug-in's install root.
pub const PLUGIN_ROOT: &str = "/opt/IBM/WebSphere/Plugins";
/// The version both products state (`properties/version/*.product`).
pub const WEB_VERSION: &str = "9.0.5.18";
/// The same version as Installation Manager records it.
const WEB_PACKAGE_VERSION: &str = "9.0.5018.20231205_1200";

/// Writes IBM HTTP Server and the plug-in configuration of `webserver1`, which routes to
/// every application server of the cell.
pub(crate) fn write_web_server(tree: &Tree, spec: &Spec) -> Result<(), SampleError> {
    let mut rng = Rng::derive(spec.seed, "web-tier");
    tree.write(&format!("{IHS_ROOT}/conf/httpd.conf"), httpd_conf(spec))?;
    tree.write(&format!("{IHS_ROOT}/conf/extra/ssl.conf"), ssl_conf(spec))?;
    tree.write(
        &format!("{IHS_ROOT}/conf/extra/connections-rewrite.conf"),
        "# Connections: redirect the root to the home page\nRewriteEngine on\nRewriteRule ^/$ /homepage [R,L]\n",
    )?;
    tree.write(
        &format!("{IHS_ROOT}/conf/mime.types"),
        "text/html html htm\n",
    )?;
    for ext in ["kdb", "sth", "rdb"] {
        tree.write(&format!("{IHS_ROOT}/ssl/key.{ext}"), rng.bytes(5120))?;
    }
    tree.write(&format!("{IHS_ROOT}/logs/error_log"), "[notice] started\n")?;
    tree.write(
        &format!("{IHS_ROOT}/properties/version/IHS.product"),
        product_file("IBM HTTP Server", "IHS"),
    )?;
    let plugin_dir = format!("{PLUGIN_ROOT}/config/webserver1");
    tree.write(&format!("{plugin_dir}/plugin-cfg.xml"), plugin_cfg(spec))?;
    for ext in ["kdb", "sth", "rdb"] {
        tree.write(&format!("{plugin_dir}/plugin-key.{ext}"), rng.bytes(5120))?;
    }
    tree.write(
        &format!("{PLUGIN_ROOT}/logs/webserver1/http_plugin.log"),
        "[plugin] started\n",
    )?;
    tree.write(
        &format!("{PLUGIN_ROOT}/properties/version/PLG.product"),
        product_file(
            "Web Server Plug-ins for IBM WebSphere Application Server",
            "PLG",
        ),
    )
}

fn httpd_conf(spec: &Spec) -> String {
    format!(
        "# IBM HTTP Server 9.0 (cnxbackup sample)\nServerRoot \"{IHS_ROOT}\"\nServerName {}\nListen 80\nUser nobody\nGroup nobody\nLoadModule rewrite_module modules/mod_rewrite.so\nTypesConfig conf/mime.types\nErrorLog logs/error_log\nCustomLog logs/access_log common\nInclude conf/extra/*.conf\n\nLoadModule was_ap24_module {PLUGIN_ROOT}/bin/64bits/mod_was_ap24_http.so\nWebSpherePluginConfig {PLUGIN_ROOT}/config/webserver1/plugin-cfg.xml\n",
        spec.virtual_host
    )
}

fn ssl_conf(spec: &Spec) -> String {
    format!(
        "LoadModule ibm_ssl_module modules/mod_ibm_ssl.so\nListen 443\n<VirtualHost *:443>\n  ServerName {}\n  SSLEnable\n  SSLProtocolDisable SSLv3 TLSv1 TLSv11\n  KeyFile {IHS_ROOT}/ssl/key.kdb\n  SSLServerCert connections\n</VirtualHost>\nSSLDisable\n",
        spec.virtual_host
    )
}

fn plugin_cfg(spec: &Spec) -> String {
    let e = &spec.expected;
    let mut plugin = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<Config ASDisableNagle=\"false\" AcceptAllContent=\"true\" ConfigurationVersion=\"8.5.5.0\" RefreshInterval=\"60\">\n  <Log LogLevel=\"Error\" Name=\"{PLUGIN_ROOT}/logs/webserver1/http_plugin.log\"/>\n"
    );
    let keys = format!("{PLUGIN_ROOT}/config/webserver1/plugin-key");
    for c in &e.was.clusters {
        plugin.push_str(&format!("  <ServerCluster Name=\"{}\">\n", esc(&c.name)));
        for m in &c.members {
            let host = e
                .was
                .nodes
                .iter()
                .find(|n| n.name == m.node)
                .map(|n| n.host.as_str())
                .unwrap_or("localhost");
            plugin.push_str(&format!(
                "    <Server Name=\"{}_{}\">\n      <Transport Hostname=\"{}\" Port=\"9080\" Protocol=\"http\"/>\n      <Transport Hostname=\"{}\" Port=\"9443\" Protocol=\"https\">\n        <Property Name=\"keyring\" Value=\"{keys}.kdb\"/>\n        <Property Name=\"stashfile\" Value=\"{keys}.sth\"/>\n      </Transport>\n    </Server>\n",
                esc(&m.node),
                esc(&m.server),
                esc(host),
                esc(host)
            ));
        }
        plugin.push_str("  </ServerCluster>\n");
    }
    plugin.push_str("</Config>\n");
    plugin
}

fn product_file(name: &str, id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE product PUBLIC \"productId\" \"product.dtd\">\n<product name=\"{name}\">\n  <id>{id}</id>\n  <version>{WEB_VERSION}</version>\n  <build-info date=\"12/5/23\" level=\"cf182349.01\"/>\n</product>\n"
    )
}

/// Root's Installation Manager on a web server's own host, which installed IHS and the
/// plug-in (its agent data: `installed.xml`, `installRegistry.xml`).
pub(crate) fn write_web_iim(tree: &Tree, spec: &Spec) -> Result<(), SampleError> {
    const DATA: &str = "/var/ibm/InstallationManager";
    tree.write(
        &format!("{DATA}/installed.xml"),
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<installInfo>\n  <location id='IBM Installation Manager' path='/opt/IBM/InstallationManager/eclipse' kind='im'>\n    <package kind='im' name='IBM Installation Manager' id='com.ibm.cic.agent' version='{iim}' arch='x86_64'/>\n  </location>\n  <location id='IBM HTTP Server V9.0' path='{IHS_ROOT}' kind='product'>\n    <package kind='offering' name='IBM HTTP Server for WebSphere Application Server' id='com.ibm.websphere.IHS.v90' version='{WEB_PACKAGE_VERSION}' arch='x86_64'/>\n  </location>\n  <location id='Web Server Plug-ins for IBM WebSphere Application Server V9.0' path='{PLUGIN_ROOT}' kind='product'>\n    <package kind='offering' name='Web Server Plug-ins for IBM WebSphere Application Server' id='com.ibm.websphere.PLG.v90' version='{WEB_PACKAGE_VERSION}' arch='x86_64'/>\n  </location>\n</installInfo>\n",
            iim = spec.iim_version,
        ),
    )?;
    tree.write(
        &format!("{DATA}/installRegistry.xml"),
        format!(
            "<?xml version='1.0' encoding='UTF-8'?>\n<installRegistry>\n  <profile id='IBM HTTP Server V9.0' kind='product'>\n    <property name='installLocation' value='{IHS_ROOT}'/>\n    <offering id='com.ibm.websphere.IHS.v90'>\n      <version value='{WEB_PACKAGE_VERSION}'/>\n    </offering>\n  </profile>\n</installRegistry>\n"
        ),
    )
}
