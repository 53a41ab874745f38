//! The rule: which snapshot a selector and the filters mean ([`pick`], a pure function over
//! [`Candidate`]s), and [`resolve`], which reads the repository and applies it.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use vault::{Repository, Snapshot, SnapshotFilter, SnapshotId};

use super::error::PickError;
use crate::manifest::{Status, Summary};

/// Tag of the temporary per-component snapshots an interrupted deployment backup leaves.
pub const PARTIAL_TAG: &str = "cnxbackup-partial";

/// Tag of the snapshot a restore takes of everything it is about to replace or remove.
pub const PRE_RESTORE_TAG: &str = "pre-restore";

/// What kind of snapshot a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A deployment backup whose every required step succeeded.
    Complete,
    /// A deployment backup with a failed step.
    Incomplete,
    /// A plain path backup (`backup --path`).
    Plain,
}

/// One snapshot as the rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: SnapshotId,
    /// Unix ns.
    pub time: i64,
    /// Recorded host.
    pub host: String,
    /// Backup set (deployment backups).
    pub set: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Deployment (complete or not) or plain.
    pub kind: Kind,
}

impl Candidate {
    /// The candidate for a snapshot document.
    pub fn of(id: SnapshotId, s: &Snapshot) -> Candidate {
        let app = s.application.as_ref();
        let app_str = |key: &str| app.and_then(|a| a.get(key)).and_then(|v| v.as_str());
        let kind = match (app_str("kind"), app_str("status")) {
            (Some(crate::manifest::SUMMARY_KIND), Some("complete")) => Kind::Complete,
            (Some(crate::manifest::SUMMARY_KIND), _) => Kind::Incomplete,
            _ => Kind::Plain,
        };
        Candidate {
            id,
            time: s.time,
            host: s.host.clone(),
            set: vault::repo::filter::backup_set(s).map(str::to_string),
            tags: s.tags.clone(),
            kind,
        }
    }

    /// A helper snapshot (partial or pre-restore), never `latest` unless asked for by tag.
    pub fn helper_tag(&self) -> Option<&'static str> {
        [PARTIAL_TAG, PRE_RESTORE_TAG]
            .into_iter()
            .find(|t| self.tags.iter().any(|x| x == t))
    }

    fn is_deployment(&self) -> bool {
        self.kind != Kind::Plain
    }

    pub(super) fn matches(&self, filter: &SnapshotFilter) -> bool {
        filter.matches_parts(&self.host, self.set.as_deref(), &self.tags)
    }

    /// Newest first, the id breaking ties (never the list's order).
    fn order_key(&self) -> (i64, SnapshotId) {
        (self.time, self.id)
    }
}

/// What the command was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `latest`.
    Latest,
    /// A full id or a prefix of one (lower-case hex).
    Id(String),
}

impl Selector {
    /// `latest`, or a hex id prefix (1 to 64 digits, any case).
    pub fn parse(spec: &str) -> Result<Selector, PickError> {
        let s = spec.trim();
        if s == "latest" {
            return Ok(Selector::Latest);
        }
        if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PickError::BadSpec {
                spec: spec.to_string(),
            });
        }
        Ok(Selector::Id(s.to_ascii_lowercase()))
    }
}

/// A newer INCOMPLETE snapshot `latest` passed over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PassedOver {
    /// Its id (hex).
    pub id: String,
    /// When it was taken.
    pub time: String,
}

/// The snapshot chosen, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Picked {
    /// Its id.
    pub id: SnapshotId,
    /// Its host.
    pub host: String,
    /// Its backup set.
    pub set: Option<String>,
    /// When it was taken.
    pub time: String,
    /// Complete, incomplete or plain.
    pub kind: Kind,
    /// Chosen as `latest` (not by id).
    pub by_latest: bool,
    /// INCOMPLETE snapshots of the same scope newer than it, newest first.
    pub passed_over: Vec<PassedOver>,
}

impl Picked {
    fn new(c: &Candidate, by_latest: bool) -> Picked {
        Picked {
            id: c.id,
            host: c.host.clone(),
            set: c.set.clone(),
            time: vault::format_unix_ns(c.time),
            kind: c.kind,
            by_latest,
            passed_over: Vec::new(),
        }
    }

    /// What the administrator is told about the choice: which snapshot `latest` is, and
    /// every newer INCOMPLETE one it passed over. Empty for a snapshot named by id.
    pub fn notes(&self) -> Vec<String> {
        if !self.by_latest {
            return Vec::new();
        }
        let what = match self.kind {
            Kind::Plain => "the newest path backup",
            _ => "the newest COMPLETE deployment backup",
        };
        let mut notes = vec![format!(
            "latest = snapshot {} of host {}{}, taken {}: {what} of that host",
            self.id.short(),
            self.host,
            self.set
                .as_deref()
                .map(|s| format!(" (set {s})"))
                .unwrap_or_default(),
            self.time,
        )];
        for p in &self.passed_over {
            notes.push(format!(
                "passed over a newer snapshot, {} taken {}: it is INCOMPLETE (a backup step \
                 failed); `latest` never picks an incomplete backup (name it by id to use \
                 it, with --only naming intact components)",
                p.id.get(..8).unwrap_or(&p.id),
                p.time
            ));
        }
        notes
    }
}

/// Applies the rule to `candidates` (every readable snapshot, in any order).
pub fn pick(
    candidates: &[Candidate],
    selector: &Selector,
    filter: &SnapshotFilter,
    this_host: &str,
) -> Result<Picked, PickError> {
    match selector {
        Selector::Id(prefix) => pick_id(candidates, prefix, filter),
        Selector::Latest => pick_latest(candidates, filter, this_host),
    }
}

fn pick_id(
    candidates: &[Candidate],
    prefix: &str,
    filter: &SnapshotFilter,
) -> Result<Picked, PickError> {
    let mut matches: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.id.to_hex().starts_with(prefix))
        .collect();
    matches.sort_by_key(|c| c.id);
    match matches.as_slice() {
        [] => Err(PickError::NotFound {
            spec: prefix.to_string(),
            filter: filter.describe(),
            hosts: Vec::new(),
        }),
        [c] if c.matches(filter) => Ok(Picked::new(c, false)),
        [c] => Err(PickError::FilteredOut {
            id: c.id.to_hex(),
            host: c.host.clone(),
            set: c.set.clone(),
            tags: c.tags.clone(),
            filter: filter.describe(),
        }),
        many => Err(PickError::Ambiguous {
            prefix: prefix.to_string(),
            candidates: many.iter().map(|c| c.id.to_hex()).collect(),
        }),
    }
}

fn pick_latest(
    candidates: &[Candidate],
    filter: &SnapshotFilter,
    this_host: &str,
) -> Result<Picked, PickError> {
    let scope = SnapshotFilter {
        host: Some(filter.host.clone().unwrap_or_else(|| this_host.to_string())),
        ..filter.clone()
    };
    // helper snapshots only when a --tag names their tag
    let eligible = |c: &&Candidate| {
        c.helper_tag()
            .is_none_or(|t| filter.tags.iter().any(|x| x == t))
    };
    let pool: Vec<&Candidate> = candidates
        .iter()
        .filter(eligible)
        .filter(|c| c.matches(&scope))
        .collect();
    let newest = |kind: &dyn Fn(&Candidate) -> bool| {
        pool.iter()
            .copied()
            .filter(|c| kind(c))
            .max_by_key(|c| c.order_key())
    };
    if pool.iter().any(|c| c.is_deployment()) {
        let Some(complete) = newest(&|c| c.kind == Kind::Complete) else {
            let incomplete = newest(&|c| c.kind == Kind::Incomplete);
            return Err(PickError::NoComplete {
                host: scope.host.clone().unwrap_or_default(),
                filter: filter.describe(),
                newest_incomplete: incomplete.map(|c| c.id.to_hex()).unwrap_or_default(),
                newest_time: incomplete
                    .map(|c| vault::format_unix_ns(c.time))
                    .unwrap_or_default(),
            });
        };
        let mut picked = Picked::new(complete, true);
        let mut newer: Vec<&Candidate> = pool
            .iter()
            .copied()
            .filter(|c| c.kind == Kind::Incomplete && c.order_key() > complete.order_key())
            .collect();
        newer.sort_by_key(|c| Reverse(c.order_key()));
        picked.passed_over = newer
            .into_iter()
            .map(|c| PassedOver {
                id: c.id.to_hex(),
                time: vault::format_unix_ns(c.time),
            })
            .collect();
        return Ok(picked);
    }
    if let Some(plain) = newest(&|c| c.kind == Kind::Plain) {
        return Ok(Picked::new(plain, true));
    }
    let others = SnapshotFilter {
        host: None,
        ..filter.clone()
    };
    let any_host: Vec<&Candidate> = candidates
        .iter()
        .filter(eligible)
        .filter(|c| c.matches(&others))
        .collect();
    if filter.host.is_none() && !any_host.iter().any(|c| c.is_deployment()) {
        if let Some(plain) = any_host.iter().max_by_key(|c| c.order_key()) {
            return Ok(Picked::new(plain, true));
        }
    }
    // Nothing of this host: say which hosts the other filters would have found.
    let mut hosts: BTreeMap<String, usize> = BTreeMap::new();
    for c in any_host {
        *hosts.entry(c.host.clone()).or_default() += 1;
    }
    Err(PickError::NotFound {
        spec: "latest".into(),
        filter: scope.describe(),
        hosts: hosts.into_iter().collect(),
    })
}

/// The candidates for a repository's snapshots. A deployment backup that left its
/// databases to another host of its backup set (`--skip-databases --set`) is COMPLETE
/// while a member of the set holds them, INCOMPLETE otherwise
/// ([`Summary::status_in_set`]): `latest` counts the set as `show` and `snapshots` do.
pub fn candidates(docs: &[(SnapshotId, &Snapshot)]) -> Vec<Candidate> {
    let summaries: Vec<(String, Option<Summary>)> = docs
        .iter()
        .map(|(id, s)| {
            let summary = s.application.as_ref().and_then(Summary::from_application);
            (id.to_hex(), summary)
        })
        .collect();
    docs.iter()
        .zip(&summaries)
        .map(|((id, s), (hex, own))| {
            let mut c = Candidate::of(*id, s);
            if let Some(own) = own {
                let others = summaries
                    .iter()
                    .filter(|(other, _)| other != hex)
                    .filter_map(|(other, s)| s.as_ref().map(|s| (other.as_str(), s)));
                c.kind = match own.status_in_set(others).0 {
                    Status::Complete => Kind::Complete,
                    Status::Incomplete => Kind::Incomplete,
                };
            }
            c
        })
        .collect()
}

/// Reads the repository's snapshots and applies the rule: the snapshot `spec` means, with
/// its document and how it was chosen.
pub fn resolve(
    repo: &Repository,
    spec: &str,
    filter: &SnapshotFilter,
    this_host: &str,
) -> Result<(SnapshotId, Snapshot, Picked), PickError> {
    let selector = Selector::parse(spec)?;
    let mut docs: BTreeMap<SnapshotId, Snapshot> = BTreeMap::new();
    let mut unreadable = Vec::new();
    for (id, snap) in repo.list_snapshots().map_err(PickError::Repository)? {
        match snap {
            Ok(s) => {
                docs.insert(id, s);
            }
            Err(e) => unreadable.push((id, e)),
        }
    }
    let refs: Vec<(SnapshotId, &Snapshot)> = docs.iter().map(|(id, s)| (*id, s)).collect();
    let candidates = candidates(&refs);
    let picked = match (pick(&candidates, &selector, filter, this_host), &selector) {
        // an id that names an unreadable document: say why it cannot be used
        (Err(PickError::NotFound { .. }), Selector::Id(prefix)) => {
            let found = unreadable
                .into_iter()
                .find(|(id, _)| id.to_hex().starts_with(prefix.as_str()));
            return Err(match found {
                Some((id, source)) => PickError::Unreadable {
                    id: id.to_hex(),
                    source,
                },
                None => PickError::NotFound {
                    spec: spec.to_string(),
                    filter: filter.describe(),
                    hosts: Vec::new(),
                },
            });
        }
        (result, _) => result?,
    };
    match docs.remove(&picked.id) {
        Some(snap) => Ok((picked.id, snap, picked)),
        None => Err(PickError::NotFound {
            spec: spec.to_string(),
            filter: filter.describe(),
            hosts: Vec::new(),
        }),
    }
}
