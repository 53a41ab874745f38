//! `config/cells/<cell>/nodes/<node>/serverindex.xml`: a node's host name, servers, their
//! endpoints and deployed applications.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{expect_root, parse_document, Element};

/// The type of a server entry (`serverType` attribute).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerType {
    /// `APPLICATION_SERVER`: a JVM hosting applications.
    ApplicationServer,
    /// `NODE_AGENT`.
    NodeAgent,
    /// `DEPLOYMENT_MANAGER`.
    DeploymentManager,
    /// `WEB_SERVER`: a web server definition (IHS), not a JVM.
    WebServer,
    /// `PROXY_SERVER`.
    ProxyServer,
    /// Anything else, as written.
    Other(String),
}

impl ServerType {
    /// Maps a `serverType` value.
    pub fn parse(value: &str) -> ServerType {
        match value.trim() {
            "APPLICATION_SERVER" => ServerType::ApplicationServer,
            "NODE_AGENT" => ServerType::NodeAgent,
            "DEPLOYMENT_MANAGER" => ServerType::DeploymentManager,
            "WEB_SERVER" => ServerType::WebServer,
            "PROXY_SERVER" => ServerType::ProxyServer,
            other => ServerType::Other(other.to_string()),
        }
    }

    /// True for types that are WebSphere JVMs started and stopped with the WAS scripts.
    pub fn is_jvm(&self) -> bool {
        matches!(
            self,
            ServerType::ApplicationServer
                | ServerType::NodeAgent
                | ServerType::DeploymentManager
                | ServerType::ProxyServer
        )
    }
}

impl fmt::Display for ServerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ServerType::ApplicationServer => "APPLICATION_SERVER",
            ServerType::NodeAgent => "NODE_AGENT",
            ServerType::DeploymentManager => "DEPLOYMENT_MANAGER",
            ServerType::WebServer => "WEB_SERVER",
            ServerType::ProxyServer => "PROXY_SERVER",
            ServerType::Other(s) => s,
        })
    }
}

/// A named endpoint of a server (`SOAP_CONNECTOR_ADDRESS` → host:port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// `endPointName`.
    pub name: String,
    /// Host (`*` means all interfaces).
    pub host: String,
    /// Port, if it is a valid port number.
    pub port: Option<u16>,
}

/// One `serverEntries` element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerEntry {
    /// `serverName`.
    pub name: String,
    /// `serverType`.
    pub server_type: ServerType,
    /// Named endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Deployed application paths as written (`Files.ear/deployments/Files`).
    pub deployed_applications: Vec<String>,
    /// Line of the entry.
    pub line: u64,
}

impl ServerEntry {
    /// The endpoint with that name.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// Application names (`Files` from `Files.ear/deployments/Files`).
    pub fn application_names(&self) -> Vec<String> {
        self.deployed_applications
            .iter()
            .map(|a| application_name(a))
            .collect()
    }
}

/// The application name of a `deployedApplications` value: the last path component
/// (`Files.ear/deployments/Files` → `Files`).
pub fn application_name(deployed: &str) -> String {
    deployed
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A parsed `serverindex.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerIndex {
    /// `hostName` of the node.
    pub host_name: Option<String>,
    /// Server entries in file order.
    pub servers: Vec<ServerEntry>,
}

impl ServerIndex {
    /// The entry for a server name.
    pub fn server(&self, name: &str) -> Option<&ServerEntry> {
        self.servers.iter().find(|s| s.name == name)
    }
}

/// Parses `serverindex.xml`. A server entry without `serverName` is an error naming its
/// line.
pub fn parse_serverindex(input: &[u8], file: &Path) -> Result<ServerIndex, ReadError> {
    let root = parse_document(input, file)?;
    expect_root(&root, "ServerIndex", file)?;
    let mut servers = Vec::new();
    for e in root.children_named("serverEntries") {
        servers.push(server_entry(e, file)?);
    }
    Ok(ServerIndex {
        host_name: root.attr_string("hostName"),
        servers,
    })
}

fn server_entry(e: &Element, file: &Path) -> Result<ServerEntry, ReadError> {
    let name = e
        .attr_string("serverName")
        .ok_or_else(|| ReadError::parse(file, Some(e.line), "serverEntries without serverName"))?;
    let server_type = ServerType::parse(e.attr("serverType").unwrap_or_default());
    let endpoints = e
        .children_named("specialEndpoints")
        .filter_map(|se| {
            let ep = se.child("endPoint")?;
            Some(Endpoint {
                name: se.attr_string("endPointName")?,
                host: ep.attr("host").unwrap_or_default().trim().to_string(),
                port: ep.attr("port").and_then(|p| p.trim().parse().ok()),
            })
        })
        .collect();
    let deployed_applications = e
        .children_named("deployedApplications")
        .map(|d| d.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    Ok(ServerEntry {
        name,
        server_type,
        endpoints,
        deployed_applications,
        line: e.line,
    })
}

/// Reads a `serverindex.xml` at a product path through the sysroot.
pub fn read_serverindex(sys: &Sysroot, file: &Path) -> Result<ServerIndex, ReadError> {
    let bytes = sys.read(file)?;
    parse_serverindex(&bytes, file)
}
