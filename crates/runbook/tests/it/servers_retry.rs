//! Retry on "already in progress", with a hand-made profile: a fake server process whose
//! command line names the profile and server, and a `stopServer.sh` that first answers that
//! a stop is already in progress and then stops it.

#![allow(clippy::unwrap_used)] // test helpers

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use runbook::servers::{
    stop_all, ControlOptions, ControlProfile, ControlServer, ControlTopology, Outcome, ProfileKind,
    RunAs, ServerKind, WasCredentials,
};
use secret::Secret;

struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const STOP_SCRIPT: &str = r#"#!/bin/sh
# $1 = server; the rest are -username u -password p -timeout n
dir=$(cd "$(dirname "$0")/.." && pwd)
echo "$*" >> "$dir/calls.log"
if [ ! -e "$dir/first-call-done" ]; then
  touch "$dir/first-call-done"
  echo "ADMU0111E: Program exiting with error: a stop of server $1 is already in progress"
  exit 255
fi
pid=$(cat "$dir/logs/$1/$1.pid")
kill "$pid"
rm -f "$dir/logs/$1/$1.pid"
echo "ADMU4000I: Server $1 stop completed."
"#;

fn write_exec(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn servers_already_in_progress_is_retried_until_the_stop_completes() {
    let d = tempfile::tempdir().unwrap();
    let profile = d.path().join("profiles/AppSrv01");
    write_exec(&profile.join("bin/stopServer.sh"), STOP_SCRIPT);
    // A process whose command line names the profile and the server, like a WAS JVM.
    let fake = Reaped(
        Command::new("bash")
            .arg("-c")
            .arg(format!(
                "exec -a '{}/java -Dserver.root={} server1' sleep 60",
                profile.display(),
                profile.display()
            ))
            .spawn()
            .unwrap(),
    );
    let pid_file = profile.join("logs/server1/server1.pid");
    std::fs::create_dir_all(pid_file.parent().unwrap()).unwrap();
    std::fs::write(&pid_file, format!("{}\n", fake.0.id())).unwrap();
    // Give exec a moment so /proc shows the new command line.
    std::thread::sleep(Duration::from_millis(200));

    let topo = ControlTopology {
        profiles: vec![ControlProfile {
            name: "AppSrv01".into(),
            product_path: profile.clone(),
            path: profile.clone(),
            kind: ProfileKind::Standalone,
            servers: vec![ControlServer {
                name: "server1".into(),
                kind: ServerKind::ApplicationServer,
                node: "node1".into(),
                cluster: None,
            }],
        }],
    };
    let opts = ControlOptions {
        timeout: Duration::from_secs(10),
        attempts: 3,
        retry_pause: Duration::from_millis(100),
        verify_wait: Duration::from_secs(5),
        force_kill: false,
        kill_grace: Duration::from_secs(1),
        run_as: RunAs::Current,
    };
    let creds = WasCredentials::new("wasadmin", Secret::new("pw-xyz"));
    let report = stop_all(&topo, &creds, &opts).unwrap();
    let o = &report.servers[0];
    assert_eq!(o.outcome, Outcome::Stopped, "{report:#?}");
    assert_eq!(o.attempts, 2);
    assert_eq!(o.pid, Some(fake.0.id()));
    assert_eq!(o.messages, ["ADMU0111E", "ADMU4000I"]);
    // The script got the server, the credentials and the timeout.
    let calls = std::fs::read_to_string(profile.join("calls.log")).unwrap();
    assert_eq!(
        calls.lines().next().unwrap(),
        "server1 -username wasadmin -password pw-xyz -timeout 10"
    );
    assert!(!format!("{report:?}").contains("pw-xyz"));
}
