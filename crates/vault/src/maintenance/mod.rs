//! Repository maintenance: `forget` (a retention policy over snapshots), `prune` (two-phase
//! deletion of unused data with a grace period) and `unlock` (stale locks).
//!
//! Backups take only a shared lock: many hosts may write one repository at once, because
//! every object is named by a hash of its content and every session writes its own index
//! segments. Only prune deletes data, and it does so in two phases so that a concurrent
//! backup never loses a blob it relies on (docs/FORMAT.md, "Prune protocol").

pub mod pending;
pub mod policy;
pub mod prune;

use serde::Serialize;

pub use policy::{
    apply_policy, parse_duration, DurationError, GroupDecision, GroupKey, KeepReason,
    RetentionPolicy, SnapshotMeta,
};
pub use prune::{prune, PruneOptions, PruneReport};

use crate::format::lock::LockInfo;
use crate::{Repository, Snapshot, SnapshotFilter, SnapshotId, VaultError};

/// The policy's input for one snapshot (`application.backup_set` as the backup set).
pub fn snapshot_meta(id: SnapshotId, s: &Snapshot) -> SnapshotMeta {
    SnapshotMeta {
        id,
        time: s.time,
        host: s.host.clone(),
        paths: s.paths.clone(),
        tags: s.tags.clone(),
        backup_set: crate::repo::filter::backup_set(s).map(str::to_string),
    }
}

/// What `forget` decided (and, unless a dry run, did).
#[derive(Debug, Clone, Serialize)]
pub struct ForgetReport {
    pub dry_run: bool,
    pub groups: Vec<GroupDecision>,
    /// Snapshots removed (or that would be).
    pub removed: usize,
    pub kept: usize,
    /// Unreadable snapshots, never touched by a policy.
    pub unreadable: Vec<SnapshotId>,
    /// Snapshots the `--host`/`--set`/`--tag` filters left out (never touched).
    pub not_matching: usize,
}

/// Apply a retention policy to the snapshots `filter` matches: delete the snapshot
/// documents the policy does not keep (their data stays until a prune). Snapshots the filter
/// does not match are left alone. Refuses an empty policy.
pub fn forget(
    repo: &Repository,
    policy: &RetentionPolicy,
    filter: &SnapshotFilter,
    dry_run: bool,
) -> Result<ForgetReport, VaultError> {
    forget_where(repo, policy, |_, s| filter.matches(s), dry_run)
}

/// [`forget`] over the snapshots `select` picks (a filter the vault does not know, such as
/// the deployment backup's status); `not_matching` counts the others.
pub fn forget_where(
    repo: &Repository,
    policy: &RetentionPolicy,
    select: impl Fn(&SnapshotId, &Snapshot) -> bool,
    dry_run: bool,
) -> Result<ForgetReport, VaultError> {
    if policy.is_empty() {
        return Err(VaultError::InvalidArgument(
            "no retention rule given (it would remove every snapshot): give --keep-last, \
             --keep-hourly/daily/weekly/monthly/yearly, --keep-tag or --keep-within"
                .into(),
        ));
    }
    let mut metas = Vec::new();
    let mut unreadable = Vec::new();
    let mut not_matching = 0;
    for (id, snap) in repo.list_snapshots()? {
        match snap {
            Ok(s) if select(&id, &s) => metas.push(snapshot_meta(id, &s)),
            Ok(_) => not_matching += 1,
            Err(_) => unreadable.push(id),
        }
    }
    let groups = apply_policy(&metas, policy);
    let removed: usize = groups.iter().map(|g| g.remove.len()).sum();
    let kept: usize = groups.iter().map(|g| g.keep.len()).sum();
    if !dry_run {
        delete_removed(repo, &groups)?;
    }
    Ok(ForgetReport {
        dry_run,
        groups,
        removed,
        kept,
        unreadable,
        not_matching,
    })
}

/// Forget the named snapshots (`forget ID...`), reported like a policy's decisions: each in
/// its group's `remove`, nothing kept. Each must exist and read.
pub fn forget_ids(
    repo: &Repository,
    ids: &[SnapshotId],
    dry_run: bool,
) -> Result<ForgetReport, VaultError> {
    let mut by_group: std::collections::BTreeMap<GroupKey, Vec<SnapshotId>> =
        std::collections::BTreeMap::new();
    for id in ids {
        let meta = snapshot_meta(*id, &repo.load_snapshot(id)?);
        let remove = by_group.entry(GroupKey::of(&meta)).or_default();
        if !remove.contains(id) {
            remove.push(*id);
        }
    }
    let groups: Vec<GroupDecision> = by_group
        .into_iter()
        .map(|(group, remove)| GroupDecision {
            group,
            keep: Vec::new(),
            remove,
        })
        .collect();
    let removed = groups.iter().map(|g| g.remove.len()).sum();
    if !dry_run {
        delete_removed(repo, &groups)?;
    }
    Ok(ForgetReport {
        dry_run,
        groups,
        removed,
        kept: 0,
        unreadable: Vec::new(),
        not_matching: 0,
    })
}

/// Delete the snapshot documents the decisions remove (refused in an append-only
/// repository outside maintenance).
fn delete_removed(repo: &Repository, groups: &[GroupDecision]) -> Result<(), VaultError> {
    repo.allow_deletes("forget")?;
    // several deletes in flight: on S3 each is a round trip
    let paths: Vec<String> = groups
        .iter()
        .flat_map(|g| g.remove.iter())
        .map(crate::format::snapshot::snapshot_path)
        .collect();
    repo.storage().delete_many(&paths, 8)?;
    Ok(())
}

/// Whether `unlock` may remove a lock: a lock of a live process on this host is never
/// stale, even past its expiry; a lock of another host is stale once expired; a lock of this
/// host whose process is gone is stale at once.
pub fn lock_is_removable(info: &LockInfo, now_ns: i64, this_host: &str) -> bool {
    if info.host == this_host {
        return !process_alive(info.pid);
    }
    now_ns > info.expires
}

fn process_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// One lock as `unlock` saw it.
#[derive(Debug, Clone, Serialize)]
pub struct LockState {
    pub path: String,
    /// The holder, or why the lock could not be read.
    pub holder: String,
    pub removed: bool,
}

/// Remove stale locks (see [`lock_is_removable`]); unreadable lock objects are left alone
/// (they may be a newer program's live locks) unless `remove_unreadable`.
pub fn unlock(repo: &Repository, remove_unreadable: bool) -> Result<Vec<LockState>, VaultError> {
    let host = crate::util::hostname();
    let now = crate::now_unix_ns();
    let mut out = Vec::new();
    for (path, info) in repo.list_locks()? {
        let (holder, removable) = match info {
            Ok(info) => (info.to_string(), lock_is_removable(&info, now, &host)),
            Err(e) => (format!("unreadable: {e}"), remove_unreadable),
        };
        if removable {
            repo.storage().delete(&path)?;
        }
        out.push(LockState {
            path,
            holder,
            removed: removable,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(host: &str, pid: u32, expires: i64) -> LockInfo {
        LockInfo {
            format_version: 1,
            host: host.into(),
            pid,
            username: "u".into(),
            time: 0,
            expires,
            exclusive: true,
            since: None,
        }
    }

    #[test]
    fn live_local_locks_are_never_removable() {
        let me = std::process::id();
        // expired long ago, but this process is alive
        assert!(!lock_is_removable(&info("here", me, 1), i64::MAX, "here"));
        // a process that cannot exist
        assert!(lock_is_removable(
            &info("here", u32::MAX, i64::MAX),
            0,
            "here"
        ));
        // other hosts: by expiry only
        assert!(!lock_is_removable(&info("there", me, 100), 50, "here"));
        assert!(lock_is_removable(&info("there", me, 100), 101, "here"));
    }
}
