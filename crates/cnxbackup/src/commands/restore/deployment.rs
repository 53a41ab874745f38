//! `cnxbackup restore SNAPSHOT` for a deployment backup (a snapshot written by `cnxbackup
//! backup` without `--path`): the version-gated restore of issue 8.
//!
//! `restore` (the module above) hands every snapshot whose application document is a
//! `cnxbackup.backup` summary to [`run`]; any other snapshot keeps the plain path restore
//! (`paths.rs`), which must be given `--target` and none of the deployment flags.
//!
//! Exit codes: 0 restored (and verified, version confirmed); 1 a step failed (database
//! restore, a component, verification, version afterwards) or the snapshot is unreadable;
//! 2 `--only` names a component the snapshot does not hold; 3 refused (version gate,
//! servers running, incomplete snapshot without `--only`, an unsafe entry).

use std::io::Write as _;

use anyhow::anyhow;
use runbook::pick::Picked;
use runbook::plan::Component;
use runbook::procedure::Phase;
use runbook::restore::{
    self, DeploymentRestoreError, DeploymentRestoreOptions, RestoreInput, RestoreReport,
};
use vault::{Repository, Snapshot, SnapshotId};
use websphere::Sysroot;

use super::args::RestoreArgs;
use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::{PhasePrinter, ProgressDisplay};

/// `--only`: the built-in components, and the declared components (`[[component]]` of
/// the configuration) named apart.
fn parse_only(
    list: &[String],
    declared: &[runbook::declared::Declared],
) -> Result<(Vec<Component>, Vec<String>), CommandError> {
    let mut out = Vec::new();
    let mut named = Vec::new();
    for item in list.iter().flat_map(|s| s.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if declared.iter().any(|d| d.name == item) {
            if !named.iter().any(|n| n == item) {
                named.push(item.to_string());
            }
            continue;
        }
        let c: Component = item.parse().map_err(|e| {
            let more = match declared.is_empty() {
                true => String::new(),
                false => format!(
                    "; declared components: {}",
                    declared
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            CommandError::Usage(format!("--only: {e}{more}"))
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok((out, named))
}

/// The target root: `--target DIR` (created when missing) or the sysroot.
fn target_root(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<Sysroot> {
    match &args.target {
        Some(dir) => {
            if !args.dry_run {
                std::fs::create_dir_all(dir)
                    .map_err(|e| anyhow!("--target {}: {e}", dir.display()))?;
            }
            Ok(Sysroot::new(dir).map_err(|e| CommandError::Usage(format!("--target: {e}")))?)
        }
        None => ctx.sysroot(),
    }
}

/// Restores a deployment backup.
pub fn run(
    ctx: &Context,
    args: &RestoreArgs,
    repo: &Repository,
    id: &SnapshotId,
    snap: &Snapshot,
    picked: Picked,
) -> anyhow::Result<()> {
    let declared = ctx.loaded.config.component.clone();
    let only = parse_only(&args.only, &declared)?;
    let target = target_root(ctx, args)?;
    let host_sys = ctx.sysroot()?;
    let credentials = ctx.was_credentials()?;
    let ui = ctx.ui();
    // a dry run writes nothing: no bar
    let display = if args.dry_run {
        ProgressDisplay::hidden()
    } else {
        ProgressDisplay::new(&ui, "restore", "files")
    };
    let input = RestoreInput {
        repository: repo,
        snapshot: snap,
        snapshot_id: id.to_hex(),
        target: &target,
        discover: ctx.discover_options(),
        options: options(ctx, args, only, display.counters()),
        credentials,
        control: ctx.control_options(),
        // the database tools run on this machine (the sysroot), whatever the target
        database: ctx.database_tool_config(&host_sys)?,
        picked: picked.by_latest.then_some(picked),
        declared,
    };
    let json = ctx.out.json;
    let mut printer = PhasePrinter {
        json_lines: false,
        // --json: one document at the end
        silent: json,
        item_lines: true,
        style: ui.stderr,
        display: Some(display),
        bar_phase: Phase::RestoreFiles,
    };
    let result = restore::run(input, &mut printer);
    printer.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            // the exit code comes from the error (exit.rs); --json readers get the refusal
            if json {
                let doc = refusal_json(&e);
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc)?);
                let _ = out.flush();
            }
            return Err(e.into());
        }
    };
    for w in &report.warnings {
        eprintln!("{}: {w}", ui.stderr.status("WARNING"));
    }
    ctx.out
        .result(&super::report::human(ui.stdout, &report), &report)?;
    if !report.ok() {
        return Err(anyhow!("{}", failure_summary(&report)));
    }
    Ok(())
}

/// The runbook's options from the command line.
fn options(
    ctx: &Context,
    args: &RestoreArgs,
    (only, only_declared): (Vec<Component>, Vec<String>),
    progress: Option<std::sync::Arc<vault::Progress>>,
) -> DeploymentRestoreOptions {
    DeploymentRestoreOptions {
        only,
        only_declared,
        dry_run: args.dry_run,
        skip_databases: args.skip_databases,
        allow_version_mismatch: args.allow_version_mismatch,
        stop: args.stop,
        verify: if args.verify {
            Some(true)
        } else if args.no_verify {
            Some(false)
        } else {
            None
        },
        progress,
        separate_target: args.target.is_some(),
        this_host: ctx.this_host(),
        from_host: args.from_host.clone(),
        no_pre_restore: args.no_pre_restore,
        databases_only: args.databases_only,
    }
}

fn refusal_json(e: &DeploymentRestoreError) -> serde_json::Value {
    let mut doc = serde_json::json!({
        "refused": e.is_refusal(),
        "error": e.to_string(),
    });
    match e {
        DeploymentRestoreError::Gate(r) => {
            doc["gate"] = serde_json::to_value(r).unwrap_or_default()
        }
        DeploymentRestoreError::Running { running } => {
            doc["running"] = serde_json::to_value(running).unwrap_or_default();
        }
        _ => {}
    }
    doc
}

fn failure_summary(r: &RestoreReport) -> String {
    let mut parts = Vec::new();
    for d in r.databases.iter().filter(|d| d.status == "failed") {
        parts.push(format!(
            "database {}: {}",
            d.database,
            d.message.as_deref().unwrap_or("failed")
        ));
    }
    for c in r.components.iter().filter(|c| {
        !matches!(
            c.status.as_str(),
            "restored" | "would_restore" | "extracted" | "would_extract"
        )
    }) {
        parts.push(format!(
            "{} {}: {}",
            c.component,
            c.status,
            c.message.as_deref().unwrap_or("")
        ));
    }
    for d in r.declared.iter().filter(|d| d.status == "failed") {
        parts.push(format!(
            "component {}: {}",
            d.name,
            d.error.as_deref().unwrap_or("failed")
        ));
    }
    if r.version_confirmed == Some(false) {
        parts.push(format!(
            "the version at the target is {}, expected {}",
            r.version_after.as_deref().unwrap_or("unknown"),
            r.version_expected.as_deref().unwrap_or("unknown")
        ));
    }
    format!("restore FAILED: {}", parts.join("; "))
}
