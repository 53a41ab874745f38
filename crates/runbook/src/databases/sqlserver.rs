//! Microsoft SQL Server through `sqlcmd`: `BACKUP DATABASE … WITH CHECKSUM, COMPRESSION,
//! INIT`, `RESTORE VERIFYONLY`, and `RESTORE DATABASE … WITH REPLACE, RECOVERY`. The
//! password travels in `SQLCMDPASSWORD`, never on the command line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use secret::Secret;

use super::error::{check_name, DbError};
use super::messages::error_text;
use super::probe::parse_sqlserver_sizes;
use super::probe::Probe;
use super::record::image_file;
use super::record::{ImageRecord, RestoreRecord};
use super::tool::{BackupSink, DatabaseTarget, DatabaseTool, RestoreSource, ToolOptions};
use super::vendor::{Mode, Vendor};
use crate::clock::utc_stamp;
use crate::process::{self, CommandSpec, Output};

/// SQL Server via `sqlcmd`.
#[derive(Debug, Clone)]
pub struct SqlServer {
    /// The `sqlcmd` command (real path).
    pub command: PathBuf,
    /// SQL login (`-U`); `None`: Windows/Kerberos trusted connection (`-E`).
    pub username: Option<String>,
    /// The login's password (passed as `SQLCMDPASSWORD`).
    pub password: Option<Secret>,
    /// The staging directory as the SQL Server sees it, when it differs from ours (the
    /// server writes the `.bak` itself: on another host this is a share, e.g.
    /// `\\backup\cnx`). `None`: the same path as the staging directory.
    pub server_dir: Option<String>,
    /// User, timeout (mode is ignored: SQL Server backups are online and consistent).
    pub options: ToolOptions,
}

impl SqlServer {
    /// `sqlcmd` at `command` with a trusted connection.
    pub fn new(command: impl Into<PathBuf>, options: ToolOptions) -> SqlServer {
        SqlServer {
            command: command.into(),
            username: None,
            password: None,
            server_dir: None,
            options,
        }
    }

    fn server_arg(db: &DatabaseTarget) -> Option<String> {
        let host = db.host.as_deref()?;
        Some(match db.port {
            Some(p) => format!("{host},{p}"),
            None => host.to_owned(),
        })
    }

    fn spec(&self, db: &DatabaseTarget, query: &str) -> CommandSpec {
        self.spec_with(db, query, &[])
    }

    /// `spec` with output options before the query (`-h -1 -W -s |` for parseable rows).
    fn spec_with(&self, db: &DatabaseTarget, query: &str, output: &[&str]) -> CommandSpec {
        let mut spec = CommandSpec::new(&self.command);
        if let Some(s) = Self::server_arg(db) {
            spec = spec.arg("-S").arg(s);
        }
        spec = match &self.username {
            Some(u) => spec.arg("-U").arg(u),
            None => spec.arg("-E"),
        };
        if let Some(pw) = &self.password {
            spec = spec.secret_env("SQLCMDPASSWORD", pw);
        }
        // -b: a failing statement makes sqlcmd exit non-zero.
        spec = spec
            .args(output)
            .arg("-b")
            .arg("-Q")
            .arg(query)
            .run_as(self.options.run_as.as_deref());
        if let Some(t) = self.options.timeout {
            spec = spec.timeout(t);
        }
        spec
    }

    /// The backup file's path as the server sees it.
    fn server_path(&self, local_dir: &Path, file: &str) -> String {
        match &self.server_dir {
            Some(d) if d.contains('\\') => format!("{}\\{file}", d.trim_end_matches('\\')),
            Some(d) => format!("{}/{file}", d.trim_end_matches('/')),
            None => local_dir.join(file).to_string_lossy().into_owned(),
        }
    }

    fn run_checked(
        &self,
        op: &'static str,
        db: &str,
        spec: &CommandSpec,
    ) -> Result<Output, DbError> {
        let out = process::run(spec)?;
        // sqlcmd -b exits non-zero on errors; "Msg N, Level 16+" lines are errors too.
        let has_error = out
            .combined()
            .lines()
            .any(|l| l.starts_with("Msg ") && level(l) >= 11);
        if !out.success() || has_error {
            return Err(DbError::Tool {
                vendor: Vendor::Sqlserver,
                operation: op,
                database: db.to_owned(),
                command: spec.display(),
                status: out.status_text(),
                message: error_text(&out),
            });
        }
        Ok(out)
    }

    fn restore_queries(name: &str, disk: &str) -> [String; 2] {
        [
            format!("ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE"),
            format!(
                "RESTORE DATABASE [{name}] FROM DISK=N'{}' WITH REPLACE, RECOVERY",
                quote_literal(disk)
            ),
        ]
    }
}

/// Every database of a server with the total size of its files (pages of 8 KiB).
const SIZE_QUERY: &str = "SET NOCOUNT ON; SELECT d.name, SUM(CAST(f.size AS bigint)) * 8192 \
     FROM sys.databases AS d JOIN sys.master_files AS f ON f.database_id = d.database_id \
     GROUP BY d.name";

/// The severity of a `Msg 3201, Level 16, State 1, …` line (0 when absent).
fn level(line: &str) -> u32 {
    line.split(',')
        .find_map(|part| part.trim().strip_prefix("Level "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0)
}

/// A T-SQL N'…' literal body.
fn quote_literal(s: &str) -> String {
    s.replace('\'', "''")
}

impl DatabaseTool for SqlServer {
    fn vendor(&self) -> Vendor {
        Vendor::Sqlserver
    }

    fn preflight(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !process::is_executable(&self.command) {
            problems.push(format!(
                "database.command {} is missing or not executable",
                self.command.display()
            ));
        }
        if self.username.is_some() && self.password.is_none() {
            problems.push("sqlserver: a login is configured but no password".to_owned());
        }
        problems
    }

    fn probe(&self, dbs: &[DatabaseTarget]) -> Result<Probe, DbError> {
        let mut probe = Probe::present(String::new(), dbs.iter().map(|d| d.name.clone()));
        probe.size_basis = Some("SQL Server's file sizes (sys.master_files)".into());
        // One query per server: the databases it has and their files' sizes.
        let mut asked: Vec<Option<String>> = Vec::new();
        for db in dbs {
            let server = Self::server_arg(db);
            if asked.contains(&server) {
                continue;
            }
            let spec = self.spec_with(db, SIZE_QUERY, &["-h", "-1", "-W", "-s", "|"]);
            probe.command = spec.display();
            let out = self.run_checked("probe", &db.name, &spec)?;
            let sizes = parse_sqlserver_sizes(&out.stdout);
            for p in probe.databases.iter_mut().zip(dbs) {
                let (p, target) = p;
                if Self::server_arg(target) == server {
                    let found = sizes.iter().find(|(n, _)| n.eq_ignore_ascii_case(&p.name));
                    p.known = found.is_some();
                    p.bytes = found.map(|(_, b)| *b);
                }
            }
            asked.push(server);
        }
        Ok(probe)
    }

    fn take_image(
        &self,
        db: &DatabaseTarget,
        sink: BackupSink<'_>,
    ) -> Result<ImageRecord, DbError> {
        let started = Instant::now();
        check_name(Vendor::Sqlserver, &db.name)?;
        let BackupSink::Staging(dir) = sink else {
            return Err(DbError::Config(
                "sqlserver: backups are written to the staging directory, not streamed".into(),
            ));
        };
        let stamp = utc_stamp();
        let file = format!("{}_{stamp}.bak", db.name);
        let disk = self.server_path(dir, &file);
        let query = format!(
            "BACKUP DATABASE [{}] TO DISK=N'{}' WITH CHECKSUM, COMPRESSION, INIT",
            db.name,
            quote_literal(&disk)
        );
        let spec = self.spec(db, &query);
        self.run_checked("backup", &db.name, &spec)?;
        if !dir.join(&file).is_file() {
            return Err(DbError::ImageNotFound {
                database: db.name.clone(),
                dir: dir.to_path_buf(),
                pattern: file,
            });
        }
        let f = image_file(dir, &file)?;
        let mut details = BTreeMap::new();
        details.insert("server_file".to_owned(), disk);
        Ok(ImageRecord {
            database: db.name.clone(),
            vendor: Vendor::Sqlserver,
            mode: Mode::Online,
            bytes: f.size,
            files: vec![f],
            streamed: false,
            vendor_timestamp: Some(stamp),
            verification: None,
            duration_ms: crate::clock::millis(started),
            command: spec.display(),
            details,
            warnings: Vec::new(),
        })
    }

    fn verify(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        dir: &Path,
    ) -> Result<Option<String>, DbError> {
        let Some(file) = image.files.first() else {
            return Ok(Some("not verified: the record names no file".into()));
        };
        let disk = self.server_path(dir, &file.name);
        let verify = format!(
            "RESTORE VERIFYONLY FROM DISK=N'{}' WITH CHECKSUM",
            quote_literal(&disk)
        );
        let vout = self.run_checked("verify", &db.name, &self.spec(db, &verify))?;
        let verdict = vout
            .stdout
            .lines()
            .find(|l| l.contains("is valid"))
            .unwrap_or("RESTORE VERIFYONLY succeeded")
            .trim()
            .to_owned();
        Ok(Some(format!("RESTORE VERIFYONLY: {verdict}")))
    }

    fn restore(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        source: RestoreSource<'_>,
    ) -> Result<RestoreRecord, DbError> {
        let started = Instant::now();
        check_name(Vendor::Sqlserver, &db.name)?;
        let RestoreSource::Staged(dir) = source else {
            return Err(DbError::Config(
                "sqlserver: restores read the .bak file from a directory, not a stream".into(),
            ));
        };
        let Some(file) = image.files.first() else {
            return Err(DbError::Config(format!(
                "sqlserver: the backup record of {} names no file",
                db.name
            )));
        };
        if !dir.join(&file.name).is_file() {
            return Err(DbError::ImageNotFound {
                database: db.name.clone(),
                dir: dir.to_path_buf(),
                pattern: file.name.clone(),
            });
        }
        let disk = self.server_path(dir, &file.name);
        let mut commands = Vec::new();
        for q in Self::restore_queries(&db.name, &disk) {
            let spec = self.spec(db, &q);
            commands.push(spec.display());
            self.run_checked("restore", &db.name, &spec)?;
        }
        Ok(RestoreRecord {
            database: db.name.clone(),
            vendor: Vendor::Sqlserver,
            vendor_timestamp: image.vendor_timestamp.clone(),
            commands,
            bytes: file.size,
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
        let name = image
            .files
            .first()
            .map(|f| f.name.as_str())
            .unwrap_or("<file>");
        let disk = self.server_path(dir, name);
        Self::restore_queries(&db.name, &disk)
            .iter()
            .map(|q| self.spec(db, q).display())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_goes_in_the_environment_and_never_shows() {
        let mut t = SqlServer::new("/opt/mssql-tools/bin/sqlcmd", ToolOptions::default());
        t.username = Some("sa".into());
        t.password = Some(Secret::new("Very$ecret1"));
        let db = DatabaseTarget {
            name: "PEOPLEDB".into(),
            host: Some("db1".into()),
            port: Some(1433),
            schemas: vec![],
        };
        let spec = t.spec(&db, "SELECT 1");
        assert_eq!(
            spec.display(),
            "/opt/mssql-tools/bin/sqlcmd -S db1,1433 -U sa -b -Q 'SELECT 1'"
        );
        assert_eq!(spec.display_env(), "SQLCMDPASSWORD=***");
    }

    #[test]
    fn server_paths_follow_the_server_side_convention() {
        let mut t = SqlServer::new("/x/sqlcmd", ToolOptions::default());
        assert_eq!(t.server_path(Path::new("/stage"), "A.bak"), "/stage/A.bak");
        t.server_dir = Some(r"\\nas\cnx\".into());
        assert_eq!(
            t.server_path(Path::new("/stage"), "A.bak"),
            r"\\nas\cnx\A.bak"
        );
        assert_eq!(quote_literal("it's"), "it''s");
    }

    #[test]
    fn message_levels() {
        assert_eq!(level("Msg 3201, Level 16, State 1, Server x, Line 1"), 16);
        assert_eq!(level("Msg 5701, Level 0, State 2"), 0);
    }
}
