//! `check --max-age AGE`: is the newest COMPLETE backup of this host younger than AGE? For
//! monitoring that asks (a Nagios-style check, a cron job) rather than listens for pings.
//! Which snapshot is "the newest COMPLETE of this host" is the snapshot selection's answer
//! (the same one `restore latest` uses); this only judges its age.

use std::time::{Duration, SystemTime};

use serde::Serialize;

/// The verdict on the newest complete backup's age.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Freshness {
    /// The host whose backups were looked at.
    pub host: String,
    /// The newest COMPLETE snapshot of that host, if there is one.
    pub newest: Option<NewestBackup>,
    /// Its age in seconds at the time of the check.
    pub age_seconds: Option<u64>,
    /// The limit, in seconds.
    pub max_age_seconds: u64,
    /// True when there is such a snapshot and it is no older than the limit.
    pub fresh: bool,
}

/// A snapshot as the age check reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewestBackup {
    /// Full hex id.
    pub id: String,
    /// When it was taken, Unix seconds.
    pub time: i64,
}

/// Judges `newest` (id and time, Unix nanoseconds) of `host` against `max_age` at `now`. A
/// snapshot dated in the future (a clock set wrong) counts as age 0.
pub fn judge(
    host: &str,
    newest: Option<(String, i64)>,
    max_age: Duration,
    now: SystemTime,
) -> Freshness {
    let now_ns = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0);
    let newest = newest.map(|(id, time_ns)| {
        let age_ns = (now_ns - i128::from(time_ns)).max(0);
        (
            NewestBackup {
                id,
                time: time_ns.div_euclid(1_000_000_000),
            },
            (age_ns / 1_000_000_000) as u64,
        )
    });
    let age_seconds = newest.as_ref().map(|(_, age)| *age);
    Freshness {
        host: host.to_string(),
        fresh: age_seconds.is_some_and(|age| Duration::from_secs(age) <= max_age),
        newest: newest.map(|(n, _)| n),
        age_seconds,
        max_age_seconds: max_age.as_secs(),
    }
}

impl Freshness {
    /// One line for the administrator: the snapshot, its age and the verdict.
    pub fn describe(&self) -> String {
        match (&self.newest, self.age_seconds) {
            (Some(n), Some(age)) => format!(
                "newest COMPLETE backup of {}: {} taken {} ago ({}); limit {}",
                self.host,
                n.id.get(..8).unwrap_or(&n.id),
                human_duration(age),
                if self.fresh {
                    "fresh enough"
                } else {
                    "TOO OLD"
                },
                human_duration(self.max_age_seconds),
            ),
            _ => format!("no COMPLETE backup of {} in the repository", self.host),
        }
    }
}

/// `8d 2h`, `3h 5m`, `42s`: the two largest units that are not zero.
fn human_duration(secs: u64) -> String {
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let parts: Vec<String> = units
        .iter()
        .scan(secs, |rest, (size, unit)| {
            let n = *rest / size;
            *rest %= size;
            Some((n, *unit))
        })
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    if parts.is_empty() {
        "0s".to_string()
    } else {
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn a_backup_within_the_limit_is_fresh_and_one_beyond_is_not() {
        let taken = 1_000 * DAY;
        let newest = || Some(("ab".repeat(32), (taken * 1_000_000_000) as i64));
        let limit = Duration::from_secs(8 * DAY);
        let fresh = judge("cnx1", newest(), limit, at(taken + 8 * DAY));
        assert!(fresh.fresh);
        assert_eq!(fresh.age_seconds, Some(8 * DAY));
        let stale = judge("cnx1", newest(), limit, at(taken + 8 * DAY + 1));
        assert!(!stale.fresh);
        assert_eq!(
            stale.describe(),
            "newest COMPLETE backup of cnx1: abababab taken 8d 1s ago (TOO OLD); limit 8d"
        );
    }

    #[test]
    fn no_backup_at_all_is_not_fresh() {
        let none = judge("cnx1", None, Duration::from_secs(DAY), at(DAY));
        assert!(!none.fresh);
        assert_eq!(
            none.describe(),
            "no COMPLETE backup of cnx1 in the repository"
        );
    }

    #[test]
    fn a_snapshot_from_the_future_has_age_zero() {
        let future = judge(
            "h",
            Some(("cd".repeat(32), (5 * DAY * 1_000_000_000) as i64)),
            Duration::ZERO,
            at(DAY),
        );
        assert_eq!(future.age_seconds, Some(0));
        assert!(future.fresh);
    }

    #[test]
    fn durations_read_as_the_two_largest_units() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(3 * 3600 + 5 * 60 + 7), "3h 5m");
        assert_eq!(human_duration(8 * DAY + 2 * 3600), "8d 2h");
        assert_eq!(human_duration(8 * DAY + 59), "8d 59s");
    }
}
