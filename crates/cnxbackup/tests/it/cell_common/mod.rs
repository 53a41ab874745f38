//! The multi-host sample cell the cell tests share (`servers_cell`, `ansible_cell`): built
//! in a directory of its own, its servers stopped before it unmounts its shared data and
//! the directory goes; and the stand-ins' log times as Unix nanoseconds, to put the hosts'
//! logs beside the members' capture windows.
#![allow(clippy::unwrap_used, dead_code)]

use sample::{BuildOptions, CellHost, MultiHostCell, Variant};

/// The five-host sample cell (dmgr, two node hosts, web server, DB2 server).
pub struct Cell {
    pub cell: MultiHostCell,
    pub dir: tempfile::TempDir,
}

impl Drop for Cell {
    fn drop(&mut self) {
        let _ = self.cell.stop_all();
    }
}

impl Cell {
    /// Builds the cell; no server is started.
    pub fn build() -> Cell {
        let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
        let cell = sample::build_cell(
            Variant::MultiHostCell,
            &dir.path().join("cell"),
            &BuildOptions::default(),
        )
        .unwrap();
        Cell { cell, dir }
    }

    /// The host called `name` (full or short name).
    pub fn host(&self, name: &str) -> &CellHost {
        self.cell
            .host(name)
            .unwrap_or_else(|| panic!("the sample cell has no host {name}"))
    }

    /// (host short name, server) of every stand-in call with `outcome`, in time order.
    pub fn events(&self, outcome: &str) -> Vec<(String, String)> {
        self.cell
            .control_log()
            .unwrap()
            .into_iter()
            .filter(|(_, e)| e.outcome == outcome)
            .map(|(h, e)| (short(&h).to_owned(), e.server))
            .collect()
    }

    /// The time of every stand-in call with `outcome` (Unix nanoseconds), in time order.
    pub fn event_times(&self, outcome: &str) -> Vec<i64> {
        self.cell
            .control_log()
            .unwrap()
            .iter()
            .filter(|(_, e)| e.outcome == outcome)
            .map(|(_, e)| log_time_ns(&e.time))
            .collect()
    }
}

/// A host's short name (`cnx-app1` of `cnx-app1.example.com`).
pub fn short(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

/// Unix nanoseconds of a stand-in log time (`2026-11-27T11:00:00.123Z`, UTC).
pub fn log_time_ns(time: &str) -> i64 {
    let t: jiff::Timestamp = time
        .parse()
        .unwrap_or_else(|e| panic!("stand-in log time {time:?}: {e}"));
    i64::try_from(t.as_nanosecond()).unwrap()
}

#[test]
fn log_times_convert_to_unix_nanoseconds() {
    assert_eq!(log_time_ns("1970-01-01T00:00:01.500Z"), 1_500_000_000);
    assert_eq!(
        log_time_ns("2026-11-27T12:00:00.000Z"),
        1_795_780_800_000_000_000
    );
}
