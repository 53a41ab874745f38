//! The set document and what a member snapshot holds.

use std::collections::{BTreeMap, BTreeSet};

use connections::deployment::{Deployment, ProfileType, ServerType};
use connections::version::Version;
use serde::{Deserialize, Serialize, Serializer};

use crate::manifest::{Manifest, Status, StepStatus};
use crate::plan::{Action, Component, Plan, PlanOptions};

/// Version of the set document's layout; a reader refuses a greater one.
pub const SET_DOCUMENT_VERSION: u32 = 1;

/// What a host of the cell is there for (a host may have several roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetHostRole {
    /// Holds the deployment manager profile.
    DeploymentManager,
    /// Holds a federated node (node agent and application servers).
    Node,
    /// Holds a web server (IBM HTTP Server) of the cell.
    WebServer,
    /// Backs up the shared data for the whole set.
    SharedData,
    /// Backs up the databases for the whole set.
    Databases,
}

/// One host of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetHost {
    /// Host name as the cell configuration names it (`serverindex.xml` `hostName`).
    pub name: String,
    /// Its roles, sorted.
    pub roles: Vec<SetHostRole>,
    /// The cell's nodes on it.
    #[serde(default)]
    pub nodes: Vec<String>,
}

/// A database of the set (backed up once, by the databases host).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDatabase {
    /// Database name.
    pub name: String,
    /// `db2`, `oracle` or `sqlserver`.
    pub vendor: String,
    /// Database server host as the datasources name it.
    pub host: String,
    /// Port.
    pub port: Option<u16>,
    /// Oracle: the schemas (one per application) in it.
    #[serde(default)]
    pub schemas: Vec<String>,
}

/// The cell-wide stop: from the moment the last server of the cell was stopped to the moment
/// the first was started again (Unix nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellStop {
    /// When every server of every host was stopped.
    pub stopped_ns: i64,
    /// When the first server was started again; `None` while the cell is still down.
    pub started_ns: Option<i64>,
}

/// The set document: the cell's hosts and who holds what.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SetDocument {
    /// [`SET_DOCUMENT_VERSION`].
    pub format_version: u32,
    /// The set id (members carry the tag `set:<id>`).
    pub set: String,
    /// The WebSphere cell.
    pub cell: String,
    /// When it was planned (Unix nanoseconds).
    pub planned_ns: i64,
    /// The host that planned it.
    pub planned_by: String,
    /// Every host that must have a member, in cell order.
    pub hosts: Vec<SetHost>,
    /// The host that backs up the shared data.
    pub shared_data_host: String,
    /// The host that backs up the databases.
    pub databases_host: String,
    /// The databases the cell's datasources use.
    pub databases: Vec<SetDatabase>,
    /// The file components of the cell (the backup plan's, as the planning host discovers
    /// the deployment, the shared data aside): each must be held by some member, wherever
    /// it lives (the install on the dmgr host, customization on the node hosts).
    #[serde(default)]
    pub components: Vec<Component>,
    /// The Connections version the planning host saw.
    pub connections_version: Option<String>,
    /// The same version with its evidence: a databases-only host records it in its
    /// manifest, as it reads no Connections install of its own.
    #[serde(default)]
    pub version_info: Option<connections::deployment::VersionInfo>,
    /// The cell-wide stop, once recorded.
    #[serde(default)]
    pub stop: Option<CellStop>,
    /// The cell's web servers as the planning host discovered them (with their
    /// definitions): a web server's own host has no cell configuration and finds its
    /// files from these.
    #[serde(default)]
    pub web_servers: Vec<connections::deployment::WebServer>,
}

impl SetDocument {
    /// Plans the set of the cell `dep` describes (as the deployment manager's host sees it):
    /// one host per distinct node host name, plus the web servers' hosts and the two hosts
    /// named for the shared data and the databases.
    pub fn plan(
        dep: &Deployment,
        set: &str,
        planned_by: &str,
        shared_data_host: &str,
        databases_host: &str,
    ) -> SetDocument {
        let mut hosts: Vec<SetHost> = Vec::new();
        let mut add = |name: &str, role: SetHostRole, node: Option<&str>| {
            // a host named by its short name is the cell's host of that name
            let i = match hosts.iter().position(|h| same_host(&h.name, name)) {
                Some(i) => i,
                None => {
                    hosts.push(SetHost {
                        name: name.to_owned(),
                        roles: Vec::new(),
                        nodes: Vec::new(),
                    });
                    hosts.len() - 1
                }
            };
            let h = &mut hosts[i];
            if !h.roles.contains(&role) {
                h.roles.push(role);
                h.roles.sort();
            }
            if let Some(n) = node.filter(|n| !h.nodes.iter().any(|x| x == n)) {
                h.nodes.push(n.to_owned());
            }
        };
        for n in &dep.was.nodes {
            let Some(host) = n.host.as_deref() else {
                continue;
            };
            let has = |kind: ServerType| n.servers.iter().any(|s| s.kind == kind);
            let profile = dep
                .was
                .profiles
                .iter()
                .find(|p| n.profile.as_deref() == Some(p.name.as_str()));
            if has(ServerType::DeploymentManager)
                || profile.is_some_and(|p| p.kind == ProfileType::Dmgr)
            {
                add(host, SetHostRole::DeploymentManager, Some(&n.name));
            } else if has(ServerType::NodeAgent) || has(ServerType::ApplicationServer) {
                add(host, SetHostRole::Node, Some(&n.name));
            } else if has(ServerType::WebServer) {
                add(host, SetHostRole::WebServer, Some(&n.name));
            }
        }
        add(shared_data_host, SetHostRole::SharedData, None);
        add(databases_host, SetHostRole::Databases, None);
        let named = |h: &str| {
            hosts
                .iter()
                .find(|x| same_host(&x.name, h))
                .map_or_else(|| h.to_owned(), |x| x.name.clone())
        };
        let (shared_data_host, databases_host) = (named(shared_data_host), named(databases_host));
        // the cell's order: the dmgr's host, the node hosts, the web servers, the others
        hosts.sort_by_key(|h| h.roles.first().copied());
        SetDocument {
            format_version: SET_DOCUMENT_VERSION,
            set: set.to_owned(),
            cell: dep.was.cell.clone(),
            planned_ns: vault::now_unix_ns(),
            planned_by: planned_by.to_owned(),
            hosts,
            shared_data_host,
            databases_host,
            databases: dep
                .databases
                .iter()
                .map(|d| SetDatabase {
                    name: d.name.clone(),
                    vendor: d.vendor.to_string(),
                    host: d.host.clone().unwrap_or_default(),
                    port: d.port,
                    schemas: d.schemas.clone(),
                })
                .collect(),
            components: cell_components(dep),
            connections_version: dep.connections.version.version().map(|v| v.to_string()),
            version_info: Some(dep.connections.version.clone()),
            stop: None,
            web_servers: dep.web_servers.clone(),
        }
    }
}

/// The file components the backup plan of `dep` holds, and the web tier of the web servers
/// the cell defines (held by their hosts), the shared data aside: it and what
/// lies inside its root (`provision`, a CCM storage area there) are held once, by the
/// shared-data host, and checked on their own. (A host that does not see CCM installed
/// backs its storage area up as part of the shared data.)
fn cell_components(dep: &Deployment) -> Vec<Component> {
    let plan = Plan::build(dep, &PlanOptions::default());
    let shared_root = dep.data.shared_root.as_str();
    let mut components: BTreeSet<Component> = plan
        .steps
        .iter()
        .filter(|s| s.runs && s.action == Action::BackupFiles)
        .filter(|s| !s.in_shared_data(shared_root))
        .filter_map(|s| s.component)
        .collect();
    // a web server the cell defines is backed up on its own host, wherever that is
    if dep.web_servers.iter().any(|w| w.definition.is_some()) {
        components.extend([Component::WebServer, Component::WebPlugin]);
    }
    components.into_iter().collect()
}

/// Whether two host names name the same host: equal ignoring case, or one is the other's
/// short name (`cnx-app1` and `cnx-app1.example.com`: WebSphere's `hostName` and a
/// machine's own name often differ so).
pub fn same_host(a: &str, b: &str) -> bool {
    let short = |h: &str| h.split('.').next().unwrap_or(h).to_ascii_lowercase();
    a.eq_ignore_ascii_case(b) || ((!a.contains('.') || !b.contains('.')) && short(a) == short(b))
}

impl SetDocument {
    /// The host of the set that `host` names (full or short name), as the set names it.
    pub fn host_named(&self, host: &str) -> Option<&SetHost> {
        self.hosts.iter().find(|h| same_host(&h.name, host))
    }
}

/// A version as its text (`8.0.0.0_CR3 + KB1`), as check --set's JSON has always shown it.
fn display_version<S: Serializer>(v: &Option<Version>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_none(),
    }
}

/// What one member snapshot of a set holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetMember {
    /// The host that took it.
    pub host: String,
    /// Snapshot id (hex).
    pub snapshot: String,
    /// Its manifest said `complete`.
    pub complete: bool,
    /// The components it holds (stored, not skipped or missing).
    pub components: BTreeSet<Component>,
    /// The Connections version it saw, from its manifest's fingerprint (shown as
    /// `8.0.0.0_CR3 + KB0102411, KB0105812`).
    #[serde(serialize_with = "display_version")]
    pub version: Option<Version>,
    /// Whether it read the installed iFixes (a node host, which has no Connections install
    /// of its own, knows the offering level only).
    pub ifixes_known: bool,
    /// Capture window (Unix nanoseconds).
    pub started_ns: i64,
    /// End of the capture window.
    pub finished_ns: i64,
    /// The declared components (`[[component]]`) it holds: name → its backup succeeded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub declared: BTreeMap<String, bool>,
}

impl SetMember {
    /// What the snapshot `snapshot` of `manifest` holds.
    pub fn from_manifest(snapshot: &str, manifest: &Manifest) -> SetMember {
        let mut components: BTreeSet<Component> = manifest
            .components
            .iter()
            .filter(|c| matches!(c.status, StepStatus::Ok | StepStatus::Partial))
            .filter(|c| c.files + c.dirs > 0 || c.stored_with.is_some())
            .map(|c| c.component)
            .collect();
        if manifest
            .databases
            .iter()
            .any(|d| matches!(d.status, StepStatus::Ok | StepStatus::Partial))
        {
            components.insert(Component::Databases);
        }
        SetMember {
            host: manifest.host.clone(),
            snapshot: snapshot.to_owned(),
            complete: manifest.status == Status::Complete,
            components,
            version: manifest
                .connections
                .fingerprint
                .as_ref()
                .map(|f| f.version()),
            ifixes_known: manifest.connections.ifixes_known,
            started_ns: manifest.started_ns,
            finished_ns: manifest.finished_ns,
            declared: manifest
                .declared
                .iter()
                .map(|d| (d.name.clone(), d.status == StepStatus::Ok))
                .collect(),
        }
    }
}

impl SetMember {
    /// A snapshot that is no deployment backup (a web server's configuration backed up with
    /// `backup --path`): complete when no file failed; it holds no component of the plan
    /// and saw no Connections version.
    pub fn from_snapshot(snapshot: &str, snap: &vault::Snapshot) -> SetMember {
        let s = &snap.summary;
        SetMember {
            host: snap.host.clone(),
            snapshot: snapshot.to_owned(),
            complete: s.errors == 0,
            components: BTreeSet::new(),
            version: None,
            ifixes_known: false,
            started_ns: if s.started > 0 { s.started } else { snap.time },
            finished_ns: if s.finished > 0 {
                s.finished
            } else {
                snap.time
            },
            declared: BTreeMap::new(),
        }
    }

    /// A deployment backup whose manifest cannot be read: it proves nothing.
    pub fn unreadable(snapshot: &str, snap: &vault::Snapshot) -> SetMember {
        SetMember {
            complete: false,
            ..SetMember::from_snapshot(snapshot, snap)
        }
    }
}
