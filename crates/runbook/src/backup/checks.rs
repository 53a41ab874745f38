//! The backup's preflight: everything that can fail after the first server stops is proven
//! before it, and `--dry-run` runs exactly this. The runbook checks (scripts, credentials,
//! the database user, tool, databases and staging directory, [`crate::preflight`]) plus the
//! repository (reachable, takes writes, room for the backup) and every path of the plan (a
//! path this host needs that is missing is a problem, not a warning). Nothing that stays is
//! changed.

use std::path::{Path, PathBuf};

use serde::Serialize;
use websphere::Sysroot;

use crate::databases::{build_tool, DatabaseTarget, DatabaseTool, Probe, ToolConfig};
use crate::manifest::Summary;
use crate::plan::{Action, Component, Plan};
use crate::preflight::{
    human_bytes, preflight, DatabaseInput, Estimate, PreflightInput, PreflightReport, Problem,
};
use crate::servers::{
    verify_all_stopped, ControlOptions, ControlTopology, RunningServer, WasCredentials,
};

/// Which exit a set of problems calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Something the administrator must configure or fix (exit 2).
    Configuration,
    /// Only safety rules refused (exit 3): not enough space, servers running.
    Safety,
}

/// One check that passed, for the dry run's report: what was proven.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Passed {
    /// The check.
    pub check: &'static str,
    /// What was found.
    pub detail: String,
}

/// What preflight saw.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PreflightOutcome {
    /// Problems: any one stops the run.
    pub problems: Vec<Problem>,
    /// Things worth knowing that do not stop the run.
    pub warnings: Vec<String>,
    /// The checks that passed and what they found.
    pub passed: Vec<Passed>,
    /// The credential check's result (`accepted`, `refused`, `not_verifiable`).
    pub credentials: Option<crate::servers::CredentialCheck>,
    /// Bytes the last backup's database images took (0 on a first backup).
    pub expected_database_bytes: u64,
    /// What the database tool answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    /// The room the staged images need, and what that is based on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging_estimate: Option<Estimate>,
    /// The room the backup needs in the repository, and what that is based on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_estimate: Option<Estimate>,
    /// Servers running now (with `--no-stop` this must be empty).
    pub running: Vec<RunningServer>,
    /// Product paths of the plan that do not exist on this host.
    pub missing_paths: Vec<String>,
}

impl PreflightOutcome {
    /// Configuration when any problem is one; Safety when all are safety problems.
    pub fn kind(&self) -> ProblemKind {
        let safety = ["staging_space", "repository_space", "servers_running"];
        if self.problems.iter().all(|p| safety.contains(&p.check)) {
            ProblemKind::Safety
        } else {
            ProblemKind::Configuration
        }
    }

    fn problem(&mut self, check: &'static str, message: String) {
        self.problems.push(Problem { check, message });
    }

    fn passed(&mut self, check: &'static str, detail: String) {
        self.passed.push(Passed { check, detail });
    }
}

/// Everything preflight needs.
pub struct PreflightArgs<'a> {
    pub sysroot: &'a Sysroot,
    pub plan: &'a Plan,
    pub topology: &'a ControlTopology,
    pub credentials: &'a WasCredentials,
    pub control: &'a ControlOptions,
    pub database: &'a ToolConfig,
    pub repository: Result<&'a vault::Repository, &'a super::input::RepositoryUnavailable>,
    pub host: &'a str,
    pub no_stop: bool,
    /// The `[snapshot]` settings, when the files are to be read from file-system snapshots.
    pub snapshot: Option<&'a crate::fssnap::SnapshotConfig>,
}

/// Runs every check; returns the outcome and the database tool when one is needed and
/// could be built.
pub fn backup_preflight(
    a: &PreflightArgs<'_>,
) -> (PreflightOutcome, Option<Box<dyn DatabaseTool>>) {
    let mut out = PreflightOutcome::default();
    if a.plan
        .step(Component::InstallationManager)
        .is_some_and(|s| !s.runs)
    {
        out.warnings.push(format!(
            "the Installation Manager's data, install and IMShared are left out: {}",
            crate::plan::WITHOUT_IIM
        ));
    }
    let previous = a.repository.ok().and_then(|r| previous_summary(r, a.host));
    out.expected_database_bytes = previous.as_ref().map_or(0, |s| s.database_bytes);
    // The plan's sizes: only a first backup needs them (later ones go by the last one).
    let sized = previous.is_none().then(|| {
        let mut p = a.plan.clone();
        p.compute_sizes(a.sysroot);
        p.total.map(|t| t.apparent_bytes).unwrap_or(0)
    });

    let tool = database_tool(a, &mut out);
    servers_running(a, &mut out);
    let targets = plan_targets(a.plan);
    let report = preflight(&PreflightInput {
        topology: (!a.no_stop).then_some(a.topology),
        credentials: a.credentials,
        control: a.control,
        database: tool.as_deref().map(|t| DatabaseInput {
            tool: t,
            run_as: a.database.run_as.as_deref(),
            targets: &targets,
            staging: &a.database.staging_dir,
            previous_images: previous.as_ref().map(|s| s.database_bytes),
            plan_file_bytes: sized,
        }),
    });
    record_runbook_checks(a, report, &mut out);
    check_repository(a, previous.as_ref(), sized, &mut out);
    let present = check_plan_paths(a, &mut out);
    if let Some(cfg) = a.snapshot {
        check_fs_snapshot(cfg, &present, &mut out);
    }
    (out, tool)
}

/// The snapshot mode: every file component on a volume its method can snapshot, its tools
/// there.
fn check_fs_snapshot(
    cfg: &crate::fssnap::SnapshotConfig,
    present: &[PathBuf],
    out: &mut PreflightOutcome,
) {
    match super::fsmode::check(cfg, present) {
        Ok(volumes) => out.passed(
            "fs_snapshot",
            format!(
                "snapshot.method = \"{}\": the file components are on {} volume(s) it can \
                 snapshot ({})",
                cfg.method,
                volumes.len(),
                volumes
                    .iter()
                    .map(|v| v.root.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Err(problems) => {
            for message in problems {
                out.problem("fs_snapshot", message);
            }
        }
    }
}

/// The database tool, when the plan backs up databases.
fn database_tool(
    a: &PreflightArgs<'_>,
    out: &mut PreflightOutcome,
) -> Option<Box<dyn DatabaseTool>> {
    let step = a
        .plan
        .steps
        .iter()
        .find(|s| s.action == Action::BackupDatabases && s.runs)?;
    let mut cfg = a.database.clone();
    if cfg.vendor.is_none() {
        cfg.vendor = step.databases.first().and_then(|d| vendor_of(&d.vendor));
    }
    match build_tool(&cfg) {
        Ok(t) => Some(t),
        Err(e) => {
            out.problem(
                "database_tool",
                format!(
                    "{e} (the plan backs up {} database(s))",
                    step.databases.len()
                ),
            );
            None
        }
    }
}

/// The databases the plan backs up, as the tools take them.
fn plan_targets(plan: &Plan) -> Vec<DatabaseTarget> {
    plan.steps
        .iter()
        .filter(|s| s.action == Action::BackupDatabases && s.runs)
        .flat_map(|s| s.databases.iter())
        .map(|d| DatabaseTarget {
            name: d.name.clone(),
            host: d.host.clone(),
            port: d.port,
            schemas: d.schemas.clone(),
        })
        .collect()
}

/// With `--no-stop` nothing may run.
fn servers_running(a: &PreflightArgs<'_>, out: &mut PreflightOutcome) {
    out.running = verify_all_stopped(a.topology);
    if a.no_stop && !out.running.is_empty() {
        let list = out
            .running
            .iter()
            .map(|r| format!("{} (profile {}, pid {})", r.server, r.profile, r.pid))
            .collect::<Vec<_>>()
            .join(", ");
        out.problem(
            "servers_running",
            format!("--no-stop: still running: {list}"),
        );
    }
}

/// Merges the runbook checks and says what passed.
fn record_runbook_checks(
    a: &PreflightArgs<'_>,
    report: PreflightReport,
    out: &mut PreflightOutcome,
) {
    out.credentials = report.credentials.clone();
    out.warnings
        .extend(report.warnings.iter().map(|w| w.message.clone()));
    if let Some(crate::servers::CredentialCheck::Accepted { server }) = &report.credentials {
        out.passed(
            "websphere_credentials",
            format!("accepted by {server} (one attempt)"),
        );
    }
    if let Some(p) = &report.probe {
        let sizes = p
            .total_bytes()
            .map(|b| format!(", {} in all", human_bytes(b)))
            .unwrap_or_default();
        out.passed(
            "database_tool",
            format!(
                "{} answered: it knows all {} database(s) of the plan{sizes}",
                p.command,
                p.databases.len()
            ),
        );
    }
    if let (Some(avail), Some(est)) = (report.staging_available, &report.staging_estimate) {
        let user = a
            .database
            .run_as
            .as_deref()
            .map(|u| format!(" as {u}"))
            .unwrap_or_default();
        out.passed(
            "staging_space",
            format!(
                "{} can be written{user}: {} free, about {} needed ({})",
                a.database.staging_dir.display(),
                human_bytes(avail),
                human_bytes(est.bytes),
                est.basis
            ),
        );
    }
    out.probe = report.probe;
    out.staging_estimate = report.staging_estimate;
    out.problems.extend(report.problems);
}

/// The repository: open (the caller opened it: reachable, password right), takes writes
/// where its locks live, and — on a local disk — has room for the backup.
fn check_repository(
    a: &PreflightArgs<'_>,
    previous: Option<&Summary>,
    plan_file_bytes: Option<u64>,
    out: &mut PreflightOutcome,
) {
    let repo = match a.repository {
        Ok(r) => r,
        Err(e) => {
            out.problem("repository", format!("{e}: {}", e.source));
            return;
        }
    };
    let location = repo.storage().location().to_string();
    match repo.probe_write() {
        Ok(live) => {
            for l in live {
                out.warnings.push(format!(
                    "repository {location}: a lock is held ({l}); backups run beside a prune"
                ));
            }
            out.passed(
                "repository",
                format!("{location} takes writes (a lock object written, read and deleted)"),
            );
        }
        Err(e) => {
            out.problem(
                "repository",
                format!(
                    "repository {location} does not take writes ({e}); fix its permissions or \
                     space, or choose another with --repo"
                ),
            );
            return;
        }
    }
    let estimate = repository_estimate(previous, plan_file_bytes, out.staging_estimate.as_ref());
    if !repo.storage().is_remote() {
        match free_bytes(Path::new(&location)) {
            Ok(free) if free < estimate.bytes => out.problem(
                "repository_space",
                format!(
                    "not enough free space for the repository {location}: {} available, about \
                     {} needed ({}); free space or choose a larger repository",
                    human_bytes(free),
                    human_bytes(estimate.bytes),
                    estimate.basis
                ),
            ),
            Ok(free) => out.passed(
                "repository_space",
                format!(
                    "{location}: {} free, about {} needed ({})",
                    human_bytes(free),
                    human_bytes(estimate.bytes),
                    estimate.basis
                ),
            ),
            Err(e) => out.problem(
                "repository_space",
                format!("cannot measure the free space of {location}: {e}"),
            ),
        }
    }
    out.repository_estimate = Some(estimate);
}

/// Room the backup needs in the repository. A first backup of this host: every file of
/// the plan (before compression and deduplication, an upper bound) and the databases. A
/// later one: the last backup's database images + 10 % and a tenth of its files for what
/// changed (unchanged files are not stored again).
fn repository_estimate(
    previous: Option<&Summary>,
    plan_file_bytes: Option<u64>,
    databases: Option<&Estimate>,
) -> Estimate {
    match previous {
        Some(s) => {
            let files: u64 = s
                .components
                .iter()
                .filter(|c| c.component != Component::Databases)
                .map(|c| c.bytes)
                .sum();
            Estimate {
                bytes: s.database_bytes + s.database_bytes / 10 + files / 10,
                basis: format!(
                    "the last backup's database images ({}) + 10 %, and 10 % of its files ({}) \
                     for what changed",
                    human_bytes(s.database_bytes),
                    human_bytes(files)
                ),
            }
        }
        None => {
            let files = plan_file_bytes.unwrap_or(0);
            let db = databases.map_or(0, |d| d.bytes);
            Estimate {
                bytes: files + db,
                basis: format!(
                    "first backup of this host: the plan's files ({}, before compression and \
                     deduplication) and the databases ({})",
                    human_bytes(files),
                    human_bytes(db)
                ),
            }
        }
    }
}

/// Bytes available to unprivileged writers on the file system holding `dir` (or its
/// nearest existing ancestor).
fn free_bytes(dir: &Path) -> Result<u64, String> {
    let mut probe = dir;
    while !probe.exists() {
        probe = probe.parent().unwrap_or(Path::new("/"));
    }
    let st = nix::sys::statvfs::statvfs(probe).map_err(|e| e.to_string())?;
    #[allow(clippy::useless_conversion)] // the field types differ between targets
    let free = u64::from(st.blocks_available()).saturating_mul(u64::from(st.fragment_size()));
    Ok(free)
}

/// Every path of every file step that runs: readable. A path this host needs that does not
/// exist is a problem (the backup would be missing it); the message says what to do.
/// Returns the real paths that are there (the snapshot mode's volumes are found from them).
fn check_plan_paths(a: &PreflightArgs<'_>, out: &mut PreflightOutcome) -> Vec<PathBuf> {
    let mut present = Vec::new();
    for step in a
        .plan
        .steps
        .iter()
        .filter(|s| s.runs && s.action == Action::BackupFiles)
    {
        let component = step.component.map(|c| c.to_string()).unwrap_or_default();
        for p in &step.paths {
            match check_path(a.sysroot, p) {
                PathCheck::Ok => present.extend(a.sysroot.real_path(Path::new(p)).ok()),
                PathCheck::Missing => {
                    out.missing_paths.push(p.clone());
                    out.problem(
                        "plan_paths",
                        format!(
                            "{p} (step {} {component}) does not exist on this host, which \
                             needs it; {}",
                            step.procedure_step,
                            missing_hint(step.component, step.note.as_deref())
                        ),
                    );
                }
                PathCheck::Unreadable(e) => out.problem(
                    "plan_paths",
                    format!(
                        "{p} (step {} {component}) cannot be read: {e}",
                        step.procedure_step
                    ),
                ),
            }
        }
    }
    present
}

/// What to do about a missing path of `component`.
fn missing_hint(component: Option<Component>, note: Option<&str>) -> String {
    match component {
        Some(Component::CcmStorage) => note
            .unwrap_or("set [ccm] storage_area to where the FileNet storage area is")
            .to_string(),
        Some(Component::Profiles | Component::DmgrProfile) => {
            "remove the stale entry from profileRegistry.xml (manageprofiles.sh \
             -validateAndUpdateRegistry) or restore the profile"
                .into()
        }
        Some(Component::SharedData | Component::LocalData | Component::Customizations) => {
            "mount the share or fix the WebSphere variable that names it".into()
        }
        _ => "fix the path (the [deployment] settings or the product's records) or mount it".into(),
    }
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
    super::estimate::newest_backup(repo, host, |_| true).map(|(id, _, s)| (id, s))
}

/// The newest snapshot of backup set `set` from a host other than `host` that holds the
/// databases (every database backup of it succeeded).
pub(crate) fn previous_backup_set_member(
    repo: &vault::Repository,
    set: &str,
    host: &str,
) -> Option<crate::manifest::SetMember> {
    let list = repo.list_snapshots().ok()?;
    list.into_iter()
        .filter_map(|(id, s)| s.ok().map(|s| (id, s)))
        .filter_map(|(id, s)| {
            let summary = s.application.as_ref().and_then(Summary::from_application)?;
            Some((s.time, id, summary))
        })
        .filter(|(_, _, s)| s.backup_set == set && s.host != host && s.holds_databases())
        .max_by_key(|(t, _, _)| *t)
        .map(|(_, id, s)| crate::manifest::SetMember {
            host: s.host,
            snapshot: id.to_hex(),
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_estimates_say_what_they_are_based_on() {
        let first = repository_estimate(
            None,
            Some(10 << 20),
            Some(&Estimate {
                bytes: 5 << 20,
                basis: String::new(),
            }),
        );
        assert_eq!(first.bytes, 15 << 20);
        assert!(first.basis.contains("first backup"), "{}", first.basis);
        assert!(first.basis.contains("10.0 MiB"), "{}", first.basis);
    }

    #[test]
    fn missing_paths_say_what_to_do() {
        assert!(missing_hint(Some(Component::Profiles), None).contains("validateAndUpdateRegistry"));
        assert!(missing_hint(Some(Component::CcmStorage), None).contains("[ccm] storage_area"));
    }
}
