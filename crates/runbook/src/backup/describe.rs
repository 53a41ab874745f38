//! The deployment as the manifest describes it: the Connections version with its evidence
//! and the topology (cell, roots, profiles, servers), from the discovered `Deployment`.

use connections::deployment::Deployment;

use serde::Serialize;

use crate::manifest::{IimDirs, ProfileRecord, ServerRef, Topology, WebServerRecord};

/// The cell, the roots, the profiles on this host and every server of the cell.
pub(crate) fn topology(d: &Deployment) -> Topology {
    Topology {
        cell: d.was.cell.clone(),
        app_server_root: d.was.app_server_root.clone(),
        connections_root: d.connections.root.clone(),
        shared_data: d.data.shared_root.clone(),
        local_data: d.data.local_root.clone(),
        provision: d.data.provision.clone(),
        customization: d.data.customization.clone(),
        iim: IimDirs {
            install_dir: d.installation_manager.install_dir.clone(),
            data_dir: d.installation_manager.data_dir.clone(),
            shared_dir: d.installation_manager.shared_dir.clone(),
        },
        ccm_installed: d.connections.ccm.installed,
        profiles: d
            .was
            .profiles
            .iter()
            .filter(|p| p.exists)
            .map(|p| ProfileRecord {
                name: p.name.clone(),
                path: p.path.clone(),
                kind: snake_name(p.kind),
                node: p.node.clone(),
            })
            .collect(),
        servers: d
            .was
            .servers()
            .map(|s| ServerRef {
                node: s.node.clone(),
                server: s.name.clone(),
                kind: snake_name(s.kind),
                host: s.host.clone(),
                cluster: s.cluster.clone(),
            })
            .collect(),
        web_servers: d
            .web_servers
            .iter()
            .filter(|w| w.on_this_host)
            .map(|w| WebServerRecord {
                name: w.name.clone(),
                install_root: w.install_root.clone(),
                version: w.version.clone(),
                plugin_install_root: w.plugin_install_root.clone(),
                plugin_version: w.plugin_version.clone(),
            })
            .collect(),
    }
}

/// The snake_case name serde gives a unit variant (`backup_databases`, `node_agent`).
pub(crate) fn snake_name(value: impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}
