//! Exporting the security-role mappings of every application, before the servers stop.
//!
//! The documented procedure does not cover role mappings and they are lost by an upgrade
//! (they must be redefined), so the backup exports them while the servers still run:
//!
//! - always from the deployed bindings in the cell configuration
//!   (`config/cells/<cell>/applications/<App>.ear/deployments/<App>/META-INF/
//!   ibm-application-bnd.xml|.xmi`), read through the websphere readers — this works with
//!   the servers up or down and is what the restore uses;
//! - additionally through `wsadmin` (`AdminApp.view(app, ['-MapRolesToUsers'])`) when the
//!   deployment manager profile has `bin/wsadmin.sh` and the deployment manager answers;
//!   its text is kept as printed, as a cross-check of the bindings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use connections::deployment::{Deployment, ProfileType};
use websphere::app_bindings::read_cell_role_mappings;
use websphere::Sysroot;

use crate::manifest::{RoleMappingsExport, WsadminRoles};
use crate::process::{self, CommandSpec};
use crate::servers::WasCredentials;

/// The source name recorded for the bindings export.
pub const SOURCE_BINDINGS: &str = "deployed bindings";
/// The source name recorded for the wsadmin export.
pub const SOURCE_WSADMIN: &str = "wsadmin";

/// The cell configuration directory (product path) the bindings are read from: the
/// deployment manager's master copy, else the first profile holding the cell.
pub fn cell_config_dir(d: &Deployment, sys: &Sysroot) -> Option<PathBuf> {
    let mut profiles: Vec<_> = d.was.profiles.iter().collect();
    profiles.sort_by_key(|p| p.kind != ProfileType::Dmgr);
    profiles
        .into_iter()
        .map(|p| Path::new(&p.path).join("config/cells").join(&d.was.cell))
        .find(|dir| sys.is_dir(dir))
}

/// Reads every application's role mappings from the cell's deployed bindings.
pub fn export_from_bindings(d: &Deployment, sys: &Sysroot) -> RoleMappingsExport {
    let mut out = RoleMappingsExport {
        sources: vec![SOURCE_BINDINGS.to_string()],
        ..RoleMappingsExport::default()
    };
    let Some(cell_dir) = cell_config_dir(d, sys) else {
        out.errors.push(format!(
            "no profile on this host holds the configuration of cell {}",
            d.was.cell
        ));
        return out;
    };
    match read_cell_role_mappings(sys, &cell_dir) {
        Ok(cell) => {
            out.applications = cell.applications;
            out.errors = cell.errors.iter().map(|e| e.to_string()).collect();
        }
        Err(e) => out.errors.push(e.to_string()),
    }
    out
}

/// The Jython that prints each application's role mappings between markers.
const WSADMIN_SCRIPT: &str = "for app in AdminApp.list().splitlines():\n  print('Application: ' + app)\n  print(AdminApp.view(app, ['-MapRolesToUsers']))\n";

/// Asks the deployment manager through `wsadmin.sh` (real path `wsadmin`) for every
/// application's role mappings. `Err` names why it could not (the caller records it as a
/// warning: the bindings export is the one that counts).
pub fn export_with_wsadmin(
    wsadmin: &Path,
    creds: &WasCredentials,
    timeout: Duration,
) -> Result<Vec<WsadminRoles>, String> {
    if !process::is_executable(wsadmin) {
        return Err(format!(
            "{} is missing or not executable",
            wsadmin.display()
        ));
    }
    let dir = std::env::temp_dir();
    let script = tempfile::Builder::new()
        .prefix("cnxbackup-roles-")
        .suffix(".py")
        .tempfile_in(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(script.path(), WSADMIN_SCRIPT)
        .map_err(|e| format!("{}: {e}", script.path().display()))?;
    let spec = creds
        .apply(
            CommandSpec::new(wsadmin)
                .arg("-lang")
                .arg("jython")
                .arg("-conntype")
                .arg("SOAP")
                .arg("-f")
                .arg(script.path()),
            // the profile of `<profile>/bin/wsadmin.sh`, whose soap.client.props it reads
            wsadmin
                .parent()
                .and_then(Path::parent)
                .unwrap_or_else(|| Path::new("/")),
        )
        .timeout(timeout);
    let out = process::run(&spec).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(format!(
            "{} ended with {}: {}",
            wsadmin.display(),
            out.status_text(),
            out.tail(5)
        ));
    }
    let apps = parse_wsadmin_output(&out.stdout);
    if apps.is_empty() {
        return Err(format!(
            "{} printed no application: {}",
            wsadmin.display(),
            out.tail(3)
        ));
    }
    Ok(apps)
}

/// Splits the script's output into one block per application (`Application: NAME`
/// headers); wsadmin's own `WASX` connection messages before the first header are dropped.
pub fn parse_wsadmin_output(text: &str) -> Vec<WsadminRoles> {
    let mut out: Vec<WsadminRoles> = Vec::new();
    for line in text.lines() {
        if let Some(app) = line.strip_prefix("Application: ") {
            out.push(WsadminRoles {
                application: app.trim().to_string(),
                text: String::new(),
            });
        } else if let Some(cur) = out.last_mut() {
            cur.text.push_str(line);
            cur.text.push('\n');
        }
    }
    for a in &mut out {
        let trimmed = a.text.trim_end().len();
        a.text.truncate(trimmed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsadmin_output_is_split_per_application() {
        let text = "WASX7209I: Connected\nApplication: Files\nRole: admin\nMapped users: wasadmin\nApplication: Blogs\nRole: reader\nEveryone?: Yes\n\n";
        let got = parse_wsadmin_output(text);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].application, "Files");
        assert!(got[0].text.contains("Mapped users: wasadmin"));
        assert_eq!(got[1].application, "Blogs");
        assert!(!got[0].text.contains("WASX7209I"));
        assert_eq!(got[1].text, "Role: reader\nEveryone?: Yes");
    }
}
