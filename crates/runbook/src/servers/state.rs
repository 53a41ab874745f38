//! Whether a server runs, from its PID file and the process table.
//!
//! Running means: `logs/<server>/<server>.pid` exists, names a live process, and that
//! process's command line contains the profile path and the server name. A PID file whose
//! process is gone is stale (stopped); a PID now used by something else does not count.

use std::path::Path;

use serde::Serialize;
use websphere::{parse_pid_file, pid_file_path, process_state, ProcessState};

use super::topology::{ControlProfile, ControlServer, ControlTopology};

/// Why a server counts as stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StoppedHow {
    /// No PID file.
    NoPidFile,
    /// The PID file names a process that no longer exists.
    StalePidFile {
        /// The PID in the file.
        pid: u32,
    },
    /// The PID file names a live process that is not this server (PID reused).
    PidReused {
        /// The PID in the file.
        pid: u32,
    },
    /// The PID file holds no process id (empty or garbled).
    UnreadablePidFile {
        /// What was wrong.
        problem: String,
    },
}

/// A server's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum ServerState {
    /// Running with this verified PID.
    Running {
        /// Process id.
        pid: u32,
    },
    /// Not running.
    Stopped(StoppedHow),
}

impl ServerState {
    /// The verified PID when running.
    pub fn running_pid(&self) -> Option<u32> {
        match self {
            ServerState::Running { pid } => Some(*pid),
            ServerState::Stopped(_) => None,
        }
    }
}

/// A server found running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunningServer {
    /// Profile name.
    pub profile: String,
    /// Node name.
    pub node: String,
    /// Server name.
    pub server: String,
    /// Verified process id.
    pub pid: u32,
}

/// The state of `server` of `profile`.
pub fn server_state(profile: &ControlProfile, server: &ControlServer) -> ServerState {
    state_at(
        &profile.path,
        &profile.product_path,
        &server.name,
        process_state,
    )
}

/// [`server_state`] with the process-table check injected (for tests).
pub(crate) fn state_at(
    profile_path: &Path,
    product_path: &Path,
    server: &str,
    check: impl Fn(u32, &[&str]) -> ProcessState,
) -> ServerState {
    let file = pid_file_path(profile_path, server);
    let bytes = match std::fs::read(&file) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return ServerState::Stopped(StoppedHow::NoPidFile)
        }
        Err(e) => {
            // Unreadable (permissions): we cannot tell. Reported as such and logged; the
            // stop script's own verdict then decides.
            tracing::warn!(file = %file.display(), error = %e, "cannot read PID file");
            return ServerState::Stopped(StoppedHow::UnreadablePidFile {
                problem: e.to_string(),
            });
        }
    };
    let pid = match parse_pid_file(&bytes, &file) {
        Ok(pid) => pid,
        Err(e) => {
            tracing::warn!(file = %file.display(), error = %e, "PID file holds no process id");
            return ServerState::Stopped(StoppedHow::UnreadablePidFile {
                problem: e.to_string(),
            });
        }
    };
    let real = profile_path.to_string_lossy();
    let product = product_path.to_string_lossy();
    // The process names its profile by the path it was started with: the real one under a
    // sysroot, the product one on a real host; either will do.
    let mut state = check(pid, &[real.as_ref(), server]);
    if state == ProcessState::PidReused && product != real {
        state = check(pid, &[product.as_ref(), server]);
    }
    match state {
        ProcessState::Running => ServerState::Running { pid },
        ProcessState::NotRunning => ServerState::Stopped(StoppedHow::StalePidFile { pid }),
        ProcessState::PidReused => ServerState::Stopped(StoppedHow::PidReused { pid }),
    }
}

/// Every managed server of `topology` that is running (for `--no-stop` and the restore
/// precondition: refuse when this is not empty).
pub fn verify_all_stopped(topology: &ControlTopology) -> Vec<RunningServer> {
    topology
        .servers()
        .filter(|(_, s)| s.kind.is_managed())
        .filter_map(|(p, s)| {
            server_state(p, s).running_pid().map(|pid| RunningServer {
                profile: p.name.clone(),
                node: s.node.clone(),
                server: s.name.clone(),
                pid,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pid(dir: &Path, server: &str, content: &str) {
        let f = pid_file_path(dir, server);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, content).unwrap();
    }

    #[test]
    fn no_pid_file_is_stopped() {
        let d = tempfile::tempdir().unwrap();
        let s = state_at(d.path(), d.path(), "server1", |_, _| unreachable!());
        assert_eq!(s, ServerState::Stopped(StoppedHow::NoPidFile));
    }

    #[test]
    fn garbled_pid_file_is_reported() {
        let d = tempfile::tempdir().unwrap();
        write_pid(d.path(), "server1", "not a pid\n");
        let s = state_at(d.path(), d.path(), "server1", |_, _| unreachable!());
        assert!(matches!(
            s,
            ServerState::Stopped(StoppedHow::UnreadablePidFile { .. })
        ));
    }

    #[test]
    fn the_expected_strings_are_profile_path_and_server_name() {
        let d = tempfile::tempdir().unwrap();
        write_pid(d.path(), "server1", "4242\n");
        let real = d.path().to_string_lossy().into_owned();
        let s = state_at(d.path(), Path::new("/opt/p"), "server1", |pid, want| {
            assert_eq!(pid, 4242);
            if want == [real.as_str(), "server1"] {
                ProcessState::PidReused
            } else {
                assert_eq!(want, ["/opt/p", "server1"]);
                ProcessState::Running
            }
        });
        assert_eq!(s, ServerState::Running { pid: 4242 });
    }

    #[test]
    fn gone_and_reused_pids_are_stopped() {
        let d = tempfile::tempdir().unwrap();
        write_pid(d.path(), "s", "7");
        let gone = state_at(d.path(), d.path(), "s", |_, _| ProcessState::NotRunning);
        assert_eq!(
            gone,
            ServerState::Stopped(StoppedHow::StalePidFile { pid: 7 })
        );
        let reused = state_at(d.path(), d.path(), "s", |_, _| ProcessState::PidReused);
        assert_eq!(
            reused,
            ServerState::Stopped(StoppedHow::PidReused { pid: 7 })
        );
    }
}
