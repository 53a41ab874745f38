//! What can be wrong with the configuration, and where a value came from (so that every
//! message names its culprit).

use std::fmt;
use std::path::PathBuf;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// A config file, with the line of the key when it could be found.
    File {
        path: PathBuf,
        line: Option<usize>,
    },
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "the default"),
            Origin::File {
                path,
                line: Some(line),
            } => write!(f, "config file {}, line {line}", path.display()),
            Origin::File { path, line: None } => write!(f, "config file {}", path.display()),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(flag) => write!(f, "option {flag}"),
        }
    }
}

/// A configuration problem. Always exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {} is not valid TOML: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("{origin}: unknown section [{section}]; the sections are: {expected}")]
    UnknownSection {
        origin: Origin,
        section: String,
        expected: String,
    },
    #[error(
        "environment variable {name}: cnxbackup has no such setting{hint}; the variables are \
         CNXBACKUP_<SECTION>_<KEY> for the keys of the configuration file (docs/CLI.md)"
    )]
    UnknownVariable { name: String, hint: String },
    #[error("{origin}: unknown key `{key}`; [{section}] understands: {expected}")]
    UnknownKey {
        origin: Origin,
        section: String,
        key: String,
        expected: String,
    },
    #[error("{origin}: key `{key}`: {message}")]
    BadValue {
        origin: Origin,
        key: String,
        message: String,
    },
    #[error("--sysroot {}: {message}", path.display())]
    BadSysroot { path: PathBuf, message: String },
    #[error("{what} file {} (from {origin}) cannot be read: {source}", path.display())]
    SecretUnreadable {
        what: &'static str,
        path: PathBuf,
        origin: Origin,
        source: std::io::Error,
    },
    #[error("{what} file {} (from {origin}) is empty; put the password on its first line", path.display())]
    SecretEmpty {
        what: &'static str,
        path: PathBuf,
        origin: Origin,
    },
    #[error("{what} command `{command}` (from {origin}) {problem}")]
    SecretCommand {
        what: &'static str,
        command: String,
        origin: Origin,
        problem: String,
    },
    #[error(
        "the repository password is configured twice: a password file (from {first}) and a \
         password command (from {second}); keep one"
    )]
    PasswordSources { first: Origin, second: Origin },
    #[error(
        "{origin}: systemd credential `{name}` is named, but CREDENTIALS_DIRECTORY is not set \
         (give the unit LoadCredential={name}:FILE or LoadCredentialEncrypted=)"
    )]
    NoCredentialsDirectory { name: String, origin: Origin },
    #[error("no {what}: {hint}")]
    Missing {
        what: &'static str,
        hint: &'static str,
    },
}
