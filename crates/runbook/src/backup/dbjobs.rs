//! The staged database backups of one run, side by side: at most `limit` vendor backups at a
//! time (DB2, SQL Server and Oracle all back up distinct databases concurrently), each in its
//! own staging subdirectory with its own transcript of the tool's commands and output.
//!
//! The failure of one database does not stop the others, unless its cause is one they all
//! share (the staging disk is full, the tool cannot be run, ...): then the backups not yet
//! begun are not tried — each would fail the same way while the servers stay down — and are
//! recorded as "not tried" naming the cause.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};

use crate::databases::{
    prepare_staging, BackupSink, DatabaseTarget, DatabaseTool, DbError, ImageRecord,
};
use crate::process::Transcript;

/// The name of a database's transcript in its staging subdirectory (and in the snapshot,
/// beside its images).
pub(crate) const TRANSCRIPT_NAME: &str = "cnxbackup-backup.log";

/// One database to back up, into its own directory.
pub(crate) struct DbJob {
    pub(crate) target: DatabaseTarget,
    /// Its staging subdirectory (created, private, handed to the tool's user).
    pub(crate) dir: PathBuf,
}

impl DbJob {
    /// Where its transcript is written.
    pub(crate) fn transcript(&self) -> PathBuf {
        self.dir.join(TRANSCRIPT_NAME)
    }
}

/// How one database's backup ended.
pub(crate) enum DbOutcome {
    /// The images are staged.
    Done(ImageRecord),
    /// The backup failed; `common` is the cause every database shares, when it is one.
    Failed {
        error: DbError,
        common: Option<&'static str>,
    },
    /// Not begun: an earlier backup (`first`) failed for a cause they all share.
    NotTried { first: String, cause: &'static str },
}

/// One database's backup ended.
pub(crate) struct Finished {
    /// Its position in the job list.
    pub(crate) index: usize,
    /// When it began and ended, Unix nanoseconds.
    pub(crate) started_ns: i64,
    pub(crate) ended_ns: i64,
    pub(crate) outcome: DbOutcome,
}

/// What the runner needs besides the jobs.
pub(crate) struct Runner<'a> {
    pub(crate) tool: &'a dyn DatabaseTool,
    /// The tool's OS user (`database.run_as`): owner of each staging subdirectory.
    pub(crate) run_as: Option<&'a str>,
    /// Backups at a time (at least 1).
    pub(crate) limit: usize,
    /// The cause a failure shares with every other database's backup, when it is one.
    pub(crate) common_cause: &'a (dyn Fn(&DbError) -> Option<&'static str> + Sync),
}

impl Runner<'_> {
    /// Runs every job, `limit` at a time, and hands each result to `on_done` on the calling
    /// thread as it finishes (so the caller reports progress in completion order).
    pub(crate) fn run(&self, jobs: &[DbJob], mut on_done: impl FnMut(Finished)) {
        let next = AtomicUsize::new(0);
        let shared: Mutex<Option<(String, &'static str)>> = Mutex::new(None);
        let workers = self.limit.clamp(1, jobs.len().max(1));
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, shared) = (&next, &shared);
                s.spawn(move || loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(index) else { return };
                    if tx.send(self.one(index, job, shared)).is_err() {
                        return;
                    }
                });
            }
            drop(tx);
            for done in rx {
                on_done(done);
            }
        });
    }

    /// One database: its directory, its transcript, the vendor backup.
    fn one(
        &self,
        index: usize,
        job: &DbJob,
        shared: &Mutex<Option<(String, &'static str)>>,
    ) -> Finished {
        let started_ns = vault::now_unix_ns();
        let earlier = shared.lock().map(|g| g.clone()).unwrap_or(None);
        if let Some((first, cause)) = earlier {
            return Finished {
                index,
                started_ns,
                ended_ns: started_ns,
                outcome: DbOutcome::NotTried { first, cause },
            };
        }
        let span = tracing::info_span!("database", name = %job.target.name);
        let _entered = span.enter();
        let result = prepare_staging(&job.dir, self.run_as).and_then(|()| {
            let _transcript = Transcript::to_file(&job.transcript());
            // the vendor's check of the image runs after the restart (backup::verify)
            self.tool
                .take_image(&job.target, BackupSink::Staging(&job.dir))
        });
        let outcome = match result {
            Ok(image) => DbOutcome::Done(image),
            Err(error) => {
                let common = (self.common_cause)(&error);
                if let Some(cause) = common {
                    if let Ok(mut g) = shared.lock() {
                        g.get_or_insert((job.target.name.clone(), cause));
                    }
                }
                DbOutcome::Failed { error, common }
            }
        };
        Finished {
            index,
            started_ns,
            ended_ns: vault::now_unix_ns(),
            outcome,
        }
    }
}

/// The staging subdirectory of database `name` in the run directory `run_dir`.
pub(crate) fn job_dir(run_dir: &Path, name: &str) -> PathBuf {
    run_dir.join(name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};

    use super::*;
    use crate::databases::{Mode, Probe, RestoreRecord, RestoreSource, Vendor};
    use crate::process::{run, CommandSpec};

    /// A tool whose backups take a moment, run `echo NAME` (for the transcript), count how
    /// many run at once, and fail for the databases named in `fail`.
    struct Slow {
        running: AtomicUsize,
        peak: AtomicUsize,
        /// The first `limit` backups wait until they all run (so the peak is exact).
        limit: usize,
        filled: AtomicBool,
        fail: &'static [&'static str],
    }

    impl Slow {
        fn new(limit: usize, fail: &'static [&'static str]) -> Slow {
            Slow {
                running: AtomicUsize::new(0),
                peak: AtomicUsize::new(0),
                limit,
                filled: AtomicBool::new(false),
                fail,
            }
        }
    }

    impl DatabaseTool for Slow {
        fn vendor(&self) -> Vendor {
            Vendor::Db2
        }

        fn preflight(&self) -> Vec<String> {
            Vec::new()
        }

        fn probe(&self, dbs: &[DatabaseTarget]) -> Result<Probe, DbError> {
            Ok(Probe::present(
                "probe".into(),
                dbs.iter().map(|d| d.name.clone()),
            ))
        }

        fn take_image(
            &self,
            db: &DatabaseTarget,
            sink: BackupSink<'_>,
        ) -> Result<ImageRecord, DbError> {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            let deadline = Instant::now() + Duration::from_secs(10);
            while !self.filled.load(Ordering::SeqCst) && Instant::now() < deadline {
                if self.running.load(Ordering::SeqCst) >= self.limit {
                    self.filled.store(true, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            run(&CommandSpec::new("/bin/echo").arg(&db.name))?;
            std::thread::sleep(Duration::from_millis(20));
            self.running.fetch_sub(1, Ordering::SeqCst);
            let BackupSink::Staging(dir) = sink else {
                return Err(DbError::Config("staged only".into()));
            };
            if self.fail.contains(&db.name.as_str()) {
                return Err(DbError::NoSpace {
                    dir: dir.to_path_buf(),
                    needed: 2,
                    available: 1,
                });
            }
            Ok(ImageRecord {
                database: db.name.clone(),
                vendor: Vendor::Db2,
                mode: Mode::Offline,
                files: Vec::new(),
                streamed: false,
                vendor_timestamp: None,
                bytes: 0,
                verification: None,
                duration_ms: 0,
                command: format!("backup {}", dir.display()),
                details: Default::default(),
                warnings: Vec::new(),
            })
        }

        fn restore(
            &self,
            _db: &DatabaseTarget,
            _image: &ImageRecord,
            _source: RestoreSource<'_>,
        ) -> Result<RestoreRecord, DbError> {
            Err(DbError::Config("not in these tests".into()))
        }

        fn restore_commands(&self, _: &DatabaseTarget, _: &ImageRecord, _: &Path) -> Vec<String> {
            Vec::new()
        }
    }

    fn jobs(dir: &Path, n: usize) -> Vec<DbJob> {
        (0..n)
            .map(|i| {
                let name = format!("DB{i}");
                DbJob {
                    dir: job_dir(dir, &name),
                    target: DatabaseTarget::named(name),
                }
            })
            .collect()
    }

    fn no_cause(_: &DbError) -> Option<&'static str> {
        None
    }

    fn space(e: &DbError) -> Option<&'static str> {
        matches!(e, DbError::NoSpace { .. }).then_some("the staging disk is full")
    }

    /// Runs `jobs` and returns the outcomes by job index.
    fn run_all(
        tool: &Slow,
        jobs: &[DbJob],
        limit: usize,
        cause: &(dyn Fn(&DbError) -> Option<&'static str> + Sync),
    ) -> Vec<Option<Finished>> {
        let runner = Runner {
            tool,
            run_as: None,
            limit,
            common_cause: cause,
        };
        let mut out: Vec<Option<Finished>> = jobs.iter().map(|_| None).collect();
        runner.run(jobs, |f| {
            let i = f.index;
            out[i] = Some(f);
        });
        out
    }

    #[test]
    fn backups_run_side_by_side_up_to_the_limit_each_in_its_own_directory() {
        let d = tempfile::tempdir().unwrap();
        let jobs = jobs(d.path(), 8);
        let tool = Slow::new(3, &[]);
        let out = run_all(&tool, &jobs, 3, &no_cause);
        assert_eq!(tool.peak.load(Ordering::SeqCst), 3);
        for (job, f) in jobs.iter().zip(&out) {
            let f = f.as_ref().unwrap();
            let DbOutcome::Done(image) = &f.outcome else {
                panic!("{} did not finish", job.target.name)
            };
            assert_eq!(image.command, format!("backup {}", job.dir.display()));
            assert!(f.started_ns <= f.ended_ns);
            // its own transcript names only its own commands
            let t = std::fs::read_to_string(job.transcript()).unwrap();
            assert!(
                t.contains(&format!("/bin/echo {}\n", job.target.name)),
                "{t}"
            );
            assert_eq!(t.matches("$ ").count(), 1, "{t}");
        }
    }

    #[test]
    fn one_database_failing_for_its_own_reason_does_not_stop_the_others() {
        let d = tempfile::tempdir().unwrap();
        let jobs = jobs(d.path(), 4);
        let tool = Slow::new(1, &["DB1"]);
        let out = run_all(&tool, &jobs, 1, &no_cause);
        let words: Vec<&str> = out
            .iter()
            .map(|f| match f.as_ref().unwrap().outcome {
                DbOutcome::Done(_) => "done",
                DbOutcome::Failed { common: None, .. } => "failed",
                _ => "other",
            })
            .collect();
        assert_eq!(words, ["done", "failed", "done", "done"]);
    }

    #[test]
    fn a_cause_every_database_shares_stops_the_ones_not_begun() {
        let d = tempfile::tempdir().unwrap();
        let jobs = jobs(d.path(), 4);
        let tool = Slow::new(1, &["DB0", "DB1", "DB2", "DB3"]);
        let out = run_all(&tool, &jobs, 1, &space);
        assert!(matches!(
            out[0].as_ref().unwrap().outcome,
            DbOutcome::Failed {
                common: Some("the staging disk is full"),
                ..
            }
        ));
        for f in &out[1..] {
            let DbOutcome::NotTried { first, cause } = &f.as_ref().unwrap().outcome else {
                panic!("tried after a common cause")
            };
            assert_eq!(
                (first.as_str(), *cause),
                ("DB0", "the staging disk is full")
            );
        }
        assert!(
            !jobs[1].dir.exists(),
            "a database not tried gets no directory"
        );
    }
}
