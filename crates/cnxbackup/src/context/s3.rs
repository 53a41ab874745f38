//! How the `[s3]` configuration and the AWS variables become [`vault::StorageOptions`].
//!
//! The secret access key is never a configuration value and never an argument: it comes from
//! `AWS_SECRET_ACCESS_KEY`, else from the file named by `[s3] secret_access_key_file`
//! (`CNXBACKUP_S3_SECRET_ACCESS_KEY_FILE`). The access key id comes from `AWS_ACCESS_KEY_ID`
//! or `[s3] access_key_id`; the region from `AWS_REGION` or `[s3] region` (both are key
//! aliases in the config registry, so `cnxbackup config` shows where they came from).

use std::time::Duration;

use vault::storage::{ObjectLock, S3Options, Secret};
use vault::StorageOptions;

use super::Context;
use crate::config::{ConfigError, Environment, LoadedConfig};
use crate::secrets::read_secret_file;

const S3_SECRET: &str = "S3 secret access key";

impl Context {
    /// How to reach the repository's storage (`[s3]`, the AWS variables, the secret file).
    pub fn storage_options(&self) -> Result<StorageOptions, ConfigError> {
        storage_options(&self.loaded, self.env.as_ref())
    }
}

/// The storage options of the effective configuration.
pub fn storage_options(
    loaded: &LoadedConfig,
    env: &dyn Environment,
) -> Result<StorageOptions, ConfigError> {
    let c = &loaded.config.s3;
    let secret = match env.var("AWS_SECRET_ACCESS_KEY") {
        Some(v) => Some(Secret::new(v)),
        None => match &c.secret_access_key_file {
            Some(path) => {
                let origin = loaded.origin("s3.secret_access_key_file");
                Some(read_secret_file(S3_SECRET, path, &origin)?)
            }
            None => None,
        },
    };
    Ok(StorageOptions {
        s3: S3Options {
            endpoint: c.endpoint.clone(),
            region: c.region.clone(),
            path_style: c.path_style,
            access_key_id: c.access_key_id.clone(),
            secret_access_key: secret,
            concurrency: Some(usize::try_from(c.concurrency).unwrap_or(usize::MAX)),
            timeout: Some(Duration::from_secs(c.timeout_secs)),
            retries: None,
            object_lock: c.object_lock_days.map(|days| ObjectLock {
                mode: c.object_lock_mode,
                retain: Duration::from_secs(days.saturating_mul(86_400)),
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{load, FlagValues};
    use std::collections::HashMap;

    struct Env(HashMap<&'static str, String>);
    impl Environment for Env {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }
    }

    #[test]
    fn file_keys_and_aws_variables() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("s3.secret");
        std::fs::write(&secret, "from-the-file\n").unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            format!(
                "[s3]\nendpoint = \"http://127.0.0.1:9000\"\naccess_key_id = \"AKFILE\"\n\
                 secret_access_key_file = \"{}\"\nconcurrency = 4\ntimeout_secs = 30\n",
                secret.display()
            ),
        )
        .unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let env = Env(HashMap::new());
        let loaded = load(&flags, &env).unwrap();
        let o = storage_options(&loaded, &env).unwrap().s3;
        assert_eq!(o.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(o.access_key_id.as_deref(), Some("AKFILE"));
        assert_eq!(o.secret_access_key.unwrap().expose(), "from-the-file");
        assert_eq!(o.concurrency, Some(4));
        assert_eq!(o.timeout, Some(Duration::from_secs(30)));
        assert_eq!(o.region, None);

        // The AWS variables win over the file.
        let env = Env(HashMap::from([
            ("AWS_ACCESS_KEY_ID", "AKENV".to_string()),
            ("AWS_SECRET_ACCESS_KEY", "from-env".to_string()),
            ("AWS_REGION", "eu-de".to_string()),
        ]));
        let loaded = load(&flags, &env).unwrap();
        let o = storage_options(&loaded, &env).unwrap().s3;
        assert_eq!(o.access_key_id.as_deref(), Some("AKENV"));
        assert_eq!(o.secret_access_key.unwrap().expose(), "from-env");
        assert_eq!(o.region.as_deref(), Some("eu-de"));
    }

    #[test]
    fn the_secret_key_is_registered_for_masking_in_the_log() {
        use crate::logging::mask_secrets;
        // as logging::init does first in the program
        crate::logging::learn_every_new_secret();
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("s3.secret");
        std::fs::write(&secret, "s3-file-secret-6601\n").unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            format!("[s3]\nsecret_access_key_file = {:?}\n", secret),
        )
        .unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let line = "s3-file-secret-6601 s3-env-secret-6602";
        let none = Env(HashMap::new());
        let loaded = load(&flags, &none).unwrap();
        assert_eq!(mask_secrets(line), line);
        storage_options(&loaded, &none).unwrap();
        assert_eq!(mask_secrets(line), "*** s3-env-secret-6602");
        let env = Env(HashMap::from([(
            "AWS_SECRET_ACCESS_KEY",
            "s3-env-secret-6602".to_string(),
        )]));
        storage_options(&loaded, &env).unwrap();
        assert_eq!(mask_secrets(line), "*** ***");
    }

    #[test]
    fn bad_concurrency_is_a_config_error() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(&cfg, "[s3]\nconcurrency = 0\n").unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let err = load(&flags, &Env(HashMap::new())).unwrap_err();
        assert!(err.to_string().contains("s3.concurrency"), "{err}");
    }
}
