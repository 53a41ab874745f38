//! Exit codes and how an error chooses one, in one place: [`exit_of`].
//!
//! The codes are the project's contract (docs/CLI.md, "Exit codes"; the shared contract is
//! `cli-contract.md` in the shared docs beside the repository). Commands return
//! `anyhow::Result` and never end the process themselves: `main` prints the error and asks
//! [`exit_of`] for the code. The first error in the chain whose type says what happened
//! decides: a library's error type (a version gate refusal, a bad `--exclude`, a preflight
//! problem) or a [`CommandError`] that a command raised itself; anything else is a failed
//! operation.

use crate::config::error::ConfigError;

/// The documented process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 1: the operation failed; the message says what and where.
    Failed,
    /// 2: bad usage or bad configuration.
    Usage,
    /// 3: refused by a safety rule (version gate, servers running, check failed).
    Refused,
    /// 4: `backup --path` wrote its snapshot, but some entries could not be read and are
    /// not in it (the snapshot records them). Like restic's 3 ("incomplete snapshot"),
    /// which here already means "refused".
    Unreadable,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
            Exit::Unreadable => 4,
        }
    }
}

/// How a command failed, when no library error says it.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The options cannot work together, or a value is malformed: exit 2.
    #[error("{0}")]
    Usage(String),
    /// A safety rule refused: exit 3.
    #[error("{0}")]
    Refused(String),
    /// The command printed its report (with `--json`, its one JSON document) and still
    /// failed: `main` prints the message on stderr and no second JSON document.
    #[error("{message}")]
    Reported { message: String, exit: Exit },
}

/// The exit code an error asks for: the outermost error in the chain whose type knows,
/// else 1 (the operation failed).
pub fn exit_of(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(exit_of_cause)
        .unwrap_or(Exit::Failed)
}

/// Exit 3 for a refusal, 2 for a usage error, 1 for anything else.
fn refused_usage_or_failed(refusal: bool, usage: bool) -> Exit {
    if refusal {
        Exit::Refused
    } else if usage {
        Exit::Usage
    } else {
        Exit::Failed
    }
}

/// The code one error in a chain asks for, if its type knows.
fn exit_of_cause(cause: &(dyn std::error::Error + 'static)) -> Option<Exit> {
    if let Some(e) = cause.downcast_ref::<CommandError>() {
        return Some(match e {
            CommandError::Usage(_) => Exit::Usage,
            CommandError::Refused(_) => Exit::Refused,
            CommandError::Reported { exit, .. } => *exit,
        });
    }
    if cause.downcast_ref::<ConfigError>().is_some() {
        return Some(Exit::Usage);
    }
    // `prune --grace 0` beside a running backup is a safety refusal; every other repository
    // error is a failed operation (the default below).
    // Also refusals: removing the last key or, without --force, the key in use; deleting in
    // an append-only repository outside maintenance; copying into a repository that is not
    // a copy of the source.
    if let Some(
        vault::VaultError::BackupRunning { .. }
        | vault::VaultError::LastKey { .. }
        | vault::VaultError::KeyInUse { .. }
        | vault::VaultError::AppendOnly { .. }
        | vault::VaultError::NotACopy { .. },
    ) = cause.downcast_ref::<vault::VaultError>()
    {
        return Some(Exit::Refused);
    }
    if let Some(e) = cause.downcast_ref::<vault::backup::BackupError>() {
        use vault::backup::BackupError;
        return Some(match e {
            BackupError::InvalidPath { .. } | BackupError::BadExclude { .. } => Exit::Usage,
            _ => Exit::Failed,
        });
    }
    if let Some(e) = cause.downcast_ref::<vault::restore::RestoreError>() {
        return Some(if e.is_refusal() {
            Exit::Refused
        } else if matches!(e, vault::restore::RestoreError::BadInclude { .. }) {
            Exit::Usage
        } else {
            Exit::Failed
        });
    }
    if let Some(e) = cause.downcast_ref::<runbook::backup::DeploymentBackupError>() {
        use runbook::backup::{DeploymentBackupError, ProblemKind};
        return Some(match e {
            DeploymentBackupError::Preflight {
                kind: ProblemKind::Configuration,
                ..
            } => Exit::Usage,
            DeploymentBackupError::Preflight {
                kind: ProblemKind::Safety,
                ..
            }
            | DeploymentBackupError::Refused { .. }
            | DeploymentBackupError::StopFailed { .. } => Exit::Refused,
            DeploymentBackupError::Repository { .. } | DeploymentBackupError::Hook { .. } => {
                Exit::Failed
            }
        });
    }
    if let Some(e) = cause.downcast_ref::<runbook::pick::PickError>() {
        return Some(refused_usage_or_failed(e.is_refusal(), e.is_usage()));
    }
    if let Some(e) = cause.downcast_ref::<runbook::restore::DeploymentRestoreError>() {
        return Some(refused_usage_or_failed(e.is_refusal(), e.is_usage()));
    }
    None
}

/// Whether the command printed its result before failing (so `main` adds no JSON error
/// document to stdout).
pub fn was_reported(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<CommandError>(),
        Some(CommandError::Reported { .. })
    )
}

/// One line (or a few) for the user: the whole chain, outermost first, no backtrace. A
/// cause whose text its outer error already shows (an error that prints its source *and*
/// returns it as `source()`, e.g. "path: No such file or directory (os error 2)") is not
/// repeated.
pub fn describe(error: &anyhow::Error) -> String {
    let mut out = String::new();
    push_chain(&mut out, error);
    out
}

fn push_chain(out: &mut String, error: &anyhow::Error) {
    // the text of the last cause shown: a cause it quotes is already on the line
    let mut shown = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if quotes(&shown, &text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        shown = text;
    }
}

/// Whether `outer` shows `cause` the way errors quote their source: the same text, after
/// a colon (`"{path}: {source}"`) or in parentheses. A word that merely recurs ("denied"
/// in "read /srv/denied") is not a quote.
fn quotes(outer: &str, cause: &str) -> bool {
    outer == cause || outer.contains(&format!(": {cause}")) || outer.contains(&format!("({cause})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::anyhow;

    #[test]
    fn plain_errors_fail_with_1() {
        assert_eq!(exit_of(&anyhow!("boom")), Exit::Failed);
    }

    #[test]
    fn a_command_error_keeps_its_code_under_added_context() {
        let err = anyhow::Error::new(CommandError::Refused("servers running".into()))
            .context("backup refused");
        assert_eq!(exit_of(&err), Exit::Refused);
        assert_eq!(describe(&err), "backup refused: servers running");
        assert!(!was_reported(&err));
    }

    #[test]
    fn library_errors_choose_their_code() {
        let bad_exclude = vault::backup::BackupError::BadExclude {
            pattern: "[".into(),
            reason: "unclosed".into(),
        };
        assert_eq!(
            exit_of(&anyhow::Error::new(bad_exclude).context("backup")),
            Exit::Usage
        );
        let unsafe_entry = vault::restore::RestoreError::Unsafe {
            path: "a/../../b".into(),
            reason: "climbs out".into(),
        };
        assert_eq!(exit_of(&anyhow::Error::new(unsafe_entry)), Exit::Refused);
        let missing = ConfigError::Missing {
            what: "repository",
            hint: "give --repo",
        };
        assert_eq!(exit_of(&anyhow::Error::new(missing)), Exit::Usage);
        let backup_running = vault::VaultError::BackupRunning {
            holder: "host h pid 7".into(),
        };
        assert_eq!(
            exit_of(&anyhow::Error::new(backup_running).context("prune")),
            Exit::Refused
        );
    }

    #[test]
    fn a_reported_failure_is_known_as_such() {
        let err = anyhow::Error::new(CommandError::Reported {
            message: "CHECK FAILED".into(),
            exit: Exit::Refused,
        });
        assert_eq!(exit_of(&err), Exit::Refused);
        assert!(was_reported(&err));
    }

    /// Issue 21: "(os error 2): No such file or directory (os error 2)".
    #[test]
    fn a_source_its_error_already_shows_is_not_repeated() {
        #[derive(Debug, thiserror::Error)]
        #[error("{path}: {source}")]
        struct Shows {
            path: String,
            #[source]
            source: std::io::Error,
        }
        let io = std::io::Error::from_raw_os_error(2);
        let err = anyhow::Error::new(Shows {
            path: "/etc/x".into(),
            source: io,
        })
        .context("cannot read the config");
        let text = describe(&err);
        assert_eq!(text.matches("os error 2").count(), 1, "{text}");
        assert!(
            text.starts_with("cannot read the config: /etc/x: "),
            "{text}"
        );
        // a cause the outer error does not show stays, even if an earlier one contains it
        let err = anyhow::anyhow!("denied")
            .context("read /srv/denied")
            .context("denied");
        assert_eq!(describe(&err), "denied: read /srv/denied: denied");
    }
}
