//! The cell playbooks (`examples/ansible/cnxbackup-cell.yml` and
//! `cnxbackup-cell-restore.yml`) run for real by ansible-playbook on the multi-host sample
//! cell: five hosts on this machine (`ansible_connection=local`, each with its own sysroot
//! and configuration), one repository on this run's S3 server. It proves what the phases
//! promise, from the hosts' own logs: every application server of every host was stopped
//! before any file or database was read, no server was started before the last host
//! finished capturing, `check --set` finds the set complete; and after a failed update on
//! every host, the restore playbook brings every host's files (and the databases) back to
//! their state before the update, the dmgr started before the nodes resynchronised with it
//! and the node agents after that.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sample::HostRole;
use serde_json::{json, Value};

use crate::cell_common::{self, log_time_ns};
use crate::cli_common::Schemas;
use crate::restore_common::{diff, listing, volatile, Item};

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

/// The cell and the settings every host shares.
struct Fixture {
    base: cell_common::Cell,
    env: Vec<(String, String)>,
}

impl std::ops::Deref for Fixture {
    type Target = cell_common::Cell;

    fn deref(&self) -> &cell_common::Cell {
        &self.base
    }
}

impl Fixture {
    fn new() -> Fixture {
        let base = cell_common::Cell::build();
        let (cell, dir) = (&base.cell, &base.dir);
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
        let f = Fixture { base, env };
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
        // the host as the cell configuration names it: `restore latest` takes its member
        let mut c = format!(
            "[repository]\nurl = {repo:?}\npassword_file = \"{d}/password\"\n\n[deployment]\nhost = {host:?}\n\n[websphere]\nusername = \"wasadmin\"\npassword_file = \"{d}/was-password\"\nstop_timeout_secs = 20\n"
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
                let vars = json!({
                    "ansible_connection": "local",
                    "ansible_python_interpreter": python3(),
                    "cnx_environment": env,
                });
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

#[test]
fn the_cell_playbooks_back_up_the_cell_at_once_prove_the_set_and_restore_it_after_a_failed_update()
{
    let f = Fixture::new();
    f.cell.start_all().unwrap();
    let started = Instant::now();
    let (ok, log) = f.playbook("cnxbackup-cell.yml", &["-e", &format!("cnx_set={SET}")]);
    eprintln!(
        "cell backup playbook: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(ok, "the backup playbook failed:\n{log}");
    assert!(log.contains("the set is complete"), "{log}");
    let schemas = Schemas::load();
    let proof = proven_set(&f, &schemas);
    assert_cell_stopped_around_the_capture(&f, proof["members"].as_array().unwrap());
    assert_role_mappings_exported_while_the_cell_ran(&f, &proof);
    assert_an_empty_set_names_every_host(&f, &schemas);
    restore_after_a_failed_update_on_every_host(&f);
}

/// `check --set` of the set the playbook made: complete, five members, the shared data,
/// the databases and the dmgr profile each held once, by the host the set names.
fn proven_set(f: &Fixture, schemas: &Schemas) -> Value {
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

    // `snapshots` shows the same verdict above the set's members
    let (code, out, err) = run_on(
        f,
        "cnx-dmgr.example.com",
        &["--json", "snapshots", "--set", SET],
    );
    assert_eq!(code, Some(0), "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    schemas.assert_valid("snapshots", &listed, "snapshots --set");
    assert_eq!(listed["sets"][0]["status"], "complete", "{listed:#}");
    assert_eq!(listed["sets"][0]["members"].as_array().unwrap().len(), 5);
    let (_, text, _) = run_on(f, "cnx-dmgr.example.com", &["snapshots", "--set", SET]);
    assert!(
        text.contains(&format!(
            "set {SET}: COMPLETE (5 host(s), proven as check --set does)"
        )),
        "{text}"
    );

    proof
}

/// From the hosts' own logs: every application server stopped before the first member
/// began capturing (and before the first database was read), and no server started before
/// the last one finished.
fn assert_cell_stopped_around_the_capture(f: &Fixture, members: &[Value]) {
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
            log_time_ns(&stop.1.time) < first_capture,
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
        .map(|e| log_time_ns(&e.time))
        .collect();
    assert!(!backups.is_empty());
    let last_stop = control
        .iter()
        .filter(|(_, e)| e.outcome == "stopped")
        .map(|(_, e)| log_time_ns(&e.time))
        .max()
        .unwrap();
    assert!(
        backups.iter().all(|t| *t > last_stop),
        "a database was read before the cell stopped"
    );
    let restarts: Vec<i64> = control
        .iter()
        .filter(|(_, e)| e.outcome == "started")
        .map(|(_, e)| log_time_ns(&e.time))
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
}

/// Phase 2: wsadmin answered on the dmgr host before the first server stopped, and the dmgr
/// host's member keeps its views (`show`), with where they come from.
fn assert_role_mappings_exported_while_the_cell_ran(f: &Fixture, proof: &Value) {
    let control = f.cell.control_log().unwrap();
    let wsadmin = control
        .iter()
        .position(|(h, e)| h.starts_with("cnx-dmgr") && e.outcome == "wsadmin")
        .unwrap_or_else(|| panic!("wsadmin never answered on the dmgr host: {control:#?}"));
    let first_stop = control
        .iter()
        .position(|(_, e)| e.outcome == "stopped")
        .unwrap();
    assert!(
        wsadmin < first_stop,
        "wsadmin ran after the cell began to stop"
    );
    let dmgr_member = proof["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["host"] == "cnx-dmgr.example.com")
        .unwrap()["snapshot"]
        .as_str()
        .unwrap()
        .to_owned();
    let (code, out, err) = run_on(f, "cnx-dmgr.example.com", &["--json", "show", &dmgr_member]);
    assert_eq!(code, Some(0), "{err}");
    let show: Value = serde_json::from_str(&out).unwrap();
    let roles = &show["manifest"]["role_mappings"];
    assert!(
        roles["sources"].as_array().unwrap().iter().any(|s| s
            .as_str()
            .unwrap()
            .starts_with("wsadmin while the cell ran")),
        "{roles:#}"
    );
    assert!(
        !roles["wsadmin"].as_array().unwrap().is_empty(),
        "{roles:#}"
    );
    let (_, text, _) = run_on(f, "cnx-dmgr.example.com", &["show", &dmgr_member]);
    assert!(text.contains("wsadmin views"), "{text}");
}

/// A set planned but never backed up: check --set names every missing host, exit 3.
fn assert_an_empty_set_names_every_host(f: &Fixture, schemas: &Schemas) {
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

    // one member only: `snapshots` shows the set INCOMPLETE above it, and why
    let web = f.host("cnx-web");
    let conf = web.sample.real_path("/opt/IBM/HTTPServer/conf");
    let conf = conf.to_str().unwrap();
    let (code, _, err) = run_on(
        f,
        "cnx-web.example.com",
        &["backup", "--path", conf, "--tag", "set:cell-test-empty"],
    );
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run_on(
        f,
        "cnx-dmgr.example.com",
        &["--json", "snapshots", "--set", "cell-test-empty"],
    );
    assert_eq!(code, Some(0), "{err}");
    let listed: Value = serde_json::from_str(&out).unwrap();
    schemas.assert_valid("snapshots", &listed, "snapshots --set (one member)");
    let set = &listed["sets"][0];
    assert_eq!(set["status"], "incomplete", "{listed:#}");
    let problems: Vec<&str> = set["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems.contains(&"host cnx-dmgr.example.com has no snapshot in the set"),
        "{problems:?}"
    );
    let (_, text, _) = run_on(
        f,
        "cnx-dmgr.example.com",
        &["snapshots", "--set", "cell-test-empty"],
    );
    assert!(
        text.contains("set cell-test-empty: INCOMPLETE\n  host cnx-dmgr.example.com has no snapshot in the set"),
        "{text}"
    );
}

/// What a host's files are (product paths → kind, mode, owner, times, content), leaving out
/// what is not the deployment's (the stand-ins' own state and logs, temp and wstemp) and
/// what the servers write as they start again (each profile's `logs`).
fn host_files(h: &sample::CellHost) -> BTreeMap<String, Item> {
    let logs: Vec<String> = h
        .sample
        .expected
        .was
        .profiles
        .iter()
        .map(|p| format!("{}/logs", p.path))
        .collect();
    let skip = |rel: &str| {
        volatile(rel)
            || logs
                .iter()
                .any(|l| rel == l || rel.starts_with(&format!("{l}/")))
    };
    listing(&h.sample.sysroot, &skip)
}

/// Every database of the database server's stand-in, by name.
fn databases(h: &sample::CellHost) -> BTreeMap<String, BTreeMap<String, Vec<u8>>> {
    h.sample
        .expected
        .databases
        .iter()
        .map(|d| (d.name.clone(), h.sample.db_state_snapshot(&d.name).unwrap()))
        .collect()
}

/// `cnxbackup ARGS` on `host`: (exit code, stdout, stderr).
fn run_on(f: &Fixture, host: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = f.cnxbackup(host).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The failed update on every host (each changes what lives on it), then the restore
/// playbook: every host's files and the databases are as before the update, each host's
/// version too, and the cell started in the documented order.
fn restore_after_a_failed_update_on_every_host(f: &Fixture) {
    // the administrator stops the cell before updating it
    f.cell.stop_all().unwrap();
    let before: Vec<BTreeMap<String, Item>> = f.cell.hosts.iter().map(host_files).collect();
    let db_host = f.host("db2");
    let db_before = databases(db_host);
    let versions = |hosts: &[&str]| -> Vec<String> {
        hosts
            .iter()
            .map(|h| crate::restore_common::version_at(&f.host(h).sample.sysroot))
            .collect()
    };
    let websphere_hosts = ["cnx-dmgr", "cnx-app1", "cnx-app2"];
    let version_before = versions(&websphere_hosts);
    for h in &f.cell.hosts {
        let update = sample::simulate_failed_update(&h.sample).unwrap();
        let touched = update.added.len()
            + update.changed.len()
            + update.removed.len()
            + update.databases_touched.len();
        assert!(touched > 0, "the update changed nothing on {}", h.name);
    }
    for (h, b) in f.cell.hosts.iter().zip(&before) {
        if h.role != HostRole::Database {
            assert!(!diff(b, &host_files(h)).is_empty(), "{} unchanged", h.name);
        }
    }
    assert_ne!(databases(db_host), db_before);
    assert_ne!(versions(&websphere_hosts), version_before);
    assert_the_gate_applies_per_host(f, &version_before[2]);

    let started = Instant::now();
    let since = i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap();
    let (ok, log) = f.playbook(
        "cnxbackup-cell-restore.yml",
        &["-e", &format!("cnx_set={SET}")],
    );
    eprintln!(
        "cell restore playbook: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(ok, "the restore playbook failed:\n{log}");

    for (h, b) in f.cell.hosts.iter().zip(&before) {
        let d = diff(b, &host_files(h));
        assert!(
            d.is_empty(),
            "{} after the restore:\n{}",
            h.name,
            d.join("\n")
        );
    }
    assert_eq!(
        databases(db_host),
        db_before,
        "the databases after the restore"
    );
    assert_eq!(versions(&websphere_hosts), version_before);
    let restores = db_host.sample.db_log().unwrap();
    assert!(restores.iter().any(|e| e.action == "restore"));
    assert_started_in_the_documented_order(f, since);
}

/// After the failed update, each host's restore is gated on its own: a node host brings
/// back its own version (its Installation Manager state and the data below the install's
/// directory are in its member) and is checked against that, not against the failed
/// update's version installed now; the database server has no install to check; and
/// `provision` alone onto the shared-data host's failed update is refused by the provision
/// rule.
fn assert_the_gate_applies_per_host(f: &Fixture, node_before: &str) {
    let schemas = Schemas::load();
    let dry = |host: &str, extra: &[&str]| -> Value {
        let mut args = vec!["--json", "restore", "latest", "--set", SET, "--dry-run"];
        args.extend_from_slice(extra);
        let (code, out, err) = run_on(f, host, &args);
        assert_eq!(code, Some(0), "{host}: {out}\n{err}");
        let doc: Value = serde_json::from_str(&out).unwrap();
        schemas.assert_valid("restore", &doc, &format!("restore --dry-run on {host}"));
        doc
    };
    let node = dry("cnx-app2.example.com", &["--skip-databases"]);
    let gate = &node["gate"];
    assert_eq!(gate["checked_against"], node_before, "{gate:#}");
    assert_ne!(gate["installed_version"], node_before, "{gate:#}");
    let db = dry("db2.example.com", &["--databases-only"]);
    assert!(
        db["gate"]["basis"]
            .as_str()
            .unwrap()
            .starts_with("a database server of backup set"),
        "{db:#}"
    );
    assert_eq!(db["selection"]["components"], json!(["databases"]));
    let (code, out, err) = run_on(
        f,
        "cnx-app1.example.com",
        &[
            "restore",
            "latest",
            "--set",
            SET,
            "--only",
            "provision",
            "--dry-run",
        ],
    );
    assert_eq!(code, Some(3), "{out}\n{err}");
    assert!(err.contains("provision rule"), "{err}");
}

/// The restore playbook's start (stand-in calls since `since_ns`): the dmgr, then every
/// node's syncNode, then the node agents, then the application servers; all seven servers
/// running.
fn assert_started_in_the_documented_order(f: &Fixture, since_ns: i64) {
    let syncs = f.event_times("synchronized");
    assert_eq!(syncs.len(), 2, "one syncNode per node host");
    let control = f.cell.control_log().unwrap();
    let started = |server: &dyn Fn(&str) -> bool| -> Vec<i64> {
        control
            .iter()
            .filter(|(_, e)| e.outcome == "started" && server(&e.server))
            .map(|(_, e)| log_time_ns(&e.time))
            .filter(|t| *t >= since_ns)
            .collect()
    };
    let dmgr = started(&|s| s == "dmgr");
    let agents = started(&|s| s == "nodeagent");
    let apps = started(&|s| s != "dmgr" && s != "nodeagent");
    assert_eq!(
        (dmgr.len(), agents.len(), apps.len()),
        (1, 2, 4),
        "{control:#?}"
    );
    assert!(
        syncs.iter().all(|t| *t > dmgr[0]),
        "a node synchronised before the dmgr ran"
    );
    let last_sync = *syncs.last().unwrap();
    assert!(
        agents.iter().all(|t| *t > last_sync),
        "a node agent started before syncNode"
    );
    assert!(apps.iter().all(|t| agents.iter().all(|a| a < t)));
    let running: usize = f
        .cell
        .hosts
        .iter()
        .map(|h| h.sample.running_servers().len())
        .sum();
    assert_eq!(running, 7);
}
