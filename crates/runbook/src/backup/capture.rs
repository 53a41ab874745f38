//! The work of the outage. One vault pipeline run stores everything as ONE snapshot, and it
//! starts right after the stop, so the file components are read while the databases are
//! backed up (the servers are stopped, the files are at rest); each database's image is
//! stored as soon as its backup ended ([`super::dbsources`]). The capture is done when every
//! database backup ended and every file was read (snapshot mode: when the databases ended,
//! the files being read from the file-system snapshots): the servers start again then
//! (`--restart`), while the pipeline still stores what is left — the images, the uploads to
//! a remote repository. Once everything is stored, the checks after the restart run
//! ([`super::verify`]: the vendor's image checks, the repository check), then the manifest,
//! which records the starts and the checks, goes into the same snapshot: it is COMPLETE only
//! if they passed.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use vault::backup::{BackupOutcome, FinishAdditions, ParentChoice, SourceReport};

use super::checks::previous_backup;
use super::dbsources::{record_transcripts, run_databases, start_databases, DbSource, DbWork};
use super::error::{ServersAfter, StoreFailure};
use super::files::FileSources;
use super::fsmode;
use super::input::BackupInput;
use super::outage::Restarted;
use super::recorder::{ManifestFacts, Recorder};
use super::roles::Roles;
use super::verify::{check_stored, verify_images};
use crate::databases::DatabaseTool;
use crate::declared::StagedComponent;
use crate::fssnap::Snapshots;
use crate::manifest::{
    ComponentRecord, Manifest, OutageWindow, Status, StepStatus, MANIFEST_PATH, ROLE_MAPPINGS_PATH,
};
use crate::plan::{Action, Component, Plan};
use crate::procedure::{Beside, Duty, Ended, Phase, PhaseStatus, Procedure};

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

/// The pipeline's side of the run: its reports go to the procedure once every source is
/// stored, and it waits there for what the procedure adds (the manifest).
struct Exchange {
    reports: mpsc::SyncSender<Vec<SourceReport>>,
    additions: mpsc::Receiver<FinishAdditions>,
}

impl Exchange {
    /// The finish hook: hands over the reports, returns the additions.
    fn finish(self, reports: &[SourceReport]) -> FinishAdditions {
        // a procedure that is gone (it panicked: the bracket restarts the servers and the
        // panic goes on) must not leave a snapshot without a manifest behind
        let handed = self.reports.send(reports.to_vec());
        match (handed, self.additions.recv()) {
            (Ok(()), Ok(additions)) => additions,
            _ => panic!("the backup procedure ended before it built the manifest"),
        }
    }
}

/// The file-system snapshots (snapshot mode), the pipeline beside the databases phase, the
/// restart, the checks and the manifest (see the module documentation).
pub(crate) fn capture(
    p: &mut Procedure<'_>,
    duty: &mut Duty<'_, Restarted>,
    c: &CaptureInput<'_>,
    running: Vec<StagedComponent>,
    rec: &mut Recorder,
) -> Result<Captured, CaptureFailed> {
    let sys = c.input.sysroot;
    let files = FileSources::build(c.plan, c.missing_paths, sys);
    // snapshot mode: the file components' volumes, right after the stop
    let snaps =
        c.input.snapshot.as_ref().and_then(|cfg| {
            fsmode::take(p, cfg, &files.real_paths(sys), &c.started_ns.to_string())
        });
    let db = match c.databases {
        true => start_databases(c.plan, c.tool, &c.input.database),
        false => super::dbsources::DbStart {
            sources: Vec::new(),
            work: DbWork::Skipped(None),
        },
    };
    let read_at = |real: PathBuf| match &snaps {
        Some(s) => fsmode::mapped(s, &real),
        None => real,
    };
    let declared = super::declared::start(c.input, &running);
    let mut sources = db.sources;
    sources.extend(declared.sources);
    match files.sources(sys, &read_at) {
        Ok(s) => sources.extend(s),
        Err(e) => {
            p.phase(Phase::Files, |_| Ended::failed((), e.to_string()));
            return Err(CaptureFailed {
                during: "preparing the file components",
                source: StoreFailure::Path(e),
            });
        }
    }
    let fs_snapshot = snaps
        .as_ref()
        .and(c.input.snapshot.as_ref())
        .map(|cfg| cfg.method);
    let parent = previous_backup(c.repo, c.host)
        .map(|(id, _)| ParentChoice::Explicit(id.to_hex()))
        .unwrap_or(ParentChoice::None);
    let (notice, read) = mpsc::channel();
    let vopts = vault::backup::BackupOptions {
        host: c.host.to_string(),
        parent,
        progress: c.input.options.progress.clone(),
        read_notice: Some(notice),
        ..vault::backup::BackupOptions::default()
    };
    let (reports_tx, reports) = mpsc::sync_channel(1);
    let (additions, additions_rx) = mpsc::sync_channel(1);
    let exchange = Exchange {
        reports: reports_tx,
        additions: additions_rx,
    };
    let repo = c.repo;
    std::thread::scope(|scope| {
        let pipeline = scope.spawn(move || {
            vault::backup::backup_sources_with_finish(repo, sources, &vopts, |r| exchange.finish(r))
        });
        let files_phase = p.begin_beside(Phase::Files);
        let components_staging = super::declared::staging_of(&c.staging);
        let mut components = running;
        if !declared.pending.is_empty() {
            components.extend(p.phase(Phase::Components, |s| {
                super::declared::stopped_phase(c.input, declared.pending, &components_staging, s)
            }));
        }
        let dbs = p.phase(Phase::Databases, |s| databases_phase(c, db.work, s, rec));
        let read_beside = read.try_recv().is_ok();
        if snaps.is_none() && !read_beside {
            // the live files: the servers stay stopped until every one is read (the
            // notice, or the pipeline ended early)
            let _ = read.recv();
        }
        let capture_ended_ns = vault::now_unix_ns();
        restart(p, duty, c, rec);
        let stored = Stored {
            files_phase,
            snaps,
            capture_ended_ns,
            fs_snapshot,
            read_beside,
        };
        let (manifest, unended) = match reports.recv() {
            Ok(r) => {
                super::declared::record(components, &r, rec);
                let (manifest, add) = after_storing(p, c, rec, &dbs, &files, stored, &r);
                // the pipeline waits for them: it cannot have ended
                let _ = additions.send(add);
                (Some(manifest), None)
            }
            // the pipeline ended early (its error comes with the join); the file-system
            // snapshots are removed as `stored` is dropped
            Err(_) => (None, Some(stored.files_phase)),
        };
        let outcome = match pipeline.join() {
            Ok(outcome) => outcome,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        snapshot_written(p, outcome, manifest, unended)
    })
}

/// The databases phase (see [`run_databases`]), or its failure when the servers did not
/// stop.
fn databases_phase(
    c: &CaptureInput<'_>,
    work: DbWork,
    s: &mut crate::procedure::Scope<'_, '_>,
    rec: &mut Recorder,
) -> Ended<Vec<DbSource>> {
    if !c.databases {
        return databases_left_out(c, rec);
    }
    let dbs = run_databases(work, c.tool, &c.input.database, &c.staging, s, rec);
    let failed = rec.databases.iter().any(|x| x.status == StepStatus::Failed);
    let status = if failed {
        PhaseStatus::Failed
    } else if dbs.is_empty() && rec.databases.is_empty() {
        PhaseStatus::Skipped
    } else {
        PhaseStatus::Ok
    };
    let message = if dbs.iter().any(DbSource::streamed) {
        format!("{} dump(s) stream into the repository", dbs.len())
    } else {
        format!(
            "{} database(s) staged, {} at a time; each stored as it ended",
            dbs.iter().filter(|d| d.staged()).count(),
            c.input.database.parallel()
        )
    };
    Ended::with(dbs, status, message)
}

/// Starts the servers again (`--restart`; nothing without it), recording the starts.
fn restart(
    p: &mut Procedure<'_>,
    duty: &mut Duty<'_, Restarted>,
    c: &CaptureInput<'_>,
    rec: &mut Recorder,
) {
    if let Some(restarted) = duty.discharge(p) {
        rec.servers.extend(restarted.records.iter().cloned());
        if restarted.failed.is_empty() {
            super::declared::after_start(c.input, c.host, rec);
        }
    }
}

/// What the run knows when everything is stored.
struct Stored {
    /// The files phase, begun beside the databases.
    files_phase: Beside,
    /// The file-system snapshots the files were read from, removed now.
    snaps: Option<Snapshots>,
    /// When the capture ended (the servers were started then).
    capture_ended_ns: i64,
    fs_snapshot: Option<crate::fssnap::SnapshotMethod>,
    /// Every file was read by the time the databases phase ended.
    read_beside: bool,
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

/// Every source is stored: the records, the end of the files phase, then the snapshot phase
/// — the checks after the restart and the manifest — up to the additions for the pipeline.
fn after_storing(
    p: &mut Procedure<'_>,
    c: &CaptureInput<'_>,
    rec: &mut Recorder,
    dbs: &[DbSource],
    files: &FileSources,
    stored: Stored,
    reports: &[SourceReport],
) -> (Manifest, FinishAdditions) {
    let Stored {
        files_phase,
        snaps,
        capture_ended_ns,
        fs_snapshot,
        read_beside,
    } = stored;
    // every file is read: the file-system snapshots can go
    if let Some(s) = snaps {
        rec.warnings.extend(
            s.remove()
                .into_iter()
                .map(|e| format!("file-system snapshot left behind: {e}")),
        );
    }
    record_sources(p, c, rec, dbs, files, reports, (files_phase, read_beside));
    let mut scope = p.begin(Phase::Snapshot);
    if let Some(tool) = c.tool {
        verify_images(tool, dbs, &mut scope, rec);
    }
    check_stored(c.repo, &mut scope, rec);
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
    (manifest, additions)
}

/// The end of the snapshot phase: the snapshot the pipeline wrote, or why there is none.
fn snapshot_written(
    p: &mut Procedure<'_>,
    outcome: Result<BackupOutcome, vault::backup::BackupError>,
    manifest: Option<Manifest>,
    files_phase: Option<Beside>,
) -> Result<Captured, CaptureFailed> {
    let end = |p: &mut Procedure<'_>, message: String| match files_phase {
        Some(files) => p.end_beside(files, PhaseStatus::Failed, message),
        None => p.end(PhaseStatus::Failed, message),
    };
    match (outcome, manifest) {
        (Ok(o), Some(manifest)) => {
            let (status, word) = match manifest.status {
                Status::Complete => (PhaseStatus::Ok, "complete"),
                Status::Incomplete => (PhaseStatus::Failed, "INCOMPLETE"),
            };
            p.end(status, format!("snapshot {} ({word})", o.snapshot_id));
            Ok(Captured {
                manifest,
                snapshot_id: o.snapshot_id,
            })
        }
        (Ok(o), None) => {
            end(p, "the snapshot has no manifest".into());
            Err(CaptureFailed {
                during: "writing the snapshot",
                source: StoreFailure::NoManifest(o.snapshot_id.to_hex()),
            })
        }
        (Err(e), _) => {
            // the files phase, or the snapshot phase if it began
            end(p, e.to_string());
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
    (files_phase, read_beside): (Beside, bool),
) {
    let mut events = Vec::new();
    for db in dbs {
        db.record(reports, rec, &mut events);
    }
    record_transcripts(reports, rec);
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
    let mut message = format!(
        "{} component(s), {} files, {} bytes ({} read)",
        own.len(),
        own.iter().map(|x| x.files).sum::<u64>(),
        own.iter().map(|x| x.bytes).sum::<u64>(),
        reports.iter().map(|r| r.bytes_read).sum::<u64>()
    );
    // whether reading the files beside the database backups kept the outage shorter
    if dbs.iter().any(DbSource::staged) {
        message.push_str(if read_beside {
            "; every file was read before the last database ended"
        } else {
            "; the files were still being read when the last database ended"
        });
    }
    let status = if failed {
        PhaseStatus::Failed
    } else {
        PhaseStatus::Ok
    };
    p.end_beside(files_phase, status, message);
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
        version: None,
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
