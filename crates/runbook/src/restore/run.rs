//! The restore run, in order: manifest, selection, gate, preconditions, databases, files,
//! version check.

use std::path::Path;
use std::time::Instant;

use connections::discover::installed_version;
use connections::version::Version;

use super::files::{restore_component, ComponentJob, ComponentResult, VERIFY_DEFAULT_LIMIT};
use super::gate::{self, GateInput, TargetState};
use super::select::{self, SelectError};
use super::{dbs, millis, target_topology, RestoreError, RestoreInput, RestoreReport};
use crate::manifest::{Manifest, Summary, MANIFEST_PATH};
use crate::plan::Component;
use crate::servers::{stop_all, verify_all_stopped};

/// Whether the snapshot's application document says it is a deployment backup
/// (`kind == "cnxbackup.backup"`).
pub fn is_deployment_backup(snapshot: &vault::Snapshot) -> bool {
    snapshot
        .application
        .as_ref()
        .and_then(|a| a.get("kind"))
        .and_then(|k| k.as_str())
        == Some(crate::manifest::SUMMARY_KIND)
}

/// Reads the manifest out of the snapshot.
pub fn read_manifest(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
) -> Result<Manifest, RestoreError> {
    let path = snapshot
        .application
        .as_ref()
        .and_then(Summary::from_application)
        .map(|s| s.manifest)
        .unwrap_or_else(|| MANIFEST_PATH.to_string());
    let mut bytes = Vec::new();
    vault::restore::dump_file(repo, snapshot, Path::new(&path), &mut bytes).map_err(|e| {
        RestoreError::Manifest(format!(
            "the snapshot has no readable manifest at {path}: {e}"
        ))
    })?;
    Manifest::from_json(&bytes).map_err(|e| RestoreError::Manifest(format!("{path}: {e}")))
}

/// The version installed at the target, as the gate sees it.
fn read_target(
    target: &websphere::Sysroot,
    opts: &connections::discover::DiscoverOptions,
) -> (TargetState, bool, Option<String>, Vec<String>) {
    let iv = installed_version(target, opts);
    let warnings = iv.warnings.iter().map(|w| w.message.clone()).collect();
    let state = match iv.connections_root {
        None => TargetState::BareMetal,
        Some(_) => TargetState::Installed(iv.version.version()),
    };
    (
        state,
        iv.version.ifixes_known,
        iv.version.webresources_sha256.clone(),
        warnings,
    )
}

/// Runs the restore; see the module documentation of [`super`].
pub fn run(
    input: RestoreInput<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<RestoreReport, RestoreError> {
    let started = Instant::now();
    let opts = &input.options;
    let repo = input.repository;
    let snap = input.snapshot;
    if !is_deployment_backup(snap) {
        return Err(RestoreError::Manifest(format!(
            "snapshot {} is not a cnxbackup deployment backup",
            input.snapshot_id
        )));
    }
    let m = read_manifest(repo, snap)?;

    // 1. What to restore.
    let selection = select::select(&m, &opts.only, opts.skip_databases).map_err(|e| match e {
        SelectError::Incomplete { .. } => RestoreError::Incomplete(e),
        SelectError::NotInSnapshot { .. } => RestoreError::Usage(e),
    })?;
    let mut warnings = Vec::new();
    if !selection.added_with_group.is_empty() {
        warnings.push(format!(
            "also restoring {} with connections_root: Installation Manager's data, install and \
             IMShared go back together with the Connections install, never one without the \
             others",
            selection
                .added_with_group
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // 2. The gate.
    let (target_state, ifixes_known, _, target_warnings) =
        read_target(input.target, &input.discover);
    for w in target_warnings {
        tracing::debug!("reading the target's version: {w}");
    }
    let backup_version: Option<Version> = m.connections.fingerprint.as_ref().map(|f| f.version());
    let content = selection
        .components
        .iter()
        .any(|c| *c != Component::Provision);
    let decision = gate::decide(&GateInput {
        backup: backup_version.as_ref(),
        target: &target_state,
        brings_install: selection.brings_install,
        root_without_iim: selection.root_without_iim,
        content,
        provision: selection.has(Component::Provision),
        target_ifixes_known: ifixes_known,
        allow_version_mismatch: opts.allow_version_mismatch,
    })
    .map_err(RestoreError::Gate)?;
    warnings.extend(decision.warnings.iter().cloned());
    progress(&format!(
        "version gate: backup {} checked against {} ({}): allowed",
        decision.backup_version.as_deref().unwrap_or("unknown"),
        decision.checked_against.as_deref().unwrap_or("unknown"),
        decision.basis
    ));

    // Every tree is checked for names that would escape before anything is touched.
    for c in &selection.components {
        let Some(record) = m.component(*c) else {
            continue;
        };
        match super::files::unsafe_entry(repo, snap, record) {
            Ok(None) => {}
            Ok(Some(detail)) => {
                return Err(RestoreError::Unsafe {
                    component: *c,
                    detail,
                })
            }
            Err(e) => {
                return Err(RestoreError::Manifest(format!(
                    "reading the snapshot's tree of {c}: {e}"
                )))
            }
        }
    }

    // 3. Every server at the target stopped.
    let topology = target_topology(&m, input.target, &input.discover);
    let mut running = verify_all_stopped(&topology);
    let mut stopped = Vec::new();
    if !running.is_empty() && !opts.dry_run {
        if !opts.stop {
            return Err(RestoreError::Running { running });
        }
        progress(&format!("stopping {} running server(s)", running.len()));
        let rep = stop_all(&topology, &input.credentials, &input.control)
            .map_err(|e| RestoreError::Stop(e.to_string()))?;
        for s in &rep.servers {
            if s.ok() {
                stopped.push(format!("{} ({})", s.server, s.profile));
            }
        }
        running = verify_all_stopped(&topology);
        if !running.is_empty() {
            return Err(RestoreError::Running { running });
        }
    }
    if opts.dry_run && !running.is_empty() {
        warnings.push(format!(
            "{} server(s) are running at the target: a real restore refuses until they are \
             stopped (or use --stop)",
            running.len()
        ));
    }

    // 4. Databases first.
    let mut databases = Vec::new();
    if selection.has(Component::Databases) {
        databases = if opts.dry_run {
            dbs::plan(&m, &input.database)
        } else {
            dbs::restore_all(repo, snap, &m, &input.database, progress)
        };
    }
    let db_failed = databases.iter().any(|d| d.status == "failed");

    // 5. Files.
    let mut components: Vec<ComponentResult> = Vec::new();
    for c in &selection.components {
        if *c == Component::Databases {
            continue;
        }
        let Some(record) = m.component(*c) else {
            continue;
        };
        if db_failed && !opts.dry_run {
            components.push(ComponentResult {
                component: *c,
                status: "skipped".into(),
                paths: Vec::new(),
                added: 0,
                replaced: 0,
                removed: 0,
                unchanged: 0,
                files_written: 0,
                bytes_written: 0,
                verified: false,
                duration_ms: 0,
                message: Some(
                    "not restored: a database restore failed (the files were left as they \
                     are so that databases and files stay consistent)"
                        .into(),
                ),
            });
            continue;
        }
        let verify = opts.verify.unwrap_or(record.bytes < VERIFY_DEFAULT_LIMIT);
        let job = ComponentJob {
            repo,
            snapshot: snap,
            target: input.target,
            record,
            dry_run: opts.dry_run,
            verify,
            progress: opts.progress.clone(),
        };
        let r = restore_component(&job, progress);
        progress(&format!(
            "{c}: {} — {} added, {} replaced, {} removed, {} unchanged",
            r.status, r.added, r.replaced, r.removed, r.unchanged
        ));
        components.push(r);
    }

    if !opts.dry_run {
        let restored: Vec<(String, Vec<String>)> = components
            .iter()
            .filter(|c| c.status != "skipped")
            .flat_map(|c| c.paths.iter())
            .map(|p| (p.path.clone(), p.created_parents.clone()))
            .collect();
        warnings.extend(super::files::reapply_parent_times(
            repo,
            snap,
            input.target,
            &restored,
        ));
    }

    // 6. The version at the target afterwards.
    let (version_after, version_expected, version_confirmed) = if opts.dry_run {
        (None, decision.checked_against.clone(), None)
    } else {
        let (after, _, after_webres, _) = read_target(input.target, &input.discover);
        let after_version = match &after {
            TargetState::Installed(v) => v.clone(),
            TargetState::BareMetal => None,
        };
        let expected: Option<Version> = if selection.brings_install {
            backup_version.clone()
        } else {
            match &target_state {
                TargetState::Installed(v) => v.clone(),
                TargetState::BareMetal => None,
            }
        };
        let mut confirmed = expected.as_ref().map(|e| Some(e) == after_version.as_ref());
        if selection.has(Component::Provision) {
            let backup_webres = m
                .connections
                .fingerprint
                .as_ref()
                .and_then(|f| f.webresources_sha256.clone());
            if let (Some(b), Some(a)) = (&backup_webres, &after_webres) {
                if b != a {
                    warnings.push(
                        "provision/webresources at the target does not list the same bundles \
                         as at backup time"
                            .into(),
                    );
                    confirmed = Some(false);
                }
            }
        }
        (
            after_version.map(|v| v.to_string()),
            expected.map(|v| v.to_string()),
            confirmed,
        )
    };
    if version_confirmed == Some(false) {
        warnings.push(format!(
            "the version at the target after the restore is {}, expected {}",
            version_after.as_deref().unwrap_or("unknown"),
            version_expected.as_deref().unwrap_or("unknown")
        ));
    }

    Ok(RestoreReport {
        snapshot: input.snapshot_id.clone(),
        target: input.target.root().display().to_string(),
        dry_run: opts.dry_run,
        backup_set: m.backup_set.clone(),
        host: m.host.clone(),
        selection,
        gate: decision,
        stopped,
        running: if opts.dry_run { running } else { Vec::new() },
        databases,
        components,
        version_after,
        version_expected,
        version_confirmed,
        warnings,
        duration_ms: millis(started),
    })
}
