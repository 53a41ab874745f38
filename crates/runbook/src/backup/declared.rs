//! The declared components (`[[component]]`) and hooks (`[hooks]`) in the backup
//! procedure ([`crate::declared`]):
//!
//! - preflight checks every component's commands and secret files ([`preflight`]): a
//!   `stopped` component that cannot run is found before any server stops;
//! - the `running` components run while the servers still run ([`run_components`]), then the
//!   `before_stop` hook ([`before_stop`]); a failing hook ends the run with nothing stopped;
//! - the `stopped` components run in the outage, before the databases ([`stopped_phase`]);
//! - each component's staging directory is a pending source of the one pipeline run, stored
//!   as `/.cnxbackup/components/<NAME>/` ([`DeclaredStart`]); the pipeline's reports decide
//!   its record ([`record`]): a failed or unstored component makes the snapshot INCOMPLETE,
//!   naming it;
//! - `after_start` runs once `--restart` started the servers ([`after_start`]).

use std::path::{Path, PathBuf};

use vault::backup::{BackupSource, PendingSender, SourceReport};

use super::checks::PreflightOutcome;
use super::error::DeploymentBackupError;
use super::input::BackupInput;
use super::recorder::Recorder;
use crate::declared::{self, run_hook, HookFacts, HookKind, StagedComponent, When};
use crate::manifest::{declared_dir, StepStatus, DECLARED_STREAM, DECLARED_TRANSCRIPT};
use crate::preflight::Problem;
use crate::procedure::{Ended, Item, PhaseStatus, Scope};

/// The preflight check of every declared component's commands and secret files, and of
/// the hooks' programs.
pub(crate) fn preflight(input: &BackupInput<'_>, out: &mut PreflightOutcome) {
    for c in &input.declared {
        for message in declared::preflight(c) {
            out.problems.push(Problem {
                check: "declared_component",
                message,
            });
        }
    }
    for (name, cmd) in [
        ("before_stop", &input.hooks.before_stop),
        ("after_start", &input.hooks.after_start),
        ("on_failure", &input.hooks.on_failure),
    ] {
        let program = cmd
            .as_ref()
            .and_then(|c| c.words(name).ok())
            .and_then(|w| w.into_iter().next());
        if let Some(p) = program.filter(|p| crate::process::which(p).is_none()) {
            out.problems.push(Problem {
                check: "hooks",
                message: format!("hooks.{name}: {p} is not found or not executable"),
            });
        }
    }
}

/// Where the components are staged in this run's staging directory.
pub(crate) fn staging_of(run_staging: &Path) -> PathBuf {
    run_staging.join("components")
}

/// Runs the components declared for `when`, one after the other, into the staging
/// directory; failures are recorded when the pipeline's reports come ([`record`]).
pub(crate) fn run_components(
    input: &BackupInput<'_>,
    when: When,
    staging: &Path,
    s: &mut Scope<'_, '_>,
) -> Ended<Vec<StagedComponent>> {
    let chosen: Vec<_> = input.declared.iter().filter(|c| c.when == when).collect();
    if chosen.is_empty() {
        return Ended::skipped(
            Vec::new(),
            format!("no component declared for when = \"{when}\""),
        );
    }
    let mut staged = Vec::new();
    for (i, c) in chosen.iter().enumerate() {
        let done = declared::back_up(c, staging);
        let status = match done.record.status {
            StepStatus::Ok => "ok",
            _ => "failed",
        };
        if let Some(e) = &done.record.error {
            s.warn(e.clone());
        }
        s.progress(Item {
            bytes: Some(done.record.bytes),
            ..Item::new(&c.name, i + 1, chosen.len(), status)
        });
        staged.push(done);
    }
    let failed = staged
        .iter()
        .filter(|x| x.record.status != StepStatus::Ok)
        .count();
    let message = format!("{} component(s), {failed} failed", staged.len());
    let status = if failed > 0 {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    Ended::with(staged, status, message)
}

/// The `before_stop` hook: a failure ends the run before any server stops.
pub(crate) fn before_stop(
    input: &BackupInput<'_>,
    host: &str,
    rec: &mut Recorder,
    s: &mut Scope<'_, '_>,
) -> Ended<Result<(), DeploymentBackupError>> {
    let facts = HookFacts {
        host: host.to_string(),
        phase: "stop".into(),
        backup_set: input.options.backup_set.clone(),
        status: "running".into(),
        ..HookFacts::default()
    };
    let Some(ran) = run_hook(HookKind::BeforeStop, &input.hooks, &facts) else {
        return Ended::skipped(Ok(()), "no before_stop hook");
    };
    rec.hooks.push(ran.record);
    match ran.error {
        None => Ended::ok(Ok(()), "before_stop hook ran"),
        Some(source) => {
            let message = source.to_string();
            s.warn(message.clone());
            Ended::failed(
                Err(DeploymentBackupError::Hook {
                    hook: HookKind::BeforeStop.name(),
                    source,
                }),
                message,
            )
        }
    }
}

/// The `after_start` hook, once `--restart` started the servers; recorded, never the
/// backup's failure (the data is taken): a failure is a warning.
pub(crate) fn after_start(input: &BackupInput<'_>, host: &str, rec: &mut Recorder) {
    let facts = HookFacts {
        host: host.to_string(),
        phase: "restart".into(),
        backup_set: input.options.backup_set.clone(),
        status: "running".into(),
        ..HookFacts::default()
    };
    if let Some(ran) = run_hook(HookKind::AfterStart, &input.hooks, &facts) {
        if let Some(e) = ran.error {
            rec.warnings.push(e.to_string());
        }
        rec.hooks.push(ran.record);
    }
}

/// The components' sources for the pipeline, from its start: those already staged are
/// ready, the `stopped` ones are handed over when they ran.
pub(crate) struct DeclaredStart {
    /// For the pipeline.
    pub(crate) sources: Vec<BackupSource>,
    /// The `stopped` components' senders, by name.
    pub(crate) pending: Vec<(String, PendingSender)>,
}

/// The sources of every declared component.
pub(crate) fn start(input: &BackupInput<'_>, running: &[StagedComponent]) -> DeclaredStart {
    let mut sources = Vec::new();
    let mut pending = Vec::new();
    for c in &input.declared {
        let (source, sender) = BackupSource::pending(declared_dir(&c.name));
        sources.push(source);
        match running.iter().find(|s| s.record.name == c.name) {
            Some(staged) => hand_over(staged, sender),
            None => pending.push((c.name.clone(), sender)),
        }
    }
    DeclaredStart { sources, pending }
}

/// Tells the pipeline where a staged component is (a failed one: its transcript alone).
pub(crate) fn hand_over(staged: &StagedComponent, sender: PendingSender) {
    match &staged.dir {
        Some(dir) => sender.ready(dir),
        None => sender.nothing(),
    }
}

/// The `stopped` components, run in the outage and handed to the pipeline.
pub(crate) fn stopped_phase(
    input: &BackupInput<'_>,
    pending: Vec<(String, PendingSender)>,
    staging: &Path,
    s: &mut Scope<'_, '_>,
) -> Ended<Vec<StagedComponent>> {
    let ended = run_components(input, When::Stopped, staging, s);
    for (name, sender) in pending {
        match ended.value().iter().find(|x| x.record.name == name) {
            Some(staged) => hand_over(staged, sender),
            None => sender.nothing(),
        }
    }
    ended
}

/// Every component's record from the pipeline's reports: stored, its stream's hash as
/// recorded, its transcript named; anything else fails it (the snapshot is INCOMPLETE).
pub(crate) fn record(staged: Vec<StagedComponent>, reports: &[SourceReport], rec: &mut Recorder) {
    for s in staged {
        let mut r = s.record;
        let report = reports
            .iter()
            .find(|x| x.stored_as == Path::new(&r.stored_as) && x.stored);
        if let Some(report) = report {
            if report
                .file_sha256
                .contains_key(Path::new(DECLARED_TRANSCRIPT))
            {
                r.log = Some(format!("{}/{DECLARED_TRANSCRIPT}", r.stored_as));
            }
        }
        if r.status == StepStatus::Ok {
            let stored_sha = report.and_then(|x| x.file_sha256.get(Path::new(DECLARED_STREAM)));
            let problem = match (report, &r.sha256) {
                (None, _) => Some(format!(
                    "component {:?}: not stored in the snapshot",
                    r.name
                )),
                (Some(_), Some(sha)) if stored_sha != Some(sha) => Some(format!(
                    "component {:?}: the stored stdout has SHA-256 {}, the command wrote {sha}",
                    r.name,
                    stored_sha.map(String::as_str).unwrap_or("-")
                )),
                _ => None,
            };
            if let Some(p) = problem {
                r.status = StepStatus::Failed;
                r.error = Some(p);
            }
        }
        if r.status != StepStatus::Ok {
            let message = r.error.clone().unwrap_or_else(|| "failed".into());
            rec.fail_declared(&r.name, &message);
        }
        rec.declared.push(r);
    }
}
