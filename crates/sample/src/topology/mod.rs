//! What each variant looks like: the [`Expected`] truth plus the extra details the file
//! writers need (datasources, J2C aliases, users, iFix metadata). Nothing here touches the
//! file system.

use std::collections::BTreeMap;

use crate::expected::*;
use crate::rng::Rng;
use crate::variant::Variant;
use crate::BuildOptions;

mod catalog;
mod roles;
mod variants;

pub(crate) use catalog::AppDef;
use catalog::{APPS, ICEC};
use roles::roles_for;
use variants::{params, FnAdmin, MemberNaming};

/// Where CCM's `Engine-ws.ear` lives (release dependent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CcmLayout {
    /// `<connections_root>/addons/ccm/ContentEngine/...` (before 6.0 CR6).
    Addons,
    /// `<connections_root>/FileNet/ContentEngine/...` (6.0 CR6 and later).
    FileNet,
}

/// One installed iFix.
#[derive(Debug, Clone)]
pub(crate) struct IFix {
    pub id: String,
    pub short_description: String,
    pub build_version: String,
    pub build_date: String,
    pub jar_name: String,
}

/// A J2C authentication alias in `security.xml`.
#[derive(Debug, Clone)]
pub(crate) struct AuthAlias {
    pub alias: String,
    pub user_id: String,
    pub password: Secret,
    pub description: String,
}

/// A user of the file-based realm (`fileRegistry.xml`).
#[derive(Debug, Clone)]
pub(crate) struct FileUser {
    pub uid: String,
    pub cn: String,
}

/// A JDBC datasource in the cell `resources.xml`.
#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    pub name: String,
    pub jndi: String,
    pub app: String,
    pub database: String,
    pub schema: Option<String>,
    pub auth_alias: String,
    pub host: String,
    pub port: u16,
    pub xa: bool,
}

/// Everything the writers need.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub variant: Variant,
    pub expected: Expected,
    pub seed: u64,
    pub hcl: bool,
    pub was_package_version: String,
    pub iim_version: String,
    pub build_date: String,
    pub build_time: String,
    pub ifixes: Vec<IFix>,
    pub ccm_layout: Option<CcmLayout>,
    pub aliases: Vec<AuthAlias>,
    pub file_users: Vec<FileUser>,
    pub ldap: Option<LdapDef>,
    pub datasources: Vec<DataSource>,
    /// Cell-scope variables as written (values may hold `${...}`), in file order.
    pub cell_variables: Vec<(String, String)>,
    /// Installer features (`main,common,...`).
    pub features: Vec<String>,
    /// Oracle SID / DB2 instance specifics.
    pub db2_version_dir: String,
    pub virtual_host: String,
    /// Another Installation Manager on the host (not Connections').
    pub other_iim: Option<OtherIim>,
    /// One host of a multi-host cell: every server of the cell, which the cell
    /// configuration synchronised into each profile names (`expected.was.servers` holds
    /// this host's only).
    pub cell_servers: Option<Vec<crate::expected::ServerTruth>>,
}

impl Spec {
    /// Every server of the cell, as the cell configuration names them.
    pub(crate) fn cell_servers(&self) -> &[crate::expected::ServerTruth] {
        self.cell_servers
            .as_deref()
            .unwrap_or(&self.expected.was.servers)
    }
}

/// An LDAP repository in `wimconfig.xml`.
#[derive(Debug, Clone)]
pub(crate) struct LdapDef {
    pub host: String,
    pub base: String,
    pub bind_dn: String,
    pub bind_password: Secret,
}

fn ifix_meta(id: &str, offering: &str, n: usize) -> IFix {
    let (desc, jar) = if id.starts_with("KB") {
        (
            format!(
                "Common: {} security and stability fixes",
                ["Files", "Homepage", "Profiles"][n % 3]
            ),
            format!("{offering}-IC-Common-{id}.jar"),
        )
    } else if id.starts_with("CFix") {
        let build = id.rsplit('.').next().unwrap_or("0000");
        (
            format!("Cumulative fix {build} for Connections 7.0"),
            format!("CFix.70.{build}-IC7.0.0.0-Common-Fix.jar"),
        )
    } else {
        (
            [
                "Common: Add missing nls files",
                "Files: upload fails for large files",
            ][n % 2]
                .to_string(),
            format!(
                "{}-IC-Multi-{id}.jar",
                offering.split('_').next().unwrap_or(offering)
            ),
        )
    };
    IFix {
        id: id.to_string(),
        short_description: desc,
        build_version: format!("2023{:02}{:02}.1553", 1 + n % 12, 7 + n),
        build_date: format!("{:02}/{:02}/2023", 1 + n % 12, 7 + n),
        jar_name: jar,
    }
}

fn password(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}-{}", rng.hex(10))
}

/// Builds the spec of a variant.
pub(crate) fn spec(variant: Variant, opts: &BuildOptions) -> Spec {
    let p = params(variant);
    let mut rng = Rng::derive(opts.seed, "passwords");
    let admin_password = password(&mut rng, "WasAdm1n");

    // Profiles and nodes.
    let dmgr_path = format!("{}/profiles/{}", p.app_server_root, p.dmgr.profile);
    let mut profiles = vec![ProfileTruth {
        name: p.dmgr.profile.into(),
        path: dmgr_path,
        profile_type: ProfileType::Dmgr,
        node: p.dmgr.node.clone(),
    }];
    let mut nodes = vec![NodeTruth {
        name: p.dmgr.node.clone(),
        host: p.dmgr.host.clone(),
        profile: p.dmgr.profile.into(),
    }];
    let mut servers = vec![ServerTruth {
        name: "dmgr".into(),
        node: p.dmgr.node.clone(),
        host: p.dmgr.host.clone(),
        server_type: ServerType::DeploymentManager,
        cluster: None,
        profile: p.dmgr.profile.into(),
    }];
    for n in &p.nodes {
        profiles.push(ProfileTruth {
            name: n.profile.into(),
            path: format!("{}/profiles/{}", p.app_server_root, n.profile),
            profile_type: ProfileType::Managed,
            node: n.node.clone(),
        });
        nodes.push(NodeTruth {
            name: n.node.clone(),
            host: n.host.clone(),
            profile: n.profile.into(),
        });
        servers.push(ServerTruth {
            name: "nodeagent".into(),
            node: n.node.clone(),
            host: n.host.clone(),
            server_type: ServerType::NodeAgent,
            cluster: None,
            profile: n.profile.into(),
        });
    }

    // Clusters and members.
    let mut clusters = vec![];
    let mut applications = vec![];
    for c in &p.clusters {
        let mut members = vec![];
        for (i, &ni) in c.on_nodes.iter().enumerate() {
            let n = &p.nodes[ni];
            let short = n.host.split('.').next().unwrap_or(&n.host);
            let server = match p.naming {
                MemberNaming::Installer => format!("{}_server{}", c.name, i + 1),
                MemberNaming::Automation => format!("{}-{}", c.name, short),
            };
            servers.push(ServerTruth {
                name: server.clone(),
                node: n.node.clone(),
                host: n.host.clone(),
                server_type: ServerType::ApplicationServer,
                cluster: Some(c.name.into()),
                profile: n.profile.into(),
            });
            members.push(ClusterMember {
                node: n.node.clone(),
                server,
            });
        }
        clusters.push(ClusterTruth {
            name: c.name.into(),
            members,
        });
        for app in &c.apps {
            applications.push((app.clone(), c.name.to_string()));
        }
    }
    if p.icec {
        let target = p.clusters[0].name.to_string();
        applications.push((ICEC.ear.to_string(), target));
    }
    if p.webserver {
        // On its own host the web server is defined on an unmanaged node (no profile, no
        // node agent), as WebSphere does for a remote IBM HTTP Server.
        let n = p.web_node.as_ref().unwrap_or(&p.nodes[0]);
        if p.web_node.is_some() {
            nodes.push(NodeTruth {
                name: n.node.clone(),
                host: n.host.clone(),
                profile: n.profile.into(),
            });
        }
        servers.push(ServerTruth {
            name: "webserver1".into(),
            node: n.node.clone(),
            host: n.host.clone(),
            server_type: ServerType::WebServer,
            cluster: None,
            profile: n.profile.into(),
        });
    }
    applications.sort();

    // Users, aliases, filenetAdmin.
    let connections_admin = "wasadmin".to_string();
    let mut file_users = vec![FileUser {
        uid: "wasadmin".into(),
        cn: "WebSphere Administrator".into(),
    }];
    let mut aliases = vec![AuthAlias {
        alias: "connectionsAdmin".into(),
        user_id: connections_admin.clone(),
        password: Secret::new(admin_password.clone()),
        description: "IBM Connections administrative user".into(),
    }];
    let ldap_base = "o=example.com".to_string();
    let filenet_admin = match p.filenet_admin {
        FnAdmin::None => FilenetAdminTruth {
            user_id: None,
            unique_name: None,
            in_file_registry: false,
        },
        FnAdmin::Local(uid) => {
            if !file_users.iter().any(|u| u.uid == uid) {
                file_users.push(FileUser {
                    uid: uid.into(),
                    cn: "FileNet Administrator".into(),
                });
            }
            FilenetAdminTruth {
                user_id: Some(uid.into()),
                unique_name: Some(format!("uid={uid},o=defaultWIMFileBasedRealm")),
                in_file_registry: true,
            }
        }
        FnAdmin::Ldap(uid) => FilenetAdminTruth {
            user_id: Some(uid.into()),
            unique_name: Some(format!("uid={uid},ou=users,{ldap_base}")),
            in_file_registry: false,
        },
    };
    if let Some(uid) = &filenet_admin.user_id {
        aliases.push(AuthAlias {
            alias: "filenetAdmin".into(),
            user_id: uid.clone(),
            password: Secret::new(password(&mut rng, "FnAdm1n")),
            description: "FileNet administrative user".into(),
        });
    }

    // Databases and datasources.
    let (db_host, db_port) = match p.vendor {
        DbVendor::Db2 => ("db2.example.com", 50000u16),
        DbVendor::Sqlserver => ("sql.example.com", 1433),
        DbVendor::Oracle => ("oracle.example.com", 1521),
    };
    let mut app_defs: Vec<AppDef> = APPS.to_vec();
    if p.icec {
        app_defs.push(ICEC);
    }
    let mut datasources = vec![];
    let mut db_apps: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let db_user_password = password(&mut rng, "LcUs3r");
    for a in &app_defs {
        let Some((db, schema)) = a.db else { continue };
        let alias = format!("{}JAASAuth", a.ds);
        let (database, schema) = match p.vendor {
            DbVendor::Oracle => ("LSCONN".to_string(), Some(schema.to_string())),
            _ => (db.to_string(), None),
        };
        datasources.push(DataSource {
            name: a.ds.into(),
            jndi: format!("jdbc/{}", a.ds),
            app: a.key.into(),
            database: database.clone(),
            schema: schema.clone(),
            auth_alias: alias.clone(),
            host: db_host.into(),
            port: db_port,
            xa: true,
        });
        let entry = db_apps.entry(database).or_default();
        entry.0.push(a.key.into());
        if let Some(s) = schema {
            if !entry.1.contains(&s) {
                entry.1.push(s);
            }
        }
        aliases.push(AuthAlias {
            alias,
            user_id: match p.vendor {
                DbVendor::Oracle => schema_of(a).to_string(),
                DbVendor::Sqlserver => "LCUSER".into(),
                DbVendor::Db2 => "LCUSER".into(),
            },
            password: Secret::new(db_user_password.clone()),
            description: format!("JAAS Alias for {} DataSource", a.ds),
        });
    }
    if p.ccm.is_some() {
        for (ds, db, xa) in [
            ("FNGCDDS", "FNGCD", false),
            ("FNGCDDSXA", "FNGCD", true),
            ("FNOSDS", "FNOS", false),
            ("FNOSDSXA", "FNOS", true),
        ] {
            datasources.push(DataSource {
                name: ds.into(),
                jndi: format!("jdbc/{ds}"),
                app: "ccm".into(),
                database: db.into(),
                schema: None,
                auth_alias: "FNAuthAlias".into(),
                host: db_host.into(),
                port: db_port,
                xa,
            });
            let e = db_apps.entry(db.to_string()).or_default();
            if !e.0.contains(&"ccm".to_string()) {
                e.0.push("ccm".into());
            }
        }
        aliases.push(AuthAlias {
            alias: "FNAuthAlias".into(),
            user_id: "LCUSER".into(),
            password: Secret::new(db_user_password.clone()),
            description: "FileNet database user".into(),
        });
    }
    let databases = db_apps
        .into_iter()
        .map(|(name, (mut apps, mut schemas))| {
            apps.sort();
            schemas.sort();
            DatabaseTruth {
                name,
                vendor: p.vendor,
                host: db_host.into(),
                port: db_port,
                apps,
                schemas,
            }
        })
        .collect();

    // Data paths and cell variables.
    let shared = p.shared_root.clone();
    let local = p.local_root.clone();
    let mut cell_variables: Vec<(String, String)> = vec![];
    let (s, l) = if p.root_variables {
        cell_variables.push(("CNX_SHARED_ROOT".into(), shared.clone()));
        cell_variables.push(("CNX_LOCAL_ROOT".into(), local.clone()));
        (
            "${CNX_SHARED_ROOT}".to_string(),
            "${CNX_LOCAL_ROOT}".to_string(),
        )
    } else {
        (shared.clone(), local.clone())
    };
    let provision = format!("{shared}/provision");
    let pairs: Vec<(&str, String, String)> = vec![
        (
            "CONNECTIONS_PROVISION_PATH",
            format!("{s}/provision"),
            provision.clone(),
        ),
        (
            "CONNECTIONS_CUSTOMIZATION_PATH",
            p.customization.clone(),
            p.customization.clone(),
        ),
        (
            "ACTIVITIES_CONTENT_DIR",
            format!("{s}/activities/content"),
            format!("{shared}/activities/content"),
        ),
        (
            "ACTIVITIES_STATS_DIR",
            format!("{s}/activities/statistic"),
            format!("{shared}/activities/statistic"),
        ),
        (
            "BLOGS_CONTENT_DIR",
            format!("{s}/blogs/upload"),
            format!("{shared}/blogs/upload"),
        ),
        (
            "DOGEAR_FAVICON_DIR",
            format!("{s}/dogear/favorite"),
            format!("{shared}/dogear/favorite"),
        ),
        (
            "COMMUNITIES_STATS_DIR",
            format!("{s}/communities/statistic"),
            format!("{shared}/communities/statistic"),
        ),
        (
            "CATALOG_INDEX_DIR",
            format!("{l}/catalog/index"),
            format!("{local}/catalog/index"),
        ),
        (
            "FILES_CONTENT_DIR",
            format!("{s}/files/upload"),
            format!("{shared}/files/upload"),
        ),
        (
            "FORUM_CONTENT_DIR",
            format!("{s}/forums/content"),
            format!("{shared}/forums/content"),
        ),
        (
            "PROFILES_STATS_DIR",
            format!("{s}/profiles/statistic"),
            format!("{shared}/profiles/statistic"),
        ),
        (
            "SEARCH_INDEX_DIR",
            format!("{l}/search/index"),
            format!("{local}/search/index"),
        ),
        (
            "SEARCH_DICTIONARY_DIR",
            format!("{l}/search/dictionary"),
            format!("{local}/search/dictionary"),
        ),
        (
            "WIKIS_CONTENT_DIR",
            format!("{s}/wikis/upload"),
            format!("{shared}/wikis/upload"),
        ),
        (
            "MESSAGE_STORE_PATH",
            format!("{s}/push/messageStores"),
            format!("{shared}/push/messageStores"),
        ),
    ];
    let mut variables = BTreeMap::new();
    for (name, raw, resolved) in pairs {
        let (raw, resolved) = match relocated(&p, name) {
            Some(path) => (path.to_string(), path.to_string()),
            None => (raw, resolved),
        };
        cell_variables.push((name.to_string(), raw));
        variables.insert(name.to_string(), resolved);
    }
    if p.relocated_content && p.ccm.is_some() {
        cell_variables.push((CCM_STORAGE_VARIABLE.into(), RELOCATED_CCM_STORAGE.into()));
        variables.insert(CCM_STORAGE_VARIABLE.into(), RELOCATED_CCM_STORAGE.into());
    }
    if p.root_variables {
        variables.insert("CNX_SHARED_ROOT".into(), shared.clone());
        variables.insert("CNX_LOCAL_ROOT".into(), local.clone());
    }

    // CCM.
    let ccm = match p.ccm {
        None => CcmTruth {
            installed: false,
            engine_ws_ear_dir: None,
            storage_dir: None,
        },
        Some(layout) => {
            let base = match layout {
                CcmLayout::Addons => "addons/ccm",
                CcmLayout::FileNet => "FileNet",
            };
            CcmTruth {
                installed: true,
                engine_ws_ear_dir: Some(format!(
                    "{}/{base}/ContentEngine/tools/configure/profiles/CCM/ear",
                    p.connections_root
                )),
                storage_dir: Some(if p.relocated_content {
                    RELOCATED_CCM_STORAGE.to_string()
                } else {
                    format!("{shared}/ccm")
                }),
            }
        }
    };

    // Role mappings.
    let mut role_mappings = BTreeMap::new();
    let mut apps_truth = vec![];
    for (app, cluster) in &applications {
        role_mappings.insert(app.clone(), roles_for(app, &connections_admin));
        let xml = p.release >= "7.0"
            && ["PushNotification", "WidgetContainer", "Mobile", "ICEC"].contains(&app.as_str());
        apps_truth.push(ApplicationTruth {
            name: app.clone(),
            cluster: cluster.clone(),
            bindings_file: if xml {
                "ibm-application-bnd.xml"
            } else {
                "ibm-application-bnd.xmi"
            }
            .into(),
        });
    }

    let mut ifixes: Vec<IFix> = p
        .ifix_ids
        .iter()
        .enumerate()
        .map(|(i, id)| ifix_meta(id, p.offering, i))
        .collect();
    ifixes.sort_by(|a, b| a.id.cmp(&b.id));

    let db_tools = db_tools(p.vendor, p.release, &mut rng);

    let mut features: Vec<String> = [
        "main",
        "common",
        "files",
        "homepage",
        "news",
        "pushNotification",
        "search",
        "rte",
        "widgetContainer",
        "activities",
        "blogs",
        "dogear",
        "communities",
        "forums",
        "metrics",
        "mobile",
        "moderation",
        "profiles",
        "wikis",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if p.icec {
        features.push("icec".into());
    }
    if p.ccm.is_some() {
        features.push("ccm".into());
    }

    let expected = Expected {
        variant: variant.name().into(),
        primary_host: p.nodes[0].host.clone(),
        connections: ConnectionsTruth {
            root: p.connections_root.clone(),
            release: p.release.into(),
            cr: p.cr,
            offering_version: p.offering.into(),
            ifixes: ifixes.iter().map(|f| f.id.clone()).collect(),
            buildlevel: buildlevel(p.release_level(), p.cr, p.build_date, p.build_time),
            launcher_build: p.offering.into(),
            iim_profile_id: if p.hcl {
                "HCL Connections"
            } else {
                "IBM Connections"
            }
            .into(),
            ccm,
        },
        was: WasTruth {
            app_server_root: p.app_server_root.clone(),
            version: p.was_version.into(),
            cell: p.cell.into(),
            profiles,
            nodes,
            servers,
            clusters,
            admin: AdminCredentials::new("wasadmin", admin_password),
        },
        data: DataTruth {
            shared_root: shared,
            local_root: local,
            provision_path: provision,
            customization_path: p.customization.clone(),
            variables,
        },
        filenet_admin,
        installation_manager: InstallationManagerTruth {
            install_dir: p.iim_install.clone(),
            data_dir: p.iim_data.clone(),
            shared_dir: p.iim_shared.clone(),
            non_root_user: p.non_root_user.map(str::to_string),
            found_by: iim_found_by(&p),
            others: if p.root_ihs_iim {
                vec![ROOT_IHS_IIM.data.to_string()]
            } else {
                Vec::new()
            },
        },
        databases,
        db_tools,
        role_mappings,
        applications: apps_truth,
    };

    let ldap = p.ldap.then(|| LdapDef {
        host: "ldap.example.com".into(),
        base: ldap_base,
        bind_dn: "cn=wasbind,ou=service,o=example.com".into(),
        bind_password: Secret::new(password(&mut rng, "B1nd")),
    });

    Spec {
        variant,
        seed: opts.seed,
        hcl: p.hcl,
        was_package_version: p.was_package_version.into(),
        iim_version: "1.9.2.20220917_0018".into(),
        build_date: p.build_date.into(),
        build_time: p.build_time.into(),
        ifixes,
        ccm_layout: p.ccm,
        aliases,
        file_users,
        ldap,
        datasources,
        cell_variables,
        features,
        db2_version_dir: if p.release < "7.0" { "V11.1" } else { "V11.5" }.into(),
        virtual_host: "connections.example.com".into(),
        other_iim: p.root_ihs_iim.then_some(ROOT_IHS_IIM),
        expected,
        cell_servers: None,
    }
}

/// The WebSphere variable that names a relocated FileNet storage area.
pub(crate) const CCM_STORAGE_VARIABLE: &str = "CCM_STORAGE_AREA_PATH";

/// Where a variant with relocated content keeps the FileNet storage area (outside the
/// shared data root, so step 2 must copy it separately).
pub(crate) const RELOCATED_CCM_STORAGE: &str = "/nfs/ccm/storage";

/// A content or state directory that a variant with relocated content keeps outside its
/// data roots (the message store where HCL's automation puts it, Wikis content on its own
/// share, the search dictionary on a local disk).
fn relocated(p: &variants::Params, variable: &str) -> Option<&'static str> {
    if !p.relocated_content {
        return None;
    }
    match variable {
        "MESSAGE_STORE_PATH" => Some("/opt/HCL/MessageStore"),
        "WIKIS_CONTENT_DIR" => Some("/nfs/wikis/upload"),
        "SEARCH_DICTIONARY_DIR" => Some("/opt/HCL/search/dictionary"),
        _ => None,
    }
}

/// An Installation Manager that is not the one that installed Connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OtherIim {
    pub install: &'static str,
    pub data: &'static str,
    pub shared: &'static str,
    /// (package id, name, version, install location)
    pub package: (&'static str, &'static str, &'static str, &'static str),
}

/// The admin IIM of a host where root installed IBM HTTP Server and a non-root user
/// installed WebSphere and Connections with their own IIM.
pub(crate) const ROOT_IHS_IIM: OtherIim = OtherIim {
    install: "/opt/IBM/InstallationManager",
    data: "/var/ibm/InstallationManager",
    shared: "/opt/IBM/IMShared",
    package: (
        "com.ibm.websphere.IHS.v85",
        "IBM HTTP Server for WebSphere Application Server",
        "8.5.5024.20230628_1659",
        "/opt/IBM/HTTPServer",
    ),
};

/// The registry file of an IIM owned by `user` (admin: `None`).
pub(crate) fn iim_registry_file(user: Option<&str>) -> String {
    match user {
        None => "/etc/.ibm/registry/InstallationManager.dat".into(),
        Some(u) => format!("/home/{u}/etc/.ibm/registry/InstallationManager.dat"),
    }
}

/// What discovery reports as the way to the data directory: the default location when it
/// is the documented one, else the registry file.
fn iim_found_by(p: &variants::Params) -> String {
    let default = match p.non_root_user {
        None => "/var/ibm/InstallationManager".to_string(),
        Some(u) => format!("/home/{u}/var/ibm/InstallationManager"),
    };
    if p.iim_data == default {
        "default location".into()
    } else {
        iim_registry_file(p.non_root_user)
    }
}

/// The `buildlevel` string for a release/CR and build stamp (`IC8.0_CR3_20230614_1200`).
pub(crate) fn buildlevel(level: &str, cr: Option<u32>, date: &str, time: &str) -> String {
    match cr {
        Some(n) => format!("IC{level}_CR{n}_{date}_{time}"),
        None => format!("IC{level}_{date}_{time}"),
    }
}

fn schema_of(a: &AppDef) -> &'static str {
    a.db.map(|(_, s)| s).unwrap_or("LCUSER")
}

fn db_tools(vendor: DbVendor, release: &str, rng: &mut Rng) -> DbToolsTruth {
    match vendor {
        DbVendor::Db2 => {
            let dir = if release < "7.0" { "V11.1" } else { "V11.5" };
            DbToolsTruth {
                vendor,
                command: format!("/opt/ibm/db2/{dir}/bin/db2"),
                verify_command: Some(format!("/opt/ibm/db2/{dir}/bin/db2ckbkp")),
                restore_command: None,
                rman_command: None,
                instance: Some("db2inst1".into()),
                run_as: Some("db2inst1".into()),
                username: None,
                password: None,
                oracle_directory: None,
            }
        }
        DbVendor::Sqlserver => DbToolsTruth {
            vendor,
            command: "/opt/mssql-tools18/bin/sqlcmd".into(),
            verify_command: None,
            restore_command: None,
            rman_command: None,
            instance: None,
            run_as: None,
            username: Some("sa".into()),
            password: Some(Secret::new(password(rng, "Sq1Adm"))),
            oracle_directory: None,
        },
        DbVendor::Oracle => {
            let home = "/home/oracle/oracle/product/19.0.0/db_1";
            DbToolsTruth {
                vendor,
                command: format!("{home}/bin/expdp"),
                verify_command: None,
                restore_command: Some(format!("{home}/bin/impdp")),
                rman_command: Some(format!("{home}/bin/rman")),
                instance: Some("LSCONN".into()),
                run_as: Some("oracle".into()),
                username: Some("system".into()),
                password: Some(Secret::new(password(rng, "0rcl"))),
                oracle_directory: Some((
                    "DATA_PUMP_DIR".into(),
                    "/home/oracle/oracle/admin/LSCONN/dpdump".into(),
                )),
            }
        }
    }
}
