//! The WebSphere cell: profiles, nodes, servers, clusters, security, variables and
//! datasources, read through the `websphere` readers.

use std::path::{Path, PathBuf};

use websphere::config_tree::{read_config_tree, CellLayout, ConfigTree};
use websphere::profile_key::{self, read_profile_key};
use websphere::profile_registry::{profile_registry_path, read_profile_registry};
use websphere::resources::{read_resources, DataSource};
use websphere::security::{read_security_xml, SecurityConfig};
use websphere::serverindex::{self, read_serverindex};
use websphere::variables::{read_scoped_variables, Variables};
use websphere::Sysroot;

use super::web::WebDefinition;
use super::{DiscoverError, Warnings};
use crate::deployment::{
    AppRoleMappings, Cluster, ClusterMember, Node, Profile, ProfileType, RoleMapping, Server,
    ServerType, Was,
};

/// Everything read from the cell that the rest of discovery needs.
pub(crate) struct CellFacts {
    /// The WebSphere part of the deployment.
    pub was: Was,
    /// `config/cells/<cell>` of the profile the cell was read from (the dmgr's when there
    /// is one).
    pub cell_dir: PathBuf,
    /// The cell's security configuration.
    pub security: SecurityConfig,
    /// Variables at cell scope.
    pub cell_vars: Variables,
    /// Variables per node (cell + node scopes).
    pub node_vars: Vec<(String, Variables)>,
    /// Every datasource of every scope.
    pub datasources: Vec<DataSource>,
    /// Application names deployed in the cell (`Files`).
    pub applications: Vec<String>,
    /// Role mappings from the application bindings.
    pub role_mappings: Vec<AppRoleMappings>,
    /// The web server definitions of every node.
    pub web_definitions: Vec<WebDefinition>,
}

fn server_type(t: &serverindex::ServerType) -> ServerType {
    match t {
        serverindex::ServerType::ApplicationServer => ServerType::ApplicationServer,
        serverindex::ServerType::NodeAgent => ServerType::NodeAgent,
        serverindex::ServerType::DeploymentManager => ServerType::DeploymentManager,
        serverindex::ServerType::WebServer => ServerType::WebServer,
        _ => ServerType::Other,
    }
}

/// `WAS_NODE=` from `profile_root/bin/setupCmdLine.sh`, which names the profile's node.
fn node_from_setup_cmdline(sys: &Sysroot, profile_root: &Path) -> Option<String> {
    let text = sys
        .read_to_string(&profile_root.join("bin/setupCmdLine.sh"))
        .ok()?;
    text.lines().find_map(|l| {
        let l = l.trim().trim_start_matches("export ").trim();
        l.strip_prefix("WAS_NODE=")
            .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_string())
            .filter(|v| !v.is_empty())
    })
}

struct ProfileRead {
    profile: Profile,
    key: Option<profile_key::ProfileType>,
    /// `com.ibm.ws.profile.node` of `profileKey.metadata`, when recorded.
    key_node: Option<String>,
    tree: Option<ConfigTree>,
}

/// Reads the cell. Errors only for the required inputs.
pub(crate) fn read_cell(
    sys: &Sysroot,
    app_server_root: &str,
    outer: &mut Warnings,
) -> Result<CellFacts, DiscoverError> {
    let mut w = Warnings::default();
    let registry = profile_registry_path(Path::new(app_server_root));
    let entries =
        read_profile_registry(sys, &registry).map_err(|source| DiscoverError::Required {
            what: "profile registry",
            source,
        })?;

    let mut profiles: Vec<ProfileRead> = Vec::new();
    for e in entries.iter().filter(|e| !e.is_reservation_ticket) {
        let path = e.path.display().to_string();
        let exists = sys.is_dir(&e.path);
        let (mut key, mut key_node, mut tree) = (None, None, None);
        if exists {
            match read_profile_key(sys, &e.path) {
                Ok(k) => {
                    key_node = k.properties.get("com.ibm.ws.profile.node").cloned();
                    key = Some(k.profile_type);
                }
                Err(err) => w.push_err(
                    &err,
                    format!(
                        "the type of profile {} is inferred from its configuration tree",
                        e.name
                    ),
                ),
            }
            match read_config_tree(sys, &e.path) {
                Ok(t) => tree = Some(t),
                Err(err) => w.push_err(
                    &err,
                    format!("the configuration of profile {} is not used", e.name),
                ),
            }
        } else {
            w.push_at(
                &registry,
                Some(e.line),
                format!(
                    "profile {} is registered at {path}, which does not exist",
                    e.name
                ),
            );
        }
        profiles.push(ProfileRead {
            profile: Profile {
                name: e.name.clone(),
                path,
                kind: ProfileType::Standalone,
                node: None,
                exists,
            },
            key,
            key_node,
            tree,
        });
    }

    // The cell is read from the dmgr profile (the master copy) when this host has one,
    // else from the first profile with a configuration tree (a synchronised copy).
    let source = profiles
        .iter()
        .position(|p| {
            p.key == Some(profile_key::ProfileType::DeploymentManager) && p.tree.is_some()
        })
        .or_else(|| profiles.iter().position(|p| p.tree.is_some()))
        .ok_or_else(|| DiscoverError::NoProfile {
            file: registry.display().to_string(),
            message: "no registered profile has a readable configuration (config/cells)".into(),
        })?;
    let source_root = PathBuf::from(&profiles[source].profile.path);
    let tree = profiles[source]
        .tree
        .clone()
        .ok_or_else(|| DiscoverError::NoProfile {
            file: registry.display().to_string(),
            message: "profile configuration vanished while reading".into(),
        })?;
    let Some(cell) = tree.cells.first().cloned() else {
        return Err(DiscoverError::NoProfile {
            file: registry.display().to_string(),
            message: format!(
                "profile {} has no cell under config/cells",
                source_root.display()
            ),
        });
    };
    if tree.cells.len() > 1 {
        w.push_at(
            &source_root.join("config/cells"),
            None,
            format!("holds {} cells; using {}", tree.cells.len(), cell.name),
        );
    }

    let security_file = cell.dir.join("security.xml");
    let security =
        read_security_xml(sys, &security_file).map_err(|source| DiscoverError::Required {
            what: "cell's security.xml",
            source,
        })?;

    let (nodes, clusters, web_definitions) = read_topology(sys, &cell, &mut w);

    // Profile types and nodes.
    let dmgr_node = nodes
        .iter()
        .find(|n| {
            n.servers
                .iter()
                .any(|s| s.kind == ServerType::DeploymentManager)
        })
        .map(|n| n.name.clone());
    for p in &mut profiles {
        let own_tree_has = |server: &str| {
            p.tree.as_ref().is_some_and(|t| {
                t.cells
                    .iter()
                    .flat_map(|c| c.nodes.iter())
                    .any(|n| n.servers.iter().any(|s| s == server))
            })
        };
        p.profile.kind = match &p.key {
            Some(profile_key::ProfileType::DeploymentManager) => ProfileType::Dmgr,
            Some(profile_key::ProfileType::Managed) => ProfileType::Managed,
            _ if own_tree_has("nodeagent") => ProfileType::Managed,
            _ => ProfileType::Standalone,
        };
        let recorded = p
            .key_node
            .clone()
            .or_else(|| node_from_setup_cmdline(sys, Path::new(&p.profile.path)));
        p.profile.node = recorded.or_else(|| {
            match p.profile.kind {
                ProfileType::Dmgr => dmgr_node.clone(),
                _ => {
                    // A profile whose own tree has exactly one node other than the dmgr's.
                    let own: Vec<String> = p
                        .tree
                        .iter()
                        .flat_map(|t| t.cells.iter())
                        .flat_map(|c| c.nodes.iter())
                        .map(|n| n.name.clone())
                        .filter(|n| Some(n) != dmgr_node.as_ref())
                        .collect();
                    (own.len() == 1).then(|| own[0].clone())
                }
            }
        });
    }
    let mut nodes = nodes;
    for n in &mut nodes {
        n.profile = profiles
            .iter()
            .find(|p| p.profile.node.as_deref() == Some(n.name.as_str()))
            .map(|p| p.profile.name.clone());
    }

    let builtins = |vars: &mut Variables| {
        vars.set_builtin("WAS_INSTALL_ROOT", app_server_root);
        vars.set_builtin("USER_INSTALL_ROOT", source_root.display().to_string());
        vars.set_builtin("WAS_CELL_NAME", cell.name.clone());
    };
    let mut cell_vars = match read_scoped_variables(sys, &source_root, &cell.name, None, None, None)
    {
        Ok(v) => v,
        Err(e) => {
            w.push_err(&e, "cell variables are unknown".into());
            Variables::new()
        }
    };
    builtins(&mut cell_vars);
    let mut node_vars = Vec::new();
    for n in &cell.nodes {
        match read_scoped_variables(sys, &source_root, &cell.name, None, Some(&n.name), None) {
            Ok(mut v) => {
                builtins(&mut v);
                node_vars.push((n.name.clone(), v));
            }
            Err(e) => w.push_err(&e, format!("variables of node {} are unknown", n.name)),
        }
    }

    let datasources = read_all_datasources(sys, &cell, &mut w);
    let applications = cell
        .applications
        .iter()
        .map(|a| a.strip_suffix(".ear").unwrap_or(a).to_string())
        .collect();

    let role_mappings = read_role_mappings(sys, &cell, &mut w);

    outer.0.extend(std::mem::take(&mut w.0));
    Ok(CellFacts {
        was: Was {
            app_server_root: app_server_root.to_string(),
            cell: cell.name.clone(),
            version: None,
            profiles: profiles.into_iter().map(|p| p.profile).collect(),
            nodes,
            clusters,
            profile_registry: registry.display().to_string(),
        },
        cell_dir: cell.dir.clone(),
        security,
        cell_vars,
        node_vars,
        datasources,
        applications,
        role_mappings,
        web_definitions,
    })
}

/// Nodes with their servers (from `serverindex.xml`, completed by the server directories)
/// and clusters with their members, and the web server definitions among the servers.
fn read_topology(
    sys: &Sysroot,
    cell: &CellLayout,
    w: &mut Warnings,
) -> (Vec<Node>, Vec<Cluster>, Vec<WebDefinition>) {
    let mut clusters = Vec::new();
    for name in &cell.clusters {
        let file = cell.dir.join("clusters").join(name).join("cluster.xml");
        match websphere::cluster::read_cluster_xml(sys, &file) {
            Ok(c) => clusters.push(Cluster {
                name: c.name,
                members: c
                    .members
                    .into_iter()
                    .map(|m| ClusterMember {
                        node: m.node,
                        server: m.server,
                    })
                    .collect(),
            }),
            Err(e) => w.push_err(&e, format!("the members of cluster {name} are unknown")),
        }
    }
    let cluster_of = |node: &str, server: &str| {
        clusters
            .iter()
            .find(|c| {
                c.members
                    .iter()
                    .any(|m| m.node == node && m.server == server)
            })
            .map(|c| c.name.clone())
    };

    let mut nodes = Vec::new();
    let mut web = Vec::new();
    for n in &cell.nodes {
        let index_file = n.dir.join("serverindex.xml");
        let index = match read_serverindex(sys, &index_file) {
            Ok(i) => Some(i),
            Err(e) => {
                w.push_err(
                    &e,
                    format!("the host and server types of node {} are unknown", n.name),
                );
                None
            }
        };
        let host = index.as_ref().and_then(|i| i.host_name.clone());
        let mut servers: Vec<Server> = Vec::new();
        let mut names: Vec<String> = index
            .as_ref()
            .map(|i| i.servers.iter().map(|s| s.name.clone()).collect())
            .unwrap_or_default();
        for dir_name in &n.servers {
            if !names.contains(dir_name) {
                names.push(dir_name.clone());
            }
        }
        for name in names {
            let entry = index.as_ref().and_then(|i| i.server(&name));
            let server_xml = n.dir.join("servers").join(&name).join("server.xml");
            let config = if n.servers.contains(&name) {
                match websphere::server::read_server_xml(sys, &server_xml) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        w.push_err(&e, format!("the definition of server {name} is not used"));
                        None
                    }
                }
            } else {
                None
            };
            let kind = match (entry, &config) {
                (Some(e), _) => server_type(&e.server_type),
                (None, Some(c)) if c.is_web_server() => ServerType::WebServer,
                (None, _) if name == "nodeagent" => ServerType::NodeAgent,
                (None, _) if name == "dmgr" => ServerType::DeploymentManager,
                (None, _) => ServerType::Other,
            };
            let cluster = cluster_of(&n.name, &name)
                .or_else(|| config.as_ref().and_then(|c| c.cluster_name.clone()));
            if let Some(info) = config.as_ref().and_then(|c| c.web_server.clone()) {
                web.push(WebDefinition {
                    name: name.clone(),
                    node: n.name.clone(),
                    host: host.clone(),
                    file: server_xml.clone(),
                    info,
                });
            }
            servers.push(Server {
                node: n.name.clone(),
                host: host.clone(),
                kind,
                cluster,
                applications: entry.map(|e| e.application_names()).unwrap_or_default(),
                name,
            });
        }
        nodes.push(Node {
            name: n.name.clone(),
            host,
            profile: None,
            servers,
        });
    }
    (nodes, clusters, web)
}

/// Datasources of every scope's `resources.xml` (cell, clusters, nodes, servers).
fn read_all_datasources(sys: &Sysroot, cell: &CellLayout, w: &mut Warnings) -> Vec<DataSource> {
    let mut files = vec![cell.dir.join("resources.xml")];
    files.extend(
        cell.clusters
            .iter()
            .map(|c| cell.dir.join("clusters").join(c).join("resources.xml")),
    );
    for n in &cell.nodes {
        files.push(n.dir.join("resources.xml"));
        files.extend(
            n.servers
                .iter()
                .map(|s| n.dir.join("servers").join(s).join("resources.xml")),
        );
    }
    let mut out = Vec::new();
    for file in files {
        match read_resources(sys, &file) {
            Ok(r) => out.extend(r.datasources),
            Err(e) if e.is_not_found() => {}
            Err(e) => w.push_err(&e, "its datasources are not counted".into()),
        }
    }
    out
}

/// Role mappings of every deployed application with a binding file.
fn read_role_mappings(sys: &Sysroot, cell: &CellLayout, w: &mut Warnings) -> Vec<AppRoleMappings> {
    let mut out = Vec::new();
    for ear in &cell.applications {
        let app = ear.strip_suffix(".ear").unwrap_or(ear);
        let dir = cell
            .dir
            .join("applications")
            .join(ear)
            .join("deployments")
            .join(app);
        match websphere::app_bindings::read_application_role_mappings(sys, &dir) {
            Ok(Some(m)) => out.push(AppRoleMappings {
                application: m.application,
                file: m.file.display().to_string(),
                roles: m
                    .mappings
                    .into_iter()
                    .map(|r| RoleMapping {
                        role: r.role,
                        everyone: r.everyone,
                        all_authenticated: r.all_authenticated,
                        users: r.users.into_iter().map(|u| u.name).collect(),
                        groups: r.groups.into_iter().map(|g| g.name).collect(),
                    })
                    .collect(),
            }),
            Ok(None) => {}
            Err(e) => w.push_err(&e, format!("the role mappings of {app} are unknown")),
        }
    }
    out
}
