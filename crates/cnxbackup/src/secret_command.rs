//! A password from a command (`--password-command`, `[repository] password_command`): the
//! first line the command prints on stdout, as restic's `--password-command` does.
//!
//! The command runs through `/bin/sh -c`, so a pipe or a redirection works
//! (`gpg --decrypt /etc/cnxbackup/pw.gpg`, `pass show backup/cnx`, `systemd-creds decrypt
//! ...`). Its stdin and stderr are the user's (a pinentry may ask; its own messages explain
//! its failures); its stdout is read here, kept in a buffer that is wiped, and never
//! shown, logged or quoted in an error. A command that cannot start, exits non-zero, is
//! killed or prints no line is a configuration error naming the command and where it was
//! set.

use std::io::Read;
use std::process::{Command, Stdio};

use zeroize::Zeroizing;

use crate::config::error::{ConfigError, Origin};

/// The most of the command's stdout read (a password is one short line).
const OUTPUT_LIMIT: u64 = 64 * 1024;

/// Run `command` and return the first line it prints (the caller makes it a `Secret`, which
/// registers it for masking).
pub fn run(
    what: &'static str,
    command: &str,
    origin: &Origin,
) -> Result<Zeroizing<String>, ConfigError> {
    let failed = |problem: String| ConfigError::SecretCommand {
        what,
        command: command.to_string(),
        origin: origin.clone(),
        problem,
    };
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| failed(format!("cannot be started: {e}")))?;
    // Sized up front so the buffer never reallocates (which would leave unwiped copies).
    let mut out = Zeroizing::new(Vec::with_capacity(OUTPUT_LIMIT as usize + 1));
    let read = match child.stdout.take() {
        Some(stdout) => stdout.take(OUTPUT_LIMIT).read_to_end(&mut out),
        None => Ok(0),
    };
    let status = child
        .wait()
        .map_err(|e| failed(format!("could not be waited for: {e}")))?;
    if !status.success() {
        // Only the status: the output may hold the password.
        return Err(failed(format!(
            "failed ({status}); its own messages, if any, are above"
        )));
    }
    read.map_err(|e| failed(format!("its output could not be read: {e}")))?;
    let text = std::str::from_utf8(&out)
        .map_err(|_| failed("printed something that is not UTF-8 text".into()))?;
    match text.lines().next() {
        Some(first) if !first.is_empty() => Ok(Zeroizing::new(first.to_string())),
        _ => Err(failed(
            "printed no password (its first line on stdout is the password)".into(),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin::Flag("--password-command")
    }

    #[test]
    fn the_first_line_of_stdout_is_the_password() {
        let s = run(
            "test password",
            "printf 'cmd-secret-8811\\nsecond\\n'",
            &origin(),
        )
        .unwrap();
        assert_eq!(s.as_str(), "cmd-secret-8811");
    }

    #[test]
    fn a_failing_command_is_a_clear_error_without_its_output() {
        let err = run(
            "test password",
            "echo leaked-secret-8812; exit 3",
            &origin(),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("echo leaked-secret-8812; exit 3"), "{text}");
        assert!(text.contains("exit status: 3"), "{text}");
        assert!(text.contains("--password-command"), "{text}");
        // the command line is shown, never what it printed
        assert_eq!(text.matches("leaked-secret-8812").count(), 1, "{text}");
        assert!(!text.contains("leaked-secret-8812\n"), "{text}");
    }

    #[test]
    fn no_output_and_a_missing_program_are_errors() {
        let err = run("test password", "true", &origin()).unwrap_err();
        assert!(err.to_string().contains("printed no password"), "{err}");
        let err = run("test password", "/nonexistent/pw-tool", &origin()).unwrap_err();
        assert!(err.to_string().contains("exit status: 127"), "{err}");
    }
}
