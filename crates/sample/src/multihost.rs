//! A cell over several hosts: one sysroot per host, each holding what lives on that host.
//!
//! The deployment manager's host has the Dmgr profile, the Connections install and
//! Installation Manager; each node host its managed profile (with the cell configuration
//! synchronised into it, as WebSphere does), Installation Manager, its local data and the
//! shared data, which is ONE directory (the "NFS export") bind-mounted on every node host;
//! the web server's host the IBM HTTP Server configuration and plug-in; the database
//! server the vendor tools and the databases. Every host's WebSphere stand-ins write their
//! own action log (`control.log` in that sysroot), so a test can put the hosts' logs side by
//! side ([`MultiHostCell::control_log`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use crate::expected::{ProfileType, ServerType};
use crate::standin_was::{sh_quote, STATE_DIR};
use crate::topology::Spec;
use crate::tree::Tree;
use crate::{build_part, BuildOptions, ControlEvent, Expected, Sample, SampleError, Variant};

/// What a host of the cell is there for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostRole {
    /// The deployment manager's host (Dmgr profile, Connections install, IIM).
    DeploymentManager,
    /// A node host (managed profile, node agent, application servers, local and shared data).
    Node,
    /// An IBM HTTP Server host (an unmanaged node in the cell configuration).
    WebServer,
    /// The database server (vendor tools and databases, no WebSphere).
    Database,
}

impl HostRole {
    /// The stable name (`dmgr`, `node`, `web`, `database`).
    pub fn name(self) -> &'static str {
        match self {
            HostRole::DeploymentManager => "dmgr",
            HostRole::Node => "node",
            HostRole::WebServer => "web",
            HostRole::Database => "database",
        }
    }
}

impl FromStr for HostRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            HostRole::DeploymentManager,
            HostRole::Node,
            HostRole::WebServer,
            HostRole::Database,
        ]
        .into_iter()
        .find(|r| r.name() == s)
        .ok_or_else(|| format!("unknown host role {s:?} (dmgr, node, web, database)"))
    }
}

/// The parts of a deployment a sample writer produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    /// The WebSphere install, this host's profiles and their control scripts.
    WebSphere,
    /// `connections_root`.
    ConnectionsInstall,
    /// Installation Manager's install, data and shared directories.
    InstallationManager,
    /// Local data, customization and shared data.
    Data,
    /// The database stand-ins and their state.
    Databases,
    /// IBM HTTP Server and the plug-in configuration.
    WebServer,
}

/// One host of a multi-host cell, as a sample build sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPart {
    pub host: String,
    pub role: HostRole,
}

impl HostPart {
    pub(crate) fn new(host: &str, role: HostRole) -> HostPart {
        HostPart {
            host: host.to_owned(),
            role,
        }
    }

    pub(crate) fn holds(&self, piece: Piece) -> bool {
        use Piece::*;
        match self.role {
            HostRole::DeploymentManager => {
                matches!(piece, WebSphere | ConnectionsInstall | InstallationManager)
            }
            HostRole::Node => matches!(piece, WebSphere | InstallationManager | Data),
            HostRole::WebServer => piece == WebServer,
            HostRole::Database => piece == Databases,
        }
    }
}

/// The spec of one host: the profiles whose node lives on it and their servers. The cell
/// configuration written into each profile still names every node and server.
pub(crate) fn host_spec(full: &Spec, part: &HostPart) -> Spec {
    let mut spec = full.clone();
    spec.cell_servers = Some(full.cell_servers().to_vec());
    let was = &mut spec.expected.was;
    let local_nodes: Vec<String> = was
        .nodes
        .iter()
        .filter(|n| n.host == part.host)
        .map(|n| n.name.clone())
        .collect();
    was.profiles.retain(|p| local_nodes.contains(&p.node));
    let local_profiles: Vec<String> = was.profiles.iter().map(|p| p.name.clone()).collect();
    was.servers.retain(|s| local_profiles.contains(&s.profile));
    spec.expected.primary_host = part.host.clone();
    spec
}

/// One host of a built cell.
#[derive(Debug, Clone)]
pub struct CellHost {
    /// Its host name (`cnx-app1.example.com`), as the cell configuration names it.
    pub name: String,
    /// What it is for.
    pub role: HostRole,
    /// Its sysroot and what lives there.
    pub sample: Sample,
}

/// A cell built one sysroot per host (see the module documentation). Dropping it unmounts
/// the shared data; stop the servers first ([`MultiHostCell::stop_all`]).
#[derive(Debug)]
pub struct MultiHostCell {
    /// The directory holding one sysroot per host (named by the short host name) and the
    /// shared-data export.
    pub root: PathBuf,
    /// The hosts: deployment manager, node hosts, web server, database server.
    pub hosts: Vec<CellHost>,
    /// The whole cell's truth.
    pub expected: Expected,
    /// The real directory every node host mounts as the shared data root.
    pub shared_export: PathBuf,
    mounts: Vec<PathBuf>,
}

/// The hosts of a cell and their roles, in the order a cell is started: the deployment
/// manager's host, the node hosts, the web server, the database server.
fn cell_hosts(e: &Expected) -> Vec<(String, HostRole)> {
    let mut hosts: Vec<(String, HostRole)> = Vec::new();
    let mut add = |host: &str, role: HostRole| {
        if !hosts.iter().any(|(h, _)| h == host) {
            hosts.push((host.to_owned(), role));
        }
    };
    let node_host = |node: &str| e.was.nodes.iter().find(|n| n.name == node);
    for p in e
        .was
        .profiles
        .iter()
        .filter(|p| p.profile_type == ProfileType::Dmgr)
    {
        if let Some(n) = node_host(&p.node) {
            add(&n.host, HostRole::DeploymentManager);
        }
    }
    for p in e
        .was
        .profiles
        .iter()
        .filter(|p| p.profile_type == ProfileType::Managed)
    {
        if let Some(n) = node_host(&p.node) {
            add(&n.host, HostRole::Node);
        }
    }
    for s in e
        .was
        .servers
        .iter()
        .filter(|s| s.server_type == ServerType::WebServer)
    {
        add(&s.host, HostRole::WebServer);
    }
    for d in &e.databases {
        add(&d.host, HostRole::Database);
    }
    hosts
}

/// Builds `variant` (one of [`Variant::multi_host`]) as one sysroot per host under `root`
/// (created if missing; must be empty), the shared data bind-mounted on every node host
/// (this needs root, as the tests have). No server is started.
pub fn build_cell(
    variant: Variant,
    root: &Path,
    opts: &BuildOptions,
) -> Result<MultiHostCell, SampleError> {
    let expected = crate::topology::spec(variant, opts).expected;
    std::fs::create_dir_all(root).map_err(|e| SampleError::io(root, e))?;
    let root = std::fs::canonicalize(root).map_err(|e| SampleError::io(root, e))?;
    let mut hosts = Vec::new();
    for (name, role) in cell_hosts(&expected) {
        let short = name.split('.').next().unwrap_or(&name).to_owned();
        let part = HostPart::new(&name, role);
        let sample = build_part(variant, &root.join(&short), opts, Some(&part))?;
        hosts.push(CellHost { name, role, sample });
    }
    let shared_export = root.join("exports").join("shared");
    let mut cell = MultiHostCell {
        root,
        hosts,
        expected,
        shared_export,
        mounts: Vec::new(),
    };
    cell.mount_shared_data()?;
    cell.connect_hosts()?;
    Ok(cell)
}

impl MultiHostCell {
    /// The host called `name` (full or short host name).
    pub fn host(&self, name: &str) -> Option<&CellHost> {
        self.hosts
            .iter()
            .find(|h| h.name == name || h.name.split('.').next() == Some(name))
    }

    /// The hosts of one role, in cell order.
    pub fn hosts_with(&self, role: HostRole) -> impl Iterator<Item = &CellHost> {
        self.hosts.iter().filter(move |h| h.role == role)
    }

    /// The "network" of the cell: every WebSphere host learns where each host of the cell
    /// lives (`was/cell-hosts`: host name and sysroot), and every node host's managed
    /// profiles get `bin/syncNode.sh`, which reaches the deployment manager through it.
    fn connect_hosts(&self) -> Result<(), SampleError> {
        let map: String = self
            .hosts
            .iter()
            .map(|h| format!("{} {}\n", h.name, h.sample.sysroot.display()))
            .collect();
        for h in self
            .hosts
            .iter()
            .filter(|h| matches!(h.role, HostRole::DeploymentManager | HostRole::Node))
        {
            let tree = Tree::new(&h.sample.sysroot);
            tree.write(&format!("{STATE_DIR}/was/cell-hosts"), map.as_str())?;
            let library = format!("{}{STATE_DIR}/lib/wasctl.sh", h.sample.sysroot.display());
            for p in h
                .sample
                .expected
                .was
                .profiles
                .iter()
                .filter(|p| p.profile_type == ProfileType::Managed)
            {
                tree.script(
                    &format!("{}/bin/syncNode.sh", p.path),
                    &format!(
                        "#!/bin/bash\n# WebSphere Application Server syncNode.sh for profile {} (cnxbackup sample stand-in).\nexec /bin/bash {} syncNode {} \"$@\"\n",
                        p.name,
                        sh_quote(&library),
                        sh_quote(&p.name)
                    ),
                )?;
            }
        }
        Ok(())
    }

    /// The first node host's shared data becomes the export; every node host mounts it.
    fn mount_shared_data(&mut self) -> Result<(), SampleError> {
        let shared = self.expected.data.shared_root.clone();
        let nodes: Vec<PathBuf> = self
            .hosts_with(HostRole::Node)
            .map(|h| h.sample.real_path(&shared))
            .collect();
        let Some(first) = nodes.first() else {
            return Ok(());
        };
        let parent = self.shared_export.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(parent).map_err(|e| SampleError::io(parent, e))?;
        std::fs::rename(first, &self.shared_export).map_err(|e| SampleError::io(first, e))?;
        for mount_point in nodes {
            if mount_point.exists() {
                std::fs::remove_dir_all(&mount_point)
                    .map_err(|e| SampleError::io(&mount_point, e))?;
            }
            std::fs::create_dir_all(&mount_point).map_err(|e| SampleError::io(&mount_point, e))?;
            run_mount(&["--bind"], &self.shared_export, &mount_point)?;
            self.mounts.push(mount_point);
        }
        Ok(())
    }

    /// Starts the cell as an administrator would: the deployment manager, then every node
    /// host's node agent and application servers.
    pub fn start_all(&self) -> Result<(), SampleError> {
        for h in &self.hosts {
            h.sample.start_all()?;
        }
        Ok(())
    }

    /// Stops every host's servers (application servers and node agents first, the
    /// deployment manager last), killing what does not stop. Returns the servers killed.
    pub fn stop_all(&self) -> Result<Vec<String>, SampleError> {
        let mut killed = Vec::new();
        for h in self.hosts.iter().rev() {
            killed.extend(h.sample.stop_all()?);
        }
        Ok(killed)
    }

    /// Every host's WebSphere stand-in calls, merged in time order, each with its host.
    pub fn control_log(&self) -> Result<Vec<(String, ControlEvent)>, SampleError> {
        let mut all = Vec::new();
        for h in &self.hosts {
            for ev in h.sample.control_log()? {
                all.push((h.name.clone(), ev));
            }
        }
        // RFC 3339 UTC times with milliseconds sort as text; the sort is stable per host
        all.sort_by(|a, b| a.1.time.cmp(&b.1.time));
        Ok(all)
    }

    /// Unmounts the shared data from every node host (also done on drop).
    pub fn unmount(&mut self) -> Result<(), SampleError> {
        while let Some(m) = self.mounts.pop() {
            let out = Command::new("umount")
                .arg(&m)
                .output()
                .map_err(|e| SampleError::io(&m, e))?;
            if !out.status.success() {
                self.mounts.push(m.clone());
                return Err(SampleError::BadState {
                    path: m,
                    reason: format!(
                        "umount failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Drop for MultiHostCell {
    fn drop(&mut self) {
        if let Err(e) = self.unmount() {
            tracing::warn!(error = %e, "sample cell: shared data left mounted");
        }
    }
}

fn run_mount(flags: &[&str], from: &Path, to: &Path) -> Result<(), SampleError> {
    let out = Command::new("mount")
        .args(flags)
        .arg(from)
        .arg(to)
        .output()
        .map_err(|e| SampleError::io(to, e))?;
    if out.status.success() {
        return Ok(());
    }
    Err(SampleError::BadState {
        path: to.to_path_buf(),
        reason: format!(
            "mounting the shared data ({}) failed: {}; a multi-host sample cell needs \
             bind mounts (run as root)",
            from.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    })
}
