//! Telling monitoring about backup runs (issue 18): Healthchecks-style pings on start,
//! success and failure ([`ping`]), a Prometheus textfile-collector file written after every
//! run ([`textfile`]), and the question monitoring asks rather than listens for — is the
//! newest complete backup older than N? ([`freshness`]).
//!
//! The facts of a finished run are one [`RunOutcome`], built by the command that ran it, so
//! that the ping body and the metrics say the same thing.

pub mod freshness;
pub mod ping;
pub mod textfile;

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

/// What one run of a job did, as monitoring sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The job: `backup`.
    pub job: String,
    /// The host the snapshot is recorded under.
    pub host: String,
    pub started: SystemTime,
    pub finished: SystemTime,
    /// The process's exit code (0 success; docs/CLI.md "Exit codes").
    pub exit_code: u8,
    /// The snapshot written, if any (an INCOMPLETE one too).
    pub snapshot: Option<SnapshotFacts>,
    /// How long the WebSphere servers were down, when the run knows it (the runner's outage
    /// window: stop of the first server to the last one running again). `None`: unknown — no
    /// server was stopped by this run, or the servers were left stopped.
    pub outage: Option<Duration>,
    /// Why the run failed (already free of secrets), when it did.
    pub error: Option<String>,
}

/// The snapshot a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotFacts {
    /// Full hex id.
    pub id: String,
    /// COMPLETE (every required step succeeded) or INCOMPLETE.
    pub complete: bool,
    /// Stored bytes of the new data (compressed and sealed), when known.
    pub bytes_added: Option<u64>,
    /// Every file component and its status (`ok`, `partial`, `failed`, `skipped`,
    /// `missing`), in manifest order.
    pub components: Vec<(String, String)>,
}

impl RunOutcome {
    /// True when the run succeeded (exit code 0).
    pub fn succeeded(&self) -> bool {
        self.exit_code == 0
    }

    /// Wall time of the run.
    pub fn duration(&self) -> Duration {
        self.finished
            .duration_since(self.started)
            .unwrap_or(Duration::ZERO)
    }

    /// A short account for a notification body: what ran where, its result, the snapshot,
    /// the exit code and, on failure, why.
    pub fn summary(&self) -> String {
        let mut s = format!("cnxbackup {} on {}: ", self.job, self.host);
        match (&self.snapshot, self.succeeded()) {
            (Some(snap), _) => {
                let _ = write!(
                    s,
                    "snapshot {} {}",
                    snap.id.get(..8).unwrap_or(&snap.id),
                    if snap.complete {
                        "complete"
                    } else {
                        "INCOMPLETE"
                    }
                );
                if let Some(bytes) = snap.bytes_added {
                    let _ = write!(s, ", {bytes} bytes added");
                }
            }
            (None, true) => s.push_str("succeeded"),
            (None, false) => s.push_str("failed, no snapshot written"),
        }
        let _ = write!(s, ", {:.1} s", self.duration().as_secs_f64());
        if let Some(outage) = self.outage {
            let _ = write!(s, ", servers down {:.0} s", outage.as_secs_f64());
        }
        let _ = write!(s, "\nexit code {}", self.exit_code);
        if let Some(error) = &self.error {
            let _ = write!(s, "\n{error}");
        }
        s.push('\n');
        s
    }
}

/// Seconds since the Unix epoch (0 for a time before it).
pub(crate) fn unix_seconds(t: SystemTime) -> f64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A finished backup: 2026-01-01T00:00:00Z, 125 s, two components.
    pub(crate) fn outcome(exit_code: u8) -> RunOutcome {
        let started = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        RunOutcome {
            job: "backup".into(),
            host: "cnx1".into(),
            started,
            finished: started + Duration::from_millis(125_500),
            exit_code,
            snapshot: Some(SnapshotFacts {
                id: "3f9a1c2e".repeat(8),
                complete: exit_code == 0,
                bytes_added: Some(1_048_576),
                components: vec![
                    ("shared_data".into(), "ok".into()),
                    (
                        "provision".into(),
                        if exit_code == 0 { "ok" } else { "failed" }.into(),
                    ),
                ],
            }),
            outage: Some(Duration::from_secs(95)),
            error: (exit_code != 0).then(|| "backup INCOMPLETE: provision failed".to_string()),
        }
    }

    #[test]
    fn the_summary_names_the_snapshot_its_status_and_the_exit_code() {
        assert_eq!(
            outcome(0).summary(),
            "cnxbackup backup on cnx1: snapshot 3f9a1c2e complete, 1048576 bytes added, \
             125.5 s, servers down 95 s\nexit code 0\n"
        );
        let failed = outcome(1).summary();
        assert!(failed.contains("3f9a1c2e INCOMPLETE"), "{failed}");
        assert!(
            failed.ends_with("exit code 1\nbackup INCOMPLETE: provision failed\n"),
            "{failed}"
        );
        let nothing = RunOutcome {
            snapshot: None,
            outage: None,
            error: Some("repository /x: wrong password".into()),
            ..outcome(1)
        };
        assert_eq!(
            nothing.summary(),
            "cnxbackup backup on cnx1: failed, no snapshot written, 125.5 s\nexit code 1\n\
             repository /x: wrong password\n"
        );
    }
}
