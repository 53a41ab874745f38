//! Why a database step failed ([`DbError`]), and the name check every vendor applies
//! before a name goes into a vendor command.

use std::path::{Path, PathBuf};

use super::vendor::Vendor;
use crate::process::ProcessError;

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
    /// The staging directory cannot be used (read-only, not writable by the tool's user).
    #[error("staging directory {}: {message}", dir.display())]
    Staging {
        /// The directory (as configured).
        dir: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// `database.run_as` names a user this host does not have.
    #[error("database.run_as: there is no OS user {user:?} on this host; create it or set database.run_as to the database instance owner")]
    NoSuchUser {
        /// The user.
        user: String,
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

    /// The cause this failure shares with every other database of the backup (no space,
    /// a read-only or missing target, the tool missing, the login refused), when it is one:
    /// then the others are not tried.
    pub fn common_cause(&self) -> Option<&'static str> {
        use std::io::ErrorKind;
        match self {
            DbError::NoSpace { .. } => Some("the staging directory is full"),
            DbError::NoSuchUser { .. } => Some("database.run_as names no user"),
            DbError::Staging { .. } => Some("the staging directory cannot be used"),
            DbError::Process(ProcessError::Spawn { .. } | ProcessError::RunAsNeedsRoot { .. }) => {
                Some("the database tool cannot be run")
            }
            DbError::Io { source, .. } => match source.kind() {
                ErrorKind::StorageFull => Some("the staging directory is full"),
                ErrorKind::ReadOnlyFilesystem => Some("the staging directory is read-only"),
                ErrorKind::PermissionDenied => Some("the staging directory is not writable"),
                _ => None,
            },
            DbError::Tool { message, .. } => super::messages::common_cause(message),
            _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name(Vendor::Db2, "PEOPLEDB").is_ok());
        assert!(check_name(Vendor::Db2, "FN_GCD1").is_ok());
        assert!(check_name(Vendor::Db2, "x; drop").is_err());
        assert!(check_name(Vendor::Db2, "").is_err());
        assert!(check_name(Vendor::Sqlserver, "a]b").is_err());
    }
}
