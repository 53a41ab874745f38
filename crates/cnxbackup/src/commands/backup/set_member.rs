//! `backup --set ID` on one host of a planned backup set (`set plan ID`): what this host
//! leaves to the others (the shared data to the set's shared-data host, the databases to
//! its databases host), and `--databases-only` on a database server, which has no
//! WebSphere profile to discover: its deployment is the set's list of databases.

use std::collections::BTreeMap;

use connections::deployment::{
    Ccm, ConnectionsInstall, DataRoots, Database, DbVendor, Deployment, FilenetAdmin,
    InstallationManager, VersionInfo, Was,
};
use runbook::backup::EarlierWsadminRoles;
use runbook::cellset::{load_role_mappings, load_set, same_host, CellSetError, SetDocument};
use vault::Repository;

use crate::exit::CommandError;

/// What this host does within its set.
pub struct Membership {
    /// The set's document, when the set was planned.
    pub plan: Option<SetDocument>,
    /// Leave the shared data out, and why.
    pub skip_shared_data: Option<String>,
    /// Leave the databases out.
    pub skip_databases: bool,
    /// wsadmin's role mappings exported on this host while the cell ran (`set
    /// role-mappings ID` on the deployment manager's host), for its manifest.
    pub earlier_wsadmin_roles: Option<EarlierWsadminRoles>,
}

/// This host's part of `set`: everything when the set was never planned (a set of
/// independent hosts, as before `set plan`).
pub fn membership(repo: &Repository, set: &str, host: &str) -> anyhow::Result<Membership> {
    let plan = match load_set(repo, set) {
        Ok(doc) => doc,
        Err(CellSetError::NoPlan { .. }) => {
            return Ok(Membership {
                plan: None,
                skip_shared_data: None,
                skip_databases: false,
                earlier_wsadmin_roles: None,
            })
        }
        Err(e) => return Err(e.into()),
    };
    if plan.host_named(host).is_none() {
        let hosts: Vec<&str> = plan.hosts.iter().map(|h| h.name.as_str()).collect();
        return Err(CommandError::Usage(format!(
            "host {host} is not a host of backup set {set} ({}); name it with --host as the \
             cell configuration does",
            hosts.join(", ")
        ))
        .into());
    }
    let skip_shared_data = (!same_host(host, &plan.shared_data_host)).then(|| {
        format!(
            "the shared data of backup set {set} is backed up by {}",
            plan.shared_data_host
        )
    });
    let skip_databases = !same_host(host, &plan.databases_host);
    let earlier_wsadmin_roles = load_role_mappings(repo, set)?
        .filter(|r| same_host(&r.host, host) && !r.export.wsadmin.is_empty())
        .map(|r| EarlierWsadminRoles {
            source: format!(
                "wsadmin while the cell ran ({}, set record {})",
                vault::format_unix_ns(r.time_ns),
                r.record.get(..8).unwrap_or(&r.record)
            ),
            applications: r.export.wsadmin,
        });
    Ok(Membership {
        plan: Some(plan),
        skip_shared_data,
        skip_databases,
        earlier_wsadmin_roles,
    })
}

/// The deployment of a databases-only host: the set's databases, nothing else (no profile,
/// no file component: every other step of the plan is skipped).
pub fn databases_only_deployment(plan: &SetDocument) -> anyhow::Result<Deployment> {
    let databases = plan
        .databases
        .iter()
        .map(|d| {
            let vendor = match d.vendor.as_str() {
                "db2" => DbVendor::Db2,
                "oracle" => DbVendor::Oracle,
                "sqlserver" => DbVendor::Sqlserver,
                other => {
                    return Err(CommandError::Usage(format!(
                        "backup set {}: database {} has vendor {other:?}, which this \
                         cnxbackup does not know",
                        plan.set, d.name
                    )))
                }
            };
            Ok(Database {
                name: d.name.clone(),
                vendor,
                host: Some(d.host.clone()),
                port: d.port,
                schemas: d.schemas.clone(),
                datasources: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut d = set_deployment(plan);
    d.databases = databases;
    Ok(d)
}

/// Whether `host` is, in the set, only a web server's host: it has no WebSphere profile to
/// discover, and backs up the web tier the set's document describes.
pub fn is_web_host(plan: &SetDocument, host: &str) -> bool {
    plan.host_named(host)
        .is_some_and(|h| h.roles == [runbook::cellset::SetHostRole::WebServer])
}

/// The deployment of a web server's own host: the cell's web servers from the set's
/// document, their files found on this host; nothing else (every other step of the plan
/// has no path here and is left to the hosts that hold it).
pub fn web_host_deployment(plan: &SetDocument, sys: &websphere::Sysroot) -> Deployment {
    let (web_servers, warnings) =
        connections::discover::web::discover_web_host(sys, &plan.web_servers);
    let mut d = set_deployment(plan);
    d.web_servers = web_servers;
    d.warnings = warnings;
    d
}

/// A deployment with nothing of its own: the set's cell and version only.
fn set_deployment(plan: &SetDocument) -> Deployment {
    Deployment {
        connections: ConnectionsInstall {
            root: String::new(),
            version: plan
                .version_info
                .clone()
                .unwrap_or_else(VersionInfo::unknown),
            ccm: Ccm::default(),
        },
        was: Was {
            app_server_root: String::new(),
            cell: plan.cell.clone(),
            version: None,
            profiles: Vec::new(),
            nodes: Vec::new(),
            clusters: Vec::new(),
            profile_registry: String::new(),
        },
        data: DataRoots {
            shared_root: String::new(),
            local_root: String::new(),
            provision: String::new(),
            customization: String::new(),
            content_dirs: BTreeMap::new(),
        },
        filenet_admin: FilenetAdmin::default(),
        installation_manager: InstallationManager {
            install_dir: String::new(),
            data_dir: String::new(),
            shared_dir: String::new(),
            non_root_user: None,
            found_by: None,
            others: Vec::new(),
        },
        databases: Vec::new(),
        role_mappings: Vec::new(),
        web_servers: Vec::new(),
        tdi: None,
        provenance: BTreeMap::new(),
        warnings: Vec::new(),
    }
}
