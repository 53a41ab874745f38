//! IBM Db2: `backup database` to the staging directory, the image found by its documented
//! name, `db2ckbkp` on it, and `restore database … taken at`.
//!
//! The command line processor keeps a connection per parent process, so a sequence that
//! needs one (`connect to`, `quiesce`, `connect reset`) runs inside one `sh` that also
//! sources the instance owner's `~/sqllib/db2profile`, as the reference prescribes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::error::{check_name, DbError};
use super::messages::error_text;
use super::probe::Probe;
use super::probe::{parse_db2_dbsize, parse_db2_directory};
use super::record::image_file;
use super::record::{ImageRecord, RestoreRecord};
use super::tool::{BackupSink, DatabaseTarget, DatabaseTool, RestoreSource, ToolOptions};
use super::vendor::{Mode, Vendor};
use crate::process::{self, CommandSpec, Output};

/// The success line's fixed part; the 14-digit timestamp follows the colon.
const SUCCESS_MARKER: &str = "The timestamp for this backup image is";

/// What `db2ckbkp` prints for a good image.
const CKBKP_OK: &str = "Image Verification Complete - successful";

/// DB2 through its command line processor.
#[derive(Debug, Clone)]
pub struct Db2 {
    /// The `db2` command (real path).
    pub command: PathBuf,
    /// `db2ckbkp`; `None`: the one next to `command`, else from `PATH`, else not verified.
    pub verify_command: Option<PathBuf>,
    /// User, timeout, offline/online.
    pub options: ToolOptions,
    /// Offline backups first quiesce (forcing connections off) and deactivate the
    /// database, and unquiesce it afterwards.
    pub quiesce: bool,
}

impl Db2 {
    /// DB2 with `command`, quiescing for offline backups.
    pub fn new(command: impl Into<PathBuf>, options: ToolOptions) -> Db2 {
        Db2 {
            command: command.into(),
            verify_command: None,
            options,
            quiesce: true,
        }
    }

    /// One CLP call, displayed as `db2 <words>`.
    fn display(&self, words: &[String]) -> String {
        CommandSpec::new(&self.command).args(words).display()
    }

    /// Runs CLP calls in one shell (one CLP session). Exit status: the highest CLP return
    /// code of the calls (0 ok, 1 no data, 2 warning, 4 error, 8 system error).
    fn clp(&self, calls: &[Vec<String>]) -> Result<Output, DbError> {
        let mut script = String::from(
            "if [ -n \"${HOME:-}\" ] && [ -f \"$HOME/sqllib/db2profile\" ]; then . \"$HOME/sqllib/db2profile\"; fi\nrc=0\n",
        );
        for words in calls {
            let mut line = vec![self.command.to_string_lossy().into_owned()];
            line.extend(words.iter().cloned());
            script.push_str(&shell_words::join(&line));
            script.push_str("\nr=$?; if [ $r -gt $rc ]; then rc=$r; fi\n");
        }
        script.push_str("exit $rc\n");
        let mut spec = CommandSpec::new("/bin/sh")
            .arg("-c")
            .arg(script)
            .run_as(self.options.run_as.as_deref());
        if let Some(t) = self.options.timeout {
            spec = spec.timeout(t);
        }
        tracing::info!(
            commands = %calls.iter().map(|c| self.display(c)).collect::<Vec<_>>().join("; "),
            "running DB2 command line processor"
        );
        Ok(process::run(&spec)?)
    }

    fn fail(&self, op: &'static str, db: &str, command: String, out: &Output) -> DbError {
        DbError::Tool {
            vendor: Vendor::Db2,
            operation: op,
            database: db.to_owned(),
            command,
            status: out.status_text(),
            message: error_text(out),
        }
    }

    fn verifier(&self) -> Option<PathBuf> {
        if let Some(v) = &self.verify_command {
            return Some(v.clone());
        }
        let sibling = self.command.with_file_name("db2ckbkp");
        if process::is_executable(&sibling) {
            return Some(sibling);
        }
        process::which("db2ckbkp")
    }

    fn quiesce_calls(db: &str) -> Vec<Vec<String>> {
        vec![
            words(&["connect", "to", db]),
            words(&["quiesce", "database", "immediate", "force", "connections"]),
            words(&["connect", "reset"]),
            words(&["deactivate", "database", db]),
        ]
    }

    fn unquiesce_calls(db: &str) -> Vec<Vec<String>> {
        vec![
            words(&["connect", "to", db]),
            words(&["unquiesce", "database"]),
            words(&["connect", "reset"]),
        ]
    }

    fn backup_words(&self, db: &str, dir: &Path) -> Vec<String> {
        let dir = dir.to_string_lossy();
        match self.options.mode {
            Mode::Offline => words(&["backup", "database", db, "to", &dir, "compress"]),
            Mode::Online => words(&[
                "backup", "database", db, "online", "to", &dir, "compress", "include", "logs",
            ]),
        }
    }

    /// The directory an online image's logs are extracted into (`logtarget`) and rolled
    /// forward from (`overflow log path`): inside the restore's own directory, so it is new
    /// and empty for every restore and removed with it.
    fn log_dir(dir: &Path) -> PathBuf {
        dir.join("logs")
    }

    fn restore_calls(&self, db: &str, ts: &str, dir: &Path, online: bool) -> Vec<Vec<String>> {
        let from = dir.to_string_lossy();
        if online {
            // An online image (taken `include logs`) needs a roll-forward. Its logs are
            // extracted with `logtarget` and read from there (`overflow log path`), so the
            // restore works on a machine without the original log archive (bare metal);
            // "to end of backup" brings the database to the moment the backup ended, not
            // forward through the failed update's logs.
            let logs = Self::log_dir(dir).to_string_lossy().into_owned();
            vec![
                words(&[
                    "restore",
                    "database",
                    db,
                    "from",
                    &from,
                    "taken",
                    "at",
                    ts,
                    "logtarget",
                    &logs,
                    "replace",
                    "existing",
                    "without",
                    "prompting",
                ]),
                words(&[
                    "rollforward",
                    "database",
                    db,
                    "to",
                    "end",
                    "of",
                    "backup",
                    "and",
                    "stop",
                    "overflow",
                    "log",
                    "path",
                    &format!("({logs})"),
                ]),
            ]
        } else {
            vec![words(&[
                "restore",
                "database",
                db,
                "from",
                &from,
                "taken",
                "at",
                ts,
                "replace",
                "existing",
                "without",
                "rolling",
                "forward",
                "without",
                "prompting",
            ])]
        }
    }

    /// Creates the (empty) `logtarget` directory, owned by the tool's user.
    fn prepare_log_dir(&self, dir: &Path) -> Result<(), DbError> {
        use std::os::unix::fs::DirBuilderExt as _;
        let logs = Self::log_dir(dir);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&logs)
            .map_err(|e| DbError::io(&logs, e))?;
        if let Some(user) = &self.options.run_as {
            if let Ok(Some(u)) = nix::unistd::User::from_name(user) {
                nix::unistd::chown(&logs, Some(u.uid), Some(u.gid))
                    .map_err(|e| DbError::io(&logs, std::io::Error::from(e)))?;
            }
        }
        Ok(())
    }
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| (*s).to_owned()).collect()
}

/// The 14-digit timestamp of "Backup successful. The timestamp for this backup image is :
/// 20240301120000".
pub(crate) fn parse_backup_timestamp(output: &str) -> Option<String> {
    let line = output.lines().find(|l| l.contains(SUCCESS_MARKER))?;
    let after = line.split_once(SUCCESS_MARKER)?.1;
    let after = after.trim_start().strip_prefix(':')?.trim();
    let ts: String = after.chars().take_while(char::is_ascii_digit).collect();
    (ts.len() == 14).then_some(ts)
}

/// The image files of backup `ts` of `db` in `dir`: the documented
/// `DB.0.<instance>.DBPART000.<TS>.<seq>` names, sorted by sequence.
pub(crate) fn find_images(dir: &Path, db: &str, ts: &str) -> Result<Vec<String>, DbError> {
    let prefix = format!("{}.0.", db.to_ascii_uppercase());
    let middle = format!(".DBPART000.{ts}.");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| DbError::io(dir, e))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(&prefix) && n.contains(&middle))
        .filter(|n| {
            n.rsplit('.')
                .next()
                .is_some_and(|seq| !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(DbError::ImageNotFound {
            database: db.to_owned(),
            dir: dir.to_path_buf(),
            pattern: format!("{prefix}<instance>{middle}001"),
        });
    }
    Ok(names)
}

impl DatabaseTool for Db2 {
    fn vendor(&self) -> Vendor {
        Vendor::Db2
    }

    fn preflight(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !process::is_executable(&self.command) {
            problems.push(format!(
                "database.command {} is missing or not executable",
                self.command.display()
            ));
        }
        if let Some(v) = &self.verify_command {
            if !process::is_executable(v) {
                problems.push(format!(
                    "db2ckbkp {} is missing or not executable",
                    v.display()
                ));
            }
        }
        problems
    }

    fn probe(&self, dbs: &[DatabaseTarget]) -> Result<Probe, DbError> {
        let list = words(&["list", "db", "directory"]);
        let shown = self.display(&list);
        let out = self.clp(std::slice::from_ref(&list))?;
        // SQL1057W (an empty directory) is a warning: exit 2.
        if out.timed_out || out.code.is_none_or(|c| c >= 4) {
            return Err(self.fail("probe", "(instance)", shown, &out));
        }
        let known = parse_db2_directory(&out.stdout);
        let mut probe = Probe::present(shown, dbs.iter().map(|d| d.name.to_ascii_uppercase()));
        probe.size_basis = Some("DB2's database sizes (get_dbsize_info DATABASESIZE)".into());
        for p in &mut probe.databases {
            check_name(Vendor::Db2, &p.name)?;
            p.known = known.contains(&p.name);
            if !p.known {
                continue;
            }
            let calls = vec![
                words(&["connect", "to", &p.name]),
                words(&["call", "get_dbsize_info(?,?,?,-1)"]),
                words(&["connect", "reset"]),
            ];
            let out = self.clp(&calls)?;
            if out.timed_out || out.code.is_none_or(|c| c >= 4) {
                let shown = calls.iter().map(|c| self.display(c)).collect::<Vec<_>>();
                return Err(self.fail("probe", &p.name, shown.join("; "), &out));
            }
            p.bytes = parse_db2_dbsize(&out.stdout);
        }
        probe.command = format!(
            "{}; connect to, call get_dbsize_info(?,?,?,-1) per database",
            probe.command
        );
        Ok(probe)
    }

    fn take_image(
        &self,
        db: &DatabaseTarget,
        sink: BackupSink<'_>,
    ) -> Result<ImageRecord, DbError> {
        let started = Instant::now();
        let name = db.name.to_ascii_uppercase();
        check_name(Vendor::Db2, &name)?;
        let BackupSink::Staging(dir) = sink else {
            return Err(DbError::Config(
                "db2: backups are written to the staging directory, not streamed".into(),
            ));
        };
        let mut warnings = Vec::new();
        let quiesced = self.options.mode == Mode::Offline && self.quiesce;
        if quiesced {
            let calls = Self::quiesce_calls(&name);
            let out = self.clp(&calls)?;
            if out.code.is_none_or(|c| c >= 4) || out.timed_out {
                let shown = calls.iter().map(|c| self.display(c)).collect::<Vec<_>>();
                return Err(self.fail("quiesce", &name, shown.join("; "), &out));
            }
        }
        let backup = self.backup_words(&name, dir);
        let shown = self.display(&backup);
        let result = self.clp(std::slice::from_ref(&backup));
        if quiesced {
            // Always give the database back, whatever the backup did.
            match self.clp(&Self::unquiesce_calls(&name)) {
                Ok(o) if o.code.is_some_and(|c| c < 4) => {}
                Ok(o) => warnings.push(format!("unquiesce of {name} failed: {}", error_text(&o))),
                Err(e) => warnings.push(format!("unquiesce of {name} failed: {e}")),
            }
        }
        let out = result?;
        let ts = match parse_backup_timestamp(&out.stdout) {
            Some(ts) if out.code.is_some_and(|c| c < 4) && !out.timed_out => ts,
            _ => return Err(self.fail("backup", &name, shown, &out)),
        };
        let names = find_images(dir, &name, &ts)?;
        let mut files = Vec::new();
        for n in &names {
            files.push(image_file(dir, n)?);
        }
        let mut details = BTreeMap::new();
        if let Some(instance) = names.first().and_then(|n| n.split('.').nth(2)) {
            details.insert("instance".to_owned(), instance.to_owned());
        }
        Ok(ImageRecord {
            database: name,
            vendor: Vendor::Db2,
            mode: self.options.mode,
            bytes: files.iter().map(|f| f.size).sum(),
            files,
            streamed: false,
            vendor_timestamp: Some(ts),
            verification: None,
            duration_ms: crate::clock::millis(started),
            command: shown,
            details,
            warnings,
        })
    }

    fn verify(
        &self,
        _db: &DatabaseTarget,
        image: &ImageRecord,
        dir: &Path,
    ) -> Result<Option<String>, DbError> {
        let Some(ck) = self.verifier() else {
            return Ok(Some("not verified: db2ckbkp not found".to_owned()));
        };
        let mut spec = CommandSpec::new(&ck)
            .args(image.files.iter().map(|f| dir.join(&f.name)))
            .run_as(self.options.run_as.as_deref());
        if let Some(t) = self.options.timeout {
            spec = spec.timeout(t);
        }
        let o = process::run(&spec)?;
        if !o.success() || !o.stdout.contains(CKBKP_OK) {
            return Err(DbError::Tool {
                vendor: Vendor::Db2,
                operation: "verify",
                database: image.database.clone(),
                command: o.command.clone(),
                status: o.status_text(),
                message: o.tail(5),
            });
        }
        Ok(Some(format!("db2ckbkp: {CKBKP_OK}")))
    }

    fn restore(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        source: RestoreSource<'_>,
    ) -> Result<RestoreRecord, DbError> {
        let started = Instant::now();
        let name = db.name.to_ascii_uppercase();
        check_name(Vendor::Db2, &name)?;
        let RestoreSource::Staged(dir) = source else {
            return Err(DbError::Config(
                "db2: restores read the image files from a directory, not a stream".into(),
            ));
        };
        let Some(ts) = image.vendor_timestamp.as_deref() else {
            return Err(DbError::Config(format!(
                "db2: the backup record of {name} has no timestamp"
            )));
        };
        for f in &image.files {
            if !dir.join(&f.name).is_file() {
                return Err(DbError::ImageNotFound {
                    database: name,
                    dir: dir.to_path_buf(),
                    pattern: f.name.clone(),
                });
            }
        }
        let online = image.mode == Mode::Online;
        if online {
            self.prepare_log_dir(dir)?;
        }
        let calls = self.restore_calls(&name, ts, dir, online);
        let shown: Vec<String> = calls.iter().map(|c| self.display(c)).collect();
        let out = self.clp(&calls)?;
        if out.code.is_none_or(|c| c >= 4) || out.timed_out {
            return Err(self.fail("restore", &name, shown.join("; "), &out));
        }
        let mut warnings = Vec::new();
        if out.code == Some(2) {
            warnings.push(format!(
                "restore of {name} ended with a warning: {}",
                error_text(&out)
            ));
        }
        Ok(RestoreRecord {
            database: name,
            vendor: Vendor::Db2,
            vendor_timestamp: Some(ts.to_owned()),
            commands: shown,
            bytes: image.bytes,
            duration_ms: crate::clock::millis(started),
            warnings,
        })
    }

    fn restore_commands(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        dir: &Path,
    ) -> Vec<String> {
        let ts = image.vendor_timestamp.as_deref().unwrap_or("<timestamp>");
        self.restore_calls(
            &db.name.to_ascii_uppercase(),
            ts,
            dir,
            image.mode == Mode::Online,
        )
        .iter()
        .map(|c| self.display(c))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_parsed_from_the_success_line() {
        let out =
            "\nBackup successful. The timestamp for this backup image is : 20240301120000\n\n";
        assert_eq!(
            parse_backup_timestamp(out).as_deref(),
            Some("20240301120000")
        );
        assert_eq!(
            parse_backup_timestamp("The timestamp for this backup image is : 2024030112"),
            None
        );
        assert_eq!(parse_backup_timestamp("SQL2062N  An error occurred"), None);
    }

    #[test]
    fn images_are_found_by_their_documented_name() {
        let d = tempfile::tempdir().unwrap();
        for n in [
            "PEOPLEDB.0.db2inst1.DBPART000.20240301120000.001",
            "PEOPLEDB.0.db2inst1.DBPART000.20240301120000.002",
            "PEOPLEDB.0.db2inst1.DBPART000.20240301999999.001",
            "FILES.0.db2inst1.DBPART000.20240301120000.001",
            "PEOPLEDB.0.db2inst1.DBPART000.20240301120000.001.tmp",
        ] {
            std::fs::write(d.path().join(n), b"x").unwrap();
        }
        let got = find_images(d.path(), "peopledb", "20240301120000").unwrap();
        assert_eq!(
            got,
            [
                "PEOPLEDB.0.db2inst1.DBPART000.20240301120000.001",
                "PEOPLEDB.0.db2inst1.DBPART000.20240301120000.002"
            ]
        );
        let err = find_images(d.path(), "BLOGS", "20240301120000").unwrap_err();
        assert!(err
            .to_string()
            .contains("BLOGS.0.<instance>.DBPART000.20240301120000.001"));
    }

    #[test]
    fn documented_command_words() {
        let mut t = Db2::new("/opt/ibm/db2/bin/db2", ToolOptions::default());
        assert_eq!(
            t.display(&t.backup_words("PEOPLEDB", Path::new("/stage"))),
            "/opt/ibm/db2/bin/db2 backup database PEOPLEDB to /stage compress"
        );
        t.options.mode = Mode::Online;
        assert_eq!(
            t.display(&t.backup_words("PEOPLEDB", Path::new("/stage"))),
            "/opt/ibm/db2/bin/db2 backup database PEOPLEDB online to /stage compress include logs"
        );
        let r = t.restore_calls("PEOPLEDB", "20240301120000", Path::new("/img"), false);
        assert_eq!(
            t.display(&r[0]),
            "/opt/ibm/db2/bin/db2 restore database PEOPLEDB from /img taken at 20240301120000 replace existing without rolling forward without prompting"
        );
        let r = t.restore_calls("PEOPLEDB", "20240301120000", Path::new("/img"), true);
        assert_eq!(
            t.display(&r[0]),
            "/opt/ibm/db2/bin/db2 restore database PEOPLEDB from /img taken at 20240301120000 logtarget /img/logs replace existing without prompting"
        );
        assert_eq!(
            t.display(&r[1]),
            "/opt/ibm/db2/bin/db2 rollforward database PEOPLEDB to end of backup and stop overflow log path '(/img/logs)'"
        );
    }
}
