//! Exit codes of the contract (`docs/cli-contract.md`) and how an error chooses one.
//!
//! Commands return `anyhow::Result`. An error that must end with a code other than 1 is
//! wrapped with [`ExitContext::exit_code`] (or [`with_exit`]) somewhere in its chain, or is a
//! [`ConfigError`](crate::config::ConfigError), which always means bad configuration.

use std::fmt;

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
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Refused => 3,
        }
    }
}

/// Attach an exit code to an error.
pub trait ExitContext<T> {
    fn exit_code(self, exit: Exit) -> anyhow::Result<T>;
}

impl<T, E> ExitContext<T> for Result<T, E>
where
    E: Into<anyhow::Error>,
{
    fn exit_code(self, exit: Exit) -> anyhow::Result<T> {
        self.map_err(|e| with_exit(e.into(), exit))
    }
}

/// Wrap `error` so that the process ends with `exit`.
pub fn with_exit(error: anyhow::Error, exit: Exit) -> anyhow::Error {
    anyhow::Error::new(Coded { exit, inner: error })
}

/// An error with a chosen exit code; displays exactly as the wrapped error.
#[derive(Debug)]
struct Coded {
    exit: Exit,
    inner: anyhow::Error,
}

impl fmt::Display for Coded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#}", self.inner)
    }
}

impl std::error::Error for Coded {}

/// The exit code an error asks for: an explicit code wins, a configuration error is a usage
/// error, anything else is a failed operation.
pub fn exit_of(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(coded) = cause.downcast_ref::<Coded>() {
            return coded.exit;
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return Exit::Usage;
        }
    }
    Exit::Failed
}

/// One line (or a few) for the user: the whole chain, outermost first, no backtrace.
pub fn describe(error: &anyhow::Error) -> String {
    format!("{error:#}")
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
    fn explicit_code_survives_added_context() {
        let err: anyhow::Result<()> = Err(anyhow!("servers running")).exit_code(Exit::Refused);
        let err = err.map_err(|e| e.context("backup refused")).unwrap_err();
        assert_eq!(exit_of(&err), Exit::Refused);
        assert_eq!(describe(&err), "backup refused: servers running");
    }
}
