//! One module per command. Each receives the [`Context`]: the global options, the loaded
//! configuration, the sysroot and the output channel.

pub mod backup_run;
pub mod completions;
pub mod config_show;
pub mod demo;
pub mod diff;
pub mod discover;
pub mod plan;
pub mod repo_commands;
pub mod restore_run;
pub mod retention;
pub mod s3_settings;
pub mod show;

use crate::cli::GlobalOpts;
use crate::config::{self, ConfigError, Environment, LoadedConfig, ProcessEnv};
use crate::output::Output;
use crate::secrets::{self, Secret};
use std::path::PathBuf;

/// Everything a command needs from the world outside it.
pub struct Context {
    pub global: GlobalOpts,
    pub loaded: LoadedConfig,
    /// The directory product paths are mapped under (`/` on a real system).
    pub sysroot: PathBuf,
    pub out: Output,
    pub env: Box<dyn Environment>,
}

impl Context {
    /// Load the configuration and check the global options. Fails with a [`ConfigError`]
    /// (exit 2) on anything the user has to fix.
    pub fn new(global: GlobalOpts) -> Result<Context, ConfigError> {
        let env: Box<dyn Environment> = Box::new(ProcessEnv);
        let flags = config::FlagValues {
            config: global.config.clone(),
            repo: global.repo.clone(),
            password_file: global.password_file.clone(),
        };
        let loaded = config::load(&flags, env.as_ref())?;
        secrets::register_configured_secret_files(&loaded);
        let sysroot = sysroot(&global, env.as_ref())?;
        Ok(Context {
            out: Output { json: global.json },
            global,
            loaded,
            sysroot,
            env,
        })
    }

    /// The repository URL, or a usage error saying how to give one.
    pub fn repository_url(&self) -> Result<&str, ConfigError> {
        self.loaded
            .config
            .repository
            .url
            .as_deref()
            .ok_or(ConfigError::Missing {
                what: "repository",
                hint: "give --repo DIR|s3://BUCKET/PREFIX, set CNXBACKUP_REPOSITORY, or \
                       [repository] url in the config",
            })
    }

    /// How to reach the repository's storage (`[s3]`, the AWS variables, the secret file).
    pub fn storage_options(&self) -> Result<vault::StorageOptions, ConfigError> {
        s3_settings::storage_options(&self.loaded, self.env.as_ref())
    }

    pub fn repository_password(&self) -> Result<Secret, ConfigError> {
        secrets::repository_password(&self.loaded, self.env.as_ref())
    }

    pub fn websphere_password(&self) -> Result<Option<Secret>, ConfigError> {
        secrets::websphere_password(&self.loaded, self.env.as_ref())
    }

    /// The `[database]` settings as the runbook's vendor-tool configuration. The tools' paths
    /// (`command`, `verify_command`) are product paths, looked up under the sysroot; the
    /// password is read from `database.password_file` (never a value or an argument) and
    /// handed to the runbook, which gives it to the tool through its environment or a private
    /// parameter file. (Used by backup and restore.)
    pub fn database_tool_config(
        &self,
        sys: &websphere::Sysroot,
    ) -> anyhow::Result<runbook::databases::ToolConfig> {
        use crate::config::{DatabaseMode, DatabaseVendor};
        use runbook::databases::{Mode, ToolConfig, Vendor};
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
        let password = config::database_password(&self.loaded)?
            .map(|secret| websphere::Secret::new(secret.expose()));
        Ok(ToolConfig {
            vendor: db.vendor.map(|v| match v {
                DatabaseVendor::Db2 => Vendor::Db2,
                DatabaseVendor::Oracle => Vendor::Oracle,
                DatabaseVendor::Sqlserver => Vendor::Sqlserver,
                DatabaseVendor::Command => Vendor::Command,
            }),
            command: product("database.command", &db.command)?,
            run_as: db.run_as.clone(),
            mode: match db.mode {
                DatabaseMode::Offline => Mode::Offline,
                DatabaseMode::Online => Mode::Online,
            },
            timeout: db.timeout_secs.map(std::time::Duration::from_secs),
            dump_command: db.dump_command.clone(),
            // Oracle Data Pump reads it as the `impdp` program: a product path like `command`.
            restore_command: match (db.vendor, &db.restore_command) {
                (Some(DatabaseVendor::Oracle), Some(impdp)) => Some(
                    sys.real_path(std::path::Path::new(impdp))
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
        })
    }
}

/// `--sysroot`, then `CNXBACKUP_SYSROOT`, then `/`; it must be an existing directory.
fn sysroot(global: &GlobalOpts, env: &dyn Environment) -> Result<PathBuf, ConfigError> {
    let path = global
        .sysroot
        .clone()
        .or_else(|| env.var("CNXBACKUP_SYSROOT").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/"));
    match std::fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => Ok(path),
        Ok(_) => Err(ConfigError::BadSysroot {
            path,
            message: "is not a directory".into(),
        }),
        Err(e) => Err(ConfigError::BadSysroot {
            path,
            message: e.to_string(),
        }),
    }
}
