//! Running external programs: WebSphere control scripts and vendor database tools.
//!
//! Every program runs in its own process group with a timeout (on expiry the whole group is
//! killed, so a script's children die with it), optionally as another OS user (`runuser`,
//! only when we are root), with stdout and stderr captured up to a bound. Secrets travel as
//! [`Arg::Secret`] arguments (only where the vendor interface demands it), environment
//! variables or stdin, and every command line we show in a log or an error has them replaced
//! by `***`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt as _;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use secret::Secret;

mod transcript;
pub use transcript::Transcript;

/// What a secret argument looks like in every displayed command line.
pub const MASK: &str = "***";

/// Default bound on captured stdout and stderr, each (head and tail are kept).
pub const DEFAULT_CAPTURE_LIMIT: usize = 256 * 1024;

/// How long to wait for a finished program's output pipes to close. A program that leaves
/// a daemon behind holding the pipes (a start script) must not hang us.
const PIPE_GRACE: Duration = Duration::from_secs(2);

/// How often a running program is polled for exit.
const POLL: Duration = Duration::from_millis(20);

/// One command-line argument.
#[derive(Clone)]
pub enum Arg {
    /// Shown as is.
    Plain(OsString),
    /// Passed to the program, shown as `***`.
    Secret(Secret),
}

impl fmt::Debug for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Plain(s) => write!(f, "{s:?}"),
            Arg::Secret(_) => f.write_str(MASK),
        }
    }
}

/// What the program reads on stdin.
#[derive(Clone, Default)]
enum Stdin {
    /// `/dev/null`.
    #[default]
    Null,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// A secret, then end of file (for tools that prompt for a password).
    Secret(Secret),
}

/// A program to run, built up like `std::process::Command` but with secrets that stay
/// hidden, a timeout and an optional OS user.
#[derive(Clone)]
pub struct CommandSpec {
    program: PathBuf,
    args: Vec<Arg>,
    env: Vec<(OsString, Arg)>,
    removed_env: Vec<OsString>,
    cwd: Option<PathBuf>,
    run_as: Option<String>,
    timeout: Option<Duration>,
    stdin: Stdin,
    capture_limit: usize,
}

impl fmt::Debug for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl CommandSpec {
    /// A program with no arguments, no timeout, stdin from `/dev/null`.
    pub fn new(program: impl Into<PathBuf>) -> CommandSpec {
        CommandSpec {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            removed_env: Vec::new(),
            cwd: None,
            run_as: None,
            timeout: None,
            stdin: Stdin::Null,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
        }
    }

    /// Adds a plain argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(Arg::Plain(a.as_ref().to_os_string()));
        self
    }

    /// Adds plain arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for a in args {
            self.args.push(Arg::Plain(a.as_ref().to_os_string()));
        }
        self
    }

    /// Adds a secret argument (displayed as `***`).
    pub fn secret_arg(mut self, s: &Secret) -> Self {
        self.args.push(Arg::Secret(s.clone()));
        self
    }

    /// Sets an environment variable (shown in [`CommandSpec::display_env`]).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env.push((
            key.as_ref().to_os_string(),
            Arg::Plain(value.as_ref().to_os_string()),
        ));
        self
    }

    /// Sets an environment variable holding a secret (never shown).
    pub fn secret_env(mut self, key: impl AsRef<OsStr>, value: &Secret) -> Self {
        self.env
            .push((key.as_ref().to_os_string(), Arg::Secret(value.clone())));
        self
    }

    /// Does not pass this variable of our own environment on (cnxbackup's own secrets are
    /// not for the administrator's commands).
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.removed_env.push(key.as_ref().to_os_string());
        self
    }

    /// Runs the program in `dir`.
    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }

    /// Runs the program as this OS user (through `runuser`; needs root).
    pub fn run_as(mut self, user: Option<&str>) -> Self {
        self.run_as = user.map(str::to_owned);
        self
    }

    /// Kills the program's process group after `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Feeds these bytes on stdin.
    pub fn stdin_bytes(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Stdin::Bytes(bytes.into());
        self
    }

    /// Feeds a secret (and a newline) on stdin.
    pub fn stdin_secret(mut self, s: &Secret) -> Self {
        self.stdin = Stdin::Secret(s.clone());
        self
    }

    /// Bounds each of the captured stdout and stderr to `bytes`.
    pub fn capture_limit(mut self, bytes: usize) -> Self {
        self.capture_limit = bytes.max(64);
        self
    }

    /// The program.
    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The configured timeout.
    pub fn get_timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The command line as it may be shown: shell-quoted where needed, secrets as `***`,
    /// prefixed with `runuser -u USER --` when it runs as another user.
    pub fn display(&self) -> String {
        let mut parts = Vec::new();
        if let Some(user) = &self.run_as {
            parts.push(format!("runuser -u {} --", quote(OsStr::new(user))));
        }
        parts.push(quote(self.program.as_os_str()));
        for a in &self.args {
            parts.push(match a {
                Arg::Plain(s) => quote(s),
                Arg::Secret(_) => MASK.to_owned(),
            });
        }
        parts.join(" ")
    }

    /// The environment variables set for the program, secrets as `***`.
    pub fn display_env(&self) -> String {
        self.env
            .iter()
            .map(|(k, v)| match v {
                Arg::Plain(s) => format!("{}={}", k.to_string_lossy(), quote(s)),
                Arg::Secret(_) => format!("{}={MASK}", k.to_string_lossy()),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Builds the `std` command: `runuser` in front when needed, own process group.
    fn build(&self) -> Result<Command, ProcessError> {
        let mut cmd = match &self.run_as {
            Some(user) if !is_current_user(user) => {
                if !nix::unistd::geteuid().is_root() {
                    return Err(ProcessError::RunAsNeedsRoot {
                        user: user.clone(),
                        command: self.display(),
                    });
                }
                let mut c = Command::new("runuser");
                c.arg("-u").arg(user).arg("--").arg(&self.program);
                c
            }
            _ => Command::new(&self.program),
        };
        for a in &self.args {
            match a {
                Arg::Plain(s) => cmd.arg(s),
                Arg::Secret(s) => cmd.arg(s.expose()),
            };
        }
        for k in &self.removed_env {
            cmd.env_remove(k);
        }
        for (k, v) in &self.env {
            match v {
                Arg::Plain(s) => cmd.env(k, s),
                Arg::Secret(s) => cmd.env(k, s.expose()),
            };
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        // Own process group: a timeout kills the script and everything it started.
        cmd.process_group(0);
        Ok(cmd)
    }

    fn spawn(&self, stdin: Stdio, stdout: Stdio) -> Result<Child, ProcessError> {
        let mut cmd = self.build()?;
        cmd.stdin(stdin).stdout(stdout).stderr(Stdio::piped());
        cmd.spawn().map_err(|source| ProcessError::Spawn {
            command: self.display(),
            source,
        })
    }
}

/// Whether `user` is the user we already run as (then `runuser` is not needed).
fn is_current_user(user: &str) -> bool {
    match nix::unistd::User::from_uid(nix::unistd::geteuid()) {
        Ok(Some(me)) => me.name == user,
        _ => false,
    }
}

/// Shell-quotes one word for display only (never executed).
fn quote(s: &OsStr) -> String {
    let s = s.to_string_lossy();
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if safe {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Errors running a program.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The program could not be started (missing, not executable).
    #[error("cannot run `{command}`: {source}")]
    Spawn {
        /// The redacted command line.
        command: String,
        /// The OS error.
        source: io::Error,
    },
    /// `run_as` names another user and we are not root.
    #[error(
        "cannot run `{command}` as user {user:?}: switching users needs root \
         (run cnxbackup as root, or as {user:?} itself, or unset run_as)"
    )]
    RunAsNeedsRoot {
        /// The user asked for.
        user: String,
        /// The redacted command line.
        command: String,
    },
    /// Reading or writing the program's pipes, or waiting for it, failed.
    #[error("`{command}`: {what}: {source}")]
    Io {
        /// The redacted command line.
        command: String,
        /// What we were doing.
        what: &'static str,
        /// The OS error.
        source: io::Error,
    },
}

/// A finished program.
#[derive(Debug, Clone)]
pub struct Output {
    /// The redacted command line.
    pub command: String,
    /// Exit code, `None` when killed by a signal.
    pub code: Option<i32>,
    /// The signal that ended it, if any.
    pub signal: Option<i32>,
    /// True when we killed it because the timeout expired.
    pub timed_out: bool,
    /// Captured stdout (lossy UTF-8; the middle elided past the capture limit).
    pub stdout: String,
    /// Captured stderr (same rules).
    pub stderr: String,
    /// Wall time.
    pub duration: Duration,
}

impl Output {
    /// Exited with code 0 within the timeout.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// stdout then stderr, for message matching.
    pub fn combined(&self) -> String {
        let mut s = self.stdout.clone();
        if !self.stderr.is_empty() {
            if !s.is_empty() && !s.ends_with('\n') {
                s.push('\n');
            }
            s.push_str(&self.stderr);
        }
        s
    }

    /// A one-line description of how it ended (`exit code 4`, `timed out after 5 s`).
    pub fn status_text(&self) -> String {
        if self.timed_out {
            format!("timed out after {:.0?}", self.duration)
        } else if let Some(c) = self.code {
            format!("exit code {c}")
        } else if let Some(sig) = self.signal {
            format!("killed by signal {sig}")
        } else {
            "unknown exit status".to_owned()
        }
    }

    /// The last `n` non-blank lines of stderr, or of stdout when stderr is empty: what an
    /// error message should quote.
    pub fn tail(&self, n: usize) -> String {
        let src = if self.stderr.trim().is_empty() {
            &self.stdout
        } else {
            &self.stderr
        };
        let lines: Vec<&str> = src.lines().filter(|l| !l.trim().is_empty()).collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    fn from_status(
        command: String,
        status: ExitStatus,
        timed_out: bool,
        stdout: String,
        stderr: String,
        duration: Duration,
    ) -> Output {
        Output {
            command,
            code: status.code(),
            signal: status.signal(),
            timed_out,
            stdout,
            stderr,
            duration,
        }
    }
}

/// Captured bytes bounded to `limit`: the first half and the last half are kept.
struct Bounded {
    limit: usize,
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: u64,
}

impl Bounded {
    fn new(limit: usize) -> Bounded {
        Bounded {
            limit,
            head: Vec::new(),
            tail: std::collections::VecDeque::new(),
            dropped: 0,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        let head_cap = self.limit / 2;
        if self.head.len() < head_cap {
            let take = (head_cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..take]);
            data = &data[take..];
        }
        let tail_cap = self.limit - head_cap;
        for &b in data {
            if self.tail.len() == tail_cap {
                self.tail.pop_front();
                self.dropped += 1;
            }
            self.tail.push_back(b);
        }
    }

    fn text(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.head).into_owned();
        if self.dropped > 0 {
            s.push_str(&format!("\n[... {} bytes elided ...]\n", self.dropped));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        s.push_str(&String::from_utf8_lossy(&tail));
        s
    }
}

/// Reads a pipe into a shared bounded buffer on its own thread; signals `done` at EOF.
fn collect<R: Read + Send + 'static>(
    mut pipe: R,
    limit: usize,
    done: mpsc::Sender<()>,
) -> Arc<Mutex<Bounded>> {
    let buf = Arc::new(Mutex::new(Bounded::new(limit)));
    let shared = Arc::clone(&buf);
    thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if let Ok(mut b) = shared.lock() {
                        b.push(&chunk[..n]);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = done.send(());
    });
    buf
}

fn snapshot(buf: &Arc<Mutex<Bounded>>) -> String {
    buf.lock().map(|b| b.text()).unwrap_or_default()
}

/// Waits up to [`PIPE_GRACE`] for `n` reader threads to reach end of file.
fn wait_readers(done: &mpsc::Receiver<()>, n: usize) {
    let deadline = Instant::now() + PIPE_GRACE;
    for _ in 0..n {
        let left = deadline.saturating_duration_since(Instant::now());
        if done.recv_timeout(left).is_err() {
            return;
        }
    }
}

/// Kills a child's whole process group.
/// A streamed run whose other end failed: end the program (whole process group), reap it,
/// stop its watchdog, and name what failed.
fn abort_stream(
    spec: &CommandSpec,
    child: &mut Child,
    watchdog: Watchdog,
    what: &'static str,
    source: std::io::Error,
) -> ProcessError {
    kill_group(child);
    let _ = child.wait();
    watchdog.stop();
    ProcessError::Io {
        command: spec.display(),
        what,
        source,
    }
}

fn kill_group(child: &Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Writes stdin content on its own thread (so a program that writes before it reads cannot
/// deadlock us), then closes it.
fn feed_stdin(stdin: Option<ChildStdin>, content: &Stdin) {
    let Some(mut pipe) = stdin else { return };
    let bytes: Vec<u8> = match content {
        Stdin::Null => return,
        Stdin::Bytes(b) => b.clone(),
        Stdin::Secret(s) => {
            let mut v = s.expose().as_bytes().to_vec();
            v.push(b'\n');
            v
        }
    };
    thread::spawn(move || {
        // Wiped when dropped: it may hold a password.
        let bytes = zeroize::Zeroizing::new(bytes);
        let _ = pipe.write_all(&bytes);
    });
}

/// Polls `child` until it exits or the deadline passes (then kills its group).
fn wait_with_deadline(
    child: &mut Child,
    spec: &CommandSpec,
    started: Instant,
) -> Result<(ExitStatus, bool), ProcessError> {
    let io_err = |source| ProcessError::Io {
        command: spec.display(),
        what: "waiting for the program",
        source,
    };
    loop {
        if let Some(status) = child.try_wait().map_err(io_err)? {
            return Ok((status, false));
        }
        if let Some(t) = spec.timeout {
            if started.elapsed() >= t {
                tracing::warn!(command = %spec.display(), timeout = ?t, "timed out; killing its process group");
                kill_group(child);
                let status = child.wait().map_err(io_err)?;
                return Ok((status, true));
            }
        }
        thread::sleep(POLL);
    }
}

/// Runs a program to completion, capturing its output. A non-zero exit is not an error
/// here: callers interpret the [`Output`].
pub fn run(spec: &CommandSpec) -> Result<Output, ProcessError> {
    tracing::debug!(command = %spec.display(), env = %spec.display_env(), "running");
    let started = Instant::now();
    let stdin = match spec.stdin {
        Stdin::Null => Stdio::null(),
        _ => Stdio::piped(),
    };
    let mut child = spec.spawn(stdin, Stdio::piped())?;
    feed_stdin(child.stdin.take(), &spec.stdin);
    let (tx, rx) = mpsc::channel();
    let out = child
        .stdout
        .take()
        .map(|p| collect(p, spec.capture_limit, tx.clone()));
    let err = child
        .stderr
        .take()
        .map(|p| collect(p, spec.capture_limit, tx.clone()));
    drop(tx);
    let (status, timed_out) = wait_with_deadline(&mut child, spec, started)?;
    wait_readers(&rx, usize::from(out.is_some()) + usize::from(err.is_some()));
    let output = Output::from_status(
        spec.display(),
        status,
        timed_out,
        out.as_ref().map(snapshot).unwrap_or_default(),
        err.as_ref().map(snapshot).unwrap_or_default(),
        started.elapsed(),
    );
    tracing::debug!(command = %output.command, status = %output.status_text(), "finished");
    transcribe(&output);
    Ok(output)
}

/// A watchdog that kills a process group at a deadline unless cancelled first.
struct Watchdog {
    cancel: Option<mpsc::Sender<()>>,
    fired: Arc<std::sync::atomic::AtomicBool>,
}

impl Watchdog {
    fn start(child: &Child, timeout: Option<Duration>) -> Watchdog {
        let fired = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let Some(timeout) = timeout else {
            return Watchdog {
                cancel: None,
                fired,
            };
        };
        let (tx, rx) = mpsc::channel::<()>();
        let pid = i32::try_from(child.id()).ok();
        let flag = Arc::clone(&fired);
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(timeout) {
                if let Some(pid) = pid {
                    flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    let _ = nix::sys::signal::killpg(
                        nix::unistd::Pid::from_raw(pid),
                        nix::sys::signal::Signal::SIGKILL,
                    );
                }
            }
        });
        Watchdog {
            cancel: Some(tx),
            fired,
        }
    }

    fn stop(mut self) -> bool {
        if let Some(tx) = self.cancel.take() {
            let _ = tx.send(());
        }
        self.fired.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Runs a program whose stdout is a data stream: every byte goes to `sink` as it comes
/// (nothing is staged); stderr is captured. Returns the output (its `stdout` is empty) and
/// the number of bytes streamed.
pub fn run_stdout_to(
    spec: &CommandSpec,
    sink: &mut dyn Write,
) -> Result<(Output, u64), ProcessError> {
    tracing::debug!(command = %spec.display(), "running, streaming stdout");
    let started = Instant::now();
    let stdin = match spec.stdin {
        Stdin::Null => Stdio::null(),
        _ => Stdio::piped(),
    };
    let mut child = spec.spawn(stdin, Stdio::piped())?;
    feed_stdin(child.stdin.take(), &spec.stdin);
    let (tx, rx) = mpsc::channel();
    let err = child
        .stderr
        .take()
        .map(|p| collect(p, spec.capture_limit, tx.clone()));
    drop(tx);
    let watchdog = Watchdog::start(&child, spec.timeout);
    let copied = match child.stdout.take() {
        Some(mut out) => copy_stdout(&mut out, sink),
        None => Ok(0),
    };
    let copied = match copied {
        Ok(n) => n,
        Err(source) => {
            // The sink failed (repository full, ...): stop the dump rather than let it block.
            return Err(abort_stream(
                spec,
                &mut child,
                watchdog,
                "streaming the program's output",
                source,
            ));
        }
    };
    let status = child.wait().map_err(|source| ProcessError::Io {
        command: spec.display(),
        what: "waiting for the program",
        source,
    })?;
    let timed_out = watchdog.stop();
    wait_readers(&rx, usize::from(err.is_some()));
    let output = Output::from_status(
        spec.display(),
        status,
        timed_out,
        String::new(),
        err.as_ref().map(snapshot).unwrap_or_default(),
        started.elapsed(),
    );
    transcribe(&output);
    Ok((output, copied))
}

fn copy_stdout(out: &mut ChildStdout, sink: &mut dyn Write) -> io::Result<u64> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let n = match out.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sink.write_all(&buf[..n])?;
        total += n as u64;
    }
    sink.flush()?;
    Ok(total)
}

/// Runs a program that reads a data stream on stdin, fed from `source`; stdout and stderr
/// are captured. Returns the output and the number of bytes fed. A program that exits
/// before reading everything is not an error here (its exit status tells).
pub fn run_stdin_from(
    spec: &CommandSpec,
    source: &mut dyn Read,
) -> Result<(Output, u64), ProcessError> {
    tracing::debug!(command = %spec.display(), "running, feeding stdin");
    let started = Instant::now();
    let mut child = spec.spawn(Stdio::piped(), Stdio::piped())?;
    let (tx, rx) = mpsc::channel();
    let out = child
        .stdout
        .take()
        .map(|p| collect(p, spec.capture_limit, tx.clone()));
    let err = child
        .stderr
        .take()
        .map(|p| collect(p, spec.capture_limit, tx.clone()));
    drop(tx);
    let watchdog = Watchdog::start(&child, spec.timeout);
    let mut fed = 0u64;
    let mut read_error = None;
    if let Some(mut stdin) = child.stdin.take() {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    read_error = Some(e);
                    break;
                }
            };
            if stdin.write_all(&buf[..n]).is_err() {
                // The program closed its stdin (exited early): its status says why.
                break;
            }
            fed += n as u64;
        }
        drop(stdin);
    }
    if let Some(source) = read_error {
        return Err(abort_stream(
            spec,
            &mut child,
            watchdog,
            "reading the data to feed the program",
            source,
        ));
    }
    let status = child.wait().map_err(|source| ProcessError::Io {
        command: spec.display(),
        what: "waiting for the program",
        source,
    })?;
    let timed_out = watchdog.stop();
    wait_readers(&rx, usize::from(out.is_some()) + usize::from(err.is_some()));
    let output = Output::from_status(
        spec.display(),
        status,
        timed_out,
        out.as_ref().map(snapshot).unwrap_or_default(),
        err.as_ref().map(snapshot).unwrap_or_default(),
        started.elapsed(),
    );
    transcribe(&output);
    Ok((output, fed))
}

/// Splits a configured command string (`pg_dump -Fc mydb`) into words, shell-style
/// (quotes and backslashes), without running a shell.
pub fn split_command(line: &str) -> Result<Vec<String>, String> {
    let words = shell_words::split(line).map_err(|e| format!("cannot parse {line:?}: {e}"))?;
    if words.is_empty() {
        return Err("the command is empty".to_owned());
    }
    Ok(words)
}

/// Finds `name` in `PATH` (or returns it when it already contains a `/`).
pub fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return is_executable(&p).then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

/// A regular file with an execute bit.
pub fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Appends `o` to this thread's transcript, if one is in force ([`Transcript`]).
fn transcribe(o: &Output) {
    transcript::record(&transcript::Ran {
        command: &o.command,
        status: o.status_text(),
        duration: o.duration,
        stdout: &o.stdout,
        stderr: &o.stderr,
    });
}

#[cfg(test)]
mod tests;
