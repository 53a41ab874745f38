//! `config/cells/<cell>/fileRegistry.xml`: the federated repository's local file realm.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{parse_document, Element};

/// The base entry of WebSphere's built-in file-based realm.
pub const FILE_REALM_BASE_ENTRY: &str = "o=defaultWIMFileBasedRealm";

/// A user (`wim:PersonAccount`) of the file registry. Password hashes are not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRegistryUser {
    /// `identifier/@uniqueName` (`uid=wasadmin,o=defaultWIMFileBasedRealm`).
    pub unique_name: String,
    /// `uid`.
    pub uid: Option<String>,
    /// `cn`.
    pub cn: Option<String>,
    /// `sn`.
    pub sn: Option<String>,
    /// Line of the entity.
    pub line: u64,
}

/// A group (`wim:Group`) of the file registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRegistryGroup {
    /// `identifier/@uniqueName`.
    pub unique_name: String,
    /// `cn`.
    pub cn: Option<String>,
    /// Unique names of the members.
    pub members: Vec<String>,
}

/// A parsed `fileRegistry.xml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRegistry {
    /// Users in file order.
    pub users: Vec<FileRegistryUser>,
    /// Groups in file order.
    pub groups: Vec<FileRegistryGroup>,
}

/// Normalises a distinguished name for comparison: lower case, no blanks around `,`/`=`.
fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| {
            let (k, v) = rdn.split_once('=').unwrap_or((rdn, ""));
            format!("{}={}", k.trim(), v.trim())
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_ascii_lowercase()
}

/// True when a user id (as stored in a J2C alias) is a distinguished name in WebSphere's
/// local file realm, i.e. ends with `o=defaultWIMFileBasedRealm` (case and blanks
/// ignored). A short name (`filenetAdmin`) cannot be classified by itself: look it up with
/// [`FileRegistry::is_local_user`].
pub fn is_local_file_registry_user(user_id: &str) -> bool {
    let dn = normalize_dn(user_id);
    let base = FILE_REALM_BASE_ENTRY.to_ascii_lowercase();
    dn == base || dn.ends_with(&format!(",{base}"))
}

impl FileRegistry {
    /// The user a user id refers to: by unique name (DN comparison) or by `uid`
    /// (case-insensitive, as the file realm compares).
    pub fn find_user(&self, user_id: &str) -> Option<&FileRegistryUser> {
        let id = user_id.trim();
        if id.contains('=') {
            let dn = normalize_dn(id);
            self.users
                .iter()
                .find(|u| normalize_dn(&u.unique_name) == dn)
        } else {
            self.users.iter().find(|u| {
                u.uid
                    .as_deref()
                    .is_some_and(|uid| uid.eq_ignore_ascii_case(id))
            })
        }
    }

    /// True when `user_id` is a user of this file registry whose unique name lies in the
    /// local file realm.
    pub fn is_local_user(&self, user_id: &str) -> bool {
        self.find_user(user_id)
            .is_some_and(|u| is_local_file_registry_user(&u.unique_name))
    }
}

fn unique_name(e: &Element) -> Option<String> {
    e.child("identifier")
        .and_then(|i| i.attr_string("uniqueName"))
}

/// Parses `fileRegistry.xml` (an SDO datagraph of `wim:entities`). Entities without an
/// identifier are skipped; a document that has no `Root` element is an error.
pub fn parse_file_registry(input: &[u8], file: &Path) -> Result<FileRegistry, ReadError> {
    let doc = parse_document(input, file)?;
    let root = if doc.local() == "Root" {
        &doc
    } else {
        doc.child("Root").ok_or_else(|| {
            ReadError::parse(
                file,
                Some(doc.line),
                format!("no wim:Root inside <{}>", doc.qname),
            )
        })?
    };
    let mut reg = FileRegistry::default();
    for e in root.children_named("entities") {
        let Some(un) = unique_name(e) else {
            tracing::debug!(file = %file.display(), line = e.line, "entity without identifier");
            continue;
        };
        match e.type_local() {
            Some("PersonAccount") => reg.users.push(FileRegistryUser {
                unique_name: un,
                uid: e.child_text("uid"),
                cn: e.child_text("cn"),
                sn: e.child_text("sn"),
                line: e.line,
            }),
            Some("Group") => reg.groups.push(FileRegistryGroup {
                unique_name: un,
                cn: e.child_text("cn"),
                members: e
                    .children_named("members")
                    .filter_map(unique_name)
                    .collect(),
            }),
            _ => {}
        }
    }
    Ok(reg)
}

/// Reads a `fileRegistry.xml` at a product path through the sysroot.
pub fn read_file_registry(sys: &Sysroot, file: &Path) -> Result<FileRegistry, ReadError> {
    let bytes = sys.read(file)?;
    parse_file_registry(&bytes, file)
}
