//! The manifest's records of declared components (`[[component]]`) and hooks (`[hooks]`).

use serde::{Deserialize, Serialize};

use super::status::StepStatus;
use crate::declared::config::{OutputKind, When};

/// Where declared components are stored in the snapshot (`<dir>/<NAME>/`).
pub const DECLARED_DIR: &str = "/.cnxbackup/components";

/// In a declared component's directory: the backup command's stdout.
pub const DECLARED_STREAM: &str = "stream";

/// In a declared component's directory: the directory the backup command filled.
pub const DECLARED_DATA: &str = "data";

/// In a declared component's directory: the transcript of its commands.
pub const DECLARED_TRANSCRIPT: &str = "transcript.log";

/// Where a declared component is stored in the snapshot.
pub fn declared_dir(name: &str) -> String {
    format!("{DECLARED_DIR}/{name}")
}

/// One declared component's backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclaredRecord {
    /// Its configured name.
    pub name: String,
    /// When it ran (servers running or stopped).
    pub when: When,
    /// Where its data went: its stdout, or a directory it filled.
    pub output: OutputKind,
    /// Outcome (`ok` or `failed`).
    pub status: StepStatus,
    /// What the version command printed (trimmed), when one is configured and succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The backup command as run (secrets masked).
    pub command: String,
    /// Its directory in the snapshot ([`declared_dir`]).
    pub stored_as: String,
    /// Bytes of data stored.
    pub bytes: u64,
    /// SHA-256 of the stdout, for a stdout component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Wall time of its commands.
    pub duration_ms: u64,
    /// The transcript of its commands in the snapshot, when it was stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// What failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One hook that ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookRecord {
    /// `before_stop`, `after_start` (`on_failure` runs after the manifest is written).
    pub hook: String,
    /// The command as run (secrets masked).
    pub command: String,
    /// `exit code 0`, `timed out after 5s`, ...
    pub status: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// Its stdout and stderr (bounded).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// Wall time.
    pub duration_ms: u64,
}
