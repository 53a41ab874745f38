//! Oracle: RMAN (physical, the whole database) or Data Pump (`expdp`/`impdp` of the
//! Connections schemas), chosen by configuration.
//!
//! Connections on Oracle is usually one database with one schema per application, so one
//! job covers every application. Data Pump writes into a DIRECTORY object on the database
//! host; cnxbackup moves the dump files from that directory (which must be reachable here)
//! into the staging directory. The Data Pump password goes into a private parameter file,
//! never on the command line. RMAN runs `target /` as the configured OS user (the oracle
//! software owner) and reads its script on stdin.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use secret::Secret;

use super::error::{check_name, DbError};
use super::messages::error_text;
use super::probe::Probe;
use super::probe::{
    parse_datapump_estimate, parse_datapump_missing_schemas, parse_rman_report_schema,
};
use super::record::image_file;
use super::record::{ImageRecord, RestoreRecord};
use super::tool::{BackupSink, DatabaseTarget, DatabaseTool, RestoreSource, ToolOptions};
use super::vendor::{Mode, Vendor};
use crate::clock::utc_stamp;
use crate::process::{self, CommandSpec, Output};

/// How Oracle is backed up.
#[derive(Debug, Clone)]
pub enum OracleMethod {
    /// RMAN backup sets written into the staging directory.
    Rman {
        /// The `rman` command.
        rman: PathBuf,
    },
    /// Data Pump export/import of the schemas.
    DataPump {
        /// `expdp`.
        expdp: PathBuf,
        /// `impdp`.
        impdp: PathBuf,
        /// The connecting user (`system`); the database is the target's name.
        user: String,
        /// Its password.
        password: Option<Secret>,
        /// The DIRECTORY object (`DATA_PUMP_DIR`).
        directory: String,
        /// Where that directory's files are visible on this machine.
        directory_path: PathBuf,
    },
}

/// Oracle.
#[derive(Debug, Clone)]
pub struct Oracle {
    /// RMAN or Data Pump.
    pub method: OracleMethod,
    /// User, timeout, offline (cold RMAN backup in MOUNT state) or online.
    pub options: ToolOptions,
}

impl Oracle {
    fn spec(&self, program: &Path) -> CommandSpec {
        let mut spec = CommandSpec::new(program).run_as(self.options.run_as.as_deref());
        if let Some(t) = self.options.timeout {
            spec = spec.timeout(t);
        }
        spec
    }

    fn fail(op: &'static str, db: &str, command: String, out: &Output) -> DbError {
        DbError::Tool {
            vendor: Vendor::Oracle,
            operation: op,
            database: db.to_owned(),
            command,
            status: out.status_text(),
            message: error_text(out),
        }
    }

    fn rman_backup_script(&self, dir: &Path, stamp: &str) -> String {
        let d = sql_literal(&dir.to_string_lossy());
        let tag = format!("CNX{stamp}");
        let body = format!(
            "  BACKUP AS COMPRESSED BACKUPSET DATABASE FORMAT '{d}/cnx_{stamp}_db_%U' TAG '{tag}';\n  BACKUP CURRENT CONTROLFILE FORMAT '{d}/cnx_{stamp}_ctl_%U' TAG '{tag}';\n"
        );
        match self.options.mode {
            Mode::Offline => format!(
                "SHUTDOWN IMMEDIATE;\nSTARTUP MOUNT;\nRUN {{\n{body}}}\nALTER DATABASE OPEN;\nEXIT;\n"
            ),
            Mode::Online => format!(
                "RUN {{\n{body}  BACKUP ARCHIVELOG ALL FORMAT '{d}/cnx_{stamp}_arc_%U' TAG '{tag}';\n}}\nEXIT;\n"
            ),
        }
    }

    fn rman_restore_script(dir: &Path, image: &ImageRecord) -> String {
        let d = sql_literal(&dir.to_string_lossy());
        let stamp = image.vendor_timestamp.as_deref().unwrap_or_default();
        let tag = format!("CNX{stamp}");
        // Back to the backup's moment: a consistent (offline) backup needs no redo; an
        // online one is recovered until the time it ended. Either way the database opens
        // with RESETLOGS (the failed update's redo is discarded).
        let recover = match (image.mode, image.details.get("until_time")) {
            (Mode::Online, Some(until)) => format!(
                "  SET UNTIL TIME \"TO_DATE('{}','YYYYMMDDHH24MISS')\";\n  RESTORE DATABASE;\n  RECOVER DATABASE;\n",
                sql_literal(until)
            ),
            _ => format!("  RESTORE DATABASE FROM TAG '{tag}';\n  RECOVER DATABASE NOREDO;\n"),
        };
        format!(
            "SHUTDOWN IMMEDIATE;\nSTARTUP MOUNT;\nCATALOG START WITH '{d}/cnx_{stamp}_' NOPROMPT;\nRUN {{\n{recover}}}\nALTER DATABASE OPEN RESETLOGS;\nEXIT;\n"
        )
    }

    fn backup_rman(
        &self,
        rman: &Path,
        db: &DatabaseTarget,
        dir: &Path,
        started: Instant,
    ) -> Result<ImageRecord, DbError> {
        let stamp = utc_stamp();
        let script = self.rman_backup_script(dir, &stamp);
        let spec = self
            .spec(rman)
            .arg("target")
            .arg("/")
            .stdin_bytes(script.clone());
        let out = process::run(&spec)?;
        if !rman_succeeded(&out) {
            return Err(Self::fail("backup", &db.name, spec.display(), &out));
        }
        let prefix = format!("cnx_{stamp}_");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| DbError::io(dir, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(&prefix))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(DbError::ImageNotFound {
                database: db.name.clone(),
                dir: dir.to_path_buf(),
                pattern: format!("{prefix}*"),
            });
        }
        let files = names
            .iter()
            .map(|n| image_file(dir, n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut details = BTreeMap::new();
        details.insert("tag".to_owned(), format!("CNX{stamp}"));
        details.insert("until_time".to_owned(), utc_stamp());
        details.insert("method".to_owned(), "rman".to_owned());
        Ok(ImageRecord {
            database: db.name.clone(),
            vendor: Vendor::Oracle,
            mode: self.options.mode,
            bytes: files.iter().map(|f| f.size).sum(),
            files,
            streamed: false,
            vendor_timestamp: Some(stamp),
            verification: None,
            duration_ms: crate::clock::millis(started),
            command: format!("{} (script on stdin)", spec.display()),
            details,
            warnings: Vec::new(),
        })
    }

    /// Writes a private Data Pump parameter file; the password is only ever in here.
    fn parfile(
        &self,
        work: &Path,
        lines: &[String],
        password_line: Option<zeroize::Zeroizing<String>>,
    ) -> Result<PathBuf, DbError> {
        let path = work.join("cnxbackup.par");
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| DbError::io(&path, e))?;
        let mut text = zeroize::Zeroizing::new(String::new());
        if let Some(l) = password_line {
            text.push_str(l.as_str());
            text.push('\n');
        }
        for l in lines {
            text.push_str(l);
            text.push('\n');
        }
        f.write_all(text.as_bytes())
            .map_err(|e| DbError::io(&path, e))?;
        if let Some(user) = &self.options.run_as {
            if let Ok(Some(u)) = nix::unistd::User::from_name(user) {
                let _ = nix::unistd::chown(work, Some(u.uid), Some(u.gid));
                let _ = nix::unistd::chown(&path, Some(u.uid), Some(u.gid));
            }
        }
        Ok(path)
    }

    fn userid(
        user: &str,
        password: Option<&Secret>,
        db: &str,
    ) -> Option<zeroize::Zeroizing<String>> {
        password.map(|p| {
            let pw = p.expose();
            // Oracle wants passwords with special characters double-quoted.
            zeroize::Zeroizing::new(
                if pw
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '#'))
                {
                    format!("userid={user}/{pw}@{db}")
                } else {
                    format!("userid={user}/\"{pw}\"@{db}")
                },
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn run_datapump(
        &self,
        op: &'static str,
        program: &Path,
        user: &str,
        password: Option<&Secret>,
        db: &str,
        lines: Vec<String>,
    ) -> Result<(Output, String), DbError> {
        let (out, shown) = self.run_datapump_raw(program, user, password, db, lines)?;
        // Data Pump: 0 success (ORA- lines then are warnings), 5 completed with errors,
        // anything else failed.
        if !out.success() {
            return Err(Self::fail(op, db, shown, &out));
        }
        Ok((out, shown))
    }

    /// Runs a Data Pump job with a private parameter file; the caller judges the result.
    fn run_datapump_raw(
        &self,
        program: &Path,
        user: &str,
        password: Option<&Secret>,
        db: &str,
        lines: Vec<String>,
    ) -> Result<(Output, String), DbError> {
        let work = tempfile::Builder::new()
            .prefix("cnxbackup-dp")
            .tempdir()
            .map_err(|e| DbError::io(&std::env::temp_dir(), e))?;
        let userid = Self::userid(user, password, db);
        let mut spec = self.spec(program);
        if userid.is_none() {
            // No password configured: OS authentication.
            spec = spec.arg("/ as sysdba");
        }
        let par = self.parfile(work.path(), &lines, userid)?;
        spec = spec.arg(format!("parfile={}", par.display()));
        let shown = format!("{} [{}]", spec.display(), lines.join(" "));
        let out = process::run(&spec)?;
        Ok((out, shown))
    }

    /// Data Pump: an `estimate_only` export of the schemas (connects, checks every schema,
    /// sizes them, writes nothing).
    fn probe_datapump(
        &self,
        expdp: &Path,
        user: &str,
        password: Option<&Secret>,
        db: &DatabaseTarget,
    ) -> Result<Probe, DbError> {
        for s in &db.schemas {
            check_name(Vendor::Oracle, s)?;
        }
        let lines = vec![
            format!("schemas={}", db.schemas.join(",")),
            "estimate_only=yes".to_owned(),
            "nologfile=yes".to_owned(),
        ];
        let (out, shown) = self.run_datapump_raw(expdp, user, password, &db.name, lines)?;
        let missing = parse_datapump_missing_schemas(&out.combined());
        // 5: completed with errors, which an unknown schema is; anything else failed.
        let unknown_schemas = out.code == Some(5) && !missing.is_empty();
        if !out.success() && !unknown_schemas {
            return Err(Self::fail("probe", &db.name, shown, &out));
        }
        let mut probe = Probe::present(shown, db.schemas.iter().cloned());
        for p in &mut probe.databases {
            p.known = !missing.contains(&p.name.to_ascii_uppercase());
        }
        // One estimate for the job: carried by the first known schema.
        if let Some(total) = parse_datapump_estimate(&out.combined()) {
            probe.size_basis = Some("Data Pump's estimate (estimate_only, BLOCKS method)".into());
            let mut first = true;
            for p in probe.databases.iter_mut().filter(|p| p.known) {
                p.bytes = Some(if first { total } else { 0 });
                first = false;
            }
        }
        Ok(probe)
    }

    /// RMAN: `REPORT SCHEMA` of the target database (connects, names it, sizes its
    /// datafiles, changes nothing).
    fn probe_rman(&self, rman: &Path, db: &DatabaseTarget) -> Result<Probe, DbError> {
        let spec = self
            .spec(rman)
            .arg("target")
            .arg("/")
            .stdin_bytes("REPORT SCHEMA;\nEXIT;\n");
        let shown = format!("{} (REPORT SCHEMA on stdin)", spec.display());
        let out = process::run(&spec)?;
        if !rman_succeeded(&out) {
            return Err(Self::fail("probe", &db.name, shown, &out));
        }
        let (name, bytes) = parse_rman_report_schema(&out.stdout);
        let mut probe = Probe::present(shown, [db.name.clone()]);
        probe.databases[0].known = name.is_some_and(|n| n.eq_ignore_ascii_case(&db.name));
        probe.databases[0].bytes = bytes;
        probe.size_basis = bytes.map(|_| "RMAN's datafile sizes (REPORT SCHEMA)".into());
        Ok(probe)
    }
}

/// RMAN exits non-zero on failure and prints its error stack under this banner.
fn rman_succeeded(out: &Output) -> bool {
    out.success() && !out.combined().contains("ERROR MESSAGE STACK FOLLOWS")
}

/// The ORA-/UDI- lines of a successful Data Pump job (warnings for the record).
fn oracle_warnings(out: &Output) -> Vec<String> {
    super::messages::vendor_messages(&out.combined())
}

/// A single-quoted SQL/RMAN literal body.
fn sql_literal(s: &str) -> String {
    s.replace('\'', "''")
}

/// Moves `from` to `to`, copying across file systems.
fn move_file(from: &Path, to: &Path) -> Result<(), DbError> {
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map_err(|e| DbError::io(to, e))?;
    std::fs::remove_file(from).map_err(|e| DbError::io(from, e))
}

impl DatabaseTool for Oracle {
    fn vendor(&self) -> Vendor {
        Vendor::Oracle
    }

    fn preflight(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let tools: Vec<&Path> = match &self.method {
            OracleMethod::Rman { rman } => vec![rman],
            OracleMethod::DataPump {
                expdp,
                impdp,
                directory_path,
                ..
            } => {
                if !directory_path.is_dir() {
                    problems.push(format!(
                        "oracle: the Data Pump directory {} is not reachable from this machine",
                        directory_path.display()
                    ));
                }
                vec![expdp, impdp]
            }
        };
        for t in tools {
            if !process::is_executable(t) {
                problems.push(format!("{} is missing or not executable", t.display()));
            }
        }
        problems
    }

    fn probe(&self, dbs: &[DatabaseTarget]) -> Result<Probe, DbError> {
        let mut all: Option<Probe> = None;
        for db in dbs {
            check_name(Vendor::Oracle, &db.name)?;
            let p = match &self.method {
                OracleMethod::Rman { rman } => self.probe_rman(rman, db)?,
                OracleMethod::DataPump {
                    expdp,
                    user,
                    password,
                    ..
                } => self.probe_datapump(expdp, user, password.as_ref(), db)?,
            };
            match &mut all {
                None => all = Some(p),
                Some(a) => {
                    a.databases.extend(p.databases);
                    if p.size_basis.is_none() {
                        a.size_basis = None;
                    }
                }
            }
        }
        Ok(all.unwrap_or_else(|| Probe::present(String::new(), Vec::new())))
    }

    fn take_image(
        &self,
        db: &DatabaseTarget,
        sink: BackupSink<'_>,
    ) -> Result<ImageRecord, DbError> {
        let started = Instant::now();
        check_name(Vendor::Oracle, &db.name)?;
        let BackupSink::Staging(dir) = sink else {
            return Err(DbError::Config(
                "oracle: backups are written to the staging directory, not streamed".into(),
            ));
        };
        let (expdp, user, password, directory, directory_path) = match &self.method {
            OracleMethod::Rman { rman } => return self.backup_rman(rman, db, dir, started),
            OracleMethod::DataPump {
                expdp,
                user,
                password,
                directory,
                directory_path,
                ..
            } => (expdp, user, password, directory, directory_path),
        };
        if db.schemas.is_empty() {
            return Err(DbError::Config(format!(
                "oracle: no schemas are known for {}; Data Pump exports the Connections schemas",
                db.name
            )));
        }
        for s in &db.schemas {
            check_name(Vendor::Oracle, s)?;
        }
        check_name(Vendor::Oracle, directory)?;
        let stamp = utc_stamp();
        let dump = format!("cnx_{}_{stamp}_%U.dmp", db.name);
        let log = format!("cnx_{}_{stamp}_exp.log", db.name);
        let lines = vec![
            format!("schemas={}", db.schemas.join(",")),
            format!("directory={directory}"),
            format!("dumpfile={dump}"),
            format!("logfile={log}"),
        ];
        let (out, shown) =
            self.run_datapump("backup", expdp, user, password.as_ref(), &db.name, lines)?;
        let prefix = format!("cnx_{}_{stamp}_", db.name);
        let mut names: Vec<String> = std::fs::read_dir(directory_path)
            .map_err(|e| DbError::io(directory_path, e))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with(&prefix) && n.ends_with(".dmp"))
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(DbError::ImageNotFound {
                database: db.name.clone(),
                dir: directory_path.clone(),
                pattern: dump,
            });
        }
        if directory_path != dir {
            for n in names.iter().chain(std::iter::once(&log)) {
                let from = directory_path.join(n);
                if from.exists() {
                    move_file(&from, &dir.join(n))?;
                }
            }
        }
        let files = names
            .iter()
            .map(|n| image_file(dir, n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut details = BTreeMap::new();
        details.insert("method".to_owned(), "datapump".to_owned());
        details.insert("schemas".to_owned(), db.schemas.join(","));
        details.insert("dumpfile".to_owned(), dump);
        Ok(ImageRecord {
            database: db.name.clone(),
            vendor: Vendor::Oracle,
            mode: Mode::Online,
            bytes: files.iter().map(|f| f.size).sum(),
            files,
            streamed: false,
            vendor_timestamp: Some(stamp),
            verification: None,
            duration_ms: crate::clock::millis(started),
            command: shown,
            details,
            warnings: oracle_warnings(&out),
        })
    }

    fn restore(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        source: RestoreSource<'_>,
    ) -> Result<RestoreRecord, DbError> {
        let started = Instant::now();
        check_name(Vendor::Oracle, &db.name)?;
        let RestoreSource::Staged(dir) = source else {
            return Err(DbError::Config(
                "oracle: restores read the image files from a directory, not a stream".into(),
            ));
        };
        for f in &image.files {
            if !dir.join(&f.name).is_file() {
                return Err(DbError::ImageNotFound {
                    database: db.name.clone(),
                    dir: dir.to_path_buf(),
                    pattern: f.name.clone(),
                });
            }
        }
        let commands = match &self.method {
            OracleMethod::Rman { rman } => {
                let script = Self::rman_restore_script(dir, image);
                let spec = self
                    .spec(rman)
                    .arg("target")
                    .arg("/")
                    .stdin_bytes(script.clone());
                let out = process::run(&spec)?;
                if !rman_succeeded(&out) {
                    return Err(Self::fail("restore", &db.name, spec.display(), &out));
                }
                vec![format!("{} <<EOF\n{script}EOF", spec.display())]
            }
            OracleMethod::DataPump {
                impdp,
                user,
                password,
                directory,
                directory_path,
                ..
            } => {
                let schemas = image
                    .details
                    .get("schemas")
                    .cloned()
                    .unwrap_or_else(|| db.schemas.join(","));
                let dump = image.details.get("dumpfile").cloned().ok_or_else(|| {
                    DbError::Config("oracle: the record names no dump file".into())
                })?;
                // impdp reads from its DIRECTORY object: put the files there for the job.
                let mut placed = Vec::new();
                if directory_path != dir {
                    for f in &image.files {
                        let to = directory_path.join(&f.name);
                        std::fs::copy(dir.join(&f.name), &to).map_err(|e| DbError::io(&to, e))?;
                        placed.push(to);
                    }
                }
                let stamp = image.vendor_timestamp.clone().unwrap_or_else(utc_stamp);
                let log = format!("cnx_{}_{stamp}_imp.log", db.name);
                let lines = vec![
                    format!("schemas={schemas}"),
                    format!("directory={directory}"),
                    format!("dumpfile={dump}"),
                    format!("logfile={log}"),
                    "table_exists_action=replace".to_owned(),
                ];
                let result =
                    self.run_datapump("restore", impdp, user, password.as_ref(), &db.name, lines);
                // The job's files leave the DIRECTORY with it: the dump copies placed there
                // and the import log (its lines are in the tool's output, which an error
                // quotes).
                placed.push(directory_path.join(&log));
                for p in placed {
                    let _ = std::fs::remove_file(p);
                }
                vec![result?.1]
            }
        };
        Ok(RestoreRecord {
            database: db.name.clone(),
            vendor: Vendor::Oracle,
            vendor_timestamp: image.vendor_timestamp.clone(),
            commands,
            bytes: image.bytes,
            duration_ms: crate::clock::millis(started),
            warnings: Vec::new(),
        })
    }

    fn restore_commands(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        dir: &Path,
    ) -> Vec<String> {
        match &self.method {
            OracleMethod::Rman { rman } => vec![format!(
                "{} target / <<EOF\n{}EOF",
                rman.display(),
                Self::rman_restore_script(dir, image)
            )],
            OracleMethod::DataPump {
                impdp, directory, ..
            } => vec![format!(
                "{} parfile=… [schemas={} directory={directory} dumpfile={} table_exists_action=replace] (database {})",
                impdp.display(),
                image.details.get("schemas").cloned().unwrap_or_default(),
                image.details.get("dumpfile").cloned().unwrap_or_default(),
                db.name
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rman_scripts() {
        let o = Oracle {
            method: OracleMethod::Rman {
                rman: "/u01/bin/rman".into(),
            },
            options: ToolOptions::default(),
        };
        let s = o.rman_backup_script(Path::new("/stage"), "20261127120000");
        assert!(
            s.starts_with("SHUTDOWN IMMEDIATE;\nSTARTUP MOUNT;\n"),
            "{s}"
        );
        assert!(s.contains("FORMAT '/stage/cnx_20261127120000_db_%U' TAG 'CNX20261127120000'"));
        assert!(s.contains("ALTER DATABASE OPEN;"));
        let image = ImageRecord {
            database: "LSCONN".into(),
            vendor: Vendor::Oracle,
            mode: Mode::Offline,
            files: vec![],
            streamed: false,
            vendor_timestamp: Some("20261127120000".into()),
            bytes: 0,
            verification: None,
            duration_ms: 0,
            command: String::new(),
            details: BTreeMap::new(),
            warnings: vec![],
        };
        let r = Oracle::rman_restore_script(Path::new("/img"), &image);
        assert!(r.contains("CATALOG START WITH '/img/cnx_20261127120000_' NOPROMPT;"));
        assert!(r.contains("RESTORE DATABASE FROM TAG 'CNX20261127120000';"));
        assert!(r.contains("RECOVER DATABASE NOREDO;"));
        assert!(r.contains("ALTER DATABASE OPEN RESETLOGS;"));
    }

    #[test]
    fn passwords_with_special_characters_are_quoted() {
        let plain = Oracle::userid("system", Some(&Secret::new("Abc_1")), "LSCONN").unwrap();
        assert_eq!(plain.as_str(), "userid=system/Abc_1@LSCONN");
        let special = Oracle::userid("system", Some(&Secret::new("0rcl-x")), "LSCONN").unwrap();
        assert_eq!(special.as_str(), "userid=system/\"0rcl-x\"@LSCONN");
        assert!(Oracle::userid("system", None, "LSCONN").is_none());
    }
}
