//! The two ends of the outage: stopping every server (verified) and, with `--restart`,
//! starting them again. Both are phase functions of the backup; their per-server results
//! go into the manifest's `servers` (the stops and the starts).

use super::describe::snake_name;
use super::recorder::Recorder;
use crate::manifest::{ServerRecord, StepStatus};
use crate::plan::Action;
use crate::procedure::{Ended, Item, Phase, Procedure, Scope};
use crate::servers::{
    self, start_all, stop_all, verify_all_stopped, ControlOptions, ControlReport, ControlTopology,
    Outcome, ServerError, WasCredentials,
};

/// What the stop and start need.
#[derive(Clone, Copy)]
pub(crate) struct Control<'a> {
    pub(crate) topology: &'a ControlTopology,
    pub(crate) credentials: &'a WasCredentials,
    pub(crate) options: &'a ControlOptions,
}

/// How the stop phase ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// `--no-stop`: every server was found stopped and nothing was touched.
    NotTouched,
    /// Every server stopped, verified.
    All,
    /// Some servers could not be stopped (some others may have been): `server: why`.
    Failed(Vec<String>),
}

/// What `--restart` did.
#[derive(Debug, Clone, Default)]
pub(crate) struct Restarted {
    /// `server: why` for each server that did not come back.
    pub(crate) failed: Vec<String>,
    /// Every server's start, for the manifest.
    pub(crate) records: Vec<ServerRecord>,
}

/// The stop phase: stops every server, verifies, records each in `rec`.
pub(crate) fn stop_phase(
    c: Control<'_>,
    no_stop: bool,
    rec: &mut Recorder,
    s: &mut Scope<'_, '_>,
) -> Ended<Stopped> {
    if no_stop {
        rec.step_done(
            Action::StopServers,
            StepStatus::Skipped,
            Some("--no-stop".into()),
            0,
        );
        return Ended::skipped(
            Stopped::NotTouched,
            "--no-stop: every server was found stopped",
        );
    }
    let started = std::time::Instant::now();
    let result = stop_servers(c, rec, s);
    let ms = crate::clock::millis(started);
    match result {
        Ok(stopped) => {
            let message = format!("{stopped} server(s) stopped, every JVM verified stopped");
            rec.step_done(Action::StopServers, StepStatus::Ok, None, ms);
            Ended::ok(Stopped::All, message)
        }
        Err(failed) => {
            let message = format!("servers did not stop: {}", failed.join("; "));
            rec.fail_step(Action::StopServers, &message);
            rec.step_done(
                Action::StopServers,
                StepStatus::Failed,
                Some(message.clone()),
                ms,
            );
            Ended::failed(Stopped::Failed(failed), message)
        }
    }
}

/// Stops every server and verifies: how many stopped, or `server: why` for each that did
/// not.
fn stop_servers(
    c: Control<'_>,
    rec: &mut Recorder,
    s: &mut Scope<'_, '_>,
) -> Result<usize, Vec<String>> {
    let total = c.topology.servers().count();
    let result = stop_all(c.topology, c.credentials, c.options);
    let rep = match &result {
        Ok(rep) => rep,
        Err(ServerError::WrongCredentials { report, .. }) => report.as_ref(),
    };
    records_of(rep, "stop", &mut rec.servers);
    for (i, server) in rep.servers.iter().enumerate() {
        s.progress(Item::new(
            &server.server,
            i + 1,
            total,
            outcome_name(&server.outcome),
        ));
        if let Outcome::Killed { signal, pid } = &server.outcome {
            s.warn(format!(
                "{} did not stop and was killed with {signal} (pid {pid}; websphere.force_kill)",
                server.server
            ));
        }
    }
    if let Err(e) = &result {
        return Err(vec![e.to_string()]);
    }
    let mut problems = failures(rep);
    for still in verify_all_stopped(c.topology) {
        if !problems
            .iter()
            .any(|p| p.starts_with(&format!("{}:", still.server)))
        {
            problems.push(format!(
                "{}: still running (pid {})",
                still.server, still.pid
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(rep
        .servers
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Stopped | Outcome::Killed { .. }))
        .count())
}

/// The restart phase: starts every server and verifies each runs.
pub(crate) fn restart_phase(p: &mut Procedure<'_>, c: Control<'_>) -> Restarted {
    p.phase(Phase::Restart, |_| {
        let mut r = Restarted::default();
        match start_all(c.topology, c.credentials, c.options) {
            Ok(rep) => {
                records_of(&rep, "start", &mut r.records);
                r.failed = failures(&rep);
                let not_running = not_running(c.topology, &r.failed);
                r.failed.extend(not_running);
            }
            Err(e) => {
                let ServerError::WrongCredentials { report, .. } = &e;
                records_of(report, "start", &mut r.records);
                r.failed.push(e.to_string());
            }
        }
        if r.failed.is_empty() {
            Ended::ok(r, "every server started and verified")
        } else {
            let message = r.failed.join("; ");
            Ended::failed(r, message)
        }
    })
}

/// Managed servers not running after the start that no failure names already.
fn not_running(topology: &ControlTopology, failed: &[String]) -> Vec<String> {
    topology
        .servers()
        .filter(|(_, s)| s.kind.is_managed())
        .filter(|(p, s)| servers::server_state(p, s).running_pid().is_none())
        .filter(|(_, s)| {
            !failed
                .iter()
                .any(|x| x.starts_with(&format!("{}:", s.name)))
        })
        .map(|(_, s)| format!("{}: not running after start", s.name))
        .collect()
}

/// `server: why` for every server that failed.
fn failures(rep: &ControlReport) -> Vec<String> {
    rep.failed()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.server,
                outcome_detail(&s.outcome).unwrap_or_default()
            )
        })
        .collect()
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
            kind: snake_name(s.kind),
            result: outcome_name(&s.outcome).to_string(),
            detail: outcome_detail(&s.outcome),
            attempts: s.attempts,
            duration_ms: s.duration_ms,
        });
    }
}
