//! The role-mappings phase, while the servers still run: every application's deployed
//! bindings, plus `wsadmin`'s view when the deployment manager answers.

use super::input::EarlierWsadminRoles;
use super::outage::Control;
use super::recorder::Recorder;
use crate::manifest::{RoleMappingsExport, StepStatus};
use crate::plan::Action;
use crate::procedure::{Ended, Scope};
use crate::role_mappings;
use crate::servers::{self, ControlTopology};

/// The exported role mappings and how the step went.
pub(crate) struct Roles {
    pub(crate) export: RoleMappingsExport,
    pub(crate) status: StepStatus,
}

/// The phase function. `earlier` are wsadmin's views from before the run (a cell's member,
/// exported while the cell ran): kept when wsadmin does not answer now.
pub(crate) fn roles_phase(
    d: &connections::deployment::Deployment,
    sysroot: &websphere::Sysroot,
    c: Control<'_>,
    earlier: Option<&EarlierWsadminRoles>,
    rec: &mut Recorder,
    s: &mut Scope<'_, '_>,
) -> Ended<Roles> {
    let started = std::time::Instant::now();
    let mut export = role_mappings::export_from_bindings(d, sysroot);
    if let Some(text) = wsadmin_roles(c, &mut export) {
        s.warn(text.clone());
        rec.warnings.push(text);
    }
    if let Some(e) = earlier.filter(|_| export.wsadmin.is_empty()) {
        export.sources.push(e.source.clone());
        export.wsadmin = e.applications.clone();
    }
    for e in &export.errors {
        s.warn(e.clone());
    }
    let status = if export.errors.is_empty() {
        StepStatus::Ok
    } else {
        StepStatus::Partial
    };
    rec.step_done(
        Action::ExportRoleMappings,
        status,
        None,
        crate::clock::millis(started),
    );
    let message = format!("{} application(s)", export.applications.len());
    Ended::ok(Roles { export, status }, message)
}

/// wsadmin export when the dmgr profile has `bin/wsadmin.sh` and the dmgr runs. Returns a
/// warning when it was tried and failed.
fn wsadmin_roles(c: Control<'_>, roles: &mut RoleMappingsExport) -> Option<String> {
    let (profile, dmgr) = dmgr(c.topology)?;
    let wsadmin = profile.path.join("bin/wsadmin.sh");
    if !wsadmin.exists() || servers::server_state(profile, dmgr).running_pid().is_none() {
        return None;
    }
    let timeout = c.options.timeout.min(std::time::Duration::from_secs(600));
    match role_mappings::export_with_wsadmin(&wsadmin, c.credentials, timeout) {
        Ok(apps) => {
            roles
                .sources
                .push(role_mappings::SOURCE_WSADMIN.to_string());
            roles.wsadmin = apps;
            None
        }
        Err(e) => Some(format!(
            "role mappings through wsadmin failed (the deployed bindings were exported): {e}"
        )),
    }
}

fn dmgr(topology: &ControlTopology) -> Option<(&servers::ControlProfile, &servers::ControlServer)> {
    topology
        .servers()
        .find(|(_, s)| s.kind == servers::ServerKind::DeploymentManager)
}
