//! The one way a declared component's or a hook's command runs: through
//! [`crate::process`] (own process group killed at the timeout, output captured into the
//! thread's transcript, command lines shown with secrets masked), with the configured
//! environment, secrets read from files into environment variables (never argv), and
//! cnxbackup's own secrets kept out of the child's environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secret::Secret;

use super::error::DeclaredError;
use crate::process::{self, CommandSpec, Output};

/// Variables of cnxbackup's own environment that are secrets of its own: never passed to an
/// administrator's command.
pub const WITHHELD_ENV: &[&str] = &[
    "CNXBACKUP_PASSWORD",
    "CNXBACKUP_NEW_PASSWORD",
    "CNXBACKUP_TO_PASSWORD",
    "CNXBACKUP_WAS_PASSWORD",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
];

/// One command to run: its words, environment and timeout.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    /// What it is, for messages (`component "mongodb" backup`, `hook before_stop`).
    pub what: String,
    /// The words (`{dir}` replaced by [`Invocation::dir`]).
    pub words: Vec<String>,
    /// Plain environment.
    pub env: Vec<(String, String)>,
    /// Environment variables read from files.
    pub secret_env_files: &'a BTreeMap<String, PathBuf>,
    /// The component's directory, when it has one (`{dir}`, `$CNXBACKUP_COMPONENT_DIR`).
    pub dir: Option<&'a Path>,
    /// The timeout.
    pub timeout: Duration,
}

impl Invocation<'_> {
    /// The process specification: the program found in `PATH`, `{dir}` replaced, the
    /// environment set, cnxbackup's secrets withheld, the secret files read.
    pub fn spec(&self) -> Result<CommandSpec, DeclaredError> {
        let dir = self.dir.map(|d| d.to_string_lossy().into_owned());
        let words: Vec<String> = self
            .words
            .iter()
            .map(|w| match &dir {
                Some(d) => w.replace("{dir}", d),
                None => w.clone(),
            })
            .collect();
        let Some((program, args)) = words.split_first() else {
            return Err(DeclaredError::Config {
                key: self.what.clone(),
                message: "the command is empty".into(),
            });
        };
        let found = process::which(program)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|| program.clone());
        let mut spec = CommandSpec::new(found).args(args).timeout(self.timeout);
        for name in WITHHELD_ENV {
            spec = spec.env_remove(name);
        }
        for (k, v) in &self.env {
            spec = spec.env(k, v);
        }
        if let Some(d) = &dir {
            spec = spec.env("CNXBACKUP_COMPONENT_DIR", d);
        }
        for (name, path) in self.secret_env_files {
            spec = spec.secret_env(name, &self.read_secret(name, path)?);
        }
        Ok(spec)
    }

    /// A secret file's first line (like every password file of cnxbackup's).
    fn read_secret(&self, name: &str, path: &Path) -> Result<Secret, DeclaredError> {
        let text = std::fs::read_to_string(path).map_err(|source| DeclaredError::SecretFile {
            what: self.what.clone(),
            variable: name.to_owned(),
            path: path.to_path_buf(),
            source,
        })?;
        let first = text.lines().next().unwrap_or_default();
        Ok(Secret::new(first.trim_end_matches('\r')))
    }

    /// What preflight can know without running anything: the program is there and
    /// executable, every secret file readable.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match self.words.first() {
            Some(p) if process::which(p).is_some() => {}
            Some(p) => problems.push(format!(
                "{}: {p} is not found or not executable (PATH, or give its full path)",
                self.what
            )),
            None => problems.push(format!("{}: the command is empty", self.what)),
        }
        for (name, path) in self.secret_env_files {
            if let Err(e) = std::fs::File::open(path) {
                problems.push(format!(
                    "{}: the secret file {} for ${name} cannot be read: {e}",
                    self.what,
                    path.display()
                ));
            }
        }
        problems
    }

    /// Runs it to the end, capturing stdout and stderr; a failure (non-zero exit, signal,
    /// timeout) is an error naming it, with the end of its stderr.
    pub fn run(&self) -> Result<Output, DeclaredError> {
        let out = process::run(&self.spec()?).map_err(|e| self.run_error(e))?;
        self.succeeded(out)
    }

    /// Runs it with its stdout streamed into `sink`; returns the output and the bytes.
    pub fn run_stdout_to(
        &self,
        sink: &mut dyn std::io::Write,
    ) -> Result<(Output, u64), DeclaredError> {
        let (out, n) =
            process::run_stdout_to(&self.spec()?, sink).map_err(|e| self.run_error(e))?;
        Ok((self.succeeded(out)?, n))
    }

    /// Runs it with `source` fed on its stdin; returns the output and the bytes fed.
    pub fn run_stdin_from(
        &self,
        source: &mut dyn std::io::Read,
    ) -> Result<(Output, u64), DeclaredError> {
        let (out, n) =
            process::run_stdin_from(&self.spec()?, source).map_err(|e| self.run_error(e))?;
        Ok((self.succeeded(out)?, n))
    }

    fn run_error(&self, source: process::ProcessError) -> DeclaredError {
        DeclaredError::Run {
            what: self.what.clone(),
            source,
        }
    }

    fn succeeded(&self, out: Output) -> Result<Output, DeclaredError> {
        if out.success() {
            return Ok(out);
        }
        Err(DeclaredError::Failed {
            what: self.what.clone(),
            command: out.command.clone(),
            status: out.status_text(),
            tail: out.tail(3),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn inv<'a>(words: &[&str], secrets: &'a BTreeMap<String, PathBuf>) -> Invocation<'a> {
        Invocation {
            what: "component \"t\" backup".into(),
            words: words.iter().map(|w| w.to_string()).collect(),
            env: vec![("PLAIN".into(), "p".into())],
            secret_env_files: secrets,
            dir: None,
            timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn secret_from_a_file_reaches_the_env_and_never_the_command_line() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("pw");
        std::fs::write(&file, "s3cr3t-value\n").unwrap();
        let secrets = BTreeMap::from([("PGPASSWORD".to_string(), file)]);
        let i = inv(
            &["sh", "-c", "printf '%s/%s' \"$PGPASSWORD\" \"$PLAIN\""],
            &secrets,
        );
        let spec = i.spec().unwrap();
        assert!(!spec.display().contains("s3cr3t"), "{}", spec.display());
        assert_eq!(spec.display_env().matches("PGPASSWORD=***").count(), 1);
        let out = i.run().unwrap();
        assert_eq!(out.stdout, "s3cr3t-value/p");
        assert!(!out.command.contains("s3cr3t"));
    }

    #[test]
    fn failure_and_timeout_name_the_command() {
        let none = BTreeMap::new();
        let err = inv(&["sh", "-c", "echo boom >&2; exit 3"], &none)
            .run()
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("exit code 3") && text.contains("boom"),
            "{text}"
        );
        let mut slow = inv(&["sh", "-c", "sleep 30 & sleep 30"], &none);
        slow.timeout = Duration::from_millis(300);
        let started = std::time::Instant::now();
        let err = slow.run().unwrap_err().to_string();
        assert!(err.contains("timed out"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn missing_program_and_secret_file_are_found_before_running() {
        let secrets = BTreeMap::from([("X".to_string(), PathBuf::from("/nonexistent/pw"))]);
        let problems = inv(&["no-such-program-cnx"], &secrets).check();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("no-such-program-cnx"));
        assert!(problems[1].contains("/nonexistent/pw"));
    }

    #[test]
    fn dir_is_substituted_and_exported() {
        let none = BTreeMap::new();
        let d = tempfile::tempdir().unwrap();
        let mut i = inv(
            &[
                "sh",
                "-c",
                "test \"$0\" = \"$CNXBACKUP_COMPONENT_DIR\"",
                "{dir}",
            ],
            &none,
        );
        i.dir = Some(d.path());
        i.run().unwrap();
    }
}
