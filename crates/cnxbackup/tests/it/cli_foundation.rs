//! The binary's foundation: version, help, configuration precedence, bad configuration and
//! exit codes, and stdout kept for the requested output.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// The binary with a clean environment: no CNXBACKUP_* from the developer's shell, and a
/// working directory without a stray cnxbackup.toml.
fn cnxbackup(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("cnxbackup").unwrap();
    for (name, _) in std::env::vars() {
        if name.starts_with("CNXBACKUP_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(dir);
    cmd
}

fn json_stdout(output: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn version_and_help_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    cnxbackup(dir.path())
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    cnxbackup(dir.path())
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("--sysroot"))
        .stdout(predicate::str::contains("--password-file"));
}

#[test]
fn unknown_flag_is_usage_error_2() {
    let dir = tempfile::tempdir().unwrap();
    cnxbackup(dir.path())
        .args(["config", "--no-such-flag"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--no-such-flag"));
}

#[test]
fn precedence_flag_over_env_over_file_over_default() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cnxbackup.toml"),
        "[repository]\nurl = \"/file/repo\"\n[websphere]\nusername = \"filewas\"\nstop_timeout_secs = 30\n",
    )
    .unwrap();

    // The file in the working directory is found by default.
    let out = cnxbackup(dir.path())
        .args(["config", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc = json_stdout(&out);
    assert_eq!(doc["values"]["repository.url"]["value"], "/file/repo");
    assert!(doc["values"]["repository.url"]["origin"]
        .as_str()
        .unwrap()
        .contains("line 2"));
    assert_eq!(
        doc["values"]["database.staging_dir"]["value"],
        "/var/tmp/cnxbackup"
    );
    assert_eq!(
        doc["values"]["database.staging_dir"]["origin"],
        "the default"
    );

    // Environment beats the file.
    let out = cnxbackup(dir.path())
        .args(["config", "--json"])
        .env("CNXBACKUP_REPOSITORY", "/env/repo")
        .env("CNXBACKUP_WEBSPHERE_STOP_TIMEOUT_SECS", "90")
        .output()
        .unwrap();
    let doc = json_stdout(&out);
    assert_eq!(doc["values"]["repository.url"]["value"], "/env/repo");
    assert_eq!(
        doc["values"]["repository.url"]["origin"],
        "environment variable CNXBACKUP_REPOSITORY"
    );
    assert_eq!(doc["values"]["websphere.stop_timeout_secs"]["value"], 90);
    assert_eq!(doc["values"]["websphere.username"]["value"], "filewas");

    // The flag beats the environment.
    let out = cnxbackup(dir.path())
        .args(["config", "--json", "--repo", "/flag/repo"])
        .env("CNXBACKUP_REPOSITORY", "/env/repo")
        .output()
        .unwrap();
    let doc = json_stdout(&out);
    assert_eq!(doc["values"]["repository.url"]["value"], "/flag/repo");
    assert_eq!(doc["values"]["repository.url"]["origin"], "option --repo");
}

#[test]
fn config_flag_beats_config_env() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(&a, "[database]\nvendor = \"db2\"\n").unwrap();
    std::fs::write(&b, "[database]\nvendor = \"oracle\"\n").unwrap();
    let out = cnxbackup(dir.path())
        .args(["config", "--json", "--config"])
        .arg(&a)
        .env("CNXBACKUP_CONFIG", &b)
        .output()
        .unwrap();
    assert_eq!(
        json_stdout(&out)["values"]["database.vendor"]["value"],
        "db2"
    );
    let out = cnxbackup(dir.path())
        .args(["config", "--json"])
        .env("CNXBACKUP_CONFIG", &b)
        .output()
        .unwrap();
    assert_eq!(
        json_stdout(&out)["values"]["database.vendor"]["value"],
        "oracle"
    );
}

/// Each kind of bad configuration: exit 2, and the message names the culprit.
#[test]
fn bad_configuration_exits_2_naming_the_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let cases: &[(&str, &[&str])] = &[
        (
            "[websphere]\nusername = \"wasadmin\"\npasword_file = \"/x\"\n",
            &[
                "bad.toml",
                "line 3",
                "websphere.pasword_file",
                "password_file",
            ],
        ),
        (
            "[websphere]\nforce_kill = \"yes please\"\n",
            &[
                "bad.toml",
                "line 2",
                "websphere.force_kill",
                "true or false",
            ],
        ),
        (
            "[database]\nmode = \"lukewarm\"\n",
            &["bad.toml", "line 2", "database.mode", "lukewarm", "offline"],
        ),
        (
            "[repository\nurl = 1\n",
            &["bad.toml", "not valid TOML", "line 1"],
        ),
    ];
    for (text, needles) in cases {
        std::fs::write(&file, text).unwrap();
        let assert = cnxbackup(dir.path())
            .args(["config", "--config"])
            .arg(&file)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        for needle in *needles {
            assert!(stderr.contains(needle), "{needle:?} not in {stderr:?}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("stack backtrace"), "{stderr}");
    }
}

#[test]
fn unreadable_config_file_exits_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.toml");
    cnxbackup(dir.path())
        .args(["config", "--config"])
        .arg(&missing)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read config file"))
        .stderr(predicate::str::contains("nowhere.toml"));
    // A directory where a file is expected (root can read anything, so this is the portable
    // way to get a read error).
    cnxbackup(dir.path())
        .args(["config", "--config"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read config file"));
}

#[test]
fn missing_password_file_exits_2_naming_it_and_its_origin() {
    let dir = tempfile::tempdir().unwrap();
    cnxbackup(dir.path())
        .args(["config", "--password-file", "/no/such/pw"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/pw"))
        .stderr(predicate::str::contains("option --password-file"));
    cnxbackup(dir.path())
        .arg("config")
        .env("CNXBACKUP_PASSWORD_FILE", "/no/such/env-pw")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/env-pw"))
        .stderr(predicate::str::contains("CNXBACKUP_PASSWORD_FILE"));
}

#[test]
fn password_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "Sup3rS3cret!\n").unwrap();
    let out = cnxbackup(dir.path())
        .args(["config", "--json", "-vvv", "--password-file"])
        .arg(&pw)
        .env("CNXBACKUP_WAS_PASSWORD", "WasS3cret")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains("Sup3rS3cret"), "{all}");
    assert!(!all.contains("WasS3cret"), "{all}");
}

#[test]
fn bad_sysroot_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    cnxbackup(dir.path())
        .args(["config", "--sysroot", "/no/such/root"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--sysroot /no/such/root"));
}

#[test]
fn json_errors_are_json_on_stdout_and_logs_stay_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let out = cnxbackup(dir.path())
        .args(["config", "--json", "-vv", "--sysroot", "/no/such/root"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc = json_stdout(&out);
    assert_eq!(doc["error"]["exit_code"], 2);
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/no/such/root"));
}
