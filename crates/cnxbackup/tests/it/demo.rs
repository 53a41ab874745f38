//! `cnxbackup demo` end to end: the whole job succeeds on the sample, and a damaged pack
//! makes it fail with a message naming the damage.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

const STEPS: [&str; 11] = [
    "build",
    "init",
    "discover",
    "plan",
    "backup",
    "check",
    "failed-update",
    "gate-refuses",
    "restore",
    "verify-files",
    "verify-version",
];

fn demo(corrupt: bool) -> (i32, String, String) {
    let mut cmd = Command::cargo_bin("cnxbackup").unwrap();
    cmd.env_remove("CNXBACKUP_CONFIG")
        .env("CNXBACKUP_DEMO_SIZE", "tiny")
        .args(["demo", "--json"]);
    if corrupt {
        cmd.env("CNXBACKUP_DEMO_CORRUPT_AFTER_BACKUP", "1");
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn demo_runs_every_step_and_succeeds() {
    let (code, stdout, stderr) = demo(false);
    assert_eq!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(doc["ok"], true, "{doc:#}");
    let steps = doc["steps"].as_array().unwrap();
    for name in STEPS {
        let s = steps.iter().find(|s| s["step"] == name);
        assert!(s.is_some(), "no step {name} in {doc:#}");
        assert_eq!(s.unwrap()["result"], "ok", "{name}: {doc:#}");
        // and the human summary table names it
        assert!(
            stderr.lines().any(|l| l.starts_with(name)),
            "summary does not name {name}:\n{stderr}"
        );
    }
    // the refusal of the partial restore was shown
    assert!(stderr.contains("provision"), "{stderr}");
    // not --keep: everything removed
    let dir = std::path::PathBuf::from(doc["dir"].as_str().unwrap());
    assert!(!dir.exists(), "{} still exists", dir.display());
}

#[test]
fn demo_fails_and_names_a_damaged_pack() {
    let (code, stdout, stderr) = demo(true);
    assert_ne!(code, 0, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(doc["ok"], false);
    let check = doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "check")
        .unwrap()
        .clone();
    assert_eq!(check["result"], "FAILED", "{doc:#}");
    // the damaged pack is named by `check --read-data` (its id is the file name)
    let damaged = stderr
        .lines()
        .find_map(|l| l.split("flipped one byte of ").nth(1))
        .unwrap();
    let pack_id = std::path::Path::new(damaged.trim_end_matches(')'))
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains(&pack_id[..16]),
        "check's message does not name pack {pack_id}: {detail}"
    );
    assert!(stderr.contains("the demo failed at: check"), "{stderr}");
}
