//! Declared components (`[[component]]`) and hooks (`[hooks]`) on the real binary (issues 17
//! and 18): a PostgreSQL database taken by `pg_dump` and given back by `psql` (the server
//! `scripts/test` starts), its version recorded and compared, a secret passed through a
//! file into the environment that never shows in a command line (`/proc/*/cmdline`, checked
//! while the command runs), the output, the manifest or the transcript; a failing and a
//! hanging component making the snapshot INCOMPLETE by name; preflight refusing a `stopped`
//! component that cannot run before any server stops; the hooks with the run's facts.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::backup_common::{Harness, PASSWORD};
use crate::cli_common::Schemas;
use runbook::manifest::{StepStatus, DECLARED_TRANSCRIPT};
use sample::Variant;

/// The PostgreSQL server of `scripts/test`: fails (on purpose) without it.
struct Pg {
    host: String,
    port: String,
    user: String,
}

fn pg() -> Pg {
    let var = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run the tests through scripts/test, which starts PostgreSQL")
        })
    };
    Pg {
        host: var("CNXBACKUP_TEST_PG_HOST"),
        port: var("CNXBACKUP_TEST_PG_PORT"),
        user: var("CNXBACKUP_TEST_PG_USER"),
    }
}

impl Pg {
    fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h", &self.host, "-p", &self.port, "-U", &self.user, "-d", db,
            ])
            .args(["-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The `env` table of a component that talks to this server.
    fn env_toml(&self) -> String {
        format!(
            "env = {{ PGHOST = {:?}, PGPORT = {:?}, PGUSER = {:?} }}",
            self.host, self.port, self.user
        )
    }
}

/// Drops the test database at the end.
struct Db<'a>(&'a Pg, String);

impl Drop for Db<'_> {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                &self.0.host,
                "-p",
                &self.0.port,
                "-U",
                &self.0.user,
                "-d",
                "postgres",
            ])
            .args(["-c", &format!("DROP DATABASE IF EXISTS \"{}\"", self.1)])
            .output();
    }
}

/// A database name no other test uses.
fn db_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}_{}_{}", std::process::id(), nanos % 1_000_000_000)
}

/// `KEY=VALUE` lines a hook wrote (`env | grep ^CNXBACKUP_`).
fn env_file(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A hook that writes its `CNXBACKUP_*` environment to `DIR/NAME.env`.
fn hook(dir: &Path, name: &str) -> String {
    format!(
        "[\"sh\", \"-c\", \"env | grep ^CNXBACKUP_ | sort > {}/{name}.env; echo {name} said hello\"]",
        dir.display()
    )
}

#[test]
fn a_postgres_database_is_backed_up_and_restored_through_declared_commands() {
    let pg = pg();
    let name = db_name("cnxdecl");
    pg.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
    let _drop = Db(&pg, name.clone());
    pg.psql(
        &name,
        "CREATE TABLE notes (id int PRIMARY KEY, body text);\
         INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g;",
    );
    let want = pg.psql(&name, "SELECT id, body FROM notes ORDER BY id");

    let mut h = Harness::new(Variant::V80Db2Ccm);
    let secret = format!("pg-secret-{}", std::process::id());
    let secret_file = h.dir.path().join("pg.password");
    std::fs::write(&secret_file, format!("{secret}\n")).unwrap();
    let hooks_dir = h.dir.path().join("hooks");
    std::fs::create_dir_all(&hooks_dir).unwrap();
    // the backup command first proves that no process shows the secret on its command
    // line and that cnxbackup's own password is not in its environment
    let backup = "for f in /proc/[0-9]*/cmdline; do \
        if tr '\\0' ' ' < \"$f\" 2>/dev/null | grep -qF -- \"$PGPASSWORD\"; then echo \"LEAK in $f\" >&2; exit 9; fi; done; \
        test -z \"$CNXBACKUP_PASSWORD\" || exit 8; \
        exec pg_dump --clean --if-exists \"$0\"";
    h.extra_config = format!(
        "\n[hooks]\nbefore_stop = {}\nafter_start = {}\n\n\
         [[component]]\nname = \"appdb\"\nwhen = \"running\"\n\
         backup = [\"sh\", \"-c\", {backup:?}, {name:?}]\n\
         restore = [\"psql\", \"-v\", \"ON_ERROR_STOP=1\", \"-q\", \"-d\", {name:?}]\n\
         version = \"psql -tA -d postgres -c 'SHOW server_version_num'\"\n\
         timeout_secs = 120\n{}\nsecret_env_files = {{ PGPASSWORD = {:?} }}\n",
        hook(&hooks_dir, "before_stop"),
        hook(&hooks_dir, "after_start"),
        pg.env_toml(),
        secret_file.display().to_string(),
    );
    h.sample.start_all().unwrap();
    let run = h.backup_with_env(&["--json", "--restart", "-v"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(&secret), "the secret shows in the output");
        assert!(!text.contains(PASSWORD), "the repository password shows");
    }
    let id = run.result()["snapshot"].as_str().unwrap().to_string();
    let snap = h.snapshot(&id);
    let m = snap.manifest();
    let d = &m.declared[0];
    assert_eq!(
        (d.name.as_str(), d.status),
        ("appdb", StepStatus::Ok),
        "{d:?}"
    );
    let server_version = pg.psql("postgres", "SHOW server_version_num");
    assert_eq!(d.version.as_deref(), Some(server_version.trim()));
    assert!(d.bytes > 0 && d.sha256.is_some());
    let dump = snap.read(&format!("{}/stream", d.stored_as));
    assert!(String::from_utf8_lossy(&dump).contains("note 250"));
    let transcript =
        String::from_utf8(snap.read(&format!("{}/{DECLARED_TRANSCRIPT}", d.stored_as))).unwrap();
    assert!(
        transcript.contains("SHOW server_version_num"),
        "{transcript}"
    );
    let manifest_json = String::from_utf8(m.to_json()).unwrap();
    for text in [&manifest_json, &transcript] {
        assert!(!text.contains(&secret), "the secret is in the snapshot");
    }
    // the hooks: before the stop, after the start, each with the run's facts and recorded
    let before = env_file(&hooks_dir.join("before_stop.env"));
    assert_eq!(before["CNXBACKUP_HOOK"], "before_stop");
    assert_eq!(before["CNXBACKUP_HOST"], m.host);
    assert_eq!(before["CNXBACKUP_PHASE"], "stop");
    assert!(!before.contains_key("CNXBACKUP_PASSWORD"));
    let after = env_file(&hooks_dir.join("after_start.env"));
    assert_eq!(after["CNXBACKUP_HOOK"], "after_start");
    let hooks: Vec<(&str, bool)> = m.hooks.iter().map(|x| (x.hook.as_str(), x.ok)).collect();
    assert_eq!(hooks, [("before_stop", true), ("after_start", true)]);
    assert!(m.hooks[0].output.contains("before_stop said hello"));
    // the phases: the component before the stop, the hook right before it
    let phases: Vec<String> = m.phases.iter().map(|p| format!("{:?}", p.phase)).collect();
    let at = |p: &str| phases.iter().position(|x| x == p).unwrap();
    assert!(
        at("Components") < at("Hook") && at("Hook") < at("Stop"),
        "{phases:?}"
    );

    // show (text and JSON) and plan name it
    let show = h.cmd().args(["show", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains("Declared components") && text.contains("appdb"),
        "{text}"
    );
    assert!(text.contains(server_version.trim()), "{text}");
    let plan = h
        .cmd()
        .args(["plan", "--no-sizes", "--json"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    Schemas::load().assert_valid("plan", &plan, "plan --json");
    assert_eq!(plan["declared_components"][0]["name"], "appdb");

    // the data changes; the restore of the component alone gives it back
    pg.psql(
        &name,
        "DELETE FROM notes WHERE id > 100; UPDATE notes SET body = 'changed'",
    );
    let restore = h
        .cmd()
        .args(["restore", "latest", "--only", "appdb", "--json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&restore.stderr);
    assert_eq!(restore.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&restore.stdout).unwrap();
    Schemas::load().assert_valid("restore", &report, "restore --json");
    assert_eq!(report["declared"][0]["status"], "restored", "{report:#}");
    assert!(report["components"].as_array().unwrap().is_empty());
    assert_eq!(
        pg.psql(&name, "SELECT id, body FROM notes ORDER BY id"),
        want
    );
    assert!(!stderr.contains(&secret));
}

#[test]
fn a_version_that_changed_refuses_the_restore_unless_allowed() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    let version_file = h.dir.path().join("version");
    std::fs::write(&version_file, "4.4.1\n").unwrap();
    let out = h.dir.path().join("restored");
    h.extra_config = format!(
        "\n[[component]]\nname = \"search\"\nbackup = \"printf snapshot-data\"\n\
         restore = [\"sh\", \"-c\", \"cat > {}\"]\nversion = \"cat {}\"\n",
        out.display(),
        version_file.display()
    );
    let run = h.backup(&["--no-stop", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&version_file, "5.0.0\n").unwrap();
    let refused = h
        .cmd()
        .args(["restore", "latest", "--only", "search"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("\"4.4.1\"") && stderr.contains("\"5.0.0\""),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is restored past the gate");
    let allowed = h
        .cmd()
        .args([
            "restore",
            "latest",
            "--only",
            "search",
            "--allow-version-mismatch",
        ])
        .output()
        .unwrap();
    assert_eq!(
        allowed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "snapshot-data");
}

#[test]
fn failing_and_hanging_components_make_the_snapshot_incomplete_by_name() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    let hooks_dir = h.dir.path().join("hooks");
    std::fs::create_dir_all(&hooks_dir).unwrap();
    h.extra_config = format!(
        "\n[hooks]\non_failure = {}\n\n\
         [[component]]\nname = \"good\"\nbackup = \"printf fine\"\n\n\
         [[component]]\nname = \"broken\"\nbackup = [\"sh\", \"-c\", \"echo 'mongodump: no reachable servers' >&2; exit 3\"]\n\n\
         [[component]]\nname = \"hangs\"\nwhen = \"stopped\"\nbackup = [\"sh\", \"-c\", \"sleep 60 & sleep 60\"]\ntimeout_secs = 1\n\n\
         [[component]]\nname = \"files\"\noutput = \"directory\"\nbackup = [\"sh\", \"-c\", \"echo x > {{dir}}/a.txt\"]\n",
        hook(&hooks_dir, "on_failure")
    );
    h.sample.start_all().unwrap();
    let started = std::time::Instant::now();
    let run = h.backup(&["--json", "--restart"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        started.elapsed().as_secs() < 50,
        "the timeout was not enforced"
    );
    assert!(
        run.stderr.contains("declared component broken"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("declared component hangs"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no reachable servers"),
        "{}",
        run.stderr
    );
    let id = run.result()["snapshot"].as_str().unwrap().to_string();
    let m = h.snapshot(&id).manifest();
    let failed: Vec<&str> = m
        .failed_steps
        .iter()
        .filter_map(|f| f.declared.as_deref())
        .collect();
    assert_eq!(failed, ["broken", "hangs"]);
    let status: BTreeMap<&str, StepStatus> = m
        .declared
        .iter()
        .map(|d| (d.name.as_str(), d.status))
        .collect();
    assert_eq!(status["good"], StepStatus::Ok);
    assert_eq!(status["files"], StepStatus::Ok);
    let hangs = m.declared.iter().find(|d| d.name == "hangs").unwrap();
    assert!(
        hangs.error.as_deref().unwrap().contains("timed out"),
        "{hangs:?}"
    );
    // the failed components' transcripts are kept, their partial data is not
    let listing = h.snapshot(&id).listing();
    assert!(listing.contains_key("/.cnxbackup/components/broken/transcript.log"));
    assert!(!listing.contains_key("/.cnxbackup/components/broken/stream"));
    assert!(listing.contains_key("/.cnxbackup/components/files/data/a.txt"));
    // on_failure ran with the run's facts
    let facts = env_file(&hooks_dir.join("on_failure.env"));
    assert_eq!(facts["CNXBACKUP_STATUS"], "incomplete");
    assert_eq!(facts["CNXBACKUP_EXIT_CODE"], "1");
    assert_eq!(facts["CNXBACKUP_SNAPSHOT"], id);
    assert!(facts.contains_key("CNXBACKUP_OUTAGE_SECONDS"), "{facts:?}");
    // check --set is not involved here; show names the failure
    let show = h.cmd().args(["show", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("declared component broken"), "{text}");
}

/// Runs `backup --json` and asserts it ends with `code`, its stderr naming each of `named`,
/// every one of the `running` servers still running and no snapshot written.
fn refused_with_nothing_stopped(h: &Harness, running: usize, code: i32, named: &[&str]) {
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, code, "{}", run.stderr);
    for text in named {
        assert!(run.stderr.contains(text), "{text}: {}", run.stderr);
    }
    assert_eq!(
        h.sample.running_servers().len(),
        running,
        "a server was stopped"
    );
    assert_eq!(h.snapshot_count(), 0);
}

#[test]
fn a_stopped_component_that_cannot_run_and_a_failing_before_stop_hook_stop_nothing() {
    let mut h = Harness::new(Variant::V80Db2Ccm);
    let hooks_dir = h.dir.path().join("hooks");
    std::fs::create_dir_all(&hooks_dir).unwrap();
    h.extra_config = "\n[[component]]\nname = \"cp\"\nwhen = \"stopped\"\nbackup = \"/nonexistent/kubectl get pods\"\n".into();
    h.sample.start_all().unwrap();
    let running = h.sample.running_servers().len();
    assert!(running > 0);
    refused_with_nothing_stopped(&h, running, 2, &["/nonexistent/kubectl"]);

    h.extra_config = format!(
        "\n[hooks]\nbefore_stop = [\"sh\", \"-c\", \"echo maintenance page failed >&2; exit 5\"]\non_failure = {}\n",
        hook(&hooks_dir, "on_failure")
    );
    refused_with_nothing_stopped(
        &h,
        running,
        1,
        &["before_stop hook failed", "maintenance page failed"],
    );
    let facts = env_file(&hooks_dir.join("on_failure.env"));
    assert_eq!(facts["CNXBACKUP_STATUS"], "failed");
    assert!(
        facts["CNXBACKUP_ERROR"].contains("before_stop"),
        "{facts:?}"
    );
}
