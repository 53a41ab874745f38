//! What server control needs to know about the cell on this host: the profiles (with real
//! paths, for running their scripts and reading PID files) and the servers each hosts.

use std::path::PathBuf;

use connections::deployment::{self, Deployment};
use serde::Serialize;
use websphere::Sysroot;

/// The kind of profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileKind {
    /// Deployment manager profile (hosts `dmgr`).
    Dmgr,
    /// Federated application-server profile (hosts a `nodeagent` and servers).
    Managed,
    /// Stand-alone application-server profile.
    Standalone,
}

/// The kind of server, as far as stopping and starting goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// An application server (`stopServer.sh <name>`), stopped first.
    ApplicationServer,
    /// The node agent (`stopNode.sh`), stopped after the servers.
    NodeAgent,
    /// The deployment manager (`stopManager.sh`), stopped last.
    DeploymentManager,
    /// A web server definition: not a JVM, never stopped or started here.
    WebServer,
    /// Any other server type: left alone and reported as skipped.
    Other,
}

impl ServerKind {
    /// Whether this kind is a JVM this module stops, starts and checks.
    pub fn is_managed(self) -> bool {
        matches!(
            self,
            ServerKind::ApplicationServer | ServerKind::NodeAgent | ServerKind::DeploymentManager
        )
    }

    /// The stop and start scripts (without `.sh`) for this kind.
    pub(crate) fn scripts(self) -> Option<(&'static str, &'static str)> {
        match self {
            ServerKind::ApplicationServer => Some(("stopServer", "startServer")),
            ServerKind::NodeAgent => Some(("stopNode", "startNode")),
            ServerKind::DeploymentManager => Some(("stopManager", "startManager")),
            ServerKind::WebServer | ServerKind::Other => None,
        }
    }
}

/// One server on one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlServer {
    /// Server name (`dmgr`, `nodeagent`, `Apps_server1`).
    pub name: String,
    /// Its type.
    pub kind: ServerKind,
    /// Its node.
    pub node: String,
    /// The cluster it belongs to, if any (reported only).
    pub cluster: Option<String>,
}

/// One profile on this host and the servers it hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlProfile {
    /// Profile name (`Dmgr01`).
    pub name: String,
    /// The profile directory as the product knows it (`/opt/IBM/.../profiles/Dmgr01`).
    pub product_path: PathBuf,
    /// The same directory on this machine (differs from `product_path` under a sysroot):
    /// scripts are run and PID files read here.
    pub path: PathBuf,
    /// Its type.
    pub kind: ProfileKind,
    /// Servers hosted by this profile.
    pub servers: Vec<ControlServer>,
}

/// The profiles and servers to control on this host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ControlTopology {
    /// Profiles, in discovery order.
    pub profiles: Vec<ControlProfile>,
}

impl ControlTopology {
    /// Every (profile, server) pair.
    pub fn servers(&self) -> impl Iterator<Item = (&ControlProfile, &ControlServer)> {
        self.profiles
            .iter()
            .flat_map(|p| p.servers.iter().map(move |s| (p, s)))
    }

    /// The topology of the local profiles of a deployment, on the host (no sysroot).
    pub fn from_deployment_on_host(dep: &Deployment) -> ControlTopology {
        ControlTopology::from_deployment(dep, &Sysroot::host())
    }

    /// The topology of the profiles of `dep` that exist on this host, with their paths
    /// mapped through `sys`. Servers come from the node each profile holds; a deployment
    /// manager profile always gets its `dmgr` and a managed profile its `nodeagent`, even
    /// when `serverindex.xml` did not list them (they exist by construction).
    pub fn from_deployment(dep: &Deployment, sys: &Sysroot) -> ControlTopology {
        let mut profiles = Vec::new();
        for p in dep.was.profiles.iter().filter(|p| p.exists) {
            let kind = match p.kind {
                deployment::ProfileType::Dmgr => ProfileKind::Dmgr,
                deployment::ProfileType::Managed => ProfileKind::Managed,
                deployment::ProfileType::Standalone => ProfileKind::Standalone,
            };
            let node = dep.was.nodes.iter().find(|n| {
                n.profile.as_deref() == Some(p.name.as_str())
                    || p.node.as_deref() == Some(n.name.as_str())
            });
            let node_name = node
                .map(|n| n.name.clone())
                .or_else(|| p.node.clone())
                .unwrap_or_default();
            let mut servers: Vec<ControlServer> = node
                .map(|n| {
                    n.servers
                        .iter()
                        .map(|s| ControlServer {
                            name: s.name.clone(),
                            kind: kind_of(s.kind),
                            node: s.node.clone(),
                            cluster: s.cluster.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            add_implied_server(&mut servers, kind, &node_name);
            let product_path = PathBuf::from(&p.path);
            // A profile that cannot be mapped keeps its product path: the scripts will then
            // be reported missing, which names the problem.
            let path = sys
                .real_path(&product_path)
                .unwrap_or_else(|_| product_path.clone());
            profiles.push(ControlProfile {
                name: p.name.clone(),
                product_path,
                path,
                kind,
                servers,
            });
        }
        ControlTopology { profiles }
    }
}

impl From<&Deployment> for ControlTopology {
    fn from(dep: &Deployment) -> ControlTopology {
        ControlTopology::from_deployment_on_host(dep)
    }
}

fn kind_of(t: deployment::ServerType) -> ServerKind {
    match t {
        deployment::ServerType::ApplicationServer => ServerKind::ApplicationServer,
        deployment::ServerType::NodeAgent => ServerKind::NodeAgent,
        deployment::ServerType::DeploymentManager => ServerKind::DeploymentManager,
        deployment::ServerType::WebServer => ServerKind::WebServer,
        deployment::ServerType::Other => ServerKind::Other,
    }
}

/// A deployment manager profile always has its `dmgr` and a managed profile its `nodeagent`
/// (they exist by construction), even when the configuration read did not list them.
pub(crate) fn add_implied_server(servers: &mut Vec<ControlServer>, kind: ProfileKind, node: &str) {
    let implied = match kind {
        ProfileKind::Dmgr => Some(("dmgr", ServerKind::DeploymentManager)),
        ProfileKind::Managed => Some(("nodeagent", ServerKind::NodeAgent)),
        ProfileKind::Standalone => None,
    };
    if let Some((name, k)) = implied {
        if !servers.iter().any(|s| s.kind == k) {
            servers.push(ControlServer {
                name: name.to_owned(),
                kind: k,
                node: node.to_owned(),
                cluster: None,
            });
        }
    }
}
