//! Helpers shared by the tests that run against the real PostgreSQL server `scripts/test`
//! starts (CNXBACKUP_TEST_PG_HOST, _PORT, _USER; trust authentication). Without it they fail
//! on purpose: a silently skipped test would hide a broken `command` vendor.

#![allow(dead_code)] // each test file uses its own part of these helpers

use std::process::Command;

pub struct Pg {
    pub host: String,
    pub port: String,
    pub user: String,
}

pub fn pg() -> Pg {
    let var = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!(
                "{k} is not set: this test needs the private PostgreSQL server that scripts/test \
                 starts; run the tests through scripts/test (or export CNXBACKUP_TEST_PG_HOST, \
                 CNXBACKUP_TEST_PG_PORT and CNXBACKUP_TEST_PG_USER for a server with trust auth)"
            )
        })
    };
    Pg {
        host: var("CNXBACKUP_TEST_PG_HOST"),
        port: var("CNXBACKUP_TEST_PG_PORT"),
        user: var("CNXBACKUP_TEST_PG_USER"),
    }
}

impl Pg {
    pub fn conn(&self) -> String {
        format!("-h {} -p {} -U {}", self.host, self.port, self.user)
    }

    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args([
                "-h", &self.host, "-p", &self.port, "-U", &self.user, "-d", db,
            ])
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

/// Drops the test databases however the test ends.
pub struct Dbs<'a>(pub &'a Pg, pub Vec<String>);
impl Drop for Dbs<'_> {
    fn drop(&mut self) {
        for d in &self.1 {
            let _ = Command::new("psql")
                .args(["-h", &self.0.host, "-p", &self.0.port, "-U", &self.0.user])
                .args(["-d", "postgres", "-X", "-q", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS \"{d}\""))
                .output();
        }
    }
}

/// Names for a source and a destination database that no other test run uses.
pub fn unique_names(prefix: &str) -> (String, String) {
    let tag = format!(
        "{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    (format!("{prefix}_src_{tag}"), format!("{prefix}_dst_{tag}"))
}
