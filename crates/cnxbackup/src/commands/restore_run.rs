//! `cnxbackup restore SNAPSHOT` for a deployment backup (a snapshot written by `cnxbackup
//! backup` without `--path`): the version-gated restore of issue 8.
//!
//! `repo_commands::restore` hands every snapshot whose application document is a
//! `cnxbackup.backup` summary to [`run`]; any other snapshot keeps the plain path restore,
//! which must be given `--target` and none of the deployment flags ([`plain_target`]).
//!
//! Exit codes: 0 restored (and verified, version confirmed); 1 a step failed (database
//! restore, a component, verification, version afterwards) or the snapshot is unreadable;
//! 2 `--only` names a component the snapshot does not hold; 3 refused (version gate,
//! servers running, incomplete snapshot without `--only`, an unsafe entry).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::anyhow;
use runbook::plan::Component;
use runbook::restore::{self, RestoreError, RestoreInput, RestoreOptions, RestoreReport};
use runbook::servers::{ControlOptions, WasCredentials};
use vault::{Repository, Snapshot, SnapshotId};
use websphere::Sysroot;

use super::discover::sysroot;
use super::repo_commands::RestoreArgs;
use super::Context;
use crate::exit::{with_exit, Exit};
use crate::ui::{Grid, ProgressDisplay, Style, Ui};

/// Test hook shared with the backup: the pause between stop attempts in milliseconds.
const RETRY_PAUSE_ENV: &str = "CNXBACKUP_TEST_RETRY_PAUSE_MS";

/// For a plain (non-deployment) snapshot: the `--target` it must have, refusing the flags
/// that only mean something for a deployment backup.
pub fn plain_target(args: &RestoreArgs) -> anyhow::Result<&Path> {
    let deployment_only = [
        (!args.only.is_empty(), "--only"),
        (args.dry_run, "--dry-run"),
        (args.skip_databases, "--skip-databases"),
        (args.allow_version_mismatch, "--allow-version-mismatch"),
        (args.stop, "--stop"),
        (args.verify || args.no_verify, "--verify/--no-verify"),
    ];
    if let Some((_, flag)) = deployment_only.iter().find(|(set, _)| *set) {
        return Err(with_exit(
            anyhow!(
                "{flag} applies to deployment backups (written by `cnxbackup backup` without \
                 --path); this snapshot is a plain path backup"
            ),
            Exit::Usage,
        ));
    }
    args.target.as_deref().ok_or_else(|| {
        with_exit(
            anyhow!("--target DIR is required to restore a plain path backup"),
            Exit::Usage,
        )
    })
}

fn parse_only(list: &[String]) -> anyhow::Result<Vec<Component>> {
    let mut out = Vec::new();
    for item in list.iter().flat_map(|s| s.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let c: Component = item
            .parse()
            .map_err(|e| with_exit(anyhow!("--only: {e}"), Exit::Usage))?;
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
            Sysroot::new(dir).map_err(|e| with_exit(anyhow!("--target: {e}"), Exit::Usage))
        }
        None => sysroot(ctx),
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
    let host_sys = sysroot(ctx)?;
    let cfg = &ctx.loaded.config;
    let credentials = match &cfg.websphere.username {
        Some(user) => WasCredentials {
            username: Some(user.clone()),
            password: ctx
                .websphere_password()?
                .map(|p| websphere::Secret::new(p.expose())),
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
    let d = &cfg.deployment;
    let ui = Ui::of(ctx);
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
        discover: connections::discover::DiscoverOptions {
            app_server_root: d.app_server_root.as_ref().map(|p| p.display().to_string()),
            connections_root: d.connections_root.as_ref().map(|p| p.display().to_string()),
        },
        options: RestoreOptions {
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
            progress: display.counters(),
        },
        credentials,
        control,
        // the database tools run on this machine (the sysroot), whatever the target
        database: ctx.database_tool_config(&host_sys)?,
    };
    let json = ctx.out.json;
    let mut progress = |line: &str| {
        if !json {
            display.eprintln(&format!("  {line}"));
        }
    };
    let result = restore::run(input, &mut progress);
    display.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let exit = if e.is_refusal() {
                Exit::Refused
            } else if e.is_usage() {
                Exit::Usage
            } else {
                Exit::Failed
            };
            if json {
                let doc = refusal_json(&e);
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{}", serde_json::to_string_pretty(&doc)?);
                let _ = out.flush();
            }
            return Err(with_exit(anyhow::Error::new(e), exit));
        }
    };
    for w in &report.warnings {
        eprintln!("{}: {w}", ui.stderr.status("WARNING"));
    }
    ctx.out.result(&human(ui.stdout, &report), &report)?;
    if !report.ok() {
        return Err(with_exit(
            anyhow!("{}", failure_summary(&report)),
            Exit::Failed,
        ));
    }
    Ok(())
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

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
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
        short(&r.snapshot),
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
                    crate::ui::Tone::Bad
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
