//! The effective configuration as the commands receive it, and the command-line values that
//! take part in it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::Origin;
use super::model::Config;

/// What the command line said that touches the configuration.
#[derive(Debug, Clone, Default)]
pub struct FlagValues {
    pub config: Option<PathBuf>,
    pub repo: Option<String>,
    pub password_file: Option<PathBuf>,
    pub password_command: Option<String>,
}

/// The effective configuration and where each value came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
    /// `section.key` -> origin, for every key that was set by a file, variable or flag.
    pub origins: BTreeMap<String, Origin>,
}

impl LoadedConfig {
    /// Where `section.key` came from (the default when nothing set it).
    pub fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }
}
