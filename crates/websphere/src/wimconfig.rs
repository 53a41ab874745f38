//! `config/cells/<cell>/wim/config/wimconfig.xml`: the federated repositories.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::parse_document;

/// The kind of a federated repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepositoryKind {
    /// `LdapRepositoryType`.
    Ldap,
    /// `FileRepositoryType` (the built-in file realm).
    File,
    /// `DatabaseRepositoryType`.
    Database,
    /// Anything else (custom adapters), type as written.
    Other(String),
}

/// An LDAP server of an LDAP repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LdapServer {
    /// Host.
    pub host: String,
    /// Port, if valid.
    pub port: Option<u16>,
}

/// One `config:repositories` entry (bind passwords are not read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WimRepository {
    /// `id` (`InternalFileRepository`, `ldaprepo1`).
    pub id: String,
    /// Kind from `xsi:type`.
    pub kind: RepositoryKind,
    /// `adapterClassName`, if any.
    pub adapter_class: Option<String>,
    /// Base entry names (`o=defaultWIMFileBasedRealm`, `dc=example,dc=com`).
    pub base_entries: Vec<String>,
    /// LDAP servers (LDAP repositories only).
    pub ldap_servers: Vec<LdapServer>,
}

/// A realm of the realm configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WimRealm {
    /// Realm name.
    pub name: String,
    /// Participating base entries.
    pub base_entries: Vec<String>,
}

/// A parsed `wimconfig.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WimConfig {
    /// Repositories in file order.
    pub repositories: Vec<WimRepository>,
    /// `realmConfiguration/@defaultRealm`.
    pub default_realm: Option<String>,
    /// Realms in file order.
    pub realms: Vec<WimRealm>,
}

/// Parses `wimconfig.xml`. Elements are found by local name anywhere below the root, so
/// the exact nesting (`sdo:datagraph/config:configProvider/...`) does not matter. A
/// repository without `id` is an error naming its line.
pub fn parse_wimconfig(input: &[u8], file: &Path) -> Result<WimConfig, ReadError> {
    let root = parse_document(input, file)?;
    let mut cfg = WimConfig::default();
    for e in root.descendants() {
        match e.local() {
            "repositories" => {
                let id = e
                    .attr_string("id")
                    .ok_or_else(|| ReadError::parse(file, Some(e.line), "repository without id"))?;
                let kind = match e.type_local() {
                    Some("LdapRepositoryType") => RepositoryKind::Ldap,
                    Some("FileRepositoryType") => RepositoryKind::File,
                    Some("DatabaseRepositoryType") => RepositoryKind::Database,
                    other => RepositoryKind::Other(other.unwrap_or_default().to_string()),
                };
                let ldap_servers = e
                    .descendants()
                    .into_iter()
                    .filter(|c| c.local() == "connections")
                    .filter_map(|c| {
                        Some(LdapServer {
                            host: c.attr_string("host")?,
                            port: c.attr("port").and_then(|p| p.trim().parse().ok()),
                        })
                    })
                    .collect();
                cfg.repositories.push(WimRepository {
                    id,
                    kind,
                    adapter_class: e.attr_string("adapterClassName"),
                    base_entries: e
                        .children_named("baseEntries")
                        .filter_map(|b| b.attr_string("name"))
                        .collect(),
                    ldap_servers,
                });
            }
            "realmConfiguration" => cfg.default_realm = e.attr_string("defaultRealm"),
            "realms" => {
                if let Some(name) = e.attr_string("name") {
                    cfg.realms.push(WimRealm {
                        name,
                        base_entries: e
                            .children_named("participatingBaseEntries")
                            .filter_map(|b| b.attr_string("name"))
                            .collect(),
                    });
                }
            }
            _ => {}
        }
    }
    Ok(cfg)
}

/// Reads a `wimconfig.xml` at a product path through the sysroot.
pub fn read_wimconfig(sys: &Sysroot, file: &Path) -> Result<WimConfig, ReadError> {
    let bytes = sys.read(file)?;
    parse_wimconfig(&bytes, file)
}
