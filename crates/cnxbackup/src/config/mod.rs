//! Configuration: the TOML file, `CNXBACKUP_*` environment variables and command-line flags,
//! merged with the precedence flag > environment > file > default.
//!
//! The merge happens on untyped TOML values, remembering where each key came from, and only
//! then is the result checked against the typed [`Config`]. That way every error can name its
//! culprit: the file and line, the environment variable or the flag, the key, and what was
//! expected.

pub mod database;
pub mod env;
pub mod error;
pub mod keys;
pub mod loaded;
pub mod model;

pub use database::{database_password, database_password_source};
pub use env::{Environment, ProcessEnv};
pub use error::{ConfigError, Origin};
pub use keys::{Key, Kind, KEYS};
pub use loaded::{FlagValues, LoadedConfig};
pub use model::*;

#[cfg(test)]
pub use env::NoEnv;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Config files looked for when neither `--config` nor `CNXBACKUP_CONFIG` names one.
pub const DEFAULT_CONFIG_FILES: &[&str] = &["cnxbackup.toml", "/etc/cnxbackup/cnxbackup.toml"];

/// Load the configuration: find and read the file, overlay the environment, then the flags,
/// then check types and values.
pub fn load(flags: &FlagValues, env: &dyn Environment) -> Result<LoadedConfig, ConfigError> {
    let file = choose_file(flags, env);
    let mut table = toml::Table::new();
    let mut origins = BTreeMap::new();

    if let Some(path) = &file {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.clone(),
            source,
        })?;
        table = parse_file(path, &text, &mut origins)?;
        resolve_files_beside(&mut table, path);
    }
    overlay_env(&mut table, &mut origins, env)?;
    overlay_flags(&mut table, &mut origins, flags);

    let config = typed(table, &origins)?;
    let loaded = LoadedConfig {
        config,
        file,
        origins,
    };
    validate(&loaded)?;
    Ok(loaded)
}

fn choose_file(flags: &FlagValues, env: &dyn Environment) -> Option<PathBuf> {
    if let Some(path) = &flags.config {
        return Some(path.clone());
    }
    if let Some(path) = env.var("CNXBACKUP_CONFIG") {
        return Some(PathBuf::from(path));
    }
    DEFAULT_CONFIG_FILES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Parse the file and check that it only holds known sections and keys.
fn parse_file(
    path: &Path,
    text: &str,
    origins: &mut BTreeMap<String, Origin>,
) -> Result<toml::Table, ConfigError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map(|span| line_at(text, span.start));
        let message = match line {
            Some(line) => format!("line {line}: {}", e.message()),
            None => e.message().to_string(),
        };
        ConfigError::Syntax {
            path: path.to_path_buf(),
            message,
        }
    })?;
    let sections: Vec<&str> = keys::sections().collect();
    for (section, value) in &table {
        let origin = Origin::File {
            path: path.to_path_buf(),
            line: find_line(text, section, None),
        };
        if section == keys::COMPONENT_SECTION {
            check_components(value, &origin)?;
            origins.insert(section.clone(), origin);
            continue;
        }
        if !sections.contains(&section.as_str()) {
            return Err(ConfigError::UnknownSection {
                origin,
                section: section.clone(),
                expected: format!("{}, [[{}]]", sections.join(", "), keys::COMPONENT_SECTION),
            });
        }
        let Some(entries) = value.as_table() else {
            return Err(ConfigError::BadValue {
                origin,
                key: section.clone(),
                message: format!("expected a section [{section}], found a single value"),
            });
        };
        for name in entries.keys() {
            let origin = Origin::File {
                path: path.to_path_buf(),
                line: find_line(text, section, Some(name)),
            };
            if keys::find(section, name).is_none() {
                return Err(ConfigError::UnknownKey {
                    origin,
                    section: section.clone(),
                    key: format!("{section}.{name}"),
                    expected: keys::names_in(section).join(", "),
                });
            }
            origins.insert(format!("{section}.{name}"), origin);
        }
    }
    Ok(table)
}

/// `[[component]]` is an array of tables, each holding only the component keys.
fn check_components(value: &toml::Value, origin: &Origin) -> Result<(), ConfigError> {
    let bad = |message: String| ConfigError::BadValue {
        origin: origin.clone(),
        key: keys::COMPONENT_SECTION.into(),
        message,
    };
    let Some(entries) = value.as_array() else {
        return Err(bad(
            "expected [[component]] tables (one per declared component)".into(),
        ));
    };
    for entry in entries {
        let Some(table) = entry.as_table() else {
            return Err(bad("expected a [[component]] table".into()));
        };
        if let Some(name) = table
            .keys()
            .find(|k| !keys::COMPONENT_KEYS.contains(&k.as_str()))
        {
            return Err(ConfigError::UnknownKey {
                origin: origin.clone(),
                section: keys::COMPONENT_SECTION.into(),
                key: format!("component.{name}"),
                expected: keys::COMPONENT_KEYS.join(", "),
            });
        }
    }
    Ok(())
}

/// A relative `*_file` in a config file names a file beside the config, wherever cnxbackup
/// is started from (a cron job's working directory is not the admin's); from the
/// environment or a flag it stays relative to the working directory.
fn resolve_files_beside(table: &mut toml::Table, config: &Path) {
    let Some(dir) = config.parent() else {
        return;
    };
    resolve_secret_files_beside(table, dir);
    for (_, section) in table.iter_mut() {
        let Some(entries) = section.as_table_mut() else {
            continue;
        };
        for (name, value) in entries.iter_mut() {
            if !name.ends_with("_file") {
                continue;
            }
            let beside = match value.as_str() {
                Some(path) if Path::new(path).is_relative() => dir.join(path),
                _ => continue,
            };
            *value = toml::Value::String(beside.to_string_lossy().into_owned());
        }
    }
}

/// The same for each `[[component]]`'s `secret_env_files`.
fn resolve_secret_files_beside(table: &mut toml::Table, dir: &Path) {
    let Some(components) = table
        .get_mut(keys::COMPONENT_SECTION)
        .and_then(|v| v.as_array_mut())
    else {
        return;
    };
    let files = components
        .iter_mut()
        .filter_map(|c| c.get_mut("secret_env_files"))
        .filter_map(|f| f.as_table_mut());
    for files in files {
        for (_, value) in files.iter_mut() {
            if let Some(path) = value.as_str().filter(|p| Path::new(p).is_relative()) {
                *value = toml::Value::String(dir.join(path).to_string_lossy().into_owned());
            }
        }
    }
}

fn overlay_env(
    table: &mut toml::Table,
    origins: &mut BTreeMap<String, Origin>,
    env: &dyn Environment,
) -> Result<(), ConfigError> {
    // A misspelt variable would silently set nothing: refuse it like an unknown key.
    if let Some(name) = env
        .cnxbackup_names()
        .into_iter()
        .find(|n| !keys::is_known_variable(n))
    {
        let hint = keys::closest_variable(&name)
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        return Err(ConfigError::UnknownVariable { name, hint });
    }
    for key in KEYS {
        let Some((name, text)) = key
            .env_names()
            .into_iter()
            .find_map(|name| env.var(&name).map(|v| (name, v)))
        else {
            continue;
        };
        let origin = Origin::Env(name);
        let value = env_value(key, &text).map_err(|message| ConfigError::BadValue {
            origin: origin.clone(),
            key: key.path(),
            message,
        })?;
        set(table, key.section, key.name, value);
        origins.insert(key.path(), origin);
    }
    Ok(())
}

/// Turn an environment string into a TOML value of the key's kind.
fn env_value(key: &Key, text: &str) -> Result<toml::Value, String> {
    match key.kind {
        Kind::Text => Ok(toml::Value::String(text.to_string())),
        Kind::Integer => text
            .trim()
            .parse::<i64>()
            .map(toml::Value::Integer)
            .map_err(|_| format!("expected a whole number, got `{text}`")),
        Kind::Boolean => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(toml::Value::Boolean(true)),
            "false" | "no" | "0" => Ok(toml::Value::Boolean(false)),
            _ => Err(format!("expected true or false, got `{text}`")),
        },
    }
}

fn overlay_flags(
    table: &mut toml::Table,
    origins: &mut BTreeMap<String, Origin>,
    flags: &FlagValues,
) {
    if let Some(repo) = &flags.repo {
        set(
            table,
            "repository",
            "url",
            toml::Value::String(repo.clone()),
        );
        origins.insert("repository.url".into(), Origin::Flag("--repo"));
    }
    if let Some(path) = &flags.password_file {
        set(
            table,
            "repository",
            "password_file",
            toml::Value::String(path.to_string_lossy().into_owned()),
        );
        origins.insert(
            "repository.password_file".into(),
            Origin::Flag("--password-file"),
        );
    }
    if let Some(command) = &flags.password_command {
        set(
            table,
            "repository",
            "password_command",
            toml::Value::String(command.clone()),
        );
        origins.insert(
            "repository.password_command".into(),
            Origin::Flag("--password-command"),
        );
    }
}

fn set(table: &mut toml::Table, section: &str, name: &str, value: toml::Value) {
    let entry = table
        .entry(section.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(inner) = entry {
        inner.insert(name.to_string(), value);
    }
}

/// Check the merged values against the typed model; name the key and its origin on failure.
fn typed(table: toml::Table, origins: &BTreeMap<String, Origin>) -> Result<Config, ConfigError> {
    let value = toml::Value::Table(table);
    serde_path_to_error::deserialize::<_, Config>(value).map_err(|err| {
        let key = err.path().to_string();
        let origin = origins.get(&key).cloned().unwrap_or(Origin::Default);
        let expected = key
            .split_once('.')
            .and_then(|(section, name)| keys::find(section, name))
            .map(|k| match k.kind {
                Kind::Integer => " (expected a whole number, e.g. 600)",
                Kind::Boolean => " (expected true or false)",
                Kind::Text => " (expected a string in quotes)",
            })
            .unwrap_or("");
        let inner = err.into_inner().to_string();
        let inner = inner.trim_end();
        // serde's own words already say what an enum expects; add ours for plain types.
        let message = if inner.starts_with("invalid type") {
            format!("{inner}{expected}")
        } else {
            inner.to_string()
        };
        ConfigError::BadValue {
            origin,
            key,
            message,
        }
    })
}

/// Rules that the types alone cannot express.
fn validate(loaded: &LoadedConfig) -> Result<(), ConfigError> {
    let c = &loaded.config;
    let bad = |key: &str, message: String| ConfigError::BadValue {
        origin: loaded.origin(key),
        key: key.to_string(),
        message,
    };
    if let Some(url) = &c.repository.url {
        if url.trim().is_empty() {
            return Err(bad(
                "repository.url",
                "must not be empty; give a directory or s3://BUCKET/PREFIX".into(),
            ));
        }
    }
    if !c.snapshot.mount_dir.is_absolute() {
        return Err(bad(
            "snapshot.mount_dir",
            format!(
                "must be an absolute path on this machine, got `{}`",
                c.snapshot.mount_dir.display()
            ),
        ));
    }
    if !(1..=86_400).contains(&c.snapshot.timeout_secs) {
        return Err(bad(
            "snapshot.timeout_secs",
            format!(
                "must be between 1 and 86400 seconds, got {}",
                c.snapshot.timeout_secs
            ),
        ));
    }
    if !(1..=1024).contains(&c.s3.concurrency) {
        return Err(bad(
            "s3.concurrency",
            format!("must be between 1 and 1024, got {}", c.s3.concurrency),
        ));
    }
    if !(1..=86_400).contains(&c.s3.timeout_secs) {
        return Err(bad(
            "s3.timeout_secs",
            format!(
                "must be between 1 and 86400 seconds, got {}",
                c.s3.timeout_secs
            ),
        ));
    }
    if let Some(days) = c.s3.object_lock_days {
        if !(1..=36_500).contains(&days) {
            return Err(bad(
                "s3.object_lock_days",
                format!("must be between 1 and 36500 days, got {days}"),
            ));
        }
    }
    validate_notify(loaded)?;
    validate_declared(loaded)?;
    let timeout = c.websphere.stop_timeout_secs;
    if !(1..=86_400).contains(&timeout) {
        return Err(bad(
            "websphere.stop_timeout_secs",
            format!("must be between 1 and 86400 seconds, got {timeout}"),
        ));
    }
    if let Some(host) = &c.deployment.host {
        if host.is_empty() || host.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            return Err(bad(
                "deployment.host",
                format!("must be a host name without spaces, got {host:?}"),
            ));
        }
    }
    for (key, path) in [
        ("deployment.app_server_root", &c.deployment.app_server_root),
        (
            "deployment.connections_root",
            &c.deployment.connections_root,
        ),
        ("database.command", &c.database.command),
        ("ccm.storage_area", &c.ccm.storage_area),
        ("tdi.solution_dir", &c.tdi.solution_dir),
        ("tdi.install_dir", &c.tdi.install_dir),
        ("database.verify_command", &c.database.verify_command),
    ] {
        if let Some(path) = path {
            if !path.is_absolute() {
                return Err(bad(
                    key,
                    format!(
                        "must be an absolute product path (like /opt/IBM/...), got `{}`",
                        path.display()
                    ),
                ));
            }
        }
    }
    if c.deployment.in_place_migration && c.deployment.skip_installation_manager {
        return Err(bad(
            "deployment.skip_installation_manager",
            "cannot be true together with deployment.in_place_migration, which needs the \
             Installation Manager's state; set one of them"
                .into(),
        ));
    }
    if c.database.vendor == Some(Vendor::Command) && c.database.dump_command.is_none() {
        return Err(bad(
            "database.vendor",
            "`command` needs database.dump_command (and database.restore_command to restore)"
                .into(),
        ));
    }
    if c.database.mode == Mode::Online && matches!(c.database.vendor, Some(v) if v != Vendor::Db2) {
        return Err(bad(
            "database.mode",
            "`online` is only supported with vendor = \"db2\"; use \"offline\"".into(),
        ));
    }
    database::validate(loaded)
}

/// `[notify]`: the URL is one the pings can go to (checked without showing it), the timeout
/// is sane and the metrics file is an absolute path.
/// `[[component]]` and `[hooks]`: names, commands and timeouts.
fn validate_declared(loaded: &LoadedConfig) -> Result<(), ConfigError> {
    let c = &loaded.config;
    let bad = |origin_key: &str, e: runbook::declared::DeclaredError| {
        let (key, message) = match e {
            runbook::declared::DeclaredError::Config { key, message } => (key, message),
            other => (origin_key.to_string(), other.to_string()),
        };
        ConfigError::BadValue {
            origin: loaded.origin(origin_key),
            key,
            message,
        }
    };
    runbook::declared::validate_all(&c.component).map_err(|e| bad(keys::COMPONENT_SECTION, e))?;
    c.hooks.validate().map_err(|e| bad("hooks.before_stop", e))
}

fn validate_notify(loaded: &LoadedConfig) -> Result<(), ConfigError> {
    let n = &loaded.config.notify;
    let bad = |key: &str, message: String| ConfigError::BadValue {
        origin: loaded.origin(key),
        key: key.to_string(),
        message,
    };
    if !(1..=300).contains(&n.timeout_secs) {
        return Err(bad(
            "notify.timeout_secs",
            format!("must be between 1 and 300 seconds, got {}", n.timeout_secs),
        ));
    }
    if let Some(url) = &n.url {
        let timeout = std::time::Duration::from_secs(n.timeout_secs);
        if let Err(e) = runbook::monitor::ping::Notifier::new(url, timeout) {
            return Err(bad("notify.url", e.to_string()));
        }
    }
    if let Some(path) = &n.metrics_file {
        if !path.is_absolute() || path.file_name().is_none() {
            return Err(bad(
                "notify.metrics_file",
                format!(
                    "must be an absolute file path (like /var/lib/node_exporter/textfile/cnxbackup.prom), got `{}`",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of `[section]` (when `key` is None) or of `key = ...` inside `[section]`.
/// A plain scan: good for the usual `key = value` layout, None for exotic ones.
fn find_line(text: &str, section: &str, key: Option<&str>) -> Option<usize> {
    let mut current = String::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(header) = line.strip_prefix('[') {
            current = header
                .trim_end_matches(|c: char| c != ']')
                .trim_end_matches(']')
                .trim()
                .to_string();
            if key.is_none() && current == section {
                return Some(index + 1);
            }
            continue;
        }
        if let Some(key) = key {
            let lhs = line.split('=').next().unwrap_or("").trim();
            if current == section && (lhs == key || lhs == format!("\"{key}\"")) {
                return Some(index + 1);
            }
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct FakeEnv(HashMap<String, String>);

    impl Environment for FakeEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).cloned()
        }

        fn cnxbackup_names(&self) -> Vec<String> {
            self.0
                .keys()
                .filter(|k| k.starts_with("CNXBACKUP_"))
                .cloned()
                .collect()
        }
    }

    #[test]
    fn an_unknown_variable_is_refused_like_an_unknown_key() {
        let e = load(
            &FlagValues::default(),
            &env(&[("CNXBACKUP_DATABSE_RUN_AS", "db2inst1")]),
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("CNXBACKUP_DATABSE_RUN_AS"), "{text}");
        assert!(
            text.contains("did you mean CNXBACKUP_DATABASE_RUN_AS?"),
            "{text}"
        );
        // keys, contract aliases, password variables and test hooks are all known
        for known in [
            "CNXBACKUP_DATABASE_RUN_AS",
            "CNXBACKUP_REPOSITORY",
            "CNXBACKUP_WAS_PASSWORD",
            "CNXBACKUP_CCM_STORAGE_AREA",
            "CNXBACKUP_TEST_S3_ENDPOINT",
        ] {
            assert!(
                load(&FlagValues::default(), &env(&[(known, "/x")])).is_ok(),
                "{known}"
            );
        }
        assert!(keys::closest_variable("CNXBACKUP_NOTHING_LIKE_IT_AT_ALL").is_none());
    }

    fn env(pairs: &[(&str, &str)]) -> FakeEnv {
        FakeEnv(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn write(dir: &tempfile::TempDir, text: &str) -> PathBuf {
        let path = dir.path().join("cnxbackup.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn flags_for(path: &Path) -> FlagValues {
        FlagValues {
            config: Some(path.to_path_buf()),
            ..FlagValues::default()
        }
    }

    #[test]
    fn registry_names_exactly_the_typed_keys() {
        // Every optional field set, so that serialisation shows every key.
        let mut full = Config::default();
        full.repository.url = Some("x".into());
        full.repository.password_file = Some("x".into());
        full.repository.password_command = Some("x".into());
        full.repository.password_credential = Some("x".into());
        full.deployment.app_server_root = Some("/x".into());
        full.deployment.connections_root = Some("/x".into());
        full.deployment.host = Some("x".into());
        full.websphere.username = Some("x".into());
        full.websphere.password_file = Some("x".into());
        full.database.vendor = Some(Vendor::Db2);
        full.database.command = Some("/x".into());
        full.database.run_as = Some("x".into());
        full.database.dump_command = Some("x".into());
        full.database.restore_command = Some("x".into());
        full.database.verify_command = Some("/x".into());
        full.database.username = Some("x".into());
        full.database.password_file = Some("x".into());
        full.database.oracle_directory = Some("X".into());
        full.database.oracle_directory_path = Some("/x".into());
        full.database.server_staging_dir = Some("x".into());
        full.database.timeout_secs = Some(1);
        full.database.parallel = Some(4);
        full.snapshot.method = Some(model::SnapshotMethod::Btrfs);
        full.snapshot.create_command = Some("x".into());
        full.snapshot.remove_command = Some("x".into());
        full.s3.endpoint = Some("x".into());
        full.s3.region = Some("x".into());
        full.s3.path_style = Some(true);
        full.s3.access_key_id = Some("x".into());
        full.s3.secret_access_key_file = Some("x".into());
        full.s3.object_lock_days = Some(1);
        full.ccm.storage_area = Some("/x".into());
        full.tdi.solution_dir = Some("/x".into());
        full.tdi.install_dir = Some("/x".into());
        full.notify.url = Some("x".into());
        full.notify.metrics_file = Some("/x".into());
        let x = || Some(runbook::declared::CommandLine::Line("x".into()));
        full.hooks.before_stop = x();
        full.hooks.after_start = x();
        full.hooks.on_failure = x();
        full.hooks.timeout_secs = Some(1);
        let value = toml::Value::try_from(full).unwrap();
        let mut typed: Vec<String> = Vec::new();
        for (section, entries) in value.as_table().unwrap() {
            if section == keys::COMPONENT_SECTION {
                continue;
            }
            for name in entries.as_table().unwrap().keys() {
                typed.push(format!("{section}.{name}"));
            }
        }
        typed.sort();
        let mut registered: Vec<String> = KEYS.iter().map(|k| k.path()).collect();
        registered.sort();
        assert_eq!(typed, registered);
    }

    #[test]
    fn defaults_without_any_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "");
        let loaded = load(&flags_for(&path), &env(&[])).unwrap();
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.config.websphere.stop_timeout_secs, 600);
        assert_eq!(
            loaded.origin("websphere.stop_timeout_secs"),
            Origin::Default
        );
    }

    #[test]
    fn flag_beats_env_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "[repository]\nurl = \"/from/file\"\n[websphere]\nstop_timeout_secs = 30\nusername = \"filewas\"\n",
        );
        let environment = env(&[
            ("CNXBACKUP_REPOSITORY", "/from/env"),
            ("CNXBACKUP_WEBSPHERE_STOP_TIMEOUT_SECS", "45"),
        ]);
        // file only
        let loaded = load(&flags_for(&path), &env(&[])).unwrap();
        assert_eq!(loaded.config.repository.url.as_deref(), Some("/from/file"));
        assert_eq!(
            loaded.origin("repository.url"),
            Origin::File {
                path: path.clone(),
                line: Some(2)
            }
        );
        // env over file
        let loaded = load(&flags_for(&path), &environment).unwrap();
        assert_eq!(loaded.config.repository.url.as_deref(), Some("/from/env"));
        assert_eq!(loaded.config.websphere.stop_timeout_secs, 45);
        assert_eq!(loaded.config.websphere.username.as_deref(), Some("filewas"));
        // flag over env
        let flags = FlagValues {
            repo: Some("/from/flag".into()),
            ..flags_for(&path)
        };
        let loaded = load(&flags, &environment).unwrap();
        assert_eq!(loaded.config.repository.url.as_deref(), Some("/from/flag"));
        assert_eq!(loaded.origin("repository.url"), Origin::Flag("--repo"));
    }

    /// Issue 21: a relative `password_file` in a config file resolved against the working
    /// directory; it names a file beside the config. From a flag it stays relative.
    #[test]
    fn relative_files_in_a_config_file_are_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "[repository]\npassword_file = \"secrets/repo.pw\"\n\
             [websphere]\npassword_file = \"/abs/was.pw\"\n\
             [s3]\nsecret_access_key_file = \"s3.key\"\n",
        );
        let loaded = load(&flags_for(&path), &env(&[])).unwrap();
        assert_eq!(
            loaded.config.repository.password_file.as_deref(),
            Some(dir.path().join("secrets/repo.pw").as_path())
        );
        assert_eq!(
            loaded.config.websphere.password_file.as_deref(),
            Some(Path::new("/abs/was.pw"))
        );
        assert_eq!(
            loaded.config.s3.secret_access_key_file.as_deref(),
            Some(dir.path().join("s3.key").as_path())
        );
        let flags = FlagValues {
            password_file: Some("rel.pw".into()),
            ..flags_for(&path)
        };
        let loaded = load(&flags, &env(&[])).unwrap();
        assert_eq!(
            loaded.config.repository.password_file.as_deref(),
            Some(Path::new("rel.pw"))
        );
    }

    #[test]
    fn config_file_named_by_env_when_no_flag() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[database]\nvendor = \"oracle\"\n");
        let environment = env(&[("CNXBACKUP_CONFIG", path.to_str().unwrap())]);
        let loaded = load(&FlagValues::default(), &environment).unwrap();
        assert_eq!(loaded.config.database.vendor, Some(Vendor::Oracle));
        assert_eq!(loaded.file.as_deref(), Some(path.as_path()));
    }

    #[test]
    fn unknown_key_names_file_line_and_choices() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[websphere]\nusername = \"a\"\nstop_timeout = 5\n");
        let err = load(&flags_for(&path), &env(&[])).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, ConfigError::UnknownKey { .. }));
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("websphere.stop_timeout`"), "{text}");
        assert!(text.contains("stop_timeout_secs"), "{text}");
    }

    #[test]
    fn unknown_section_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[websfere]\nusername = \"a\"\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("unknown section [websfere]"), "{text}");
        assert!(text.contains("line 1"), "{text}");
    }

    #[test]
    fn wrong_type_names_key_and_expectation() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[websphere]\n\nstop_timeout_secs = \"ten\"\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("websphere.stop_timeout_secs"), "{text}");
        assert!(text.contains("whole number"), "{text}");
    }

    #[test]
    fn bad_enum_value_lists_the_choices() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[database]\nvendor = \"mysql\"\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("database.vendor"), "{text}");
        assert!(text.contains("mysql"), "{text}");
        assert!(text.contains("db2"), "{text}");
    }

    #[test]
    fn out_of_range_value_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[websphere]\nstop_timeout_secs = 0\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("between 1 and 86400"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn bad_env_value_names_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "");
        let environment = env(&[("CNXBACKUP_WEBSPHERE_FORCE_KILL", "maybe")]);
        let text = load(&flags_for(&path), &environment)
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("environment variable CNXBACKUP_WEBSPHERE_FORCE_KILL"),
            "{text}"
        );
        assert!(text.contains("true or false"), "{text}");
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[repository]\nurl = /no/quotes\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("not valid TOML"), "{text}");
        assert!(text.contains("line 2"), "{text}");
    }

    #[test]
    fn command_vendor_needs_a_dump_command() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[database]\nvendor = \"command\"\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("dump_command"), "{text}");
    }

    #[test]
    fn relative_product_path_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "[deployment]\nconnections_root = \"opt/IBM\"\n");
        let text = load(&flags_for(&path), &env(&[])).unwrap_err().to_string();
        assert!(text.contains("absolute product path"), "{text}");
    }
}
