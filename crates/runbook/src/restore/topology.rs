//! The servers that may be running at the target: the profiles the backup recorded (the
//! ones the restore overwrites), mapped under the target root, plus whatever discovery
//! finds there now (a failed update may have added a profile).

use std::path::PathBuf;

use websphere::Sysroot;

use crate::manifest::Manifest;
use crate::servers::{ControlProfile, ControlServer, ControlTopology, ProfileKind, ServerKind};

fn server_kind(kind: &str) -> ServerKind {
    match kind {
        "application_server" => ServerKind::ApplicationServer,
        "node_agent" => ServerKind::NodeAgent,
        "deployment_manager" => ServerKind::DeploymentManager,
        "web_server" => ServerKind::WebServer,
        _ => ServerKind::Other,
    }
}

/// The topology to check (and with `--stop`, stop) at the target.
pub fn target_topology(
    m: &Manifest,
    target: &Sysroot,
    discover: &connections::discover::DiscoverOptions,
) -> ControlTopology {
    let mut topo = match connections::discover::discover(target, discover) {
        Ok(d) => ControlTopology::from_deployment(&d, target),
        Err(e) => {
            tracing::debug!(error = %e, "no deployment discovered at the target; using the backup's profiles");
            ControlTopology::default()
        }
    };
    for p in &m.topology.profiles {
        let product_path = PathBuf::from(&p.path);
        if topo.profiles.iter().any(|x| x.product_path == product_path) {
            continue;
        }
        let Ok(path) = target.real_path(&product_path) else {
            continue;
        };
        if !path.is_dir() {
            continue;
        }
        let kind = match p.kind.as_str() {
            "dmgr" => ProfileKind::Dmgr,
            "managed" => ProfileKind::Managed,
            _ => ProfileKind::Standalone,
        };
        let node = p.node.clone().unwrap_or_default();
        let mut servers: Vec<ControlServer> = m
            .topology
            .servers
            .iter()
            .filter(|s| p.node.as_deref() == Some(s.node.as_str()))
            .map(|s| ControlServer {
                name: s.server.clone(),
                kind: server_kind(&s.kind),
                node: s.node.clone(),
                cluster: s.cluster.clone(),
            })
            .collect();
        crate::servers::add_implied_server(&mut servers, kind, &node);
        topo.profiles.push(ControlProfile {
            name: p.name.clone(),
            product_path,
            path,
            kind,
            servers,
        });
    }
    topo
}
