//! The vendor tool seam: one database to back up or restore ([`DatabaseTarget`]), where
//! the image goes or comes from, and the [`DatabaseTool`] every vendor implements.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use super::error::DbError;
use super::record::{ImageRecord, RestoreRecord};
use super::vendor::{Mode, Vendor};

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
    /// The dump is streamed into this writer (only [`CommandTool`](super::CommandTool)); nothing is staged.
    Stream(&'a mut dyn Write),
}

/// Where a restore reads from.
pub enum RestoreSource<'a> {
    /// The image files named in the record are in this directory.
    Staged(&'a Path),
    /// The dump is read from this reader (only [`CommandTool`](super::CommandTool)).
    Stream(&'a mut dyn Read),
}

/// A vendor's backup and restore. `Send + Sync`: the backups of distinct databases run side
/// by side through one tool.
pub trait DatabaseTool: Send + Sync {
    /// The vendor.
    fn vendor(&self) -> Vendor;

    /// Problems that would make a backup fail before it starts (tool missing, not
    /// executable, incomplete configuration). Empty when ready.
    fn preflight(&self) -> Vec<String>;

    /// A cheap call that proves the tool answers, says which databases of `dbs` it knows
    /// and, where it can, their sizes. Changes nothing; run before any server is stopped.
    fn probe(&self, dbs: &[DatabaseTarget]) -> Result<super::probe::Probe, DbError>;

    /// Backs up one database and, for a staged image, verifies it with the vendor's check
    /// ([`DatabaseTool::verify`]): the image record says how.
    fn backup(&self, db: &DatabaseTarget, sink: BackupSink<'_>) -> Result<ImageRecord, DbError> {
        let dir = match &sink {
            BackupSink::Staging(dir) => Some(dir.to_path_buf()),
            BackupSink::Stream(_) => None,
        };
        let mut image = self.take_image(db, sink)?;
        if let Some(dir) = dir {
            if let Some(v) = self.verify(db, &image, &dir)? {
                image.verification = Some(v);
            }
        }
        Ok(image)
    }

    /// Backs up one database without verifying the image: the backup procedure takes the
    /// images while the servers are stopped and verifies them once they run again.
    fn take_image(&self, db: &DatabaseTarget, sink: BackupSink<'_>)
        -> Result<ImageRecord, DbError>;

    /// Checks a staged image (in `dir`) with the vendor's own tool (`db2ckbkp`, `RESTORE
    /// VERIFYONLY`): what the check said (or why there was none), `None` for a vendor without
    /// one. A damaged image is an error.
    fn verify(
        &self,
        _db: &DatabaseTarget,
        _image: &ImageRecord,
        _dir: &Path,
    ) -> Result<Option<String>, DbError> {
        Ok(None)
    }

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
