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
mod error;
mod messages;
mod oracle;
mod probe;
mod record;
mod sqlserver;
mod staging;
mod tool;
mod vendor;

pub use command::CommandTool;
pub use config::{build_tool, ToolConfig, DEFAULT_PARALLEL};
pub use db2::Db2;
pub use error::DbError;
pub use messages::vendor_messages;
pub use oracle::{Oracle, OracleMethod};
pub use probe::{Probe, ProbedDatabase};
pub use record::{sha256_file, ImageFile, ImageRecord, RestoreRecord};
pub(crate) use record::{HashingReader, HashingWriter};
pub use sqlserver::SqlServer;
pub use staging::{check_free_space, check_staging, os_user, prepare_staging, SpaceCheck};
pub use tool::{BackupSink, DatabaseTarget, DatabaseTool, RestoreSource, ToolOptions};
pub use vendor::{Mode, Vendor};
