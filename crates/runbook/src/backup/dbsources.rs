//! Database steps as backup sources: staged images (DB2, SQL Server, Oracle) are backed up
//! to the staging directory before the pipeline runs and read from there; the `command`
//! vendor's dump is started when the pipeline first reads its source, and its stdout flows
//! through a pipe straight into the repository (nothing staged). Every stored image is
//! checked against the SHA-256 the vendor step recorded.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use vault::backup::{BackupSource, SourceReport};

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

/// One database ready to become sources.
pub(crate) enum DbSource {
    /// Images already in the database's staging subdirectory.
    Staged {
        target: DatabaseTarget,
        image: Box<ImageRecord>,
        dir: PathBuf,
        started_ns: i64,
        ended_ns: i64,
    },
    /// The transcript of a database's vendor commands ([`TRANSCRIPT_NAME`]), stored beside
    /// its images whether the backup succeeded or not.
    Transcript { database: String, path: PathBuf },
    /// A dump that runs while the pipeline reads it.
    Streamed {
        target: DatabaseTarget,
        result: DumpResult,
        reader: Mutex<Option<Box<DumpReader>>>,
    },
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
            _ => None,
        }
    }

    fn name(&self) -> &str {
        match self {
            DbSource::Staged { image, .. } => &image.database,
            DbSource::Streamed { target, .. } => &target.name,
            DbSource::Transcript { database, .. } => database,
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
            DbSource::Transcript { database, .. } => {
                vec![format!("{}/{TRANSCRIPT_NAME}", db_dir(database))]
            }
        }
    }

    /// The sources for this database (the staged files open now; a missing one is
    /// recorded when the reports come back).
    pub(crate) fn sources(&self) -> Vec<BackupSource> {
        let now = vault::now_unix_ns();
        match self {
            DbSource::Transcript { path, .. } => self
                .stored_paths()
                .into_iter()
                .map(|stored| BackupSource::path(path, stored))
                .collect(),
            DbSource::Staged { image, dir, .. } => image
                .files
                .iter()
                .zip(self.stored_paths())
                .map(|(f, stored)| {
                    let real = dir.join(&f.name);
                    let reader: Box<dyn Read + Send> = match std::fs::File::open(&real) {
                        Ok(file) => Box::new(file),
                        Err(e) => Box::new(FailingReader(Some(io::Error::new(
                            e.kind(),
                            format!("{}: {e}", real.display()),
                        )))),
                    };
                    BackupSource::stream(stored, reader, 0o600, now)
                })
                .collect(),
            DbSource::Streamed { reader, .. } => {
                let r = reader.lock().ok().and_then(|mut g| g.take());
                match r {
                    Some(r) => vec![BackupSource::stream(
                        self.stored_paths().remove(0),
                        r,
                        0o600,
                        now,
                    )],
                    None => Vec::new(),
                }
            }
        }
    }

    /// Records the outcome from the pipeline's reports.
    pub(crate) fn record(
        &self,
        reports: &[SourceReport],
        r: &mut Recorder,
        events: &mut Vec<Event>,
    ) {
        let stored = self.stored_paths();
        let find = |p: &str| reports.iter().find(|x| x.stored_as == Path::new(p));
        let image = match self {
            DbSource::Transcript { database, .. } => {
                let log = stored.first().filter(|p| find(p).is_some_and(|x| x.stored));
                if let Some(d) = r.databases.iter_mut().find(|d| d.database == *database) {
                    d.log = log.cloned();
                }
                return;
            }
            DbSource::Staged { image, .. } => Ok((**image).clone()),
            DbSource::Streamed { result, .. } => result
                .lock()
                .ok()
                .and_then(|mut g| g.take())
                .map(|r| r.map_err(|e| e.to_string()))
                .unwrap_or_else(|| Err(format!("{}: the dump never ran", self.name()))),
        };
        let outcome = image.and_then(|image| {
            for (f, p) in image.files.iter().zip(&stored) {
                let rep = find(p).ok_or_else(|| format!("{p}: not stored"))?;
                if !rep.stored {
                    let why = rep
                        .warnings
                        .first()
                        .map(|w| w.to_string())
                        .unwrap_or_else(|| "not stored".into());
                    return Err(format!("{}: {why}", self.name()));
                }
                if rep.sha256.as_deref() != Some(f.sha256.as_str()) {
                    return Err(format!(
                        "{}: the image stored at {p} has SHA-256 {}, the vendor step recorded {}",
                        self.name(),
                        rep.sha256.as_deref().unwrap_or("-"),
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
                    _ => (None, None),
                };
                r.databases.push(DatabaseRecord {
                    database: self.name().to_string(),
                    status: StepStatus::Ok,
                    stored_paths: stored,
                    image: Some(image),
                    error: None,
                    started_ns,
                    ended_ns,
                    log: None,
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

/// Runs the staged vendor backups now (one step per database) and prepares the streamed
/// ones. Failures are recorded; the others go on.
pub(crate) fn prepare_databases(
    plan: &Plan,
    tool: Option<&dyn DatabaseTool>,
    cfg: &ToolConfig,
    staging: &Path,
    s: &mut Scope<'_, '_>,
    r: &mut Recorder,
) -> Vec<DbSource> {
    let Some(step) = plan
        .steps
        .iter()
        .find(|s| s.action == Action::BackupDatabases && s.runs)
    else {
        r.step_done(Action::BackupDatabases, StepStatus::Skipped, None, 0);
        return Vec::new();
    };
    let Some(tool) = tool else {
        r.step_done(
            Action::BackupDatabases,
            StepStatus::Skipped,
            Some("no database tool".into()),
            0,
        );
        return Vec::new();
    };
    let t = std::time::Instant::now();
    let total = step.databases.len();
    r.db_total = total;
    let mut out = Vec::new();
    if tool.vendor() == Vendor::Command {
        let mut cfg = cfg.clone();
        cfg.vendor = Some(Vendor::Command);
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
            out.push(DbSource::Streamed {
                target,
                result,
                reader: Mutex::new(Some(Box::new(reader))),
            });
        }
        r.step_done(Action::BackupDatabases, StepStatus::Ok, None, 0);
        return out;
    }
    if let Err(e) = prepare_staging(staging, cfg.run_as.as_deref()) {
        // Reported once; the databases are named as not tried.
        s.warn(format!("staging directory: {e}"));
        for (i, db) in step.databases.iter().enumerate() {
            r.fail_db(
                &db.name,
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
        return out;
    }
    // the pipeline reads each database's transcript by its path, which must be absolute
    // (`database.staging_dir` may be relative to the working directory)
    let staging = std::path::absolute(staging).unwrap_or_else(|_| staging.to_path_buf());
    let staging = staging.as_path();
    let jobs: Vec<DbJob> = step
        .databases
        .iter()
        .map(|db| DbJob {
            target: target_of(db),
            dir: job_dir(staging, &db.name),
        })
        .collect();
    let runner = Runner {
        tool,
        run_as: cfg.run_as.as_deref(),
        limit: cfg.parallel(),
        common_cause: &DbError::common_cause,
    };
    let mut staged: Vec<Option<DbSource>> = jobs.iter().map(|_| None).collect();
    let mut done = 0;
    runner.run(&jobs, |f| {
        done += 1;
        let index = f.index;
        let Some(job) = jobs.get(index) else { return };
        let (source, bytes, status) = finished(job, f, s, r);
        s.progress(Item {
            bytes,
            ..Item::new(&job.target.name, done, total, status)
        });
        if let Some(slot) = staged.get_mut(index) {
            *slot = source;
        }
    });
    out.extend(staged.into_iter().flatten());
    // each database's transcript goes into the snapshot beside its images (failed ones too)
    out.extend(
        jobs.iter()
            .filter(|j| j.transcript().is_file())
            .map(|j| DbSource::Transcript {
                database: j.target.name.clone(),
                path: j.transcript(),
            }),
    );
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
    out
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

/// A reader that fails once (a staged image that cannot be opened).
struct FailingReader(Option<io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| io::Error::other("cannot be read")))
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
