//! `cnxbackup plan`: the ordered backup plan — documented steps, what each covers, sizes
//! on disk, and why skipped steps are skipped.

use std::fmt::Write as _;

use clap::Args;
use runbook::backup::{outage_estimate, OutageEstimate};
use runbook::plan::{Plan, PlanOptions, Usage};
use serde::Serialize;

use crate::commands::show::view::outage_parts;
use crate::context::Context;
use crate::ui::format::{bytes, duration_ms, short_id, time_ns};
use crate::ui::progress::spinner;
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Do not measure sizes on disk (faster on huge data directories)
    #[arg(long)]
    pub no_sizes: bool,

    /// Accepted for compatibility: steps 7 and 8, the Installation Manager's state, are
    /// in every plan by default [config: deployment.in_place_migration]
    #[arg(long)]
    pub in_place_migration: bool,

    /// Leave out the Installation Manager's data, install and IMShared (steps 7 and 8)
    /// [config: deployment.skip_installation_manager]
    #[arg(long, conflicts_with = "in_place_migration")]
    pub skip_installation_manager: bool,
}

/// Whether the Installation Manager's state is left out: a flag wins over the
/// configuration, and `--in-place-migration` (which asked for it when it was not the
/// default) keeps it in.
pub(crate) fn skip_installation_manager(
    in_place_migration: bool,
    skip_flag: bool,
    cfg: &crate::config::DeploymentConfig,
) -> bool {
    if skip_flag {
        return true;
    }
    !in_place_migration && cfg.skip_installation_manager
}

#[derive(Serialize)]
struct Report<'a> {
    cell: &'a str,
    connections_version: Option<String>,
    #[serde(flatten)]
    plan: &'a Plan,
    /// The outage the backup is expected to cause (the previous backup's window).
    outage_estimate: Option<&'a OutageEstimate>,
    /// Why there is no estimate, when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    outage_estimate_note: Option<String>,
    /// The declared components (`[[component]]`), in the order they run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    declared_components: Vec<DeclaredStep>,
}

/// A declared component as the plan shows it.
#[derive(Serialize)]
struct DeclaredStep {
    name: String,
    when: runbook::declared::When,
    output: runbook::declared::OutputKind,
    backup: String,
    restore: Option<String>,
    version: Option<String>,
    timeout_secs: u64,
}

/// The declared components, `running` ones first (they run before the stop).
fn declared_steps(ctx: &Context) -> Vec<DeclaredStep> {
    let mut all: Vec<&runbook::declared::Declared> = ctx.loaded.config.component.iter().collect();
    all.sort_by_key(|c| c.when != runbook::declared::When::Running);
    all.into_iter()
        .map(|c| DeclaredStep {
            name: c.name.clone(),
            when: c.when,
            output: c.output,
            backup: c.backup.shown(),
            restore: c.restore.as_ref().map(|r| r.shown()),
            version: c.version.as_ref().map(|v| v.shown()),
            timeout_secs: c.timeout().as_secs(),
        })
        .collect()
}

/// The declared components under the plan.
fn declared_text(steps: &[DeclaredStep]) -> String {
    let mut s = String::new();
    if steps.is_empty() {
        return s;
    }
    let _ = writeln!(s, "Declared components ([[component]]):");
    for d in steps {
        let when = match d.when {
            runbook::declared::When::Running => "before the stop, servers running",
            runbook::declared::When::Stopped => "servers stopped, before the databases",
        };
        let _ = writeln!(
            s,
            "  {} ({when}; {}, timeout {} s)",
            d.name, d.output, d.timeout_secs
        );
        let _ = writeln!(s, "    backup:  {}", d.backup);
        let _ = writeln!(
            s,
            "    restore: {}",
            d.restore.as_deref().unwrap_or("(none: restored by hand)")
        );
        if let Some(v) = &d.version {
            let _ = writeln!(s, "    version: {v}");
        }
    }
    s
}

/// The previous backup's window of this host, or why there is none. The repository is
/// only read when one is configured; failing to open it is a note, not an error (the plan
/// is still worth printing).
fn estimate(ctx: &Context) -> Result<OutageEstimate, String> {
    if ctx.repository_url().is_err() {
        return Err("no repository configured".into());
    }
    let repo = ctx
        .open_repository()
        .map_err(|e| format!("the repository could not be opened: {e:#}"))?;
    let host = vault::backup::BackupOptions::default().host;
    outage_estimate(&repo, &host)
        .ok_or_else(|| "no backup of this host in the repository has recorded one yet".into())
}

pub fn run(ctx: &Context, args: &PlanArgs) -> anyhow::Result<()> {
    let deployment = ctx.discover_deployment()?;
    let opts = PlanOptions {
        skip_installation_manager: skip_installation_manager(
            args.in_place_migration,
            args.skip_installation_manager,
            &ctx.loaded.config.deployment,
        ),
    };
    let mut plan = Plan::build(&deployment, &opts);
    let ui = ctx.ui();
    if !args.no_sizes {
        let spinner = spinner(&ui, "measuring the sizes on disk");
        plan.compute_sizes(&ctx.sysroot()?);
        spinner.finish_and_clear();
    }
    for w in &deployment.warnings {
        eprintln!("warning: {w}");
    }
    let version = deployment
        .connections
        .version
        .version()
        .map(|v| v.to_string());
    let estimate = estimate(ctx);
    let report = Report {
        cell: &deployment.was.cell,
        connections_version: version.clone(),
        plan: &plan,
        outage_estimate: estimate.as_ref().ok(),
        outage_estimate_note: estimate.as_ref().err().cloned(),
        declared_components: declared_steps(ctx),
    };
    let mut text = human(ui.stdout, &plan, &deployment.was.cell, version.as_deref());
    text.push_str(&declared_text(&report.declared_components));
    text.push_str(&estimate_line(&estimate));
    ctx.out.result(&text, &report)
}

/// `Expected outage: …` under the plan.
fn estimate_line(estimate: &Result<OutageEstimate, String>) -> String {
    match estimate {
        Ok(e) => format!(
            "Expected outage: about {} ({}), as in the previous backup of this host \
             (snapshot {}, {})\n",
            duration_ms(e.window.down_ms),
            outage_parts(&e.window),
            short_id(&e.snapshot),
            time_ns(e.time_ns)
        ),
        Err(why) => format!("Expected outage: no estimate ({why})\n"),
    }
}

fn size(u: &Usage) -> String {
    format!("{} on disk, {} files", bytes(u.disk_bytes), u.files)
}

/// The steps with their details, then a summary table (one row per step) and the total.
fn human(style: Style, plan: &Plan, cell: &str, version: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Backup plan for cell {cell}, Connections {}",
        version.unwrap_or("(version unknown)")
    );
    for step in &plan.steps {
        let component = step
            .component
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        let state = if step.runs { "" } else { " — SKIPPED" };
        let _ = writeln!(
            s,
            "{:>2}. step {:<6} {}{component}{state}",
            step.order, step.procedure_step, step.title
        );
        if let Some(reason) = &step.skip_reason {
            let _ = writeln!(s, "      why: {reason}");
        }
        // Long lists (one binding file per application) are shortened for people.
        const SHOWN: usize = 4;
        for p in step.paths.iter().take(SHOWN) {
            let _ = writeln!(s, "      path: {p}");
        }
        if step.paths.len() > SHOWN {
            let _ = writeln!(
                s,
                "      ... and {} more paths (see --json)",
                step.paths.len() - SHOWN
            );
        }
        for x in &step.excludes {
            let _ = writeln!(s, "      except: {x}");
        }
        for db in &step.databases {
            let _ = writeln!(
                s,
                "      database: {} {} on {}:{}{}",
                db.vendor,
                db.name,
                db.host.as_deref().unwrap_or("?"),
                db.port.map(|p| p.to_string()).unwrap_or_else(|| "?".into()),
                if db.schemas.is_empty() {
                    String::new()
                } else {
                    format!(" (schemas {})", db.schemas.join(", "))
                }
            );
        }
        if !step.servers.is_empty() {
            let names: Vec<String> = step
                .servers
                .iter()
                .map(|sv| format!("{}/{}", sv.node, sv.server))
                .collect();
            let _ = writeln!(s, "      servers: {}", names.join(", "));
        }
        if !step.applications.is_empty() {
            let _ = writeln!(s, "      applications: {}", step.applications.join(", "));
        }
        if let Some(u) = &step.size {
            let _ = writeln!(s, "      size: {}", size(u));
        }
        if let Some(note) = &step.note {
            let _ = writeln!(s, "      note: {note}");
        }
    }
    let _ = writeln!(s);
    s.push_str(&summary_table(style, plan));
    match &plan.total {
        Some(t) => {
            let _ = writeln!(s, "Total: {}", size(t));
        }
        None => {
            let _ = writeln!(s, "Sizes not measured (--no-sizes)");
        }
    }
    for p in &plan.size_problems {
        let _ = writeln!(s, "  ! could not measure {}: {}", p.path, p.message);
    }
    s
}

/// One row per step: what runs, what is skipped, and the sizes.
fn summary_table(style: Style, plan: &Plan) -> String {
    let mut t = Grid::new(
        style,
        &["#", "step", "what", "component", "status", "size", "files"],
    )
    .right(&[0, 5, 6]);
    for step in &plan.steps {
        let (size, files) = match &step.size {
            Some(u) => (bytes(u.disk_bytes), u.files.to_string()),
            None => ("-".to_string(), "-".to_string()),
        };
        t.row(vec![
            step.order.to_string().into(),
            step.procedure_step.as_str().into(),
            step.title.as_str().into(),
            step.component
                .map(|c| c.to_string())
                .unwrap_or_else(|| "-".into())
                .into(),
            t.status(if step.runs { "run" } else { "skipped" }),
            size.into(),
            files.into(),
        ]);
    }
    t.render(0)
}
