//! Building the right [`DatabaseTool`] from the `[database]` configuration.

use std::path::PathBuf;
use std::time::Duration;

use secret::Secret;

use super::command::CommandTool;
use super::db2::Db2;
use super::error::DbError;
use super::oracle::{Oracle, OracleMethod};
use super::sqlserver::SqlServer;
use super::tool::{DatabaseTool, ToolOptions};
use super::vendor::{Mode, Vendor};

/// The `[database]` settings, with product paths already mapped to real ones.
#[derive(Debug, Clone, Default)]
pub struct ToolConfig {
    /// `database.vendor`.
    pub vendor: Option<Vendor>,
    /// `database.command`: `db2`, `sqlcmd`, `expdp` or `rman`.
    pub command: Option<PathBuf>,
    /// `database.run_as`.
    pub run_as: Option<String>,
    /// `database.mode`.
    pub mode: Mode,
    /// A limit per tool run.
    pub timeout: Option<Duration>,
    /// `database.dump_command` (vendor `command`).
    pub dump_command: Option<String>,
    /// `database.restore_command` (vendor `command`; for Oracle Data Pump the `impdp`
    /// path, default: next to `expdp`).
    pub restore_command: Option<String>,
    /// DB2 `db2ckbkp` (default: next to `db2`).
    pub verify_command: Option<PathBuf>,
    /// SQL Server login / Oracle Data Pump user.
    pub username: Option<String>,
    /// Their password.
    pub password: Option<Secret>,
    /// Oracle Data Pump DIRECTORY object (default `DATA_PUMP_DIR`).
    pub oracle_directory: Option<String>,
    /// Where that directory's files are visible here (default: the staging directory).
    pub oracle_directory_path: Option<PathBuf>,
    /// SQL Server: the staging directory as the server sees it.
    pub sqlserver_dir: Option<String>,
    /// The staging directory (`database.staging_dir`).
    pub staging_dir: PathBuf,
    /// Database backups at a time (`database.parallel`); `None`: [`DEFAULT_PARALLEL`].
    pub parallel: Option<usize>,
}

/// Database backups at a time when `database.parallel` is not set. Chosen from the outage
/// benchmark (`scripts/bench/outage.sh`, docs/PERFORMANCE.md): with 16 databases, 4 at a
/// time cuts the window to about a third of one-at-a-time, while the load on the database
/// server and the staging disk stays that of 4 backups (docs/USAGE.md says how to choose).
pub const DEFAULT_PARALLEL: usize = 4;

impl ToolConfig {
    /// Database backups at a time (at least 1).
    pub fn parallel(&self) -> usize {
        self.parallel.unwrap_or(DEFAULT_PARALLEL).max(1)
    }
}

/// The tool for `cfg`: DB2, SQL Server, Oracle (RMAN when `command` is `rman`, Data Pump
/// otherwise) or the `command` pair.
pub fn build_tool(cfg: &ToolConfig) -> Result<Box<dyn DatabaseTool>, DbError> {
    let vendor = cfg
        .vendor
        .ok_or_else(|| DbError::Config("database.vendor is not set".into()))?;
    let options = ToolOptions {
        run_as: cfg.run_as.clone(),
        timeout: cfg.timeout,
        mode: cfg.mode,
    };
    let command = || {
        cfg.command.clone().ok_or_else(|| {
            DbError::Config(format!("database.command is required for vendor {vendor}"))
        })
    };
    Ok(match vendor {
        Vendor::Db2 => {
            let mut t = Db2::new(command()?, options);
            t.verify_command = cfg.verify_command.clone();
            Box::new(t)
        }
        Vendor::Sqlserver => {
            let mut t = SqlServer::new(command()?, options);
            t.username = cfg.username.clone();
            t.password = cfg.password.clone();
            t.server_dir = cfg.sqlserver_dir.clone();
            Box::new(t)
        }
        Vendor::Oracle => {
            let cmd = command()?;
            let is_rman = cmd
                .file_name()
                .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("rman"));
            let method = if is_rman {
                OracleMethod::Rman { rman: cmd }
            } else {
                let impdp = cfg
                    .restore_command
                    .as_ref()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| cmd.with_file_name("impdp"));
                OracleMethod::DataPump {
                    expdp: cmd,
                    impdp,
                    user: cfg.username.clone().unwrap_or_else(|| "system".into()),
                    password: cfg.password.clone(),
                    directory: cfg
                        .oracle_directory
                        .clone()
                        .unwrap_or_else(|| "DATA_PUMP_DIR".into()),
                    directory_path: cfg
                        .oracle_directory_path
                        .clone()
                        .unwrap_or_else(|| cfg.staging_dir.clone()),
                }
            };
            Box::new(Oracle { method, options })
        }
        Vendor::Command => {
            let dump = cfg.dump_command.as_deref().ok_or_else(|| {
                DbError::Config("database.dump_command is required for vendor command".into())
            })?;
            Box::new(CommandTool::from_config(
                dump,
                cfg.restore_command.as_deref(),
                options,
            )?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_are_built_from_configuration() {
        let mut cfg = ToolConfig {
            vendor: Some(Vendor::Oracle),
            command: Some("/u01/bin/rman".into()),
            ..ToolConfig::default()
        };
        assert_eq!(build_tool(&cfg).unwrap().vendor(), Vendor::Oracle);
        cfg.vendor = Some(Vendor::Command);
        let err = build_tool(&cfg).err().unwrap();
        assert!(err.to_string().contains("dump_command"), "{err}");
        cfg.dump_command = Some("pg_dump -Fc db".into());
        assert_eq!(build_tool(&cfg).unwrap().vendor(), Vendor::Command);
        cfg.vendor = Some(Vendor::Db2);
        cfg.command = None;
        assert!(build_tool(&cfg).is_err());
        cfg.vendor = None;
        assert!(build_tool(&cfg).is_err());
    }
}
