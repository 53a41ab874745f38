//! `cnxbackup backup` without `--path`: the deployment's backup procedure (issue 7).
//!
//! Discovers the deployment, opens the repository, and hands both to
//! `runbook::backup::run`, printing one line per phase on stderr, or with `--json` one JSON
//! document per event on stdout (JSON lines; the last one is `{"event":"result",...}`).
//! Exit codes: 0 complete; 1 incomplete (snapshot written, marked INCOMPLETE) or the
//! repository failed; 2 configuration problems found by preflight; 3 safety refusals
//! (`--no-stop` with servers running, not enough staging space).

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use anyhow::anyhow;
use runbook::backup::{
    self, BackupError, BackupInput, BackupOptions, BackupReport, Event, EventSink, Phase,
    PhaseStatus, ProblemKind,
};
use runbook::manifest::{Status, StepStatus};
use runbook::servers::{ControlOptions, WasCredentials};
use serde::Serialize;
use vault::{Repository, Storage};

use super::discover::{discover_deployment, sysroot};
use super::repo_commands::BackupArgs;
use super::Context;
use crate::exit::{with_exit, Exit};
use crate::ui::{Grid, ProgressDisplay, Style, Ui};

/// Test hook: the pause between stop attempts in milliseconds (default 10 s). Tests set it
/// low so a server that refuses to stop does not take half a minute.
const RETRY_PAUSE_ENV: &str = "CNXBACKUP_TEST_RETRY_PAUSE_MS";

/// Prints events: one line per phase on stderr, or JSON lines on stdout. While the files
/// phase runs, a progress bar (when the terminal allows one) sits below the phase lines.
struct Printer {
    json: bool,
    style: Style,
    display: Option<ProgressDisplay>,
}

impl Printer {
    fn line(&self, line: &str) {
        match &self.display {
            Some(d) => d.eprintln(line),
            None => eprintln!("{line}"),
        }
    }
}

impl EventSink for Printer {
    fn event(&mut self, e: &Event) {
        if self.json {
            if let Ok(line) = serde_json::to_string(e) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            return;
        }
        match e {
            Event::PhaseStart { .. } | Event::Progress { .. } => {}
            Event::PhaseEnd {
                phase,
                status,
                duration_ms,
                message,
            } => {
                if *phase == Phase::Files {
                    // the data is stored: the bar has done its job
                    if let Some(d) = self.display.take() {
                        d.finish();
                    }
                }
                let word = match status {
                    PhaseStatus::Ok => "ok",
                    PhaseStatus::Failed => "FAILED",
                    PhaseStatus::Skipped => "skipped",
                };
                self.line(&phase_line(
                    self.style,
                    phase.title(),
                    word,
                    *duration_ms,
                    message,
                ));
            }
            Event::Warning { message, .. } => {
                self.line(&format!("  {}: {message}", self.style.status("warning")));
            }
        }
    }
}

/// `title  status  seconds  message`, the status padded before it is coloured so the
/// columns stay aligned with colour on.
fn phase_line(style: Style, title: &str, word: &str, duration_ms: u64, message: &str) -> String {
    let padded = format!("{word:<7}");
    format!(
        "{title:<44} {} {:>7.1} s  {message}",
        style.paint(&padded, crate::ui::style::tone_of(word)),
        duration_ms as f64 / 1000.0
    )
}

fn open_repository(ctx: &Context) -> anyhow::Result<Result<Repository, String>> {
    let url = ctx.repository_url()?.to_string();
    let password = ctx.repository_password()?;
    let opts = ctx.storage_options()?;
    Ok(Storage::from_url(&url, &opts)
        .and_then(|s| Repository::open(s, password.expose()))
        .map_err(|e| format!("repository {url}: {e}")))
}

#[derive(Serialize)]
struct ResultLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    report: &'a BackupReport,
    complete: bool,
}

/// Runs the procedure.
pub fn run(ctx: &Context, args: &BackupArgs) -> anyhow::Result<()> {
    if let Some(set) = &args.set {
        if !backup::valid_backup_set_id(set) {
            return Err(with_exit(
                anyhow!("--set {set:?}: use 1-64 letters, digits, '.', '_' or '-'"),
                Exit::Usage,
            ));
        }
    }
    let sys = sysroot(ctx)?;
    let deployment = discover_deployment(ctx)?;
    let repository = open_repository(ctx)?;
    let cfg = &ctx.loaded.config;
    let was_password = ctx.websphere_password()?;
    let credentials = match &cfg.websphere.username {
        Some(user) => WasCredentials {
            username: Some(user.clone()),
            password: was_password.map(|p| websphere::Secret::new(p.expose())),
        },
        None => WasCredentials::none(),
    };
    let mut control =
        ControlOptions::new(cfg.websphere.stop_timeout_secs, cfg.websphere.force_kill);
    if let Some(ms) = std::env::var(RETRY_PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        control.retry_pause = Duration::from_millis(ms);
        control.verify_wait = Duration::from_millis(ms.max(1000));
        control.kill_grace = Duration::from_millis(ms.max(1000));
    }
    let ui = Ui::of(ctx);
    let display = ProgressDisplay::new(&ui, "files", "files");
    let input = BackupInput {
        sysroot: &sys,
        deployment: &deployment,
        options: BackupOptions {
            dry_run: args.dry_run,
            no_stop: args.no_stop,
            restart: args.restart,
            in_place_migration: args.in_place_migration || cfg.deployment.in_place_migration,
            skip_databases: args.skip_databases,
            backup_set: args.set.clone(),
            tags: args.tags.clone(),
            host: args.host.clone(),
            progress: display.counters(),
        },
        credentials,
        control,
        database: ctx.database_tool_config(&sys)?,
        repository: repository.as_ref().map_err(Clone::clone),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let mut printer = Printer {
        json: ctx.out.json,
        style: ui.stderr,
        display: Some(display),
    };
    let result = backup::run(input, &mut printer);
    if let Some(d) = printer.display.take() {
        d.finish();
    }
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let exit = match &e {
                BackupError::Preflight { kind, .. } => match kind {
                    ProblemKind::Configuration => Exit::Usage,
                    ProblemKind::Safety => Exit::Refused,
                },
                BackupError::Refused { .. } => Exit::Refused,
                BackupError::Repository { .. } => Exit::Failed,
            };
            return Err(with_exit(anyhow::Error::new(e), exit));
        }
    };
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
        let failed = report
            .manifest
            .as_ref()
            .map(|m| m.summary().failed_steps.join("; "))
            .unwrap_or_default();
        return Err(with_exit(
            anyhow!(
                "backup INCOMPLETE: snapshot {} was written without: {failed}",
                report.snapshot.as_deref().map(short).unwrap_or("-")
            ),
            Exit::Failed,
        ));
    }
    if !report.restart_failed.is_empty() {
        return Err(with_exit(
            anyhow!(
                "the backup is complete, but --restart failed: {}",
                report.restart_failed.join("; ")
            ),
            Exit::Failed,
        ));
    }
    Ok(())
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
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
        r.snapshot.as_deref().map(short).unwrap_or("-"),
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
            super::plan::bytes(c.bytes).into(),
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
                    .or(d.error.as_deref())
                    .unwrap_or("")
                    .into(),
            ]);
        }
        s.push_str(&t.render(2));
    }
    let timings: Vec<String> = r
        .phases
        .iter()
        .map(|(p, ms)| format!("{}={:.1}s", phase_name(*p), *ms as f64 / 1000.0))
        .collect();
    let _ = writeln!(s, "phases: {}", timings.join(" "));
    s
}

fn phase_name(p: Phase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::style::strip_escapes;

    #[test]
    fn phase_lines_keep_their_columns_with_colour_on() {
        let plain = phase_line(
            Style::PLAIN,
            "stop the WebSphere servers",
            "ok",
            5230,
            "5 stopped",
        );
        assert_eq!(
            plain,
            format!(
                "{:<44} ok          5.2 s  5 stopped",
                "stop the WebSphere servers"
            )
        );
        let coloured = phase_line(
            Style::COLOURED,
            "stop the WebSphere servers",
            "ok",
            5230,
            "5 stopped",
        );
        assert!(coloured.contains("\x1b[32m"), "{coloured:?}");
        assert_eq!(strip_escapes(&coloured), plain);
        let failed = phase_line(Style::COLOURED, "back up the databases", "FAILED", 100, "x");
        assert!(failed.contains("\x1b[1;31mFAILED "), "{failed:?}");
        assert_eq!(
            strip_escapes(&failed).find(" 0.1 s"),
            plain.find(" 5.2 s"),
            "the seconds column moved"
        );
    }
}
