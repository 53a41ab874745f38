//! The `[database]` settings as the runbook's vendor-tool configuration (backup and restore),
//! and the `[snapshot]` settings as its file-system snapshot configuration.

use std::path::{Path, PathBuf};

use runbook::databases::{ToolConfig, Vendor};

use super::Context;
use crate::config;

impl Context {
    /// The `[snapshot]` settings as the runbook's, when a method is set.
    pub fn snapshot_config(&self) -> Option<runbook::fssnap::SnapshotConfig> {
        let s = &self.loaded.config.snapshot;
        Some(runbook::fssnap::SnapshotConfig {
            method: s.method?,
            mount_dir: s.mount_dir.clone(),
            lvm_size: s.lvm_size.clone(),
            create_command: s.create_command.clone(),
            remove_command: s.remove_command.clone(),
            timeout: std::time::Duration::from_secs(s.timeout_secs),
        })
    }

    /// The `[database]` settings as the runbook's vendor-tool configuration. The tools' paths
    /// (`command`, `verify_command`) are product paths, looked up under the sysroot; the
    /// password is read from `database.password_file` (never a value or an argument) and
    /// handed to the runbook, which gives it to the tool through its environment or a private
    /// parameter file.
    pub fn database_tool_config(&self, sys: &websphere::Sysroot) -> anyhow::Result<ToolConfig> {
        let db = &self.loaded.config.database;
        let product = |key: &str, p: &Option<PathBuf>| -> anyhow::Result<Option<PathBuf>> {
            match p {
                Some(p) => {
                    Ok(Some(sys.real_path(p).map_err(|e| {
                        anyhow::anyhow!("{key} {}: {e}", p.display())
                    })?))
                }
                None => Ok(None),
            }
        };
        let password = config::database_password(&self.loaded)?;
        Ok(ToolConfig {
            vendor: db.vendor,
            command: product("database.command", &db.command)?,
            run_as: db.run_as.clone(),
            mode: db.mode,
            timeout: db.timeout_secs.map(std::time::Duration::from_secs),
            dump_command: db.dump_command.clone(),
            // Oracle Data Pump reads it as the `impdp` program: a product path like `command`.
            restore_command: match (db.vendor, &db.restore_command) {
                (Some(Vendor::Oracle), Some(impdp)) => Some(
                    sys.real_path(Path::new(impdp))
                        .map_err(|e| anyhow::anyhow!("database.restore_command {impdp}: {e}"))?
                        .to_string_lossy()
                        .into_owned(),
                ),
                (_, other) => other.clone(),
            },
            verify_command: product("database.verify_command", &db.verify_command)?,
            username: db.username.clone(),
            password,
            oracle_directory: db.oracle_directory.clone(),
            oracle_directory_path: db.oracle_directory_path.clone(),
            sqlserver_dir: db.server_staging_dir.clone(),
            staging_dir: db.staging_dir.clone(),
            parallel: db.parallel.and_then(|n| usize::try_from(n).ok()),
        })
    }
}
