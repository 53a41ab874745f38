//! Preflight for the parts that run external programs: before anything is stopped or
//! written, the WebSphere scripts exist and are executable, the credentials work (when a
//! server can be asked), the vendor database tool is ready, and the staging directory has
//! room for the images. Every problem is collected; nothing is changed.
//!
//! The repository and the plan's paths are checked by their owners; the caller merges the
//! lists.

use std::path::Path;

use serde::Serialize;

use crate::databases::{check_free_space, DatabaseTool};
use crate::process;
use crate::servers::{
    check_credentials, ControlOptions, CredentialCheck, Topology, WasCredentials,
};

/// One preflight problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The check (`websphere_scripts`, `websphere_credentials`, `database_tool`,
    /// `staging_space`).
    pub check: &'static str,
    /// What is wrong, naming the file, server or directory.
    pub message: String,
}

/// What preflight checked and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// Problems; empty means go.
    pub problems: Vec<Problem>,
    /// The credential check's result, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialCheck>,
    /// Free bytes in the staging directory, when checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging_available: Option<u64>,
}

impl PreflightReport {
    /// No problems.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What to check.
pub struct PreflightInput<'a> {
    /// The servers that will be stopped (`None` with `--no-stop`).
    pub topology: Option<&'a Topology>,
    /// WebSphere credentials and control options (for the credential check).
    pub credentials: &'a WasCredentials,
    /// Control options.
    pub control: &'a ControlOptions,
    /// The database tool (`None` when no database is backed up).
    pub database_tool: Option<&'a dyn DatabaseTool>,
    /// The staging directory and the bytes the caller expects the images to take.
    pub staging: Option<(&'a Path, u64)>,
}

/// Runs every check and collects the problems.
pub fn preflight(input: &PreflightInput<'_>) -> PreflightReport {
    let mut report = PreflightReport::default();
    if let Some(topology) = input.topology {
        report.problems.extend(check_scripts(topology));
        let check = check_credentials(topology, input.credentials, input.control);
        if let CredentialCheck::Refused { server, detail } = &check {
            report.problems.push(Problem {
                check: "websphere_credentials",
                message: format!(
                    "wrong WebSphere credentials: {server} refused them ({detail}); check \
                     websphere.username and the password"
                ),
            });
        }
        report.credentials = Some(check);
    }
    if let Some(tool) = input.database_tool {
        report
            .problems
            .extend(tool.preflight().into_iter().map(|message| Problem {
                check: "database_tool",
                message,
            }));
    }
    if let Some((dir, needed)) = input.staging {
        match check_free_space(dir, needed) {
            Ok(c) => report.staging_available = Some(c.available),
            Err(e) => report.problems.push(Problem {
                check: "staging_space",
                message: e.to_string(),
            }),
        }
    }
    report
}

/// Every stop and start script the topology needs, present and executable.
pub fn check_scripts(topology: &Topology) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (profile, server) in topology.servers() {
        let Some((stop, start)) = server.kind.scripts() else {
            continue;
        };
        for tool in [stop, start] {
            let p = profile.path.join("bin").join(format!("{tool}.sh"));
            if !process::is_executable(&p) {
                let message = format!(
                    "{} (needed for {} on profile {}) is missing or not executable",
                    p.display(),
                    server.name,
                    profile.name
                );
                if !problems.iter().any(|x: &Problem| x.message == message) {
                    problems.push(Problem {
                        check: "websphere_scripts",
                        message,
                    });
                }
            }
        }
    }
    problems
}
