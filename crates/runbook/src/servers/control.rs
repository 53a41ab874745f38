//! Stopping and starting servers through the profiles' scripts, with verification,
//! bounded retries and (only when allowed) killing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use secret::Secret;
use serde::Serialize;

use super::admu::{admu_codes, classify, Verdict};
use super::state::{server_state, ServerState, StoppedHow};
use super::topology::{ControlProfile, ControlServer, ControlTopology, ServerKind};
use crate::process::{self, CommandSpec};

/// The WebSphere administrator's credentials for the control scripts.
///
/// With no user name, no `-username`/`-password` is passed and the scripts use the
/// profile's `soap.client.props`/`ipc.client.props` (the hardened-host setup).
#[derive(Clone, Default)]
pub struct WasCredentials {
    /// `websphere.username`.
    pub username: Option<String>,
    /// The password (from `websphere.password_file` or `CNXBACKUP_WAS_PASSWORD`).
    pub password: Option<Secret>,
}

impl fmt::Debug for WasCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WasCredentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

impl WasCredentials {
    /// No credentials: the scripts read the profile's client properties.
    pub fn none() -> WasCredentials {
        WasCredentials::default()
    }

    /// A user name and password.
    pub fn new(username: impl Into<String>, password: Secret) -> WasCredentials {
        WasCredentials {
            username: Some(username.into()),
            password: Some(password),
        }
    }

    /// Adds the credentials to a script run for the profile at `profile` (a path on this
    /// machine) — only when its client properties do not hold them: a password on the
    /// command line is readable by every local user (`/proc/<pid>/cmdline`) while the script
    /// runs, so the vendor's way without arguments wins (see [`super::client_props`]).
    pub(crate) fn apply(&self, mut spec: CommandSpec, profile: &Path) -> CommandSpec {
        if super::client_props::holds_credentials(profile) {
            return spec;
        }
        if let Some(user) = &self.username {
            spec = spec.arg("-username").arg(user);
            if let Some(pw) = &self.password {
                tracing::debug!(
                    profile = %profile.display(),
                    "passing the WebSphere password on the command line (other local users \
                     can read it while the script runs); `cnxbackup was-credentials` stores \
                     it in the profile's client properties instead"
                );
                spec = spec.arg("-password").secret_arg(pw);
            }
        }
        spec
    }

    /// Whether running scripts for the profile at `profile` would put the password on their
    /// command line (a password is configured and the client properties do not hold one).
    pub fn password_on_argv(&self, profile: &Path) -> bool {
        self.username.is_some()
            && self.password.is_some()
            && !super::client_props::holds_credentials(profile)
    }
}

/// Which OS user runs the control scripts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RunAs {
    /// The owner of the profile directory (a non-root install must not get files owned by
    /// root in its logs); no switch when that is us.
    #[default]
    ProfileOwner,
    /// Whoever runs cnxbackup.
    Current,
    /// This user.
    User(String),
}

/// How servers are stopped and started.
#[derive(Debug, Clone)]
pub struct ControlOptions {
    /// Per server and attempt: passed to the script as `-timeout` and, with a margin,
    /// enforced on the script itself (`websphere.stop_timeout_secs`).
    pub timeout: Duration,
    /// Attempts per server before giving up.
    pub attempts: u32,
    /// Pause between attempts.
    pub retry_pause: Duration,
    /// How long the PID file and process table may take to agree after a script reported
    /// success.
    pub verify_wait: Duration,
    /// Kill (SIGTERM, then SIGKILL) the verified process of a server that does not stop
    /// (`websphere.force_kill`).
    pub force_kill: bool,
    /// How long to wait after SIGTERM before SIGKILL.
    pub kill_grace: Duration,
    /// Which user runs the scripts.
    pub run_as: RunAs,
}

impl Default for ControlOptions {
    fn default() -> Self {
        ControlOptions::new(600, false)
    }
}

impl ControlOptions {
    /// The options for `websphere.stop_timeout_secs` and `websphere.force_kill`, with 3
    /// attempts 10 s apart.
    pub fn new(stop_timeout_secs: u64, force_kill: bool) -> ControlOptions {
        ControlOptions {
            timeout: Duration::from_secs(stop_timeout_secs.max(1)),
            attempts: 3,
            retry_pause: Duration::from_secs(10),
            verify_wait: Duration::from_secs(60),
            force_kill,
            kill_grace: Duration::from_secs(30),
            run_as: RunAs::ProfileOwner,
        }
    }
}

/// Stop or start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Stopping.
    Stop,
    /// Starting.
    Start,
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum Outcome {
    /// Stopped by its script, verified.
    Stopped,
    /// Was not running (no PID file, a stale one, or a reused PID).
    AlreadyStopped {
        /// Why it counts as stopped.
        why: String,
    },
    /// Did not stop through its script and was killed (`force_kill`).
    Killed {
        /// The signal that ended it (`SIGTERM` or `SIGKILL`).
        signal: String,
        /// The process killed.
        pid: u32,
    },
    /// Started by its script, verified.
    Started,
    /// Was already running.
    AlreadyRunning,
    /// Not a JVM this tool stops or starts (web server, other types).
    Skipped {
        /// Why.
        reason: String,
    },
    /// Could not be stopped or started.
    Failed {
        /// What went wrong, with the script's last words.
        reason: String,
    },
}

/// One server's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerOutcome {
    /// Profile name.
    pub profile: String,
    /// Node name.
    pub node: String,
    /// Server name.
    pub server: String,
    /// Server type.
    pub kind: ServerKind,
    /// Cluster, if a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// What happened.
    pub outcome: Outcome,
    /// Script runs.
    pub attempts: u32,
    /// The verified PID it had (when it was running).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Message ids the scripts printed (`ADMU4000I`, ...).
    pub messages: Vec<String>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl ServerOutcome {
    /// Whether this server ended as wanted (stopped/started, or skipped as not managed).
    pub fn ok(&self) -> bool {
        !matches!(self.outcome, Outcome::Failed { .. })
    }
}

/// The result of [`stop_all`] or [`start_all`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlReport {
    /// What was done.
    pub operation: Operation,
    /// Servers in the order they were handled.
    pub servers: Vec<ServerOutcome>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
}

impl ControlReport {
    /// True when no server failed.
    pub fn ok(&self) -> bool {
        self.servers.iter().all(ServerOutcome::ok)
    }

    /// The servers that failed.
    pub fn failed(&self) -> Vec<&ServerOutcome> {
        self.servers.iter().filter(|s| !s.ok()).collect()
    }

    /// The servers that had to be killed.
    pub fn killed(&self) -> Vec<&ServerOutcome> {
        self.servers
            .iter()
            .filter(|s| matches!(s.outcome, Outcome::Killed { .. }))
            .collect()
    }
}

/// The result of [`stop_all`].
pub type StopReport = ControlReport;

/// The result of [`start_all`].
pub type StartReport = ControlReport;

/// Errors that end a stop or start run.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The scripts refused the credentials. Not retried: retries would only lock the
    /// account.
    #[error(
        "wrong WebSphere credentials: {script} for server {server} (profile {profile}) was \
         denied: {detail}. Check websphere.username and the password (websphere.password_file \
         or CNXBACKUP_WAS_PASSWORD)"
    )]
    WrongCredentials {
        /// The server being stopped or started.
        server: String,
        /// Its profile.
        profile: String,
        /// The script.
        script: String,
        /// The script's message.
        detail: String,
        /// What had been done before (servers handled so far).
        report: Box<ControlReport>,
    },
}

/// Stops every managed server of `topology`: application servers, then node agents, then
/// the deployment manager. Each stop is verified; see the module documentation. Returns the
/// report (check [`ControlReport::ok`]) or, when the credentials are refused, an error.
pub fn stop_all(
    topology: &ControlTopology,
    creds: &WasCredentials,
    opts: &ControlOptions,
) -> Result<StopReport, ServerError> {
    run_all(topology, creds, opts, Operation::Stop)
}

/// Starts every managed server of `topology`: the deployment manager, then node agents,
/// then application servers, each verified running through its PID file.
pub fn start_all(
    topology: &ControlTopology,
    creds: &WasCredentials,
    opts: &ControlOptions,
) -> Result<StartReport, ServerError> {
    run_all(topology, creds, opts, Operation::Start)
}

fn order_rank(kind: ServerKind, op: Operation) -> u8 {
    let stop_rank = match kind {
        ServerKind::ApplicationServer => 0,
        ServerKind::NodeAgent => 1,
        ServerKind::DeploymentManager => 2,
        ServerKind::WebServer | ServerKind::Other => 3,
    };
    match op {
        Operation::Stop => stop_rank,
        Operation::Start if stop_rank < 3 => 2 - stop_rank,
        Operation::Start => 3,
    }
}

fn run_all(
    topology: &ControlTopology,
    creds: &WasCredentials,
    opts: &ControlOptions,
    op: Operation,
) -> Result<ControlReport, ServerError> {
    let started = Instant::now();
    let mut items: Vec<(&ControlProfile, &ControlServer)> = topology.servers().collect();
    // Stable: within a rank, discovery order.
    items.sort_by_key(|(_, s)| order_rank(s.kind, op));
    let mut report = ControlReport {
        operation: op,
        servers: Vec::new(),
        duration_ms: 0,
    };
    for (profile, server) in items {
        let result = if server.kind.is_managed() {
            let mut job = Job::new(profile, server, creds, opts);
            match op {
                Operation::Stop => job.stop(),
                Operation::Start => job.start(),
            }
        } else {
            Ok(finish(
                profile,
                server,
                Instant::now(),
                Outcome::Skipped {
                    reason: match server.kind {
                        ServerKind::WebServer => "web server definition, not a JVM".to_owned(),
                        _ => "server type not stopped or started by cnxbackup".to_owned(),
                    },
                },
                0,
                None,
                Vec::new(),
            ))
        };
        match result {
            Ok(outcome) => {
                tracing::info!(
                    server = %outcome.server,
                    profile = %outcome.profile,
                    outcome = ?outcome.outcome,
                    attempts = outcome.attempts,
                    "{op:?} finished"
                );
                report.servers.push(outcome);
            }
            Err(JobError::WrongCredentials {
                script,
                detail,
                outcome,
            }) => {
                report.servers.push(*outcome);
                report.duration_ms = crate::clock::millis(started);
                return Err(ServerError::WrongCredentials {
                    server: server.name.clone(),
                    profile: profile.name.clone(),
                    script,
                    detail,
                    report: Box::new(report),
                });
            }
        }
    }
    report.duration_ms = crate::clock::millis(started);
    Ok(report)
}

fn finish(
    profile: &ControlProfile,
    server: &ControlServer,
    started: Instant,
    outcome: Outcome,
    attempts: u32,
    pid: Option<u32>,
    messages: Vec<String>,
) -> ServerOutcome {
    ServerOutcome {
        profile: profile.name.clone(),
        node: server.node.clone(),
        server: server.name.clone(),
        kind: server.kind,
        cluster: server.cluster.clone(),
        outcome,
        attempts,
        pid,
        messages,
        duration_ms: crate::clock::millis(started),
    }
}

enum JobError {
    WrongCredentials {
        script: String,
        detail: String,
        outcome: Box<ServerOutcome>,
    },
}

/// One server being stopped or started.
struct Job<'a> {
    profile: &'a ControlProfile,
    server: &'a ControlServer,
    creds: &'a WasCredentials,
    opts: &'a ControlOptions,
    started: Instant,
    attempts: u32,
    pid: Option<u32>,
    messages: Vec<String>,
}

impl<'a> Job<'a> {
    fn new(
        profile: &'a ControlProfile,
        server: &'a ControlServer,
        creds: &'a WasCredentials,
        opts: &'a ControlOptions,
    ) -> Job<'a> {
        Job {
            profile,
            server,
            creds,
            opts,
            started: Instant::now(),
            attempts: 0,
            pid: None,
            messages: Vec::new(),
        }
    }

    fn done(&mut self, outcome: Outcome) -> ServerOutcome {
        finish(
            self.profile,
            self.server,
            self.started,
            outcome,
            self.attempts,
            self.pid,
            std::mem::take(&mut self.messages),
        )
    }

    fn state(&self) -> ServerState {
        server_state(self.profile, self.server)
    }

    fn script_path(&self, tool: &str) -> PathBuf {
        self.profile.path.join("bin").join(format!("{tool}.sh"))
    }

    /// Runs a control script once; `Err` only for refused credentials.
    fn run_script(&mut self, tool: &str) -> Result<Option<process::Output>, JobError> {
        let script = self.script_path(tool);
        let mut spec = CommandSpec::new(&script);
        if self.server.kind == ServerKind::ApplicationServer {
            spec = spec.arg(&self.server.name);
        }
        spec = self.creds.apply(spec, &self.profile.path);
        let secs = self.opts.timeout.as_secs().max(1);
        spec = spec
            .arg("-timeout")
            .arg(secs.to_string())
            .current_dir(&self.profile.path)
            // The script's own -timeout should fire first; this margin only catches a
            // script that hangs outright.
            .timeout(self.opts.timeout + Duration::from_secs(60))
            .run_as(run_as_user(&self.opts.run_as, &self.profile.path).as_deref());
        self.attempts += 1;
        tracing::info!(command = %spec.display(), attempt = self.attempts, "running control script");
        let out = match process::run(&spec) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "control script could not run");
                return Ok(None);
            }
        };
        let text = out.combined();
        for c in admu_codes(&text) {
            if !self.messages.contains(&c) {
                self.messages.push(c);
            }
        }
        if classify(&text) == Verdict::WrongCredentials {
            let detail = credential_line(&text);
            let script = format!("{tool}.sh");
            let outcome = Box::new(self.done(Outcome::Failed {
                reason: format!("wrong WebSphere credentials: {detail}"),
            }));
            return Err(JobError::WrongCredentials {
                script,
                detail,
                outcome,
            });
        }
        Ok(Some(out))
    }

    fn stop(&mut self) -> Result<ServerOutcome, JobError> {
        let Some((tool, _)) = self.server.kind.scripts() else {
            return Ok(self.done(Outcome::Skipped {
                reason: "not a managed server".into(),
            }));
        };
        // With an unreadable PID file the process table cannot be asked: the script's own
        // verdict decides instead.
        let pid_unknown = match self.state() {
            ServerState::Stopped(StoppedHow::UnreadablePidFile { .. }) => true,
            ServerState::Stopped(how) => {
                return Ok(self.done(Outcome::AlreadyStopped {
                    why: stopped_text(&how),
                }))
            }
            ServerState::Running { pid } => {
                self.pid = Some(pid);
                false
            }
        };
        if !process::is_executable(&self.script_path(tool)) {
            return Ok(self.done(Outcome::Failed {
                reason: format!(
                    "{} is missing or not executable",
                    self.script_path(tool).display()
                ),
            }));
        }
        let mut last = String::new();
        for attempt in 1..=self.opts.attempts.max(1) {
            let out = self.run_script(tool)?;
            let verdict = out
                .as_ref()
                .map(|o| classify(&o.combined()))
                .unwrap_or(Verdict::Unknown);
            // A script that says it is done gets the full verification window; otherwise
            // only a short look (the server may have gone just after the script gave up).
            let window = match (verdict, &out) {
                (Verdict::StopCompleted | Verdict::NotReachable, _) => self.opts.verify_wait,
                (_, Some(o)) if o.success() => self.opts.verify_wait,
                _ => self.opts.verify_wait.min(Duration::from_secs(5)),
            };
            let stopped = if pid_unknown {
                matches!(verdict, Verdict::StopCompleted | Verdict::NotReachable)
            } else {
                self.wait_stopped(window)
            };
            if stopped {
                return Ok(self.done(Outcome::Stopped));
            }
            last = match &out {
                Some(o) => format!("{}: {}", o.status_text(), o.tail(3)),
                None => format!("{tool}.sh could not be run"),
            };
            if attempt < self.opts.attempts {
                tracing::warn!(server = %self.server.name, attempt, %last, "server still running; retrying");
                thread::sleep(self.opts.retry_pause);
            }
        }
        let attempts = self.attempts;
        if pid_unknown {
            return Ok(self.done(Outcome::Failed {
                reason: format!(
                    "its PID file cannot be read and {tool}.sh did not confirm the stop after \
                     {attempts} attempt(s); last: {last}"
                ),
            }));
        }
        if !self.opts.force_kill {
            let pid = self.pid.unwrap_or_default();
            return Ok(self.done(Outcome::Failed {
                reason: format!(
                    "still running (pid {pid}) after {attempts} attempt(s) of {tool}.sh; last: \
                     {last}. Stop it by hand, or set websphere.force_kill = true to let \
                     cnxbackup kill it"
                ),
            }));
        }
        Ok(self.kill(&last))
    }

    /// SIGTERM, then SIGKILL, of the verified PID (re-verified before each signal).
    fn kill(&mut self, last: &str) -> ServerOutcome {
        use nix::sys::signal::{kill, Signal};
        for (signal, name, wait) in [
            (Signal::SIGTERM, "SIGTERM", self.opts.kill_grace),
            (Signal::SIGKILL, "SIGKILL", Duration::from_secs(10)),
        ] {
            let ServerState::Running { pid } = self.state() else {
                // Went away on its own meanwhile.
                return self.done(Outcome::Stopped);
            };
            self.pid = Some(pid);
            tracing::warn!(server = %self.server.name, pid, signal = name, "force_kill: killing server process");
            let Ok(raw) = i32::try_from(pid) else { break };
            if let Err(e) = kill(nix::unistd::Pid::from_raw(raw), signal) {
                tracing::warn!(pid, error = %e, "kill failed");
            }
            if self.wait_stopped(wait) {
                return self.done(Outcome::Killed {
                    signal: name.to_owned(),
                    pid,
                });
            }
        }
        let pid = self.pid.unwrap_or_default();
        self.done(Outcome::Failed {
            reason: format!(
                "still running (pid {pid}) even after SIGKILL; last script result: {last}"
            ),
        })
    }

    fn start(&mut self) -> Result<ServerOutcome, JobError> {
        let Some((_, tool)) = self.server.kind.scripts() else {
            return Ok(self.done(Outcome::Skipped {
                reason: "not a managed server".into(),
            }));
        };
        if let ServerState::Running { pid } = self.state() {
            self.pid = Some(pid);
            return Ok(self.done(Outcome::AlreadyRunning));
        }
        if !process::is_executable(&self.script_path(tool)) {
            return Ok(self.done(Outcome::Failed {
                reason: format!(
                    "{} is missing or not executable",
                    self.script_path(tool).display()
                ),
            }));
        }
        let mut last = String::new();
        for attempt in 1..=self.opts.attempts.max(1) {
            let out = self.run_script(tool)?;
            let verdict = out
                .as_ref()
                .map(|o| classify(&o.combined()))
                .unwrap_or(Verdict::Unknown);
            let window = match verdict {
                Verdict::Started | Verdict::AlreadyRunning => self.opts.verify_wait,
                _ => self.opts.verify_wait.min(Duration::from_secs(5)),
            };
            if let Some(pid) = self.wait_running(window) {
                self.pid = Some(pid);
                return Ok(self.done(Outcome::Started));
            }
            last = match &out {
                Some(o) => format!("{}: {}", o.status_text(), o.tail(3)),
                None => format!("{tool}.sh could not be run"),
            };
            if attempt < self.opts.attempts {
                tracing::warn!(server = %self.server.name, attempt, %last, "server not running after start; retrying");
                thread::sleep(self.opts.retry_pause);
            }
        }
        let attempts = self.attempts;
        Ok(self.done(Outcome::Failed {
            reason: format!("not running after {attempts} attempt(s) of {tool}.sh; last: {last}"),
        }))
    }

    fn wait_stopped(&self, window: Duration) -> bool {
        let deadline = Instant::now() + window;
        loop {
            if self.state().running_pid().is_none() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_running(&self, window: Duration) -> Option<u32> {
        let deadline = Instant::now() + window;
        loop {
            if let Some(pid) = self.state().running_pid() {
                return Some(pid);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }
}

fn stopped_text(how: &StoppedHow) -> String {
    use StoppedHow::*;
    match how {
        NoPidFile => "no PID file".to_owned(),
        StalePidFile { pid } => format!("stale PID file (process {pid} is gone)"),
        PidReused { pid } => format!("PID file names process {pid}, which is not this server"),
        UnreadablePidFile { problem } => format!("PID file unreadable: {problem}"),
    }
}

/// The most telling line of a credentials failure.
pub(crate) fn credential_line(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for marker in [
        "ADMN0022E",
        "LoginException",
        "SECJ",
        "WASX7246E",
        "ADMU4113E",
    ] {
        if let Some(l) = lines.iter().find(|l| l.contains(marker)) {
            return (*l).to_owned();
        }
    }
    lines
        .iter()
        .rev()
        .find(|l| !l.is_empty())
        .map(|l| (*l).to_owned())
        .unwrap_or_default()
}

/// The user to run a profile's scripts as, or `None` for "as we are".
pub(crate) fn run_as_user(run_as: &RunAs, profile: &Path) -> Option<String> {
    match run_as {
        RunAs::Current => None,
        RunAs::User(u) => Some(u.clone()),
        RunAs::ProfileOwner => {
            use std::os::unix::fs::MetadataExt as _;
            let uid = std::fs::metadata(profile).ok()?.uid();
            if uid == nix::unistd::geteuid().as_raw() {
                return None;
            }
            match nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)) {
                Ok(Some(u)) => Some(u.name),
                _ => {
                    tracing::warn!(profile = %profile.display(), uid, "profile owner has no user name; running the scripts as ourselves");
                    None
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_and_start_orders() {
        use ServerKind::*;
        let stop: Vec<u8> = [ApplicationServer, NodeAgent, DeploymentManager]
            .iter()
            .map(|k| order_rank(*k, Operation::Stop))
            .collect();
        assert_eq!(stop, [0, 1, 2]);
        let start: Vec<u8> = [DeploymentManager, NodeAgent, ApplicationServer]
            .iter()
            .map(|k| order_rank(*k, Operation::Start))
            .collect();
        assert_eq!(start, [0, 1, 2]);
    }

    #[test]
    fn credentials_debug_hides_the_password() {
        let c = WasCredentials::new("wasadmin", Secret::new("pw-123"));
        assert!(!format!("{c:?}").contains("pw-123"));
        let profile = tempfile::tempdir().unwrap();
        let spec = c.apply(CommandSpec::new("/x/stopServer.sh"), profile.path());
        assert_eq!(
            spec.display(),
            "/x/stopServer.sh -username wasadmin -password ***"
        );
        assert!(c.password_on_argv(profile.path()));
        let none =
            WasCredentials::none().apply(CommandSpec::new("/x/stopServer.sh"), profile.path());
        assert_eq!(none.display(), "/x/stopServer.sh");
    }

    /// Issue 21 case 3: with the credentials in the profile's client properties, the
    /// password is never on a script's command line.
    #[test]
    fn credentials_in_the_client_properties_keep_the_password_off_argv() {
        let c = WasCredentials::new("wasadmin", Secret::new("pw-123"));
        let profile = tempfile::tempdir().unwrap();
        super::super::client_props::store_credentials(
            profile.path(),
            "wasadmin",
            &Secret::new("pw-123"),
        )
        .unwrap();
        let spec = c.apply(CommandSpec::new("/x/stopServer.sh"), profile.path());
        assert_eq!(spec.display(), "/x/stopServer.sh");
        assert!(!c.password_on_argv(profile.path()));
    }

    #[test]
    fn credential_line_prefers_the_denial() {
        let t = "ADMU0111E: Program exiting with error:\n  ADMN0022E: Access is denied for the stop operation\nADMU4113E: Verify";
        assert_eq!(
            credential_line(t),
            "ADMN0022E: Access is denied for the stop operation"
        );
    }
}
