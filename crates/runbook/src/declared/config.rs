//! The configuration of declared components (`[[component]]`) and hooks (`[hooks]`): what
//! the administrator writes, checked before anything runs ([`Declared::validate`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::DeclaredError;
use crate::plan::Component;

/// How long a declared command may run when `timeout_secs` is not set.
pub const DEFAULT_TIMEOUT_SECS: u64 = 3600;

/// How long a hook may run when `[hooks] timeout_secs` is not set.
pub const DEFAULT_HOOK_TIMEOUT_SECS: u64 = 300;

/// A command as configured: an argument list (`["pg_dump", "-Fc", "cnx"]`), or one string
/// split into words shell-style (`"pg_dump -Fc cnx"`). No shell runs either way; write
/// `["sh", "-c", "..."]` for one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommandLine {
    /// The words, as given.
    Words(Vec<String>),
    /// One string, split into words without a shell.
    Line(String),
}

impl CommandLine {
    /// The words of the command; `key` names it in the error.
    pub fn words(&self, key: &str) -> Result<Vec<String>, DeclaredError> {
        let words = match self {
            CommandLine::Words(w) => w.clone(),
            CommandLine::Line(l) => {
                crate::process::split_command(l).map_err(|message| DeclaredError::Config {
                    key: key.to_owned(),
                    message,
                })?
            }
        };
        match words.first() {
            Some(p) if !p.trim().is_empty() => Ok(words),
            _ => Err(DeclaredError::Config {
                key: key.to_owned(),
                message: "the command is empty".into(),
            }),
        }
    }
}

impl CommandLine {
    /// The command as one line, quoted where needed (for plans and reports: a command
    /// line holds no secret, those travel in the environment).
    pub fn shown(&self) -> String {
        match self {
            CommandLine::Words(w) => shell_words::join(w),
            CommandLine::Line(l) => l.clone(),
        }
    }
}

/// When a declared component's backup runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// Before the servers stop (the application keeps serving): Component Pack data, or
    /// anything with its own consistency.
    #[default]
    Running,
    /// While the servers are stopped, beside the databases: data the servers write.
    Stopped,
}

impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            When::Running => "running",
            When::Stopped => "stopped",
        })
    }
}

/// Where a declared backup command puts its data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Its stdout is the data; the restore command reads it on stdin.
    #[default]
    Stdout,
    /// It fills the empty directory named by `{dir}` and `$CNXBACKUP_COMPONENT_DIR`; the
    /// restore command gets the restored directory the same way.
    Directory,
}

impl fmt::Display for OutputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputKind::Stdout => "stdout",
            OutputKind::Directory => "directory",
        })
    }
}

/// One `[[component]]`: something cnxbackup cannot discover, backed up and restored by the
/// administrator's commands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    /// Its name in the plan, the manifest, `show` and `restore --only`.
    pub name: String,
    /// The backup command.
    pub backup: CommandLine,
    /// The restore command (none: the restore says how to do it by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<CommandLine>,
    /// A command whose stdout is the component's version, recorded in the manifest and
    /// compared by the restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<CommandLine>,
    /// When the backup runs.
    #[serde(default)]
    pub when: When,
    /// Where the backup command's data goes.
    #[serde(default)]
    pub output: OutputKind,
    /// How long each of its commands may run (the process group is killed then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Plain environment variables for its commands.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Environment variables whose values are read from files (passwords): never on a
    /// command line, never shown.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_env_files: BTreeMap<String, PathBuf>,
}

impl Declared {
    /// The timeout of each of its commands.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS))
    }

    /// The rules the types cannot express: a usable name, commands that split, a timeout.
    pub fn validate(&self) -> Result<(), DeclaredError> {
        let key = |k: &str| format!("component {:?}: {k}", self.name);
        if !valid_name(&self.name) {
            return Err(DeclaredError::Config {
                key: "component.name".into(),
                message: format!(
                    "{:?}: use 1-64 lowercase letters, digits, '_' or '-', starting with a \
                     letter",
                    self.name
                ),
            });
        }
        if self.name.parse::<Component>().is_ok() {
            return Err(DeclaredError::Config {
                key: "component.name".into(),
                message: format!(
                    "{:?} is the name of a component cnxbackup backs up itself: choose \
                     another",
                    self.name
                ),
            });
        }
        self.backup.words(&key("backup"))?;
        if let Some(r) = &self.restore {
            r.words(&key("restore"))?;
        }
        if let Some(v) = &self.version {
            v.words(&key("version"))?;
        }
        if self.timeout_secs == Some(0) {
            return Err(DeclaredError::Config {
                key: key("timeout_secs"),
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// Checks a list of declared components: each valid, no name twice.
pub fn validate_all(components: &[Declared]) -> Result<(), DeclaredError> {
    for (i, c) in components.iter().enumerate() {
        c.validate()?;
        if components[..i].iter().any(|o| o.name == c.name) {
            return Err(DeclaredError::Config {
                key: "component.name".into(),
                message: format!("{:?} is declared twice", c.name),
            });
        }
    }
    Ok(())
}

/// A declared component's name: what `--only` and the snapshot's paths can hold.
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// `[hooks]`: the administrator's commands around the backup procedure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hooks {
    /// Runs right before the first server stops; a failure ends the run with nothing
    /// stopped.
    pub before_stop: Option<CommandLine>,
    /// Runs after `--restart` started the servers again.
    pub after_start: Option<CommandLine>,
    /// Runs when a backup run fails or writes an INCOMPLETE snapshot.
    pub on_failure: Option<CommandLine>,
    /// How long a hook may run.
    pub timeout_secs: Option<u64>,
}

impl Hooks {
    /// The timeout of each hook.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.unwrap_or(DEFAULT_HOOK_TIMEOUT_SECS))
    }

    /// Each configured hook's command splits into words.
    pub fn validate(&self) -> Result<(), DeclaredError> {
        for (key, cmd) in [
            ("hooks.before_stop", &self.before_stop),
            ("hooks.after_start", &self.after_start),
            ("hooks.on_failure", &self.on_failure),
        ] {
            if let Some(c) = cmd {
                c.words(key)?;
            }
        }
        if self.timeout_secs == Some(0) {
            return Err(DeclaredError::Config {
                key: "hooks.timeout_secs".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn declared(name: &str, backup: &str) -> Declared {
        Declared {
            name: name.into(),
            backup: CommandLine::Line(backup.into()),
            restore: None,
            version: None,
            when: When::Running,
            output: OutputKind::Stdout,
            timeout_secs: None,
            env: BTreeMap::new(),
            secret_env_files: BTreeMap::new(),
        }
    }

    #[test]
    fn names_and_commands_are_checked() {
        assert!(declared("mongodb", "mongodump --archive")
            .validate()
            .is_ok());
        for bad in ["", "Mongo", "1abc", "a/b", "a b", &"x".repeat(65)] {
            assert!(declared(bad, "true").validate().is_err(), "{bad:?}");
        }
        let err = declared("databases", "true").validate().unwrap_err();
        assert!(err.to_string().contains("backs up itself"), "{err}");
        let err = declared("x", "'unclosed").validate().unwrap_err();
        assert!(err.to_string().contains("component \"x\": backup"), "{err}");
        let twice = [declared("a", "true"), declared("a", "true")];
        assert!(validate_all(&twice)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn commands_are_words_or_a_line() {
        let toml_words: Declared = toml_like(r#"{"name":"a","backup":["sh","-c","echo 'x y'"]}"#);
        assert_eq!(
            toml_words.backup.words("k").unwrap(),
            ["sh", "-c", "echo 'x y'"]
        );
        let line: Declared = toml_like(r#"{"name":"a","backup":"pg_dump -Fc 'my db'"}"#);
        assert_eq!(line.backup.words("k").unwrap(), ["pg_dump", "-Fc", "my db"]);
        assert_eq!(line.when, When::Running);
        assert_eq!(line.output, OutputKind::Stdout);
        assert!(CommandLine::Words(vec![]).words("k").is_err());
    }

    fn toml_like(json: &str) -> Declared {
        serde_json::from_str(json).unwrap()
    }
}
