//! `cnxbackup key list|add|remove|passwd` and the password sources beside the file and the
//! environment (`--password-command`, systemd credentials) on the real binary: a second key
//! opens the repository, a changed password stops working, a removed key is gone, the last
//! key and (without --force) the key in use stay; a failing password command is a clear
//! error that never shows what it printed.

use crate::cli_common;
use crate::vault_common;

use std::fs;

use assert_cmd::Command;
use cli_common::json_result;
use vault_common::{Env, PASSWORD};

/// The binary with the repository but no password from the environment.
fn bare(env: &Env) -> Command {
    let mut c = env.cmd();
    c.env_remove("CNXBACKUP_PASSWORD")
        .env_remove("CNXBACKUP_PASSWORD_COMMAND")
        .env_remove("CREDENTIALS_DIRECTORY");
    c
}

fn pw_file(env: &Env, name: &str, password: &str) -> String {
    let path = env.root.path().join(name);
    fs::write(&path, format!("{password}\n")).unwrap();
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path.to_str().unwrap().to_string()
}

fn key_list(env: &Env, password_file: &str) -> serde_json::Value {
    json_result(
        bare(env).args(["--json", "--password-file", password_file, "key", "list"]),
        "key",
        "key list",
    )
}

fn opens(env: &Env, password_file: &str) -> bool {
    bare(env)
        .args(["--password-file", password_file, "snapshots"])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn a_second_key_opens_one_password_changes_one_key_goes_and_the_last_stays() {
    let env = Env::new();
    env.init();
    let first = pw_file(&env, "first.pw", PASSWORD);
    let second = pw_file(&env, "second.pw", "second-Password-456");
    let third = pw_file(&env, "third.pw", "third-Password-789");

    let added = json_result(
        env.cmd()
            .args(["--json", "key", "add", "--new-password-file", &second]),
        "key",
        "key add",
    );
    let second_id = added["key"].as_str().unwrap().to_string();
    assert!(opens(&env, &first) && opens(&env, &second));
    let keys = key_list(&env, &second);
    assert_eq!(keys["keys"].as_array().unwrap().len(), 2, "{keys}");
    let current: Vec<&str> = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["current"] == true)
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(current, [second_id.as_str()], "the key that opened it");

    // change the second password: it no longer opens, the new one does
    bare(&env)
        .args([
            "--password-file",
            &second,
            "key",
            "passwd",
            "--new-password-file",
            &third,
        ])
        .assert()
        .success();
    assert!(!opens(&env, &second));
    assert!(opens(&env, &third) && opens(&env, &first));

    // the key in use goes only with --force; another key may go
    let first_id = key_list(&env, &first)["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = bare(&env)
        .args(["--password-file", &first, "key", "remove", &first_id[..10]])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--force"));
    bare(&env)
        .args(["--password-file", &third, "key", "remove", &first_id[..10]])
        .assert()
        .success();
    assert!(!opens(&env, &first));

    // the last key stays, even with --force
    let last = key_list(&env, &third)["keys"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let refused = bare(&env)
        .args(["--password-file", &third, "key", "remove", "--force", &last])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("last readable key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(opens(&env, &third));
}

#[test]
fn a_password_command_and_a_systemd_credential_open_the_repository() {
    let env = Env::new();
    env.init();
    // the command's first line on stdout
    bare(&env)
        .args([
            "--password-command",
            &format!("printf '%s\\n' '{PASSWORD}'"),
            "snapshots",
        ])
        .assert()
        .success();
    bare(&env)
        .env("CNXBACKUP_PASSWORD_COMMAND", format!("echo {PASSWORD}"))
        .arg("snapshots")
        .assert()
        .success();
    // systemd's LoadCredential=cnxbackup-password:FILE
    let creds = env.root.path().join("creds");
    fs::create_dir(&creds).unwrap();
    fs::write(creds.join("cnxbackup-password"), format!("{PASSWORD}\n")).unwrap();
    bare(&env)
        .env("CREDENTIALS_DIRECTORY", &creds)
        .arg("snapshots")
        .assert()
        .success();
    // the environment outranks the credential: a wrong CNXBACKUP_PASSWORD is used and fails
    bare(&env)
        .env("CREDENTIALS_DIRECTORY", &creds)
        .env("CNXBACKUP_PASSWORD", "not-the-password")
        .arg("snapshots")
        .assert()
        .code(1);
    // a credential the config names must be there
    let cfg = env.root.path().join("c.toml");
    fs::write(&cfg, "[repository]\npassword_credential = \"offsite-pw\"\n").unwrap();
    let out = bare(&env)
        .env("CREDENTIALS_DIRECTORY", &creds)
        .args(["--config", cfg.to_str().unwrap(), "snapshots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("offsite-pw"));
}

#[test]
fn a_failing_password_command_is_a_clear_error_that_shows_nothing_it_printed() {
    let env = Env::new();
    env.init();
    let out = bare(&env)
        .args([
            "--password-command",
            "echo printed-secret-4411; echo oops >&2; exit 5",
            "-vv",
            "snapshots",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exit status: 5"), "{stderr}");
    assert!(stderr.contains("--password-command"), "{stderr}");
    // the command line is named once in the error; what it printed on stdout never appears
    assert!(!String::from_utf8_lossy(&out.stdout).contains("printed-secret-4411"));
    assert_eq!(stderr.matches("printed-secret-4411").count(), 1, "{stderr}");
    // a file and a command configured together are ambiguous
    let cfg = env.root.path().join("c.toml");
    fs::write(
        &cfg,
        "[repository]\npassword_file = \"/x\"\npassword_command = \"echo x\"\n",
    )
    .unwrap();
    let out = bare(&env)
        .args(["--config", cfg.to_str().unwrap(), "snapshots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("keep one"));
}
