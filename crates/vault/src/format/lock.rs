//! Lock objects: `locks/<random id>`, a JSON document sealed with associated data
//! `"cnx1-lock"`. Prune takes an exclusive lock; a backup holds a shared one while it runs
//! (it never blocks another backup or a prune: it tells a prune which markers it may not
//! settle yet).

use serde::{Deserialize, Serialize};

use super::config::check_format_version;
use crate::crypto::MasterKey;
use crate::format::error::DecodeError;
use crate::VaultError;

/// Associated data of a sealed lock.
pub const LOCK_AAD: &[u8] = b"cnx1-lock";
/// Object prefix of locks.
pub const LOCKS_DIR: &str = "locks/";

/// Who holds a lock and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Format version.
    pub format_version: u32,
    /// Holder's host name.
    pub host: String,
    /// Holder's process id.
    pub pid: u32,
    /// Holder's user name.
    pub username: String,
    /// When taken or last refreshed, unix ns.
    pub time: i64,
    /// After this instant (unix ns) the lock is stale unless refreshed.
    pub expires: i64,
    /// Exclusive (prune) or shared (backup).
    pub exclusive: bool,
    /// When the holder took the lock (unix ns; `time` moves with every refresh). A backup
    /// re-reads the pending-deletion markers right after taking its lock, so only markers
    /// written after `since` can list packs it relies on. Absent in older locks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lock of {}@{} pid {} taken at {} (expires {})",
            if self.exclusive {
                "an exclusive"
            } else {
                "a shared"
            },
            self.username,
            self.host,
            self.pid,
            crate::util::format_unix_ns(self.time),
            crate::util::format_unix_ns(self.expires),
        )
    }
}

/// Seal a lock document.
pub fn seal_lock(key: &MasterKey, l: &LockInfo) -> Result<Vec<u8>, VaultError> {
    let json = serde_json::to_vec(l)
        .map_err(|e| VaultError::InvalidArgument(format!("lock cannot be serialized: {e}")))?;
    key.aead().seal(LOCK_AAD, &json)
}

/// Decode a lock document's plaintext.
pub fn decode_lock(plain: &[u8], object: &str) -> Result<LockInfo, VaultError> {
    let l: LockInfo = serde_json::from_slice(plain)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::Document(e)))?;
    check_format_version(u64::from(l.format_version), object)?;
    Ok(l)
}

/// Open and decode a stored lock.
pub fn open_lock(key: &MasterKey, stored: &[u8], object: &str) -> Result<LockInfo, VaultError> {
    let plain = key.aead().open(LOCK_AAD, stored).map_err(|source| {
        VaultError::corrupt_with(
            object,
            DecodeError::Unauthentic {
                what: "lock",
                source,
            },
        )
    })?;
    decode_lock(&plain, object)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_display() {
        let k = MasterKey::generate().unwrap();
        let l = LockInfo {
            format_version: 1,
            host: "h".into(),
            pid: 42,
            username: "root".into(),
            time: 0,
            expires: 1_000_000_000,
            exclusive: true,
            since: Some(0),
        };
        let s = seal_lock(&k, &l).unwrap();
        assert_eq!(open_lock(&k, &s, "locks/a").unwrap(), l);
        let text = l.to_string();
        assert!(text.contains("root@h pid 42"), "{text}");
        assert!(open_lock(&k, &s[1..], "locks/a").is_err());
    }
}
