//! Database steps as backup sources, handed to the pipeline before any database is backed
//! up ([`start_databases`]) so the file components are read while the databases run:
//!
//! - a staged image (DB2, SQL Server, Oracle) is a *pending* source per database, its
//!   directory `/.cnxbackup/databases/<DB>/`: the databases phase ([`run_databases`]) tells
//!   the pipeline where it is as soon as that database's backup ended, and the pipeline
//!   stores it then (while other databases still run, or after the restart). The pipeline
//!   reports each file's SHA-256, checked against what the vendor step recorded; the
//!   directory also holds the database's transcript ([`TRANSCRIPT_NAME`]), stored whether
//!   the backup succeeded or not;
//! - the `command` vendor's dump is started when the pipeline first reads its source, and
//!   its stdout flows through a pipe straight into the repository (nothing staged); its
//!   SHA-256 is checked the same way.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use vault::backup::{BackupSource, PendingSender, SourceReport};

use super::dbjobs::{job_dir, DbJob, DbOutcome, Finished, Runner, TRANSCRIPT_NAME};
use super::recorder::Recorder;
use crate::clock::millis;
use crate::databases::{
    build_tool, prepare_staging, BackupSink, DatabaseTarget, DatabaseTool, DbError, ImageRecord,
    ToolConfig, Vendor,
};
use crate::manifest::{DatabaseRecord, StepStatus, DATABASES_DIR};
use crate::plan::{Action, Plan};
use crate::procedure::{Event, Item, Phase, Scope};

/// Where a database's files go in the snapshot.
pub(crate) fn db_dir(name: &str) -> String {
    format!("{DATABASES_DIR}/{name}")
}

/// The dump thread's result: the image record, or the vendor tool's error (shared: the
/// reader turns it into a read error and the record keeps it).
type DumpResult = Arc<Mutex<Option<Result<ImageRecord, Arc<DbError>>>>>;

/// One database whose backup the pipeline stores.
pub(crate) enum DbSource {
    /// Images staged in the database's staging subdirectory (its pending source).
    Staged {
        target: DatabaseTarget,
        image: Box<ImageRecord>,
        dir: PathBuf,
        started_ns: i64,
        ended_ns: i64,
    },
    /// A dump that runs while the pipeline reads it.
    Streamed {
        target: DatabaseTarget,
        result: DumpResult,
    },
}

/// The database step of a run, decided before any database is touched.
pub(crate) struct DbStart {
    /// For the pipeline, from its start: each staged database's pending directory, or
    /// each streamed dump.
    pub(crate) sources: Vec<BackupSource>,
    /// What the databases phase then does.
    pub(crate) work: DbWork,
}

/// What the databases phase does ([`run_databases`]).
pub(crate) enum DbWork {
    /// No database step (the message, if any, says why).
    Skipped(Option<String>),
    /// Dumps the pipeline runs as it reads them.
    Streamed(Vec<DbSource>),
    /// Vendor backups into the staging directory; each database's sender tells the
    /// pipeline where its directory is once its backup ended.
    Staged(Vec<(DatabaseTarget, PendingSender)>),
}

impl DbSource {
    pub(crate) fn streamed(&self) -> bool {
        matches!(self, DbSource::Streamed { .. })
    }

    pub(crate) fn staged(&self) -> bool {
        matches!(self, DbSource::Staged { .. })
    }

    /// A staged image: the database, its record and its staging subdirectory.
    pub(crate) fn as_staged(&self) -> Option<(&DatabaseTarget, &ImageRecord, &Path)> {
        match self {
            DbSource::Staged {
                target, image, dir, ..
            } => Some((target, image, dir)),
            DbSource::Streamed { .. } => None,
        }
    }

    fn name(&self) -> &str {
        match self {
            DbSource::Staged { image, .. } => &image.database,
            DbSource::Streamed { target, .. } => &target.name,
        }
    }

    fn stored_paths(&self) -> Vec<String> {
        match self {
            DbSource::Staged { image, .. } => image
                .files
                .iter()
                .map(|f| format!("{}/{}", db_dir(&image.database), f.name))
                .collect(),
            DbSource::Streamed { target, .. } => {
                vec![format!("{}/{}.dump", db_dir(&target.name), target.name)]
            }
        }
    }

    /// The SHA-256 the pipeline computed for each stored file of this database, in the
    /// order of its image's files: `Err` names what was not stored.
    fn stored_hashes(
        &self,
        image: &ImageRecord,
        reports: &[SourceReport],
    ) -> Result<Vec<Option<String>>, String> {
        let (stored_as, streamed) = match self {
            DbSource::Staged { .. } => (db_dir(self.name()), false),
            DbSource::Streamed { .. } => (self.stored_paths().remove(0), true),
        };
        let rep = reports
            .iter()
            .find(|x| x.stored_as == Path::new(&stored_as))
            .ok_or_else(|| format!("{stored_as}: not stored"))?;
        if !rep.stored {
            let why = rep
                .warnings
                .first()
                .map(|w| w.to_string())
                .unwrap_or_else(|| "not stored".into());
            return Err(format!("{}: {why}", self.name()));
        }
        Ok(image
            .files
            .iter()
            .map(|f| match streamed {
                true => rep.sha256.clone(),
                false => rep.file_sha256.get(Path::new(&f.name)).cloned(),
            })
            .collect())
    }

    /// Records the outcome from the pipeline's reports.
    pub(crate) fn record(
        &self,
        reports: &[SourceReport],
        r: &mut Recorder,
        events: &mut Vec<Event>,
    ) {
        let stored = self.stored_paths();
        let image = match self {
            DbSource::Staged { image, .. } => Ok((**image).clone()),
            DbSource::Streamed { result, .. } => result
                .lock()
                .ok()
                .and_then(|mut g| g.take())
                .map(|r| r.map_err(|e| e.to_string()))
                .unwrap_or_else(|| Err(format!("{}: the dump never ran", self.name()))),
        };
        let outcome = image.and_then(|image| {
            let hashes = self.stored_hashes(&image, reports)?;
            for ((f, p), sha) in image.files.iter().zip(&stored).zip(hashes) {
                if sha.as_deref() != Some(f.sha256.as_str()) {
                    return Err(format!(
                        "{}: the image stored at {p} has SHA-256 {}, the vendor step recorded {}",
                        self.name(),
                        sha.as_deref().unwrap_or("-"),
                        f.sha256
                    ));
                }
            }
            Ok(image)
        });
        let total = r.db_total;
        match outcome {
            Ok(image) => {
                let (started_ns, ended_ns) = match self {
                    DbSource::Staged {
                        started_ns,
                        ended_ns,
                        ..
                    } => (Some(*started_ns), Some(*ended_ns)),
                    DbSource::Streamed { .. } => (None, None),
                };
                r.databases.push(DatabaseRecord {
                    stored_paths: stored,
                    image: Some(image),
                    started_ns,
                    ended_ns,
                    ..DatabaseRecord::new(self.name(), StepStatus::Ok)
                });
            }
            Err(message) => {
                events.push(Event::Warning {
                    phase: Phase::Databases,
                    message: message.clone(),
                });
                r.fail_db(self.name(), message);
            }
        }
        if self.streamed() {
            let last = r.databases.last();
            events.push(Event::Progress {
                phase: Phase::Databases,
                item: self.name().to_string(),
                done: r.databases.len(),
                total,
                files: None,
                bytes: last.and_then(|d| d.image.as_ref()).map(|i| i.bytes),
                status: if last.is_some_and(|d| d.status == StepStatus::Ok) {
                    "ok".into()
                } else {
                    "failed".into()
                },
            });
        }
    }
}

/// Each database's transcript, when the pipeline stored it (failed databases' too), as its
/// record's `log`.
pub(crate) fn record_transcripts(reports: &[SourceReport], r: &mut Recorder) {
    for d in &mut r.databases {
        let dir = db_dir(&d.database);
        let stored = reports.iter().any(|x| {
            x.stored_as == Path::new(&dir)
                && x.stored
                && x.file_sha256.contains_key(Path::new(TRANSCRIPT_NAME))
        });
        if stored {
            d.log = Some(format!("{dir}/{TRANSCRIPT_NAME}"));
        }
    }
}

/// The database step of this run before anything runs: the sources the pipeline starts
/// with, and the work of the databases phase. Touches nothing.
pub(crate) fn start_databases(
    plan: &Plan,
    tool: Option<&dyn DatabaseTool>,
    cfg: &ToolConfig,
) -> DbStart {
    let step = plan
        .steps
        .iter()
        .find(|s| s.action == Action::BackupDatabases && s.runs);
    let (step, tool) = match (step, tool) {
        (None, _) => return DbStart::skipped(None),
        (Some(_), None) => return DbStart::skipped(Some("no database tool".into())),
        (Some(step), Some(tool)) => (step, tool),
    };
    let mut sources = Vec::new();
    if tool.vendor() == Vendor::Command {
        let mut cfg = cfg.clone();
        cfg.vendor = Some(Vendor::Command);
        let mut dumps = Vec::new();
        for db in &step.databases {
            let target = target_of(db);
            let result: DumpResult = Arc::new(Mutex::new(None));
            let reader = DumpReader {
                target: target.clone(),
                cfg: cfg.clone(),
                result: result.clone(),
                pipe: None,
                thread: None,
            };
            let stored = format!("{}/{}.dump", db_dir(&target.name), target.name);
            sources.push(BackupSource::stream(
                stored,
                Box::new(reader),
                0o600,
                vault::now_unix_ns(),
            ));
            dumps.push(DbSource::Streamed { target, result });
        }
        return DbStart {
            sources,
            work: DbWork::Streamed(dumps),
        };
    }
    let mut staged = Vec::new();
    for db in &step.databases {
        let (source, sender) = BackupSource::pending(db_dir(&db.name));
        sources.push(source);
        staged.push((target_of(db), sender));
    }
    DbStart {
        sources,
        work: DbWork::Staged(staged),
    }
}

impl DbStart {
    fn skipped(why: Option<String>) -> DbStart {
        DbStart {
            sources: Vec::new(),
            work: DbWork::Skipped(why),
        }
    }
}

/// The databases phase: runs the staged vendor backups (up to the parallel limit), handing
/// each database's directory to the pipeline as soon as its backup ended; the streamed
/// dumps run as the pipeline reads them. Failures are recorded; the others go on.
pub(crate) fn run_databases(
    work: DbWork,
    tool: Option<&dyn DatabaseTool>,
    cfg: &ToolConfig,
    staging: &Path,
    s: &mut Scope<'_, '_>,
    r: &mut Recorder,
) -> Vec<DbSource> {
    let (staged, tool) = match (work, tool) {
        (DbWork::Skipped(why), _) => {
            r.step_done(Action::BackupDatabases, StepStatus::Skipped, why, 0);
            return Vec::new();
        }
        (DbWork::Streamed(dumps), _) => {
            r.db_total = dumps.len();
            r.step_done(Action::BackupDatabases, StepStatus::Ok, None, 0);
            return dumps;
        }
        (DbWork::Staged(staged), Some(tool)) => (staged, tool),
        (DbWork::Staged(_), None) => {
            r.step_done(
                Action::BackupDatabases,
                StepStatus::Skipped,
                Some("no database tool".into()),
                0,
            );
            return Vec::new();
        }
    };
    let t = std::time::Instant::now();
    let total = staged.len();
    r.db_total = total;
    if let Err(e) = prepare_staging(staging, cfg.run_as.as_deref()) {
        // Reported once; the databases are named as not tried.
        s.warn(format!("staging directory: {e}"));
        for (i, (target, sender)) in staged.into_iter().enumerate() {
            sender.nothing();
            r.fail_db(
                &target.name,
                if i == 0 {
                    format!("staging directory: {e}")
                } else {
                    "not tried: the staging directory cannot be used".into()
                },
            );
        }
        r.step_done(
            Action::BackupDatabases,
            StepStatus::Failed,
            Some(e.to_string()),
            millis(t),
        );
        return Vec::new();
    }
    // the pipeline reads each database's directory by its path, which must be absolute
    // (`database.staging_dir` may be relative to the working directory)
    let staging = std::path::absolute(staging).unwrap_or_else(|_| staging.to_path_buf());
    let (targets, senders): (Vec<_>, Vec<_>) = staged.into_iter().unzip();
    let mut senders: Vec<Option<PendingSender>> = senders.into_iter().map(Some).collect();
    let jobs: Vec<DbJob> = targets
        .into_iter()
        .map(|target| DbJob {
            dir: job_dir(&staging, &target.name),
            target,
        })
        .collect();
    let runner = Runner {
        tool,
        run_as: cfg.run_as.as_deref(),
        limit: cfg.parallel(),
        common_cause: &DbError::common_cause,
    };
    let mut out: Vec<Option<DbSource>> = jobs.iter().map(|_| None).collect();
    let mut done = 0;
    runner.run(&jobs, |f| {
        done += 1;
        let index = f.index;
        let Some(job) = jobs.get(index) else { return };
        let (source, bytes, status) = finished(job, f, s, r);
        if let Some(sender) = senders.get_mut(index).and_then(Option::take) {
            hand_over(job, source.is_some(), sender);
        }
        s.progress(Item {
            bytes,
            ..Item::new(&job.target.name, done, total, status)
        });
        if let Some(slot) = out.get_mut(index) {
            *slot = source;
        }
    });
    let failed = r
        .databases
        .iter()
        .filter(|d| d.status == StepStatus::Failed)
        .count();
    r.step_done(
        Action::BackupDatabases,
        if failed == 0 {
            StepStatus::Ok
        } else {
            StepStatus::Failed
        },
        (failed > 0).then(|| format!("{failed} of {total} database backup(s) failed")),
        millis(t),
    );
    out.into_iter().flatten().collect()
}

/// Tells the pipeline where a database's directory is, now that its backup ended: its
/// images and transcript, or (a failed backup) its transcript alone — what a failed backup
/// left beside it is no image and is not stored. A database without a transcript (not
/// tried) is left out: its record says why.
fn hand_over(job: &DbJob, succeeded: bool, sender: PendingSender) {
    if !succeeded {
        keep_only_transcript(&job.dir);
    }
    if succeeded || job.transcript().is_file() {
        sender.ready(&job.dir);
    } else {
        sender.nothing();
    }
}

/// Removes everything but the transcript from a failed database's staging subdirectory.
fn keep_only_transcript(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name() == TRANSCRIPT_NAME {
            continue;
        }
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        if let Err(e) = removed {
            tracing::warn!(path = %path.display(), "what a failed database backup left could not be removed (it is stored with its transcript): {e}");
        }
    }
}

/// One database's backup ended: its source (when staged), its size and status word for the
/// progress event; a failure is recorded and reported as a warning.
fn finished(
    job: &DbJob,
    f: Finished,
    s: &mut Scope<'_, '_>,
    r: &mut Recorder,
) -> (Option<DbSource>, Option<u64>, &'static str) {
    let name = &job.target.name;
    let (message, word) = match f.outcome {
        DbOutcome::Done(image) => {
            for w in &image.warnings {
                s.warn(format!("{name}: {w}"));
            }
            let bytes = image.bytes;
            let source = DbSource::Staged {
                target: job.target.clone(),
                image: Box::new(image),
                dir: job.dir.clone(),
                started_ns: f.started_ns,
                ended_ns: f.ended_ns,
            };
            return (Some(source), Some(bytes), "ok");
        }
        DbOutcome::Failed { error, common } => {
            let mut message = error.to_string();
            if let Some(cause) = common {
                message.push_str(&format!(
                    "\n  {cause}: the databases not yet begun are not tried (those running finish)"
                ));
            }
            s.warn(message.clone());
            (message, "failed")
        }
        DbOutcome::NotTried { first, cause } => (
            format!("not tried: {cause} (the backup of {first} failed for it)"),
            "not_tried",
        ),
    };
    r.fail_db(name, message);
    if let Some(d) = r.databases.last_mut() {
        if word == "failed" {
            d.started_ns = Some(f.started_ns);
            d.ended_ns = Some(f.ended_ns);
        }
    }
    (None, None, word)
}

/// The vendor tool's view of a planned database.
fn target_of(db: &crate::plan::DatabaseRef) -> DatabaseTarget {
    DatabaseTarget {
        name: db.name.clone(),
        host: db.host.clone(),
        port: db.port,
        schemas: db.schemas.clone(),
    }
}

/// The `command` vendor's dump as a reader: the dump command starts at the first read;
/// at the end a failed dump turns into a read error, so the pipeline leaves the partial
/// file out of the snapshot.
pub(crate) struct DumpReader {
    target: DatabaseTarget,
    cfg: ToolConfig,
    result: DumpResult,
    pipe: Option<std::fs::File>,
    thread: Option<JoinHandle<()>>,
}

impl DumpReader {
    fn start(&mut self) -> io::Result<()> {
        let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io::Error::from)?;
        let mut writer = std::fs::File::from(w);
        self.pipe = Some(std::fs::File::from(r));
        let (target, cfg, slot) = (self.target.clone(), self.cfg.clone(), self.result.clone());
        self.thread = Some(std::thread::spawn(move || {
            let result = build_tool(&cfg)
                .and_then(|tool| tool.backup(&target, BackupSink::Stream(&mut writer)))
                .map_err(Arc::new);
            drop(writer);
            if let Ok(mut g) = slot.lock() {
                *g = Some(result);
            }
        }));
        Ok(())
    }
}

impl Read for DumpReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pipe.is_none() {
            self.start()?;
        }
        let n = match self.pipe.as_mut() {
            Some(p) => p.read(buf)?,
            None => 0,
        };
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        // End of the dump: wait for the command and report its failure as a read error.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let failed = self
            .result
            .lock()
            .ok()
            .and_then(|g| g.as_ref().and_then(|r| r.as_ref().err().cloned()));
        match failed {
            Some(e) => Err(io::Error::other(e)),
            None => Ok(0),
        }
    }
}

impl Drop for DumpReader {
    fn drop(&mut self) {
        // the pipeline gave up on this source: close our end so the dump sees EPIPE
        self.pipe = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
