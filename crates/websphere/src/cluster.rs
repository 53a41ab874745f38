//! `config/cells/<cell>/clusters/<cluster>/cluster.xml`: a cluster and its members.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{expect_root, parse_document};

/// One cluster member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterMember {
    /// `memberName`: the server name.
    pub server: String,
    /// `nodeName`.
    pub node: String,
    /// `weight`, when numeric.
    pub weight: Option<u32>,
}

/// A parsed `cluster.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterConfig {
    /// Cluster name.
    pub name: String,
    /// Members in file order.
    pub members: Vec<ClusterMember>,
}

/// Parses `cluster.xml` (root `topology.cluster:ServerCluster`). A member without
/// `memberName` or `nodeName` is an error naming its line.
pub fn parse_cluster_xml(input: &[u8], file: &Path) -> Result<ClusterConfig, ReadError> {
    let root = parse_document(input, file)?;
    expect_root(&root, "ServerCluster", file)?;
    let name = root
        .attr_string("name")
        .ok_or_else(|| ReadError::parse(file, Some(root.line), "cluster without a name"))?;
    let mut members = Vec::new();
    for m in root.children_named("members") {
        let server = m.attr_string("memberName").ok_or_else(|| {
            ReadError::parse(file, Some(m.line), "cluster member without memberName")
        })?;
        let node = m.attr_string("nodeName").ok_or_else(|| {
            ReadError::parse(
                file,
                Some(m.line),
                format!("cluster member {server} without nodeName"),
            )
        })?;
        members.push(ClusterMember {
            server,
            node,
            weight: m.attr("weight").and_then(|w| w.trim().parse().ok()),
        });
    }
    Ok(ClusterConfig { name, members })
}

/// Reads a `cluster.xml` at a product path through the sysroot.
pub fn read_cluster_xml(sys: &Sysroot, file: &Path) -> Result<ClusterConfig, ReadError> {
    let bytes = sys.read(file)?;
    parse_cluster_xml(&bytes, file)
}
