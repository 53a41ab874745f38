//! Driving a sample from Rust: start and stop every server through the stand-in scripts,
//! see what runs, read the call logs, set failure knobs, snapshot database state.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::expected::{ProfileType, ServerType};
use crate::{Sample, SampleError, STATE_DIR};

/// One call of a WebSphere stand-in, as appended to `control.log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlEvent {
    /// UTC time with milliseconds (`2026-11-27T11:00:00.123Z`).
    pub time: String,
    /// Script name (`stopServer.sh`).
    pub script: String,
    /// Profile name.
    pub profile: String,
    /// Server name.
    pub server: String,
    /// `started`, `stopped`, `not-running`, `denied`, `timeout`, `already-running`,
    /// `failed`, `stop-requested`, `status-started`, `status-stopped`, `wsadmin`, ...
    pub outcome: String,
}

/// One call of a database stand-in, as appended to `db.log`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbEvent {
    /// UTC time with milliseconds.
    pub time: String,
    /// Tool (`db2`, `db2ckbkp`, `sqlcmd`, `expdp`, `impdp`).
    pub tool: String,
    /// `backup`, `restore`, `backup-failed`, `verify`, `export`, `import`, ...
    pub action: String,
    /// Database (or Oracle SID).
    pub database: String,
    /// Further fields (DB2: timestamp, directory, mode).
    pub details: Vec<String>,
}

/// A server whose PID file names a live process that looks like that server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningServer {
    /// Profile name.
    pub profile: String,
    /// Server name.
    pub server: String,
    /// Process id.
    pub pid: u32,
}

/// Failure knobs: marker files the stand-ins look at.
#[derive(Debug, Clone)]
pub struct Knobs {
    dir: PathBuf,
}

impl Knobs {
    fn set(&self, name: &str, content: &str) -> Result<(), SampleError> {
        fs::create_dir_all(&self.dir).map_err(|e| SampleError::io(&self.dir, e))?;
        let p = self.dir.join(name);
        fs::write(&p, content).map_err(|e| SampleError::io(&p, e))
    }

    /// The server ignores SIGTERM; `stopServer.sh` gives up after `secs` seconds (or its
    /// `-timeout`, whichever is shorter) with `ADMU3060E`. Only SIGKILL ends it.
    pub fn refuse_stop(&self, server: &str, secs: u32) -> Result<(), SampleError> {
        self.set(&format!("refuse-stop.{server}"), &secs.to_string())
    }

    /// The server takes `secs` seconds to exit after SIGTERM.
    pub fn slow_stop(&self, server: &str, secs: u32) -> Result<(), SampleError> {
        self.set(&format!("slow-stop.{server}"), &secs.to_string())
    }

    /// `startServer.sh` fails with `ADMU3011E` for this server.
    pub fn fail_start(&self, server: &str) -> Result<(), SampleError> {
        self.set(&format!("fail-start.{server}"), "")
    }

    /// Backups of this database (or of every database with `None`) fail with the vendor's
    /// error (DB2 `SQL2062N`, SQL Server `Msg 3202`, Data Pump `ORA-31693` / exit 5).
    pub fn fail_db_backup(&self, database: Option<&str>) -> Result<(), SampleError> {
        self.set(&format!("db-fail-backup.{}", database.unwrap_or("ALL")), "")
    }

    /// Restores of this database (or of all) fail.
    pub fn fail_db_restore(&self, database: Option<&str>) -> Result<(), SampleError> {
        self.set(
            &format!("db-fail-restore.{}", database.unwrap_or("ALL")),
            "",
        )
    }

    /// Every database backup (or this one's, with `Some`) takes as long as a database of
    /// `mib` MiB would at the simulated throughput ([`Knobs::db_throughput`], default 100
    /// MiB/s): the stand-in sleeps `mib / throughput` seconds before it writes the image.
    /// The benchmarks use it to give the databases a size (`scripts/bench/outage.sh`).
    pub fn db_size_mib(&self, database: Option<&str>, mib: u64) -> Result<(), SampleError> {
        self.set(
            &format!("db-size-mib.{}", database.unwrap_or("ALL")),
            &mib.to_string(),
        )
    }

    /// The simulated backup throughput of the database tools, MiB/s.
    pub fn db_throughput(&self, mib_per_second: u64) -> Result<(), SampleError> {
        self.set("db-mib-per-second", &mib_per_second.to_string())
    }

    /// DB2: the database has connections, so an offline backup fails with `SQL1035N`.
    pub fn db_in_use(&self, database: &str) -> Result<(), SampleError> {
        self.set(&format!("db-in-use.{database}"), "")
    }

    /// Removes every knob.
    pub fn clear(&self) -> Result<(), SampleError> {
        if self.dir.exists() {
            for e in fs::read_dir(&self.dir).map_err(|e| SampleError::io(&self.dir, e))? {
                let e = e.map_err(|e| SampleError::io(&self.dir, e))?;
                fs::remove_file(e.path()).map_err(|err| SampleError::io(&e.path(), err))?;
            }
        }
        Ok(())
    }
}

/// A command's combined output and exit status.
fn run(script: &Path, args: &[&str]) -> Result<(i32, String), SampleError> {
    let out = Command::new(script)
        .args(args)
        .output()
        .map_err(|e| SampleError::io(script, e))?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok((out.status.code().unwrap_or(-1), text))
}

/// Whether a PID is a live (non-zombie) process whose command line names `profile_real`
/// and ends with `server` — the check a backup makes before trusting a PID file.
pub(crate) fn pid_is_server(pid: u32, profile_real: &Path, server: &str) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next());
    if state == Some("Z") || state.is_none() {
        return false;
    }
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .collect();
    let profile = profile_real.as_os_str().as_encoded_bytes();
    let names_profile = args
        .iter()
        .any(|a| a.windows(profile.len()).any(|w| w == profile));
    names_profile && args.last().is_some_and(|a| *a == server.as_bytes())
}

impl Sample {
    /// The failure knobs of this sample.
    pub fn knobs(&self) -> Knobs {
        Knobs {
            dir: self.real_path(&format!("{STATE_DIR}/knobs")),
        }
    }

    /// Starts the dmgr, then every node agent, then every application server, through the
    /// stand-in scripts (as an administrator would). Already running servers are left alone.
    pub fn start_all(&self) -> Result<(), SampleError> {
        let was = &self.expected.was;
        let mut order: Vec<(&str, &str, Vec<&str>)> = vec![];
        for p in &was.profiles {
            if p.profile_type == ProfileType::Dmgr {
                order.push((p.name.as_str(), "startManager", vec![]));
            }
        }
        for s in was
            .servers
            .iter()
            .filter(|s| s.server_type == ServerType::NodeAgent)
        {
            order.push((s.profile.as_str(), "startNode", vec![]));
        }
        for s in was
            .servers
            .iter()
            .filter(|s| s.server_type == ServerType::ApplicationServer)
        {
            order.push((s.profile.as_str(), "startServer", vec![s.name.as_str()]));
        }
        for (profile, tool, args) in order {
            let server = match tool {
                "startManager" => "dmgr",
                "startNode" => "nodeagent",
                _ => args.first().copied().unwrap_or_default(),
            };
            let already = self
                .running_servers()
                .iter()
                .any(|r| r.server == server && r.profile == profile);
            if already {
                continue;
            }
            let script = self
                .script(profile, tool)
                .ok_or_else(|| SampleError::BadState {
                    path: self.sysroot.clone(),
                    reason: format!("no profile {profile}"),
                })?;
            let (status, output) = run(&script, &args)?;
            if status != 0 {
                return Err(SampleError::Control {
                    script,
                    server: server.to_string(),
                    status,
                    output,
                });
            }
        }
        Ok(())
    }

    /// Stops every server through the stand-in scripts in the documented order
    /// (application servers, node agents, dmgr) and then kills (SIGKILL) whatever is still
    /// running, e.g. a server with a `refuse_stop` knob. Returns the servers it had to kill.
    /// Meant as test cleanup: call it at the end of every test that started servers.
    pub fn stop_all(&self) -> Result<Vec<String>, SampleError> {
        let was = &self.expected.was;
        let admin = &was.admin;
        let creds = [
            "-username",
            admin.username.as_str(),
            "-password",
            admin.password(),
        ];
        for s in was
            .servers
            .iter()
            .filter(|s| s.server_type == ServerType::ApplicationServer)
        {
            if let Some(script) = self.script(&s.profile, "stopServer") {
                let mut args = vec![s.name.as_str(), "-timeout", "20"];
                args.extend_from_slice(&creds);
                let _ = run(&script, &args);
            }
        }
        for s in was
            .servers
            .iter()
            .filter(|s| s.server_type == ServerType::NodeAgent)
        {
            if let Some(script) = self.script(&s.profile, "stopNode") {
                let mut args = vec!["-timeout", "20"];
                args.extend_from_slice(&creds);
                let _ = run(&script, &args);
            }
        }
        for p in was
            .profiles
            .iter()
            .filter(|p| p.profile_type == ProfileType::Dmgr)
        {
            if let Some(script) = self.script(&p.name, "stopManager") {
                let mut args = vec!["-timeout", "20"];
                args.extend_from_slice(&creds);
                let _ = run(&script, &args);
            }
        }
        let mut killed = vec![];
        for r in self.running_servers() {
            tracing::warn!(server = %r.server, pid = r.pid, "sample server did not stop; killing it");
            let _ = Command::new("kill")
                .args(["-KILL", &r.pid.to_string()])
                .status();
            killed.push(r.server);
        }
        for _ in 0..50 {
            if self.running_servers().is_empty() {
                return Ok(killed);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let left = self.running_servers();
        Err(SampleError::BadState {
            path: self.sysroot.clone(),
            reason: format!("servers still running after SIGKILL: {left:?}"),
        })
    }

    /// Servers whose PID file names a live process with that server's command line.
    pub fn running_servers(&self) -> Vec<RunningServer> {
        let mut out = vec![];
        for s in self
            .expected
            .was
            .servers
            .iter()
            .filter(|s| s.server_type.is_jvm())
        {
            let Some(p) = self.profile_of_server(&s.name) else {
                continue;
            };
            let Some(pid_file) = self.pid_file(&s.name) else {
                continue;
            };
            let Ok(text) = fs::read_to_string(&pid_file) else {
                continue;
            };
            let Ok(pid) = text.trim().parse::<u32>() else {
                continue;
            };
            if pid_is_server(pid, &self.real_path(&p.path), &s.name) {
                out.push(RunningServer {
                    profile: p.name.clone(),
                    server: s.name.clone(),
                    pid,
                });
            }
        }
        out
    }

    /// Every WebSphere stand-in call so far, oldest first.
    pub fn control_log(&self) -> Result<Vec<ControlEvent>, SampleError> {
        Ok(read_tsv(&self.control_log_path())?
            .into_iter()
            .filter(|f| f.len() >= 5)
            .map(|f| ControlEvent {
                time: f[0].clone(),
                script: f[1].clone(),
                profile: f[2].clone(),
                server: f[3].clone(),
                outcome: f[4].clone(),
            })
            .collect())
    }

    /// Every database stand-in call so far, oldest first.
    pub fn db_log(&self) -> Result<Vec<DbEvent>, SampleError> {
        Ok(read_tsv(&self.db_log_path())?
            .into_iter()
            .filter(|f| f.len() >= 4)
            .map(|f| DbEvent {
                time: f[0].clone(),
                tool: f[1].clone(),
                action: f[2].clone(),
                database: f[3].clone(),
                details: f[4..].to_vec(),
            })
            .collect())
    }

    /// The content of a database's stand-in state (relative path → bytes), without the
    /// volatile `runtime/` flags: compare two snapshots to check that a restore worked.
    pub fn db_state_snapshot(&self, name: &str) -> Result<BTreeMap<String, Vec<u8>>, SampleError> {
        let root = self.db_state_dir(name);
        let mut out = BTreeMap::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in fs::read_dir(&dir).map_err(|e| SampleError::io(&dir, e))? {
                let e = e.map_err(|e| SampleError::io(&dir, e))?;
                let path = e.path();
                let rel = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                if rel == "runtime" {
                    continue;
                }
                let ft = e.file_type().map_err(|err| SampleError::io(&path, err))?;
                if ft.is_dir() {
                    stack.push(path);
                } else {
                    out.insert(
                        rel,
                        fs::read(&path).map_err(|err| SampleError::io(&path, err))?,
                    );
                }
            }
        }
        Ok(out)
    }
}

fn read_tsv(path: &Path) -> Result<Vec<Vec<String>>, SampleError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(e) => return Err(SampleError::io(path, e)),
    };
    Ok(text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect())
}

/// Gives every file and directory below `root` (except `skip`) an old, deterministic
/// modification time, as an install that has been in place for a while would have.
pub(crate) fn age_tree(root: &Path, skip: &Path, seed: u64) -> Result<(), SampleError> {
    // 2023-06-14 10:00:00 UTC, the sample's "install day".
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_686_736_800);
    let mut entries = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut children: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| SampleError::io(&dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        children.sort();
        for c in children {
            if c.starts_with(skip) {
                continue;
            }
            let meta = fs::symlink_metadata(&c).map_err(|e| SampleError::io(&c, e))?;
            if meta.is_dir() {
                stack.push(c.clone());
                entries.push(c);
            } else if meta.is_file() {
                entries.push(c);
            }
        }
    }
    // Deepest first, so setting a child never disturbs an already-set parent.
    entries.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for (i, p) in entries.iter().enumerate() {
        let offset = (seed.wrapping_mul(31).wrapping_add(i as u64 * 7_919)) % (86_400 * 30);
        let t = base + Duration::from_secs(offset);
        let f = fs::File::open(p).map_err(|e| SampleError::io(p, e))?;
        f.set_times(fs::FileTimes::new().set_modified(t).set_accessed(t))
            .map_err(|e| SampleError::io(p, e))?;
    }
    Ok(())
}
