//! The profile sync solution's step: the Tivoli Directory Integrator solution directory
//! that keeps Profiles in sync with LDAP (`profiles_tdi.properties`, the mapping files, the
//! assembly line scripts) and the TDI install when it is on this host. Many updates change
//! the solution; nothing in the deployment records where it is, so `[tdi] solution_dir`
//! names it.

use connections::deployment::Deployment;

use super::{Component, Step};

/// The step, run when `[tdi] solution_dir` is configured.
pub(super) fn tdi_step(d: &Deployment) -> Step {
    let paths = d
        .tdi
        .iter()
        .flat_map(|t| std::iter::once(t.solution_dir.clone()).chain(t.install_dir.clone()))
        .collect();
    let s = Step::files(
        "tdi",
        "back up the profile sync solution (Tivoli Directory Integrator)",
        Component::Tdi,
        paths,
    );
    if d.tdi.is_none() {
        return s.skip("no [tdi] solution_dir configured");
    }
    s
}
