//! Set records: `sets/<id>`, a JSON document sealed with associated data `"cnx1-set"`, where
//! `id = hex(BLAKE3(stored bytes))`. A backup set (the snapshots of the hosts of one cell,
//! tagged `set:<ID>`) is described by its records: what the set must hold (written once,
//! before the backup) and events of its hosts (servers stopped and started). The vault does
//! not interpret a record's `document`; it is the application's, like a snapshot's
//! `application` document.

use serde::{Deserialize, Serialize};

use super::config::check_format_version;
use crate::crypto::MasterKey;
use crate::VaultError;

/// Associated data of a sealed set record.
pub const SET_RECORD_AAD: &[u8] = b"cnx1-set";
/// Object prefix of set records.
pub const SETS_DIR: &str = "sets/";

/// One record of a backup set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRecord {
    /// Format version.
    pub format_version: u32,
    /// The set id (the snapshots of the set carry the tag `set:<set>`).
    pub set: String,
    /// What the record says (the application's name for it: `plan`, `stopped`, ...).
    pub kind: String,
    /// When it was written, unix ns.
    pub time: i64,
    /// The host that wrote it.
    pub host: String,
    /// The application's document.
    pub document: serde_json::Value,
}

/// The object path of the record stored as `id` (64 hex characters).
pub fn set_record_path(id: &str) -> String {
    format!("{SETS_DIR}{id}")
}

/// Seal a set record; returns its id (hex BLAKE3 of the stored bytes) and the bytes.
pub fn seal_set_record(key: &MasterKey, r: &SetRecord) -> Result<(String, Vec<u8>), VaultError> {
    let json = serde_json::to_vec(r).map_err(|e| {
        VaultError::InvalidArgument(format!("set record cannot be serialized: {e}"))
    })?;
    let stored = key.aead().seal(SET_RECORD_AAD, &json)?;
    Ok((blake3::hash(&stored).to_hex().to_string(), stored))
}

/// Decode a set record's plaintext.
pub fn decode_set_record(plain: &[u8], object: &str) -> Result<SetRecord, VaultError> {
    #[derive(Deserialize)]
    struct Probe {
        format_version: u64,
    }
    // the version first: a newer layout gets the upgrade message, not a parse error
    let probe: Probe =
        serde_json::from_slice(plain).map_err(|e| VaultError::corrupt(object, e.to_string()))?;
    check_format_version(probe.format_version, object)?;
    serde_json::from_slice(plain).map_err(|e| VaultError::corrupt(object, e.to_string()))
}

/// Check a stored record against its name, open and decode it.
pub fn open_set_record(
    key: &MasterKey,
    id: &str,
    stored: &[u8],
    object: &str,
) -> Result<SetRecord, VaultError> {
    if blake3::hash(stored).to_hex().as_str() != id {
        return Err(VaultError::corrupt(
            object,
            "content does not match its name (truncated or altered)",
        ));
    }
    let plain = key
        .aead()
        .open(SET_RECORD_AAD, stored)
        .map_err(|e| VaultError::corrupt(object, e.to_string()))?;
    decode_set_record(&plain, object)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn record() -> SetRecord {
        SetRecord {
            format_version: 1,
            set: "cnx-2026-11-27".into(),
            kind: "plan".into(),
            time: 7,
            host: "cnx-dmgr".into(),
            document: serde_json::json!({"hosts": ["a", "b"]}),
        }
    }

    #[test]
    fn round_trip_and_tamper() {
        let k = MasterKey::generate().unwrap();
        let (id, stored) = seal_set_record(&k, &record()).unwrap();
        let path = set_record_path(&id);
        assert_eq!(open_set_record(&k, &id, &stored, &path).unwrap(), record());
        let mut bad = stored.clone();
        bad[20] ^= 1;
        let err = open_set_record(&k, &id, &bad, &path).unwrap_err();
        assert!(err.to_string().contains("does not match its name"), "{err}");
        let other = MasterKey::generate().unwrap();
        assert!(open_set_record(&other, &id, &stored, &path).is_err());
    }

    #[test]
    fn newer_format_and_unknown_fields_are_refused() {
        let mut v = serde_json::to_value(record()).unwrap();
        v["format_version"] = 9.into();
        let err = decode_set_record(&serde_json::to_vec(&v).unwrap(), "sets/x").unwrap_err();
        assert!(err.to_string().contains("newer cnxbackup"), "{err}");
        let mut v = serde_json::to_value(record()).unwrap();
        v["surprise"] = 1.into();
        assert!(decode_set_record(&serde_json::to_vec(&v).unwrap(), "sets/x").is_err());
        assert!(decode_set_record(b"\xff", "sets/x").is_err());
    }
}
