//! The most verbose logs (`-vvv`, `CNXBACKUP_LOG=trace`) hold no secret: the real binary, on
//! the test S3 server (s3s-fs, started by scripts/test; the S3 cases fail with a hint when it
//! is not running) and on a local directory.
//!
//! Nothing of cnxbackup's logs a secret on purpose, so to prove the masking works the
//! repository path is made to contain the secrets: the storage crates log that path at debug
//! level, and each occurrence must come out as `***`.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;
use std::path::Path;

const REPO_PASSWORD: &str = "log-test-repo-pw-2718";

fn cnx() -> Command {
    let mut c = Command::cargo_bin("cnxbackup").unwrap();
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CNXBACKUP_CONFIG", "/dev/null");
    c
}

fn nonce() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}

/// Runs `c` (expected to succeed) and returns its stderr, the log.
fn log_of(mut c: Command) -> String {
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

/// The log has debug lines (so the test saw something) and none of `secrets`.
fn assert_verbose_and_clean(log: &str, secrets: &[&str]) {
    assert!(log.contains("DEBUG"), "no debug lines were logged:\n{log}");
    for s in secrets {
        assert!(!log.contains(s), "the log shows a secret:\n{log}");
    }
}

struct S3 {
    endpoint: String,
    access_key: String,
    secret_key: String,
    bucket: String,
}

fn s3() -> S3 {
    let var = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run the tests through scripts/test (it starts the S3 server)")
        })
    };
    S3 {
        endpoint: var("CNXBACKUP_TEST_S3_ENDPOINT"),
        access_key: var("CNXBACKUP_TEST_S3_ACCESS_KEY"),
        secret_key: var("CNXBACKUP_TEST_S3_SECRET_KEY"),
        bucket: var("CNXBACKUP_TEST_S3_BUCKET"),
    }
}

/// `init` of a fresh S3 repository whose prefix holds the repository password.
fn s3_init(s3: &S3) -> Command {
    let mut c = cnx();
    c.env("CNXBACKUP_S3_ENDPOINT", &s3.endpoint)
        .env("AWS_ACCESS_KEY_ID", &s3.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key)
        .env("CNXBACKUP_PASSWORD", REPO_PASSWORD)
        .env(
            "CNXBACKUP_REPOSITORY",
            format!("s3://{}/log-secrets-{}-{REPO_PASSWORD}", s3.bucket, nonce()),
        );
    c
}

#[test]
fn s3_trace_at_vvv_shows_neither_the_s3_secret_nor_the_repository_password() {
    let s3 = s3();
    let mut c = s3_init(&s3);
    c.args(["-vvv", "init"]);
    let log = log_of(c);
    assert!(log.contains("TRACE"), "{log}");
    assert_verbose_and_clean(&log, &[&s3.secret_key, REPO_PASSWORD]);
    assert!(log.contains("-***"), "prefix not masked:\n{log}");
}

#[test]
fn s3_cnxbackup_log_trace_cannot_bring_back_the_credential_crates() {
    let s3 = s3();
    // The whole trace, and then a user who asks for the signer by name.
    for directive in [
        "trace",
        "trace,reqsign=trace,reqsign_core=trace,reqsign_core::api=trace,\
         reqsign_aws_v4::sign_request=trace",
    ] {
        let mut c = s3_init(&s3);
        // -vv shows each line's target, so a reqsign line would be seen by its name.
        c.env("CNXBACKUP_LOG", directive).args(["-vv", "init"]);
        let log = log_of(c);
        assert!(log.contains("TRACE"), "{directive}: {log}");
        assert!(log.contains("vault::repo"), "targets not shown:\n{log}");
        assert_verbose_and_clean(&log, &[&s3.secret_key, REPO_PASSWORD]);
        assert!(!log.contains("reqsign"), "{directive}: {log}");
        assert!(!log.contains("string to sign"), "{directive}: {log}");
    }
}

/// A local repository whose path holds `secrets`, as a string.
fn local_repo(dir: &Path, secrets: &[&str]) -> String {
    dir.join(format!("repo-{}", secrets.join("-")))
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn local_repository_password_and_secret_variables_are_masked_at_vvv_and_at_log_trace() {
    let aws_secret = "log-test-aws-secret-1414";
    let aws_token = "log-test-aws-token-1732";
    let secrets = [REPO_PASSWORD, aws_secret, aws_token];
    for how in ["-vvv", "CNXBACKUP_LOG=trace"] {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cnx();
        c.env("CNXBACKUP_PASSWORD", REPO_PASSWORD)
            .env("AWS_SECRET_ACCESS_KEY", aws_secret)
            .env("AWS_SESSION_TOKEN", aws_token)
            .env("CNXBACKUP_REPOSITORY", local_repo(dir.path(), &secrets));
        match how {
            "-vvv" => c.arg("-vvv"),
            _ => c.env("CNXBACKUP_LOG", "trace"),
        };
        c.arg("init");
        let log = log_of(c);
        assert_verbose_and_clean(&log, &secrets);
        assert!(log.contains("repo-***-***-***"), "{how}: {log}");
    }
}

#[test]
fn local_repository_password_from_a_file_is_masked_at_vvv() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("repo.pw");
    std::fs::write(&pw, format!("{REPO_PASSWORD}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let repo = local_repo(dir.path(), &[REPO_PASSWORD]);
    let mut c = cnx();
    c.arg("--password-file")
        .arg(&pw)
        .args(["--repo", &repo, "-vvv", "init"]);
    let log = log_of(c);
    assert_verbose_and_clean(&log, &[REPO_PASSWORD]);
    assert!(log.contains("repo-***"), "{log}");
    // The password opens the repository it created, and the log of that is as clean.
    let mut c = cnx();
    c.arg("--password-file")
        .arg(&pw)
        .args(["--repo", &repo, "-vvv", "snapshots"]);
    assert_verbose_and_clean(&log_of(c), &[REPO_PASSWORD]);
}

#[test]
fn an_error_message_quoting_a_secret_shows_it_masked() {
    // The repository does not exist: the error names its path, which holds the password.
    let dir = tempfile::tempdir().unwrap();
    let repo = local_repo(dir.path(), &[REPO_PASSWORD]);
    let out = cnx()
        .env("CNXBACKUP_PASSWORD", REPO_PASSWORD)
        .args(["--repo", &repo, "--json", "snapshots"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("cnxbackup: error:"), "{stderr}");
    assert!(
        stderr.contains("repo-***"),
        "the error does not name the path: {stderr}"
    );
    assert!(!stderr.contains(REPO_PASSWORD), "{stderr}");
    assert!(!stdout.contains(REPO_PASSWORD), "{stdout}");
}
