//! The `[database]` vendor-tool settings that need more than a type check: which keys belong
//! to which vendor, the shape of a login and of an Oracle DIRECTORY name, and the database
//! password, which is only ever read from `database.password_file` (never a configuration
//! value, never an argument) when a command actually needs it.

use super::error::ConfigError;
use super::loaded::LoadedConfig;
use super::model::{DatabaseConfig, Vendor};
use crate::secrets::{read_secret_file, Secret};

/// What the password file holds, in messages.
const DATABASE_PASSWORD: &str = "database password";

/// The longest `database.timeout_secs`: a week.
const MAX_TIMEOUT_SECS: u64 = 7 * 86_400;

/// The most database backups at a time (`database.parallel`, `--parallel-databases`): more
/// than a Connections deployment has databases.
pub const MAX_PARALLEL: u64 = 64;

/// Rules for the vendor-tool keys; each error names the key and where it was set.
pub(super) fn validate(loaded: &LoadedConfig) -> Result<(), ConfigError> {
    let db = &loaded.config.database;
    let bad = |key: &str, message: String| ConfigError::BadValue {
        origin: loaded.origin(key),
        key: key.to_string(),
        message,
    };

    check_values(db, &bad)?;
    match db.vendor {
        Some(vendor) => check_vendor_keys(db, vendor, &bad),
        None => Ok(()),
    }
}

/// Builds the error for a key (its origin attached).
type Bad<'a> = &'a dyn Fn(&str, String) -> ConfigError;

/// Each key's own rule: names, paths, ranges.
fn check_values(db: &DatabaseConfig, bad: Bad<'_>) -> Result<(), ConfigError> {
    if let Some(user) = &db.username {
        if user.trim().is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "database.username",
                format!("must be a login name without spaces, got {user:?}"),
            ));
        }
    }
    if let Some(name) = &db.oracle_directory {
        if !is_oracle_identifier(name) {
            return Err(bad(
                "database.oracle_directory",
                format!(
                    "must be the name of an Oracle DIRECTORY object (a letter, then letters, \
                     digits, _, $ or #; at most 128), got {name:?}"
                ),
            ));
        }
    }
    if let Some(path) = &db.oracle_directory_path {
        if !path.is_absolute() {
            return Err(bad(
                "database.oracle_directory_path",
                format!(
                    "must be an absolute path on this machine, got `{}`",
                    path.display()
                ),
            ));
        }
    }
    if let Some(dir) = &db.server_staging_dir {
        if dir.trim().is_empty() {
            return Err(bad(
                "database.server_staging_dir",
                "must not be empty; leave it out when SQL Server sees staging_dir as it is".into(),
            ));
        }
    }
    if let Some(n) = db.parallel {
        if !(1..=MAX_PARALLEL).contains(&n) {
            return Err(bad(
                "database.parallel",
                format!("must be between 1 and {MAX_PARALLEL} backups at a time, got {n}"),
            ));
        }
    }
    if let Some(secs) = db.timeout_secs {
        if !(1..=MAX_TIMEOUT_SECS).contains(&secs) {
            return Err(bad(
                "database.timeout_secs",
                format!("must be between 1 and {MAX_TIMEOUT_SECS} seconds, got {secs}"),
            ));
        }
    }
    Ok(())
}

/// Keys that only one vendor reads: set for another vendor they would be silently ignored,
/// which hides a mistake (a copied config, a wrong vendor).
fn check_vendor_keys(db: &DatabaseConfig, vendor: Vendor, bad: Bad<'_>) -> Result<(), ConfigError> {
    let only = |key: &str, set: bool, allowed: &[Vendor], what: &str| {
        if set && !allowed.contains(&vendor) {
            Err(bad(
                key,
                format!(
                    "is only used with {what}; database.vendor is \"{}\"",
                    vendor
                ),
            ))
        } else {
            Ok(())
        }
    };
    use Vendor::{Db2, Oracle, Sqlserver};
    only(
        "database.verify_command",
        db.verify_command.is_some(),
        &[Db2],
        "vendor = \"db2\" (db2ckbkp)",
    )?;
    only(
        "database.username",
        db.username.is_some(),
        &[Sqlserver, Oracle],
        "vendor = \"sqlserver\" or \"oracle\"",
    )?;
    only(
        "database.password_file",
        db.password_file.is_some(),
        &[Sqlserver, Oracle],
        "vendor = \"sqlserver\" or \"oracle\"",
    )?;
    only(
        "database.oracle_directory",
        db.oracle_directory.is_some(),
        &[Oracle],
        "vendor = \"oracle\" (Data Pump)",
    )?;
    only(
        "database.oracle_directory_path",
        db.oracle_directory_path.is_some(),
        &[Oracle],
        "vendor = \"oracle\" (Data Pump)",
    )?;
    only(
        "database.server_staging_dir",
        db.server_staging_dir.is_some(),
        &[Sqlserver],
        "vendor = \"sqlserver\"",
    )?;
    // RMAN connects `target /` as the OS user (run_as): a login or a Data Pump DIRECTORY
    // would be ignored.
    let rman = vendor == Oracle
        && db
            .command
            .as_deref()
            .and_then(|c| c.file_name())
            .is_some_and(|n| n.to_string_lossy().eq_ignore_ascii_case("rman"));
    if rman {
        for (key, set) in [
            ("database.username", db.username.is_some()),
            ("database.password_file", db.password_file.is_some()),
            ("database.oracle_directory", db.oracle_directory.is_some()),
            (
                "database.oracle_directory_path",
                db.oracle_directory_path.is_some(),
            ),
        ] {
            if set {
                return Err(bad(
                    key,
                    "is only used with Oracle Data Pump; database.command is rman, which \
                     connects `target /` as database.run_as"
                        .into(),
                ));
            }
        }
    }
    if vendor == Sqlserver {
        match (&db.username, &db.password_file) {
            (Some(_), None) => {
                return Err(bad(
                    "database.username",
                    "a SQL Server login needs database.password_file (or leave the login \
                     out for a trusted connection, sqlcmd -E)"
                        .into(),
                ))
            }
            (None, Some(_)) => {
                return Err(bad(
                    "database.password_file",
                    "needs database.username: a trusted connection (sqlcmd -E) takes no \
                     password"
                        .into(),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// An unquoted Oracle identifier: what `CREATE DIRECTORY name` accepts without quotes, and
/// what cnxbackup writes into a Data Pump parameter file.
fn is_oracle_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && name.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '$' | '#'))
}

/// The database password from `database.password_file` (its first line), or `None` when no
/// file is configured. Read only by the commands that run the vendor tool.
pub fn database_password(loaded: &LoadedConfig) -> Result<Option<Secret>, ConfigError> {
    match loaded.config.database.password_file.as_deref() {
        Some(path) => read_secret_file(
            DATABASE_PASSWORD,
            path,
            &loaded.origin("database.password_file"),
        )
        .map(Some),
        None => Ok(None),
    }
}

/// Where the database password comes from, for `cnxbackup config`: the file is read (so an
/// unreadable or empty file is the same error as at backup time) and the value dropped.
pub fn database_password_source(loaded: &LoadedConfig) -> Result<String, ConfigError> {
    Ok(match database_password(loaded)? {
        Some(_) => format!("file, from {}", loaded.origin("database.password_file")),
        None => "not given".to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{load, Environment, FlagValues, NoEnv};
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};

    struct OneVar(&'static str, String);

    impl Environment for OneVar {
        fn var(&self, name: &str) -> Option<String> {
            (name == self.0).then(|| self.1.clone())
        }
    }

    fn config_file(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join("cnxbackup.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn load_text(text: &str) -> Result<LoadedConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = config_file(dir.path(), text);
        load(
            &FlagValues {
                config: Some(path),
                ..FlagValues::default()
            },
            &NoEnv,
        )
    }

    #[test]
    fn every_vendor_tool_key_is_read_from_the_file() {
        let loaded = load_text(
            "[database]\nvendor = \"oracle\"\ncommand = \"/u01/bin/expdp\"\nusername = \"cnxbk\"\n\
             password_file = \"/etc/cnxbackup/oracle.pw\"\noracle_directory = \"CNX_DUMP\"\n\
             oracle_directory_path = \"/mnt/dpdump\"\ntimeout_secs = 7200\n",
        )
        .unwrap();
        let db = &loaded.config.database;
        assert_eq!(db.username.as_deref(), Some("cnxbk"));
        assert_eq!(
            db.password_file.as_deref(),
            Some(Path::new("/etc/cnxbackup/oracle.pw"))
        );
        assert_eq!(db.oracle_directory.as_deref(), Some("CNX_DUMP"));
        assert_eq!(
            db.oracle_directory_path.as_deref(),
            Some(Path::new("/mnt/dpdump"))
        );
        assert_eq!(db.timeout_secs, Some(7200));
        let loaded = load_text(
            "[database]\nvendor = \"db2\"\nverify_command = \"/opt/ibm/db2/V11.5/bin/db2ckbkp\"\n",
        )
        .unwrap();
        assert!(loaded.config.database.verify_command.is_some());
        let loaded = load_text(
            "[database]\nvendor = \"sqlserver\"\nusername = \"cnx\"\npassword_file = \"/x\"\n\
             server_staging_dir = '\\\\nas\\cnx'\n",
        )
        .unwrap();
        assert_eq!(
            loaded.config.database.server_staging_dir.as_deref(),
            Some(r"\\nas\cnx")
        );
    }

    #[test]
    fn environment_names_follow_the_scheme() {
        let dir = tempfile::tempdir().unwrap();
        let path = config_file(dir.path(), "[database]\nvendor = \"oracle\"\n");
        let flags = FlagValues {
            config: Some(path),
            ..FlagValues::default()
        };
        let env = OneVar("CNXBACKUP_DATABASE_ORACLE_DIRECTORY", "EXP_DIR".into());
        let loaded = load(&flags, &env).unwrap();
        assert_eq!(
            loaded.config.database.oracle_directory.as_deref(),
            Some("EXP_DIR")
        );
        assert_eq!(
            loaded.origin("database.oracle_directory").to_string(),
            "environment variable CNXBACKUP_DATABASE_ORACLE_DIRECTORY"
        );
        let env = OneVar("CNXBACKUP_DATABASE_TIMEOUT_SECS", "soon".into());
        let text = load(&flags, &env).unwrap_err().to_string();
        assert!(text.contains("CNXBACKUP_DATABASE_TIMEOUT_SECS"), "{text}");
        assert!(text.contains("whole number"), "{text}");
    }

    #[test]
    fn bad_values_name_the_key_and_the_file() {
        for (text, key, words) in [
            (
                "[database]\nvendor = \"oracle\"\noracle_directory = \"dump dir\"\n",
                "database.oracle_directory",
                "DIRECTORY object",
            ),
            (
                "[database]\nvendor = \"oracle\"\noracle_directory_path = \"dpdump\"\n",
                "database.oracle_directory_path",
                "absolute path",
            ),
            (
                "[database]\nvendor = \"sqlserver\"\nusername = \"a b\"\npassword_file = \"/x\"\n",
                "database.username",
                "without spaces",
            ),
            (
                "[database]\nvendor = \"db2\"\nverify_command = \"bin/db2ckbkp\"\n",
                "database.verify_command",
                "absolute product path",
            ),
            (
                "[database]\ntimeout_secs = 0\n",
                "database.timeout_secs",
                "between 1 and",
            ),
            (
                "[database]\nvendor = \"db2\"\nusername = \"db2inst1\"\n",
                "database.username",
                "only used with vendor = \"sqlserver\" or \"oracle\"",
            ),
            (
                "[database]\nvendor = \"sqlserver\"\noracle_directory = \"X\"\n",
                "database.oracle_directory",
                "only used with vendor = \"oracle\"",
            ),
            (
                "[database]\nvendor = \"oracle\"\nverify_command = \"/x/db2ckbkp\"\n",
                "database.verify_command",
                "only used with vendor = \"db2\"",
            ),
            (
                "[database]\nvendor = \"oracle\"\nserver_staging_dir = \"/x\"\n",
                "database.server_staging_dir",
                "only used with vendor = \"sqlserver\"",
            ),
            (
                "[database]\nvendor = \"oracle\"\ncommand = \"/u01/bin/rman\"\npassword_file = \"/x\"\n",
                "database.password_file",
                "only used with Oracle Data Pump",
            ),
            (
                "[database]\nvendor = \"sqlserver\"\nusername = \"cnx\"\n",
                "database.username",
                "needs database.password_file",
            ),
            (
                "[database]\nvendor = \"sqlserver\"\npassword_file = \"/x\"\n",
                "database.password_file",
                "needs database.username",
            ),
        ] {
            let err = load_text(text).unwrap_err();
            let shown = err.to_string();
            assert!(matches!(err, ConfigError::BadValue { .. }), "{shown}");
            assert!(shown.contains(&format!("`{key}`")), "{text}: {shown}");
            assert!(shown.contains(words), "{text}: {shown}");
            assert!(shown.contains("config file "), "{text}: {shown}");
            assert!(shown.contains("cnxbackup.toml, line "), "{text}: {shown}");
        }
    }

    #[test]
    fn password_comes_from_the_file_and_never_shows() {
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("db.pw");
        std::fs::write(&pw, "S3cret-db!\nignored second line\n").unwrap();
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = config_file(
            dir.path(),
            &format!(
                "[database]\nvendor = \"sqlserver\"\nusername = \"cnx\"\npassword_file = {:?}\n",
                pw.display().to_string()
            ),
        );
        let loaded = load(
            &FlagValues {
                config: Some(path.clone()),
                ..FlagValues::default()
            },
            &NoEnv,
        )
        .unwrap();
        let secret = database_password(&loaded).unwrap().unwrap();
        assert_eq!(secret.expose(), "S3cret-db!");
        assert!(!format!("{secret:?} {loaded:?}").contains("S3cret"));
        let source = database_password_source(&loaded).unwrap();
        assert!(source.starts_with("file, from config file"), "{source}");
        assert!(!source.contains("S3cret"), "{source}");

        // an empty or missing file is a configuration error naming the file and the key's origin
        std::fs::write(&pw, "\n").unwrap();
        let text = database_password(&loaded).err().unwrap().to_string();
        assert!(text.contains("database password file"), "{text}");
        assert!(text.contains(&pw.display().to_string()), "{text}");
        assert!(text.contains("line 4"), "{text}");
        std::fs::remove_file(&pw).unwrap();
        let text = database_password_source(&loaded).unwrap_err().to_string();
        assert!(text.contains("cannot be read"), "{text}");

        // no file: no password
        let loaded = load_text("[database]\nvendor = \"oracle\"\n").unwrap();
        assert!(database_password(&loaded).unwrap().is_none());
        assert_eq!(database_password_source(&loaded).unwrap(), "not given");
    }
}
