//! "Pending deletion" markers: `pending/<32 random hex>`, a JSON document sealed with
//! associated data `"cnx1-pending"`, listing packs that prune (phase 1) found unneeded and
//! when. A later prune (phase 2), once the grace period has passed, deletes those packs that
//! are still unneeded by every snapshot, and puts the others back.
//!
//! While a pack is listed in a marker, every reader treats it as absent for deduplication
//! (a backup re-uploads such data instead of relying on a pack about to go) but still reads
//! blobs from it (a snapshot written by a backup that started before the marker may use it).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::crypto::MasterKey;
use crate::format::config::check_format_version;
use crate::format::error::DecodeError;
use crate::storage::Storage;
use crate::{PackId, VaultError};

/// Associated data of a sealed marker.
pub const PENDING_AAD: &[u8] = b"cnx1-pending";
/// Object prefix of markers.
pub const PENDING_DIR: &str = "pending/";

/// One marker document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingDeletion {
    pub format_version: u32,
    /// When phase 1 wrote it (unix ns).
    pub time: i64,
    /// Host of the prune that wrote it.
    pub host: String,
    /// Packs to delete (hex ids), sorted.
    pub packs: Vec<String>,
}

impl PendingDeletion {
    /// The packs as ids (invalid entries are reported as corruption).
    pub fn pack_ids(&self, object: &str) -> Result<Vec<PackId>, VaultError> {
        self.packs
            .iter()
            .map(|h| {
                PackId::from_hex(h)
                    .map_err(|_| VaultError::corrupt(object, format!("\"{h}\" is not a pack id")))
            })
            .collect()
    }
}

/// Seal a marker.
pub fn seal_pending(key: &MasterKey, p: &PendingDeletion) -> Result<Vec<u8>, VaultError> {
    let json = serde_json::to_vec(p)
        .map_err(|e| VaultError::InvalidArgument(format!("marker cannot be serialized: {e}")))?;
    key.aead().seal(PENDING_AAD, &json)
}

/// Open and decode a stored marker.
pub fn open_pending(
    key: &MasterKey,
    stored: &[u8],
    object: &str,
) -> Result<PendingDeletion, VaultError> {
    let plain = key.aead().open(PENDING_AAD, stored).map_err(|source| {
        VaultError::corrupt_with(
            object,
            DecodeError::Unauthentic {
                what: "pending-deletion marker",
                source,
            },
        )
    })?;
    let p: PendingDeletion = serde_json::from_slice(&plain)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::Document(e)))?;
    check_format_version(u64::from(p.format_version), object)?;
    Ok(p)
}

/// Every marker object path with its document or the error reading it.
pub type MarkerList = Vec<(String, Result<PendingDeletion, VaultError>)>;

/// Every marker with its document or the error reading it.
pub fn list_pending(storage: &Storage, key: &MasterKey) -> Result<MarkerList, VaultError> {
    let mut out = Vec::new();
    for obj in storage.list(PENDING_DIR)? {
        let doc = storage
            .read(&obj.path)
            .and_then(|b| open_pending(key, &b, &obj.path));
        out.push((obj.path, doc));
    }
    Ok(out)
}

/// The packs listed by every readable marker: the packs readers must not deduplicate
/// against. An unreadable marker is skipped with a warning (it hides nothing: at worst a
/// backup relies on a pack a later prune resurrects).
pub fn pending_packs(storage: &Storage, key: &MasterKey) -> Result<HashSet<PackId>, VaultError> {
    let mut out = HashSet::new();
    for (path, doc) in list_pending(storage, key)? {
        match doc.and_then(|d| d.pack_ids(&path)) {
            Ok(ids) => out.extend(ids),
            Err(e) => {
                tracing::warn!(marker = path, error = %e, "skipping unreadable pending-deletion marker")
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let k = MasterKey::generate().unwrap();
        let p = PendingDeletion {
            format_version: 1,
            time: 5,
            host: "h".into(),
            packs: vec![PackId([7; 32]).to_hex()],
        };
        let s = seal_pending(&k, &p).unwrap();
        let back = open_pending(&k, &s, "pending/x").unwrap();
        assert_eq!(back, p);
        assert_eq!(back.pack_ids("x").unwrap(), vec![PackId([7; 32])]);
        assert!(open_pending(&k, &s[1..], "pending/x").is_err());
        // a lock cannot pass for a marker (different associated data)
        let other = k.aead().seal(b"cnx1-lock", b"{}").unwrap();
        assert!(open_pending(&k, &other, "pending/x").is_err());
    }
}
