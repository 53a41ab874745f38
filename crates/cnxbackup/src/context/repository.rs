//! Opening the repository the configuration names (`--repo`, `CNXBACKUP_REPOSITORY`,
//! `[repository] url`) with its password (`--password-file`, `CNXBACKUP_PASSWORD`, the config,
//! or a prompt — never argv).

use anyhow::Context as _;
use vault::{Repository, Storage};

use super::Context;
use crate::config::ConfigError;

impl Context {
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

    /// The repository's storage (not opened: `init` creates a repository in it).
    pub fn storage(&self) -> anyhow::Result<Storage> {
        let url = self.repository_url()?;
        let opts = self.storage_options()?;
        Storage::from_url(url, &opts).with_context(|| format!("repository {url}"))
    }

    /// Opens the repository (a wrong password is exit 1 with "wrong password").
    pub fn open_repository(&self) -> anyhow::Result<Repository> {
        let storage = self.storage()?;
        let password = self.repository_password()?;
        Ok(Repository::open(storage, password.expose())?)
    }
}
