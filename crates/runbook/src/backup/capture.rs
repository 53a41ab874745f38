//! The work of the outage: the databases phase (staged vendor images), then one vault
//! pipeline run that stores the file components, the images and the streamed dumps; when
//! every source is stored, the servers are started again (`--restart`), and the manifest,
//! which records those starts, goes into the same snapshot.

use std::path::{Path, PathBuf};

use vault::backup::{FinishAdditions, ParentChoice, SourceReport};

use super::checks::previous_backup;
use super::dbsources::{prepare_databases, DbSource};
use super::error::{ServersAfter, StoreFailure};
use super::files::FileSources;
use super::fsmode;
use super::input::BackupInput;
use super::outage::Restarted;
use super::recorder::{ManifestFacts, Recorder};
use super::roles::Roles;
use super::verify::verify_images;
use crate::databases::DatabaseTool;
use crate::fssnap::Snapshots;
use crate::manifest::{
    ComponentRecord, Manifest, OutageWindow, Status, StepStatus, MANIFEST_PATH, ROLE_MAPPINGS_PATH,
};
use crate::plan::{Action, Component, Plan};
use crate::procedure::{Duty, Ended, Phase, PhaseStatus, Procedure};

/// What the capture works from.
pub(crate) struct CaptureInput<'a> {
    pub(crate) input: &'a BackupInput<'a>,
    pub(crate) plan: &'a Plan,
    pub(crate) host: &'a str,
    pub(crate) started_ns: i64,
    pub(crate) repo: &'a vault::Repository,
    pub(crate) tool: Option<&'a dyn DatabaseTool>,
    pub(crate) missing_paths: &'a [String],
    /// This run's staging subdirectory.
    pub(crate) staging: PathBuf,
    pub(crate) roles: &'a Roles,
    /// False when the servers did not stop (`--on-stop-failure files`): no database is
    /// touched.
    pub(crate) databases: bool,
}

/// The snapshot written.
pub(crate) struct Captured {
    pub(crate) manifest: Manifest,
    pub(crate) snapshot_id: vault::SnapshotId,
}

/// Why the capture wrote no snapshot.
pub(crate) struct CaptureFailed {
    pub(crate) during: &'static str,
    pub(crate) source: StoreFailure,
}

/// The databases phase, then the files and snapshot phases (see the module documentation).
pub(crate) fn capture(
    p: &mut Procedure<'_>,
    duty: &mut Duty<'_, Restarted>,
    c: &CaptureInput<'_>,
    rec: &mut Recorder,
) -> Result<Captured, CaptureFailed> {
    let dbs = p.phase(Phase::Databases, |s| {
        if !c.databases {
            return databases_left_out(c, rec);
        }
        let dbs = prepare_databases(c.plan, c.tool, &c.input.database, &c.staging, s, rec);
        let failed = rec.databases.iter().any(|x| x.status == StepStatus::Failed);
        let status = if failed {
            PhaseStatus::Failed
        } else if dbs.is_empty() && rec.databases.is_empty() {
            PhaseStatus::Skipped
        } else {
            PhaseStatus::Ok
        };
        let message = if dbs.iter().any(DbSource::streamed) {
            format!("{} dump(s) stream during the files phase", dbs.len())
        } else {
            format!(
                "{} database(s) staged, {} at a time",
                dbs.iter().filter(|d| d.staged()).count(),
                c.input.database.parallel()
            )
        };
        Ended::with(dbs, status, message)
    });
    let files = FileSources::build(c.plan, c.missing_paths, c.input.sysroot);
    let snaps = c.input.snapshot.as_ref().and_then(|cfg| {
        let paths = files.real_paths(c.input.sysroot);
        fsmode::take(p, cfg, &paths, &c.started_ns.to_string())
    });
    // the files are at rest in the snapshots: the servers may start again now
    let capture_ended_ns = snaps.as_ref().map(|_| {
        let ended = vault::now_unix_ns();
        restart(p, duty, rec);
        ended
    });
    let read = Reading {
        files: &files,
        snaps,
        capture_ended_ns,
    };
    store(p, duty, c, rec, &dbs, read)
}

/// Starts the servers again (`--restart`; nothing without it), recording the starts.
fn restart(p: &mut Procedure<'_>, duty: &mut Duty<'_, Restarted>, rec: &mut Recorder) {
    if let Some(restarted) = duty.discharge(p) {
        rec.servers.extend(restarted.records.iter().cloned());
    }
}

/// Where the files phase reads the file components.
struct Reading<'f> {
    files: &'f FileSources,
    /// The file-system snapshots they are read from (snapshot mode), removed once read.
    snaps: Option<Snapshots>,
    /// When the capture ended, when it ended before the files were read (snapshot mode:
    /// the servers were started again already).
    capture_ended_ns: Option<i64>,
}

/// The servers did not stop: the database step fails without touching a database.
fn databases_left_out(c: &CaptureInput<'_>, rec: &mut Recorder) -> Ended<Vec<DbSource>> {
    let runs = c
        .plan
        .steps
        .iter()
        .any(|s| s.action == Action::BackupDatabases && s.runs);
    if !runs {
        return Ended::skipped(Vec::new(), "no databases in the plan");
    }
    let message = "not run: the servers did not stop (--on-stop-failure files)";
    rec.fail_step(Action::BackupDatabases, message);
    rec.step_done(
        Action::BackupDatabases,
        StepStatus::Failed,
        Some(message.to_string()),
        0,
    );
    Ended::failed(Vec::new(), message)
}

/// The files phase and the snapshot phase: one pipeline run.
fn store(
    p: &mut Procedure<'_>,
    duty: &mut Duty<'_, Restarted>,
    c: &CaptureInput<'_>,
    rec: &mut Recorder,
    dbs: &[DbSource],
    read: Reading<'_>,
) -> Result<Captured, CaptureFailed> {
    let sys = c.input.sysroot;
    let Reading {
        files,
        mut snaps,
        capture_ended_ns,
    } = read;
    let fs_snapshot = snaps
        .as_ref()
        .and(c.input.snapshot.as_ref())
        .map(|cfg| cfg.method);
    p.begin(Phase::Files);
    let mut sources: Vec<_> = dbs.iter().flat_map(DbSource::sources).collect();
    let read_at = |real: PathBuf| match &snaps {
        Some(s) => fsmode::mapped(s, &real),
        None => real,
    };
    match files.sources(sys, &read_at) {
        Ok(s) => sources.extend(s),
        Err(e) => {
            p.end(PhaseStatus::Failed, e.to_string());
            return Err(CaptureFailed {
                during: "preparing the file components",
                source: StoreFailure::Path(e),
            });
        }
    }
    let parent = previous_backup(c.repo, c.host)
        .map(|(id, _)| ParentChoice::Explicit(id.to_hex()))
        .unwrap_or(ParentChoice::None);
    let vopts = vault::backup::BackupOptions {
        host: c.host.to_string(),
        parent,
        progress: c.input.options.progress.clone(),
        ..vault::backup::BackupOptions::default()
    };
    let mut built: Option<Manifest> = None;
    let outcome = vault::backup::backup_sources_with_finish(c.repo, sources, &vopts, |reports| {
        record_sources(p, c, rec, dbs, files, reports);
        // every file is read: the file-system snapshots can go
        if let Some(s) = snaps.take() {
            rec.warnings.extend(
                s.remove()
                    .into_iter()
                    .map(|e| format!("file-system snapshot left behind: {e}")),
            );
        }
        // every source is read and stored: the servers may start again (unless they did
        // already, after the file-system snapshots)
        let capture_ended_ns = capture_ended_ns.unwrap_or_else(|| {
            let ended = vault::now_unix_ns();
            restart(p, duty, rec);
            ended
        });
        let mut scope = p.begin(Phase::Snapshot);
        if let Some(tool) = c.tool {
            verify_images(tool, dbs, &mut scope, rec);
        }
        // staged backups run side by side; streamed dumps are read as the pipeline goes
        let database_parallel = dbs
            .iter()
            .any(DbSource::staged)
            .then(|| c.input.database.parallel());
        let manifest = rec.manifest(ManifestFacts {
            deployment: c.input.deployment,
            options: &c.input.options,
            program_version: &c.input.program_version,
            host: c.host,
            started_ns: c.started_ns,
            roles: c.roles.export.clone(),
            phases: p.records().to_vec(),
            outage: OutageWindow::from_phases(p.records(), capture_ended_ns),
            database_parallel,
            fs_snapshot,
        });
        let additions = finish_additions(&manifest, &c.input.options.tags);
        built = Some(manifest);
        additions
    });
    match (outcome, built) {
        (Ok(o), Some(manifest)) => {
            let status = match manifest.status {
                Status::Complete => PhaseStatus::Ok,
                Status::Incomplete => PhaseStatus::Failed,
            };
            let word = match manifest.status {
                Status::Complete => "complete",
                Status::Incomplete => "INCOMPLETE",
            };
            p.end(status, format!("snapshot {} ({word})", o.snapshot_id));
            Ok(Captured {
                manifest,
                snapshot_id: o.snapshot_id,
            })
        }
        (Ok(o), None) => {
            p.end(PhaseStatus::Failed, "the snapshot has no manifest".into());
            Err(CaptureFailed {
                during: "writing the snapshot",
                source: StoreFailure::NoManifest(o.snapshot_id.to_hex()),
            })
        }
        (Err(e), _) => {
            p.end(PhaseStatus::Failed, e.to_string());
            Err(CaptureFailed {
                during: "backing up the file components and database images",
                source: StoreFailure::Pipeline(e),
            })
        }
    }
}

/// Every source's outcome into the records, then the end of the files phase.
fn record_sources(
    p: &mut Procedure<'_>,
    c: &CaptureInput<'_>,
    rec: &mut Recorder,
    dbs: &[DbSource],
    files: &FileSources,
    reports: &[SourceReport],
) {
    let mut events = Vec::new();
    for db in dbs {
        db.record(reports, rec, &mut events);
    }
    files.record(reports, rec, &mut events);
    rec.components.push(role_mappings_record(c.roles));
    let mut scope = p.scope(Phase::Files);
    for e in &events {
        scope.forward(e);
    }
    let failed = rec
        .components
        .iter()
        .any(|x| x.status == StepStatus::Failed);
    let own: Vec<&ComponentRecord> = rec
        .components
        .iter()
        .filter(|x| x.stored_with.is_none() && x.status != StepStatus::Skipped)
        .collect();
    let message = format!(
        "{} component(s), {} files, {} bytes ({} read)",
        own.len(),
        own.iter().map(|x| x.files).sum::<u64>(),
        own.iter().map(|x| x.bytes).sum::<u64>(),
        reports.iter().map(|r| r.bytes_read).sum::<u64>()
    );
    let status = if failed {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    p.end(status, message);
}

/// The role mappings as a component record (`/.cnxbackup/role-mappings.json`).
fn role_mappings_record(roles: &Roles) -> ComponentRecord {
    ComponentRecord {
        component: Component::RoleMappings,
        procedure_step: "9 note".into(),
        paths: vec![ROLE_MAPPINGS_PATH.to_string()],
        excludes: Vec::new(),
        stored_with: None,
        status: roles.status,
        files: 1,
        dirs: 0,
        bytes: roles_json(roles).len() as u64,
        duration_ms: 0,
        message: Some(format!(
            "{} application(s); the raw binding files are in dmgr_profile",
            roles.export.applications.len()
        )),
        warnings: roles.export.errors.clone(),
    }
}

fn roles_json(roles: &Roles) -> Vec<u8> {
    // plain data with string keys: serialising cannot fail
    serde_json::to_vec_pretty(&roles.export).unwrap_or_default()
}

/// The manifest, the role mappings, the application document and the tags.
fn finish_additions(manifest: &Manifest, extra_tags: &[String]) -> FinishAdditions {
    let mut tags = vec![
        "cnxbackup".to_string(),
        format!("set:{}", manifest.backup_set),
    ];
    tags.extend(extra_tags.iter().cloned());
    if manifest.status == Status::Incomplete {
        tags.push("incomplete".to_string());
    }
    FinishAdditions {
        files: vec![
            (PathBuf::from(MANIFEST_PATH), manifest.to_json(), 0o644),
            (
                PathBuf::from(ROLE_MAPPINGS_PATH),
                serde_json::to_vec_pretty(&manifest.role_mappings).unwrap_or_default(),
                0o644,
            ),
        ],
        application: Some(manifest.summary().to_application()),
        tags,
    }
}

/// After the snapshot is durable: remove this run's staged images.
pub(crate) fn cleanup(p: &mut Procedure<'_>, staging: &Path) {
    if !staging.exists() {
        return;
    }
    p.phase(Phase::Cleanup, |s| match std::fs::remove_dir_all(staging) {
        Ok(()) => Ended::ok((), format!("removed {}", staging.display())),
        Err(e) => {
            let m = format!("could not remove {}: {e}", staging.display());
            s.warn(m.clone());
            Ended::failed((), m)
        }
    });
}

/// What the error says about the servers after a failed capture.
pub(crate) fn servers_after(restart: Option<&Restarted>) -> ServersAfter {
    match restart {
        None => ServersAfter::LeftStopped,
        Some(r) if r.failed.is_empty() => ServersAfter::Started,
        Some(r) => ServersAfter::RestartFailed(r.failed.join("; ")),
    }
}
