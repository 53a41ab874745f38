//! Snapshot documents: `snapshots/<id>`, a JSON document sealed with associated data
//! `"cnx1-snapshot"`; the id is the BLAKE3 hash of the sealed bytes.

use serde::{Deserialize, Serialize};

use super::config::{check_format_version, FORMAT_VERSION};
use crate::crypto::MasterKey;
use crate::format::error::DecodeError;
use crate::{BlobId, SnapshotId, VaultError};

/// Associated data of a sealed snapshot.
pub const SNAPSHOT_AAD: &[u8] = b"cnx1-snapshot";
/// Object prefix of snapshots.
pub const SNAPSHOTS_DIR: &str = "snapshots/";

/// Counters of one backup run (filled in by the backup pipeline). Unknown fields from newer
/// writers are ignored; missing ones read as 0.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotSummary {
    /// Files not in the parent snapshot.
    pub files_new: u64,
    /// Files whose metadata differed from the parent (read again).
    pub files_changed: u64,
    /// Files reused from the parent without reading.
    pub files_unchanged: u64,
    /// Directories not in the parent.
    pub dirs_new: u64,
    /// Directories whose tree changed.
    pub dirs_changed: u64,
    /// Directories whose tree was reused.
    pub dirs_unchanged: u64,
    /// Entries that could not be read (warnings).
    pub errors: u64,
    /// Bytes of file content read.
    pub bytes_read: u64,
    /// Total size of the files in the snapshot.
    pub bytes_total: u64,
    /// New data blobs stored.
    pub data_blobs_new: u64,
    /// New tree blobs stored.
    pub tree_blobs_new: u64,
    /// Plaintext bytes of the new blobs.
    pub bytes_added: u64,
    /// Stored (compressed + sealed) bytes of the new blobs.
    pub bytes_added_stored: u64,
    /// Backup start, unix ns.
    pub started: i64,
    /// Backup end, unix ns.
    pub finished: i64,
    /// Entries that exist at the source but are not (or only partly) in the snapshot
    /// because they could not be read: a directory that could not be listed is stored
    /// empty, a file is left out. At most [`MAX_NOT_BACKED_UP`] listed (`errors` counts
    /// every warning). Older snapshots have none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_backed_up: Vec<NotBackedUp>,
}

/// Unreadable entries listed in a snapshot at most (the rest are only counted).
pub const MAX_NOT_BACKED_UP: usize = 1000;

/// An entry the backup could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotBackedUp {
    /// Stored path (`/opt/IBM/...`, as `ls` shows it).
    pub path: String,
    /// Why, e.g. "permission denied".
    pub reason: String,
    /// A directory whose content is missing (it is stored empty), rather than a file left
    /// out.
    #[serde(default)]
    pub dir: bool,
}

/// A snapshot: root tree plus where, when and what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Time of the snapshot, unix ns.
    pub time: i64,
    /// Host name.
    pub host: String,
    /// Source paths as given.
    pub paths: Vec<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Root tree blob.
    pub tree: BlobId,
    /// Parent snapshot used for change detection.
    #[serde(default)]
    pub parent: Option<SnapshotId>,
    /// Counters.
    #[serde(default)]
    pub summary: SnapshotSummary,
    /// Opaque application document (the runbook's manifest summary).
    #[serde(default)]
    pub application: Option<serde_json::Value>,
    /// User who ran the backup.
    #[serde(default)]
    pub username: String,
    /// Version of the program that wrote it.
    #[serde(default)]
    pub program_version: String,
}

#[derive(Serialize)]
struct DocOut<'a> {
    format_version: u32,
    #[serde(flatten)]
    snapshot: &'a Snapshot,
}

/// Object path of a snapshot.
pub fn snapshot_path(id: &SnapshotId) -> String {
    format!("{SNAPSHOTS_DIR}{id}")
}

/// JSON plaintext of a snapshot document.
pub fn encode_snapshot(s: &Snapshot) -> Result<Vec<u8>, VaultError> {
    serde_json::to_vec(&DocOut {
        format_version: FORMAT_VERSION,
        snapshot: s,
    })
    .map_err(|e| VaultError::InvalidArgument(format!("snapshot cannot be serialized: {e}")))
}

/// Decode a snapshot document's plaintext (checks the format version first).
pub fn decode_snapshot(plain: &[u8], object: &str) -> Result<Snapshot, VaultError> {
    let mut value: serde_json::Value = serde_json::from_slice(plain)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::NotJson(e)))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| VaultError::corrupt(object, "no numeric format_version"))?;
    check_format_version(version, object)?;
    if let Some(map) = value.as_object_mut() {
        map.remove("format_version");
    }
    serde_json::from_value(value)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::Document(e)))
}

/// Seal a snapshot; returns its id and stored bytes.
pub fn seal_snapshot(key: &MasterKey, s: &Snapshot) -> Result<(SnapshotId, Vec<u8>), VaultError> {
    let sealed = key.aead().seal(SNAPSHOT_AAD, &encode_snapshot(s)?)?;
    Ok((SnapshotId(*blake3::hash(&sealed).as_bytes()), sealed))
}

/// Open and decode a stored snapshot named `object`.
pub fn open_snapshot(key: &MasterKey, stored: &[u8], object: &str) -> Result<Snapshot, VaultError> {
    let plain = key.aead().open(SNAPSHOT_AAD, stored).map_err(|source| {
        VaultError::corrupt_with(
            object,
            DecodeError::Unauthentic {
                what: "snapshot",
                source,
            },
        )
    })?;
    decode_snapshot(&plain, object)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Snapshot {
        Snapshot {
            time: 1_700_000_000_000_000_000,
            host: "cnx1".into(),
            paths: vec!["/opt/IBM".into()],
            tags: vec!["pre-cr".into()],
            tree: BlobId([4; 32]),
            parent: Some(SnapshotId([5; 32])),
            summary: SnapshotSummary {
                files_new: 3,
                ..Default::default()
            },
            application: Some(serde_json::json!({"release": "8.0"})),
            username: "root".into(),
            program_version: "0.1.0".into(),
        }
    }

    #[test]
    fn round_trip() {
        let k = MasterKey::generate().unwrap();
        let s = sample();
        let (id, stored) = seal_snapshot(&k, &s).unwrap();
        let path = snapshot_path(&id);
        assert_eq!(open_snapshot(&k, &stored, &path).unwrap(), s);
    }

    #[test]
    fn newer_version_and_corruption() {
        let mut v: serde_json::Value =
            serde_json::from_slice(&encode_snapshot(&sample()).unwrap()).unwrap();
        v["format_version"] = 3.into();
        let err = decode_snapshot(&serde_json::to_vec(&v).unwrap(), "snapshots/x").unwrap_err();
        assert!(matches!(err, VaultError::NewerFormat { found: 3, .. }));
        let err = decode_snapshot(b"{\"format_version\":1}", "snapshots/x").unwrap_err();
        assert!(err.to_string().contains("snapshots/x"));
    }
}
