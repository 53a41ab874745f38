//! The declared components (`[[component]]`) in the restore: which of them the snapshot
//! gives back ([`select`]), their version gate beside the product's ([`gate`]), and their
//! restore commands after the databases and the files ([`restore_phase`]).

use crate::declared::{self, restore::configured, DeclaredError, DeclaredResult, RestoreFrom};
use crate::manifest::{Manifest, StepStatus};
use crate::procedure::{Ended, Item, PhaseStatus, Scope};

use super::error::DeploymentRestoreError;
use super::input::{DeploymentRestoreOptions, RestoreInput};

/// The declared components to restore: those `--only` names (each must have been backed
/// up), or, without `--only`, every one the snapshot holds.
pub(crate) fn select(
    m: &Manifest,
    opts: &DeploymentRestoreOptions,
) -> Result<Vec<String>, DeploymentRestoreError> {
    if !opts.only_declared.is_empty() {
        for name in &opts.only_declared {
            match m.declared.iter().find(|d| d.name == *name) {
                Some(d) if d.status == StepStatus::Ok => {}
                Some(d) => {
                    return Err(DeploymentRestoreError::Declared(DeclaredError::Config {
                        key: format!("--only {name}"),
                        message: format!(
                            "its backup failed in this snapshot ({}): there is nothing to \
                             restore",
                            d.error.as_deref().unwrap_or("failed")
                        ),
                    }))
                }
                None => {
                    return Err(DeploymentRestoreError::Declared(DeclaredError::Config {
                        key: format!("--only {name}"),
                        message: format!(
                            "the snapshot holds no declared component of that name (it holds: \
                             {})",
                            names(m)
                        ),
                    }))
                }
            }
        }
        return Ok(opts.only_declared.clone());
    }
    if !opts.only.is_empty() || opts.databases_only {
        return Ok(Vec::new());
    }
    Ok(m.declared
        .iter()
        .filter(|d| d.status == StepStatus::Ok)
        .map(|d| d.name.clone())
        .collect())
}

fn names(m: &Manifest) -> String {
    if m.declared.is_empty() {
        return "none".into();
    }
    m.declared
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Before anything is touched: each selected component is configured here with a restore
/// command, and its version command reports the version the backup recorded (unless
/// `--allow-version-mismatch`: a warning). Returns the warnings.
pub(crate) fn gate(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selected: &[String],
) -> Result<Vec<String>, DeploymentRestoreError> {
    let mut warnings = Vec::new();
    for rec in m.declared.iter().filter(|d| selected.contains(&d.name)) {
        let c = configured(rec, &input.declared).map_err(DeploymentRestoreError::Declared)?;
        let allow = input.options.allow_version_mismatch;
        if let Some(w) = declared::restore::check_version(rec, c, allow)
            .map_err(DeploymentRestoreError::Declared)?
        {
            warnings.push(w);
        }
    }
    Ok(warnings)
}

/// The restore commands of the selected components, one after the other; each failure is
/// recorded and the others go on.
pub(crate) fn restore_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selected: &[String],
    s: &mut Scope<'_, '_>,
) -> Ended<Vec<DeclaredResult>> {
    let from = RestoreFrom {
        repo: input.repository,
        snapshot: input.snapshot,
        staging: &input.database.staging_dir,
    };
    let records: Vec<_> = m
        .declared
        .iter()
        .filter(|d| selected.contains(&d.name))
        .collect();
    let mut results = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let r = match configured(rec, &input.declared) {
            Ok(c) => declared::restore::restore(rec, c, &from, input.options.dry_run),
            Err(e) => DeclaredResult {
                name: rec.name.clone(),
                status: "failed".into(),
                command: String::new(),
                bytes: 0,
                error: Some(e.to_string()),
            },
        };
        if let Some(e) = &r.error {
            s.warn(e.clone());
        }
        s.progress(Item {
            bytes: Some(r.bytes),
            ..Item::new(&r.name, i + 1, records.len(), &r.status)
        });
        results.push(r);
    }
    let failed = results.iter().filter(|r| r.status == "failed").count();
    let message = format!("{} component(s), {failed} failed", results.len());
    let status = if failed > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with(results, status, message)
}
