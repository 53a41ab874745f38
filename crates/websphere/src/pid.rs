//! Server PID files (`profile_root/logs/<server>/<server>.pid`) and checking whether the
//! process they name is still the server.
//!
//! Processes are always looked up on the running host (`/proc`), never through a sysroot:
//! a sysroot maps files, not the process table.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;

/// The product path of a server's PID file under a profile root.
pub fn pid_file_path(profile_root: &Path, server: &str) -> PathBuf {
    profile_root
        .join("logs")
        .join(server)
        .join(format!("{server}.pid"))
}

/// Parses a PID file: one positive integer, surrounding blanks and a final newline
/// allowed. Anything else is an error naming the file (the content is not echoed beyond
/// a short excerpt).
pub fn parse_pid_file(input: &[u8], file: &Path) -> Result<u32, ReadError> {
    let text = std::str::from_utf8(input)
        .map_err(|_| ReadError::parse(file, Some(1), "PID file is not text"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(ReadError::parse(file, Some(1), "PID file is empty"));
    }
    if trimmed.lines().count() > 1 {
        return Err(ReadError::parse(
            file,
            Some(2),
            "PID file has more than one line",
        ));
    }
    match trimmed.parse::<u32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => {
            let excerpt: String = trimmed.chars().take(20).collect();
            Err(ReadError::parse(
                file,
                Some(1),
                format!("PID file does not hold a process id: {excerpt:?}"),
            ))
        }
    }
}

/// Reads a PID file at a product path through the sysroot.
pub fn read_pid_file(sys: &Sysroot, file: &Path) -> Result<u32, ReadError> {
    let bytes = sys.read(file)?;
    parse_pid_file(&bytes, file)
}

/// What the process table says about a PID from a PID file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessState {
    /// The process exists and its command line contains every expected string (or its
    /// command line cannot be read, in which case it is assumed to be the server: saying
    /// "stopped" wrongly is the dangerous mistake).
    Running,
    /// No such process (or only a zombie remains).
    NotRunning,
    /// A process with that PID exists but is something else: the PID file is stale.
    PidReused,
}

/// Checks `pid` in the host's `/proc`. `expect_cmdline_contains` are strings the server's
/// command line must contain (typically the profile path and the server name).
pub fn process_state(pid: u32, expect_cmdline_contains: &[&str]) -> ProcessState {
    process_state_in(Path::new("/proc"), pid, expect_cmdline_contains)
}

/// [`process_state`] against another proc-like directory (for tests).
pub fn process_state_in(
    proc_root: &Path,
    pid: u32,
    expect_cmdline_contains: &[&str],
) -> ProcessState {
    let dir = proc_root.join(pid.to_string());
    if !dir.is_dir() {
        return ProcessState::NotRunning;
    }
    if let Ok(stat) = std::fs::read_to_string(dir.join("stat")) {
        // The state letter follows the command name, which is in parentheses and may
        // itself contain blanks or parentheses: look after the last ')'.
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if matches!(state, Some("Z") | Some("X")) {
            return ProcessState::NotRunning;
        }
    }
    let cmdline = match std::fs::read(dir.join("cmdline")) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return ProcessState::NotRunning,
        Err(_) => return ProcessState::Running,
    };
    if cmdline.is_empty() {
        // Kernel threads have no command line: certainly not our server.
        return ProcessState::PidReused;
    }
    let joined: String = String::from_utf8_lossy(&cmdline)
        .split('\0')
        .filter(|a| !a.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if expect_cmdline_contains.iter().all(|s| joined.contains(s)) {
        ProcessState::Running
    } else {
        ProcessState::PidReused
    }
}
