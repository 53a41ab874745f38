//! Database backups and restores with the vendors' own tools.
//!
//! One [`DatabaseTool`] per vendor: [`Db2`] (`db2 backup database … compress`, the image
//! found by its documented name and checked with `db2ckbkp`), [`Oracle`] (RMAN or Data
//! Pump), [`SqlServer`] (`sqlcmd` `BACKUP DATABASE … WITH CHECKSUM, COMPRESSION`) and
//! [`CommandTool`] (any dump command whose stdout is streamed, restored by a command fed on
//! stdin). A backup step writes image files into a staging directory (or, for `command`,
//! into a caller's sink) and returns an [`ImageRecord`] for the manifest: files, sizes,
//! SHA-256 checksums, the vendor's timestamp and the duration. The caller chooses the
//! databases (FNGCD and FNOS included when CCM is installed) and ingests the images.

mod command;
mod config;
mod db2;
mod messages;
mod oracle;
mod record;
mod sqlserver;
mod staging;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use command::CommandTool;
pub use config::{build_tool, ToolConfig};
pub use db2::Db2;
pub use messages::vendor_messages;
pub use oracle::{Oracle, OracleMethod};
pub use record::{sha256_file, ImageFile, ImageRecord, RestoreRecord};
pub use sqlserver::SqlServer;
pub use staging::{check_free_space, prepare_staging, SpaceCheck};

use crate::process::ProcessError;

/// Which tool family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// IBM Db2.
    Db2,
    /// Oracle.
    Oracle,
    /// Microsoft SQL Server.
    Sqlserver,
    /// A configured dump/restore command pair.
    Command,
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Vendor::Db2 => "db2",
            Vendor::Oracle => "oracle",
            Vendor::Sqlserver => "sqlserver",
            Vendor::Command => "command",
        })
    }
}

/// Offline (the default: restorable onto a later DB version, consistent with the stopped
/// servers) or online.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Offline backup.
    #[default]
    Offline,
    /// Online backup (DB2 `online … include logs`, RMAN `plus archivelog`).
    Online,
}

/// One database to back up or restore.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DatabaseTarget {
    /// Database name (DB2/SQL Server database, Oracle SID or service).
    pub name: String,
    /// Database server host, when known.
    pub host: Option<String>,
    /// Database server port, when known.
    pub port: Option<u16>,
    /// Oracle schemas (Data Pump exports these).
    pub schemas: Vec<String>,
}

impl DatabaseTarget {
    /// A database by name only.
    pub fn named(name: impl Into<String>) -> DatabaseTarget {
        DatabaseTarget {
            name: name.into(),
            ..DatabaseTarget::default()
        }
    }
}

impl From<&connections::deployment::Database> for DatabaseTarget {
    fn from(d: &connections::deployment::Database) -> DatabaseTarget {
        DatabaseTarget {
            name: d.name.clone(),
            host: d.host.clone(),
            port: d.port,
            schemas: d.schemas.clone(),
        }
    }
}

/// Where a backup goes.
pub enum BackupSink<'a> {
    /// Image files are written into this directory (it must exist and be writable by the
    /// tool's user).
    Staging(&'a Path),
    /// The dump is streamed into this writer (only [`CommandTool`]); nothing is staged.
    Stream(&'a mut dyn Write),
}

/// Where a restore reads from.
pub enum RestoreSource<'a> {
    /// The image files named in the record are in this directory.
    Staged(&'a Path),
    /// The dump is read from this reader (only [`CommandTool`]).
    Stream(&'a mut dyn Read),
}

/// A vendor's backup and restore.
pub trait DatabaseTool {
    /// The vendor.
    fn vendor(&self) -> Vendor;

    /// Problems that would make a backup fail before it starts (tool missing, not
    /// executable, incomplete configuration). Empty when ready.
    fn preflight(&self) -> Vec<String>;

    /// Backs up one database.
    fn backup(&self, db: &DatabaseTarget, sink: BackupSink<'_>) -> Result<ImageRecord, DbError>;

    /// Restores one database from the image a backup recorded.
    fn restore(
        &self,
        db: &DatabaseTarget,
        image: &ImageRecord,
        source: RestoreSource<'_>,
    ) -> Result<RestoreRecord, DbError>;

    /// The commands [`DatabaseTool::restore`] would run, secrets masked (for `--dry-run`).
    fn restore_commands(&self, db: &DatabaseTarget, image: &ImageRecord, dir: &Path)
        -> Vec<String>;
}

/// Settings every vendor shares.
#[derive(Debug, Clone, Default)]
pub struct ToolOptions {
    /// Run the tool as this OS user (`database.run_as`).
    pub run_as: Option<String>,
    /// Kill a tool run after this long (none: wait).
    pub timeout: Option<Duration>,
    /// Offline or online.
    pub mode: Mode,
}

/// A database step failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The vendor tool ran and reported failure.
    #[error(
        "{vendor} {operation} of {database} failed ({status}): {message}\n  command: {command}"
    )]
    Tool {
        /// Vendor.
        vendor: Vendor,
        /// `backup`, `restore`, `quiesce`, `verify`, ...
        operation: &'static str,
        /// Database name.
        database: String,
        /// The redacted command line.
        command: String,
        /// How it ended (`exit code 4`).
        status: String,
        /// The vendor's messages (`SQL2062N …`) or the output's last lines.
        message: String,
    },
    /// The tool could not be run at all.
    #[error(transparent)]
    Process(#[from] ProcessError),
    /// The backup reported success but its image is not where the documentation says.
    #[error("{database}: the backup image {pattern} was not found in {}", dir.display())]
    ImageNotFound {
        /// Database.
        database: String,
        /// Directory searched.
        dir: PathBuf,
        /// What was looked for.
        pattern: String,
    },
    /// Not enough free space in the staging directory.
    #[error(
        "not enough free space in {}: {available} bytes available, about {needed} needed",
        dir.display()
    )]
    NoSpace {
        /// The directory.
        dir: PathBuf,
        /// Bytes the caller estimated.
        needed: u64,
        /// Bytes available to us.
        available: u64,
    },
    /// A file operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The configuration does not allow this step.
    #[error("{0}")]
    Config(String),
    /// A restored stream did not match the checksum recorded at backup time.
    #[error("{database}: the dump fed to the restore has SHA-256 {actual}, the backup recorded {expected}")]
    ChecksumMismatch {
        /// Database.
        database: String,
        /// Recorded.
        expected: String,
        /// Seen.
        actual: String,
    },
}

impl DbError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DbError {
        DbError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A database name that is safe to put into a vendor command (letters, digits, `_`, `@`,
/// `#`, `$`): Connections' names always are, and refusing anything else keeps quoting out
/// of the vendor command languages.
pub(crate) fn check_name(vendor: Vendor, name: &str) -> Result<(), DbError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '#' | '$'));
    if ok {
        Ok(())
    } else {
        Err(DbError::Config(format!(
            "{vendor}: database or schema name {name:?} has characters cnxbackup does not pass to the vendor tool"
        )))
    }
}

/// The current UTC time as `YYYYMMDDhhmmss` (used where the vendor has no timestamp of its
/// own: file names, RMAN tags).
pub(crate) fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = vault::maintenance::policy::civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault::maintenance::policy::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_788), (2026, 12, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(utc_stamp().len(), 14);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name(Vendor::Db2, "PEOPLEDB").is_ok());
        assert!(check_name(Vendor::Db2, "FN_GCD1").is_ok());
        assert!(check_name(Vendor::Db2, "x; drop").is_err());
        assert!(check_name(Vendor::Db2, "").is_err());
        assert!(check_name(Vendor::Sqlserver, "a]b").is_err());
    }
}
