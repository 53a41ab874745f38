//! Passwords: where they come from. Each is held in the workspace's one [`Secret`] type
//! (crate `secret`), which never shows its value and tells the log redaction about it.
//!
//! The repository password comes from, highest first: `--password-file`,
//! `--password-command`, `CNXBACKUP_PASSWORD`, a password file (`CNXBACKUP_PASSWORD_FILE`,
//! `[repository] password_file`) or a password command (`CNXBACKUP_PASSWORD_COMMAND`,
//! `[repository] password_command`; both configured is an error), the systemd credential
//! `$CREDENTIALS_DIRECTORY/<repository.password_credential>` (default `cnxbackup-password`),
//! then a prompt when stdin is a terminal ([`PasswordSource`]). Passwords are never accepted
//! as a command-line value: other users can read the process arguments.

use crate::config::env::Environment;
use crate::config::error::{ConfigError, Origin};
use crate::config::loaded::LoadedConfig;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

pub use secret::Secret;

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

/// The most of a password file read to register its first line for masking.
const REGISTER_READ_LIMIT: u64 = 64 * 1024;

/// Register for masking in the log the first line of every secret file the configuration
/// names (repository, WebSphere and database passwords, the S3 secret key), before the command
/// runs. The command reads each file only when it needs the secret, and by then the storage
/// layer may already have logged something containing it (a path, a URL). Nothing is reported
/// here: an unreadable file is the command's error to give, if it reads the file at all.
pub fn register_configured_secret_files(loaded: &LoadedConfig) {
    use std::io::Read;
    let c = &loaded.config;
    let files = [
        &c.repository.password_file,
        &c.websphere.password_file,
        &c.database.password_file,
        &c.s3.secret_access_key_file,
    ];
    for path in files.into_iter().flatten() {
        // Only regular files: reading a pipe or FIFO here (`--password-file <(pass show x)`,
        // /dev/stdin) would consume the password the command reads later, or block.
        if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            continue;
        }
        let Ok(file) = std::fs::File::open(path) else {
            continue;
        };
        // Sized up front so the buffer never reallocates (which would leave unwiped copies).
        let mut text = Zeroizing::new(String::with_capacity(REGISTER_READ_LIMIT as usize + 64));
        if file
            .take(REGISTER_READ_LIMIT)
            .read_to_string(&mut text)
            .is_ok()
        {
            if let Some(first) = text.lines().next() {
                crate::logging::register_secret(first);
            }
        }
    }
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

/// The names a repository's password is looked for under besides its configuration: the
/// environment variable holding it and the systemd credential read when nothing else
/// gives one.
#[derive(Debug, Clone, Copy)]
pub struct PasswordNames {
    pub variable: &'static str,
    pub credential: &'static str,
}

/// The repository's own: `CNXBACKUP_PASSWORD`, and the credential of
/// `LoadCredential=cnxbackup-password:/etc/cnxbackup/password` in the unit.
pub const REPOSITORY_PASSWORD_NAMES: PasswordNames = PasswordNames {
    variable: "CNXBACKUP_PASSWORD",
    credential: "cnxbackup-password",
};

/// Where a password comes from (never the password itself, except a variable's value,
/// which is a [`Secret`] from the moment it is read).
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// The first line of a file.
    File { path: PathBuf, origin: Origin },
    /// The first line a command prints on stdout (run by `/bin/sh -c`; its stderr is the
    /// user's, its stdout is never shown or logged).
    Command { command: String, origin: Origin },
    /// An environment variable's value.
    Variable { name: &'static str, value: Secret },
    /// A systemd credential: the first line of `$CREDENTIALS_DIRECTORY/NAME`.
    Credential { path: PathBuf },
    /// Asked for on the terminal (an error when stdin is not one).
    Prompt,
}

impl PasswordSource {
    /// The password itself: the file or credential read, the command run, the prompt asked.
    pub fn read(&self, what: &'static str) -> Result<Secret, ConfigError> {
        match self {
            PasswordSource::File { path, origin } => read_secret_file(what, path, origin),
            PasswordSource::Command { command, origin } => {
                crate::secret_command::run(what, command, origin)
                    .map(|first| Secret::new(first.to_string()))
            }
            PasswordSource::Variable { value, .. } => Ok(value.clone()),
            PasswordSource::Credential { path } => {
                read_secret_file(what, path, &Origin::Env("CREDENTIALS_DIRECTORY".into()))
            }
            PasswordSource::Prompt => prompt(what),
        }
    }

    /// Where the password comes from, for `cnxbackup config` (never the value).
    pub fn describe(&self) -> String {
        match self {
            PasswordSource::File { path, origin } => {
                format!("file {}, from {origin}", path.display())
            }
            PasswordSource::Command { origin, .. } => format!("command, from {origin}"),
            PasswordSource::Variable { name, .. } => format!("environment variable {name}"),
            PasswordSource::Credential { path } => {
                format!("systemd credential {}", path.display())
            }
            PasswordSource::Prompt => "not given (asked for on a terminal when needed)".into(),
        }
    }
}

/// The repository password, by the documented precedence.
pub fn repository_password(
    loaded: &LoadedConfig,
    env: &dyn Environment,
) -> Result<Secret, ConfigError> {
    repository_password_source(loaded, env, REPOSITORY_PASSWORD_NAMES)?.read(REPOSITORY_PASSWORD)
}

/// Where the repository password of `loaded` comes from: a flag (`--password-file`,
/// `--password-command`), the variable of `names`, the configured file or command, the
/// systemd credential, else the prompt. Nothing is read or run here.
pub fn repository_password_source(
    loaded: &LoadedConfig,
    env: &dyn Environment,
    names: PasswordNames,
) -> Result<PasswordSource, ConfigError> {
    let repo = &loaded.config.repository;
    let file = repo
        .password_file
        .as_ref()
        .map(|path| PasswordSource::File {
            path: path.clone(),
            origin: loaded.origin("repository.password_file"),
        });
    let command = repo
        .password_command
        .as_ref()
        .map(|command| PasswordSource::Command {
            command: command.clone(),
            origin: loaded.origin("repository.password_command"),
        });
    let from_flag = |s: &Option<PasswordSource>| match s {
        Some(PasswordSource::File { origin, .. } | PasswordSource::Command { origin, .. }) => {
            matches!(origin, Origin::Flag(_))
        }
        _ => false,
    };
    if from_flag(&file) {
        return Ok(file.unwrap_or(PasswordSource::Prompt));
    }
    if from_flag(&command) {
        return Ok(command.unwrap_or(PasswordSource::Prompt));
    }
    if let Some(value) = env.var(names.variable) {
        return Ok(PasswordSource::Variable {
            name: names.variable,
            value: Secret::new(value),
        });
    }
    match (file, command) {
        (
            Some(PasswordSource::File { origin: first, .. }),
            Some(PasswordSource::Command { origin: second, .. }),
        ) => Err(ConfigError::PasswordSources { first, second }),
        (Some(one), _) | (None, Some(one)) => Ok(one),
        (None, None) => credential_or_prompt(loaded, env, names.credential),
    }
}

/// The systemd credential when systemd handed the service one (`$CREDENTIALS_DIRECTORY` is
/// set and holds the named file), else the prompt. A credential named in the configuration
/// must be there.
fn credential_or_prompt(
    loaded: &LoadedConfig,
    env: &dyn Environment,
    default_name: &str,
) -> Result<PasswordSource, ConfigError> {
    let configured = loaded.config.repository.password_credential.as_deref();
    let name = configured.unwrap_or(default_name);
    let Some(dir) = env.var("CREDENTIALS_DIRECTORY") else {
        return match configured {
            Some(name) => Err(ConfigError::NoCredentialsDirectory {
                name: name.to_string(),
                origin: loaded.origin("repository.password_credential"),
            }),
            None => Ok(PasswordSource::Prompt),
        };
    };
    let path = Path::new(&dir).join(name);
    if configured.is_some() || path.exists() {
        return Ok(PasswordSource::Credential { path });
    }
    Ok(PasswordSource::Prompt)
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
    const HINT: &str = "give --password-file FILE or --password-command CMD, or set \
                        CNXBACKUP_PASSWORD or CNXBACKUP_PASSWORD_FILE, or [repository] \
                        password_file or password_command in the config, or a systemd \
                        credential cnxbackup-password";
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
    use crate::config::NoEnv;

    #[test]
    fn secret_never_prints_its_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s}"), "***");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    /// Every secret loaded is masked in the log from then on: the repository password from
    /// `CNXBACKUP_PASSWORD` and from a file, the WebSphere password, and the database password
    /// (all through `Secret::new`), and a secret another crate made (an `{xor}` value a
    /// WebSphere reader decoded).
    #[test]
    fn every_loaded_secret_is_registered_for_masking_in_the_log() {
        use crate::config::{database_password, load, FlagValues};
        use crate::logging::mask_secrets;
        crate::logging::learn_every_new_secret();
        struct Env(Vec<(&'static str, &'static str)>);
        impl Environment for Env {
            fn var(&self, name: &str) -> Option<String> {
                self.0
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let repo_pw = dir.path().join("repo.pw");
        let db_pw = dir.path().join("db.pw");
        std::fs::write(&repo_pw, "repo-file-secret-5501\n").unwrap();
        std::fs::write(&db_pw, "db-file-secret-5502\n").unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            format!(
                "[repository]\npassword_file = {:?}\n[database]\nvendor = \"oracle\"\n\
                 password_file = {:?}\n",
                repo_pw, db_pw
            ),
        )
        .unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let line = "repo-env-secret-5500 repo-file-secret-5501 db-file-secret-5502 \
                    was-env-secret-5503 xor-decoded-secret-5504";
        let no_env = Env(vec![]);
        let loaded = load(&flags, &no_env).unwrap();
        assert_eq!(
            mask_secrets(line),
            line,
            "nothing is masked before it is loaded"
        );

        assert_eq!(
            repository_password(&loaded, &no_env).unwrap().expose(),
            "repo-file-secret-5501"
        );
        assert!(database_password(&loaded).unwrap().is_some());
        let env = Env(vec![
            ("CNXBACKUP_PASSWORD", "repo-env-secret-5500"),
            ("CNXBACKUP_WAS_PASSWORD", "was-env-secret-5503"),
        ]);
        assert_eq!(
            repository_password(&loaded, &env).unwrap().expose(),
            "repo-env-secret-5500"
        );
        assert!(websphere_password(&loaded, &env).unwrap().is_some());
        let decoded =
            websphere::Password::from_attribute(&websphere::xor_encode("xor-decoded-secret-5504"));
        assert!(decoded.secret().is_some());
        assert_eq!(mask_secrets(line), "*** *** *** *** ***");
    }

    #[test]
    fn configured_secret_files_are_registered_before_they_are_read() {
        use crate::config::{load, FlagValues};
        use crate::logging::mask_secrets;
        let dir = tempfile::tempdir().unwrap();
        let names = ["repo", "was", "db", "s3"];
        for n in names {
            std::fs::write(
                dir.path().join(n),
                format!("early-{n}-secret-7700\nsecond line\n"),
            )
            .unwrap();
        }
        let file = |n: &str| dir.path().join(n);
        let cfg = dir.path().join("c.toml");
        std::fs::write(
            &cfg,
            format!(
                "[repository]\npassword_file = {:?}\n[websphere]\npassword_file = {:?}\n\
                 [database]\nvendor = \"oracle\"\npassword_file = {:?}\n\
                 [s3]\nsecret_access_key_file = {:?}\n",
                file("repo"),
                file("was"),
                file("db"),
                file("s3")
            ),
        )
        .unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let loaded = load(&flags, &NoEnv).unwrap();
        let line = "early-repo-secret-7700 early-was-secret-7700 early-db-secret-7700 \
                    early-s3-secret-7700 second line";
        assert_eq!(mask_secrets(line), line);
        register_configured_secret_files(&loaded);
        assert_eq!(mask_secrets(line), "*** *** *** *** second line");
    }

    /// A password "file" that is a pipe (`--password-file <(pass show x)`) must be left for
    /// the command to read: reading it early would consume it, or block with no writer.
    #[cfg(unix)]
    #[test]
    fn a_fifo_secret_file_is_not_read_early() {
        use crate::config::{load, FlagValues};
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pw.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let cfg = dir.path().join("c.toml");
        std::fs::write(&cfg, format!("[repository]\npassword_file = {fifo:?}\n")).unwrap();
        let flags = FlagValues {
            config: Some(cfg),
            ..FlagValues::default()
        };
        let loaded = load(&flags, &NoEnv).unwrap();
        // with no writer, opening the FIFO would block: the call must return at once
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            register_configured_secret_files(&loaded);
            let _ = tx.send(());
        });
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(5)).is_ok(),
            "register_configured_secret_files blocked on a FIFO"
        );
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
