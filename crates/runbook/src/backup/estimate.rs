//! What the next backup of a host will cost in downtime, estimated from the previous one
//! (`cnxbackup plan`): the newest backup of the host that recorded an outage window.

use serde::Serialize;

use crate::manifest::{OutageWindow, Summary};

/// The outage the next backup is expected to cause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutageEstimate {
    /// The backup it is taken from (snapshot id, hex).
    pub snapshot: String,
    /// When that backup ran, Unix nanoseconds.
    pub time_ns: i64,
    /// Its window: stop, capture and restart.
    pub window: OutageWindow,
}

/// The estimate for `host`: the window of its newest backup that recorded one; `None` when
/// it has none yet (no backup, or only `--no-stop` ones and backups written before the
/// window was recorded).
pub fn outage_estimate(repo: &vault::Repository, host: &str) -> Option<OutageEstimate> {
    let (id, time_ns, summary) = newest_backup(repo, host, |s| s.outage.is_some())?;
    Some(OutageEstimate {
        snapshot: id.to_hex(),
        time_ns,
        window: summary.outage?,
    })
}

/// The newest deployment backup of `host` whose summary `keep` accepts: its id, time and
/// summary.
pub(crate) fn newest_backup(
    repo: &vault::Repository,
    host: &str,
    keep: impl Fn(&Summary) -> bool,
) -> Option<(vault::SnapshotId, i64, Summary)> {
    let list = repo.list_snapshots().ok()?;
    list.into_iter()
        .filter_map(|(id, s)| s.ok().map(|s| (id, s)))
        .filter(|(_, s)| s.host == host)
        .filter_map(|(id, s)| {
            let summary = s.application.as_ref().and_then(Summary::from_application)?;
            keep(&summary).then_some((id, s.time, summary))
        })
        .max_by_key(|(_, t, _)| *t)
}
