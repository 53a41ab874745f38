//! The full resynchronisation of a restored node with the deployment manager: each managed
//! profile's `bin/syncNode.sh <dmgr host> <dmgr SOAP port>`, run with the node agent
//! stopped and the deployment manager running. It is the documented step between the two
//! when a cell comes back from a backup: the dmgr (with the restored master configuration)
//! first, then every node's configuration made the master's again, then the node agents.

use std::path::Path;
use std::time::{Duration, Instant};

use connections::deployment::{Deployment, ServerType};
use serde::Serialize;
use websphere::Sysroot;

use super::admu::{admu_codes, classify, Verdict};
use super::control::{credential_line, run_as_user, ControlOptions, WasCredentials};
use super::state::{server_state, ServerState};
use super::topology::{ControlProfile, ControlTopology, ProfileKind, ServerKind};
use crate::process::{self, CommandSpec};

/// `syncNode.sh`'s message that the node's configuration is the master's again.
const SYNCHRONIZED: &str = "ADMU0402I";

/// Where the deployment manager listens for `syncNode.sh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DmgrAddress {
    /// Its host, as the cell configuration names it (`serverindex.xml` `hostName`).
    pub host: String,
    /// Its `SOAP_CONNECTOR_ADDRESS` port.
    pub port: u16,
}

/// Why the deployment manager's address cannot be found.
#[derive(Debug, thiserror::Error)]
pub enum DmgrAddressError {
    /// The cell configuration has no node with a deployment manager.
    #[error(
        "the cell configuration of {cell} names no deployment manager node; give its host and \
         SOAP port with --dmgr-host and --dmgr-port"
    )]
    NoDmgrNode {
        /// The cell.
        cell: String,
    },
    /// The deployment manager's node has no host name.
    #[error("node {node} of the deployment manager has no hostName in its serverindex.xml; give --dmgr-host")]
    NoHost {
        /// The node.
        node: String,
    },
    /// Its serverindex.xml cannot be read, or names no SOAP port.
    #[error(
        "the deployment manager's SOAP_CONNECTOR_ADDRESS cannot be read from {file}: {reason}; \
         give --dmgr-port"
    )]
    NoPort {
        /// The serverindex.xml read.
        file: String,
        /// Why.
        reason: String,
    },
}

/// The deployment manager's host and SOAP port, from the cell configuration this host
/// holds (every node holds the dmgr node's `serverindex.xml`, synchronised from the master
/// configuration). `host`/`port` override what the configuration says.
pub fn dmgr_address(
    dep: &Deployment,
    sys: &Sysroot,
    host: Option<&str>,
    port: Option<u16>,
) -> Result<DmgrAddress, DmgrAddressError> {
    if let (Some(host), Some(port)) = (host, port) {
        return Ok(DmgrAddress {
            host: host.to_owned(),
            port,
        });
    }
    let node = dep
        .was
        .nodes
        .iter()
        .find(|n| {
            n.servers
                .iter()
                .any(|s| s.kind == ServerType::DeploymentManager)
        })
        .ok_or_else(|| DmgrAddressError::NoDmgrNode {
            cell: dep.was.cell.clone(),
        })?;
    let host = match host.or(node.host.as_deref()) {
        Some(h) => h.to_owned(),
        None => {
            return Err(DmgrAddressError::NoHost {
                node: node.name.clone(),
            })
        }
    };
    let port = match port {
        Some(p) => p,
        None => soap_port(dep, sys, &node.name)?,
    };
    Ok(DmgrAddress { host, port })
}

/// The dmgr's `SOAP_CONNECTOR_ADDRESS` port in the dmgr node's `serverindex.xml` of the
/// first profile that holds the cell configuration.
fn soap_port(dep: &Deployment, sys: &Sysroot, node: &str) -> Result<u16, DmgrAddressError> {
    let mut last = DmgrAddressError::NoPort {
        file: format!("config/cells/{}/nodes/{node}/serverindex.xml", dep.was.cell),
        reason: "no profile on this host holds the cell configuration".into(),
    };
    for p in &dep.was.profiles {
        let file = format!(
            "{}/config/cells/{}/nodes/{node}/serverindex.xml",
            p.path, dep.was.cell
        );
        let no_port = |reason: String| DmgrAddressError::NoPort {
            file: file.clone(),
            reason,
        };
        let index = match websphere::serverindex::read_serverindex(sys, Path::new(&file)) {
            Ok(i) => i,
            Err(e) => {
                last = no_port(e.to_string());
                continue;
            }
        };
        let port = index
            .servers
            .iter()
            .filter(|s| s.server_type == websphere::serverindex::ServerType::DeploymentManager)
            .find_map(|s| s.endpoint("SOAP_CONNECTOR_ADDRESS").and_then(|e| e.port));
        match port {
            Some(p) => return Ok(p),
            None => last = no_port("the dmgr server has no SOAP_CONNECTOR_ADDRESS port".into()),
        }
    }
    Err(last)
}

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncOutcome {
    /// The managed profile.
    pub profile: String,
    /// Its node.
    pub node: String,
    /// `syncNode.sh` said the configuration is synchronised (`ADMU0402I`, exit 0).
    pub synchronized: bool,
    /// Why not, with the script's last words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Message ids the script printed.
    pub messages: Vec<String>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

/// The result of [`sync_nodes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The deployment manager synchronised with.
    pub dmgr: DmgrAddress,
    /// Every managed profile of this host, in discovery order.
    pub nodes: Vec<SyncOutcome>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl SyncReport {
    /// Whether every node was synchronised.
    pub fn ok(&self) -> bool {
        self.nodes.iter().all(|n| n.synchronized)
    }
}

/// Runs `syncNode.sh` for every managed profile of `topology` (one with a node agent). A
/// node whose agent runs is not synchronised (the script would refuse it too): stop it
/// first. Refused credentials stop the run, as for the control scripts.
pub fn sync_nodes(
    topology: &ControlTopology,
    dmgr: &DmgrAddress,
    creds: &WasCredentials,
    opts: &ControlOptions,
) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mut nodes = Vec::new();
    for profile in topology
        .profiles
        .iter()
        .filter(|p| p.kind == ProfileKind::Managed)
    {
        let outcome = sync_one(profile, dmgr, creds, opts)?;
        tracing::info!(profile = %outcome.profile, synchronized = outcome.synchronized, "syncNode finished");
        nodes.push(outcome);
    }
    Ok(SyncReport {
        dmgr: dmgr.clone(),
        nodes,
        duration_ms: crate::clock::millis(started),
    })
}

/// A synchronisation that had to stop.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The deployment manager refused the credentials (not retried).
    #[error(
        "wrong WebSphere credentials: syncNode.sh for profile {profile} was denied: {detail}. \
         Check websphere.username and the password (websphere.password_file or \
         CNXBACKUP_WAS_PASSWORD)"
    )]
    WrongCredentials {
        /// The profile.
        profile: String,
        /// The script's message.
        detail: String,
    },
}

fn sync_one(
    profile: &ControlProfile,
    dmgr: &DmgrAddress,
    creds: &WasCredentials,
    opts: &ControlOptions,
) -> Result<SyncOutcome, SyncError> {
    let started = Instant::now();
    let node = profile
        .servers
        .iter()
        .find(|s| s.kind == ServerKind::NodeAgent)
        .map_or_else(String::new, |s| s.node.clone());
    let mut outcome = SyncOutcome {
        profile: profile.name.clone(),
        node,
        synchronized: false,
        reason: None,
        messages: Vec::new(),
        duration_ms: 0,
    };
    let failed = |mut o: SyncOutcome, reason: String| {
        o.reason = Some(reason);
        o.duration_ms = crate::clock::millis(started);
        Ok(o)
    };
    let agent = profile
        .servers
        .iter()
        .find(|s| s.kind == ServerKind::NodeAgent);
    if let Some(agent) = agent {
        if let ServerState::Running { pid } = server_state(profile, agent) {
            return failed(
                outcome,
                format!(
                    "the node agent runs (pid {pid}): a full resynchronisation needs it stopped \
                     (cnxbackup servers stop --kind node-agents)"
                ),
            );
        }
    }
    let script = profile.path.join("bin").join("syncNode.sh");
    if !process::is_executable(&script) {
        let reason = format!("{} is missing or not executable", script.display());
        return failed(outcome, reason);
    }
    let spec = CommandSpec::new(&script)
        .arg(&dmgr.host)
        .arg(dmgr.port.to_string());
    let spec = creds
        .apply(spec, &profile.path)
        .current_dir(&profile.path)
        .timeout(opts.timeout + Duration::from_secs(60))
        .run_as(run_as_user(&opts.run_as, &profile.path).as_deref());
    tracing::info!(command = %spec.display(), "running syncNode");
    let out = match process::run(&spec) {
        Ok(o) => o,
        Err(e) => return failed(outcome, format!("syncNode.sh could not run: {e}")),
    };
    let text = out.combined();
    outcome.messages = admu_codes(&text);
    if classify(&text) == Verdict::WrongCredentials {
        return Err(SyncError::WrongCredentials {
            profile: profile.name.clone(),
            detail: credential_line(&text),
        });
    }
    if out.success() && outcome.messages.iter().any(|m| m == SYNCHRONIZED) {
        outcome.synchronized = true;
        outcome.duration_ms = crate::clock::millis(started);
        return Ok(outcome);
    }
    let reason = format!("syncNode.sh {}: {}", out.status_text(), out.tail(3));
    failed(outcome, reason)
}
