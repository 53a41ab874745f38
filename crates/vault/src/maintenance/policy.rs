//! The retention policy of `forget`: which snapshots to keep. A pure function over snapshot
//! metadata (no repository access), so it is tested by tables and properties.
//!
//! Snapshots are grouped by host, paths and backup set (the `application.backup_set` of a
//! cnxbackup snapshot); each group is decided on its own, newest first:
//!
//! - `keep_last N`: the N newest;
//! - `keep_hourly/daily/weekly/monthly/yearly N`: the newest snapshot of each of the N most
//!   recent hours / days / ISO weeks / months / years (UTC) that have a snapshot;
//! - `keep_tags`: every snapshot carrying one of the tags;
//! - `keep_within D`: every snapshot taken within D before the group's newest snapshot (not
//!   before "now": a repository nobody backed up for a while keeps its last state).
//!
//! A snapshot is kept when any rule keeps it; the reasons are reported.

use std::collections::BTreeMap;

use crate::SnapshotId;

/// What to keep. All rules empty keeps nothing: callers must refuse that (see
/// [`RetentionPolicy::is_empty`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub keep_last: Option<u32>,
    pub keep_hourly: Option<u32>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
    pub keep_yearly: Option<u32>,
    pub keep_tags: Vec<String>,
    /// Nanoseconds.
    pub keep_within_ns: Option<i64>,
}

impl RetentionPolicy {
    /// No rule at all (applying it would remove every snapshot).
    pub fn is_empty(&self) -> bool {
        self.keep_last.is_none()
            && self.keep_hourly.is_none()
            && self.keep_daily.is_none()
            && self.keep_weekly.is_none()
            && self.keep_monthly.is_none()
            && self.keep_yearly.is_none()
            && self.keep_tags.is_empty()
            && self.keep_within_ns.is_none()
    }
}

/// What the policy needs to know about a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotMeta {
    pub id: SnapshotId,
    /// Unix ns.
    pub time: i64,
    pub host: String,
    pub paths: Vec<String>,
    pub tags: Vec<String>,
    /// `application.backup_set` of a cnxbackup snapshot.
    pub backup_set: Option<String>,
}

/// The key snapshots are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct GroupKey {
    pub host: String,
    /// Sorted.
    pub paths: Vec<String>,
    pub backup_set: Option<String>,
}

impl GroupKey {
    /// The group of a snapshot: its host, its paths (sorted) and its backup set.
    pub fn of(s: &SnapshotMeta) -> GroupKey {
        let mut paths = s.paths.clone();
        paths.sort();
        GroupKey {
            host: s.host.clone(),
            paths,
            backup_set: s.backup_set.clone(),
        }
    }
}

impl std::fmt::Display for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host {}, paths [{}]", self.host, self.paths.join(", "))?;
        if let Some(s) = &self.backup_set {
            write!(f, ", backup set {s}")?;
        }
        Ok(())
    }
}

/// Why a snapshot is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeepReason {
    Last,
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
    Tag,
    Within,
}

/// The decision for one group; both lists newest first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupDecision {
    pub group: GroupKey,
    pub keep: Vec<(SnapshotId, Vec<KeepReason>)>,
    pub remove: Vec<SnapshotId>,
}

/// Apply `policy` to every group of `snapshots`. Groups are returned in key order.
pub fn apply_policy(snapshots: &[SnapshotMeta], policy: &RetentionPolicy) -> Vec<GroupDecision> {
    let mut groups: BTreeMap<GroupKey, Vec<&SnapshotMeta>> = BTreeMap::new();
    for s in snapshots {
        groups.entry(GroupKey::of(s)).or_default().push(s);
    }
    groups
        .into_iter()
        .map(|(group, mut members)| {
            // Newest first; ties broken by id so the result does not depend on input order.
            members.sort_by(|a, b| b.time.cmp(&a.time).then(b.id.cmp(&a.id)));
            decide_group(group, &members, policy)
        })
        .collect()
}

/// One bucketed rule: keep the newest snapshot of each of the `n` most recent buckets.
struct Bucketed {
    reason: KeepReason,
    left: u32,
    last: Option<i64>,
    bucket: fn(i64) -> i64,
}

fn decide_group(
    group: GroupKey,
    members: &[&SnapshotMeta],
    policy: &RetentionPolicy,
) -> GroupDecision {
    let newest = members.first().map(|s| s.time).unwrap_or(0);
    let mut rules: Vec<Bucketed> = [
        (
            policy.keep_hourly,
            KeepReason::Hourly,
            hour_bucket as fn(i64) -> i64,
        ),
        (policy.keep_daily, KeepReason::Daily, day_bucket),
        (policy.keep_weekly, KeepReason::Weekly, week_bucket),
        (policy.keep_monthly, KeepReason::Monthly, month_bucket),
        (policy.keep_yearly, KeepReason::Yearly, year_bucket),
    ]
    .into_iter()
    .filter_map(|(n, reason, bucket)| {
        n.map(|left| Bucketed {
            reason,
            left,
            last: None,
            bucket,
        })
    })
    .collect();
    let mut keep = Vec::new();
    let mut remove = Vec::new();
    for (i, s) in members.iter().enumerate() {
        let mut reasons = Vec::new();
        if policy.keep_last.is_some_and(|n| (i as u64) < u64::from(n)) {
            reasons.push(KeepReason::Last);
        }
        for r in &mut rules {
            let b = (r.bucket)(s.time);
            if r.left > 0 && r.last != Some(b) {
                r.last = Some(b);
                r.left -= 1;
                reasons.push(r.reason);
            }
        }
        if s.tags.iter().any(|t| policy.keep_tags.contains(t)) {
            reasons.push(KeepReason::Tag);
        }
        if policy
            .keep_within_ns
            .is_some_and(|d| s.time >= newest.saturating_sub(d))
        {
            reasons.push(KeepReason::Within);
        }
        if reasons.is_empty() {
            remove.push(s.id);
        } else {
            keep.push((s.id, reasons));
        }
    }
    GroupDecision {
        group,
        keep,
        remove,
    }
}

// ---------------------------------------------------------------- calendar (UTC)

const NS_PER_SEC: i64 = 1_000_000_000;

fn secs(ns: i64) -> i64 {
    ns.div_euclid(NS_PER_SEC)
}

// Hours and days are plain divisions: Unix time has no leap seconds, every UTC day is
// 86,400 of its seconds. Weeks, months and years come from the civil date (jiff).

fn hour_bucket(ns: i64) -> i64 {
    secs(ns).div_euclid(3600)
}

fn day_bucket(ns: i64) -> i64 {
    secs(ns).div_euclid(86_400)
}

/// The UTC calendar date of an instant in unix ns.
fn utc_date(ns: i64) -> jiff::civil::Date {
    utc_date_at_second(secs(ns))
}

/// The UTC calendar date of a unix second (clamped to jiff's years -9999..=9999, far
/// outside any snapshot's time: an i64 of nanoseconds spans only 1677..=2262).
fn utc_date_at_second(second: i64) -> jiff::civil::Date {
    let clamped = second.clamp(
        jiff::Timestamp::MIN.as_second(),
        jiff::Timestamp::MAX.as_second(),
    );
    jiff::Timestamp::from_second(clamped)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// ISO week: weeks start on Monday; the bucket is the day number of that Monday.
fn week_bucket(ns: i64) -> i64 {
    day_bucket(ns) - i64::from(utc_date(ns).weekday().to_monday_zero_offset())
}

fn month_bucket(ns: i64) -> i64 {
    let date = utc_date(ns);
    i64::from(date.year()) * 12 + i64::from(date.month())
}

fn year_bucket(ns: i64) -> i64 {
    i64::from(utc_date(ns).year())
}

/// (year, month 1..=12, day 1..=31) of a day number since 1970-01-01 (UTC).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let date = utc_date_at_second(days.saturating_mul(86_400));
    // jiff's months and days are positive (1..=12, 1..=31).
    (
        i64::from(date.year()),
        date.month().unsigned_abs().into(),
        date.day().unsigned_abs().into(),
    )
}

/// A duration that [`parse_duration`] cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{text}\" is not a duration: use a number and a unit, e.g. 30d, 12h, 2w, 6m (months), \
     1y, 1y6m"
)]
pub struct DurationError {
    /// The text given.
    pub text: String,
}

/// Parse a duration such as `30d`, `12h`, `2w`, `1y6m` into nanoseconds. Units: `y` (365
/// days), `m` (a month of 30 days), `w`, `d`, `h`, `min`, `s`.
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let bad = || DurationError {
        text: text.to_string(),
    };
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let secs_per: i64 = match unit {
            "y" => 365 * 86_400,
            "m" => 30 * 86_400,
            "w" => 7 * 86_400,
            "d" => 86_400,
            "h" => 3600,
            "min" => 60,
            "s" => 1,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(secs_per)
            .and_then(|s| s.checked_mul(NS_PER_SEC))
            .and_then(|ns| total.checked_add(ns))
            .ok_or_else(bad)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 3600 * NS_PER_SEC;
    const D: i64 = 24 * H;

    /// 2026-01-01T00:00:00Z
    const JAN1_2026: i64 = 1_767_225_600 * NS_PER_SEC;

    fn snap(n: u8, time: i64) -> SnapshotMeta {
        SnapshotMeta {
            id: SnapshotId([n; 32]),
            time,
            host: "h".into(),
            paths: vec!["/p".into()],
            tags: vec![],
            backup_set: None,
        }
    }

    fn kept(d: &[GroupDecision]) -> Vec<u8> {
        let mut v: Vec<u8> = d
            .iter()
            .flat_map(|g| g.keep.iter().map(|(id, _)| id.0[0]))
            .collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn calendar() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(JAN1_2026 / D), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // 2024-02-29
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        // 2026-01-01 is a Thursday: its ISO week starts Monday 2025-12-29.
        let monday = week_bucket(JAN1_2026);
        assert_eq!(civil_from_days(monday), (2025, 12, 29));
        assert_eq!(week_bucket(JAN1_2026 + 3 * D), monday); // Sunday
        assert_ne!(week_bucket(JAN1_2026 + 4 * D), monday); // next Monday
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), 30 * D);
        assert_eq!(parse_duration("12h").unwrap(), 12 * H);
        assert_eq!(parse_duration("1y6m").unwrap(), (365 + 180) * D);
        assert_eq!(parse_duration("2w").unwrap(), 14 * D);
        assert_eq!(parse_duration("90min").unwrap(), 90 * 60 * NS_PER_SEC);
        for bad in ["", "d", "30", "30x", "-1d", "1.5d", "99999999999999y"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    /// Table: (policy, snapshot times as offsets from 2026-01-01 in hours, expected kept
    /// indexes).
    #[test]
    fn table() {
        let hourly = |n| RetentionPolicy {
            keep_hourly: Some(n),
            ..RetentionPolicy::default()
        };
        let cases: Vec<(&str, RetentionPolicy, Vec<i64>, Vec<u8>)> = vec![
            (
                "keep-last 2",
                RetentionPolicy {
                    keep_last: Some(2),
                    ..RetentionPolicy::default()
                },
                vec![0, 1, 2, 3],
                vec![2, 3],
            ),
            // two snapshots in hour 0 (0 and 0.5 h): the newer of the hour is kept
            ("keep-hourly 2", hourly(2), vec![0, 0, 1, 2], vec![2, 3]),
            (
                "keep-hourly 10 (more than exist)",
                hourly(10),
                vec![0, 1, 1],
                vec![0, 2],
            ),
            (
                "keep-daily 2",
                RetentionPolicy {
                    keep_daily: Some(2),
                    ..RetentionPolicy::default()
                },
                vec![0, 5, 24, 30, 48, 50],
                vec![3, 5],
            ),
            (
                "keep-weekly 1 + keep-monthly 2",
                RetentionPolicy {
                    keep_weekly: Some(1),
                    keep_monthly: Some(2),
                    ..RetentionPolicy::default()
                },
                // Jan 1, Jan 20, Feb 3, Feb 4 (same ISO week as Feb 3)
                vec![0, 19 * 24, 33 * 24, 34 * 24],
                vec![1, 3],
            ),
            (
                "keep-yearly 5",
                RetentionPolicy {
                    keep_yearly: Some(5),
                    ..RetentionPolicy::default()
                },
                vec![-24, 0, 24],
                vec![0, 2],
            ),
            (
                "keep-within 36h of the newest",
                RetentionPolicy {
                    keep_within_ns: Some(36 * H),
                    ..RetentionPolicy::default()
                },
                vec![0, 10, 20, 40, 50],
                vec![2, 3, 4],
            ),
        ];
        for (name, policy, hours, expect) in cases {
            let snaps: Vec<SnapshotMeta> = hours
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    // the second snapshot of the same hour is 30 minutes later
                    let dup = hours[..i].iter().filter(|x| *x == h).count() as i64;
                    snap(i as u8, JAN1_2026 + h * H + dup * H / 2)
                })
                .collect();
            let d = apply_policy(&snaps, &policy);
            assert_eq!(kept(&d), expect, "{name}");
        }
    }

    #[test]
    fn tags_and_groups() {
        let mut a = snap(1, JAN1_2026);
        a.tags = vec!["before-cr3".into()];
        let b = snap(2, JAN1_2026 + H);
        let mut c = snap(3, JAN1_2026 + 2 * H);
        c.host = "other".into();
        let mut e = snap(4, JAN1_2026 + 3 * H);
        e.backup_set = Some("set-a".into());
        let policy = RetentionPolicy {
            keep_last: Some(1),
            keep_tags: vec!["before-cr3".into()],
            ..RetentionPolicy::default()
        };
        let d = apply_policy(&[a, b, c, e], &policy);
        // groups: (h, /p, None) = {1, 2}; (h, /p, set-a) = {4}; (other, /p, None) = {3}
        assert_eq!(d.len(), 3);
        assert_eq!(kept(&d), vec![1, 2, 3, 4]);
        let g = d
            .iter()
            .find(|g| g.group.host == "h" && g.group.backup_set.is_none());
        let g = g.unwrap();
        assert_eq!(g.keep[1], (SnapshotId([1; 32]), vec![KeepReason::Tag]));
    }

    fn arb_snaps() -> impl Strategy<Value = Vec<SnapshotMeta>> {
        proptest::collection::vec((0i64..2000, 0u8..3, 0u8..2, any::<bool>()), 0..40).prop_map(
            |v| {
                v.into_iter()
                    .enumerate()
                    .map(|(i, (hours, host, set, tagged))| SnapshotMeta {
                        id: SnapshotId([i as u8; 32]),
                        time: JAN1_2026 + hours * H,
                        host: format!("h{host}"),
                        paths: vec!["/p".into()],
                        tags: if tagged { vec!["t".into()] } else { vec![] },
                        backup_set: (set == 1).then(|| "s".to_string()),
                    })
                    .collect()
            },
        )
    }

    fn arb_policy() -> impl Strategy<Value = RetentionPolicy> {
        (
            proptest::option::of(0u32..6),
            proptest::option::of(0u32..6),
            proptest::option::of(0u32..6),
            proptest::option::of(0u32..4),
            any::<bool>(),
            proptest::option::of(0i64..100),
        )
            .prop_map(
                |(last, hourly, daily, monthly, tag, within)| RetentionPolicy {
                    keep_last: last,
                    keep_hourly: hourly,
                    keep_daily: daily,
                    keep_monthly: monthly,
                    keep_tags: if tag { vec!["t".into()] } else { vec![] },
                    keep_within_ns: within.map(|h| h * H),
                    ..RetentionPolicy::default()
                },
            )
    }

    proptest! {
        #[test]
        fn policy_properties(snaps in arb_snaps(), policy in arb_policy()) {
            let d = apply_policy(&snaps, &policy);
            // keep and remove partition the input: kept ⊆ all, nothing lost, no duplicates
            let mut seen: Vec<SnapshotId> = d.iter()
                .flat_map(|g| g.keep.iter().map(|(id, _)| *id).chain(g.remove.iter().copied()))
                .collect();
            seen.sort();
            let mut all: Vec<SnapshotId> = snaps.iter().map(|s| s.id).collect();
            all.sort();
            prop_assert_eq!(seen, all);
            for g in &d {
                let members: Vec<&SnapshotMeta> = snaps.iter()
                    .filter(|s| s.host == g.group.host && s.backup_set == g.group.backup_set)
                    .collect();
                let mut newest: Vec<&SnapshotMeta> = members.clone();
                newest.sort_by(|a, b| b.time.cmp(&a.time).then(b.id.cmp(&a.id)));
                // keep-last N keeps the N newest of each group
                if let Some(n) = policy.keep_last {
                    for s in newest.iter().take(n as usize) {
                        prop_assert!(g.keep.iter().any(|(id, _)| *id == s.id));
                    }
                }
                // tagged snapshots are always kept
                if !policy.keep_tags.is_empty() {
                    for s in members.iter().filter(|s| !s.tags.is_empty()) {
                        prop_assert!(g.keep.iter().any(|(id, _)| *id == s.id));
                    }
                }
                // the number kept by bucket rules is bounded by their counts
                let hourly = g.keep.iter().filter(|(_, r)| r.contains(&KeepReason::Hourly)).count();
                prop_assert!(hourly as u32 <= policy.keep_hourly.unwrap_or(0));
                // the newest snapshot of the group survives any non-empty rule that keeps
                // at least one (keep-last >= 1 or within)
                if policy.keep_last.unwrap_or(0) >= 1 || policy.keep_within_ns.is_some() {
                    prop_assert!(g.keep.first().map(|(id, _)| *id) == newest.first().map(|s| s.id));
                }
            }
            // an empty policy keeps nothing
            if policy.is_empty() {
                prop_assert!(d.iter().all(|g| g.keep.is_empty()));
            }
        }
    }
}
