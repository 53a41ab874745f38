//! Monitoring (`[notify]`, issue 18) on the real binary: the Healthchecks-style pings a local
//! HTTP server receives on success and on failure (paths and bodies), the Prometheus textfile
//! written after each run (parsed as the text exposition format), a monitor that does not
//! answer never changing the backup's result, and `check --max-age`.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::backup_common::Harness;
use crate::cli_common::{documents, Schemas};
use crate::vault_common::Env;
use sample::Variant;

/// One request the monitor received: `POST /path` and the body.
#[derive(Debug, Clone)]
struct Received {
    request: String,
    body: String,
}

/// A loopback HTTP server that answers every request 200 and remembers it (the thread ends
/// with the test process).
struct Monitor {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Monitor {
    fn start() -> Monitor {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                if let Some(r) = answer(conn) {
                    log.lock().unwrap().push(r);
                }
            }
        });
        Monitor { port, received }
    }

    /// The check URL: its uuid-like path is the secret.
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/ping/secret-uuid-4711", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// Reads one request (request line, headers, Content-Length body) and answers 200.
fn answer(conn: std::net::TcpStream) -> Option<Received> {
    let mut reader = BufReader::new(conn);
    let mut request = String::new();
    reader.read_line(&mut request).ok()?;
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let mut conn = reader.into_inner();
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
        .ok()?;
    Some(Received {
        request: request.trim().to_string(),
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// The samples of a Prometheus text-format file, keyed `name{labels}` as written, after
/// checking the grammar line by line: `# HELP`/`# TYPE` comments, every sample's family
/// declared (as a gauge) before it, names and label values well-formed, values numbers.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let name = regex::Regex::new(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$").unwrap();
    let sample = regex::Regex::new(
        r#"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (\S+)$"#,
    )
    .unwrap();
    assert!(text.ends_with('\n'), "the file ends with a newline");
    let mut typed = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (family, kind) = rest.split_once(' ').unwrap();
            assert!(name.is_match(family), "{line}");
            assert_eq!(kind, "gauge", "{line}");
            assert!(!typed.contains(&family.to_string()), "TYPE twice: {line}");
            typed.push(family.to_string());
        } else if let Some(rest) = line.strip_prefix("# HELP ") {
            let (family, help) = rest.split_once(' ').unwrap();
            assert!(name.is_match(family) && !help.is_empty(), "{line}");
        } else {
            let caps = sample
                .captures(line)
                .unwrap_or_else(|| panic!("not a sample line: {line:?}"));
            let family = &caps[1];
            assert!(
                typed.last().map(String::as_str) == Some(family),
                "sample before its TYPE line: {line}"
            );
            let value: f64 = caps[3].parse().unwrap();
            let key = format!("{family}{}", caps.get(2).map_or("", |m| m.as_str()));
            assert!(samples.insert(key, value).is_none(), "duplicate: {line}");
        }
    }
    samples
}

fn metrics(path: &Path) -> BTreeMap<String, f64> {
    parse_prometheus(&std::fs::read_to_string(path).unwrap())
}

#[test]
fn a_complete_backup_pings_start_and_success_and_writes_the_metrics() {
    let monitor = Monitor::start();
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let prom = h.dir.path().join("textfile/cnxbackup.prom");
    std::fs::create_dir_all(prom.parent().unwrap()).unwrap();
    let url = monitor.url();
    let run = h.backup_with_env(
        &["--json", "--restart"],
        &[
            ("CNXBACKUP_NOTIFY_URL", &url),
            ("CNXBACKUP_NOTIFY_METRICS_FILE", prom.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let snapshot = run.result()["snapshot"].as_str().unwrap().to_string();

    let got = monitor.received();
    let requests: Vec<&str> = got.iter().map(|r| r.request.as_str()).collect();
    assert_eq!(
        requests,
        [
            "POST /ping/secret-uuid-4711/start HTTP/1.1",
            "POST /ping/secret-uuid-4711 HTTP/1.1"
        ]
    );
    let body = &got[1].body;
    assert!(
        body.starts_with(&format!(
            "cnxbackup backup on {}: snapshot {} complete",
            h.snapshot(&snapshot).manifest().host,
            &snapshot[..8]
        )),
        "{body}"
    );
    assert!(body.contains("servers down "), "{body}");
    assert!(body.ends_with("exit code 0\n"), "{body}");
    assert!(!run.stderr.contains("secret-uuid-4711"), "{}", run.stderr);

    let m = metrics(&prom);
    let host = h.snapshot(&snapshot).manifest().host;
    let at = |family: &str| m[&format!("cnxbackup_backup_{family}{{host=\"{host}\"}}")];
    assert_eq!(at("last_run_success"), 1.0);
    assert_eq!(at("last_run_exit_code"), 0.0);
    assert_eq!(at("snapshot_complete"), 1.0);
    assert_eq!(
        at("last_success_timestamp_seconds"),
        at("last_run_timestamp_seconds")
    );
    assert!(at("last_run_duration_seconds") > 0.0);
    // --restart brought the servers back: the outage is known and shorter than the run
    assert!(at("outage_seconds") > 0.0 && at("outage_seconds") <= at("last_run_duration_seconds"));
    let shared = format!(
        "cnxbackup_backup_component_status{{host=\"{host}\",component=\"shared_data\",status=\"ok\"}}"
    );
    assert_eq!(m.get(&shared), Some(&1.0), "{m:#?}");
}

#[test]
fn an_incomplete_backup_pings_fail_with_the_exit_code_and_keeps_the_last_success_time() {
    let monitor = Monitor::start();
    let h = Harness::new(Variant::V80Db2Ccm);
    let prom = h.dir.path().join("cnxbackup.prom");
    // the previous run's file: its last success time is carried over
    std::fs::write(
        &prom,
        "# HELP cnxbackup_backup_last_success_timestamp_seconds x\n\
         # TYPE cnxbackup_backup_last_success_timestamp_seconds gauge\n\
         cnxbackup_backup_last_success_timestamp_seconds{host=\"old\"} 1767225600\n",
    )
    .unwrap();
    h.sample.start_all().unwrap();
    h.sample.knobs().fail_db_backup(Some("FILES")).unwrap();
    let url = monitor.url();
    let run = h.backup_with_env(
        &["--json"],
        &[
            ("CNXBACKUP_NOTIFY_URL", &url),
            ("CNXBACKUP_NOTIFY_METRICS_FILE", prom.to_str().unwrap()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);

    let got = monitor.received();
    let requests: Vec<&str> = got.iter().map(|r| r.request.as_str()).collect();
    assert_eq!(
        requests,
        [
            "POST /ping/secret-uuid-4711/start HTTP/1.1",
            "POST /ping/secret-uuid-4711/fail HTTP/1.1"
        ]
    );
    let body = &got[1].body;
    assert!(body.contains(" INCOMPLETE"), "{body}");
    assert!(
        body.contains("\nexit code 1\nbackup INCOMPLETE: "),
        "{body}"
    );
    assert!(body.contains("FILES"), "{body}");

    let m = metrics(&prom);
    let host = h.snapshots()[0].host.clone();
    let at = |family: &str| m[&format!("cnxbackup_backup_{family}{{host=\"{host}\"}}")];
    assert_eq!(at("last_run_success"), 0.0);
    assert_eq!(at("last_run_exit_code"), 1.0);
    assert_eq!(at("snapshot_complete"), 0.0);
    assert_eq!(at("last_success_timestamp_seconds"), 1_767_225_600.0);
    // no --restart: the servers stay down, the outage is not known (no sample)
    assert!(!m.keys().any(|k| k.contains("outage_seconds")), "{m:#?}");
}

#[test]
fn a_paths_backup_reports_bytes_added_and_a_failed_one_pings_fail() {
    let monitor = Monitor::start();
    let env = Env::new();
    env.init();
    std::fs::write(env.src().join("a.txt"), b"monitored data").unwrap();
    let prom = env.root.path().join("cnxbackup.prom");
    let url = monitor.url();
    let out = env
        .cmd()
        .env("CNXBACKUP_NOTIFY_URL", &url)
        .env("CNXBACKUP_NOTIFY_METRICS_FILE", &prom)
        .args(["backup", "--host", "e2e", "--path", "."])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = metrics(&prom);
    assert!(
        m[r#"cnxbackup_backup_bytes_added{host="e2e"}"#] > 0.0,
        "{m:#?}"
    );
    assert_eq!(m[r#"cnxbackup_backup_last_run_success{host="e2e"}"#], 1.0);

    // a wrong password: no snapshot, exit 1, the fail ping says why without the secret
    let out = env
        .cmd()
        .env("CNXBACKUP_PASSWORD", "wrong-password")
        .env("CNXBACKUP_NOTIFY_URL", &url)
        .env("CNXBACKUP_NOTIFY_METRICS_FILE", &prom)
        .args(["backup", "--host", "e2e", "--path", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let got = monitor.received();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(got[2].request, "POST /ping/secret-uuid-4711/start HTTP/1.1");
    assert_eq!(got[3].request, "POST /ping/secret-uuid-4711/fail HTTP/1.1");
    assert!(
        got[3]
            .body
            .starts_with("cnxbackup backup on e2e: failed, no snapshot written"),
        "{}",
        got[3].body
    );
    assert!(got[3].body.contains("\nexit code 1\n"), "{}", got[3].body);
    assert!(!got[3].body.contains("wrong-password"), "{}", got[3].body);
    let m = metrics(&prom);
    assert_eq!(m[r#"cnxbackup_backup_last_run_success{host="e2e"}"#], 0.0);
    assert!(m[r#"cnxbackup_backup_last_success_timestamp_seconds{host="e2e"}"#] > 0.0);
    assert!(!m.keys().any(|k| k.contains("bytes_added")), "{m:#?}");
}

#[test]
fn a_monitor_that_is_down_leaves_the_backup_successful_with_a_masked_warning() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = Env::new();
    env.init();
    std::fs::write(env.src().join("a.txt"), b"x").unwrap();
    let out = env
        .cmd()
        .env(
            "CNXBACKUP_NOTIFY_URL",
            format!("http://127.0.0.1:{port}/ping/down-secret-0815"),
        )
        .env("CNXBACKUP_NOTIFY_TIMEOUT_SECS", "2")
        .args(["backup", "--path", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: notify http://127.0.0.1"),
        "{stderr}"
    );
    assert!(!stderr.contains("down-secret-0815"), "{stderr}");
}

#[test]
fn a_bad_notify_url_is_a_configuration_error_that_does_not_show_it() {
    let env = Env::new();
    env.init();
    let out = env
        .cmd()
        .env("CNXBACKUP_NOTIFY_URL", "ftp://hc.example/bad-secret-42")
        .args(["backup", "--path", "."])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("notify.url"), "{stderr}");
    assert!(!stderr.contains("bad-secret-42"), "{stderr}");
    // `config` shows where the URL goes, not the URL
    let out = env
        .cmd()
        .env(
            "CNXBACKUP_NOTIFY_URL",
            "https://hc.example/ping/show-secret-7",
        )
        .args(["--json", "config"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("https://hc.example/***"), "{stdout}");
    assert!(!stdout.contains("show-secret-7"), "{stdout}");
}

#[test]
fn check_max_age_passes_a_fresh_backup_and_fails_an_old_or_missing_one() {
    let env = Env::new();
    env.init();
    std::fs::write(env.src().join("a.txt"), b"x").unwrap();
    env.backup(); // host e2e
    let schemas = Schemas::load();
    let check = |args: &[&str]| env.cmd().args(args).output().unwrap();

    let fresh = check(&["--json", "check", "--max-age", "1d", "--host", "e2e"]);
    assert!(
        fresh.status.success(),
        "{}",
        String::from_utf8_lossy(&fresh.stderr)
    );
    let doc = &documents(&String::from_utf8_lossy(&fresh.stdout))[0];
    schemas.assert_valid("check", doc, "check --max-age (fresh)");
    assert_eq!(
        (doc["ok"].as_bool(), doc["host"].as_str()),
        (Some(true), Some("e2e"))
    );
    assert_eq!(doc["max_age_seconds"], 86_400);

    // older than the limit: the snapshot is at least 2 s old, the limit 1 s
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let old = check(&["check", "--max-age", "1s", "--host", "e2e"]);
    assert_eq!(old.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&old.stdout);
    assert!(stdout.contains("(TOO OLD); limit 1s"), "{stdout}");

    // another host has no backup at all
    let none = check(&["--json", "check", "--max-age", "8d", "--host", "cnx9"]);
    assert_eq!(none.status.code(), Some(3));
    let doc = &documents(&String::from_utf8_lossy(&none.stdout))[0];
    schemas.assert_valid("check", doc, "check --max-age (none)");
    assert_eq!(doc["newest"], serde_json::Value::Null);
    assert_eq!(doc["fresh"], false);

    let bad = check(&["check", "--max-age", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
}
