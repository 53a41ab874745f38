//! The backup's preflight: the runbook checks (scripts, credentials, database tool,
//! staging space) plus the repository and every path of the plan. Nothing is changed.

use std::path::Path;

use serde::Serialize;
use websphere::Sysroot;

use crate::databases::{build_tool, DatabaseTool, ToolConfig};
use crate::manifest::Summary;
use crate::plan::{Action, Plan};
use crate::preflight::{preflight, PreflightInput, Problem};
use crate::servers::{verify_all_stopped, ControlOptions, RunningServer, Topology, WasCredentials};

/// Which exit a set of problems calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Something the administrator must configure or fix (exit 2).
    Configuration,
    /// Only safety rules refused (exit 3): not enough space, servers running.
    Safety,
}

/// What preflight saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PreflightOutcome {
    /// Problems: any one stops the run.
    pub problems: Vec<Problem>,
    /// Things worth knowing that do not stop the run (a plan path that does not exist).
    pub warnings: Vec<String>,
    /// The credential check's result (`accepted`, `refused`, `not_verifiable`).
    pub credentials: Option<crate::servers::CredentialCheck>,
    /// Bytes expected for the database images (from the previous backup of this host).
    pub expected_database_bytes: u64,
    /// Servers running now (with `--no-stop` this must be empty).
    pub running: Vec<RunningServer>,
    /// Product paths of the plan that do not exist on this host.
    pub missing_paths: Vec<String>,
}

impl PreflightOutcome {
    /// Configuration when any problem is one; Safety when all are safety problems.
    pub fn kind(&self) -> ProblemKind {
        if self
            .problems
            .iter()
            .all(|p| p.check == "staging_space" || p.check == "servers_running")
        {
            ProblemKind::Safety
        } else {
            ProblemKind::Configuration
        }
    }
}

/// Everything preflight needs.
pub struct PreflightArgs<'a> {
    pub sysroot: &'a Sysroot,
    pub plan: &'a Plan,
    pub topology: &'a Topology,
    pub credentials: &'a WasCredentials,
    pub control: &'a ControlOptions,
    pub database: &'a ToolConfig,
    pub repository: Result<&'a vault::Repository, &'a super::input::RepositoryUnavailable>,
    pub host: &'a str,
    pub no_stop: bool,
}

/// Runs every check; returns the outcome and the database tool when one is needed and
/// could be built.
pub fn backup_preflight(
    a: &PreflightArgs<'_>,
) -> (PreflightOutcome, Option<Box<dyn DatabaseTool>>) {
    let mut out = PreflightOutcome::default();

    // Repository: reachable and the password right (the caller opened it).
    let previous = match a.repository {
        Ok(repo) => previous_summary(repo, a.host),
        Err(e) => {
            out.problems.push(Problem {
                check: "repository",
                message: format!("{e}: {}", e.source),
            });
            None
        }
    };
    out.expected_database_bytes = previous.as_ref().map_or(0, |s| s.database_bytes);

    // The database tool, when the plan backs up databases.
    let db_step = a
        .plan
        .steps
        .iter()
        .find(|s| s.action == Action::BackupDatabases && s.runs);
    let tool = match db_step {
        None => None,
        Some(step) => {
            let mut cfg = a.database.clone();
            if cfg.vendor.is_none() {
                cfg.vendor = step.databases.first().and_then(|d| vendor_of(&d.vendor));
            }
            match build_tool(&cfg) {
                Ok(t) => Some(t),
                Err(e) => {
                    out.problems.push(Problem {
                        check: "database_tool",
                        message: format!(
                            "{e} (the plan backs up {} database(s))",
                            step.databases.len()
                        ),
                    });
                    None
                }
            }
        }
    };
    let staged = tool
        .as_ref()
        .is_some_and(|t| t.vendor() != crate::databases::Vendor::Command);

    // Servers: with --no-stop nothing may run; otherwise the scripts and credentials.
    out.running = verify_all_stopped(a.topology);
    if a.no_stop && !out.running.is_empty() {
        out.problems.push(Problem {
            check: "servers_running",
            message: format!(
                "--no-stop: still running: {}",
                out.running
                    .iter()
                    .map(|r| format!("{} (profile {}, pid {})", r.server, r.profile, r.pid))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    // 10 % margin over what the last backup's images took.
    let expected = out.expected_database_bytes + out.expected_database_bytes / 10;
    let report = preflight(&PreflightInput {
        topology: (!a.no_stop).then_some(a.topology),
        credentials: a.credentials,
        control: a.control,
        database_tool: tool.as_deref(),
        staging: staged.then_some((a.database.staging_dir.as_path(), expected)),
    });
    out.credentials = report.credentials.clone();
    out.problems.extend(report.problems);

    // Every path of the plan: readable; a path that does not exist is a warning.
    for step in a
        .plan
        .steps
        .iter()
        .filter(|s| s.runs && s.action == Action::BackupFiles)
    {
        for p in &step.paths {
            match check_path(a.sysroot, p) {
                PathCheck::Ok => {}
                PathCheck::Missing => {
                    out.warnings.push(format!(
                        "{p} (step {} {}) does not exist on this host",
                        step.procedure_step,
                        step.component.map(|c| c.to_string()).unwrap_or_default()
                    ));
                    out.missing_paths.push(p.clone());
                }
                PathCheck::Unreadable(e) => out.problems.push(Problem {
                    check: "plan_paths",
                    message: format!("{p} (step {}) cannot be read: {e}", step.procedure_step),
                }),
            }
        }
    }
    (out, tool)
}

enum PathCheck {
    Ok,
    Missing,
    Unreadable(String),
}

fn check_path(sys: &Sysroot, product: &str) -> PathCheck {
    let real = match sys.real_path(Path::new(product)) {
        Ok(r) => r,
        Err(e) => return PathCheck::Unreadable(e.to_string()),
    };
    match std::fs::symlink_metadata(&real) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => PathCheck::Missing,
        Err(e) => PathCheck::Unreadable(e.to_string()),
        Ok(m) if m.is_dir() => match std::fs::read_dir(&real) {
            Ok(_) => PathCheck::Ok,
            Err(e) => PathCheck::Unreadable(e.to_string()),
        },
        Ok(m) if m.is_file() => match std::fs::File::open(&real) {
            Ok(_) => PathCheck::Ok,
            Err(e) => PathCheck::Unreadable(e.to_string()),
        },
        Ok(_) => PathCheck::Ok,
    }
}

/// The summary of the newest complete backup of `host` in the repository, if any.
pub(crate) fn previous_summary(repo: &vault::Repository, host: &str) -> Option<Summary> {
    previous_backup(repo, host).map(|(_, s)| s)
}

/// The newest backup snapshot of `host` and its summary.
pub(crate) fn previous_backup(
    repo: &vault::Repository,
    host: &str,
) -> Option<(vault::SnapshotId, Summary)> {
    let list = repo.list_snapshots().ok()?;
    list.into_iter()
        .filter_map(|(id, s)| s.ok().map(|s| (id, s)))
        .filter(|(_, s)| s.host == host)
        .filter_map(|(id, s)| {
            let summary = s.application.as_ref().and_then(Summary::from_application)?;
            Some((s.time, id, summary))
        })
        .max_by_key(|(t, _, _)| *t)
        .map(|(_, id, s)| (id, s))
}

/// The tool vendor for a discovered vendor name.
pub(crate) fn vendor_of(name: &str) -> Option<crate::databases::Vendor> {
    use crate::databases::Vendor;
    match name {
        "db2" => Some(Vendor::Db2),
        "oracle" => Some(Vendor::Oracle),
        "sqlserver" => Some(Vendor::Sqlserver),
        _ => None,
    }
}
