//! `profile_root/properties/profileKey.metadata` (the profile's type) and
//! `profile_root/properties/portdef.props` (its ports).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::properties::{parse_properties, Properties};
use crate::sysroot::Sysroot;

/// Where the profile key lives, relative to the profile root.
pub const PROFILE_KEY_RELATIVE: &str = "properties/profileKey.metadata";
/// Where the port definitions live, relative to the profile root.
pub const PORTDEF_RELATIVE: &str = "properties/portdef.props";

/// The property naming the profile type.
const TYPE_KEY: &str = "com.ibm.ws.profile.type";

/// The type of a WAS profile as recorded in `profileKey.metadata`.
///
/// A `Base` profile is an application-server profile; whether it is federated into a cell
/// (a managed node with a node agent) is read from its configuration tree, not from here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileType {
    /// `DEPLOYMENT_MANAGER`: the dmgr profile holding the master cell configuration.
    DeploymentManager,
    /// `BASE`: an application-server profile.
    Base,
    /// `CUSTOM` / `MANAGED`: an empty managed node profile.
    Managed,
    /// `ADMIN_AGENT`.
    AdminAgent,
    /// `JOB_MANAGER`.
    JobManager,
    /// `SECURE_PROXY`.
    SecureProxy,
    /// Any other value, as written.
    Other(String),
}

impl ProfileType {
    /// Maps the value of `com.ibm.ws.profile.type`.
    pub fn from_metadata_value(value: &str) -> ProfileType {
        match value.trim().to_ascii_uppercase().as_str() {
            "DEPLOYMENT_MANAGER" | "DMGR" => ProfileType::DeploymentManager,
            "BASE" | "DEFAULT" => ProfileType::Base,
            "CUSTOM" | "MANAGED" => ProfileType::Managed,
            "ADMIN_AGENT" => ProfileType::AdminAgent,
            "JOB_MANAGER" => ProfileType::JobManager,
            "SECURE_PROXY" => ProfileType::SecureProxy,
            _ => ProfileType::Other(value.trim().to_string()),
        }
    }
}

impl fmt::Display for ProfileType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ProfileType::DeploymentManager => "DEPLOYMENT_MANAGER",
            ProfileType::Base => "BASE",
            ProfileType::Managed => "MANAGED",
            ProfileType::AdminAgent => "ADMIN_AGENT",
            ProfileType::JobManager => "JOB_MANAGER",
            ProfileType::SecureProxy => "SECURE_PROXY",
            ProfileType::Other(s) => s,
        };
        f.write_str(s)
    }
}

/// What `profileKey.metadata` says about a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileKey {
    /// The profile type.
    pub profile_type: ProfileType,
    /// Every property of the file (the file holds no secrets).
    pub properties: BTreeMap<String, String>,
}

/// Parses `profileKey.metadata`. A file without `com.ibm.ws.profile.type` is an error.
pub fn parse_profile_key(input: &[u8], file: &Path) -> Result<ProfileKey, ReadError> {
    let props = parse_properties(input, file)?;
    let value = props
        .get(TYPE_KEY)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ReadError::parse(file, None, format!("no {TYPE_KEY} property")))?;
    Ok(ProfileKey {
        profile_type: ProfileType::from_metadata_value(value),
        properties: props.to_map(),
    })
}

/// Reads `<profile_root>/properties/profileKey.metadata` through the sysroot.
pub fn read_profile_key(sys: &Sysroot, profile_root: &Path) -> Result<ProfileKey, ReadError> {
    let file = profile_root.join(PROFILE_KEY_RELATIVE);
    let bytes = sys.read(&file)?;
    parse_profile_key(&bytes, &file)
}

/// Parses a `portdef.props`-style file into port name → port number
/// (`SOAP_CONNECTOR_ADDRESS` → 8879). A value that is not a port is an error naming its
/// line.
pub fn parse_port_definitions(
    input: &[u8],
    file: &Path,
) -> Result<BTreeMap<String, u16>, ReadError> {
    let props: Properties = parse_properties(input, file)?;
    let mut out = BTreeMap::new();
    for (key, value, line) in &props.entries {
        let port = value.trim().parse::<u16>().map_err(|_| {
            ReadError::parse(
                file,
                Some(*line),
                format!("{key}: {value:?} is not a port number"),
            )
        })?;
        out.insert(key.clone(), port);
    }
    Ok(out)
}

/// Reads `<profile_root>/properties/portdef.props` through the sysroot.
pub fn read_port_definitions(
    sys: &Sysroot,
    profile_root: &Path,
) -> Result<BTreeMap<String, u16>, ReadError> {
    let file: PathBuf = profile_root.join(PORTDEF_RELATIVE);
    let bytes = sys.read(&file)?;
    parse_port_definitions(&bytes, &file)
}
