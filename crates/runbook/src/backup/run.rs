//! Executing the plan: the phases of a backup run, in order.

use std::path::Path;
use std::time::Instant;

use connections::deployment::Deployment;
use vault::backup::{ParentChoice, WarningKind};

use super::checks::{backup_preflight, previous_backup, PreflightArgs};
use super::events::{Event, EventSink, Phase, PhaseStatus};
use super::store::{Composer, StoreError};
use super::{BackupError, BackupInput, BackupReport};
use crate::databases::{
    prepare_staging, BackupSink, DatabaseTarget, DatabaseTool, ImageRecord, Vendor,
};
use crate::manifest::{
    self, ComponentRecord, ConnectionsVersion, DatabaseRecord, FailedStep, IimDirs, Manifest,
    ProfileRecord, RoleMappingsExport, RunOptions, ServerRecord, ServerRef, Status, StepRecord,
    StepStatus, Topology as ManifestTopology, DATABASES_DIR, MANIFEST_PATH, ROLE_MAPPINGS_PATH,
};
use crate::plan::{Action, Component, Plan, PlanOptions, Step};
use crate::role_mappings;
use crate::servers::{
    self, start_all, stop_all, verify_all_stopped, ControlReport, Outcome, ServerError, Topology,
};

/// How many file warnings a component record keeps (the count is in the status).
const WARNINGS_KEPT: usize = 20;

/// Runs the backup procedure; see the module documentation of [`super`].
pub fn run(
    input: BackupInput<'_>,
    events: &mut dyn EventSink,
) -> Result<BackupReport, BackupError> {
    let started_ns = vault::now_unix_ns();
    let input = &input;
    let d = input.deployment;
    let opts = &input.options;
    let plan = Plan::build(
        d,
        &PlanOptions {
            in_place_migration: opts.in_place_migration,
        },
    );
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

    let mut composer = Composer::new(repo, input.sysroot.clone(), &host);

    // 4. Databases.
    let t = begin(events, Phase::Databases);
    let staging_run = input
        .database
        .staging_dir
        .join(format!("run-{}", started_ns));
    let db_result = back_up_databases(
        &plan,
        tool.as_deref(),
        &input.database,
        &staging_run,
        &mut composer,
        events,
        &mut r,
    );
    let staged_any = staging_run.exists();
    let staging_note = |kept: bool| {
        if kept && staged_any {
            format!(
                "; the staged database images were kept in {}",
                staging_run.display()
            )
        } else {
            String::new()
        }
    };
    if let Err(e) = db_result {
        composer.forget_temporary();
        end(
            events,
            Phase::Databases,
            t,
            PhaseStatus::Failed,
            e.to_string(),
        );
        return Err(BackupError::Repository {
            during: "storing the database images".into(),
            message: e.to_string(),
            staging: staging_note(true),
            staging_dir: staged_any.then(|| staging_run.clone()),
        });
    }
    let db_failed = r.databases.iter().any(|d| d.status == StepStatus::Failed);
    let ms = end(
        events,
        Phase::Databases,
        t,
        if db_failed {
            PhaseStatus::Failed
        } else if r.databases.is_empty() {
            PhaseStatus::Skipped
        } else {
            PhaseStatus::Ok
        },
        format!("{} database(s)", r.databases.len()),
    );
    phases.push((Phase::Databases, ms));

    // 5. Files.
    let t = begin(events, Phase::Files);
    let parent = if input.sysroot.is_host() {
        previous_backup(repo, &host)
            .map(|(id, _)| ParentChoice::Explicit(id.to_hex()))
            .unwrap_or(ParentChoice::None)
    } else {
        ParentChoice::None
    };
    if let Err(e) = back_up_files(
        &plan,
        &pre.missing_paths,
        parent,
        &mut composer,
        events,
        &mut r,
    ) {
        composer.forget_temporary();
        end(events, Phase::Files, t, PhaseStatus::Failed, e.to_string());
        return Err(BackupError::Repository {
            during: "backing up the file components".into(),
            message: e.to_string(),
            staging: staging_note(true),
            staging_dir: staged_any.then(|| staging_run.clone()),
        });
    }
    let files_failed = r.components.iter().any(|c| c.status == StepStatus::Failed);
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
            "{} component(s), {} files, {} bytes",
            r.components
                .iter()
                .filter(|c| c.stored_with.is_none() && c.status != StepStatus::Skipped)
                .count(),
            r.components
                .iter()
                .filter(|c| c.stored_with.is_none())
                .map(|c| c.files)
                .sum::<u64>(),
            r.components
                .iter()
                .filter(|c| c.stored_with.is_none())
                .map(|c| c.bytes)
                .sum::<u64>()
        ),
    );
    phases.push((Phase::Files, ms));

    // 6. Manifest and snapshot.
    let t = begin(events, Phase::Snapshot);
    let roles_json = serde_json::to_vec_pretty(&roles).unwrap_or_default();
    let role_component = match composer.add_bytes(ROLE_MAPPINGS_PATH, &roles_json) {
        Ok(f) => ComponentRecord {
            component: Component::RoleMappings,
            procedure_step: "9 note".into(),
            paths: vec![ROLE_MAPPINGS_PATH.to_string()],
            excludes: Vec::new(),
            stored_with: None,
            status: role_step_status,
            files: 1,
            dirs: 0,
            bytes: f.size,
            duration_ms: 0,
            message: Some(format!(
                "{} application(s); the raw binding files are in dmgr_profile",
                roles.applications.len()
            )),
            warnings: roles.errors.clone(),
        },
        Err(e) => {
            composer.forget_temporary();
            return Err(BackupError::Repository {
                during: "storing the role mappings".into(),
                message: e.to_string(),
                staging: staging_note(true),
                staging_dir: staged_any.then(|| staging_run.clone()),
            });
        }
    };
    r.components.push(role_component);
    let mut manifest = r.manifest(d, input, &host, started_ns, roles, server_records);
    let status_tag = (manifest.status == Status::Incomplete).then(|| "incomplete".to_string());
    let mut tags = vec![
        "cnxbackup".to_string(),
        format!("set:{}", manifest.backup_set),
    ];
    tags.extend(opts.tags.iter().cloned());
    tags.extend(status_tag);
    manifest.finished_ns = vault::now_unix_ns();
    let saved = composer
        .add_bytes(MANIFEST_PATH, &manifest.to_json())
        .and_then(|_| composer.finish(tags, manifest.summary().to_application(), started_ns));
    let (snapshot_id, _) = match saved {
        Ok(x) => x,
        Err(e) => {
            end(
                events,
                Phase::Snapshot,
                t,
                PhaseStatus::Failed,
                e.to_string(),
            );
            return Err(BackupError::Repository {
                during: "writing the snapshot".into(),
                message: e.to_string(),
                staging: staging_note(true),
                staging_dir: staged_any.then(|| staging_run.clone()),
            });
        }
    };
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

fn millis(t: Instant) -> u64 {
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

/// One database step each; images (or the streamed dump) go into the snapshot. `Err` only
/// when the repository failed.
fn back_up_databases(
    plan: &Plan,
    tool: Option<&dyn DatabaseTool>,
    cfg: &crate::databases::ToolConfig,
    staging: &Path,
    composer: &mut Composer<'_>,
    events: &mut dyn EventSink,
    r: &mut Recorder,
) -> Result<(), StoreError> {
    let Some(step) = plan
        .steps
        .iter()
        .find(|s| s.action == Action::BackupDatabases && s.runs)
    else {
        r.step_done(Action::BackupDatabases, StepStatus::Skipped, None, 0);
        return Ok(());
    };
    let Some(tool) = tool else {
        r.step_done(
            Action::BackupDatabases,
            StepStatus::Skipped,
            Some("no database tool".into()),
            0,
        );
        return Ok(());
    };
    let t = Instant::now();
    let total = step.databases.len();
    let streamed = tool.vendor() == Vendor::Command;
    if !streamed {
        if let Err(e) = prepare_staging(staging, cfg.run_as.as_deref()) {
            for db in &step.databases {
                r.fail_db(&db.name, format!("staging directory: {e}"));
            }
            r.step_done(
                Action::BackupDatabases,
                StepStatus::Failed,
                Some(e.to_string()),
                millis(t),
            );
            return Ok(());
        }
    }
    for (i, db) in step.databases.iter().enumerate() {
        let target = DatabaseTarget {
            name: db.name.clone(),
            host: db.host.clone(),
            port: db.port,
            schemas: db.schemas.clone(),
        };
        let outcome = if streamed {
            stream_database(tool, &target, composer)?
        } else {
            stage_database(tool, &target, staging, composer)?
        };
        let status = match outcome {
            Ok((image, stored)) => {
                for w in &image.warnings {
                    warn(events, Phase::Databases, format!("{}: {w}", db.name));
                }
                r.databases.push(DatabaseRecord {
                    database: db.name.clone(),
                    status: StepStatus::Ok,
                    image: Some(image),
                    stored_paths: stored,
                    error: None,
                });
                "ok"
            }
            Err(message) => {
                warn(events, Phase::Databases, message.clone());
                r.fail_db(&db.name, message);
                "failed"
            }
        };
        events.event(&Event::Progress {
            phase: Phase::Databases,
            item: db.name.clone(),
            done: i + 1,
            total,
            files: None,
            bytes: r
                .databases
                .last()
                .and_then(|d| d.image.as_ref())
                .map(|i| i.bytes),
            status: status.to_string(),
        });
    }
    let failed = r
        .databases
        .iter()
        .filter(|d| d.status == StepStatus::Failed)
        .count();
    r.step_done(
        Action::BackupDatabases,
        if failed == 0 {
            StepStatus::Ok
        } else {
            StepStatus::Failed
        },
        (failed > 0).then(|| format!("{failed} of {total} database backup(s) failed")),
        millis(t),
    );
    Ok(())
}

type DbOutcome = Result<(ImageRecord, Vec<String>), String>;

fn db_dir(name: &str) -> String {
    format!("{DATABASES_DIR}/{name}")
}

fn stage_database(
    tool: &dyn DatabaseTool,
    db: &DatabaseTarget,
    staging: &Path,
    composer: &mut Composer<'_>,
) -> Result<DbOutcome, StoreError> {
    let image = match tool.backup(db, BackupSink::Staging(staging)) {
        Ok(i) => i,
        Err(e) => return Ok(Err(e.to_string())),
    };
    let mut stored = Vec::new();
    for f in &image.files {
        let path = format!("{}/{}", db_dir(&db.name), f.name);
        let real = staging.join(&f.name);
        match composer.add_file(&path, &real) {
            Ok(s) if s.sha256 == f.sha256 => stored.push(path),
            Ok(s) => {
                return Ok(Err(format!(
                "{}: the staged image {} changed after the backup (SHA-256 {} recorded, {} stored)",
                db.name, f.name, f.sha256, s.sha256
            )))
            }
            Err(e) if e.is_repository_failure() => return Err(e),
            Err(e) => return Ok(Err(format!("{}: {e}", db.name))),
        }
    }
    Ok(Ok((image, stored)))
}

/// The `command` vendor: the dump's stdout goes through a pipe straight into the repository.
fn stream_database(
    tool: &dyn DatabaseTool,
    db: &DatabaseTarget,
    composer: &mut Composer<'_>,
) -> Result<DbOutcome, StoreError> {
    let (mut reader, writer) = match nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC) {
        Ok((r, w)) => (std::fs::File::from(r), std::fs::File::from(w)),
        Err(e) => return Ok(Err(format!("{}: cannot create a pipe: {e}", db.name))),
    };
    // The file name is the tool's; the image record names it once the dump is done.
    let tmp_name = format!("{}/{}.dump.partial", db_dir(&db.name), db.name);
    let (stored, result) = std::thread::scope(|s| {
        let store = s.spawn(|| composer.add_stream(&tmp_name, &mut reader, 0o600));
        let mut w = writer;
        let result = tool.backup(db, BackupSink::Stream(&mut w));
        drop(w);
        let stored = store.join().unwrap_or_else(|_| {
            Err(StoreError::BadPath {
                path: tmp_name.clone(),
                reason: "the storing thread panicked".into(),
            })
        });
        (stored, result)
    });
    let stored = match stored {
        Ok(s) => s,
        Err(e) if e.is_repository_failure() => return Err(e),
        Err(e) => return Ok(Err(format!("{}: {e}", db.name))),
    };
    let image = match result {
        Ok(i) => i,
        Err(e) => {
            let _ = composer.remove(&tmp_name);
            return Ok(Err(e.to_string()));
        }
    };
    let Some(file) = image.files.first() else {
        let _ = composer.remove(&tmp_name);
        return Ok(Err(format!(
            "{}: the dump command produced no record",
            db.name
        )));
    };
    if file.sha256 != stored.sha256 {
        let _ = composer.remove(&tmp_name);
        return Ok(Err(format!(
            "{}: the dump stored (SHA-256 {}) differs from the one the command wrote ({})",
            db.name, stored.sha256, file.sha256
        )));
    }
    // Rename: store under the tool's file name.
    let final_path = format!("{}/{}", db_dir(&db.name), file.name);
    composer.rename(&tmp_name, &final_path)?;
    Ok(Ok((image, vec![final_path])))
}

/// Backs up each running file component. `Err` only when the repository failed.
fn back_up_files(
    plan: &Plan,
    missing: &[String],
    parent: ParentChoice,
    composer: &mut Composer<'_>,
    events: &mut dyn EventSink,
    r: &mut Recorder,
) -> Result<(), StoreError> {
    let file_steps: Vec<&Step> = plan
        .steps
        .iter()
        .filter(|s| s.action == Action::BackupFiles)
        .collect();
    let running: Vec<&Step> = file_steps.iter().copied().filter(|s| s.runs).collect();
    let total = running.len();
    let mut done = 0;
    let mut contained = Vec::new();
    for step in &file_steps {
        let Some(component) = step.component else {
            continue;
        };
        let mut rec = ComponentRecord {
            component,
            procedure_step: step.procedure_step.clone(),
            paths: step.paths.clone(),
            excludes: step.excludes.clone(),
            stored_with: None,
            status: StepStatus::Skipped,
            files: 0,
            dirs: 0,
            bytes: 0,
            duration_ms: 0,
            message: step.skip_reason.clone(),
            warnings: Vec::new(),
        };
        if !step.runs {
            r.components.push(rec);
            continue;
        }
        done += 1;
        if let Some(owner) = container_of(step, &running) {
            rec.stored_with = Some(owner);
            contained.push(r.components.len());
            r.components.push(rec);
            continue;
        }
        let present: Vec<String> = step
            .paths
            .iter()
            .filter(|p| !missing.contains(p))
            .cloned()
            .collect();
        let t = Instant::now();
        if present.is_empty() {
            rec.status = StepStatus::Missing;
            rec.message = Some("none of its paths exists on this host".into());
        } else {
            match composer.backup_paths(&present, &step.excludes, parent.clone()) {
                Ok(o) => {
                    let s = &o.summary;
                    rec.files = s.files_new + s.files_changed + s.files_unchanged;
                    rec.dirs = s.dirs;
                    rec.bytes = s.bytes_total;
                    let lost = o
                        .warnings
                        .iter()
                        .filter(|w| {
                            matches!(w.kind, WarningKind::Unreadable | WarningKind::Vanished)
                        })
                        .count();
                    rec.status = if o.warnings.is_empty() {
                        StepStatus::Ok
                    } else {
                        StepStatus::Partial
                    };
                    rec.warnings = o
                        .warnings
                        .iter()
                        .take(WARNINGS_KEPT)
                        .map(|w| w.to_string())
                        .collect();
                    if !o.warnings.is_empty() {
                        let m = format!(
                            "{component}: {} file warning(s) ({lost} not stored), e.g. {}",
                            o.warnings.len(),
                            o.warnings[0]
                        );
                        warn(events, Phase::Files, m.clone());
                        r.warnings.push(m);
                    }
                    if present.len() < step.paths.len() {
                        rec.message = Some(format!(
                            "not on this host: {}",
                            step.paths
                                .iter()
                                .filter(|p| missing.contains(p))
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
                Err(e) if e.is_repository_failure() => return Err(e),
                Err(e) => {
                    rec.status = StepStatus::Failed;
                    rec.message = Some(e.to_string());
                    warn(events, Phase::Files, format!("{component}: {e}"));
                    r.failed.push(FailedStep {
                        procedure_step: step.procedure_step.clone(),
                        title: step.title.clone(),
                        component: Some(component),
                        database: None,
                        message: e.to_string(),
                    });
                }
            }
        }
        rec.duration_ms = millis(t);
        events.event(&Event::Progress {
            phase: Phase::Files,
            item: component.to_string(),
            done,
            total,
            files: Some(rec.files),
            bytes: Some(rec.bytes),
            status: serde_json::to_value(rec.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        });
        r.set_step_status(step.order, rec.status, rec.message.clone(), rec.duration_ms);
        r.components.push(rec);
    }
    // Components stored as part of another: count what the snapshot holds for them.
    for i in contained {
        let (paths, owner) = {
            let c = &r.components[i];
            (c.paths.clone(), c.stored_with)
        };
        let owner_status = owner
            .and_then(|o| r.components.iter().find(|c| c.component == o))
            .map(|c| c.status)
            .unwrap_or(StepStatus::Failed);
        let (mut files, mut dirs, mut bytes, mut found) = (0, 0, 0, 0);
        for p in &paths {
            if let Some((f, d, b)) = composer.usage(p)? {
                files += f;
                dirs += d;
                bytes += b;
                found += 1;
            }
        }
        let c = &mut r.components[i];
        c.files = files;
        c.dirs = dirs;
        c.bytes = bytes;
        c.status = match owner_status {
            StepStatus::Ok | StepStatus::Partial if found == paths.len() => owner_status,
            StepStatus::Ok | StepStatus::Partial => StepStatus::Missing,
            other => other,
        };
        c.message = Some(format!(
            "stored with {}",
            owner.map(|o| o.to_string()).unwrap_or_default()
        ));
        let (order, status, message) = (
            file_steps
                .iter()
                .find(|s| s.component == Some(c.component))
                .map(|s| s.order),
            c.status,
            c.message.clone(),
        );
        if let Some(order) = order {
            r.set_step_status(order, status, message, 0);
        }
    }
    Ok(())
}

/// The running component whose paths (minus its excludes) contain every path of `step`.
fn container_of(step: &Step, running: &[&Step]) -> Option<Component> {
    let inside = |inner: &str, outer: &str| Path::new(inner).starts_with(Path::new(outer));
    running
        .iter()
        .filter(|o| o.order != step.order)
        .find(|o| {
            step.paths.iter().all(|p| {
                o.paths
                    .iter()
                    .any(|op| inside(p, op) && (p != op || o.order < step.order))
                    && !o.excludes.iter().any(|x| inside(p, x))
            })
        })
        .and_then(|o| o.component)
}

/// What the run records for the manifest as it goes.
struct Recorder {
    steps: Vec<StepRecord>,
    components: Vec<ComponentRecord>,
    databases: Vec<DatabaseRecord>,
    failed: Vec<FailedStep>,
    warnings: Vec<String>,
    db_step: Option<(String, String)>,
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
        }
    }

    fn step_done(&mut self, action: Action, status: StepStatus, message: Option<String>, ms: u64) {
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

    fn set_step_status(
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

    fn fail_db(&mut self, name: &str, message: String) {
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
