//! The `config/cells/<cell>/{nodes/<node>/servers/<server>, clusters/<cluster>,
//! applications/<App>.ear}` directory tree of a profile.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;

/// A configuration scope: where a scoped file (`variables.xml`, `resources.xml`) lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum ConfigScope {
    /// `config/cells/<cell>`.
    Cell {
        /// Cell name.
        cell: String,
    },
    /// `config/cells/<cell>/clusters/<cluster>`.
    Cluster {
        /// Cell name.
        cell: String,
        /// Cluster name.
        cluster: String,
    },
    /// `config/cells/<cell>/nodes/<node>`.
    Node {
        /// Cell name.
        cell: String,
        /// Node name.
        node: String,
    },
    /// `config/cells/<cell>/nodes/<node>/servers/<server>`.
    Server {
        /// Cell name.
        cell: String,
        /// Node name.
        node: String,
        /// Server name.
        server: String,
    },
}

impl ConfigScope {
    /// The scope's directory (a product path) under a profile root.
    pub fn dir(&self, profile_root: &Path) -> PathBuf {
        let cell_dir = |cell: &str| profile_root.join("config/cells").join(cell);
        match self {
            ConfigScope::Cell { cell } => cell_dir(cell),
            ConfigScope::Cluster { cell, cluster } => cell_dir(cell).join("clusters").join(cluster),
            ConfigScope::Node { cell, node } => cell_dir(cell).join("nodes").join(node),
            ConfigScope::Server { cell, node, server } => cell_dir(cell)
                .join("nodes")
                .join(node)
                .join("servers")
                .join(server),
        }
    }

    /// A file in the scope's directory.
    pub fn file(&self, profile_root: &Path, name: &str) -> PathBuf {
        self.dir(profile_root).join(name)
    }

    /// A short label for messages (`server cell/node/server`).
    pub fn label(&self) -> String {
        match self {
            ConfigScope::Cell { cell } => format!("cell {cell}"),
            ConfigScope::Cluster { cell, cluster } => format!("cluster {cell}/{cluster}"),
            ConfigScope::Node { cell, node } => format!("node {cell}/{node}"),
            ConfigScope::Server { cell, node, server } => format!("server {cell}/{node}/{server}"),
        }
    }
}

/// The cells found under one profile's `config/cells`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigTree {
    /// The profile root (product path).
    pub profile_root: PathBuf,
    /// Cells, sorted by name (a profile normally has exactly one).
    pub cells: Vec<CellLayout>,
}

/// One cell directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellLayout {
    /// Cell name.
    pub name: String,
    /// `config/cells/<cell>` (product path).
    pub dir: PathBuf,
    /// Nodes, sorted by name.
    pub nodes: Vec<NodeLayout>,
    /// Cluster directory names, sorted.
    pub clusters: Vec<String>,
    /// Application directory names under `applications/` (`Files.ear`), sorted.
    pub applications: Vec<String>,
}

/// One node directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeLayout {
    /// Node name.
    pub name: String,
    /// `config/cells/<cell>/nodes/<node>` (product path).
    pub dir: PathBuf,
    /// Server directory names, sorted (including `dmgr`, `nodeagent`, web servers).
    pub servers: Vec<String>,
}

/// Lists the cells, nodes, servers, clusters and applications under
/// `<profile_root>/config/cells`. A missing `config/cells` is an error (the profile path is
/// wrong); missing `nodes`, `clusters` or `applications` directories are empty lists.
/// Names that are not UTF-8 are skipped with a warning (WAS never creates them).
pub fn read_config_tree(sys: &Sysroot, profile_root: &Path) -> Result<ConfigTree, ReadError> {
    let cells_dir = profile_root.join("config/cells");
    let mut cells = Vec::new();
    for cell in subdirs(sys, &cells_dir, true)? {
        let dir = cells_dir.join(&cell);
        let mut nodes = Vec::new();
        for node in subdirs(sys, &dir.join("nodes"), false)? {
            let node_dir = dir.join("nodes").join(&node);
            let servers = subdirs(sys, &node_dir.join("servers"), false)?;
            nodes.push(NodeLayout {
                name: node,
                dir: node_dir,
                servers,
            });
        }
        let clusters = subdirs(sys, &dir.join("clusters"), false)?;
        let applications = subdirs(sys, &dir.join("applications"), false)?;
        cells.push(CellLayout {
            name: cell,
            dir,
            nodes,
            clusters,
            applications,
        });
    }
    Ok(ConfigTree {
        profile_root: profile_root.to_path_buf(),
        cells,
    })
}

/// Names of the sub-directories of `dir`, sorted. When `required` is false a missing
/// directory yields an empty list.
pub(crate) fn subdirs(sys: &Sysroot, dir: &Path, required: bool) -> Result<Vec<String>, ReadError> {
    let entries = match sys.read_dir(dir) {
        Ok(e) => e,
        Err(e) if !required && e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for name in entries {
        let path = dir.join(&name);
        if !sys.is_dir(&path) {
            continue;
        }
        match OsString::into_string(name) {
            Ok(s) => out.push(s),
            Err(raw) => {
                tracing::warn!(dir = %dir.display(), name = ?raw, "skipping non-UTF-8 directory name");
            }
        }
    }
    Ok(out)
}
