//! `nodes/<node>/servers/<server>/server.xml`: one server's definition.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{parse_document, Element};

/// Web-server details from a web server definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebServerInfo {
    /// `webserverType` (`IHS`, `APACHE`, ...).
    pub kind: Option<String>,
    /// `webserverInstallRoot`.
    pub install_root: Option<String>,
    /// `configurationFilename` (httpd.conf).
    pub configuration_file: Option<String>,
    /// `pluginInstallRoot`: the WebSphere plug-in's install on the web server's host.
    #[serde(default)]
    pub plugin_install_root: Option<String>,
    /// The plug-in properties' `RemoteConfigFilename`: where `plugin-cfg.xml` is propagated
    /// to on the web server's host.
    #[serde(default)]
    pub plugin_config_file: Option<String>,
    /// The plug-in properties' `RemoteKeyRingFileName`: the plug-in's key database there.
    #[serde(default)]
    pub plugin_key_ring: Option<String>,
}

/// What the tool needs from a `server.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// `name` of the server.
    pub name: String,
    /// `clusterName` when the server is a cluster member.
    pub cluster_name: Option<String>,
    /// Type of the process definition (`JavaProcessDef`, `NamedProcessDef`), if any.
    pub process_definition: Option<String>,
    /// `executableName` of the process definition, as written (may hold `${VARS}`).
    pub executable: Option<String>,
    /// `initialState` of the server's state management (`START`/`STOP`).
    pub initial_state: Option<String>,
    /// Present when this is a web server definition (`xmi:type="webserver:WebServer"`):
    /// such a server is not a JVM and is not stopped with `stopServer`.
    pub web_server: Option<WebServerInfo>,
}

impl ServerConfig {
    /// True for a web server definition.
    pub fn is_web_server(&self) -> bool {
        self.web_server.is_some()
    }
}

fn is_web_server_element(e: &Element) -> bool {
    e.type_local() == Some("WebServer") || e.qname.ends_with(":WebServer")
}

/// Parses a `server.xml`. The root must be a `Server` (or a `WebServer`) element with a
/// `name`.
pub fn parse_server_xml(input: &[u8], file: &Path) -> Result<ServerConfig, ReadError> {
    let root = parse_document(input, file)?;
    if !matches!(root.local(), "Server" | "WebServer") {
        return Err(ReadError::parse(
            file,
            Some(root.line),
            format!(
                "expected root element <process:Server>, found <{}>",
                root.qname
            ),
        ));
    }
    let name = root
        .attr_string("name")
        .ok_or_else(|| ReadError::parse(file, Some(root.line), "server without a name"))?;
    let web = std::iter::once(&root)
        .chain(root.descendants())
        .find(|e| is_web_server_element(e));
    let proc_def = root.child("processDefinitions");
    Ok(ServerConfig {
        name,
        cluster_name: root.attr_string("clusterName"),
        process_definition: proc_def.and_then(|p| p.type_local()).map(str::to_string),
        executable: proc_def.and_then(|p| p.attr_string("executableName")),
        initial_state: root
            .child("stateManagement")
            .and_then(|s| s.attr_string("initialState")),
        web_server: web.map(web_server_info),
    })
}

/// The web server definition's attributes and those of its plug-in properties.
fn web_server_info(w: &Element) -> WebServerInfo {
    let plugin = w.child("plugin");
    WebServerInfo {
        kind: w.attr_string("webserverType"),
        install_root: w.attr_string("webserverInstallRoot"),
        configuration_file: w.attr_string("configurationFilename"),
        plugin_install_root: w.attr_string("pluginInstallRoot"),
        plugin_config_file: plugin.and_then(|p| p.attr_string("RemoteConfigFilename")),
        plugin_key_ring: plugin.and_then(|p| p.attr_string("RemoteKeyRingFileName")),
    }
}

/// Reads a `server.xml` at a product path through the sysroot.
pub fn read_server_xml(sys: &Sysroot, file: &Path) -> Result<ServerConfig, ReadError> {
    let bytes = sys.read(file)?;
    parse_server_xml(&bytes, file)
}
