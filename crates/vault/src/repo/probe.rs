//! Proving that a repository takes writes before a long job (a deployment backup that stops
//! servers) starts.

use super::locks::is_stale;
use super::Repository;
use crate::format::lock::{open_lock, seal_lock, LockInfo, LOCKS_DIR};
use crate::util::{hostname, now_unix_ns, username};
use crate::VaultError;

impl Repository {
    /// Writes a lock document under `locks/`, reads it back and deletes it: the repository
    /// is reachable, accepts writes and deletes where locks live, and the key works (on S3:
    /// a PUT, a GET and a DELETE). The document is already expired when written, so no
    /// other process ever waits on it, and `unlock` removes it should the delete fail.
    /// Returns the live locks other processes hold (a prune running beside is fine).
    pub fn probe_write(&self) -> Result<Vec<LockInfo>, VaultError> {
        let host = hostname();
        let now = now_unix_ns();
        let info = LockInfo {
            format_version: crate::format::config::FORMAT_VERSION,
            host: host.clone(),
            pid: std::process::id(),
            username: username(),
            time: now,
            expires: now,
            exclusive: false,
            // Expired when written: it never protects packs from a prune.
            since: None,
        };
        let id = hex::encode(crate::crypto::random_bytes::<16>()?);
        let path = format!("{LOCKS_DIR}{id}");
        self.storage().write(&path, seal_lock(self.key(), &info)?)?;
        let back = self
            .storage()
            .read(&path)
            .and_then(|b| open_lock(self.key(), &b, &path));
        self.storage().delete(&path)?;
        back?;
        let live = self
            .list_locks()?
            .into_iter()
            .filter(|(p, _)| *p != path)
            .filter_map(|(_, l)| l.ok())
            .filter(|l| !is_stale(l, now_unix_ns(), &host))
            .collect();
        Ok(live)
    }
}
