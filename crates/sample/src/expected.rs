//! The truth a sample was built with, as plain serde data.
//!
//! Tests compare discovery output against these fields one by one instead of hard-coding
//! values. Every path is a *product* path (`/opt/IBM/...`), exactly as the files inside the
//! sample name it; join it under the sysroot with [`crate::Sample::real_path`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Everything a sample deployment was built with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The variant id (`Variant::name`).
    pub variant: String,
    /// The host name of the first node (the host a backup would run on).
    pub primary_host: String,
    /// Connections install and version.
    pub connections: ConnectionsTruth,
    /// WebSphere cell, profiles, nodes, servers, clusters.
    pub was: WasTruth,
    /// Data roots and the paths WAS variables point at.
    pub data: DataTruth,
    /// The user in the `filenetAdmin` J2C alias.
    pub filenet_admin: FilenetAdminTruth,
    /// Installation Manager directories.
    pub installation_manager: InstallationManagerTruth,
    /// The distinct databases behind the datasources (grouped by host, port, name).
    pub databases: Vec<DatabaseTruth>,
    /// The vendor database tool stand-ins installed in the sample.
    pub db_tools: DbToolsTruth,
    /// Security role mappings per application name.
    pub role_mappings: BTreeMap<String, Vec<RoleMapping>>,
    /// Deployed applications and their target cluster.
    pub applications: Vec<ApplicationTruth>,
}

impl Expected {
    /// The distinct host names of the nodes, sorted (a multi-host cell backs up per host).
    pub fn hosts(&self) -> Vec<String> {
        let mut h: Vec<String> = self.was.nodes.iter().map(|n| n.host.clone()).collect();
        h.sort();
        h.dedup();
        h
    }

    /// The profiles whose node lives on `host`.
    pub fn profiles_on_host(&self, host: &str) -> Vec<&ProfileTruth> {
        self.was
            .profiles
            .iter()
            .filter(|p| {
                self.was
                    .nodes
                    .iter()
                    .any(|n| n.name == p.node && n.host == host)
            })
            .collect()
    }
}

/// Connections install facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionsTruth {
    /// `connections_root`, e.g. `/opt/IBM/Connections`.
    pub root: String,
    /// The effective release (`"8.0"`, `"6.5"` for 6.0 CR6, ...).
    pub release: String,
    /// The CR number, `None` for a GA build.
    pub cr: Option<u32>,
    /// The IIM offering version, e.g. `8.0.0.0_CR3`.
    pub offering_version: String,
    /// Installed iFix ids, sorted.
    pub ifixes: Vec<String>,
    /// `buildlevel` of `LotusConnections-config.xml`.
    pub buildlevel: String,
    /// The third field of the `Build:` line of `bin/uninstall-launcher.sh`.
    pub launcher_build: String,
    /// The IIM profile id (`IBM Connections` / `HCL Connections`).
    pub iim_profile_id: String,
    /// CCM presence and paths.
    pub ccm: CcmTruth,
}

/// Connections Content Manager (FileNet) facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CcmTruth {
    /// Whether CCM is installed.
    pub installed: bool,
    /// The directory holding `Engine-ws.ear`.
    pub engine_ws_ear_dir: Option<String>,
    /// The FileNet storage area.
    pub storage_dir: Option<String>,
}

/// WebSphere facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasTruth {
    /// `app_server_root`.
    pub app_server_root: String,
    /// The WAS ND version, e.g. `8.5.5.24`.
    pub version: String,
    /// The cell name.
    pub cell: String,
    /// Profiles as listed in `profileRegistry.xml`.
    pub profiles: Vec<ProfileTruth>,
    /// Nodes, including the dmgr's node.
    pub nodes: Vec<NodeTruth>,
    /// Every server entry (dmgr, node agents, application servers, web servers).
    pub servers: Vec<ServerTruth>,
    /// Clusters and their members.
    pub clusters: Vec<ClusterTruth>,
    /// The WebSphere administrator the stand-in scripts accept.
    pub admin: AdminCredentials,
}

impl WasTruth {
    /// The profile that hosts a node.
    pub fn profile_of_node(&self, node: &str) -> Option<&ProfileTruth> {
        let node = self.nodes.iter().find(|n| n.name == node)?;
        self.profiles.iter().find(|p| p.name == node.profile)
    }
}

/// Kind of WebSphere profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileType {
    /// Deployment manager profile.
    Dmgr,
    /// Application server profile federated into the cell (has a node agent).
    Managed,
    /// Application server profile not federated.
    Standalone,
}

/// One WebSphere profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileTruth {
    /// Profile name (`Dmgr01`, `AppSrv01`).
    pub name: String,
    /// Profile path.
    pub path: String,
    /// Profile type.
    #[serde(rename = "type")]
    pub profile_type: ProfileType,
    /// The node this profile hosts.
    pub node: String,
}

/// One node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeTruth {
    /// Node name.
    pub name: String,
    /// `hostName` of its `serverindex.xml`.
    pub host: String,
    /// The profile hosting it.
    pub profile: String,
}

/// Kind of server entry (`serverType` in `serverindex.xml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerType {
    /// `DEPLOYMENT_MANAGER`.
    DeploymentManager,
    /// `NODE_AGENT`.
    NodeAgent,
    /// `APPLICATION_SERVER`.
    ApplicationServer,
    /// `WEB_SERVER` (a web server definition, not a JVM).
    WebServer,
}

impl ServerType {
    /// The `serverType` attribute value.
    pub fn as_was(self) -> &'static str {
        match self {
            ServerType::DeploymentManager => "DEPLOYMENT_MANAGER",
            ServerType::NodeAgent => "NODE_AGENT",
            ServerType::ApplicationServer => "APPLICATION_SERVER",
            ServerType::WebServer => "WEB_SERVER",
        }
    }

    /// Whether this entry is a JVM the control scripts start and stop.
    pub fn is_jvm(self) -> bool {
        !matches!(self, ServerType::WebServer)
    }
}

/// One server entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTruth {
    /// Server name.
    pub name: String,
    /// Node name.
    pub node: String,
    /// Host name of its node.
    pub host: String,
    /// Server type.
    #[serde(rename = "type")]
    pub server_type: ServerType,
    /// Cluster it is a member of.
    pub cluster: Option<String>,
    /// Profile hosting it.
    pub profile: String,
}

/// One cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterTruth {
    /// Cluster name.
    pub name: String,
    /// Members as (node, server).
    pub members: Vec<ClusterMember>,
}

/// A cluster member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMember {
    /// Node name.
    pub node: String,
    /// Server name.
    pub server: String,
}

/// A password held in memory: `Debug` prints `<redacted>`, and it is never serialized.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The WebSphere administrator. The password is never printed by `Debug` and never
/// serialized; read it with [`AdminCredentials::password`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminCredentials {
    /// User name (`-username`).
    pub username: String,
    #[serde(skip)]
    password: String,
}

impl AdminCredentials {
    /// Credentials for the stand-ins.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The password (`-password`). Do not log it.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Data roots and variable-driven paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataTruth {
    /// `shared_data_directory_root`.
    pub shared_root: String,
    /// `local_data_directory_root`.
    pub local_root: String,
    /// `CONNECTIONS_PROVISION_PATH`.
    pub provision_path: String,
    /// `CONNECTIONS_CUSTOMIZATION_PATH`.
    pub customization_path: String,
    /// Resolved values of the cell-scope Connections variables (name → path).
    pub variables: BTreeMap<String, String>,
}

/// The `filenetAdmin` J2C alias.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilenetAdminTruth {
    /// `userId` of the alias, `None` when there is no such alias.
    pub user_id: Option<String>,
    /// The user's unique name (file realm or LDAP DN).
    pub unique_name: Option<String>,
    /// Whether the unique name ends in `o=defaultWIMFileBasedRealm`.
    pub in_file_registry: bool,
}

/// Installation Manager directories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationManagerTruth {
    /// IIM install dir (`/opt/IBM/InstallationManager`).
    pub install_dir: String,
    /// Agent data dir (`/var/ibm/InstallationManager`).
    pub data_dir: String,
    /// `shared_resources_root` (`/opt/IBM/IMShared`).
    pub shared_dir: String,
    /// The non-root user owning the install, if any.
    pub non_root_user: Option<String>,
    /// How discovery finds the agent data directory: `default location` or the registry
    /// file (`InstallationManager.dat`) that leads to it.
    pub found_by: String,
    /// Agent data directories of the other Installation Managers on the host (one that
    /// installed only IBM HTTP Server), which a backup must not take for Connections'.
    #[serde(default)]
    pub others: Vec<String>,
}

/// Database vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbVendor {
    /// IBM DB2.
    Db2,
    /// Oracle.
    Oracle,
    /// Microsoft SQL Server.
    Sqlserver,
}

impl DbVendor {
    /// `db2`, `oracle`, `sqlserver`.
    pub fn as_str(self) -> &'static str {
        match self {
            DbVendor::Db2 => "db2",
            DbVendor::Oracle => "oracle",
            DbVendor::Sqlserver => "sqlserver",
        }
    }
}

/// One database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseTruth {
    /// Database name (DB2/SQL Server) or SID (Oracle).
    pub name: String,
    /// Vendor.
    pub vendor: DbVendor,
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Applications (installer keys) using it.
    pub apps: Vec<String>,
    /// Oracle schema users inside it (empty for DB2/SQL Server).
    pub schemas: Vec<String>,
}

/// Vendor tool stand-ins, as product paths inside the sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbToolsTruth {
    /// Vendor of every database of the sample.
    pub vendor: DbVendor,
    /// The main tool (`db2`, `sqlcmd`, `expdp`).
    pub command: String,
    /// The verification tool (`db2ckbkp`), if the vendor has one.
    pub verify_command: Option<String>,
    /// The restore tool when it differs from `command` (`impdp`).
    pub restore_command: Option<String>,
    /// Oracle only: the RMAN stand-in (physical backup of the whole database).
    pub rman_command: Option<String>,
    /// DB2 instance owner (`db2inst1`).
    pub instance: Option<String>,
    /// OS user the tool is normally run as.
    pub run_as: Option<String>,
    /// User for `sqlcmd -U` / `expdp user/...` (none for DB2).
    pub username: Option<String>,
    /// Password for `username`; never serialized or printed.
    #[serde(skip)]
    pub(crate) password: Option<Secret>,
    /// Oracle directory object name and the path it maps to.
    pub oracle_directory: Option<(String, String)>,
}

impl DbToolsTruth {
    /// The database password for `username`. Do not log it.
    pub fn password(&self) -> Option<&str> {
        self.password.as_ref().map(Secret::expose)
    }
}

/// The security-role-to-user/group mapping of one role of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Role name.
    pub role: String,
    /// Mapped to the special subject Everyone.
    pub everyone: bool,
    /// Mapped to All Authenticated users.
    pub all_authenticated: bool,
    /// Mapped user names.
    pub users: Vec<String>,
    /// Mapped group names.
    pub groups: Vec<String>,
}

/// A deployed application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationTruth {
    /// Application (EAR base) name, e.g. `Files`.
    pub name: String,
    /// Cluster it is deployed to.
    pub cluster: String,
    /// The bindings file name (`ibm-application-bnd.xmi` or `.xml`).
    pub bindings_file: String,
}
