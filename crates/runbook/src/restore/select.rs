//! Which components a restore takes from a snapshot: everything stored (or `--only`),
//! minus `--skip-databases`, with the Installation Manager group kept together.
//!
//! The documentation's caution: IIM's data directory, its shared resources (IMShared) and
//! its install must go back *with* `connections_root`, or IIM believes another version is
//! installed than the one on disk. So naming any of `connections_root`,
//! `installation_manager`, `shared_resources` selects all of them that the snapshot holds.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::manifest::{Manifest, Status, StepStatus};
use crate::plan::Component;

/// The components restored together, never one without the others.
pub const INSTALL_GROUP: [Component; 3] = [
    Component::ConnectionsRoot,
    Component::InstallationManager,
    Component::SharedResources,
];

/// A selection problem: the request cannot be met (exit 2 for names, 3 for safety).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    /// `--only` names a component the snapshot does not hold.
    #[error("--only {component}: the snapshot does not hold it ({reason}); it holds: {held}")]
    NotInSnapshot {
        /// The component.
        component: Component,
        /// Why (skipped by the plan, missing on the host, failed).
        reason: String,
        /// What it holds.
        held: String,
    },
    /// The snapshot is incomplete and no `--only` names intact components.
    #[error(
        "the snapshot is INCOMPLETE (failed: {failed}); restore it only with --only naming \
         intact components: {intact}"
    )]
    Incomplete {
        /// Failed steps.
        failed: String,
        /// Components that are intact.
        intact: String,
    },
}

impl SelectError {
    /// True for a safety refusal (exit 3), false for a usage error (exit 2).
    pub fn is_refusal(&self) -> bool {
        matches!(self, SelectError::Incomplete { .. })
    }
}

/// The selection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Selection {
    /// Components to restore, in contract order (databases first).
    pub components: Vec<Component>,
    /// Components added because they belong with a named one (the IIM group).
    pub added_with_group: Vec<Component>,
    /// Components held by the snapshot but not restored, with why.
    pub left_out: Vec<(Component, String)>,
    /// `connections_root` and the IIM state (install + data + IMShared) are all restored.
    pub brings_install: bool,
    /// `connections_root` is restored but the snapshot has no IIM state.
    pub root_without_iim: bool,
    /// Declared components (`[[component]]`) to restore through their restore commands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub declared: Vec<String>,
}

impl Selection {
    /// Whether `c` is restored.
    pub fn has(&self, c: Component) -> bool {
        self.components.contains(&c)
    }
}

/// Whether the snapshot holds usable data for `c`.
pub fn held(m: &Manifest, c: Component) -> Result<(), String> {
    if c == Component::Databases {
        if m.databases.is_empty() {
            return Err("no database was backed up".into());
        }
        if m.databases.iter().all(|d| d.image.is_none()) {
            return Err("every database backup failed".into());
        }
        return Ok(());
    }
    match m.component(c) {
        None => Err("not part of the backup".into()),
        Some(r) => match r.status {
            StepStatus::Ok | StepStatus::Partial => Ok(()),
            StepStatus::Skipped => Err(format!(
                "skipped at backup time{}",
                r.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )),
            StepStatus::Missing => Err("its paths did not exist on the host".into()),
            StepStatus::Failed => Err(format!(
                "FAILED at backup time{}",
                r.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )),
        },
    }
}

fn failed_components(m: &Manifest) -> BTreeSet<Component> {
    let mut out: BTreeSet<Component> = m.failed_steps.iter().filter_map(|f| f.component).collect();
    for c in &m.components {
        if c.status == StepStatus::Failed {
            out.insert(c.component);
        }
    }
    out
}

/// Chooses the components. `only` empty: every component the snapshot holds.
pub fn select(
    m: &Manifest,
    only: &[Component],
    skip_databases: bool,
) -> Result<Selection, SelectError> {
    choose(m, only, skip_databases, false)
}

/// Chooses the components of an extraction: like [`select`], but an incomplete snapshot
/// gives its intact components without `--only` (looking at them harms nothing).
pub fn select_extraction(
    m: &Manifest,
    only: &[Component],
    skip_databases: bool,
) -> Result<Selection, SelectError> {
    choose(m, only, skip_databases, true)
}

fn choose(
    m: &Manifest,
    only: &[Component],
    skip_databases: bool,
    intact_of_incomplete: bool,
) -> Result<Selection, SelectError> {
    let holds: Vec<Component> = Component::ALL
        .into_iter()
        // role mappings are re-applied by the administrator, not written anywhere
        .filter(|c| *c != Component::RoleMappings)
        .filter(|c| held(m, *c).is_ok())
        .collect();
    let held_list = || {
        holds
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sel = Selection::default();
    let mut wanted: BTreeSet<Component> = BTreeSet::new();
    if only.is_empty() && intact_of_incomplete {
        let failed = failed_components(m);
        for c in holds.iter().filter(|c| !failed.contains(c)) {
            wanted.insert(*c);
        }
        for c in failed.iter().filter(|c| holds.contains(c)) {
            sel.left_out
                .push((*c, "its backup step failed (INCOMPLETE snapshot)".into()));
        }
    } else if only.is_empty() {
        if m.status == Status::Incomplete {
            let failed = failed_components(m);
            let intact: Vec<&str> = holds
                .iter()
                .filter(|c| !failed.contains(c))
                .map(|c| c.name())
                .collect();
            return Err(SelectError::Incomplete {
                failed: m
                    .failed_steps
                    .iter()
                    .map(|f| {
                        format!(
                            "step {} {}: {}",
                            f.procedure_step,
                            f.database
                                .clone()
                                .or_else(|| f.component.map(|c| c.to_string()))
                                .unwrap_or_default(),
                            f.message
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                intact: intact.join(","),
            });
        }
        wanted.extend(holds.iter().copied());
    } else {
        let failed = failed_components(m);
        for c in only {
            if let Err(reason) = held(m, *c) {
                return Err(SelectError::NotInSnapshot {
                    component: *c,
                    reason,
                    held: held_list(),
                });
            }
            if failed.contains(c) {
                return Err(SelectError::NotInSnapshot {
                    component: *c,
                    reason: "its backup step failed".into(),
                    held: held_list(),
                });
            }
            wanted.insert(*c);
        }
        if INSTALL_GROUP.iter().any(|c| wanted.contains(c)) {
            for c in INSTALL_GROUP {
                if holds.contains(&c) && wanted.insert(c) {
                    sel.added_with_group.push(c);
                }
            }
        }
    }
    if skip_databases && wanted.remove(&Component::Databases) {
        sel.left_out
            .push((Component::Databases, "--skip-databases".into()));
    }
    // A component stored inside another one that is restored is covered by it.
    for c in wanted.clone() {
        if let Some(parent) = m.component(c).and_then(|r| r.stored_with) {
            if wanted.contains(&parent) {
                wanted.remove(&c);
                sel.left_out
                    .push((c, format!("restored as part of {parent}")));
            }
        }
    }
    for c in &holds {
        if !wanted.contains(c) && !sel.left_out.iter().any(|(x, _)| x == c) {
            sel.left_out.push((*c, "not selected (--only)".into()));
        }
    }
    sel.components = wanted.into_iter().collect();
    let iim_held = holds.contains(&Component::InstallationManager)
        && holds.contains(&Component::SharedResources);
    let root = sel.has(Component::ConnectionsRoot);
    sel.brings_install = root && iim_held;
    sel.root_without_iim = root && !iim_held;
    Ok(sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(name: &str, status: &str, stored_with: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "component": name, "procedure_step": "6", "paths": [format!("/x/{name}")],
            "excludes": [], "stored_with": stored_with, "status": status,
            "files": 1, "dirs": 1, "bytes": 1, "duration_ms": 0
        })
    }

    fn manifest(components: Vec<serde_json::Value>, incomplete: bool) -> Manifest {
        let failed = if incomplete {
            serde_json::json!([{"procedure_step": "4", "title": "db", "component": "databases",
                                "database": "FILES", "message": "SQL1035N"}])
        } else {
            serde_json::json!([])
        };
        serde_json::from_value(serde_json::json!({
            "schema_version": 1, "backup_set": "s", "host": "h", "cnxbackup_version": "0",
            "started_ns": 0, "finished_ns": 0,
            "status": if incomplete { "incomplete" } else { "complete" },
            "failed_steps": failed,
            "connections": {"root": "/x", "version": null, "fingerprint": null, "release": null,
                            "cr": null, "ifixes": [], "ifixes_known": false, "basis": null,
                            "evidence": null},
            "topology": {"cell": "c", "app_server_root": "/w", "connections_root": "/x",
                         "shared_data": "/x/shared_data", "local_data": "/x/local_data",
                         "provision": "/x/provision", "customization": "/x/c",
                         "iim": {"install_dir": "/i", "data_dir": "/d", "shared_dir": "/s"},
                         "ccm_installed": false, "profiles": [], "servers": []},
            "options": {"in_place_migration": true, "no_stop": false, "restart": false,
                        "database_vendor": "db2"},
            "steps": [],
            "components": components,
            "databases": [{"database": "PEOPLEDB", "status": "ok", "image": null}],
            "role_mappings": {"sources": [], "applications": []}
        }))
        .unwrap()
    }

    fn full() -> Vec<serde_json::Value> {
        vec![
            component("dmgr_profile", "ok", None),
            component("file_registry", "ok", Some("dmgr_profile")),
            component("connections_root", "ok", None),
            component("shared_data", "ok", None),
            component("provision", "ok", None),
            component("shared_resources", "ok", None),
            component("installation_manager", "ok", None),
            component("customizations", "ok", Some("shared_data")),
        ]
    }

    #[test]
    fn everything_held_and_nested_components_covered_by_their_parent() {
        let s = select(&manifest(full(), false), &[], false).unwrap();
        assert!(s.has(Component::ConnectionsRoot) && s.has(Component::Provision));
        assert!(!s.has(Component::FileRegistry), "{s:?}");
        assert!(!s.has(Component::Customizations), "{s:?}");
        assert!(s.brings_install && !s.root_without_iim);
        // no database image: databases not held
        assert!(!s.has(Component::Databases));
    }

    #[test]
    fn naming_one_of_the_install_group_selects_all_of_it() {
        let m = manifest(full(), false);
        let s = select(&m, &[Component::SharedResources], false).unwrap();
        assert!(s.has(Component::ConnectionsRoot) && s.has(Component::InstallationManager));
        assert_eq!(s.added_with_group.len(), 2);
        assert!(s.brings_install);
        let s = select(&m, &[Component::SharedData], false).unwrap();
        assert_eq!(s.components, vec![Component::SharedData]);
        assert!(!s.brings_install && !s.has(Component::Provision));
        // a nested component on its own is restored on its own
        let s = select(&m, &[Component::FileRegistry], false).unwrap();
        assert_eq!(s.components, vec![Component::FileRegistry]);
    }

    #[test]
    fn connections_root_without_iim_state_is_flagged() {
        let mut c = full();
        c.retain(|v| v["component"] != "installation_manager");
        c.push(component("installation_manager", "skipped", None));
        let s = select(&manifest(c, false), &[Component::ConnectionsRoot], false).unwrap();
        assert!(s.root_without_iim && !s.brings_install);
        assert!(s.has(Component::SharedResources));
    }

    #[test]
    fn an_extraction_of_an_incomplete_snapshot_takes_the_intact_components() {
        let mut c = full();
        c.retain(|v| v["component"] != "shared_data");
        c.push(component("shared_data", "failed", None));
        let m = manifest(c, true);
        assert!(select(&m, &[], false).is_err());
        let s = select_extraction(&m, &[], false).unwrap();
        assert!(s.has(Component::ConnectionsRoot) && !s.has(Component::SharedData));
        assert!(s.left_out.iter().all(|(c, _)| *c != Component::SharedData));
        // a complete snapshot: the same as a restore
        let m = manifest(full(), false);
        assert_eq!(select_extraction(&m, &[], false), select(&m, &[], false));
    }

    #[test]
    fn incomplete_needs_only_and_unheld_components_are_usage_errors() {
        let m = manifest(full(), true);
        let e = select(&m, &[], false).unwrap_err();
        assert!(e.is_refusal());
        assert!(e.to_string().contains("FILES"), "{e}");
        assert!(e.to_string().contains("shared_data"), "{e}");
        assert!(select(&m, &[Component::SharedData], false).is_ok());
        let e = select(&m, &[Component::Databases], false).unwrap_err();
        assert!(!e.is_refusal());
        let e = select(&m, &[Component::LocalData], false).unwrap_err();
        assert!(e.to_string().contains("local_data"), "{e}");
    }
}
