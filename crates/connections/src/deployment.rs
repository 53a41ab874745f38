//! The `Deployment`: everything discovery found about one Connections deployment, as data.
//!
//! All paths are *product paths* (what the product itself writes in its configuration),
//! never sysroot-mapped real paths. The serialised form is what `discover --json` prints;
//! the keys the CLI contract promises are kept with exactly those names.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::version::{
    EvidenceSource, Fingerprint, IFixId, OfferingVersion, Release, Version, VersionConflict,
    VersionEvidence,
};

/// One discovered deployment (one cell as seen from this host).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    /// The Connections install, its version and CCM.
    pub connections: ConnectionsInstall,
    /// The WebSphere cell.
    pub was: Was,
    /// Data directories.
    pub data: DataRoots,
    /// The `filenetAdmin` J2C user (step 3 of the procedure).
    pub filenet_admin: FilenetAdmin,
    /// Installation Manager directories.
    pub installation_manager: InstallationManager,
    /// Databases the datasources point at, deduplicated by host, port and name.
    pub databases: Vec<Database>,
    /// Security-role mappings read from the application bindings.
    pub role_mappings: Vec<AppRoleMappings>,
    /// The cell's web servers (IBM HTTP Server and the WebSphere plug-in): their files on
    /// this host, or where they live when elsewhere.
    #[serde(default)]
    pub web_servers: Vec<WebServer>,
    /// The Tivoli Directory Integrator solution that keeps Profiles in sync with LDAP, when
    /// configured (`[tdi]`).
    #[serde(default)]
    pub tdi: Option<Tdi>,
    /// Where each root came from, keyed by the dotted JSON key (`data.shared_root`).
    pub provenance: BTreeMap<String, Provenance>,
    /// Things that could not be read or did not agree; the facts concerned are unknown.
    pub warnings: Vec<Warning>,
}

/// How a fact was established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// What it was read from (`profileRegistry.xml`, `variable CONNECTIONS_PROVISION_PATH`,
    /// `installed.xml`, `configuration`, `convention`).
    pub source: String,
    /// The product path of the file it was read from, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// True when the value is a documented default, not read from the deployment.
    pub assumed: bool,
}

impl Provenance {
    /// A value read from `file`.
    pub fn read(source: impl Into<String>, file: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            file: Some(file.into()),
            assumed: false,
        }
    }

    /// A value given by the administrator's configuration.
    pub fn configured() -> Self {
        Self {
            source: "configuration".into(),
            file: None,
            assumed: false,
        }
    }

    /// A convention from the documentation, used because nothing better was found.
    pub fn assumed(why: impl Into<String>) -> Self {
        Self {
            source: why.into(),
            file: None,
            assumed: true,
        }
    }
}

/// Something discovery could not establish, with the file (and line) concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The product path of the file concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The 1-based line, when the parser knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What went wrong and which fact is therefore unknown.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{file}:{line}: {}", self.message),
            (Some(file), None) => write!(f, "{file}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The Connections install.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConnectionsInstall {
    /// `connections_root`.
    pub root: String,
    /// The installed version and its evidence.
    pub version: VersionInfo,
    /// Connections Content Manager.
    pub ccm: Ccm,
}

/// The installed version as discovered: the contract keys (`release`, `cr`, `ifixes`) plus
/// the exact offering version, the evidence and any disagreement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Release for the restore rules (`"6.5"` for 6.0 CR6 and later); null when unknown.
    pub release: Option<Release>,
    /// CR level; null for GA or unknown.
    pub cr: Option<u32>,
    /// Installed iFixes, sorted.
    pub ifixes: Vec<IFixId>,
    /// The exact offering version (`8.0.0.0_CR14`), when known.
    pub offering: Option<OfferingVersion>,
    /// The source the offering version was taken from.
    pub basis: Option<EvidenceSource>,
    /// Whether the iFix list was read (false: `version/` was missing or unreadable).
    pub ifixes_known: bool,
    /// Every source read and its value.
    pub evidence: VersionEvidence,
    /// Disagreements between sources (also reported as warnings).
    pub conflicts: Vec<VersionConflict>,
    /// The WebSphere ND package version IIM records.
    pub was_version: Option<String>,
    /// SHA-256 of the `provision/webresources` listing, when it could be read.
    pub webresources_sha256: Option<String>,
}

impl VersionInfo {
    /// No version evidence at all (nothing installed).
    pub fn unknown() -> Self {
        Self {
            release: None,
            cr: None,
            ifixes: Vec::new(),
            offering: None,
            basis: None,
            ifixes_known: false,
            evidence: VersionEvidence::default(),
            conflicts: Vec::new(),
            was_version: None,
            webresources_sha256: None,
        }
    }

    /// The fingerprint of the exact version, when the version is known.
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.version().map(|v| {
            Fingerprint::new(
                &v,
                self.was_version.clone(),
                self.webresources_sha256.clone(),
            )
        })
    }

    /// The exact version, when known.
    pub fn version(&self) -> Option<Version> {
        self.offering
            .as_ref()
            .map(|o| Version::new(o.clone(), self.ifixes.iter().cloned()))
    }
}

/// Connections Content Manager (FileNet).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Ccm {
    /// Whether CCM is installed.
    pub installed: bool,
    /// What showed it (or its absence): `Engine-ws.ear directory`, `filenetAdmin alias`,
    /// `FNGCD datasource`, ...
    pub evidence: Vec<String>,
    /// The directory holding `Engine-ws.ear` for this release.
    pub engine_ws_ear_dir: Option<String>,
    /// Whether that directory exists.
    pub engine_ws_ear_found: bool,
    /// The FileNet storage area (`[ccm] storage_area`, a WebSphere variable naming it, or
    /// the documented default `<shared_data_directory_root>/ccm`).
    pub storage_area: Option<String>,
    /// Whether that directory exists on this host.
    #[serde(default)]
    pub storage_area_found: bool,
    /// True when the storage area is outside the shared data root (then step 2 must copy it
    /// separately).
    pub storage_outside_shared_data: bool,
    /// The FileNet databases found among the datasources (FNGCD, FNOS).
    pub databases: Vec<String>,
}

/// The WebSphere side.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Was {
    /// `app_server_root`.
    pub app_server_root: String,
    /// Cell name.
    pub cell: String,
    /// WebSphere ND version from IIM, if known.
    pub version: Option<String>,
    /// Profiles from `profileRegistry.xml`.
    pub profiles: Vec<Profile>,
    /// Nodes of the cell with their servers.
    pub nodes: Vec<Node>,
    /// Clusters of the cell.
    pub clusters: Vec<Cluster>,
    /// The product path of `profileRegistry.xml`.
    pub profile_registry: String,
}

impl Was {
    /// The deployment manager profile, if one is registered.
    pub fn dmgr_profile(&self) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.kind == ProfileType::Dmgr)
    }

    /// Every server with its node, in node order.
    pub fn servers(&self) -> impl Iterator<Item = &Server> {
        self.nodes.iter().flat_map(|n| n.servers.iter())
    }
}

/// The type of a WebSphere profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileType {
    /// Deployment manager (`DEPLOYMENT_MANAGER`).
    Dmgr,
    /// An application-server profile federated into the cell (it has a node agent).
    Managed,
    /// An application-server profile on its own.
    Standalone,
}

/// One WebSphere profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// Profile name (`Dmgr01`).
    pub name: String,
    /// Profile directory.
    pub path: String,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ProfileType,
    /// The node this profile holds, when known.
    pub node: Option<String>,
    /// Whether the profile directory exists.
    pub exists: bool,
}

/// One node of the cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// Node name.
    pub name: String,
    /// Host name from `serverindex.xml`.
    pub host: Option<String>,
    /// The profile on this host that holds the node, if any.
    pub profile: Option<String>,
    /// Servers of the node.
    pub servers: Vec<Server>,
}

/// The kind of a WebSphere server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerType {
    /// An application server (JVM hosting Connections applications).
    ApplicationServer,
    /// A node agent.
    NodeAgent,
    /// The deployment manager.
    DeploymentManager,
    /// A web server definition (not a JVM; never stopped as one).
    WebServer,
    /// Anything else.
    Other,
}

/// One server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Server {
    /// Server name.
    pub name: String,
    /// Its node.
    pub node: String,
    /// Host name of its node.
    pub host: Option<String>,
    /// Its type.
    #[serde(rename = "type")]
    pub kind: ServerType,
    /// The cluster it is a member of.
    pub cluster: Option<String>,
    /// Applications deployed on it (`Files`), from `serverindex.xml`.
    pub applications: Vec<String>,
}

/// One cluster.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cluster {
    /// Cluster name.
    pub name: String,
    /// Members as (node, server).
    pub members: Vec<ClusterMember>,
}

/// A cluster member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterMember {
    /// Node name.
    pub node: String,
    /// Server name.
    pub server: String,
}

/// Data directories.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataRoots {
    /// `shared_data_directory_root`.
    pub shared_root: String,
    /// `local_data_directory_root`.
    pub local_root: String,
    /// `CONNECTIONS_PROVISION_PATH`.
    pub provision: String,
    /// `CONNECTIONS_CUSTOMIZATION_PATH`.
    pub customization: String,
    /// Per-application content directories by variable name (`FILES_CONTENT_DIR`).
    pub content_dirs: BTreeMap<String, String>,
}

/// The `filenetAdmin` J2C alias and its user.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FilenetAdmin {
    /// The alias's user id; null when the alias is absent or security.xml unreadable.
    pub user_id: Option<String>,
    /// Whether the user is a local file-registry user (unique name in
    /// `o=defaultWIMFileBasedRealm`).
    pub in_file_registry: bool,
    /// The user's unique name in the file registry, when found there.
    pub unique_name: Option<String>,
    /// The cell's `fileRegistry.xml`.
    pub file_registry: Option<String>,
}

/// Installation Manager directories.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstallationManager {
    /// IIM install directory (`/opt/IBM/InstallationManager`).
    pub install_dir: String,
    /// IIM agent data directory (`/var/ibm/InstallationManager`).
    pub data_dir: String,
    /// IMShared (`shared_resources_root`).
    pub shared_dir: String,
    /// The owning user of a non-root install; null for an admin (root) install.
    pub non_root_user: Option<String>,
    /// How the data directory was found: `default location`, or the registry file
    /// (`InstallationManager.dat`) naming it; null when none was found.
    #[serde(default)]
    pub found_by: Option<String>,
    /// The other Installation Managers on this host (not the one that installed
    /// Connections), with what each one installed. Not backed up.
    #[serde(default)]
    pub others: Vec<OtherInstallationManager>,
}

/// An Installation Manager that did not install Connections (an admin IIM that installed
/// IBM HTTP Server, for example).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherInstallationManager {
    /// Its agent data directory.
    pub data_dir: String,
    /// How it was found.
    pub found_by: String,
    /// The owning user of a non-root install.
    pub non_root_user: Option<String>,
    /// The package ids its `installed.xml` records.
    pub packages: Vec<String>,
}

/// The database vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DbVendor {
    /// IBM Db2.
    Db2,
    /// Oracle.
    Oracle,
    /// Microsoft SQL Server.
    Sqlserver,
}

impl fmt::Display for DbVendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbVendor::Db2 => "db2",
            DbVendor::Oracle => "oracle",
            DbVendor::Sqlserver => "sqlserver",
        })
    }
}

/// One web server of the cell: IBM HTTP Server and the WebSphere plug-in, from the web
/// server definition in the cell (or, without one, from the Installation Manager that
/// installed IHS on this host), with the files each needs on this host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebServer {
    /// The web server definition's name (`webserver1`), or the IIM location's id when the
    /// cell defines none.
    pub name: String,
    /// Its node in the cell (empty when the cell defines none).
    pub node: String,
    /// The node's host name.
    pub host: Option<String>,
    /// How it was found: `cell definition <server.xml>` or `Installation Manager <data dir>`.
    pub found_by: String,
    /// The cell's definition (`server.xml` of the web server), when the cell has one: a
    /// backup set carries it to the web server's own host, which has no cell configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<WebDefinition>,
    /// Whether IBM HTTP Server is installed on this host (its install root exists here).
    pub on_this_host: bool,
    /// IHS install root.
    pub install_root: String,
    /// Its `httpd.conf`.
    pub config_file: String,
    /// IHS version (`properties/version/IHS.product`, else IIM's record).
    pub version: Option<String>,
    /// The plug-in's install root.
    pub plugin_install_root: Option<String>,
    /// The plug-in's `plugin-cfg.xml` (`WebSpherePluginConfig` of httpd.conf, else the
    /// definition's `RemoteConfigFilename`).
    pub plugin_config_file: Option<String>,
    /// Plug-in version (`properties/version/PLG.product`, else IIM's record).
    pub plugin_version: Option<String>,
    /// What the `web_server` component backs up: the configuration directory, the files it
    /// includes, its key databases with their stash files, and the agent data of the
    /// Installation Manager that installed IHS (when not the one of Connections).
    pub server_paths: Vec<String>,
    /// What the `web_plugin` component backs up: `plugin-cfg.xml`'s directory, the
    /// plug-in's key database and stash file, its log directory, and the agent data of the
    /// Installation Manager that installed it (when not already listed).
    pub plugin_paths: Vec<String>,
}

/// The profile sync solution (Tivoli Directory Integrator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tdi {
    /// The solution directory (`tdisol`).
    pub solution_dir: String,
    /// The TDI install, when it is on this host.
    pub install_dir: Option<String>,
}

/// A web server definition of the cell: the `server.xml` it was read from and what it says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebDefinition {
    /// Product path of the definition's `server.xml`.
    pub file: String,
    /// Its attributes (install roots, configuration file, plug-in files).
    pub info: websphere::WebServerInfo,
}

/// One database (for Oracle: one database holding one schema per application).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Database {
    /// Database name (DB2/SQL Server `databaseName`; Oracle SID or service name).
    pub name: String,
    /// Vendor.
    pub vendor: DbVendor,
    /// Database host.
    pub host: Option<String>,
    /// Database port.
    pub port: Option<u16>,
    /// Oracle schemas (the datasources' users), sorted; empty for other vendors.
    pub schemas: Vec<String>,
    /// Datasource names that use this database, sorted.
    pub datasources: Vec<String>,
}

/// The role mappings of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRoleMappings {
    /// Application name (`Files`).
    pub application: String,
    /// The bindings file it was read from.
    pub file: String,
    /// Roles.
    pub roles: Vec<RoleMapping>,
}

/// One security role and who is mapped to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Role name.
    pub role: String,
    /// Mapped to everyone.
    pub everyone: bool,
    /// Mapped to all authenticated users.
    pub all_authenticated: bool,
    /// Mapped users.
    pub users: Vec<String>,
    /// Mapped groups.
    pub groups: Vec<String>,
}
