//! `cnxbackup show SNAPSHOT [--html FILE]`: the snapshot's manifest as a readable report
//! (docs/SHOW.md). The report itself is [`report::show::ShowReport`]; [`text`] renders it for
//! the terminal and [`html`] as a self-contained page for a change ticket, both through the
//! phrases and rows of [`view`].
//!
//! The snapshot is found like `ls` and `restore` find it (id, unique prefix, `latest`); a
//! deployment backup's manifest is read with the restore's own reader
//! ([`runbook::restore::read_manifest`]). A snapshot that is not a deployment backup is
//! reported by its own facts. Exit codes: 0 shown; 1 no such snapshot, an ambiguous
//! prefix, an unreadable manifest or an HTML file that cannot be written.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;

pub mod html;
pub mod text;
pub mod view;

#[cfg(test)]
mod tests;

use report::show::ShowReport;

use crate::cli::filter::FilterArgs;
use crate::context::Context;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Snapshot id, unique prefix, or "latest" (this host's newest complete deployment
    /// backup)
    pub snapshot: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Also write a self-contained HTML report to FILE
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// The `--json` document: the report plus where the HTML went.
#[derive(Serialize)]
struct Out<'a> {
    #[serde(flatten)]
    report: &'a ShowReport,
    #[serde(skip_serializing_if = "Option::is_none")]
    html_report: Option<String>,
}

pub fn run(ctx: &Context, args: &ShowArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let (id, snap, _) = ctx.resolve_snapshot(&repo, &args.snapshot, &args.filter.filter())?;
    let manifest = if runbook::restore::is_deployment_backup(&snap) {
        let m = runbook::restore::read_manifest(&repo, &snap)
            .with_context(|| format!("snapshot {}", id.short()))?;
        Some(m)
    } else {
        None
    };
    let mut report = ShowReport::new(&id, &snap, manifest);
    report.set_status = status_in_set(&repo, &id, &snap);
    // The file first: if it cannot be written, the command fails before printing a report
    // that suggests it succeeded.
    if let Some(file) = &args.html {
        write_atomically(file, html::render(&report).as_bytes())?;
    }
    ctx.out.result(
        &text::render(&report, ctx.ui().stdout),
        &Out {
            report: &report,
            html_report: args.html.as_ref().map(|f| f.display().to_string()),
        },
    )?;
    if let Some(file) = &args.html {
        ctx.out
            .note(&format!("HTML report written to {}", file.display()));
    }
    Ok(())
}

/// For a backup that left its databases to another host of its set: its status counting
/// the set now ([`runbook::manifest::Summary::status_in_set`]).
fn status_in_set(
    repo: &vault::Repository,
    id: &vault::SnapshotId,
    snap: &vault::Snapshot,
) -> Option<report::show::SetStatus> {
    use runbook::manifest::{AbsenceReason, Summary};
    let own = snap
        .application
        .as_ref()
        .and_then(Summary::from_application)?;
    if !own
        .absent
        .iter()
        .any(|a| a.reason == AbsenceReason::SkipDatabases)
    {
        return None;
    }
    let others: Vec<(String, Summary)> = repo
        .list_snapshots()
        .ok()?
        .into_iter()
        .filter(|(other, _)| other != id)
        .filter_map(|(other, s)| {
            let s = s.ok()?;
            Some((
                other.to_hex(),
                Summary::from_application(s.application.as_ref()?)?,
            ))
        })
        .collect();
    let (status, held_by) = own.status_in_set(others.iter().map(|(i, s)| (i.as_str(), s)));
    Some(report::show::SetStatus { status, held_by })
}

/// Writes `content` to `file` through a temporary file in the same directory and a rename,
/// so that a reader never sees half a report and an old report is replaced whole.
pub fn write_atomically(file: &Path, content: &[u8]) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| {
        anyhow::anyhow!("cannot write the HTML report to {}: {e}", file.display())
    };
    let name = file.file_name().ok_or_else(|| {
        anyhow::anyhow!(
            "cannot write the HTML report to {}: not a file name",
            file.display()
        )
    })?;
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(content)?;
        f.sync_all()?;
        std::fs::rename(&tmp, file)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}
