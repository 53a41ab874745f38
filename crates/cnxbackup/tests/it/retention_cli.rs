//! forget / prune / unlock through the CLI, on a local repository and on the test S3 server
//! (s3s-fs, started by scripts/test; the S3 case fails with a hint when it is not running).
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn cnx(repo: &str) -> Command {
    let mut c = Command::cargo_bin("cnxbackup").unwrap();
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CNXBACKUP_PASSWORD", "retention-test")
        .env("CNXBACKUP_REPOSITORY", repo)
        .env("CNXBACKUP_CONFIG", "/dev/null");
    c
}

fn run_cycle(repo: &str, s3: Option<&[(&str, String)]>) {
    let src = tempfile::tempdir().unwrap();
    let file = src.path().join("f.txt");
    let with = |mut c: Command| {
        if let Some(vars) = s3 {
            for (k, v) in vars {
                c.env(k, v);
            }
        }
        c
    };
    with(cnx(repo)).arg("init").assert().success();
    for i in 0..3 {
        std::fs::write(&file, format!("version {i}\n").repeat(1000)).unwrap();
        with(cnx(repo))
            .args(["backup", "--path"])
            .arg(src.path())
            .assert()
            .success();
    }
    let out = with(cnx(repo))
        .args(["forget", "--keep-last", "1", "--dry-run"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert_eq!(text.matches("would remove").count(), 2, "{text}");
    // no rule: usage error
    with(cnx(repo)).arg("forget").assert().code(2);
    let out = with(cnx(repo))
        .args([
            "--json",
            "forget",
            "--keep-last",
            "1",
            "--prune",
            "--grace",
            "0",
        ])
        .assert()
        .success();
    let doc: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(doc["forget"]["removed"], 2, "{doc}");
    assert!(
        doc["prune"]["packs_deleted"].as_u64().unwrap() >= 1,
        "{doc}"
    );
    with(cnx(repo))
        .args(["check", "--read-data"])
        .assert()
        .success();
    let out = with(cnx(repo))
        .args(["--json", "snapshots"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(!text.is_empty());
    with(cnx(repo)).arg("unlock").assert().success();
    with(cnx(repo))
        .args(["prune", "--dry-run"])
        .assert()
        .success();
}

#[test]
fn forget_prune_unlock_on_a_local_repository() {
    let repo = tempfile::tempdir().unwrap();
    run_cycle(repo.path().to_str().unwrap(), None);
}

#[test]
fn forget_prune_on_s3_with_credentials_from_the_environment() {
    let var = |n: &str| {
        std::env::var(n).unwrap_or_else(|_| {
            panic!("{n} is not set: run the tests through scripts/test (it starts the S3 server)")
        })
    };
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let repo = format!("s3://{}/cli-{nonce:x}", var("CNXBACKUP_TEST_S3_BUCKET"));
    let vars = [
        ("CNXBACKUP_S3_ENDPOINT", var("CNXBACKUP_TEST_S3_ENDPOINT")),
        ("AWS_ACCESS_KEY_ID", var("CNXBACKUP_TEST_S3_ACCESS_KEY")),
        ("AWS_SECRET_ACCESS_KEY", var("CNXBACKUP_TEST_S3_SECRET_KEY")),
    ];
    run_cycle(&repo, Some(&vars));
    // a wrong secret: exit 1, names endpoint and bucket, never the secret
    let mut c = cnx(&repo);
    c.env("CNXBACKUP_S3_ENDPOINT", &vars[0].1)
        .env("AWS_ACCESS_KEY_ID", &vars[1].1)
        .env("AWS_SECRET_ACCESS_KEY", "wrong-secret-0815");
    let out = c.arg("snapshots").assert().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).to_string();
    assert!(err.contains("access denied"), "{err}");
    assert!(err.contains(&vars[0].1), "{err}");
    assert!(!err.contains("wrong-secret-0815"), "{err}");
}
