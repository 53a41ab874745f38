//! `cnxbackup backup` without `--path`: the deployment's backup procedure.
//!
//! Discovers the deployment, opens the repository, and hands both to
//! `runbook::backup::run`, printing one line per phase on stderr, or with `--json` one JSON
//! document per event on stdout (JSON lines; the last one is `{"event":"result",...}`).
//! Exit codes: 0 complete; 1 incomplete (snapshot written, marked INCOMPLETE) or the
//! repository failed; 2 configuration problems found by preflight; 3 safety refusals
//! (`--no-stop` with servers running, not enough staging space).

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::anyhow;
use runbook::backup::{
    self, BackupInput, BackupReport, DeploymentBackupOptions, OnStopFailure, Phase,
    RepositoryUnavailable,
};
use runbook::manifest::{OutageEnd, OutageWindow, Status, StepStatus};
use serde::Serialize;
use vault::{Repository, Storage};

use super::args::BackupArgs;
use super::notify::RunFacts;
use super::set_member;
use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::format::{bytes, json_word, short_id};
use crate::ui::{Grid, PhasePrinter, ProgressDisplay, Style};

/// The repository, or why it cannot be opened: the procedure reports that in its preflight
/// (with every other problem) rather than failing before it.
fn open_repository(ctx: &Context) -> anyhow::Result<Result<Repository, RepositoryUnavailable>> {
    let url = ctx.repository_url()?.to_string();
    let password = ctx.repository_password()?;
    let opts = ctx.storage_options()?;
    Ok(Storage::from_url(&url, &opts)
        .and_then(|s| Repository::open(s, password.expose()))
        .map_err(|source| RepositoryUnavailable { url, source }))
}

#[derive(Serialize)]
struct ResultLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    report: &'a BackupReport,
    complete: bool,
}

/// Runs the procedure; what monitoring reports goes into `facts`.
pub fn run(ctx: &Context, args: &BackupArgs, facts: &mut RunFacts) -> anyhow::Result<()> {
    let procedure = &args.procedure;
    if let Some(set) = &procedure.set {
        if !backup::valid_backup_set_id(set) {
            return Err(CommandError::Usage(format!(
                "--set {set:?}: use 1-64 letters, digits, '.', '_' or '-'"
            ))
            .into());
        }
    }
    let sys = ctx.sysroot()?;
    let repository = open_repository(ctx)?;
    let host = args.host.clone().unwrap_or_else(|| ctx.this_host());
    // a planned set says what this host leaves to the others
    let member = match (&procedure.set, &repository) {
        (Some(set), Ok(repo)) => Some(set_member::membership(repo, set, &host)?),
        _ => None,
    };
    let plan = member.as_ref().and_then(|m| m.plan.as_ref());
    let deployment = if procedure.databases_only {
        let Some(plan) = plan else {
            return Err(CommandError::Usage(format!(
                "--databases-only needs the set planned in the repository first (cnxbackup \
                 set plan {} … on the deployment manager's host){}",
                procedure.set.as_deref().unwrap_or_default(),
                repository
                    .as_ref()
                    .err()
                    .map(|e| format!("; and the repository: {e:#}"))
                    .unwrap_or_default()
            ))
            .into());
        };
        set_member::databases_only_deployment(plan)?
    } else if let Some(plan) = plan.filter(|p| set_member::is_web_host(p, &host)) {
        set_member::web_host_deployment(plan, &sys)
    } else {
        ctx.discover_deployment()?
    };
    let credentials = ctx.was_credentials()?;
    let ui = ctx.ui();
    let display = ProgressDisplay::new(&ui, "files", "files");
    let input = BackupInput {
        sysroot: &sys,
        deployment: &deployment,
        options: DeploymentBackupOptions {
            dry_run: procedure.dry_run,
            // a databases-only host has no server to stop
            no_stop: procedure.no_stop || procedure.databases_only,
            restart: procedure.restart,
            on_stop_failure: match procedure.on_stop_failure.as_deref() {
                Some("files") => OnStopFailure::Files,
                _ => OnStopFailure::Abort,
            },
            in_place_migration: procedure.in_place_migration
                || ctx.loaded.config.deployment.in_place_migration,
            skip_installation_manager: crate::commands::plan::skip_installation_manager(
                procedure.in_place_migration,
                procedure.skip_installation_manager,
                &ctx.loaded.config.deployment,
            ),
            skip_databases: procedure.skip_databases
                || member.as_ref().is_some_and(|m| m.skip_databases),
            skip_shared_data: member.as_ref().and_then(|m| m.skip_shared_data.clone()),
            databases_only: procedure.databases_only,
            member_of_set: plan.map(|p| p.set.clone()),
            earlier_wsadmin_roles: member
                .as_ref()
                .and_then(|m| m.earlier_wsadmin_roles.clone()),
            backup_set: procedure.set.clone(),
            tags: args.tags.clone(),
            host: Some(host),
            progress: display.counters(),
        },
        credentials,
        control: ctx.control_options(),
        database: {
            let mut db = ctx.database_tool_config(&sys)?;
            // the flag wins over database.parallel (file or environment)
            if let Some(n) = procedure.parallel_databases {
                db.parallel = Some(usize::from(n));
            }
            db
        },
        snapshot: ctx.snapshot_config(),
        repository: repository.as_ref(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
        declared: ctx.loaded.config.component.clone(),
        hooks: ctx.loaded.config.hooks.clone(),
    };
    let mut printer = PhasePrinter {
        json_lines: ctx.out.json,
        silent: false,
        item_lines: false,
        style: ui.stderr,
        display: Some(display),
        bar_phase: Phase::Files,
    };
    let result = backup::run(input, &mut printer);
    printer.finish();
    // a refusal or a preflight problem: its exit code comes from the error (exit.rs)
    let report = result?;
    *facts = run_facts(&report);
    let complete = report.complete();
    if ctx.out.json {
        let line = ResultLine {
            event: "result",
            report: &report,
            complete,
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::to_string(&line)?)?;
        out.flush()?;
    } else {
        print!("{}", human(ui.stdout, &report));
    }
    if !complete {
        // Each failure was reported once, as it happened: here only what is missing.
        let failed = report
            .manifest
            .as_ref()
            .map(failed_subjects)
            .unwrap_or_default();
        return Err(anyhow!(
            "backup INCOMPLETE: snapshot {} was written without: {failed}",
            report.snapshot.as_deref().map(short_id).unwrap_or("-")
        ));
    }
    if !report.restart_failed.is_empty() {
        return Err(anyhow!(
            "the backup is complete, but --restart failed: {}",
            report.restart_failed.join("; ")
        ));
    }
    Ok(())
}

/// What an incomplete backup lacks, by name (`databases FILES, BLOGS; connections_root`):
/// the errors themselves were printed once, when they happened.
fn failed_subjects(m: &runbook::manifest::Manifest) -> String {
    let mut databases = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for f in &m.failed_steps {
        match (&f.database, f.component, &f.declared) {
            (Some(db), _, _) => databases.push(db.as_str()),
            (None, Some(c), _) => others.push(c.to_string()),
            (None, None, Some(d)) => others.push(format!("declared component {d}")),
            (None, None, None) => others.push(format!("step {} ({})", f.procedure_step, f.title)),
        }
    }
    if !databases.is_empty() {
        others.insert(0, format!("databases {}", databases.join(", ")));
    }
    others.dedup();
    format!("{} (the errors are above)", others.join("; "))
}

/// The error column of a failed database: its first line (the whole message was printed
/// when it happened).
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// What monitoring reports of a finished procedure: the snapshot, its components' status
/// and, when `--restart` brought the servers back, how long they were down.
fn run_facts(report: &BackupReport) -> RunFacts {
    let Some(m) = &report.manifest else {
        return RunFacts::default();
    };
    let snapshot = report
        .snapshot
        .clone()
        .map(|id| runbook::monitor::SnapshotFacts {
            id,
            complete: report.complete(),
            // the procedure's report does not add up the stored bytes of its components
            bytes_added: None,
            components: m
                .components
                .iter()
                .map(|c| (c.component.to_string(), json_word(&c.status)))
                .collect(),
        });
    RunFacts {
        host: Some(m.host.clone()),
        snapshot,
        outage: outage(report.outage.as_ref()),
    }
}

/// The servers' outage as the report measured it (`BackupReport.outage`, the manifest's
/// window): from the first server stopped to the last one verified running again. Only
/// when `--restart` brought them back: otherwise the outage has not ended.
fn outage(window: Option<&OutageWindow>) -> Option<std::time::Duration> {
    window
        .filter(|w| w.end == OutageEnd::Restarted)
        .map(|w| std::time::Duration::from_millis(w.down_ms))
}

/// The closing summary: the snapshot and its status, a table of the components and one of
/// the databases, then the phase timings. A dry run lists the plan's steps instead.
fn human(style: Style, r: &BackupReport) -> String {
    let mut s = String::new();
    if r.dry_run {
        let _ = writeln!(
            s,
            "dry run: preflight passed; nothing was stopped or written"
        );
        // What preflight proved, so the administrator sees the estimates and their basis.
        for p in &r.preflight.passed {
            let _ = writeln!(s, "  {}: {}", p.check, p.detail);
        }
        let mut t = Grid::new(style, &["#", "step", "status", "what"]).right(&[0]);
        for step in &r.plan.steps {
            t.row(vec![
                step.order.to_string().into(),
                step.procedure_step.as_str().into(),
                t.status(if step.runs { "would run" } else { "skipped" }),
                step.title.as_str().into(),
            ]);
        }
        s.push_str(&t.render(0));
        return s;
    }
    let Some(m) = &r.manifest else { return s };
    let _ = writeln!(
        s,
        "snapshot {} ({}) set {} host {}",
        r.snapshot.as_deref().map(short_id).unwrap_or("-"),
        style.status(match m.status {
            Status::Complete => "complete",
            Status::Incomplete => "INCOMPLETE",
        }),
        m.backup_set,
        m.host
    );
    let _ = writeln!(
        s,
        "Connections {}",
        m.connections
            .version
            .as_deref()
            .unwrap_or("(version unknown)")
    );
    if let Some(sentence) = crate::commands::show::view::outage_sentence(m) {
        let _ = writeln!(s, "{sentence}");
    }
    let mut t = Grid::new(
        style,
        &["component", "status", "files", "size", "seconds", "note"],
    )
    .right(&[2, 3, 4]);
    for c in &m.components {
        let status = match c.status {
            StepStatus::Ok => "ok",
            StepStatus::Partial => "partial",
            StepStatus::Failed => "FAILED",
            StepStatus::Skipped => "skipped",
            StepStatus::Missing => "missing",
        };
        t.row(vec![
            c.component.to_string().into(),
            t.status(status),
            c.files.to_string().into(),
            bytes(c.bytes).into(),
            format!("{:.1}", c.duration_ms as f64 / 1000.0).into(),
            c.message.as_deref().unwrap_or("").into(),
        ]);
    }
    s.push_str(&t.render(2));
    if !m.databases.is_empty() {
        let mut t = Grid::new(style, &["database", "status", "taken at / error"]);
        for d in &m.databases {
            t.row(vec![
                d.database.as_str().into(),
                t.status(if d.status == StepStatus::Ok {
                    "ok"
                } else {
                    "FAILED"
                }),
                d.image
                    .as_ref()
                    .and_then(|i| i.vendor_timestamp.as_deref())
                    .or(d.error.as_deref().map(first_line))
                    .unwrap_or("")
                    .into(),
            ]);
        }
        s.push_str(&t.render(2));
    }
    let timings: Vec<String> = r
        .phases
        .iter()
        .map(|(p, ms)| format!("{}={:.1}s", json_word(p), *ms as f64 / 1000.0))
        .collect();
    let _ = writeln!(s, "phases: {}", timings.join(" "));
    s
}
