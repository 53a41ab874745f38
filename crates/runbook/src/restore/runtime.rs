//! Runtime files of the servers — what a WebSphere server writes by itself while it runs or
//! starts: pid files, everything under a profile's `logs/` (`SystemOut.log`, FFDC), and its
//! `temp` and `wstemp` — as opposed to the changes a failed update made. A dry run lists
//! them apart so the administrator reads the update's changes without the noise of servers
//! that ran since the backup. The restore itself treats both alike (an exact mirror; the
//! `pre-restore` snapshot keeps both).

use std::path::Path;

use serde::Serialize;
use vault::restore::{ChangeAction, PlannedChange};

/// What a profile writes by itself, relative to the profile directory.
const RUNTIME_DIRS: [&str; 3] = ["logs", "temp", "wstemp"];

/// Whether `path` (a product path) is a runtime file of a server of one of the `profiles`
/// (product paths of the profile directories), or a pid file anywhere.
pub fn is_runtime(path: &str, profiles: &[&str]) -> bool {
    let p = Path::new(path);
    if p.extension().is_some_and(|e| e == "pid") {
        return true;
    }
    profiles.iter().any(|profile| {
        p.strip_prefix(profile)
            .ok()
            .and_then(|rel| rel.components().next())
            .is_some_and(|first| RUNTIME_DIRS.iter().any(|d| first.as_os_str() == *d))
    })
}

/// One change a restore makes (or would), by product path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Product path.
    pub path: String,
    /// Added, replaced or removed.
    pub action: ChangeAction,
    /// A runtime file of a server, not a change the update made.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub runtime: bool,
}

impl Change {
    /// The vault's planned change, classified against the `profiles`.
    pub fn of(c: PlannedChange, profiles: &[&str]) -> Change {
        Change {
            runtime: is_runtime(&c.path, profiles),
            path: c.path,
            action: c.action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PROFILES: [&str; 2] = ["/was/profiles/Dmgr01", "/was/profiles/AppSrv01"];

    #[test]
    fn logs_temp_wstemp_and_pid_files_are_runtime() {
        for p in [
            "/was/profiles/AppSrv01/logs/server1/SystemOut.log",
            "/was/profiles/AppSrv01/logs/ffdc/server1_1.txt",
            "/was/profiles/AppSrv01/logs",
            "/was/profiles/Dmgr01/temp/dmgr/x.class",
            "/was/profiles/Dmgr01/wstemp/anon1",
            "/opt/IBM/Connections/data/shared/search/indexer.pid",
        ] {
            assert!(is_runtime(p, &PROFILES), "{p}");
        }
    }

    #[test]
    fn the_updates_changes_are_not() {
        for p in [
            "/was/profiles/AppSrv01/config/cells/c/LotusConnections-config.xml",
            "/was/profiles/AppSrv01/installedApps/c/Files.ear/logs/x",
            "/was/profiles/AppSrv01x/logs/server1/SystemOut.log",
            "/opt/IBM/Connections/logs/update_8.0.log",
            "/var/ibm/InstallationManager/logs/20241015_0800.xml",
            "/was/profiles/AppSrv01/pidfile.txt",
        ] {
            assert!(!is_runtime(p, &PROFILES), "{p}");
        }
    }

    proptest! {
        /// Below a profile, exactly the first directory decides (whatever follows).
        #[test]
        fn the_first_directory_below_the_profile_decides(
            first in "(logs|temp|wstemp|config|bin|installedApps)",
            rest in proptest::collection::vec("[a-z]{1,6}", 0..4),
        ) {
            let path = std::iter::once(format!("/was/profiles/AppSrv01/{first}"))
                .chain(rest)
                .collect::<Vec<_>>()
                .join("/");
            let expected = matches!(first.as_str(), "logs" | "temp" | "wstemp");
            prop_assert_eq!(is_runtime(&path, &PROFILES), expected);
        }
    }
}
