//! `cnxbackup copy --to` on the real binary: fs -> S3 (the destination's own config file
//! with its [s3] credentials and password) -> fs; `check --read-data` on each copy; a
//! restore from the copy of the copy equals the source; a second run sends nothing; each
//! side keeps its own retention; a copy killed part-way is finished by the next run.

use crate::cli_common;
use crate::vault_common;

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use cli_common::json_result;
use vault_common::{assert_same, make_everything, noise, Env};

fn s3_var(n: &str) -> String {
    std::env::var(n).unwrap_or_else(|_| {
        panic!("{n} is not set: run the tests through scripts/test (it starts the S3 server)")
    })
}

/// `copy --json` with `extra` arguments; the report, checked against its schema.
fn copy_json(mut cmd: Command, extra: &[&str]) -> serde_json::Value {
    json_result(cmd.args(["--json", "copy"]).args(extra), "copy", "copy")
}

/// The binary on another repository with its own password.
fn on(env: &Env, repo: &str, password: &str) -> Command {
    let mut c = env.cmd();
    c.env("CNXBACKUP_REPOSITORY", repo)
        .env("CNXBACKUP_PASSWORD", password);
    c
}

fn read_data_clean(mut cmd: Command) {
    let out = cmd.args(["check", "--read-data"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fs_to_s3_to_fs_restores_the_source_and_each_side_keeps_its_own_retention() {
    let env = Env::new();
    make_everything(&env.src());
    env.init();
    let first = env.backup()["snapshot"].as_str().unwrap().to_string();
    fs::write(env.src().join("later.bin"), noise(300_000, 5)).unwrap();
    let second = env.backup()["snapshot"].as_str().unwrap().to_string();

    // the S3 destination: its own config file (endpoint, key id, secret file, password)
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let s3_url = format!("s3://{}/copy-{nonce:x}", s3_var("CNXBACKUP_TEST_S3_BUCKET"));
    let dir = env.root.path();
    fs::write(
        dir.join("s3.secret"),
        s3_var("CNXBACKUP_TEST_S3_SECRET_KEY"),
    )
    .unwrap();
    fs::write(dir.join("offsite.pw"), "offsite-Password-1\n").unwrap();
    let offsite_cfg = dir.join("offsite.toml");
    fs::write(
        &offsite_cfg,
        format!(
            "[repository]\nurl = \"{s3_url}\"\npassword_file = \"offsite.pw\"\n\
             [s3]\nendpoint = \"{}\"\naccess_key_id = \"{}\"\nsecret_access_key_file = \"s3.secret\"\n",
            s3_var("CNXBACKUP_TEST_S3_ENDPOINT"),
            s3_var("CNXBACKUP_TEST_S3_ACCESS_KEY"),
        ),
    )
    .unwrap();
    let cfg = offsite_cfg.to_str().unwrap();
    let r = copy_json(env.cmd(), &["--to-config", cfg, &first]);
    assert_eq!(r["copied"], serde_json::json!([first]), "{r}");
    assert!(r["blobs_copied"].as_u64().unwrap() > 0, "{r}");
    let r = copy_json(env.cmd(), &["--to-config", cfg]);
    assert_eq!(r["copied"], serde_json::json!([second]), "{r}");
    assert_eq!(r["present"], serde_json::json!([first]), "{r}");
    assert!(
        r["blobs_present"].as_u64().unwrap() > 0,
        "shared data not sent twice: {r}"
    );
    let again = copy_json(env.cmd(), &["--to-config", cfg]);
    assert_eq!(again["blobs_copied"], 0, "{again}");
    assert_eq!(again["copied"], serde_json::json!([]), "{again}");

    // the S3 copy, opened with its own settings, checks clean and copies on to a directory
    let s3 = || {
        let mut c = env.cmd();
        c.env_remove("CNXBACKUP_REPOSITORY")
            .env_remove("CNXBACKUP_PASSWORD")
            .args(["--config", cfg]);
        c
    };
    read_data_clean(s3());
    let back = dir.join("back");
    let mut c = s3();
    c.env("CNXBACKUP_TO_PASSWORD", "back-Password-2");
    let r = copy_json(c, &["--to", back.to_str().unwrap()]);
    assert_eq!(r["copied"].as_array().unwrap().len(), 2, "{r}");
    let back = back.to_str().unwrap();
    read_data_clean(on(&env, back, "back-Password-2"));
    let target = dir.join("restored");
    on(&env, back, "back-Password-2")
        .args(["restore", &second, "--target"])
        .arg(&target)
        .assert()
        .success();
    assert_same(&env.src(), &target);

    // retention is each side's own: the copy forgets the older snapshot, the source keeps both
    on(&env, back, "back-Password-2")
        .args(["forget", "--keep-last", "1"])
        .assert()
        .success();
    let out = env.cmd().args(["--json", "snapshots"]).output().unwrap();
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed["snapshots"].as_array().unwrap().len(), 2);
}

#[test]
fn a_copy_killed_part_way_is_finished_by_the_next_run() {
    let env = Env::new();
    for i in 0..24u64 {
        fs::write(env.src().join(format!("f{i:02}")), noise(1_000_000, i)).unwrap();
    }
    env.init();
    let id = env.backup()["snapshot"].as_str().unwrap().to_string();
    let offsite = env.root.path().join("offsite");
    let offsite = offsite.to_str().unwrap();
    // killed at several points; each run gets further (packs indexed by checkpoints stay)
    for delay_ms in [150u64, 400, 900] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cnxbackup"))
            .current_dir(env.src())
            .env("CNXBACKUP_REPOSITORY", env.repo())
            .env("CNXBACKUP_PASSWORD", vault_common::PASSWORD)
            .env("CNXBACKUP_TO_PASSWORD", "offsite-Password-3")
            .env("CNXBACKUP_CHECKPOINT_SECS", "0")
            .env("HOME", env.root.path())
            .args(["copy", "--to", offsite])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut c = env.cmd();
    c.env("CNXBACKUP_TO_PASSWORD", "offsite-Password-3");
    let r = copy_json(c, &["--to", offsite]);
    let copied = r["copied"].as_array().unwrap().len() + r["present"].as_array().unwrap().len();
    assert_eq!(copied, 1, "{r}");
    read_data_clean(on(&env, offsite, "offsite-Password-3"));
    let target = env.root.path().join("restored");
    on(&env, offsite, "offsite-Password-3")
        .args(["restore", &id, "--target"])
        .arg(&target)
        .assert()
        .success();
    assert_same(&env.src(), &target);
}
