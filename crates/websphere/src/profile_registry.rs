//! `app_server_root/properties/profileRegistry.xml`: the list of WAS profiles.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::{expect_root, parse_document};

/// Where the profile registry lives, relative to the WAS install root.
pub const PROFILE_REGISTRY_RELATIVE: &str = "properties/profileRegistry.xml";

/// The product path of the profile registry of a WAS install.
pub fn profile_registry_path(app_server_root: &Path) -> PathBuf {
    app_server_root.join(PROFILE_REGISTRY_RELATIVE)
}

/// One `<profile>` of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileEntry {
    /// Profile name (`Dmgr01`).
    pub name: String,
    /// Profile root, a product path.
    pub path: PathBuf,
    /// Template the profile was created from (`.../profileTemplates/management`), if given.
    pub template: Option<PathBuf>,
    /// `isDefault="true"`.
    pub is_default: bool,
    /// `isAReservationTicket="true"`: a reserved name, not a real profile.
    pub is_reservation_ticket: bool,
    /// Templates of augmentations (`<augmentor template=...>` children), in order.
    pub augmentors: Vec<PathBuf>,
    /// Line of the `<profile>` element in the registry.
    pub line: u64,
}

/// Parses a profile registry. `file` (a product path) is only used in errors.
/// A `<profile>` without `name` or `path` is an error naming its line.
pub fn parse_profile_registry(input: &[u8], file: &Path) -> Result<Vec<ProfileEntry>, ReadError> {
    let root = parse_document(input, file)?;
    expect_root(&root, "profiles", file)?;
    let mut out = Vec::new();
    for p in root.children_named("profile") {
        let name = p
            .attr_string("name")
            .ok_or_else(|| ReadError::parse(file, Some(p.line), "<profile> without a name"))?;
        let path = p.attr_string("path").ok_or_else(|| {
            ReadError::parse(file, Some(p.line), format!("profile {name} has no path"))
        })?;
        out.push(ProfileEntry {
            name,
            path: PathBuf::from(path),
            template: p.attr_string("template").map(PathBuf::from),
            is_default: bool_attr(p.attr("isDefault")),
            is_reservation_ticket: bool_attr(p.attr("isAReservationTicket")),
            augmentors: p
                .children_named("augmentor")
                .filter_map(|a| a.attr_string("template"))
                .map(PathBuf::from)
                .collect(),
            line: p.line,
        });
    }
    Ok(out)
}

/// Reads the profile registry at a product path through the sysroot.
pub fn read_profile_registry(sys: &Sysroot, file: &Path) -> Result<Vec<ProfileEntry>, ReadError> {
    let bytes = sys.read(file)?;
    parse_profile_registry(&bytes, file)
}

pub(crate) fn bool_attr(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}
