//! The backup procedure as a list of phases run by one [`Procedure`]: preflight, role
//! mappings, stop, then the outage (databases, files, `--restart`, snapshot), cleanup.

use super::capture::{capture, cleanup, servers_after, CaptureFailed, CaptureInput, Captured};
use super::checks::PreflightOutcome;
use super::checks::{backup_preflight, PreflightArgs};
use super::error::{DeploymentBackupError, ServersAfter};
use super::input::{BackupInput, OnStopFailure};
use super::outage::{restart_phase, stop_phase, Control, Stopped};
use super::recorder::Recorder;
use super::report::BackupReport;
use super::roles::roles_phase;
use crate::databases::DatabaseTool;
use crate::declared::When;
use crate::plan::{Action, Plan, PlanOptions};
use crate::procedure::{Duty, Ended, EventSink, Phase, PhaseRecord, Procedure, Scope};
use crate::servers::ControlTopology;

/// Runs the backup procedure; see the module documentation of [`super`].
pub fn run(
    input: BackupInput<'_>,
    events: &mut dyn EventSink,
) -> Result<BackupReport, DeploymentBackupError> {
    let started_ns = vault::now_unix_ns();
    let input = &input;
    let opts = &input.options;
    let plan = plan_of(input);
    let host = opts
        .host
        .clone()
        .unwrap_or_else(|| vault::backup::BackupOptions::default().host);
    let topology = ControlTopology::from_deployment(input.deployment, input.sysroot);
    let control = Control {
        topology: &topology,
        credentials: &input.credentials,
        options: &input.control,
    };
    let mut p = Procedure::new(events);

    let ready = p.phase(Phase::Preflight, |s| {
        preflight(input, &plan, &topology, &host, s)
    })?;
    if opts.dry_run {
        let phases = p.into_records();
        return Ok(report(plan, ready.outcome, None, phases, Vec::new()));
    }
    let mut rec = Recorder::new(&plan);
    super::absence::record(&plan, opts, ready.repo, &host, &mut rec);
    rec.warnings.extend(ready.outcome.warnings.iter().cloned());
    for w in &input.deployment.warnings {
        rec.warnings.push(format!("discovery: {w}"));
    }
    let staging = input.database.staging_dir.join(format!("run-{started_ns}"));
    let components_staging = super::declared::staging_of(&staging);
    // the phases of declared components and hooks are in the table only when configured
    let running = match input.declared.iter().any(|c| c.when == When::Running) {
        true => p.phase(Phase::Components, |s| {
            super::declared::run_components(input, When::Running, &components_staging, s)
        }),
        false => Vec::new(),
    };
    let roles = p.phase(Phase::RoleMappings, |s| {
        let earlier = opts.earlier_wsadmin_roles.as_ref();
        roles_phase(
            input.deployment,
            input.sysroot,
            control,
            earlier,
            &mut rec,
            s,
        )
    });
    if !opts.no_stop && input.hooks.before_stop.is_some() {
        if let Err(e) = p.phase(Phase::Hook, |s| {
            super::declared::before_stop(input, &host, &mut rec, s)
        }) {
            cleanup(&mut p, &staging);
            return Err(e);
        }
    }
    // With --restart, the servers are started again on every path out once the stop began.
    let duty = if opts.restart && !opts.no_stop {
        Duty::new(move |p: &mut Procedure<'_>| restart_phase(p, control))
    } else {
        Duty::none()
    };
    let mut c = CaptureInput {
        input,
        plan: &plan,
        host: &host,
        started_ns,
        repo: ready.repo,
        tool: ready.tool.as_deref(),
        missing_paths: &ready.outcome.missing_paths,
        staging,
        roles: &roles,
        databases: true,
    };
    let (outcome, restarted) = p.outage(duty, |p, duty| {
        let stopped = p.phase(Phase::Stop, |s| {
            stop_phase(control, opts.no_stop, &mut rec, s)
        });
        if let Stopped::Failed(failed) = stopped {
            if opts.on_stop_failure == OnStopFailure::Abort {
                return Err(Cut::Stop(failed));
            }
            p.scope(Phase::Stop).warn(
                "servers still running (--on-stop-failure files): the file components backed \
                 up may be inconsistent and the databases are left out",
            );
            c.databases = false;
        }
        capture(p, duty, &c, running, &mut rec).map_err(Cut::Capture)
    });
    let captured = outcome.map_err(|e| match e {
        Cut::Stop(failed) => DeploymentBackupError::StopFailed {
            failed,
            servers: match restarted.as_ref() {
                None => ServersAfter::PartlyStopped,
                r => servers_after(r),
            },
        },
        Cut::Capture(f) => DeploymentBackupError::Repository {
            during: f.during.to_string(),
            servers: servers_after(restarted.as_ref()),
            staging_dir: c.staging.exists().then(|| c.staging.clone()),
            source: Box::new(f.source),
        },
    })?;
    cleanup(&mut p, &c.staging);
    let restart_failed = restarted.map(|r| r.failed).unwrap_or_default();
    let phases = p.into_records();
    Ok(report(
        plan,
        ready.outcome,
        Some(captured),
        phases,
        restart_failed,
    ))
}

/// How the outage ended early.
enum Cut {
    /// The servers did not all stop (`--on-stop-failure abort`).
    Stop(Vec<String>),
    /// The repository step failed.
    Capture(CaptureFailed),
}

/// The plan of this run (`--skip-databases` skips the database step).
fn plan_of(input: &BackupInput<'_>) -> Plan {
    let opts = &input.options;
    let mut plan = Plan::build(
        input.deployment,
        &PlanOptions {
            skip_installation_manager: opts.skip_installation_manager,
        },
    );
    let shared_root = input.deployment.data.shared_root.as_str();
    for s in plan.steps.iter_mut().filter(|s| s.runs) {
        let reason = if opts.databases_only && s.action != Action::BackupDatabases {
            Some("a databases-only host of the backup set: the other hosts back up the rest".into())
        } else if opts.skip_databases && s.action == Action::BackupDatabases {
            Some("--skip-databases: left to another host of the backup set".into())
        } else if s.action == Action::BackupFiles && s.in_shared_data(shared_root) {
            opts.skip_shared_data.clone()
        } else if s.action == Action::BackupFiles && absent_here(s, input.sysroot) {
            opts.member_of_set.as_ref().map(|set| {
                format!(
                    "not on this host: left to the host of backup set {set} that holds it \
                     (check --set proves one does)"
                )
            })
        } else {
            None
        };
        if let Some(reason) = reason {
            s.runs = false;
            s.skip_reason = Some(reason);
        }
    }
    plan
}

/// Whether none of a file step's paths exists on this host.
fn absent_here(step: &crate::plan::Step, sysroot: &websphere::Sysroot) -> bool {
    !step.paths.is_empty()
        && step
            .paths
            .iter()
            .all(|p| !sysroot.exists(std::path::Path::new(p)))
}

/// What preflight hands on: its outcome, the database tool, the opened repository.
struct Ready<'a> {
    outcome: PreflightOutcome,
    tool: Option<Box<dyn DatabaseTool>>,
    repo: &'a vault::Repository,
}

/// The preflight phase: every check before anything is touched.
fn preflight<'a>(
    input: &BackupInput<'a>,
    plan: &Plan,
    topology: &ControlTopology,
    host: &str,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<Ready<'a>, DeploymentBackupError>> {
    let (outcome, tool) = backup_preflight(&PreflightArgs {
        sysroot: input.sysroot,
        plan,
        topology,
        credentials: &input.credentials,
        control: &input.control,
        database: &input.database,
        repository: input.repository,
        host,
        no_stop: input.options.no_stop,
        snapshot: input.snapshot.as_ref(),
    });
    let mut outcome = outcome;
    super::declared::preflight(input, &mut outcome);
    for w in &outcome.warnings {
        s.warn(w.clone());
    }
    // a repository that could not be opened is one of the problems
    match (input.repository, outcome.problems.is_empty()) {
        (Ok(repo), true) => Ended::ok(
            Ok(Ready {
                outcome,
                tool,
                repo,
            }),
            "ok",
        ),
        _ => {
            let message = format!("{} problem(s)", outcome.problems.len());
            Ended::failed(Err(refusal(outcome, input.options.no_stop)), message)
        }
    }
}

/// The error for a preflight that found problems.
fn refusal(outcome: PreflightOutcome, no_stop: bool) -> DeploymentBackupError {
    if no_stop
        && outcome
            .problems
            .iter()
            .all(|p| p.check == "servers_running")
    {
        return DeploymentBackupError::Refused {
            running: outcome.running,
        };
    }
    DeploymentBackupError::Preflight {
        problems: outcome.problems.clone(),
        kind: outcome.kind(),
        outcome: Box::new(outcome),
    }
}

fn report(
    plan: Plan,
    preflight: PreflightOutcome,
    captured: Option<Captured>,
    phase_table: Vec<PhaseRecord>,
    restart_failed: Vec<String>,
) -> BackupReport {
    let (manifest, snapshot) = match captured {
        Some(c) => (Some(c.manifest), Some(c.snapshot_id.to_hex())),
        None => (None, None),
    };
    BackupReport {
        outage: manifest.as_ref().and_then(|m| m.outage),
        dry_run: manifest.is_none(),
        plan,
        preflight,
        manifest,
        snapshot,
        phases: phase_table
            .iter()
            .map(|r| (r.phase, r.duration_ms))
            .collect(),
        phase_table,
        restart_failed,
    }
}
