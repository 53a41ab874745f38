//! The human report of a deployment restore: what was (or would be) done first — the
//! headline, the totals, the pre-restore snapshot — then the version gate, the databases, a
//! table per component, the update's changes per component (dry run) and, apart, the
//! servers' runtime files (pid files, logs, temp, wstemp).

use std::fmt::Write as _;

use runbook::pick::HostCheck;
use runbook::restore::files::ComponentResult;
use runbook::restore::{Mode, PreRestoreOutcome, RestoreReport};

use crate::ui::format::{bytes, short_id};
use crate::ui::{Grid, Style, Tone};

/// The first line: what was (or would be) done, with which snapshot, where.
fn headline(r: &RestoreReport) -> String {
    let (verb, place) = match (r.mode, r.dry_run) {
        (Mode::Restore, true) => ("DRY RUN: would restore", "onto"),
        (Mode::Restore, false) => ("restored", "onto"),
        (Mode::Extract, true) => ("DRY RUN: would extract", "into"),
        (Mode::Extract, false) => ("extracted", "into"),
    };
    let mut line = format!(
        "{verb} snapshot {} (set {}, host {}) {place} {}",
        short_id(&r.snapshot),
        r.backup_set,
        r.host,
        r.target
    );
    if r.mode == Mode::Extract {
        line.push_str(" (it holds no installation: an extraction, not a restore)");
    }
    line
}

/// Totals first: how much changes, the servers' runtime files counted apart.
fn totals_line(r: &RestoreReport) -> String {
    let t = &r.totals;
    let mut line = format!(
        "totals: {} component(s), {} database(s); {} added, {} replaced, {} removed, {} unchanged",
        t.components, t.databases, t.added, t.replaced, t.removed, t.unchanged
    );
    if t.runtime > 0 {
        let _ = write!(
            line,
            " ({} of them the update's, {} runtime files of the servers)",
            t.update_changes(),
            t.runtime
        );
    }
    line
}

fn pre_restore_line(r: &RestoreReport) -> String {
    let b = bytes;
    match &r.pre_restore {
        PreRestoreOutcome::Taken(p) => format!(
            "pre-restore snapshot {}: what the restore replaced or removed, and the logs: {} \
             files ({}); {} read, {} added to the repository, in {:.1} s. `cnxbackup restore \
             {}` brings that state back",
            short_id(&p.snapshot),
            p.files,
            b(p.bytes),
            b(p.bytes_read),
            b(p.bytes_added),
            p.duration_ms as f64 / 1000.0,
            short_id(&p.snapshot)
        ),
        PreRestoreOutcome::Planned { paths } if paths.is_empty() => {
            "pre-restore: nothing to save (the target holds none of the paths)".into()
        }
        PreRestoreOutcome::Planned { paths } => {
            let mut text = format!(
                "pre-restore: would first save {} path(s) as they are now into a snapshot \
                 tagged pre-restore:",
                paths.len()
            );
            for p in paths {
                let whose = p.component.map_or("logs", |c| c.name());
                let _ = write!(text, "\n    {whose:<20} {}", p.path);
            }
            text
        }
        PreRestoreOutcome::NothingToSave => {
            "pre-restore: nothing to save (the target held none of the paths)".into()
        }
        PreRestoreOutcome::Off => {
            "pre-restore: OFF (--no-pre-restore): what the restore replaced is not kept".into()
        }
    }
}

fn gate_lines(style: Style, r: &RestoreReport, s: &mut String) {
    if r.mode == Mode::Extract {
        let _ = writeln!(s, "version gate: not applied ({})", r.gate.basis);
    } else {
        let _ = writeln!(
            s,
            "version gate: backup {} checked against {} ({})",
            r.gate.backup_version.as_deref().unwrap_or("unknown"),
            r.gate.checked_against.as_deref().unwrap_or("unknown"),
            r.gate.basis
        );
    }
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
    if let Some(HostCheck::FromHost { snapshot_host }) = &r.host_check {
        let _ = writeln!(
            s,
            "  host       {}: the snapshot of host {snapshot_host} (--from-host)",
            style.status("Allowed")
        );
    }
    for (c, why) in &r.selection.left_out {
        let _ = writeln!(s, "  not restored: {c} ({why})");
    }
}

fn database_lines(r: &RestoreReport, s: &mut String) {
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
}

fn verified_cell(t: &Grid, c: &ComponentResult) -> comfy_table::Cell {
    if !c.verified {
        return "-".into();
    }
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
        format!("{files} files ok").into()
    } else {
        t.status(&format!("{bad} DIFFERENCES"))
    }
}

fn component_table(style: Style, r: &RestoreReport) -> String {
    let mut t = Grid::new(
        style,
        &[
            "component",
            "status",
            "added",
            "replaced",
            "removed",
            "unchanged",
            "runtime",
            "written",
            "verified",
        ],
    )
    .right(&[2, 3, 4, 5, 6, 7]);
    for c in &r.components {
        let verified = verified_cell(&t, c);
        t.row(vec![
            c.component.name().into(),
            t.status(&c.status),
            c.added.to_string().into(),
            c.replaced.to_string().into(),
            c.removed.to_string().into(),
            c.unchanged.to_string().into(),
            c.runtime.to_string().into(),
            c.files_written.to_string().into(),
            verified,
        ]);
    }
    t.render(0)
}

fn action(a: vault::restore::ChangeAction) -> &'static str {
    match a {
        vault::restore::ChangeAction::Add => "add",
        vault::restore::ChangeAction::Replace => "replace",
        vault::restore::ChangeAction::Remove => "remove",
    }
}

/// What each component has to say (messages, differences, and for a dry run the update's
/// changes), then, apart, the servers' runtime files.
fn component_notes(style: Style, r: &RestoreReport, s: &mut String) {
    let mut runtime = String::new();
    for c in &r.components {
        let mut notes = Vec::new();
        let mut own_runtime = Vec::new();
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
                    let line = format!("    {:<8} {}", action(ch.action), ch.path);
                    if ch.runtime {
                        own_runtime.push(line);
                    } else {
                        notes.push(line);
                    }
                }
            }
        }
        if !notes.is_empty() {
            let _ = writeln!(s, "{}:", c.component.name());
            for n in notes {
                let _ = writeln!(s, "{n}");
            }
        }
        if !own_runtime.is_empty() {
            let _ = writeln!(runtime, "  {}:", c.component.name());
            for n in own_runtime {
                let _ = writeln!(runtime, "  {n}");
            }
        }
    }
    if !runtime.is_empty() {
        let _ = writeln!(
            s,
            "runtime files of the servers (pid files, logs, temp, wstemp), not the update's \
             changes:"
        );
        s.push_str(&runtime);
    }
}

/// The report of a deployment restore (or extraction, or dry run) for people.
pub fn human(style: Style, r: &RestoreReport) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", headline(r));
    let _ = writeln!(s, "{}", totals_line(r));
    let _ = writeln!(s, "{}", pre_restore_line(r));
    gate_lines(style, r, &mut s);
    if !r.stopped.is_empty() {
        let _ = writeln!(s, "stopped: {}", r.stopped.join(", "));
    }
    database_lines(r, &mut s);
    // The table first, then what each component has to say, so the columns stay readable.
    s.push_str(&component_table(style, r));
    component_notes(style, r, &mut s);
    declared_lines(r, &mut s);
    if !r.dry_run && r.mode == Mode::Restore {
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

/// One line per declared component (`[[component]]`) and what its restore command did.
fn declared_lines(r: &RestoreReport, s: &mut String) {
    for d in &r.declared {
        let _ = write!(s, "component {}: {} ({})", d.name, d.status, d.command);
        match &d.error {
            Some(e) => {
                let _ = writeln!(s, ": {e}");
            }
            None => {
                let _ = writeln!(s, ", {} bytes", d.bytes);
            }
        }
    }
}
