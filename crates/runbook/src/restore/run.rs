//! The restore as a list of phases run by one [`Procedure`]: selection, version gate,
//! stop (every server at the target stopped), databases, files, version check.

use std::path::Path;
use std::time::Instant;

use connections::discover::installed_version;
use connections::version::Version;

use super::dbs;
use super::error::RestoreError;
use super::files::{restore_component, ComponentJob, ComponentResult, VERIFY_DEFAULT_LIMIT};
use super::gate::{self, GateDecision, GateInput, TargetState};
use super::input::RestoreInput;
use super::report::RestoreReport;
use super::select::{self, SelectError, Selection};
use super::topology::target_topology;
use crate::clock::millis;
use crate::manifest::{Manifest, Summary, MANIFEST_PATH};
use crate::plan::Component;
use crate::procedure::{Ended, EventSink, Item, Phase, PhaseStatus, Procedure, Scope};
use crate::servers::{stop_all, verify_all_stopped, RunningServer};

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
    events: &mut dyn EventSink,
) -> Result<RestoreReport, RestoreError> {
    let started = Instant::now();
    let input = &input;
    let mut p = Procedure::new(events);
    let Selected {
        manifest: m,
        selection,
        mut warnings,
    } = p.phase(Phase::Selection, |_| selection_phase(input))?;
    let gate = p.phase(Phase::VersionGate, |_| gate_phase(input, &m, &selection))?;
    warnings.extend(gate.decision.warnings.iter().cloned());
    let servers = p.phase(Phase::Stop, |s| stop_phase(input, &m, s))?;
    if let Some(w) = servers.dry_run_warning() {
        warnings.push(w);
    }
    let databases = p.phase(Phase::RestoreDatabases, |s| {
        databases_phase(input, &m, &selection, s)
    });
    let db_failed = databases.iter().any(|d| d.status == "failed");
    let (components, more) = p.phase(Phase::RestoreFiles, |s| {
        files_phase(input, &m, &selection, db_failed, s)
    });
    warnings.extend(more);
    let after = p.phase(Phase::VersionCheck, |_| {
        version_phase(input, &m, &selection, &gate)
    });
    warnings.extend(after.warnings.iter().cloned());
    let opts = &input.options;
    Ok(RestoreReport {
        snapshot: input.snapshot_id.clone(),
        target: input.target.root().display().to_string(),
        dry_run: opts.dry_run,
        backup_set: m.backup_set.clone(),
        host: m.host.clone(),
        selection,
        gate: gate.decision,
        stopped: servers.stopped,
        running: servers.running,
        databases,
        components,
        version_after: after.after,
        version_expected: after.expected,
        version_confirmed: after.confirmed,
        warnings,
        duration_ms: millis(started),
        phases: p.into_records(),
    })
}

/// The manifest, what to restore, and the notes about it.
struct Selected {
    manifest: Manifest,
    selection: Selection,
    warnings: Vec<String>,
}

/// The selection phase.
fn selection_phase(input: &RestoreInput<'_>) -> Ended<Result<Selected, RestoreError>> {
    let selected = select_components(input);
    match &selected {
        Ok(s) => {
            let message = format!("{} component(s)", s.selection.components.len());
            Ended::ok(selected, message)
        }
        Err(e) => {
            let message = e.to_string();
            Ended::failed(selected, message)
        }
    }
}

fn select_components(input: &RestoreInput<'_>) -> Result<Selected, RestoreError> {
    let opts = &input.options;
    if !is_deployment_backup(input.snapshot) {
        return Err(RestoreError::Manifest(format!(
            "snapshot {} is not a cnxbackup deployment backup",
            input.snapshot_id
        )));
    }
    let m = read_manifest(input.repository, input.snapshot)?;
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
    Ok(Selected {
        manifest: m,
        selection,
        warnings,
    })
}

/// What the gate decided, with the target's state before the restore.
struct Gate {
    decision: GateDecision,
    target_state: TargetState,
    backup_version: Option<Version>,
}

/// The version gate phase: the documented rules, then every tree checked for names that
/// would escape, before anything is touched.
fn gate_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
) -> Ended<Result<Gate, RestoreError>> {
    let gate = decide(input, m, selection).and_then(|g| {
        check_names(input, m, selection)?;
        Ok(g)
    });
    match &gate {
        Ok(g) => {
            let d = &g.decision;
            let message = format!(
                "backup {} checked against {} ({}): allowed",
                d.backup_version.as_deref().unwrap_or("unknown"),
                d.checked_against.as_deref().unwrap_or("unknown"),
                d.basis
            );
            Ended::ok(gate, message)
        }
        Err(e) => {
            let message = e.to_string();
            Ended::failed(gate, message)
        }
    }
}

fn decide(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
) -> Result<Gate, RestoreError> {
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
        allow_version_mismatch: input.options.allow_version_mismatch,
    })
    .map_err(RestoreError::Gate)?;
    Ok(Gate {
        decision,
        target_state,
        backup_version,
    })
}

/// Every selected tree is checked for names that would escape its directory.
fn check_names(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
) -> Result<(), RestoreError> {
    for c in &selection.components {
        let Some(record) = m.component(*c) else {
            continue;
        };
        match super::files::unsafe_entry(input.repository, input.snapshot, record) {
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
    Ok(())
}

/// The servers at the target: stopped with `--stop`, found running on a dry run.
struct Servers {
    stopped: Vec<String>,
    running: Vec<RunningServer>,
}

impl Servers {
    fn dry_run_warning(&self) -> Option<String> {
        (!self.running.is_empty()).then(|| {
            format!(
                "{} server(s) are running at the target: a real restore refuses until they are \
                 stopped (or use --stop)",
                self.running.len()
            )
        })
    }
}

/// The stop phase: every server at the target must be stopped (`--stop` stops them the way
/// the backup does); a dry run only reports the running ones.
fn stop_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<Servers, RestoreError>> {
    let topology = target_topology(m, input.target, &input.discover);
    let running = verify_all_stopped(&topology);
    let opts = &input.options;
    if running.is_empty() {
        let servers = Servers {
            stopped: Vec::new(),
            running,
        };
        return Ended::skipped(Ok(servers), "every server at the target is stopped");
    }
    if opts.dry_run {
        let message = format!("{} server(s) running (dry run)", running.len());
        let servers = Servers {
            stopped: Vec::new(),
            running,
        };
        return Ended::skipped(Ok(servers), message);
    }
    if !opts.stop {
        let e = RestoreError::Running { running };
        let message = e.to_string();
        return Ended::failed(Err(e), message);
    }
    let stopped = stop_running(input, &topology, running.len(), s);
    match stopped {
        Ok(stopped) => {
            let message = format!("{} server(s) stopped", stopped.len());
            let servers = Servers {
                stopped,
                running: Vec::new(),
            };
            Ended::ok(Ok(servers), message)
        }
        Err(e) => {
            let message = e.to_string();
            Ended::failed(Err(e), message)
        }
    }
}

fn stop_running(
    input: &RestoreInput<'_>,
    topology: &crate::servers::Topology,
    count: usize,
    s: &mut Scope<'_, '_>,
) -> Result<Vec<String>, RestoreError> {
    tracing::info!("stopping {count} running server(s)");
    let rep = stop_all(topology, &input.credentials, &input.control).map_err(RestoreError::Stop)?;
    let mut stopped = Vec::new();
    let total = rep.servers.len();
    for (i, server) in rep.servers.iter().enumerate() {
        let status = if server.ok() { "stopped" } else { "failed" };
        s.progress(Item::new(&server.server, i + 1, total, status));
        if server.ok() {
            stopped.push(format!("{} ({})", server.server, server.profile));
        }
    }
    let running = verify_all_stopped(topology);
    if !running.is_empty() {
        return Err(RestoreError::Running { running });
    }
    Ok(stopped)
}

/// The databases phase: every database first, through the vendor's restore commands.
fn databases_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    s: &mut Scope<'_, '_>,
) -> Ended<Vec<dbs::DatabaseResult>> {
    if !selection.has(Component::Databases) {
        return Ended::skipped(Vec::new(), "no databases selected");
    }
    let databases = if input.options.dry_run {
        dbs::plan(m, &input.database)
    } else {
        dbs::restore_all(input.repository, input.snapshot, m, &input.database, s)
    };
    let failed = databases.iter().filter(|d| d.status == "failed").count();
    let message = format!("{} database(s), {failed} failed", databases.len());
    let status = if failed > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with(databases, status, message)
}

/// The files phase: each component an exact mirror of the snapshot, then the times of
/// the parent directories the restore created.
fn files_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    db_failed: bool,
    s: &mut Scope<'_, '_>,
) -> Ended<(Vec<ComponentResult>, Vec<String>)> {
    let opts = &input.options;
    let mut components: Vec<ComponentResult> = Vec::new();
    let records: Vec<_> = selection
        .components
        .iter()
        .filter(|c| **c != Component::Databases)
        .filter_map(|c| m.component(*c))
        .collect();
    for (i, record) in records.iter().enumerate() {
        let r = if db_failed && !opts.dry_run {
            skipped_after_database_failure(record.component)
        } else {
            let verify = opts.verify.unwrap_or(record.bytes < VERIFY_DEFAULT_LIMIT);
            restore_component(&ComponentJob {
                repo: input.repository,
                snapshot: input.snapshot,
                target: input.target,
                record,
                dry_run: opts.dry_run,
                verify,
                progress: opts.progress.clone(),
            })
        };
        s.progress(Item {
            files: Some(r.files_written),
            bytes: Some(r.bytes_written),
            ..Item::new(r.component.name(), i + 1, records.len(), &r.status)
        });
        components.push(r);
    }
    let warnings = if opts.dry_run {
        Vec::new()
    } else {
        let restored: Vec<(String, Vec<String>)> = components
            .iter()
            .filter(|c| c.status != "skipped")
            .flat_map(|c| c.paths.iter())
            .map(|p| (p.path.clone(), p.created_parents.clone()))
            .collect();
        super::files::reapply_parent_times(
            input.repository,
            input.snapshot,
            input.target,
            &restored,
        )
    };
    let bad = components
        .iter()
        .filter(|c| c.status != "restored" && c.status != "would_restore")
        .count();
    let message = format!("{} component(s), {bad} not restored", components.len());
    let status = if bad > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with((components, warnings), status, message)
}

fn skipped_after_database_failure(component: Component) -> ComponentResult {
    ComponentResult {
        component,
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
            "not restored: a database restore failed (the files were left as they are so \
             that databases and files stay consistent)"
                .into(),
        ),
    }
}

/// The version at the target after the restore, against the one it was meant to leave.
struct After {
    after: Option<String>,
    expected: Option<String>,
    confirmed: Option<bool>,
    warnings: Vec<String>,
}

/// The version check phase.
fn version_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    gate: &Gate,
) -> Ended<After> {
    if input.options.dry_run {
        let after = After {
            after: None,
            expected: gate.decision.checked_against.clone(),
            confirmed: None,
            warnings: Vec::new(),
        };
        return Ended::skipped(after, "dry run");
    }
    let after = version_after(input, m, selection, gate);
    let message = format!(
        "{} (expected {})",
        after.after.as_deref().unwrap_or("unknown"),
        after.expected.as_deref().unwrap_or("unknown")
    );
    match after.confirmed {
        Some(false) => Ended::failed(after, message),
        _ => Ended::ok(after, message),
    }
}

fn version_after(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    gate: &Gate,
) -> After {
    let mut warnings = Vec::new();
    let (after, _, after_webres, _) = read_target(input.target, &input.discover);
    let after_version = match &after {
        TargetState::Installed(v) => v.clone(),
        TargetState::BareMetal => None,
    };
    let expected: Option<Version> = if selection.brings_install {
        gate.backup_version.clone()
    } else {
        match &gate.target_state {
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
                    "provision/webresources at the target does not list the same bundles as at \
                     backup time"
                        .into(),
                );
                confirmed = Some(false);
            }
        }
    }
    let after = after_version.map(|v| v.to_string());
    let expected = expected.map(|v| v.to_string());
    if confirmed == Some(false) {
        warnings.push(format!(
            "the version at the target after the restore is {}, expected {}",
            after.as_deref().unwrap_or("unknown"),
            expected.as_deref().unwrap_or("unknown")
        ));
    }
    After {
        after,
        expected,
        confirmed,
        warnings,
    }
}
