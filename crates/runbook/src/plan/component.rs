//! The backup components, named as in the CLI contract (`--only`, manifests, reports).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One unit of a backup that can be restored on its own (within the version rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// All Connections databases (and FNGCD/FNOS with CCM), through the vendor's tools.
    Databases,
    /// The FileNet storage area, when it lives outside the shared data root.
    CcmStorage,
    /// The directory holding `Engine-ws.ear`.
    EngineWsEar,
    /// The cell's `fileRegistry.xml`, when `filenetAdmin` is a local user.
    FileRegistry,
    /// The deployment manager profile directory.
    DmgrProfile,
    /// `connections_root`.
    ConnectionsRoot,
    /// Every other WebSphere profile directory on this host.
    Profiles,
    /// `app_server_root/properties/profileRegistry.xml`.
    ProfileRegistry,
    /// `local_data_directory_root`.
    LocalData,
    /// `shared_data_directory_root`, without `provision`.
    SharedData,
    /// `CONNECTIONS_PROVISION_PATH`: restored only onto the exact same version.
    Provision,
    /// `shared_resources_root` (IMShared).
    SharedResources,
    /// The Installation Manager install and agent data directories.
    InstallationManager,
    /// The customization directory (`CONNECTIONS_CUSTOMIZATION_PATH`).
    Customizations,
    /// The exported security-role mappings.
    RoleMappings,
    /// IBM HTTP Server on this host: its configuration (`httpd.conf` and what it
    /// includes), key databases and stash files, and the Installation Manager state that
    /// installed it.
    WebServer,
    /// The WebSphere plug-in on this host: `plugin-cfg.xml`, its key database and stash
    /// file, its log directory and the Installation Manager state that installed it.
    WebPlugin,
    /// The Tivoli Directory Integrator solution (`[tdi] solution_dir`) and, when local, the
    /// TDI install: the profile sync with LDAP.
    Tdi,
}

impl Component {
    /// Every component, in contract order.
    pub const ALL: [Component; 18] = [
        Component::Databases,
        Component::CcmStorage,
        Component::EngineWsEar,
        Component::FileRegistry,
        Component::DmgrProfile,
        Component::ConnectionsRoot,
        Component::Profiles,
        Component::ProfileRegistry,
        Component::LocalData,
        Component::SharedData,
        Component::Provision,
        Component::SharedResources,
        Component::InstallationManager,
        Component::Customizations,
        Component::RoleMappings,
        Component::WebServer,
        Component::WebPlugin,
        Component::Tdi,
    ];

    /// The contract name (`shared_data`).
    pub fn name(self) -> &'static str {
        match self {
            Component::Databases => "databases",
            Component::CcmStorage => "ccm_storage",
            Component::EngineWsEar => "engine_ws_ear",
            Component::FileRegistry => "file_registry",
            Component::DmgrProfile => "dmgr_profile",
            Component::ConnectionsRoot => "connections_root",
            Component::Profiles => "profiles",
            Component::ProfileRegistry => "profile_registry",
            Component::LocalData => "local_data",
            Component::SharedData => "shared_data",
            Component::Provision => "provision",
            Component::SharedResources => "shared_resources",
            Component::InstallationManager => "installation_manager",
            Component::Customizations => "customizations",
            Component::RoleMappings => "role_mappings",
            Component::WebServer => "web_server",
            Component::WebPlugin => "web_plugin",
            Component::Tdi => "tdi",
        }
    }
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A component name that is not in the contract's list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown component {0:?}; known components: databases, ccm_storage, engine_ws_ear, file_registry, dmgr_profile, connections_root, profiles, profile_registry, local_data, shared_data, provision, shared_resources, installation_manager, customizations, role_mappings, web_server, web_plugin, tdi")]
pub struct UnknownComponent(pub String);

impl FromStr for Component {
    type Err = UnknownComponent;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Component::ALL
            .into_iter()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| UnknownComponent(s.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for c in Component::ALL {
            assert_eq!(c.name().parse::<Component>().unwrap(), c);
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.name()));
        }
        assert!("provisions".parse::<Component>().is_err());
    }
}
