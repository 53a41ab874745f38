//! `config/cells/<cell>/security.xml`: J2C authentication data (aliases with user ids and
//! passwords) and the active user registry.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::secret::Password;
use crate::sysroot::Sysroot;
use crate::xml::{expect_root, parse_document};

/// One J2C authentication data entry (`authDataEntries`).
#[derive(Debug, Clone, Serialize)]
pub struct AuthData {
    /// `alias` (`connectionsAdmin`, `filenetAdmin`, or `<node>/<name>` when created in the
    /// console).
    pub alias: String,
    /// `userId` (a short name or a distinguished name).
    pub user_id: String,
    /// The password, decoded in memory when it is `{xor}`; never printed.
    pub password: Password,
    /// `description`, if any.
    pub description: Option<String>,
    /// Line of the entry.
    pub line: u64,
}

/// A user registry defined in `security.xml` (passwords are not kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRegistry {
    /// `xmi:id` (`WIMUserRegistry_1`).
    pub id: String,
    /// Type without prefix (`WIMUserRegistry`, `LDAPUserRegistry`, `LocalOSUserRegistry`,
    /// `CustomUserRegistry`).
    pub kind: String,
    /// `realm`, if any.
    pub realm: Option<String>,
    /// `primaryAdminId`, if any.
    pub primary_admin_id: Option<String>,
}

/// What the tool needs from `security.xml`.
#[derive(Debug, Clone, Serialize)]
pub struct SecurityConfig {
    /// Administrative (global) security `enabled`.
    pub security_enabled: Option<bool>,
    /// Application security `appEnabled`.
    pub app_security_enabled: Option<bool>,
    /// The registry named by `activeUserRegistry`, when it is defined in the file.
    pub active_user_registry: Option<UserRegistry>,
    /// Every registry defined.
    pub user_registries: Vec<UserRegistry>,
    /// J2C authentication data in file order.
    pub auth_data: Vec<AuthData>,
}

impl SecurityConfig {
    /// The entry for an alias: an exact match first, else a unique entry whose alias ends
    /// in `/<alias>` (aliases made in the admin console carry a node-name prefix).
    pub fn auth_data(&self, alias: &str) -> Option<&AuthData> {
        if let Some(exact) = self.auth_data.iter().find(|a| a.alias == alias) {
            return Some(exact);
        }
        let suffix = format!("/{alias}");
        let mut matches = self.auth_data.iter().filter(|a| a.alias.ends_with(&suffix));
        let first = matches.next()?;
        matches.next().is_none().then_some(first)
    }
}

fn opt_bool(v: Option<&str>) -> Option<bool> {
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        Some(s) if s == "true" => Some(true),
        Some(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// Parses `security.xml`. An auth data entry without `alias` is an error naming its line;
/// password problems are recorded in [`Password`], not raised, and never include the value.
pub fn parse_security_xml(input: &[u8], file: &Path) -> Result<SecurityConfig, ReadError> {
    let root = parse_document(input, file)?;
    expect_root(&root, "Security", file)?;
    let mut auth_data = Vec::new();
    for e in root.children_named("authDataEntries") {
        let alias = e
            .attr_string("alias")
            .ok_or_else(|| ReadError::parse(file, Some(e.line), "authDataEntries without alias"))?;
        auth_data.push(AuthData {
            alias,
            user_id: e.attr("userId").unwrap_or_default().trim().to_string(),
            password: Password::from_attribute(e.attr("password").unwrap_or_default()),
            description: e.attr_string("description"),
            line: e.line,
        });
    }
    let user_registries: Vec<UserRegistry> = root
        .children_named("userRegistries")
        .map(|r| UserRegistry {
            id: r.attr("id").unwrap_or_default().to_string(),
            kind: r.type_local().unwrap_or_default().to_string(),
            realm: r.attr_string("realm"),
            primary_admin_id: r.attr_string("primaryAdminId"),
        })
        .collect();
    let active_user_registry = root
        .attr("activeUserRegistry")
        .and_then(|id| user_registries.iter().find(|r| r.id == id.trim()).cloned());
    Ok(SecurityConfig {
        security_enabled: opt_bool(root.attr("enabled")),
        app_security_enabled: opt_bool(root.attr("appEnabled")),
        active_user_registry,
        user_registries,
        auth_data,
    })
}

/// Reads a `security.xml` at a product path through the sysroot.
pub fn read_security_xml(sys: &Sysroot, file: &Path) -> Result<SecurityConfig, ReadError> {
    let bytes = sys.read(file)?;
    parse_security_xml(&bytes, file)
}
