//! What can go wrong with a declared component or a hook.

use std::path::PathBuf;

use crate::process::ProcessError;

/// A declared component's or a hook's failure, naming it and what to do.
#[derive(Debug, thiserror::Error)]
pub enum DeclaredError {
    /// A configuration value is not usable.
    #[error("{key}: {message}")]
    Config {
        /// The key (`component "mongodb": backup`).
        key: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A secret file could not be read.
    #[error("{what}: the secret file {} for ${variable} cannot be read: {source}", path.display())]
    SecretFile {
        /// The component or hook.
        what: String,
        /// The environment variable it is for.
        variable: String,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The program could not be run at all.
    #[error("{what}: {source}")]
    Run {
        /// The component or hook, and which of its commands.
        what: String,
        /// Why.
        #[source]
        source: ProcessError,
    },
    /// The program ran and failed (a non-zero exit, a signal, the timeout).
    #[error("{what}: `{command}` failed ({status}){}", tail_text(tail))]
    Failed {
        /// The component or hook, and which of its commands.
        what: String,
        /// The command line as shown (secrets masked).
        command: String,
        /// How it ended (`exit code 1`, `timed out after 5s`).
        status: String,
        /// The last lines of its stderr (or stdout).
        tail: String,
    },
    /// Staging or reading the component's data failed.
    #[error("{what}: {} : {source}", path.display())]
    Io {
        /// The component and what was being done.
        what: String,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The version at the target is not the one the backup recorded.
    #[error(
        "component {name:?}: the backup recorded version {recorded:?}, the version command \
         reports {current:?} now: restoring data of one version into another is refused \
         (restore onto the recorded version, or pass --allow-version-mismatch if the \
         component's own documentation says its data moves between them)"
    )]
    VersionMismatch {
        /// The component.
        name: String,
        /// What the backup recorded.
        recorded: String,
        /// What the version command says now.
        current: String,
    },
    /// Reading the component's data out of the snapshot failed.
    #[error("component {name:?}: reading {stored} from the snapshot: {message}")]
    Snapshot {
        /// The component.
        name: String,
        /// The stored path.
        stored: String,
        /// What the repository said.
        message: String,
    },
}

fn tail_text(tail: &str) -> String {
    if tail.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", tail.trim())
    }
}
