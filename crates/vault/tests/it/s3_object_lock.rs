//! S3 Object Lock (issue 18, tamper resistance): with
//! [`vault::storage::S3Options::object_lock`] every object a repository writes, but its
//! `locks/`, carries a retention until its write time
//! plus the configured period, and a delete of that version is refused. Run against moto's
//! S3 server (scripts/test starts it, `CNXBACKUP_TEST_LOCK_S3_*`), which keeps Object Lock
//! retention as S3 does; s3s-fs keeps none. Moto answers `GetObjectRetention` with the
//! object, so the retention is read where S3 also reports it: the `x-amz-object-lock-mode`
//! and `x-amz-object-lock-retain-until-date` headers of a `HEAD` of the object.
#![allow(clippy::unwrap_used)]

use crate::s3_common::{init_opts, S3Env};

use std::process::Command;
use std::time::Duration;

use vault::storage::{LockMode, ObjectLock, StoreErrorKind};
use vault::{BlobKind, Repository, Storage, StorageOptions};

/// The Object Lock test server's coordinates. Missing variables FAIL the test: run it
/// through scripts/test, which starts the server.
fn lock_env() -> S3Env {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the Object Lock tests need moto's S3 server; run them \
                 through scripts/test (it installs and starts it and exports \
                 CNXBACKUP_TEST_LOCK_S3_*), or `. scripts/lib/ensure.sh && start_lock_s3_server \
                 DIR` in your shell"
            )
        })
    };
    S3Env {
        endpoint: var("CNXBACKUP_TEST_LOCK_S3_ENDPOINT"),
        access_key: var("CNXBACKUP_TEST_LOCK_S3_ACCESS_KEY"),
        secret_key: var("CNXBACKUP_TEST_LOCK_S3_SECRET_KEY"),
        bucket: var("CNXBACKUP_TEST_LOCK_S3_BUCKET"),
    }
}

/// The test suite's S3 options for the lock server, with `lock` as the Object Lock setting.
fn options(env: &S3Env, lock: Option<ObjectLock>) -> StorageOptions {
    let mut options = crate::s3_common::options(env);
    options.s3.object_lock = lock;
    options
}

fn nonce() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!("{:x}", t ^ (u64::from(std::process::id()) << 32))
}

/// A signed request by curl (as scripts/lib/ensure.sh sends them): status, headers, body.
fn curl(env: &S3Env, method: &str, url: &str, extra: &[&str]) -> (u16, String, String) {
    let verb: &[&str] = if method == "HEAD" {
        &["-I"]
    } else {
        &["-X", method]
    };
    let out = Command::new("curl")
        .args(["-s", "-i", "--max-time", "10"])
        .args(verb)
        .args(["--aws-sigv4", "aws:amz:us-east-1:s3"])
        .arg("--user")
        .arg(format!("{}:{}", env.access_key, env.secret_key))
        .args(["-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD"])
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(out.status.success(), "curl {method} {url}: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

#[test]
fn every_object_but_locks_is_kept_until_its_retain_until_date() {
    let env = lock_env();
    let prefix = format!("tests/object-lock-{}", nonce());
    let url = format!("s3://{}/{prefix}", env.bucket);
    let lock = ObjectLock {
        mode: LockMode::Governance,
        retain: Duration::from_secs(2 * 86_400),
    };
    let before = jiff::Timestamp::now();
    let storage = Storage::from_url(&url, &options(&env, Some(lock))).unwrap();
    let repo = Repository::init(storage.clone(), "test-password", &init_opts()).unwrap();
    for i in 0..3u8 {
        let blob = vec![i; 50_000];
        repo.save_blob(BlobKind::Data, repo.id_of(&blob), &blob)
            .unwrap();
    }
    repo.flush().unwrap();
    // a lock object, written the way every operation writes its lock
    storage.write("locks/probe", b"{}".to_vec()).unwrap();
    let after = jiff::Timestamp::now();

    let objects = storage.list("").unwrap();
    let kinds = ["config", "keys/", "packs/", "index/"];
    for kind in kinds {
        assert!(
            objects.iter().any(|o| o.path.starts_with(kind)),
            "no {kind} object in {objects:?}"
        );
    }
    let base = format!("{}/{}/{prefix}", env.endpoint, env.bucket);
    let (earliest, latest) = (
        before.as_second() + 2 * 86_400,
        after.as_second() + 2 * 86_400,
    );
    for o in objects.iter().filter(|o| !o.path.starts_with("locks/")) {
        let (status, head, _) = curl(&env, "HEAD", &format!("{base}/{}", o.path), &[]);
        assert_eq!(status, 200, "{}: {head}", o.path);
        assert_eq!(
            header(&head, "x-amz-object-lock-mode"),
            Some("governance"),
            "{}: {head}",
            o.path
        );
        let until: jiff::Timestamp = header(&head, "x-amz-object-lock-retain-until-date")
            .unwrap_or_else(|| panic!("{}: no retain-until date: {head}", o.path))
            .to_ascii_uppercase()
            .parse()
            .unwrap();
        assert!(
            (earliest..=latest).contains(&until.as_second()),
            "{}: retained until {until}, expected write time + 2 days",
            o.path
        );
    }
    let (_, lock_head, _) = curl(&env, "HEAD", &format!("{base}/locks/probe"), &[]);
    assert_eq!(
        header(&lock_head, "x-amz-object-lock-mode"),
        None,
        "{lock_head}"
    );

    // A delete of the protected version is refused; the object stays readable.
    let (_, _, versions) = curl(
        &env,
        "GET",
        &format!(
            "{}/{}?versions&prefix={prefix}/config",
            env.endpoint, env.bucket
        ),
        &[],
    );
    let version = versions
        .split("<VersionId>")
        .nth(1)
        .and_then(|v| v.split("</VersionId>").next())
        .unwrap_or_else(|| panic!("no version of config: {versions}"));
    let (status, _, body) = curl(
        &env,
        "DELETE",
        &format!("{base}/config?versionId={version}"),
        &[],
    );
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("AccessDenied"), "{body}");
    drop(repo);
    Repository::open(storage, "test-password").unwrap();
}

#[test]
fn a_bucket_without_object_lock_is_refused_with_what_to_check() {
    let env = lock_env();
    let bucket = format!("cnxnolock-{}", nonce());
    let (status, _, body) = curl(&env, "PUT", &format!("{}/{bucket}", env.endpoint), &[]);
    assert_eq!(status, 200, "{body}");
    let lock = ObjectLock {
        mode: LockMode::Compliance,
        retain: Duration::from_secs(86_400),
    };
    let url = format!("s3://{bucket}/repo");
    let storage = Storage::from_url(&url, &options(&env, Some(lock))).unwrap();
    let err = Repository::init(storage, "test-password", &init_opts()).unwrap_err();
    let text = format!("{err}");
    assert!(text.contains("Object Lock enabled"), "{text}");
    assert_eq!(
        err.storage_kind(),
        Some(StoreErrorKind::Misconfigured),
        "{err:?}"
    );
    // the same bucket works without a retention asked for
    let storage = Storage::from_url(&format!("{url}2"), &options(&env, None)).unwrap();
    Repository::init(storage, "test-password", &init_opts()).unwrap();
}
