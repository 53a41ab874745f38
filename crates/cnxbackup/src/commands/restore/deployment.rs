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

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::anyhow;
use runbook::plan::Component;
use runbook::procedure::Phase;
use runbook::restore::{self, RestoreError, RestoreInput, RestoreOptions, RestoreReport};
use vault::{Repository, Snapshot, SnapshotId};
use websphere::Sysroot;

use super::args::RestoreArgs;
use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::format::short_id;
use crate::ui::{Grid, PhasePrinter, ProgressDisplay, Style, Tone};

fn parse_only(list: &[String]) -> Result<Vec<Component>, CommandError> {
    let mut out = Vec::new();
    for item in list.iter().flat_map(|s| s.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let c: Component = item
            .parse()
            .map_err(|e| CommandError::Usage(format!("--only: {e}")))?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
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
) -> anyhow::Result<()> {
    let only = parse_only(&args.only)?;
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
        options: options(args, only, display.counters()),
        credentials,
        control: ctx.control_options(),
        // the database tools run on this machine (the sysroot), whatever the target
        database: ctx.database_tool_config(&host_sys)?,
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
    ctx.out.result(&human(ui.stdout, &report), &report)?;
    if !report.ok() {
        return Err(anyhow!("{}", failure_summary(&report)));
    }
    Ok(())
}

/// The runbook's options from the command line.
fn options(
    args: &RestoreArgs,
    only: Vec<Component>,
    progress: Option<std::sync::Arc<vault::Progress>>,
) -> RestoreOptions {
    RestoreOptions {
        only,
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
    }
}

fn refusal_json(e: &RestoreError) -> serde_json::Value {
    let mut doc = serde_json::json!({
        "refused": e.is_refusal(),
        "error": e.to_string(),
    });
    match e {
        RestoreError::Gate(r) => doc["gate"] = serde_json::to_value(r).unwrap_or_default(),
        RestoreError::Running { running } => {
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
    for c in r
        .components
        .iter()
        .filter(|c| c.status != "restored" && c.status != "would_restore")
    {
        parts.push(format!(
            "{} {}: {}",
            c.component,
            c.status,
            c.message.as_deref().unwrap_or("")
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

fn human(style: Style, r: &RestoreReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} snapshot {} (set {}, host {}) onto {}",
        if r.dry_run {
            "DRY RUN: would restore"
        } else {
            "restored"
        },
        short_id(&r.snapshot),
        r.backup_set,
        r.host,
        r.target
    );
    let _ = writeln!(
        s,
        "version gate: backup {} checked against {} ({})",
        r.gate.backup_version.as_deref().unwrap_or("unknown"),
        r.gate.checked_against.as_deref().unwrap_or("unknown"),
        r.gate.basis
    );
    for c in &r.gate.checks {
        let result = format!("{:?}", c.result);
        let _ = writeln!(
            s,
            "  {:<10} {}: {}",
            c.rule,
            style.status(&result),
            c.message
        );
    }
    for (c, why) in &r.selection.left_out {
        let _ = writeln!(s, "  not restored: {c} ({why})");
    }
    if !r.stopped.is_empty() {
        let _ = writeln!(s, "stopped: {}", r.stopped.join(", "));
    }
    for d in &r.databases {
        let _ = writeln!(
            s,
            "database {:<10} {:<14} taken at {}{}",
            d.database,
            d.status,
            d.vendor_timestamp.as_deref().unwrap_or("-"),
            d.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        for c in &d.commands {
            let _ = writeln!(s, "    {c}");
        }
    }
    // The table first, then what each component has to say (messages, differences, and
    // for a dry run every change), so the columns stay readable.
    let mut t = Grid::new(
        style,
        &[
            "component",
            "status",
            "added",
            "replaced",
            "removed",
            "unchanged",
            "written",
            "verified",
        ],
    )
    .right(&[2, 3, 4, 5, 6]);
    for c in &r.components {
        let verified = if !c.verified {
            "-".to_string()
        } else {
            let files: u64 = c
                .paths
                .iter()
                .filter_map(|p| p.verified.as_ref())
                .map(|v| v.files)
                .sum();
            let bad: usize = c
                .paths
                .iter()
                .filter_map(|p| p.verified.as_ref())
                .map(|v| v.problems.len())
                .sum();
            if bad == 0 {
                format!("{files} files ok")
            } else {
                format!("{bad} DIFFERENCES")
            }
        };
        let verified_cell = if verified.ends_with("DIFFERENCES") {
            t.status(&verified)
        } else {
            verified.into()
        };
        t.row(vec![
            c.component.name().into(),
            t.status(&c.status),
            c.added.to_string().into(),
            c.replaced.to_string().into(),
            c.removed.to_string().into(),
            c.unchanged.to_string().into(),
            c.files_written.to_string().into(),
            verified_cell,
        ]);
    }
    s.push_str(&t.render(0));
    for c in &r.components {
        let mut notes = Vec::new();
        if let Some(m) = &c.message {
            notes.push(format!("    {m}"));
        }
        for p in &c.paths {
            for w in &p.warnings {
                notes.push(format!("    {}: {w}", p.path));
            }
            if let Some(v) = &p.verified {
                for problem in v.problems.iter().take(20) {
                    notes.push(format!("    {}: {problem}", style.status("differs")));
                }
            }
            if r.dry_run {
                for ch in &p.changes {
                    let action = match ch.action {
                        vault::restore::ChangeAction::Add => "add",
                        vault::restore::ChangeAction::Replace => "replace",
                        vault::restore::ChangeAction::Remove => "remove",
                    };
                    notes.push(format!("    {action:<8} {}", ch.path));
                }
            }
        }
        if !notes.is_empty() {
            let _ = writeln!(s, "{}:", c.component.name());
            for n in notes {
                let _ = writeln!(s, "{n}");
            }
        }
    }
    if !r.dry_run {
        let _ = writeln!(
            s,
            "files rewritten: {}; version at the target: {} ({})",
            r.files_written(),
            r.version_after.as_deref().unwrap_or("unknown"),
            match r.version_confirmed {
                Some(true) => style.status("as expected"),
                Some(false) => style.paint(
                    &format!(
                        "EXPECTED {}",
                        r.version_expected.as_deref().unwrap_or("unknown")
                    ),
                    Tone::Bad
                ),
                None => "not compared".to_string(),
            }
        );
        let _ = writeln!(
            s,
            "next: start the deployment manager, then the node agents (full resynchronisation), \
             then the clusters; check the role mappings (/.cnxbackup/role-mappings.json)"
        );
    }
    s
}
