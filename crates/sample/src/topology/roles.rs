//! Security role mappings per application, derived from the application name so tests can
//! predict them.

use super::catalog::{FILENET_ENGINE, NAVIGATOR};
use crate::expected::RoleMapping;

/// Role mappings of one application, derived from its name so tests can predict them.
pub(crate) fn roles_for(app: &str, admin: &str) -> Vec<RoleMapping> {
    let role =
        |role: &str, everyone: bool, all_auth: bool, users: &[&str], groups: &[&str]| RoleMapping {
            role: role.into(),
            everyone,
            all_authenticated: all_auth,
            users: users.iter().map(|s| s.to_string()).collect(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
        };
    if app == FILENET_ENGINE || app == NAVIGATOR {
        return vec![
            role("All Authenticated", false, true, &[], &[]),
            role("Administrator", false, false, &[admin], &["FileNetAdmins"]),
        ];
    }
    let mut v = vec![
        role("person", false, true, &[], &[]),
        role("everyone", true, false, &[], &[]),
        role("reader", true, false, &[], &[]),
        role("admin", false, false, &[admin], &["CNXAdmins"]),
    ];
    match app {
        "Search" => v.push(role("search-admin", false, false, &[admin], &[])),
        "WidgetContainer" => v.push(role("widget-admin", false, false, &[admin], &[])),
        "Common" => v.push(role("dsx-admin", false, false, &[admin], &[])),
        "Moderation" | "Blogs" | "Forums" => v.push(role(
            "global-moderator",
            false,
            false,
            &[],
            &["CNXModerators"],
        )),
        _ => {}
    }
    v
}
