//! Passwords: where they come from, and a type that never shows them.
//!
//! The repository password comes from `--password-file`, then `CNXBACKUP_PASSWORD`, then a
//! password file set by `CNXBACKUP_PASSWORD_FILE` or `[repository] password_file`, then a
//! prompt when stdin is a terminal. Passwords are never accepted as a command-line value:
//! other users can read the process arguments.

use crate::config::{ConfigError, Environment, LoadedConfig, Origin};
use std::fmt;
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

/// A password held in memory only; Debug and Display print `***`.
#[derive(Clone)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(Zeroizing::new(value))
    }

    /// The password itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Read a password from the first line of a file (a trailing newline is not part of it).
pub fn read_secret_file(
    what: &'static str,
    path: &Path,
    origin: &Origin,
) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretUnreadable {
        what,
        path: path.to_path_buf(),
        origin: origin.clone(),
        source,
    })?;
    let text = Zeroizing::new(text);
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(ConfigError::SecretEmpty {
            what,
            path: path.to_path_buf(),
            origin: origin.clone(),
        });
    }
    warn_if_readable_by_others(what, path);
    Ok(Secret::new(first.to_string()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(what: &str, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                "{what} file {} is readable by other users; chmod 600 it",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_what: &str, _path: &Path) {}

const REPOSITORY_PASSWORD: &str = "repository password";

/// The repository password, by the documented precedence.
pub fn repository_password(
    loaded: &LoadedConfig,
    env: &dyn Environment,
) -> Result<Secret, ConfigError> {
    let file = loaded.config.repository.password_file.as_deref();
    let origin = loaded.origin("repository.password_file");
    match (file, &origin) {
        (Some(path), Origin::Flag(_)) => read_secret_file(REPOSITORY_PASSWORD, path, &origin),
        _ => {
            if let Some(value) = env.var("CNXBACKUP_PASSWORD") {
                return Ok(Secret::new(value));
            }
            if let Some(path) = file {
                return read_secret_file(REPOSITORY_PASSWORD, path, &origin);
            }
            prompt(REPOSITORY_PASSWORD)
        }
    }
}

/// The WebSphere administrator password: `CNXBACKUP_WAS_PASSWORD`, then
/// `[websphere] password_file`. `None` when neither is given.
pub fn websphere_password(
    loaded: &LoadedConfig,
    env: &dyn Environment,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(value) = env.var("CNXBACKUP_WAS_PASSWORD") {
        return Ok(Some(Secret::new(value)));
    }
    match loaded.config.websphere.password_file.as_deref() {
        Some(path) => read_secret_file(
            "WebSphere password",
            path,
            &loaded.origin("websphere.password_file"),
        )
        .map(Some),
        None => Ok(None),
    }
}

fn prompt(what: &'static str) -> Result<Secret, ConfigError> {
    const HINT: &str = "give --password-file FILE, or set CNXBACKUP_PASSWORD or \
                        CNXBACKUP_PASSWORD_FILE, or [repository] password_file in the config";
    if !std::io::stdin().is_terminal() {
        return Err(ConfigError::Missing { what, hint: HINT });
    }
    match rpassword::prompt_password(format!("Enter {what}: ")) {
        Ok(value) if !value.is_empty() => Ok(Secret::new(value)),
        _ => Err(ConfigError::Missing { what, hint: HINT }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn first_line_of_the_file_is_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\n").unwrap();
        let s = read_secret_file("test password", &path, &Origin::Default).unwrap();
        assert_eq!(s.expose(), "s3cret");
    }

    #[test]
    fn empty_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "\n").unwrap();
        let err = read_secret_file("test password", &path, &Origin::Default).unwrap_err();
        assert!(err.to_string().contains(&path.display().to_string()));
        assert!(err.to_string().contains("empty"));
    }
}
