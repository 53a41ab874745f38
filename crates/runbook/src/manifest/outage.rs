//! The outage window of one host's backup: how long Connections was down, and which part of
//! the backup kept it down (stopping, capturing, starting again).
//!
//! The window runs from the moment the first server was asked to stop to the moment the last
//! one was verified running again (`--restart`). Without `--restart` cnxbackup does not
//! start the servers, so the window it can vouch for ends when the capture ended: the servers
//! could have been started from then on ([`OutageEnd::LeftStopped`]).

use serde::{Deserialize, Serialize};

use crate::procedure::{Phase, PhaseRecord, PhaseStatus};

/// A stretch of wall time, Unix nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// When it began.
    pub started_ns: i64,
    /// When it ended.
    pub ended_ns: i64,
    /// `ended_ns - started_ns` in milliseconds (never negative), for readers that only want
    /// the length.
    pub duration_ms: u64,
}

impl Span {
    /// From `started_ns` to `ended_ns` (an end before the start counts as no time).
    pub fn new(started_ns: i64, ended_ns: i64) -> Span {
        let ended_ns = ended_ns.max(started_ns);
        Span {
            started_ns,
            ended_ns,
            duration_ms: u64::try_from((ended_ns - started_ns) / 1_000_000).unwrap_or(0),
        }
    }

    /// The span of a phase record.
    pub fn of(record: &PhaseRecord) -> Span {
        let ms = i64::try_from(record.duration_ms).unwrap_or(i64::MAX / 2);
        Span::new(
            record.started_ns,
            record
                .started_ns
                .saturating_add(ms.saturating_mul(1_000_000)),
        )
    }
}

/// How the outage ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutageEnd {
    /// `--restart` started every server again and verified it.
    Restarted,
    /// `--restart` ran, but some servers did not come back (the report names them).
    RestartFailed,
    /// No `--restart`: the servers were left stopped; the window ends with the capture.
    LeftStopped,
}

/// The outage this backup caused on its host (`manifest.outage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutageWindow {
    /// Stopping the servers (first stop request to the last JVM verified gone).
    pub stop: Span,
    /// What had to happen with the servers stopped: from the end of the stop until every
    /// database backup had finished and every file component was read (in the snapshot
    /// mode, until the file systems of the file components were snapshotted).
    pub capture: Span,
    /// Starting the servers again (`--restart`), until each was verified running.
    pub restart: Option<Span>,
    /// How the outage ended.
    pub end: OutageEnd,
    /// From the first server stopped to the last one started again (without `--restart`:
    /// to the end of the capture), milliseconds.
    pub down_ms: u64,
}

impl OutageWindow {
    /// The window of a run from its phase table: the `stop` phase, the end of the capture
    /// (`capture_ended_ns`) and, with `--restart`, the `restart` phase. `None` when no
    /// server was stopped (`--no-stop`: the stop phase was skipped, or never ran).
    pub fn from_phases(phases: &[PhaseRecord], capture_ended_ns: i64) -> Option<OutageWindow> {
        let stop = phases
            .iter()
            .find(|r| r.phase == Phase::Stop && r.status != PhaseStatus::Skipped)?;
        let stop = Span::of(stop);
        let capture = Span::new(stop.ended_ns, capture_ended_ns);
        let restart = phases.iter().rev().find(|r| r.phase == Phase::Restart);
        let (restart, end) = match restart {
            Some(r) if r.status == PhaseStatus::Ok => (Some(Span::of(r)), OutageEnd::Restarted),
            Some(r) => (Some(Span::of(r)), OutageEnd::RestartFailed),
            None => (None, OutageEnd::LeftStopped),
        };
        let last = restart.map_or(capture.ended_ns, |r| r.ended_ns.max(capture.ended_ns));
        Some(OutageWindow {
            stop,
            capture,
            restart,
            end,
            down_ms: Span::new(stop.started_ns, last).duration_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(phase: Phase, status: PhaseStatus, started_s: i64, ms: u64) -> PhaseRecord {
        PhaseRecord {
            phase,
            status,
            started_ns: started_s * 1_000_000_000,
            duration_ms: ms,
            message: String::new(),
        }
    }

    #[test]
    fn the_window_runs_from_the_first_stop_to_the_last_start() {
        let phases = [
            record(Phase::Preflight, PhaseStatus::Ok, 90, 1000),
            record(Phase::Stop, PhaseStatus::Ok, 100, 20_000),
            record(Phase::Databases, PhaseStatus::Ok, 120, 30_000),
            record(Phase::Files, PhaseStatus::Ok, 150, 10_000),
            record(Phase::Restart, PhaseStatus::Ok, 161, 15_000),
        ];
        let w = OutageWindow::from_phases(&phases, 160 * 1_000_000_000).unwrap();
        assert_eq!(w.stop.duration_ms, 20_000);
        assert_eq!(w.capture, Span::new(120_000_000_000, 160_000_000_000));
        assert_eq!(w.capture.duration_ms, 40_000);
        assert_eq!(w.restart.unwrap().duration_ms, 15_000);
        assert_eq!(w.end, OutageEnd::Restarted);
        // 100 s .. 176 s
        assert_eq!(w.down_ms, 76_000);
    }

    #[test]
    fn without_restart_the_window_ends_with_the_capture() {
        let phases = [record(Phase::Stop, PhaseStatus::Ok, 100, 5_000)];
        let w = OutageWindow::from_phases(&phases, 130 * 1_000_000_000).unwrap();
        assert_eq!(w.end, OutageEnd::LeftStopped);
        assert_eq!(w.restart, None);
        assert_eq!(w.down_ms, 30_000);
    }

    #[test]
    fn a_failed_restart_and_a_failed_stop_are_still_a_window() {
        let phases = [
            record(Phase::Stop, PhaseStatus::Failed, 100, 5_000),
            record(Phase::Restart, PhaseStatus::Failed, 110, 2_000),
        ];
        let w = OutageWindow::from_phases(&phases, 109 * 1_000_000_000).unwrap();
        assert_eq!(w.end, OutageEnd::RestartFailed);
        assert_eq!(w.down_ms, 12_000);
    }

    #[test]
    fn no_stop_means_no_outage() {
        let phases = [record(Phase::Stop, PhaseStatus::Skipped, 100, 0)];
        assert_eq!(OutageWindow::from_phases(&phases, 200), None);
        assert_eq!(OutageWindow::from_phases(&[], 200), None);
    }

    #[test]
    fn spans_never_run_backwards() {
        let s = Span::new(10_000_000, 5);
        assert_eq!(s.ended_ns, 10_000_000);
        assert_eq!(s.duration_ms, 0);
    }
}
