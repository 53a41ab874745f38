//! Repository locks: prune takes the exclusive lock, a running backup holds a shared one
//! (so a prune knows which pending-deletion markers the backup may not have seen).
//!
//! A lock is stale when its expiry has passed (the holder refreshes it while working) or when
//! it was taken on this host by a process that no longer exists.

use std::time::Duration;

use tracing::{debug, warn};

use super::Repository;
use crate::format::lock::{open_lock, seal_lock, LockInfo, LOCKS_DIR};
use crate::util::{hostname, now_unix_ns, username};
use crate::VaultError;

/// Lifetime of the shared lock of a backup or a copy; a thread refreshes it every third of
/// that.
const SHARED_LOCK_TTL: Duration = Duration::from_secs(30 * 60);

/// A held lock; released on drop (best effort) or explicitly with [`RepoLock::release`].
pub struct RepoLock<'r> {
    repo: &'r Repository,
    path: String,
    info: LockInfo,
    ttl: Duration,
    released: bool,
}

impl std::fmt::Debug for RepoLock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoLock")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

/// Whether a lock no longer protects anything.
pub fn is_stale(info: &LockInfo, now_ns: i64, this_host: &str) -> bool {
    if now_ns > info.expires {
        return true;
    }
    info.host == this_host && !std::path::Path::new(&format!("/proc/{}", info.pid)).exists()
}

fn ttl_ns(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX)
}

/// Every lock object path with its document or the error reading it.
pub type LockList = Vec<(String, Result<LockInfo, VaultError>)>;

impl Repository {
    /// Every lock object with its decoded document or the error reading it (a lock released
    /// between the listing and its read is left out).
    pub fn list_locks(&self) -> Result<LockList, VaultError> {
        let mut out = Vec::new();
        for obj in self.storage().list(LOCKS_DIR)? {
            let info = match self.storage().read(&obj.path) {
                // Released between the listing and the read: not a lock any more.
                Err(e) if e.is_not_found() => continue,
                read => read.and_then(|b| open_lock(self.key(), &b, &obj.path)),
            };
            out.push((obj.path, info));
        }
        Ok(out)
    }

    /// Take the exclusive lock for `ttl` (refresh it with [`RepoLock::refresh`] before it
    /// expires). Fails with [`VaultError::Locked`] when another live exclusive lock exists;
    /// stale locks and shared (backup) locks are ignored. An unreadable lock object also
    /// blocks (it may be a live lock written by a newer program); remove it by hand after
    /// checking.
    pub fn lock_exclusive(&self, ttl: Duration) -> Result<RepoLock<'_>, VaultError> {
        let host = hostname();
        self.check_no_live_lock(&host, None)?;
        let lock = self.write_lock(ttl, true)?;
        // Two processes may have written their locks at the same time: look again, and back
        // off if anyone else is there.
        self.check_no_live_lock(&host, Some(&lock.path))?;
        debug!(lock = lock.path, "exclusive lock taken");
        Ok(lock)
    }

    /// Take a shared lock for `ttl`: a backup holds one while it runs, so that a prune does
    /// not settle a marker the backup may not have seen (see `maintenance::prune`). Never
    /// blocks and is never blocked.
    pub fn lock_shared(&self, ttl: Duration) -> Result<RepoLock<'_>, VaultError> {
        let lock = self.write_lock(ttl, false)?;
        debug!(lock = lock.path, "shared lock taken");
        Ok(lock)
    }

    fn write_lock(&self, ttl: Duration, exclusive: bool) -> Result<RepoLock<'_>, VaultError> {
        let now = now_unix_ns();
        let info = LockInfo {
            format_version: crate::format::config::FORMAT_VERSION,
            host: hostname(),
            pid: std::process::id(),
            username: username(),
            time: now,
            expires: now.saturating_add(ttl_ns(ttl)),
            exclusive,
            since: Some(now),
        };
        let id = hex::encode(crate::crypto::random_bytes::<16>()?);
        let path = format!("{LOCKS_DIR}{id}");
        self.storage().write(&path, seal_lock(self.key(), &info)?)?;
        Ok(RepoLock {
            repo: self,
            path,
            info,
            ttl,
            released: false,
        })
    }

    /// Run `f` holding a shared lock (refreshed meanwhile, released after), as every
    /// operation that adds data does (a backup, a copy): a prune does not settle a
    /// pending-deletion marker such an operation may not have seen (issue 21: `prune --grace
    /// 0` beside a running backup deleted packs the backup then referenced). Right after the
    /// lock is written the markers are read again, so every marker older than the lock is
    /// honoured.
    pub fn under_shared_lock<T, E: From<VaultError>>(
        &self,
        f: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let mut lock = self.lock_shared(SHARED_LOCK_TTL)?;
        self.refresh_pending_markers()?;
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|s| {
            let refresher = s.spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(SHARED_LOCK_TTL / 3)
                {
                    if let Err(e) = lock.refresh() {
                        warn!(error = %e, "could not refresh the shared lock");
                    }
                }
                lock
            });
            let out = f();
            drop(stop);
            match refresher.join() {
                Ok(lock) => {
                    if let Err(e) = lock.release() {
                        warn!(error = %e, "could not remove the shared lock");
                    }
                }
                Err(_) => warn!("the lock refresher panicked (a bug: please report it)"),
            }
            out
        })
    }

    /// The live shared (backup) locks, oldest first.
    pub fn live_shared_locks(&self) -> Result<Vec<LockInfo>, VaultError> {
        let host = hostname();
        let now = now_unix_ns();
        let mut live: Vec<LockInfo> = self
            .list_locks()?
            .into_iter()
            .filter_map(|(_, info)| info.ok())
            .filter(|info| !info.exclusive && !is_stale(info, now, &host))
            .collect();
        live.sort_by_key(|l| l.since.unwrap_or(l.time));
        Ok(live)
    }

    fn check_no_live_lock(&self, host: &str, own: Option<&str>) -> Result<(), VaultError> {
        let now = now_unix_ns();
        for (path, info) in self.list_locks()? {
            if Some(path.as_str()) == own {
                continue;
            }
            match info {
                Ok(info) if is_stale(&info, now, host) => {
                    debug!(lock = path, "ignoring stale lock");
                }
                Ok(info) if !info.exclusive => {}
                Ok(info) => {
                    return Err(VaultError::Locked {
                        holder: format!("{info} ({path})"),
                    })
                }
                Err(e) => {
                    return Err(VaultError::Locked {
                        holder: format!("an unreadable lock object {path}: {e}"),
                    })
                }
            }
        }
        Ok(())
    }

    /// Delete stale lock objects; returns how many were removed.
    pub fn remove_stale_locks(&self) -> Result<usize, VaultError> {
        let host = hostname();
        let now = now_unix_ns();
        let mut removed = 0;
        for (path, info) in self.list_locks()? {
            if let Ok(info) = info {
                if is_stale(&info, now, &host) {
                    self.storage().delete(&path)?;
                    removed += 1;
                }
            }
        }
        Ok(removed)
    }
}

impl RepoLock<'_> {
    /// The lock document as written.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Object path of the lock.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Push the expiry `ttl` into the future.
    pub fn refresh(&mut self) -> Result<(), VaultError> {
        let now = now_unix_ns();
        self.info.time = now;
        self.info.expires = now.saturating_add(ttl_ns(self.ttl));
        self.repo
            .storage()
            .write(&self.path, seal_lock(self.repo.key(), &self.info)?)
    }

    /// Delete the lock object.
    pub fn release(mut self) -> Result<(), VaultError> {
        self.released = true;
        self.repo.storage().delete(&self.path)
    }
}

impl Drop for RepoLock<'_> {
    fn drop(&mut self) {
        if !self.released {
            if let Err(e) = self.repo.storage().delete(&self.path) {
                warn!(lock = self.path, error = %e, "could not remove lock");
            }
        }
    }
}
