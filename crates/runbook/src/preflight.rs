//! Preflight for the parts that run external programs: before anything is stopped or
//! written, the WebSphere scripts exist and are executable, the credentials work (when a
//! server can be asked; one attempt), and the database side is proven the way it will be
//! used after the stop: the `run_as` user exists, the vendor tool is executable and
//! *answers* a cheap call that names every database of the plan, and the staging directory
//! can be created and written as that user, on a file system with room for the images.
//! Every problem is collected; nothing that stays is changed.
//!
//! The repository and the plan's paths are checked by their owners
//! (`backup::backup_preflight`); the caller merges the lists.

use std::path::Path;

use serde::Serialize;

use crate::databases::{check_staging, os_user, DatabaseTarget, DatabaseTool, Probe, Vendor};
use crate::process;
use crate::servers::{
    check_credentials, ControlOptions, ControlTopology, CredentialCheck, WasCredentials,
};

/// One preflight problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The check (`websphere_scripts`, `websphere_credentials`, `database_tool`,
    /// `database_run_as`, `database_unknown`, `staging_dir`, `staging_space`, `repository`,
    /// `repository_space`, `plan_paths`, `servers_running`).
    pub check: &'static str,
    /// What is wrong, naming the file, server, database or directory, and what to do.
    pub message: String,
}

impl Problem {
    fn new(check: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            check,
            message: message.into(),
        }
    }
}

/// How many bytes something will take, and what the figure is based on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    /// Bytes.
    pub bytes: u64,
    /// What the estimate is based on, in words.
    pub basis: String,
}

/// What preflight checked and found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PreflightReport {
    /// Problems; empty means go.
    pub problems: Vec<Problem>,
    /// The credential check's result, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialCheck>,
    /// What the database tool answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    /// Free bytes in the staging directory, when checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging_available: Option<u64>,
    /// The room the database images are expected to need in the staging directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staging_estimate: Option<Estimate>,
    /// Not blocking, but the administrator must know (the backup prints them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Problem>,
}

impl PreflightReport {
    /// No problems.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The database side of a backup.
pub struct DatabaseInput<'a> {
    /// The vendor tool.
    pub tool: &'a dyn DatabaseTool,
    /// `database.run_as`.
    pub run_as: Option<&'a str>,
    /// Every database the plan backs up.
    pub targets: &'a [DatabaseTarget],
    /// The staging directory (checked only for tools that stage images).
    pub staging: &'a Path,
    /// Bytes the last backup's images of this host took, when there was one.
    pub previous_images: Option<u64>,
    /// Bytes of the plan's files (the fallback for an estimate the tool cannot give).
    pub plan_file_bytes: Option<u64>,
}

/// What to check.
pub struct PreflightInput<'a> {
    /// The servers that will be stopped (`None` with `--no-stop`).
    pub topology: Option<&'a ControlTopology>,
    /// WebSphere credentials and control options (for the credential check).
    pub credentials: &'a WasCredentials,
    /// Control options.
    pub control: &'a ControlOptions,
    /// The database side (`None` when no database is backed up).
    pub database: Option<DatabaseInput<'a>>,
}

/// Runs every check and collects the problems.
pub fn preflight(input: &PreflightInput<'_>) -> PreflightReport {
    let mut report = PreflightReport::default();
    if let Some(topology) = input.topology {
        report.problems.extend(check_scripts(topology));
        let check = check_credentials(topology, input.credentials, input.control);
        if let CredentialCheck::Refused { server, detail } = &check {
            report.problems.push(Problem::new(
                "websphere_credentials",
                format!(
                    "wrong WebSphere credentials: {server} refused them ({detail}); check \
                     websphere.username and the password"
                ),
            ));
        }
        report.credentials = Some(check);
        report
            .warnings
            .extend(password_on_argv(topology, input.credentials));
    }
    if let Some(db) = &input.database {
        check_database(db, &mut report);
    }
    report
}

/// The database side: the user, the tool, what it knows, the staging directory and room.
fn check_database(db: &DatabaseInput<'_>, report: &mut PreflightReport) {
    if let Some(user) = db.run_as {
        if let Err(e) = os_user(user) {
            // Every later step runs as that user: nothing more can be checked.
            report
                .problems
                .push(Problem::new("database_run_as", e.to_string()));
            return;
        }
    }
    let missing: Vec<String> = db.tool.preflight();
    let tool_missing = !missing.is_empty();
    report.problems.extend(
        missing
            .into_iter()
            .map(|m| Problem::new("database_tool", m)),
    );
    if !tool_missing {
        match db.tool.probe(db.targets) {
            Ok(probe) => {
                let unknown = probe.unknown();
                if !unknown.is_empty() {
                    report.problems.push(Problem::new(
                        "database_unknown",
                        format!(
                            "the {} tool does not know {} ({}); check the datasources and \
                             database.command (the instance), or catalog the database",
                            db.tool.vendor(),
                            unknown.join(", "),
                            probe.command
                        ),
                    ));
                }
                report.probe = Some(probe);
            }
            Err(e) => report.problems.push(Problem::new(
                "database_tool",
                format!(
                    "the database tool does not answer: {e}; fix the tool's setup (instance \
                     started, login, database.run_as) before the backup"
                ),
            )),
        }
    }
    if db.tool.vendor() != Vendor::Command {
        check_staging_room(db, report);
    }
}

/// The staging directory: usable as the tool's user, with room for the estimate.
fn check_staging_room(db: &DatabaseInput<'_>, report: &mut PreflightReport) {
    let available = match check_staging(db.staging, db.run_as) {
        Ok(a) => a,
        Err(e) => {
            report
                .problems
                .push(Problem::new("staging_dir", e.to_string()));
            return;
        }
    };
    report.staging_available = Some(available);
    let estimate = staging_estimate(db, report.probe.as_ref());
    if available < estimate.bytes {
        report.problems.push(Problem::new(
            "staging_space",
            format!(
                "not enough free space in {}: {} available, about {} needed ({}); free space \
                 or set database.staging_dir to a larger file system",
                db.staging.display(),
                human_bytes(available),
                human_bytes(estimate.bytes),
                estimate.basis
            ),
        ));
    }
    report.staging_estimate = Some(estimate);
}

/// Room the images will need: the last backup's images + 10 %; on a first backup what the
/// database tool reports; where it reports nothing, a quarter of the plan's files.
pub fn staging_estimate(db: &DatabaseInput<'_>, probe: Option<&Probe>) -> Estimate {
    if let Some(prev) = db.previous_images.filter(|b| *b > 0) {
        return Estimate {
            bytes: prev + prev / 10,
            basis: format!(
                "the last backup's database images ({}) + 10 %",
                human_bytes(prev)
            ),
        };
    }
    if let Some((total, basis)) = probe.and_then(|p| p.total_bytes().zip(p.size_basis.clone())) {
        return Estimate {
            bytes: total,
            basis: format!(
                "first backup: {basis}, uncompressed (compressed images are usually smaller)"
            ),
        };
    }
    let files = db.plan_file_bytes.unwrap_or(0);
    Estimate {
        bytes: files / 4,
        basis: format!(
            "first backup and the database tool reports no sizes: 25 % of the plan's files \
             ({}), a margin for databases of unknown size",
            human_bytes(files)
        ),
    }
}

/// `1.5 GiB`-style sizes for messages.
pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The profiles whose scripts would get the WebSphere password on their command line
/// (readable by every local user while they run): one warning each, which the backup
/// prints with its preflight.
pub fn password_on_argv(topology: &ControlTopology, creds: &WasCredentials) -> Vec<Problem> {
    let mut out = Vec::new();
    for profile in &topology.profiles {
        if creds.password_on_argv(&profile.path) {
            let message = format!(
                "the WebSphere password will be passed on the command line of the scripts of \
                 profile {} ({}): any local user can read it in /proc/<pid>/cmdline while a \
                 server stops; run `cnxbackup was-credentials` to keep it in the profile's \
                 ipc.client.props/soap.client.props instead (docs/RUNBOOK.md)",
                profile.name,
                profile.path.display()
            );
            out.push(Problem {
                check: "websphere_password_on_argv",
                message,
            });
        }
    }
    out
}

/// Every stop and start script the topology needs, present and executable.
pub fn check_scripts(topology: &ControlTopology) -> Vec<Problem> {
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
                    problems.push(Problem::new("websphere_scripts", message));
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }
}
