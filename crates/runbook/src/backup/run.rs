//! Executing the plan: the phases of a backup run, in order.

use std::path::{Path, PathBuf};
use std::time::Instant;

use connections::deployment::Deployment;
use vault::backup::{FinishAdditions, ParentChoice};

use super::checks::{backup_preflight, previous_backup, PreflightArgs};
use super::dbsources::prepare_databases;
use super::events::{Event, EventSink, Phase, PhaseStatus};
use super::files::FileSources;
use super::{BackupError, BackupInput, BackupReport};
use crate::manifest::{
    self, ComponentRecord, ConnectionsVersion, DatabaseRecord, FailedStep, IimDirs, Manifest,
    ProfileRecord, RoleMappingsExport, RunOptions, ServerRecord, ServerRef, Status, StepRecord,
    StepStatus, Topology as ManifestTopology, MANIFEST_PATH, ROLE_MAPPINGS_PATH,
};
use crate::plan::{Action, Component, Plan, PlanOptions};
use crate::role_mappings;
use crate::servers::{
    self, start_all, stop_all, verify_all_stopped, ControlReport, Outcome, ServerError, Topology,
};

/// The sentence added to a repository error about the staged images kept.
fn staging_note(staged: bool, dir: &Path) -> String {
    if staged {
        format!(
            "; the staged database images were kept in {}",
            dir.display()
        )
    } else {
        String::new()
    }
}

/// Runs the backup procedure; see the module documentation of [`super`].
pub fn run(
    input: BackupInput<'_>,
    events: &mut dyn EventSink,
) -> Result<BackupReport, BackupError> {
    let started_ns = vault::now_unix_ns();
    let input = &input;
    let d = input.deployment;
    let opts = &input.options;
    let mut plan = Plan::build(
        d,
        &PlanOptions {
            in_place_migration: opts.in_place_migration,
        },
    );
    if opts.skip_databases {
        for s in plan
            .steps
            .iter_mut()
            .filter(|s| s.action == Action::BackupDatabases && s.runs)
        {
            s.runs = false;
            s.skip_reason =
                Some("--skip-databases: the databases are backed up from another host".into());
        }
    }
    let host = opts
        .host
        .clone()
        .unwrap_or_else(|| vault::backup::BackupOptions::default().host);
    let topology = Topology::from_deployment(d, input.sysroot);
    let mut phases = Vec::new();

    // 1. Preflight.
    let t = begin(events, Phase::Preflight);
    let repo_err = input.repository.as_ref().err().cloned();
    let (pre, tool) = backup_preflight(&PreflightArgs {
        sysroot: input.sysroot,
        plan: &plan,
        topology: &topology,
        credentials: &input.credentials,
        control: &input.control,
        database: &input.database,
        repository: match &input.repository {
            Ok(r) => Ok(*r),
            Err(_) => Err(repo_err.as_deref().unwrap_or("")),
        },
        host: &host,
        no_stop: opts.no_stop,
    });
    for w in &pre.warnings {
        warn(events, Phase::Preflight, w.clone());
    }
    if !pre.problems.is_empty() {
        end(
            events,
            Phase::Preflight,
            t,
            PhaseStatus::Failed,
            format!("{} problem(s)", pre.problems.len()),
        );
        if opts.no_stop && pre.problems.iter().all(|p| p.check == "servers_running") {
            return Err(BackupError::Refused {
                running: pre.running.clone(),
            });
        }
        return Err(BackupError::Preflight {
            problems: pre.problems.clone(),
            kind: pre.kind(),
            outcome: Box::new(pre),
        });
    }
    phases.push((
        Phase::Preflight,
        end(events, Phase::Preflight, t, PhaseStatus::Ok, "ok".into()),
    ));
    if opts.dry_run {
        return Ok(BackupReport {
            dry_run: true,
            plan,
            preflight: pre,
            manifest: None,
            snapshot: None,
            phases,
            restart_failed: Vec::new(),
        });
    }
    let Ok(repo) = input.repository.as_ref().map(|r| *r) else {
        // preflight reported it; unreachable in practice
        return Err(BackupError::Repository {
            during: "opening".into(),
            message: repo_err.unwrap_or_default(),
            staging: String::new(),
            staging_dir: None,
        });
    };

    let mut r = Recorder::new(&plan);
    r.warnings.extend(pre.warnings.iter().cloned());
    for w in &d.warnings {
        r.warnings.push(format!("discovery: {w}"));
    }

    // 2. While the servers run: role mappings and version evidence.
    let t = begin(events, Phase::RoleMappings);
    let mut roles = role_mappings::export_from_bindings(d, input.sysroot);
    if let Some(text) = wsadmin_roles(d, input, &topology, &mut roles) {
        warn(events, Phase::RoleMappings, text.clone());
        r.warnings.push(text);
    }
    for e in &roles.errors {
        warn(events, Phase::RoleMappings, e.clone());
    }
    let role_step_status = if roles.errors.is_empty() {
        StepStatus::Ok
    } else {
        StepStatus::Partial
    };
    let ms = end(
        events,
        Phase::RoleMappings,
        t,
        PhaseStatus::Ok,
        format!("{} application(s)", roles.applications.len()),
    );
    r.step_done(Action::ExportRoleMappings, role_step_status, None, ms);
    phases.push((Phase::RoleMappings, ms));

    // 3. Stop.
    let mut server_records = Vec::new();
    let t = begin(events, Phase::Stop);
    if opts.no_stop {
        let ms = end(
            events,
            Phase::Stop,
            t,
            PhaseStatus::Skipped,
            "--no-stop: every server was found stopped".into(),
        );
        r.step_done(
            Action::StopServers,
            StepStatus::Skipped,
            Some("--no-stop".into()),
            ms,
        );
        phases.push((Phase::Stop, ms));
    } else {
        let (status, message) = stop_servers(&topology, input, events, &mut server_records);
        let ms = end(
            events,
            Phase::Stop,
            t,
            if status == StepStatus::Ok {
                PhaseStatus::Ok
            } else {
                PhaseStatus::Failed
            },
            message.clone(),
        );
        if status == StepStatus::Failed {
            r.fail_step(Action::StopServers, None, None, &message);
            warn(
                events,
                Phase::Stop,
                "servers still running: the files and databases backed up may be inconsistent"
                    .into(),
            );
        }
        r.step_done(
            Action::StopServers,
            status,
            (status != StepStatus::Ok).then_some(message),
            ms,
        );
        phases.push((Phase::Stop, ms));
    }

    // 4. Databases: staged vendors now; the `command` vendor streams during the files phase.
    let t = begin(events, Phase::Databases);
    let staging_run = input.database.staging_dir.join(format!("run-{started_ns}"));
    let dbs = prepare_databases(
        &plan,
        tool.as_deref(),
        &input.database,
        &staging_run,
        events,
        &mut r,
    );
    let staged_any = staging_run.exists();
    let db_failed = r.databases.iter().any(|x| x.status == StepStatus::Failed);
    let ms = end(
        events,
        Phase::Databases,
        t,
        if db_failed {
            PhaseStatus::Failed
        } else if dbs.is_empty() && r.databases.is_empty() {
            PhaseStatus::Skipped
        } else {
            PhaseStatus::Ok
        },
        if dbs.iter().any(|x| x.streamed()) {
            format!("{} dump(s) stream during the files phase", dbs.len())
        } else {
            format!("{} database(s) staged", dbs.len())
        },
    );
    phases.push((Phase::Databases, ms));

    // 5 + 6. Files, the streamed dumps, the manifest: one pipeline run, one snapshot.
    let t = begin(events, Phase::Files);
    let parent = previous_backup(repo, &host)
        .map(|(id, _)| ParentChoice::Explicit(id.to_hex()))
        .unwrap_or(ParentChoice::None);
    let files = FileSources::build(&plan, &pre.missing_paths, input.sysroot, &mut r);
    let mut sources = Vec::new();
    for db in &dbs {
        sources.extend(db.sources());
    }
    let file_sources = files.sources(input.sysroot);
    let file_sources = match file_sources {
        Ok(s) => s,
        Err(message) => {
            end(
                events,
                Phase::Files,
                t,
                PhaseStatus::Failed,
                message.clone(),
            );
            return Err(BackupError::Repository {
                during: "preparing the file components".into(),
                message,
                staging: staging_note(staged_any, &staging_run),
                staging_dir: staged_any.then(|| staging_run.clone()),
            });
        }
    };
    sources.extend(file_sources);
    let roles_json = serde_json::to_vec_pretty(&roles).unwrap_or_default();
    let mut built: Option<Manifest> = None;
    let mut file_events: Vec<Event> = Vec::new();
    let vopts = vault::backup::BackupOptions {
        host: host.clone(),
        parent,
        progress: opts.progress.clone(),
        ..vault::backup::BackupOptions::default()
    };
    let outcome = vault::backup::backup_sources_with_finish(repo, sources, &vopts, |reports| {
        for db in &dbs {
            db.record(reports, &mut r, &mut file_events);
        }
        files.record(reports, &mut r, &mut file_events);
        r.components.push(ComponentRecord {
            component: Component::RoleMappings,
            procedure_step: "9 note".into(),
            paths: vec![ROLE_MAPPINGS_PATH.to_string()],
            excludes: Vec::new(),
            stored_with: None,
            status: role_step_status,
            files: 1,
            dirs: 0,
            bytes: roles_json.len() as u64,
            duration_ms: 0,
            message: Some(format!(
                "{} application(s); the raw binding files are in dmgr_profile",
                roles.applications.len()
            )),
            warnings: roles.errors.clone(),
        });
        let mut manifest = r.manifest(
            d,
            input,
            &host,
            started_ns,
            roles.clone(),
            server_records.clone(),
        );
        manifest.finished_ns = vault::now_unix_ns();
        let mut tags = vec![
            "cnxbackup".to_string(),
            format!("set:{}", manifest.backup_set),
        ];
        tags.extend(opts.tags.iter().cloned());
        if manifest.status == Status::Incomplete {
            tags.push("incomplete".to_string());
        }
        let additions = FinishAdditions {
            files: vec![
                (PathBuf::from(MANIFEST_PATH), manifest.to_json(), 0o644),
                (PathBuf::from(ROLE_MAPPINGS_PATH), roles_json.clone(), 0o644),
            ],
            application: Some(manifest.summary().to_application()),
            tags,
        };
        built = Some(manifest);
        additions
    });
    for e in &file_events {
        events.event(e);
        if let Event::Warning { message, .. } = e {
            tracing::warn!("{message}");
        }
    }
    let (outcome, manifest) = match (outcome, built) {
        (Ok(o), Some(m)) => (o, m),
        (Ok(o), None) => {
            // finish was not called although the backup succeeded: cannot happen
            return Err(BackupError::Repository {
                during: "writing the snapshot".into(),
                message: format!("snapshot {} has no manifest", o.snapshot_id),
                staging: staging_note(staged_any, &staging_run),
                staging_dir: staged_any.then(|| staging_run.clone()),
            });
        }
        (Err(e), _) => {
            end(events, Phase::Files, t, PhaseStatus::Failed, e.to_string());
            return Err(BackupError::Repository {
                during: "backing up the file components and database images".into(),
                message: e.to_string(),
                staging: staging_note(staged_any, &staging_run),
                staging_dir: staged_any.then(|| staging_run.clone()),
            });
        }
    };
    let files_failed = manifest
        .components
        .iter()
        .any(|c| c.status == StepStatus::Failed);
    let own: Vec<&ComponentRecord> = manifest
        .components
        .iter()
        .filter(|c| c.stored_with.is_none() && c.status != StepStatus::Skipped)
        .collect();
    let ms = end(
        events,
        Phase::Files,
        t,
        if files_failed {
            PhaseStatus::Failed
        } else {
            PhaseStatus::Ok
        },
        format!(
            "{} component(s), {} files, {} bytes ({} read)",
            own.len(),
            own.iter().map(|c| c.files).sum::<u64>(),
            own.iter().map(|c| c.bytes).sum::<u64>(),
            outcome.summary.bytes_read
        ),
    );
    phases.push((Phase::Files, ms));
    let snapshot_id = outcome.snapshot_id;
    let t = begin(events, Phase::Snapshot);
    let ms = end(
        events,
        Phase::Snapshot,
        t,
        if manifest.status == Status::Complete {
            PhaseStatus::Ok
        } else {
            PhaseStatus::Failed
        },
        format!("snapshot {snapshot_id} ({})", status_word(manifest.status)),
    );
    phases.push((Phase::Snapshot, ms));

    // 7. The snapshot is durable: remove the staging copies.
    if staged_any {
        let t = begin(events, Phase::Cleanup);
        let (status, message) = match std::fs::remove_dir_all(&staging_run) {
            Ok(()) => (
                PhaseStatus::Ok,
                format!("removed {}", staging_run.display()),
            ),
            Err(e) => {
                let m = format!("could not remove {}: {e}", staging_run.display());
                warn(events, Phase::Cleanup, m.clone());
                (PhaseStatus::Failed, m)
            }
        };
        phases.push((
            Phase::Cleanup,
            end(events, Phase::Cleanup, t, status, message),
        ));
    }

    // 8. --restart.
    let mut restart_failed = Vec::new();
    if opts.restart && !opts.no_stop {
        let t = begin(events, Phase::Restart);
        match start_all(&topology, &input.credentials, &input.control) {
            Ok(rep) => {
                for s in rep.failed() {
                    restart_failed.push(format!(
                        "{}: {}",
                        s.server,
                        outcome_detail(&s.outcome).unwrap_or_default()
                    ));
                }
                let not_running: Vec<String> = topology
                    .servers()
                    .filter(|(_, s)| s.kind.is_managed())
                    .filter(|(p, s)| servers::server_state(p, s).running_pid().is_none())
                    .filter(|(_, s)| {
                        !restart_failed
                            .iter()
                            .any(|x| x.starts_with(&format!("{}:", s.name)))
                    })
                    .map(|(_, s)| format!("{}: not running after start", s.name))
                    .collect();
                restart_failed.extend(not_running);
            }
            Err(e) => restart_failed.push(e.to_string()),
        }
        let status = if restart_failed.is_empty() {
            PhaseStatus::Ok
        } else {
            PhaseStatus::Failed
        };
        let message = if restart_failed.is_empty() {
            "every server started and verified".to_string()
        } else {
            restart_failed.join("; ")
        };
        phases.push((
            Phase::Restart,
            end(events, Phase::Restart, t, status, message),
        ));
    }

    Ok(BackupReport {
        dry_run: false,
        plan,
        preflight: pre,
        manifest: Some(manifest),
        snapshot: Some(snapshot_id.to_hex()),
        phases,
        restart_failed,
    })
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Complete => "complete",
        Status::Incomplete => "INCOMPLETE",
    }
}

fn begin(events: &mut dyn EventSink, phase: Phase) -> Instant {
    events.event(&Event::PhaseStart {
        phase,
        title: phase.title().to_string(),
    });
    Instant::now()
}

fn end(
    events: &mut dyn EventSink,
    phase: Phase,
    started: Instant,
    status: PhaseStatus,
    message: String,
) -> u64 {
    let duration_ms = millis(started);
    events.event(&Event::PhaseEnd {
        phase,
        status,
        duration_ms,
        message,
    });
    duration_ms
}

fn warn(events: &mut dyn EventSink, phase: Phase, message: String) {
    tracing::warn!("{message}");
    events.event(&Event::Warning { phase, message });
}

pub(crate) fn millis(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// wsadmin export when the dmgr profile has `bin/wsadmin.sh` and the dmgr runs. Returns a
/// warning when it was tried and failed.
fn wsadmin_roles(
    d: &Deployment,
    input: &BackupInput<'_>,
    topology: &Topology,
    roles: &mut RoleMappingsExport,
) -> Option<String> {
    let (profile, dmgr) = topology
        .servers()
        .find(|(_, s)| s.kind == servers::ServerKind::DeploymentManager)?;
    let wsadmin = profile.path.join("bin/wsadmin.sh");
    if !wsadmin.exists() || servers::server_state(profile, dmgr).running_pid().is_none() {
        return None;
    }
    let _ = d;
    match role_mappings::export_with_wsadmin(
        &wsadmin,
        &input.credentials,
        input
            .control
            .timeout
            .min(std::time::Duration::from_secs(600)),
    ) {
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

fn outcome_name(o: &Outcome) -> &'static str {
    match o {
        Outcome::Stopped => "stopped",
        Outcome::AlreadyStopped { .. } => "already_stopped",
        Outcome::Killed { .. } => "killed",
        Outcome::Started => "started",
        Outcome::AlreadyRunning => "already_running",
        Outcome::Skipped { .. } => "skipped",
        Outcome::Failed { .. } => "failed",
    }
}

fn outcome_detail(o: &Outcome) -> Option<String> {
    match o {
        Outcome::AlreadyStopped { why } => Some(why.clone()),
        Outcome::Killed { signal, pid } => Some(format!("killed with {signal} (pid {pid})")),
        Outcome::Skipped { reason } | Outcome::Failed { reason } => Some(reason.clone()),
        _ => None,
    }
}

fn records_of(rep: &ControlReport, op: &str, out: &mut Vec<ServerRecord>) {
    for s in &rep.servers {
        out.push(ServerRecord {
            operation: op.to_string(),
            profile: s.profile.clone(),
            server: s.server.clone(),
            kind: serde_json::to_value(s.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            result: outcome_name(&s.outcome).to_string(),
            detail: outcome_detail(&s.outcome),
            attempts: s.attempts,
            duration_ms: s.duration_ms,
        });
    }
}

/// Stops every server and verifies; returns the step status and a one-line account.
fn stop_servers(
    topology: &Topology,
    input: &BackupInput<'_>,
    events: &mut dyn EventSink,
    records: &mut Vec<ServerRecord>,
) -> (StepStatus, String) {
    let total = topology.servers().count();
    let result = stop_all(topology, &input.credentials, &input.control);
    let rep = match &result {
        Ok(rep) => rep,
        Err(ServerError::WrongCredentials { report, .. }) => report.as_ref(),
    };
    records_of(rep, "stop", records);
    for (i, s) in rep.servers.iter().enumerate() {
        events.event(&Event::Progress {
            phase: Phase::Stop,
            item: s.server.clone(),
            done: i + 1,
            total,
            files: None,
            bytes: None,
            status: outcome_name(&s.outcome).to_string(),
        });
        if let Outcome::Killed { signal, pid } = &s.outcome {
            warn(
                events,
                Phase::Stop,
                format!("{} did not stop and was killed with {signal} (pid {pid}; websphere.force_kill)", s.server),
            );
        }
    }
    if let Err(e) = &result {
        return (StepStatus::Failed, e.to_string());
    }
    let still = verify_all_stopped(topology);
    let failed: Vec<String> = rep
        .failed()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.server,
                outcome_detail(&s.outcome).unwrap_or_default()
            )
        })
        .collect();
    if !failed.is_empty() || !still.is_empty() {
        let mut parts = failed;
        for s in still {
            if !parts
                .iter()
                .any(|p| p.starts_with(&format!("{}:", s.server)))
            {
                parts.push(format!("{}: still running (pid {})", s.server, s.pid));
            }
        }
        return (
            StepStatus::Failed,
            format!("servers did not stop: {}", parts.join("; ")),
        );
    }
    let stopped = rep
        .servers
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Stopped | Outcome::Killed { .. }))
        .count();
    (
        StepStatus::Ok,
        format!("{stopped} server(s) stopped, every JVM verified stopped"),
    )
}

/// What the run records for the manifest as it goes.
pub(crate) struct Recorder {
    pub(crate) steps: Vec<StepRecord>,
    pub(crate) components: Vec<ComponentRecord>,
    pub(crate) databases: Vec<DatabaseRecord>,
    pub(crate) failed: Vec<FailedStep>,
    pub(crate) warnings: Vec<String>,
    pub(crate) db_step: Option<(String, String)>,
    /// Databases the plan backs up (for progress events).
    pub(crate) db_total: usize,
}

impl Recorder {
    fn new(plan: &Plan) -> Recorder {
        let steps = plan
            .steps
            .iter()
            .map(|s| StepRecord {
                order: s.order,
                procedure_step: s.procedure_step.clone(),
                title: s.title.clone(),
                action: serde_json::to_value(s.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                component: s.component,
                status: StepStatus::Skipped,
                message: s.skip_reason.clone(),
                duration_ms: 0,
            })
            .collect();
        let db_step = plan
            .steps
            .iter()
            .find(|s| s.action == Action::BackupDatabases)
            .map(|s| (s.procedure_step.clone(), s.title.clone()));
        Recorder {
            steps,
            components: Vec::new(),
            databases: Vec::new(),
            failed: Vec::new(),
            warnings: Vec::new(),
            db_step,
            db_total: 0,
        }
    }

    pub(crate) fn step_done(
        &mut self,
        action: Action,
        status: StepStatus,
        message: Option<String>,
        ms: u64,
    ) {
        let action = serde_json::to_value(action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if let Some(s) = self.steps.iter_mut().find(|s| s.action == action) {
            s.status = status;
            s.message = message.or(s.message.take());
            s.duration_ms = ms;
        }
    }

    pub(crate) fn set_step_status(
        &mut self,
        order: usize,
        status: StepStatus,
        message: Option<String>,
        ms: u64,
    ) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.order == order) {
            s.status = status;
            s.message = message;
            s.duration_ms = ms;
        }
    }

    fn fail_step(
        &mut self,
        action: Action,
        component: Option<Component>,
        database: Option<String>,
        message: &str,
    ) {
        let action_name = serde_json::to_value(action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let (procedure_step, title) = self
            .steps
            .iter()
            .find(|s| s.action == action_name)
            .map(|s| (s.procedure_step.clone(), s.title.clone()))
            .unwrap_or_default();
        self.failed.push(FailedStep {
            procedure_step,
            title,
            component,
            database,
            message: message.to_string(),
        });
    }

    pub(crate) fn fail_db(&mut self, name: &str, message: String) {
        let (procedure_step, title) = self.db_step.clone().unwrap_or_default();
        self.failed.push(FailedStep {
            procedure_step,
            title,
            component: Some(Component::Databases),
            database: Some(name.to_string()),
            message: message.clone(),
        });
        self.databases.push(DatabaseRecord {
            database: name.to_string(),
            status: StepStatus::Failed,
            image: None,
            stored_paths: Vec::new(),
            error: Some(message),
        });
    }

    fn manifest(
        &mut self,
        d: &Deployment,
        input: &BackupInput<'_>,
        host: &str,
        started_ns: i64,
        roles: RoleMappingsExport,
        servers: Vec<ServerRecord>,
    ) -> Manifest {
        // the databases component
        if self.steps.iter().any(|s| s.action == "backup_databases") {
            let db_status = if self
                .databases
                .iter()
                .any(|x| x.status == StepStatus::Failed)
            {
                StepStatus::Failed
            } else if self.databases.is_empty() {
                StepStatus::Skipped
            } else {
                StepStatus::Ok
            };
            self.components.insert(
                0,
                ComponentRecord {
                    component: Component::Databases,
                    procedure_step: self.db_step.clone().map(|s| s.0).unwrap_or_default(),
                    paths: self
                        .databases
                        .iter()
                        .flat_map(|x| x.stored_paths.clone())
                        .collect(),
                    excludes: Vec::new(),
                    stored_with: None,
                    status: db_status,
                    files: self
                        .databases
                        .iter()
                        .map(|x| x.stored_paths.len() as u64)
                        .sum(),
                    dirs: 0,
                    bytes: self
                        .databases
                        .iter()
                        .filter_map(|x| x.image.as_ref())
                        .map(|i| i.bytes)
                        .sum(),
                    duration_ms: self
                        .databases
                        .iter()
                        .filter_map(|x| x.image.as_ref())
                        .map(|i| i.duration_ms)
                        .sum(),
                    message: None,
                    warnings: Vec::new(),
                },
            );
        }
        let v = &d.connections.version;
        let fingerprint = v.version().map(|ver| {
            connections::version::Fingerprint::new(
                &ver,
                v.was_version.clone(),
                v.webresources_sha256.clone(),
            )
        });
        let opts = &input.options;
        Manifest {
            schema_version: manifest::SCHEMA_VERSION,
            backup_set: opts
                .backup_set
                .clone()
                .unwrap_or_else(super::new_backup_set_id),
            host: host.to_string(),
            cnxbackup_version: input.program_version.clone(),
            started_ns,
            finished_ns: started_ns,
            status: if self.failed.is_empty() {
                Status::Complete
            } else {
                Status::Incomplete
            },
            failed_steps: self.failed.clone(),
            connections: ConnectionsVersion {
                root: d.connections.root.clone(),
                version: v.version().map(|x| x.to_string()),
                fingerprint,
                release: v.release.as_ref().map(|r| r.to_string()),
                cr: v.cr,
                ifixes: v.ifixes.iter().map(|i| i.to_string()).collect(),
                ifixes_known: v.ifixes_known,
                basis: v
                    .basis
                    .as_ref()
                    .and_then(|b| serde_json::to_value(b).ok())
                    .and_then(|b| b.as_str().map(str::to_string)),
                evidence: serde_json::to_value(&v.evidence).unwrap_or(serde_json::Value::Null),
                conflicts: v.conflicts.iter().map(|c| c.to_string()).collect(),
            },
            topology: ManifestTopology {
                cell: d.was.cell.clone(),
                app_server_root: d.was.app_server_root.clone(),
                connections_root: d.connections.root.clone(),
                shared_data: d.data.shared_root.clone(),
                local_data: d.data.local_root.clone(),
                provision: d.data.provision.clone(),
                customization: d.data.customization.clone(),
                iim: IimDirs {
                    install_dir: d.installation_manager.install_dir.clone(),
                    data_dir: d.installation_manager.data_dir.clone(),
                    shared_dir: d.installation_manager.shared_dir.clone(),
                },
                ccm_installed: d.connections.ccm.installed,
                profiles: d
                    .was
                    .profiles
                    .iter()
                    .filter(|p| p.exists)
                    .map(|p| ProfileRecord {
                        name: p.name.clone(),
                        path: p.path.clone(),
                        kind: serde_json::to_value(p.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        node: p.node.clone(),
                    })
                    .collect(),
                servers: d
                    .was
                    .servers()
                    .map(|s| ServerRef {
                        node: s.node.clone(),
                        server: s.name.clone(),
                        kind: serde_json::to_value(s.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        host: s.host.clone(),
                        cluster: s.cluster.clone(),
                    })
                    .collect(),
            },
            options: RunOptions {
                in_place_migration: opts.in_place_migration,
                no_stop: opts.no_stop,
                restart: opts.restart,
                database_vendor: self
                    .databases
                    .iter()
                    .find_map(|x| x.image.as_ref().map(|i| i.vendor.to_string())),
                tags: opts.tags.clone(),
            },
            steps: self.steps.clone(),
            components: self.components.clone(),
            databases: self.databases.clone(),
            role_mappings: roles,
            servers,
            warnings: self.warnings.clone(),
        }
    }
}
