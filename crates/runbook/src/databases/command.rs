//! `vendor = "command"`: any dump command whose stdout is the backup (streamed to the
//! caller, nothing staged), and a restore command that reads it on stdin. A non-zero exit
//! fails the step with the command's stderr in the error.
//!
//! `{database}` in either command is replaced by the database's name, so one configured
//! pair serves several databases.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use secret::Secret;

use super::error::DbError;
use super::probe::Probe;
use super::record::{HashingReader, HashingWriter};
use super::record::{ImageFile, ImageRecord, RestoreRecord};
use super::tool::{BackupSink, DatabaseTarget, DatabaseTool, RestoreSource, ToolOptions};
use super::vendor::{Mode, Vendor};
use crate::process::{self, split_command, CommandSpec, Output};

/// A configured dump command and restore command.
#[derive(Debug, Clone)]
pub struct CommandTool {
    /// `database.dump_command`, split into words.
    pub dump: Vec<String>,
    /// `database.restore_command`, split into words (`None`: restores are refused).
    pub restore: Option<Vec<String>>,
    /// Extra environment for both commands.
    pub env: Vec<(String, String)>,
    /// Secret environment for both commands (`PGPASSWORD`, ...), never shown.
    pub secret_env: Vec<(String, Secret)>,
    /// User and timeout (mode is not used).
    pub options: ToolOptions,
}

impl CommandTool {
    /// From the configured command strings (`pg_dump -Fc mydb`), split shell-style without
    /// running a shell.
    pub fn from_config(
        dump_command: &str,
        restore_command: Option<&str>,
        options: ToolOptions,
    ) -> Result<CommandTool, DbError> {
        let dump = split_command(dump_command)
            .map_err(|e| DbError::Config(format!("database.dump_command: {e}")))?;
        let restore = restore_command
            .map(|r| {
                split_command(r)
                    .map_err(|e| DbError::Config(format!("database.restore_command: {e}")))
            })
            .transpose()?;
        Ok(CommandTool {
            dump,
            restore,
            env: Vec::new(),
            secret_env: Vec::new(),
            options,
        })
    }

    fn spec(&self, words: &[String], db: &DatabaseTarget) -> CommandSpec {
        let words: Vec<String> = words
            .iter()
            .map(|w| w.replace("{database}", &db.name))
            .collect();
        let (program, args) = match words.split_first() {
            Some((p, a)) => (p.clone(), a.to_vec()),
            None => (String::new(), Vec::new()),
        };
        let program = process::which(&program)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or(program);
        let mut spec = CommandSpec::new(program)
            .args(args)
            .run_as(self.options.run_as.as_deref());
        for (k, v) in &self.env {
            spec = spec.env(k, v);
        }
        for (k, v) in &self.secret_env {
            spec = spec.secret_env(k, v);
        }
        if let Some(t) = self.options.timeout {
            spec = spec.timeout(t);
        }
        spec
    }

    fn fail(op: &'static str, db: &str, out: &Output) -> DbError {
        DbError::Tool {
            vendor: Vendor::Command,
            operation: op,
            database: db.to_owned(),
            command: out.command.clone(),
            status: out.status_text(),
            message: if out.stderr.trim().is_empty() {
                "(no message on stderr)".to_owned()
            } else {
                out.stderr.trim().to_owned()
            },
        }
    }

    fn dump_name(db: &DatabaseTarget) -> String {
        format!("{}.dump", db.name)
    }
}

impl DatabaseTool for CommandTool {
    fn vendor(&self) -> Vendor {
        Vendor::Command
    }

    fn preflight(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut check = |what: &str, words: &[String]| match words.first() {
            Some(p) if process::which(p).is_some() => {}
            Some(p) => problems.push(format!("{what}: {p} is not found or not executable")),
            None => problems.push(format!("{what} is empty")),
        };
        check("database.dump_command", &self.dump);
        if let Some(r) = &self.restore {
            check("database.restore_command", r);
        }
        problems
    }

    fn probe(&self, dbs: &[DatabaseTarget]) -> Result<Probe, DbError> {
        // A dump command is the administrator's own: there is nothing cheap to ask it. Its
        // program is there (preflight), and nothing is staged.
        Ok(Probe::present(
            self.dump.join(" "),
            dbs.iter().map(|d| d.name.clone()),
        ))
    }

    fn take_image(
        &self,
        db: &DatabaseTarget,
        sink: BackupSink<'_>,
    ) -> Result<ImageRecord, DbError> {
        let started = Instant::now();
        let spec = self.spec(&self.dump, db);
        let name = Self::dump_name(db);
        let (out, sha256, bytes, streamed) = match sink {
            BackupSink::Stream(w) => {
                let mut hw = HashingWriter::new(w);
                let (out, _) = process::run_stdout_to(&spec, &mut hw)?;
                let (sha, n) = hw.finish();
                (out, sha, n, true)
            }
            BackupSink::Staging(dir) => {
                let path = dir.join(&name);
                let file = File::create(&path).map_err(|e| DbError::io(&path, e))?;
                let mut buf = BufWriter::new(file);
                let mut hw = HashingWriter::new(&mut buf);
                let (out, _) = process::run_stdout_to(&spec, &mut hw)?;
                let (sha, n) = hw.finish();
                (out, sha, n, false)
            }
        };
        if !out.success() {
            return Err(Self::fail("backup", &db.name, &out));
        }
        Ok(ImageRecord {
            database: db.name.clone(),
            vendor: Vendor::Command,
            mode: Mode::Online,
            files: vec![ImageFile {
                name,
                size: bytes,
                sha256,
            }],
            streamed,
            vendor_timestamp: None,
            bytes,
            verification: None,
            duration_ms: crate::clock::millis(started),
            command: out.command.clone(),
            details: BTreeMap::new(),
            warnings: if out.stderr.trim().is_empty() {
                Vec::new()
            } else {
                vec![format!("dump command wrote to stderr: {}", out.tail(3))]
            },
        })
    }

    fn restore(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        source: RestoreSource<'_>,
    ) -> Result<RestoreRecord, DbError> {
        let started = Instant::now();
        let Some(words) = &self.restore else {
            return Err(DbError::Config(
                "database.restore_command is not configured".to_owned(),
            ));
        };
        let spec = self.spec(words, db);
        let (out, sha256, bytes) = match source {
            RestoreSource::Stream(r) => {
                let mut hr = HashingReader::new(r);
                let (out, _) = process::run_stdin_from(&spec, &mut hr)?;
                let (sha, n) = hr.finish();
                (out, sha, n)
            }
            RestoreSource::Staged(dir) => {
                let name = image
                    .files
                    .first()
                    .map(|f| f.name.clone())
                    .unwrap_or_else(|| Self::dump_name(db));
                let path = dir.join(name);
                let mut file = File::open(&path).map_err(|e| DbError::io(&path, e))?;
                let mut hr = HashingReader::new(&mut file);
                let (out, _) = process::run_stdin_from(&spec, &mut hr)?;
                let (sha, n) = hr.finish();
                (out, sha, n)
            }
        };
        if !out.success() {
            return Err(Self::fail("restore", &db.name, &out));
        }
        if let Some(expected) = image.files.first().map(|f| &f.sha256) {
            if *expected != sha256 {
                return Err(DbError::ChecksumMismatch {
                    database: db.name.clone(),
                    expected: expected.clone(),
                    actual: sha256,
                });
            }
        }
        Ok(RestoreRecord {
            database: db.name.clone(),
            vendor: Vendor::Command,
            vendor_timestamp: None,
            commands: vec![out.command.clone()],
            bytes,
            duration_ms: crate::clock::millis(started),
            warnings: Vec::new(),
        })
    }

    fn restore_commands(
        &self,
        db: &DatabaseTarget,
        _image: &ImageRecord,
        _dir: &Path,
    ) -> Vec<String> {
        match &self.restore {
            Some(w) => vec![format!(
                "{} < (the dump from the snapshot)",
                self.spec(w, db).display()
            )],
            None => vec!["(database.restore_command is not configured)".to_owned()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(dump: &str, restore: Option<&str>) -> CommandTool {
        CommandTool::from_config(dump, restore, ToolOptions::default()).unwrap()
    }

    #[test]
    fn dump_is_streamed_and_hashed_and_fed_back() {
        let t = tool(
            "printf 'dump of {database}'",
            Some("sh -c 'cat > \"$0\"' /dev/null"),
        );
        let db = DatabaseTarget::named("mydb");
        let mut sink = Vec::new();
        let rec = t.backup(&db, BackupSink::Stream(&mut sink)).unwrap();
        assert_eq!(sink, b"dump of mydb");
        assert!(rec.streamed);
        assert_eq!(rec.bytes, 12);
        assert_eq!(rec.files[0].size, 12);
        let mut src: &[u8] = &sink;
        let r = t
            .restore(&db, &rec, RestoreSource::Stream(&mut src))
            .unwrap();
        assert_eq!(r.bytes, 12);
        // A different stream is caught.
        let mut other: &[u8] = b"something else";
        let err = t
            .restore(&db, &rec, RestoreSource::Stream(&mut other))
            .unwrap_err();
        assert!(matches!(err, DbError::ChecksumMismatch { .. }), "{err}");
    }

    #[test]
    fn non_zero_exit_fails_with_stderr() {
        let t = tool(
            "sh -c 'echo partial; echo \"pg_dump: error: connection refused\" >&2; exit 1'",
            None,
        );
        let mut sink = Vec::new();
        let err = t
            .backup(&DatabaseTarget::named("x"), BackupSink::Stream(&mut sink))
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("connection refused"), "{text}");
        assert!(text.contains("exit code 1"), "{text}");
    }

    #[test]
    fn staged_backup_writes_a_file() {
        let d = tempfile::tempdir().unwrap();
        let t = tool("printf abc", Some("cat"));
        let db = DatabaseTarget::named("db1");
        let rec = t.backup(&db, BackupSink::Staging(d.path())).unwrap();
        assert_eq!(std::fs::read(d.path().join("db1.dump")).unwrap(), b"abc");
        assert!(!rec.streamed);
        let r = t
            .restore(&db, &rec, RestoreSource::Staged(d.path()))
            .unwrap();
        assert_eq!(r.bytes, 3);
    }

    #[test]
    fn secret_env_is_masked() {
        let mut t = tool("pg_dump -Fc {database}", None);
        t.secret_env
            .push(("PGPASSWORD".into(), Secret::new("pgpw")));
        let spec = t.spec(&t.dump, &DatabaseTarget::named("cnx"));
        assert!(
            spec.display().ends_with("pg_dump -Fc cnx"),
            "{}",
            spec.display()
        );
        assert_eq!(spec.display_env(), "PGPASSWORD=***");
        assert!(t.preflight().is_empty() || t.preflight()[0].contains("pg_dump"));
    }
}
