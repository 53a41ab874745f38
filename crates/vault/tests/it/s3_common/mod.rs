//! Shared helpers of the S3 tests: the test server started by scripts/test (s3s-fs on
//! 127.0.0.1), a fresh prefix per test, repositories on it.
#![allow(clippy::unwrap_used, dead_code)]

use vault::storage::{S3Options, Secret};
use vault::{InitOptions, KdfParams, Repository, Storage, StorageOptions};

pub struct S3Env {
    pub endpoint: String,
    pub access_key: String,
    pub secret_key: String,
    pub bucket: String,
}

/// The test server's coordinates. Missing variables FAIL the test (they are not a reason to
/// skip): the suite must be run through scripts/test, which starts the server.
pub fn s3_env() -> S3Env {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!(
                "{name} is not set: the S3 tests need the test S3 server; run them through \
                 scripts/test (it installs and starts s3s-fs and exports CNXBACKUP_TEST_S3_*), \
                 or `. scripts/lib/ensure.sh && start_s3_server` in your shell"
            )
        })
    };
    S3Env {
        endpoint: var("CNXBACKUP_TEST_S3_ENDPOINT"),
        access_key: var("CNXBACKUP_TEST_S3_ACCESS_KEY"),
        secret_key: var("CNXBACKUP_TEST_S3_SECRET_KEY"),
        bucket: var("CNXBACKUP_TEST_S3_BUCKET"),
    }
}

pub fn options(env: &S3Env) -> StorageOptions {
    StorageOptions {
        s3: S3Options {
            endpoint: Some(env.endpoint.clone()),
            access_key_id: Some(env.access_key.clone()),
            secret_access_key: Some(Secret::new(env.secret_key.clone())),
            retries: Some(2),
            ..S3Options::default()
        },
    }
}

/// `s3://BUCKET/tests/NAME-<random>`: every test run gets its own repository.
pub fn unique_url(env: &S3Env, name: &str) -> String {
    let nonce: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id()) << 32;
    format!("s3://{}/tests/{name}-{nonce:x}", env.bucket)
}

pub fn storage(url: &str) -> Storage {
    Storage::from_url(url, &options(&s3_env())).unwrap()
}

pub fn init_opts() -> InitOptions {
    InitOptions {
        kdf: KdfParams::insecure_fast(),
        pack_size: 1024 * 1024,
        ..InitOptions::default()
    }
}

pub fn init_s3(url: &str) -> Repository {
    Repository::init(storage(url), "test-password", &init_opts()).unwrap()
}

pub fn open_s3(url: &str) -> Repository {
    Repository::open(storage(url), "test-password").unwrap()
}
