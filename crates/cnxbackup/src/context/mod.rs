//! What every command receives: the global options, the loaded configuration, the sysroot,
//! the output channel and the environment ([`Context`]), and from them the repository
//! ([`repository`]), its storage settings ([`s3`]), the deployment and its server control
//! ([`deployment`]), the database tools ([`database`]) and the snapshot a command means
//! ([`snapshot`]).
//!
//! The commands call these and nothing else to reach the world outside the program, so a
//! new command needs no wiring of its own.

pub mod database;
pub mod deployment;
pub mod repository;
pub mod s3;
pub mod snapshot;

use std::path::PathBuf;

use crate::cli::global::GlobalOpts;
use crate::config::{self, ConfigError, Environment, LoadedConfig, ProcessEnv};
use crate::output::Output;
use crate::secrets::{self, Secret};
use crate::ui::terminal::Ui;

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
            password_command: global.password_command.clone(),
        };
        let loaded = config::load(&flags, env.as_ref())?;
        secrets::register_configured_secret_files(&loaded);
        let sysroot = sysroot_dir(&global, env.as_ref())?;
        Ok(Context {
            out: Output { json: global.json },
            global,
            loaded,
            sysroot,
            env,
        })
    }

    /// The output decisions (colour, progress bars) for this run's terminal and options.
    pub fn ui(&self) -> Ui {
        Ui::detect(self.out.json, self.global.quiet)
    }

    pub fn repository_password(&self) -> Result<Secret, ConfigError> {
        secrets::repository_password(&self.loaded, self.env.as_ref())
    }

    pub fn websphere_password(&self) -> Result<Option<Secret>, ConfigError> {
        secrets::websphere_password(&self.loaded, self.env.as_ref())
    }
}

/// `--sysroot`, then `CNXBACKUP_SYSROOT`, then `/`; it must be an existing directory.
fn sysroot_dir(global: &GlobalOpts, env: &dyn Environment) -> Result<PathBuf, ConfigError> {
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
