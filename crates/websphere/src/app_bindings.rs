//! Application security-role bindings: `ibm-application-bnd.xmi` (XMI, J2EE 1.4 era) and
//! `ibm-application-bnd.xml` (Java EE 5+), found in a deployed application's `META-INF/`
//! under `config/cells/<cell>/applications/<App>.ear/deployments/<App>/`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config_tree::subdirs;
use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{parse_document, Element};

/// File name of the XMI binding.
pub const BINDING_XMI: &str = "ibm-application-bnd.xmi";
/// File name of the Java EE XML binding.
pub const BINDING_XML: &str = "ibm-application-bnd.xml";

/// A user or group mapped to a role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Name (`wasadmin`, `cn=admins,o=example`).
    pub name: String,
    /// Access id (`user:realm/uniqueName`), if recorded.
    pub access_id: Option<String>,
}

/// The subjects mapped to one security role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleMapping {
    /// Role name. For an XMI binding whose role is only a reference into
    /// `application.xml` that could not be resolved, the reference's fragment id.
    pub role: String,
    /// The `href` of an XMI role reference (`META-INF/application.xml#SecurityRole_1`).
    pub role_ref: Option<String>,
    /// Special subject Everyone.
    pub everyone: bool,
    /// Special subject All Authenticated Users.
    pub all_authenticated: bool,
    /// Special subject All Authenticated in Trusted Realms.
    pub all_authenticated_in_trusted_realms: bool,
    /// Special subject Server.
    pub server: bool,
    /// Mapped users.
    pub users: Vec<Subject>,
    /// Mapped groups.
    pub groups: Vec<Subject>,
    /// Line of the role's element.
    pub line: u64,
}

impl RoleMapping {
    fn new(role: String, role_ref: Option<String>, line: u64) -> RoleMapping {
        RoleMapping {
            role,
            role_ref,
            everyone: false,
            all_authenticated: false,
            all_authenticated_in_trusted_realms: false,
            server: false,
            users: Vec::new(),
            groups: Vec::new(),
            line,
        }
    }

    /// True when nothing at all is mapped to the role.
    pub fn is_empty(&self) -> bool {
        !self.everyone
            && !self.all_authenticated
            && !self.all_authenticated_in_trusted_realms
            && !self.server
            && self.users.is_empty()
            && self.groups.is_empty()
    }

    fn set_special(&mut self, kind: &str) {
        match kind.to_ascii_uppercase().replace(['_', ' '], "").as_str() {
            "EVERYONE" => self.everyone = true,
            "ALLAUTHENTICATEDUSERS" => self.all_authenticated = true,
            "ALLAUTHENTICATEDINTRUSTEDREALMS" => self.all_authenticated_in_trusted_realms = true,
            "SERVER" => self.server = true,
            other => tracing::debug!(kind = other, "unknown special subject"),
        }
    }
}

fn subject(e: &Element) -> Option<Subject> {
    Some(Subject {
        name: e.attr_string("name")?,
        access_id: e
            .attr_string("accessId")
            .or_else(|| e.attr_string("access-id")),
    })
}

/// Parses an `ibm-application-bnd.xml` (`application-bnd/security-role` with `user`,
/// `group` and `special-subject` children). A role without a name is an error.
pub fn parse_application_bnd_xml(input: &[u8], file: &Path) -> Result<Vec<RoleMapping>, ReadError> {
    let root = parse_document(input, file)?;
    let mut out = Vec::new();
    for r in root.children_named("security-role") {
        let name = r
            .attr_string("name")
            .ok_or_else(|| ReadError::parse(file, Some(r.line), "security-role without a name"))?;
        let mut m = RoleMapping::new(name, None, r.line);
        for c in &r.children {
            match c.local() {
                "user" => m.users.extend(subject(c)),
                "group" => m.groups.extend(subject(c)),
                "special-subject" => m.set_special(c.attr("type").unwrap_or_default()),
                _ => {}
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// Parses an `ibm-application-bnd.xmi`
/// (`authorizationTable/authorizations` with `role`, `users`, `groups`,
/// `specialSubjects`). The role is named by a `name`/`roleName` attribute when present,
/// else by the fragment id of its `href` (resolve those with [`resolve_role_refs`]).
pub fn parse_application_bnd_xmi(input: &[u8], file: &Path) -> Result<Vec<RoleMapping>, ReadError> {
    let root = parse_document(input, file)?;
    let mut out = Vec::new();
    let tables = root.children_named("authorizationTable");
    for a in tables.flat_map(|t| t.children_named("authorizations")) {
        let role_el = a
            .child("role")
            .ok_or_else(|| ReadError::parse(file, Some(a.line), "authorizations without a role"))?;
        let href = role_el.attr_string("href");
        let name = role_el
            .attr_string("roleName")
            .or_else(|| role_el.attr_string("name"))
            .or_else(|| {
                href.as_deref()
                    .map(|h| h.rsplit_once('#').map_or(h, |(_, id)| id).to_string())
            })
            .ok_or_else(|| {
                ReadError::parse(file, Some(role_el.line), "role without name or href")
            })?;
        let mut m = RoleMapping::new(name, href, a.line);
        for c in &a.children {
            match c.local() {
                "users" => m.users.extend(subject(c)),
                "groups" => m.groups.extend(subject(c)),
                "specialSubjects" => {
                    let kind = c
                        .type_local()
                        .or(c.attr("name"))
                        .unwrap_or_default()
                        .to_string();
                    m.set_special(&kind);
                }
                _ => {}
            }
        }
        out.push(m);
    }
    Ok(out)
}

/// A `security-role` declared in `application.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityRoleDef {
    /// `id` attribute (what XMI bindings refer to), if any.
    pub id: Option<String>,
    /// `role-name`.
    pub name: String,
}

/// Parses the `security-role` declarations of an `application.xml`.
pub fn parse_application_xml_roles(
    input: &[u8],
    file: &Path,
) -> Result<Vec<SecurityRoleDef>, ReadError> {
    let root = parse_document(input, file)?;
    Ok(root
        .children_named("security-role")
        .filter_map(|r| {
            Some(SecurityRoleDef {
                id: r.attr_string("id"),
                name: r.child_text("role-name")?,
            })
        })
        .collect())
}

/// Replaces XMI role references (`application.xml#SecurityRole_1`) by the role names
/// declared in `application.xml`. References that match no declaration are left as they
/// are.
pub fn resolve_role_refs(mappings: &mut [RoleMapping], roles: &[SecurityRoleDef]) {
    for m in mappings.iter_mut() {
        let Some(href) = &m.role_ref else { continue };
        let id = href.rsplit_once('#').map_or(href.as_str(), |(_, id)| id);
        if m.role != id {
            continue; // named explicitly in the binding
        }
        if let Some(def) = roles.iter().find(|r| r.id.as_deref() == Some(id)) {
            m.role = def.name.clone();
        }
    }
}

/// The role mappings of one deployed application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRoleMappings {
    /// Application name (the `deployments/<App>` directory).
    pub application: String,
    /// The binding file read (product path).
    pub file: PathBuf,
    /// Mappings in file order.
    pub mappings: Vec<RoleMapping>,
}

/// Reads the binding of one deployed application, given its
/// `applications/<App>.ear/deployments/<App>` directory (product path). Prefers
/// `ibm-application-bnd.xml`, else `ibm-application-bnd.xmi` (with role references resolved
/// through `META-INF/application.xml` when it is there). `Ok(None)` when the application has
/// no binding file.
pub fn read_application_role_mappings(
    sys: &Sysroot,
    deployment_dir: &Path,
) -> Result<Option<ApplicationRoleMappings>, ReadError> {
    let application = deployment_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let meta = deployment_dir.join("META-INF");
    let xml = meta.join(BINDING_XML);
    if sys.exists(&xml) {
        let bytes = sys.read(&xml)?;
        let mappings = parse_application_bnd_xml(&bytes, &xml)?;
        return Ok(Some(ApplicationRoleMappings {
            application,
            file: xml,
            mappings,
        }));
    }
    let xmi = meta.join(BINDING_XMI);
    if !sys.exists(&xmi) {
        return Ok(None);
    }
    let bytes = sys.read(&xmi)?;
    let mut mappings = parse_application_bnd_xmi(&bytes, &xmi)?;
    if mappings.iter().any(|m| m.role_ref.is_some()) {
        let app_xml = meta.join("application.xml");
        match sys.read(&app_xml) {
            Ok(b) => resolve_role_refs(&mut mappings, &parse_application_xml_roles(&b, &app_xml)?),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(ApplicationRoleMappings {
        application,
        file: xmi,
        mappings,
    }))
}

/// Role mappings of every application of a cell, plus the applications whose binding
/// could not be read (one bad file does not hide the others).
#[derive(Debug, Default)]
pub struct CellRoleMappings {
    /// Applications with a readable binding, sorted by directory.
    pub applications: Vec<ApplicationRoleMappings>,
    /// Problems, each naming its file.
    pub errors: Vec<ReadError>,
}

/// Reads the role mappings of every application under `<cell_dir>/applications/*/deployments/*`.
/// A missing `applications` directory yields an empty result.
pub fn read_cell_role_mappings(
    sys: &Sysroot,
    cell_dir: &Path,
) -> Result<CellRoleMappings, ReadError> {
    let apps_dir = cell_dir.join("applications");
    let mut out = CellRoleMappings::default();
    for ear in subdirs(sys, &apps_dir, false)? {
        let deployments = apps_dir.join(&ear).join("deployments");
        let apps = match subdirs(sys, &deployments, false) {
            Ok(a) => a,
            Err(e) => {
                out.errors.push(e);
                continue;
            }
        };
        for app in apps {
            match read_application_role_mappings(sys, &deployments.join(&app)) {
                Ok(Some(m)) => out.applications.push(m),
                Ok(None) => {}
                Err(e) => out.errors.push(e),
            }
        }
    }
    Ok(out)
}
