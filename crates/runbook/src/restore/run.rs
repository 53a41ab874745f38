//! The restore as a list of phases run by one [`Procedure`]: selection (manifest, target,
//! mode, host rule, components), version gate (or, for an extraction, why none applies),
//! stop (every server at the target stopped), the pre-restore snapshot, databases, files,
//! version check.

use std::path::Path;
use std::time::Instant;

use connections::discover::installed_version;
use connections::version::Version;

use super::dbs;
use super::error::DeploymentRestoreError;
use super::extract;
use super::files::{restore_component, ComponentJob, ComponentResult, VERIFY_DEFAULT_LIMIT};
use super::gate::{self, GateDecision, GateInput, TargetState};
use super::input::RestoreInput;
use super::prerestore::{self, PreRestoreError, PreRestoreInput};
use super::report::{Mode, PreRestoreOutcome, RestoreReport};
use super::select::{self, SelectError, Selection};
use super::topology::target_topology;
use super::totals::Totals;
use crate::clock::millis;
use crate::manifest::{Manifest, Summary, MANIFEST_PATH};
use crate::pick::HostCheck;
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
) -> Result<Manifest, DeploymentRestoreError> {
    let path = snapshot
        .application
        .as_ref()
        .and_then(Summary::from_application)
        .map(|s| s.manifest)
        .unwrap_or_else(|| MANIFEST_PATH.to_string());
    let mut bytes = Vec::new();
    let dumped = vault::restore::dump_file(repo, snapshot, Path::new(&path), &mut bytes);
    if let Err(source) = dumped {
        return Err(DeploymentRestoreError::ManifestUnreadable { path, source });
    }
    Manifest::from_json(&bytes)
        .map_err(|source| DeploymentRestoreError::ManifestInvalid { path, source })
}

/// The target as the gate sees it: what is installed, whether its iFix list was read, and
/// its `provision/webresources` listing hash.
struct Target {
    state: TargetState,
    ifixes_known: bool,
    webresources_sha256: Option<String>,
}

fn read_target(
    target: &websphere::Sysroot,
    opts: &connections::discover::DiscoverOptions,
) -> Target {
    let iv = installed_version(target, opts);
    for w in &iv.warnings {
        tracing::debug!("reading the target's version: {}", w.message);
    }
    Target {
        state: match iv.connections_root {
            None => TargetState::BareMetal,
            Some(_) => TargetState::Installed(iv.version.version()),
        },
        ifixes_known: iv.version.ifixes_known,
        webresources_sha256: iv.version.webresources_sha256.clone(),
    }
}

/// Runs the restore; see the module documentation of [`super`].
pub fn run(
    input: RestoreInput<'_>,
    events: &mut dyn EventSink,
) -> Result<RestoreReport, DeploymentRestoreError> {
    let started = Instant::now();
    let input = &input;
    let mut p = Procedure::new(events);
    let Selected {
        manifest: m,
        target,
        mode,
        host_check,
        selection,
        mut warnings,
    } = p.phase(Phase::Selection, |_| selection_phase(input))?;
    let gate = p.phase(Phase::VersionGate, |_| {
        gate_phase(input, &m, &selection, &target, mode)
    })?;
    warnings.extend(gate.decision.warnings.iter().cloned());
    let servers = p.phase(Phase::Stop, |s| stop_phase(input, &m, &selection, s))?;
    if let Some(w) = servers.dry_run_warning() {
        warnings.push(w);
    }
    let pre_restore = p.phase(Phase::PreRestore, |s| {
        pre_restore_phase(input, &m, &selection, s)
    })?;
    let databases = p.phase(Phase::RestoreDatabases, |s| {
        databases_phase(input, &m, &selection, mode, s)
    })?;
    let db_failed = databases.iter().any(|d| d.status == "failed");
    let (components, more) = p.phase(Phase::RestoreFiles, |s| {
        files_phase(input, &m, &selection, mode, db_failed, s)
    });
    warnings.extend(more);
    let declared = match selection.declared.is_empty() {
        true => Vec::new(),
        false => p.phase(Phase::RestoreComponents, |s| {
            super::declared::restore_phase(input, &m, &selection.declared, s)
        }),
    };
    let after = p.phase(Phase::VersionCheck, |_| {
        version_phase(input, &m, &selection, &gate)
    });
    warnings.extend(after.warnings.iter().cloned());
    let opts = &input.options;
    Ok(RestoreReport {
        snapshot: input.snapshot_id.clone(),
        target: input.target.root().display().to_string(),
        dry_run: opts.dry_run,
        mode,
        backup_set: m.backup_set.clone(),
        host: m.host.clone(),
        host_check,
        snapshot_choice: input.picked.clone(),
        selection,
        gate: gate.decision,
        pre_restore,
        totals: Totals::of(&components, &databases),
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
        declared,
    })
}

/// Ends a phase with the value, or failed with the error's words.
fn ended<T>(
    result: Result<T, DeploymentRestoreError>,
    message: impl FnOnce(&T) -> String,
) -> Ended<Result<T, DeploymentRestoreError>> {
    match &result {
        Ok(v) => {
            let m = message(v);
            Ended::ok(result, m)
        }
        Err(e) => {
            let m = e.to_string();
            Ended::failed(result, m)
        }
    }
}

/// The manifest, the target's state, the mode, the host rule's verdict, what to restore,
/// and the notes about it.
struct Selected {
    manifest: Manifest,
    target: Target,
    mode: Mode,
    host_check: Option<HostCheck>,
    selection: Selection,
    warnings: Vec<String>,
}

/// The selection phase: a `--target` that holds no installation is an extraction (no host
/// rule, intact components of an incomplete snapshot); otherwise the snapshot must be of
/// this host or of the one `--from-host` names.
fn selection_phase(input: &RestoreInput<'_>) -> Ended<Result<Selected, DeploymentRestoreError>> {
    ended(select_components(input), |s| {
        let verb = match s.mode {
            Mode::Restore => "restore",
            Mode::Extract => "extract into a directory without an installation",
        };
        format!("{} component(s) to {verb}", s.selection.components.len())
    })
}

fn select_components(input: &RestoreInput<'_>) -> Result<Selected, DeploymentRestoreError> {
    let opts = &input.options;
    if !is_deployment_backup(input.snapshot) {
        return Err(DeploymentRestoreError::NotADeploymentBackup {
            snapshot: input.snapshot_id.to_string(),
        });
    }
    let m = read_manifest(input.repository, input.snapshot)?;
    let target = read_target(input.target, &input.discover);
    let mode = if extract::is_extraction(opts.separate_target, &target.state) {
        Mode::Extract
    } else {
        Mode::Restore
    };
    let host_check = match mode {
        Mode::Restore => Some(
            crate::pick::check_restore_host(
                &input.snapshot_id,
                &m.host,
                &opts.this_host,
                opts.from_host.as_deref(),
            )
            .map_err(DeploymentRestoreError::Host)?,
        ),
        Mode::Extract => None,
    };
    if mode == Mode::Restore {
        same_target_as_taken(input, &m)?;
    }
    let only: &[Component] = if opts.databases_only {
        &[Component::Databases]
    } else {
        &opts.only
    };
    let declared = super::declared::select(&m, opts)?;
    let chosen = match mode {
        // `--only` names declared components alone: none of the built-in ones
        _ if only.is_empty() && !opts.only_declared.is_empty() => Ok(Selection::default()),
        Mode::Restore => select::select(&m, only, opts.skip_databases),
        Mode::Extract => select::select_extraction(&m, only, opts.skip_databases),
    };
    let mut selection = chosen.map_err(|e| match e {
        SelectError::Incomplete { .. } => DeploymentRestoreError::Incomplete(e),
        SelectError::NotInSnapshot { .. } => DeploymentRestoreError::Usage(e),
    })?;
    // an extraction writes the snapshot's own files, the declared components' among them
    if mode == Mode::Restore {
        selection.declared = declared;
    }
    let warnings = group_warning(&selection);
    Ok(Selected {
        manifest: m,
        target,
        mode,
        host_check,
        selection,
        warnings,
    })
}

/// A pre-restore snapshot goes back only where it was taken (an extraction may put it
/// anywhere): the host rule cannot tell a lab copy's state from this host's, both were
/// recorded under this host's name.
fn same_target_as_taken(
    input: &RestoreInput<'_>,
    m: &Manifest,
) -> Result<(), DeploymentRestoreError> {
    let Some(pre) = &m.pre_restore else {
        return Ok(());
    };
    let target = input.target.root().display().to_string();
    if pre.target == target {
        return Ok(());
    }
    Err(DeploymentRestoreError::PreRestoreElsewhere {
        snapshot: input
            .snapshot_id
            .get(..8)
            .unwrap_or(&input.snapshot_id)
            .to_string(),
        taken_at: pre.target.clone(),
        target,
    })
}

fn group_warning(selection: &Selection) -> Vec<String> {
    if selection.added_with_group.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "also restoring {} with connections_root: Installation Manager's data, install and \
         IMShared go back together with the Connections install, never one without the \
         others",
        selection
            .added_with_group
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>()
            .join(", ")
    )]
}

/// What the gate decided, with the target's state before the restore.
struct Gate {
    decision: GateDecision,
    target_state: TargetState,
    backup_version: Option<Version>,
}

/// The version gate phase: the documented rules (an extraction has none to apply), then
/// every tree checked for names that would escape, before anything is touched.
fn gate_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    target: &Target,
    mode: Mode,
) -> Ended<Result<Gate, DeploymentRestoreError>> {
    let decision = match mode {
        Mode::Restore if databases_server(input, m, target) => Ok(databases_server_decision(m)),
        Mode::Restore => decide(input, m, selection, target),
        Mode::Extract => Ok(extract::decision(m)),
    };
    let gate = decision.and_then(|mut decision| {
        check_names(input, m, selection)?;
        let more = super::declared::gate(input, m, &selection.declared)?;
        decision.warnings.extend(more);
        Ok(Gate {
            decision,
            target_state: target.state.clone(),
            backup_version: m.connections.fingerprint.as_ref().map(|f| f.version()),
        })
    });
    ended(gate, |g| {
        let d = &g.decision;
        match mode {
            Mode::Restore => format!(
                "backup {} checked against {} ({}): allowed",
                d.backup_version.as_deref().unwrap_or("unknown"),
                d.checked_against.as_deref().unwrap_or("unknown"),
                d.basis
            ),
            Mode::Extract => d.basis.clone(),
        }
    })
}

/// A `--databases-only` restore of a backup set's member on a host without a Connections
/// install (the set's database server): there is no installed version here to check.
fn databases_server(input: &RestoreInput<'_>, m: &Manifest, target: &Target) -> bool {
    input.options.databases_only
        && !m.backup_set.is_empty()
        && target.state == TargetState::BareMetal
}

/// The gate's place in a database server's restore: no rule applied here, and why.
fn databases_server_decision(m: &Manifest) -> GateDecision {
    GateDecision {
        backup_version: m.connections.version.clone(),
        installed_version: None,
        checked_against: None,
        basis: format!(
            "a database server of backup set {}: no Connections install on this host, so the \
             databases go back at the set's version ({}) and each WebSphere host's restore of \
             its own member checks that version against its install (run those with \
             --dry-run first, as the cell's restore playbook does)",
            m.backup_set,
            m.connections.version.as_deref().unwrap_or("unknown")
        ),
        checks: Vec::new(),
        warnings: Vec::new(),
    }
}

fn decide(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    target: &Target,
) -> Result<GateDecision, DeploymentRestoreError> {
    let backup_version: Option<Version> = m.connections.fingerprint.as_ref().map(|f| f.version());
    // on a host without Connections (a web server's, TDI's) the web tier and the sync
    // solution are no Connections content: their own versions are what counts
    let own_host = target.state == TargetState::BareMetal;
    let content = selection
        .components
        .iter()
        .any(|c| *c != Component::Provision && !(own_host && super::web::outside_connections(*c)));
    let web = super::web::web_versions(m, selection, input.target);
    gate::decide(&GateInput {
        backup: backup_version.as_ref(),
        target: &target.state,
        brings_install: selection.brings_install,
        root_without_iim: selection.root_without_iim,
        content,
        provision: selection.has(Component::Provision),
        target_ifixes_known: target.ifixes_known,
        allow_version_mismatch: input.options.allow_version_mismatch,
        web: &web,
    })
    .map_err(DeploymentRestoreError::Gate)
}

/// Every selected tree is checked for names that would escape its directory.
fn check_names(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
) -> Result<(), DeploymentRestoreError> {
    for c in &selection.components {
        let Some(record) = m.component(*c) else {
            continue;
        };
        match super::files::unsafe_entry(input.repository, input.snapshot, record) {
            Ok(None) => {}
            Ok(Some(detail)) => {
                return Err(DeploymentRestoreError::Unsafe {
                    component: *c,
                    detail,
                })
            }
            Err(source) => {
                return Err(DeploymentRestoreError::TreeUnreadable {
                    component: *c,
                    source,
                })
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
    selection: &Selection,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<Servers, DeploymentRestoreError>> {
    let opts = &input.options;
    if selection.components.is_empty() {
        // only declared components: their own commands restore them, no WebSphere file is
        // written, the servers may run
        let servers = Servers {
            stopped: Vec::new(),
            running: Vec::new(),
        };
        return Ended::skipped(Ok(servers), "no WebSphere component selected");
    }
    let topology = target_topology(m, input.target, &input.discover);
    let running = verify_all_stopped(&topology);
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
        let e = DeploymentRestoreError::Running { running };
        let message = e.to_string();
        return Ended::failed(Err(e), message);
    }
    let servers = writable_first(input, m, selection)
        .and_then(|()| stop_running(input, &topology, running.len(), s))
        .map(|stopped| Servers {
            stopped,
            running: Vec::new(),
        });
    ended(servers, |v| {
        format!("{} server(s) stopped", v.stopped.len())
    })
}

/// With a pre-restore snapshot to take, the repository must take writes before the first
/// server stops: nothing that can fail after that is left unchecked.
fn writable_first(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
) -> Result<(), DeploymentRestoreError> {
    let takes_pre_restore = !input.options.no_pre_restore
        && !prerestore::paths_to_save(m, selection, input.target).is_empty();
    if !takes_pre_restore {
        return Ok(());
    }
    input
        .repository
        .probe_write()
        .map(|_live_locks| ())
        .map_err(|e| DeploymentRestoreError::PreRestore(PreRestoreError::NotWritable(e)))
}

fn stop_running(
    input: &RestoreInput<'_>,
    topology: &crate::servers::ControlTopology,
    count: usize,
    s: &mut Scope<'_, '_>,
) -> Result<Vec<String>, DeploymentRestoreError> {
    tracing::info!("stopping {count} running server(s)");
    let rep = stop_all(topology, &input.credentials, &input.control)
        .map_err(DeploymentRestoreError::Stop)?;
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
        return Err(DeploymentRestoreError::Running { running });
    }
    Ok(stopped)
}

/// The pre-restore phase: everything the restore is about to replace or remove, and the
/// logs, saved into the repository (a dry run lists what it would save). Failing it stops
/// the restore before anything at the target changed.
fn pre_restore_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<PreRestoreOutcome, DeploymentRestoreError>> {
    let opts = &input.options;
    if opts.no_pre_restore {
        return Ended::skipped(Ok(PreRestoreOutcome::Off), "--no-pre-restore");
    }
    if opts.dry_run {
        let paths = prerestore::paths_to_save(m, selection, input.target);
        let message = format!("{} path(s) would be saved (dry run)", paths.len());
        return Ended::skipped(Ok(PreRestoreOutcome::Planned { paths }), message);
    }
    let taken = prerestore::take(&PreRestoreInput {
        repository: input.repository,
        target: input.target,
        manifest: m,
        selection,
        restoring: &input.snapshot_id,
        host: &opts.this_host,
        discover: &input.discover,
        program_version: env!("CARGO_PKG_VERSION"),
        progress: opts.progress.clone(),
    })
    .map_err(DeploymentRestoreError::PreRestore);
    match taken {
        Ok(None) => Ended::skipped(
            Ok(PreRestoreOutcome::NothingToSave),
            "the target holds nothing the restore replaces",
        ),
        Ok(Some(p)) => {
            let message = format!(
                "snapshot {}: {} files, {} bytes, {} bytes added to the repository",
                p.snapshot.get(..8).unwrap_or(&p.snapshot),
                p.files,
                p.bytes,
                p.bytes_added
            );
            s.progress(Item {
                files: Some(p.files),
                bytes: Some(p.bytes),
                ..Item::new("pre-restore", 1, 1, "ok")
            });
            Ended::ok(Ok(PreRestoreOutcome::Taken(p)), message)
        }
        Err(e) => {
            let message = e.to_string();
            Ended::failed(Err(e), message)
        }
    }
}

/// The databases phase: every database first, through the vendor's restore commands. An
/// extraction writes the snapshot's own files (manifest, role mappings, database images as
/// files) instead; a failure to do so stops it.
fn databases_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    mode: Mode,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<Vec<dbs::DatabaseResult>, DeploymentRestoreError>> {
    let opts = &input.options;
    let with_databases = selection.has(Component::Databases);
    let databases = match mode {
        Mode::Extract => {
            let extracted = extract::extract_metadata(
                input.repository,
                input.snapshot,
                m,
                input.target,
                with_databases,
                opts.dry_run,
            )
            .map_err(DeploymentRestoreError::Extract);
            return ended(extracted, |d| {
                format!("the snapshot's own files and {} database image(s)", d.len())
            });
        }
        Mode::Restore if !with_databases => {
            return Ended::skipped(Ok(Vec::new()), "no databases selected")
        }
        Mode::Restore if opts.dry_run => dbs::plan(m, &input.database),
        Mode::Restore => dbs::restore_all(input.repository, input.snapshot, m, &input.database, s),
    };
    let failed = databases.iter().filter(|d| d.status == "failed").count();
    let message = format!("{} database(s), {failed} failed", databases.len());
    let status = if failed > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with(Ok(databases), status, message)
}

/// The files phase: each component an exact mirror of the snapshot (the servers' runtime
/// files marked apart in a dry run), then the times of the parent directories the restore
/// created.
fn files_phase(
    input: &RestoreInput<'_>,
    m: &Manifest,
    selection: &Selection,
    mode: Mode,
    db_failed: bool,
    s: &mut Scope<'_, '_>,
) -> Ended<(Vec<ComponentResult>, Vec<String>)> {
    let opts = &input.options;
    let profiles: Vec<&str> = m
        .topology
        .profiles
        .iter()
        .map(|p| p.path.as_str())
        .collect();
    let records: Vec<_> = selection
        .components
        .iter()
        .filter(|c| **c != Component::Databases)
        .filter_map(|c| m.component(*c))
        .collect();
    let mut components: Vec<ComponentResult> = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let mut r = if db_failed && !opts.dry_run {
            ComponentResult::skipped(
                record.component,
                "not restored: a database restore failed (the files were left as they are so \
                 that databases and files stay consistent)",
            )
        } else {
            restore_component(&ComponentJob {
                repo: input.repository,
                snapshot: input.snapshot,
                target: input.target,
                record,
                dry_run: opts.dry_run,
                verify: opts.verify.unwrap_or(record.bytes < VERIFY_DEFAULT_LIMIT),
                progress: opts.progress.clone(),
                profiles: &profiles,
            })
        };
        if mode == Mode::Extract {
            r.status = extracted_status(&r.status);
        }
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
        reapply_times(input, &components)
    };
    let bad = components
        .iter()
        .filter(|c| {
            !matches!(
                c.status.as_str(),
                "restored" | "would_restore" | "extracted" | "would_extract"
            )
        })
        .count();
    let message = format!("{} component(s), {bad} not restored", components.len());
    let status = if bad > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with((components, warnings), status, message)
}

/// An extraction says it extracted rather than restored.
fn extracted_status(status: &str) -> String {
    match status {
        "restored" => "extracted".into(),
        "would_restore" => "would_extract".into(),
        other => other.to_string(),
    }
}

fn reapply_times(input: &RestoreInput<'_>, components: &[ComponentResult]) -> Vec<String> {
    let restored: Vec<(String, Vec<String>)> = components
        .iter()
        .filter(|c| c.status != "skipped")
        .flat_map(|c| c.paths.iter())
        .map(|p| (p.path.clone(), p.created_parents.clone()))
        .collect();
    super::files::reapply_parent_times(input.repository, input.snapshot, input.target, &restored)
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
    if input.options.databases_only && gate.target_state == TargetState::BareMetal {
        let after = After {
            after: None,
            expected: None,
            confirmed: None,
            warnings: Vec::new(),
        };
        return Ended::skipped(after, "a database server: no Connections install to read");
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
    let now = read_target(input.target, &input.discover);
    let after_webres = now.webresources_sha256;
    let after_version = match &now.state {
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
