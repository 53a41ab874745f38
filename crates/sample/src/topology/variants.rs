//! Per-variant parameters: versions, roots, topology, database vendor, CCM and users.

use super::catalog::{APPS, FILENET_ENGINE, INFRA_APPS, NAVIGATOR};
use super::CcmLayout;
use crate::expected::DbVendor;
use crate::variant::Variant;

/// A node, the profile hosting it and its host name.
pub(crate) struct NodeDef {
    pub(crate) profile: &'static str,
    pub(crate) node: String,
    pub(crate) host: String,
}

/// A cluster, the nodes it has a member on and its applications.
pub(crate) struct ClusterDef {
    pub(crate) name: &'static str,
    /// Indexes into the app-server nodes (not the dmgr).
    pub(crate) on_nodes: Vec<usize>,
    pub(crate) apps: Vec<String>,
}

/// Who the `filenetAdmin` J2C alias names.
pub(crate) enum FnAdmin {
    None,
    Local(&'static str),
    Ldap(&'static str),
}

/// How cluster members are named.
pub(crate) enum MemberNaming {
    /// `<cluster>_server<n>` (installer style).
    Installer,
    /// `<cluster>-<shorthost>` (automation style).
    Automation,
}

/// Everything that differs between variants.
pub(crate) struct Params {
    pub(crate) offering: &'static str,
    pub(crate) release: &'static str,
    pub(crate) cr: Option<u32>,
    pub(crate) ifix_ids: Vec<&'static str>,
    pub(crate) build_date: &'static str,
    pub(crate) build_time: &'static str,
    pub(crate) hcl: bool,
    pub(crate) connections_root: String,
    pub(crate) app_server_root: String,
    pub(crate) was_version: &'static str,
    pub(crate) was_package_version: &'static str,
    pub(crate) cell: &'static str,
    pub(crate) iim_install: String,
    pub(crate) iim_data: String,
    pub(crate) iim_shared: String,
    pub(crate) non_root_user: Option<&'static str>,
    /// An admin (root) Installation Manager that installed only IBM HTTP Server besides
    /// the one that installed Connections.
    pub(crate) root_ihs_iim: bool,
    /// Content and state directories moved out of the data roots through WebSphere
    /// variables (the message store, Wikis content, the search dictionary) and the FileNet
    /// storage area named by one.
    pub(crate) relocated_content: bool,
    pub(crate) shared_root: String,
    pub(crate) local_root: String,
    pub(crate) customization: String,
    /// Cell variables reference an admin-defined root variable (`${CNX_SHARED_ROOT}`).
    pub(crate) root_variables: bool,
    pub(crate) vendor: DbVendor,
    pub(crate) ccm: Option<CcmLayout>,
    pub(crate) filenet_admin: FnAdmin,
    pub(crate) ldap: bool,
    pub(crate) dmgr: NodeDef,
    pub(crate) nodes: Vec<NodeDef>,
    pub(crate) clusters: Vec<ClusterDef>,
    pub(crate) naming: MemberNaming,
    pub(crate) webserver: bool,
    /// The web server's own host: an unmanaged node holding `webserver1` (else the web
    /// server definition sits on the first node).
    pub(crate) web_node: Option<NodeDef>,
    pub(crate) icec: bool,
}

fn ibm_defaults(connections_root: &str) -> (String, String) {
    (
        format!("{connections_root}/data/shared"),
        format!("{connections_root}/data/local"),
    )
}

fn node(profile: &'static str, node: &str, host: &str) -> NodeDef {
    NodeDef {
        profile,
        node: node.to_string(),
        host: host.to_string(),
    }
}

fn medium_clusters(ccm: bool, nodes: Vec<usize>) -> Vec<ClusterDef> {
    let mut apps = vec![];
    let mut infra = vec![];
    for a in APPS {
        if INFRA_APPS.contains(&a.ear) {
            infra.push(a.ear.to_string());
        } else {
            apps.push(a.ear.to_string());
        }
    }
    if ccm {
        apps.push(FILENET_ENGINE.into());
        apps.push(NAVIGATOR.into());
    }
    vec![
        ClusterDef {
            name: "InfraCluster",
            on_nodes: nodes.clone(),
            apps: infra,
        },
        ClusterDef {
            name: "AppsCluster",
            on_nodes: nodes,
            apps,
        },
    ]
}

fn one_cluster(name: &'static str, ccm: bool) -> Vec<ClusterDef> {
    let mut apps: Vec<String> = APPS.iter().map(|a| a.ear.to_string()).collect();
    if ccm {
        apps.push(FILENET_ENGINE.into());
        apps.push(NAVIGATOR.into());
    }
    vec![ClusterDef {
        name,
        on_nodes: vec![0],
        apps,
    }]
}

/// The large-topology layout: one cluster per group of applications ("large deployment":
/// a cluster per app), each with a member on both nodes, plus `extra` customer apps.
fn large_clusters(extra: usize) -> Vec<ClusterDef> {
    const NAMES: [&str; 10] = [
        "CommonCluster",
        "CommunitiesCluster",
        "NewsCluster",
        "ProfilesCluster",
        "SearchCluster",
        "FilesCluster",
        "WikisCluster",
        "BlogsCluster",
        "PushCluster",
        "CustomCluster",
    ];
    let mut apps: Vec<String> = APPS.iter().map(|a| a.ear.to_string()).collect();
    apps.extend((1..=extra).map(|i| format!("CustomerApp{i:02}")));
    let mut clusters: Vec<ClusterDef> = NAMES
        .iter()
        .map(|name| ClusterDef {
            name,
            on_nodes: vec![0, 1],
            apps: vec![],
        })
        .collect();
    for (i, app) in apps.into_iter().enumerate() {
        clusters[i % NAMES.len()].apps.push(app);
    }
    clusters
}

pub(crate) fn params(variant: Variant) -> Params {
    let ibm_root = "/opt/IBM/Connections".to_string();
    let was = "/opt/IBM/WebSphere/AppServer".to_string();
    let (shared, local) = ibm_defaults(&ibm_root);
    let iim = (
        "/opt/IBM/InstallationManager".to_string(),
        "/var/ibm/InstallationManager".to_string(),
        "/opt/IBM/IMShared".to_string(),
    );
    match variant {
        Variant::V80Db2Ccm => Params {
            offering: "8.0.0.0_CR3",
            release: "8.0",
            cr: Some(3),
            ifix_ids: vec!["KB0105812", "KB0102411"],
            build_date: "20230614",
            build_time: "1200",
            hcl: true,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.24",
            was_package_version: "8.5.5024.20230628_1659",
            cell: "ICCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{ibm_root}/data/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Db2,
            ccm: Some(CcmLayout::FileNet),
            filenet_admin: FnAdmin::Local("fnadmin"),
            ldap: true,
            dmgr: node("Dmgr01", "cnx1CellManager01", "cnx1.example.com"),
            nodes: vec![
                node("AppSrv01", "cnx1Node01", "cnx1.example.com"),
                node("AppSrv02", "cnx2Node01", "cnx2.example.com"),
            ],
            clusters: medium_clusters(true, vec![0, 1]),
            naming: MemberNaming::Installer,
            webserver: true,
            web_node: None,
            icec: true,
        },
        Variant::V80SqlServerLdap => Params {
            offering: "8.0.0.0_CR14",
            release: "8.0",
            cr: Some(14),
            ifix_ids: vec!["KB0117350"],
            build_date: "20250512",
            build_time: "0930",
            hcl: true,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.26",
            was_package_version: "8.5.5026.20240920_1541",
            cell: "ConnectionsCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{shared}/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Sqlserver,
            ccm: None,
            filenet_admin: FnAdmin::Ldap("fnadmin"),
            ldap: true,
            dmgr: node("Dmgr01", "cnxCellManager01", "cnx.example.com"),
            nodes: vec![node("AppSrv01", "cnxNode01", "cnx.example.com")],
            clusters: one_cluster("ICCluster", false),
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::V65Cr1Oracle => Params {
            offering: "6.5.0.0_CR1",
            release: "6.5",
            cr: Some(1),
            ifix_ids: vec!["LO99542"],
            build_date: "20200615",
            build_time: "1630",
            hcl: true,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.17",
            was_package_version: "8.5.5017.20200210_1213",
            cell: "ICCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{ibm_root}/data/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Oracle,
            ccm: None,
            filenet_admin: FnAdmin::None,
            ldap: true,
            dmgr: node("Dmgr01", "icCellManager01", "ic.example.com"),
            nodes: vec![node("AppSrv01", "icNode01", "ic.example.com")],
            clusters: one_cluster("Apps", false),
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::V60Cr6Ccm => Params {
            offering: "6.0.0.0_CR6",
            release: "6.5",
            cr: Some(6),
            ifix_ids: vec!["LO96101", "LO95430"],
            build_date: "20190905",
            build_time: "1015",
            hcl: false,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.15",
            was_package_version: "8.5.5015.20190128_1828",
            cell: "ICCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{ibm_root}/data/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Db2,
            ccm: Some(CcmLayout::FileNet),
            filenet_admin: FnAdmin::Local("wasadmin"),
            ldap: true,
            dmgr: node("Dmgr01", "icCellManager01", "ic.example.com"),
            nodes: vec![node("AppSrv01", "icNode01", "ic.example.com")],
            clusters: one_cluster("ICCluster", true),
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::V60Cr4Ccm => Params {
            offering: "6.0.0.0_CR4",
            release: "6.0",
            cr: Some(4),
            ifix_ids: vec!["LO93624", "LO94102"],
            build_date: "20180528",
            build_time: "1432",
            hcl: false,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.14",
            was_package_version: "8.5.5014.20180802_1505",
            cell: "ICCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{ibm_root}/data/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Db2,
            ccm: Some(CcmLayout::Addons),
            filenet_admin: FnAdmin::Ldap("cnxadmin"),
            ldap: true,
            dmgr: node("Dmgr01", "icCellManager01", "ic.example.com"),
            nodes: vec![node("AppSrv01", "icNode01", "ic.example.com")],
            clusters: one_cluster("ICCluster", true),
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::V70TwoNodesSplitClusters => Params {
            offering: "7.0.0.0_20201124_1632",
            release: "7.0",
            cr: None,
            ifix_ids: vec!["CFix.70.2205", "CFix.70.2110"],
            build_date: "20201124",
            build_time: "1632",
            hcl: true,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.20",
            was_package_version: "8.5.5020.20210708_1826",
            cell: "ICCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{shared}/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: true,
            vendor: DbVendor::Db2,
            ccm: None,
            filenet_admin: FnAdmin::None,
            ldap: true,
            dmgr: node("Dmgr01", "dmgrCellManager01", "dmgr.example.com"),
            nodes: vec![
                node("AppSrv01", "cnx1Node01", "cnx1.example.com"),
                node("AppSrv02", "cnx2Node01", "cnx2.example.com"),
            ],
            clusters: {
                let mut c = medium_clusters(false, vec![0, 1]);
                // Split: Apps only on node 1, Push (moved out of Apps) only on node 2.
                c[1].on_nodes = vec![0];
                c[1].apps.retain(|a| a != "PushNotification");
                c.push(ClusterDef {
                    name: "PushCluster",
                    on_nodes: vec![1],
                    apps: vec!["PushNotification".into()],
                });
                c
            },
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::LargeCell => Params {
            offering: "8.0.0.0_CR14",
            release: "8.0",
            cr: Some(14),
            ifix_ids: vec!["KB0117350", "KB0119012"],
            build_date: "20250512",
            build_time: "0930",
            hcl: true,
            connections_root: ibm_root.clone(),
            app_server_root: was,
            was_version: "8.5.5.26",
            was_package_version: "8.5.5026.20240920_1541",
            cell: "BigCell",
            iim_install: iim.0,
            iim_data: iim.1,
            iim_shared: iim.2,
            non_root_user: None,
            root_ihs_iim: false,
            relocated_content: false,
            customization: format!("{shared}/customization"),
            shared_root: shared,
            local_root: local,
            root_variables: false,
            vendor: DbVendor::Db2,
            ccm: None,
            filenet_admin: FnAdmin::None,
            ldap: true,
            dmgr: node("Dmgr01", "bigCellManager01", "dmgr.example.com"),
            nodes: vec![
                node("AppSrv01", "big1Node01", "big1.example.com"),
                node("AppSrv02", "big2Node01", "big2.example.com"),
            ],
            // 17 Connections apps + ICEC + 42 customer apps = 60 applications; 10 clusters
            // x 2 nodes = 20 application servers.
            clusters: large_clusters(42),
            naming: MemberNaming::Installer,
            webserver: false,
            web_node: None,
            icec: true,
        },
        Variant::HclBrandedRelocated => {
            let root = "/opt/HCL/Connections".to_string();
            Params {
                offering: "8.0.0.0_CR14",
                release: "8.0",
                cr: Some(14),
                ifix_ids: vec!["KB0119012"],
                build_date: "20250512",
                build_time: "0930",
                hcl: true,
                connections_root: root,
                app_server_root: was,
                was_version: "8.5.5.26",
                was_package_version: "8.5.5026.20240920_1541",
                cell: "ConnectionsCell",
                // Installed with -dataLocation: only the registry file and config.ini
                // lead to the agent data directory.
                iim_install: "/opt/HCL/InstallationManager".into(),
                iim_data: "/opt/HCL/InstallationManager-data".into(),
                iim_shared: "/opt/HCL/IMShared".into(),
                non_root_user: None,
                root_ihs_iim: false,
                relocated_content: true,
                shared_root: "/nfs/data/shared".into(),
                local_root: "/opt/HCL/data/local".into(),
                customization: "/opt/HCL/customization".into(),
                root_variables: true,
                vendor: DbVendor::Db2,
                ccm: Some(CcmLayout::FileNet),
                filenet_admin: FnAdmin::Local("filenetadmin"),
                ldap: true,
                dmgr: node("Dmgr01", "cnx1CellManager01", "cnx1.example.com"),
                nodes: vec![node("AppSrv01", "cnx1-node", "cnx1.example.com")],
                clusters: {
                    let mut c = medium_clusters(true, vec![0]);
                    c[0].name = "Infra";
                    c[1].name = "Apps";
                    c
                },
                naming: MemberNaming::Automation,
                webserver: false,
                web_node: None,
                icec: true,
            }
        }
        Variant::MultiHostCell => Params {
            dmgr: node("Dmgr01", "cnxdmgrCellManager01", "cnx-dmgr.example.com"),
            nodes: vec![
                node("AppSrv01", "cnxapp1Node01", "cnx-app1.example.com"),
                node("AppSrv02", "cnxapp2Node01", "cnx-app2.example.com"),
            ],
            // an NFS export mounted on both node hosts
            shared_root: "/nfs/connections/shared".into(),
            webserver: true,
            web_node: Some(node("", "cnxwebNode01", "cnx-web.example.com")),
            ..params(Variant::V80Db2Ccm)
        },
        Variant::NonRootIim => {
            let home = "/home/lcuser";
            let root = format!("{home}/IBM/Connections");
            let (shared, local) = ibm_defaults(&root);
            Params {
                offering: "8.0.0.0_CR10",
                release: "8.0",
                cr: Some(10),
                ifix_ids: vec![],
                build_date: "20240830",
                build_time: "1100",
                hcl: true,
                customization: format!("{root}/data/customization"),
                connections_root: root,
                app_server_root: format!("{home}/IBM/WebSphere/AppServer"),
                was_version: "8.5.5.25",
                was_package_version: "8.5.5025.20240111_1106",
                cell: "ICCell",
                iim_install: format!("{home}/IBM/InstallationManager"),
                iim_data: format!("{home}/var/ibm/InstallationManager"),
                iim_shared: format!("{home}/IBM/IMShared"),
                non_root_user: Some("lcuser"),
                root_ihs_iim: true,
                relocated_content: false,
                shared_root: shared,
                local_root: local,
                root_variables: false,
                vendor: DbVendor::Db2,
                ccm: None,
                filenet_admin: FnAdmin::None,
                ldap: false,
                dmgr: node("Dmgr01", "cnxCellManager01", "cnx.example.com"),
                nodes: vec![node("AppSrv01", "cnxNode01", "cnx.example.com")],
                clusters: one_cluster("ICCluster", false),
                naming: MemberNaming::Installer,
                webserver: false,
                web_node: None,
                icec: true,
            }
        }
    }
}

impl Params {
    /// `8.0` for buildlevels; 6.0 CR6 still says 6.0 in its own build strings.
    pub(crate) fn release_level(&self) -> &'static str {
        match self
            .offering
            .split('.')
            .take(2)
            .collect::<Vec<_>>()
            .as_slice()
        {
            ["6", "0"] => "6.0",
            ["6", "5"] => "6.5",
            ["7", "0"] => "7.0",
            _ => "8.0",
        }
    }
}
