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
    if only.is_empty() {
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
