//! The cell backup playbook (`examples/ansible/cnxbackup-cell.yml`) run for real by
//! ansible-playbook on the multi-host sample cell: five hosts on this machine
//! (`ansible_connection=local`, each with its own sysroot and configuration), one repository
//! on this run's S3 server. It proves what the phases promise, from the hosts' own logs: every
//! application server of every host was stopped before any file or database was read, no
//! server was started before the last host finished capturing, and `check --set` finds the
//! set complete.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sample::{BuildOptions, HostRole, MultiHostCell, Variant};
use serde_json::{json, Value};

use crate::cli_common::Schemas;

const PASSWORD: &str = "cell-repo-password";
const SET: &str = "cell-test-set";

fn var(n: &str) -> String {
    std::env::var(n).unwrap_or_else(|_| {
        panic!("{n} is not set: run the tests through scripts/test (it starts the S3 server)")
    })
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The cell, its directory and the settings every host shares; servers stopped on drop.
struct Fixture {
    cell: MultiHostCell,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.cell.stop_all();
    }
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
        let cell = sample::build_cell(
            Variant::MultiHostCell,
            &dir.path().join("cell"),
            &BuildOptions::default(),
        )
        .unwrap();
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let repo = format!("s3://{}/cell-{nonce:x}", var("CNXBACKUP_TEST_S3_BUCKET"));
        std::fs::write(dir.path().join("password"), PASSWORD).unwrap();
        let was_password = cell.hosts[0]
            .sample
            .expected
            .was
            .admin
            .password()
            .to_owned();
        std::fs::write(dir.path().join("was-password"), was_password).unwrap();
        for f in ["password", "was-password"] {
            use std::os::unix::fs::PermissionsExt;
            let perms = std::fs::Permissions::from_mode(0o600);
            std::fs::set_permissions(dir.path().join(f), perms).unwrap();
        }
        let bin = PathBuf::from(env!("CARGO_BIN_EXE_cnxbackup"));
        let path = format!(
            "{}:{}",
            bin.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let env = vec![
            (
                "CNXBACKUP_S3_ENDPOINT".into(),
                var("CNXBACKUP_TEST_S3_ENDPOINT"),
            ),
            (
                "AWS_ACCESS_KEY_ID".into(),
                var("CNXBACKUP_TEST_S3_ACCESS_KEY"),
            ),
            (
                "AWS_SECRET_ACCESS_KEY".into(),
                var("CNXBACKUP_TEST_S3_SECRET_KEY"),
            ),
            ("CNXBACKUP_TEST_RETRY_PAUSE_MS".into(), "200".into()),
            ("PATH".into(), path),
        ];
        let f = Fixture { cell, dir, env };
        for h in &f.cell.hosts {
            std::fs::write(f.config_path(&h.name), f.config(&h.name, &repo, h.role)).unwrap();
        }
        let init = f
            .cnxbackup("cnx-dmgr.example.com")
            .arg("init")
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        f
    }

    fn config_path(&self, host: &str) -> PathBuf {
        self.dir.path().join(format!("{host}.toml"))
    }

    fn config(&self, host: &str, repo: &str, role: HostRole) -> String {
        let d = self.dir.path().display();
        let mut c = format!(
            "[repository]\nurl = {repo:?}\npassword_file = \"{d}/password\"\n\n[websphere]\nusername = \"wasadmin\"\npassword_file = \"{d}/was-password\"\nstop_timeout_secs = 20\n"
        );
        if role == HostRole::Database {
            let tools = &self.cell.host(host).unwrap().sample.expected.db_tools;
            c.push_str(&format!(
                "\n[database]\nvendor = \"db2\"\ncommand = {:?}\nstaging_dir = \"{d}/staging-{host}\"\n",
                tools.command
            ));
        }
        c
    }

    /// The variables a host's cnxbackup runs with: its configuration and sysroot.
    fn host_env(&self, host: &str) -> Vec<(String, String)> {
        let h = self.cell.host(host).unwrap();
        let mut env = self.env.clone();
        env.push((
            "CNXBACKUP_CONFIG".into(),
            self.config_path(host).display().to_string(),
        ));
        env.push((
            "CNXBACKUP_SYSROOT".into(),
            h.sample.sysroot.display().to_string(),
        ));
        env
    }

    fn cnxbackup(&self, host: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cnxbackup"));
        c.env_remove("CNXBACKUP_PASSWORD")
            .env_remove("CNXBACKUP_REPOSITORY");
        for (k, v) in self.host_env(host) {
            c.env(k, v);
        }
        c
    }

    /// A YAML inventory: one group per role, every host local with its own environment.
    fn inventory(&self) -> PathBuf {
        let group = |role: HostRole| -> Value {
            let mut hosts = serde_json::Map::new();
            for h in self.cell.hosts_with(role) {
                let env: serde_json::Map<String, Value> = self
                    .host_env(&h.name)
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                let mut vars = json!({
                    "ansible_connection": "local",
                    "ansible_python_interpreter": python3(),
                    "cnx_environment": env,
                });
                if role == HostRole::WebServer {
                    vars["cnx_web_conf"] = h
                        .sample
                        .real_path("/opt/IBM/HTTPServer/conf")
                        .display()
                        .to_string()
                        .into();
                    vars["cnx_web_plugin_config"] = h
                        .sample
                        .real_path("/opt/IBM/WebSphere/Plugins/config")
                        .display()
                        .to_string()
                        .into();
                }
                hosts.insert(h.name.clone(), vars);
            }
            json!({ "hosts": hosts })
        };
        let inventory = json!({
            "all": { "children": { "cnx_cell": { "children": {
                "cnx_dmgr": group(HostRole::DeploymentManager),
                "cnx_nodes": group(HostRole::Node),
                "cnx_web": group(HostRole::WebServer),
                "cnx_db": group(HostRole::Database),
            }}}}
        });
        // JSON is YAML: ansible reads it as a YAML inventory
        let path = self.dir.path().join("inventory.yml");
        std::fs::write(&path, serde_json::to_string_pretty(&inventory).unwrap()).unwrap();
        path
    }

    fn playbook(&self, name: &str, extra: &[&str]) -> (bool, String) {
        let tmp = self.dir.path().join("ansible-tmp");
        let out = Command::new("ansible-playbook")
            .arg("-i")
            .arg(self.inventory())
            .arg(repo_root().join("examples/ansible").join(name))
            .args(extra)
            .env("ANSIBLE_LOCAL_TEMP", &tmp)
            .env("ANSIBLE_REMOTE_TEMP", &tmp)
            .env("ANSIBLE_ASYNC_DIR", self.dir.path().join("ansible-async"))
            .env("ANSIBLE_NOCOLOR", "1")
            .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
            .env_remove("ANSIBLE_CONFIG")
            .output()
            .unwrap_or_else(|e| {
                panic!("ansible-playbook cannot run ({e}); scripts/test installs ansible-core")
            });
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

fn python3() -> String {
    let out = Command::new("sh")
        .args(["-c", "command -v python3"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Unix nanoseconds of a stand-in log time (`2026-11-27T11:00:00.123Z`, UTC).
fn ns_of(time: &str) -> i64 {
    let n = |a: usize, b: usize| time[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    // days from the civil date (H. Hinnant's algorithm)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19);
    secs * 1_000_000_000 + n(20, 23) * 1_000_000
}

#[test]
fn log_times_convert_to_unix_nanoseconds() {
    assert_eq!(ns_of("1970-01-01T00:00:01.500Z"), 1_500_000_000);
    assert_eq!(ns_of("2026-11-27T12:00:00.000Z"), 1_795_780_800_000_000_000);
}

#[test]
fn the_cell_playbook_stops_the_cell_backs_up_every_host_at_once_and_proves_the_set() {
    let f = Fixture::new();
    f.cell.start_all().unwrap();
    let started = Instant::now();
    let (ok, log) = f.playbook("cnxbackup-cell.yml", &["-e", &format!("cnx_set={SET}")]);
    let took = started.elapsed();
    eprintln!("cell backup playbook: {:.1} s", took.as_secs_f64());
    assert!(ok, "the backup playbook failed:\n{log}");
    assert!(log.contains("the set is complete"), "{log}");

    // the set, as check --set proves it
    let proof = f
        .cnxbackup("cnx-dmgr.example.com")
        .args(["--json", "check", "--set", SET])
        .output()
        .unwrap();
    assert!(
        proof.status.success(),
        "{}",
        String::from_utf8_lossy(&proof.stderr)
    );
    let proof: Value = serde_json::from_slice(&proof.stdout).unwrap();
    let schemas = Schemas::load();
    schemas.assert_valid("check", &proof, "check --set");
    assert_eq!(proof["ok"], true);
    let members = proof["members"].as_array().unwrap();
    assert_eq!(members.len(), 5, "{proof:#}");
    let holder = |component: &str| -> Vec<&str> {
        members
            .iter()
            .filter(|m| {
                m["components"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == component)
            })
            .map(|m| m["host"].as_str().unwrap())
            .collect()
    };
    assert_eq!(holder("shared_data"), ["cnx-app1.example.com"]);
    assert_eq!(holder("databases"), ["db2.example.com"]);
    assert_eq!(holder("dmgr_profile"), ["cnx-dmgr.example.com"]);

    // from the hosts' own logs: every application server stopped before the first member
    // began capturing (and before the first database was read), and no server started
    // before the last one finished
    let first_capture = members
        .iter()
        .map(|m| m["started_ns"].as_i64().unwrap())
        .min()
        .unwrap();
    let last_capture = members
        .iter()
        .map(|m| m["finished_ns"].as_i64().unwrap())
        .max()
        .unwrap();
    let control = f.cell.control_log().unwrap();
    let app_servers: Vec<&sample::ServerTruth> = f
        .cell
        .expected
        .was
        .servers
        .iter()
        .filter(|s| s.server_type == sample::ServerType::ApplicationServer)
        .collect();
    for s in &app_servers {
        let stop = control
            .iter()
            .find(|(_, e)| e.server == s.name && e.outcome == "stopped")
            .unwrap_or_else(|| panic!("{} was never stopped: {control:#?}", s.name));
        assert!(
            ns_of(&stop.1.time) < first_capture,
            "{} stopped after capturing began",
            s.name
        );
    }
    let db = &f.cell.host("db2").unwrap().sample;
    let backups: Vec<i64> = db
        .db_log()
        .unwrap()
        .iter()
        .filter(|e| e.action == "backup")
        .map(|e| ns_of(&e.time))
        .collect();
    assert!(!backups.is_empty());
    let last_stop = control
        .iter()
        .filter(|(_, e)| e.outcome == "stopped")
        .map(|(_, e)| ns_of(&e.time))
        .max()
        .unwrap();
    assert!(
        backups.iter().all(|t| *t > last_stop),
        "a database was read before the cell stopped"
    );
    let restarts: Vec<i64> = control
        .iter()
        .filter(|(_, e)| e.outcome == "started")
        .map(|(_, e)| ns_of(&e.time))
        .filter(|t| *t > last_stop)
        .collect();
    assert_eq!(
        restarts.len(),
        7,
        "every server started again: {control:#?}"
    );
    assert!(
        restarts.iter().all(|t| *t > last_capture),
        "a server started before the last host finished capturing"
    );
    assert!(
        f.cell
            .hosts
            .iter()
            .map(|h| h.sample.running_servers().len())
            .sum::<usize>()
            == 7
    );

    // a set planned but never backed up: check --set names every missing host, exit 3
    let plan = f
        .cnxbackup("cnx-dmgr.example.com")
        .args([
            "--json",
            "set",
            "plan",
            "cell-test-empty",
            "--shared-data-host",
            "cnx-app1",
        ])
        .args(["--databases-host", "db2.example.com"])
        .output()
        .unwrap();
    assert!(
        plan.status.success(),
        "{}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let plan: Value = serde_json::from_slice(&plan.stdout).unwrap();
    schemas.assert_valid("set", &plan, "set plan");
    // the short name given is the cell's host of that name
    assert_eq!(plan["document"]["shared_data_host"], "cnx-app1.example.com");
    let hosts: Vec<&str> = plan["document"]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        hosts,
        [
            "cnx-dmgr.example.com",
            "cnx-app1.example.com",
            "cnx-app2.example.com",
            "cnx-web.example.com",
            "db2.example.com"
        ]
    );
    let empty = f
        .cnxbackup("cnx-dmgr.example.com")
        .args(["check", "--set", "cell-test-empty"])
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(3));
    let text = String::from_utf8_lossy(&empty.stdout);
    for host in ["cnx-dmgr", "cnx-app1", "cnx-app2", "cnx-web", "db2"] {
        assert!(
            text.contains(&format!(
                "host {host}.example.com has no snapshot in the set"
            )),
            "{text}"
        );
    }
    assert!(text.contains("no cell-wide stop is recorded"), "{text}");
}
