//! The one error type of the vault crate.
//!
//! Every variant carries the context a user needs to act (the object path, the blob id, the
//! pack). Secret material (passwords, keys) never appears in any variant.

use std::path::PathBuf;
use std::sync::Arc;

use crate::format::error::DecodeError;
use crate::storage::{StoreError, StoreErrorKind};

/// Errors returned by the repository engine.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// No key file of the repository could be opened with the given password.
    #[error("wrong password")]
    WrongPassword,

    /// No key file opens with the password, and some key files cannot be read or used: the
    /// password may well be right for one of those (a truncated or altered key file is not a
    /// wrong password).
    #[error(
        "{} cannot be used: {}{}",
        if unreadable.len() == 1 { "a key file" } else { "key files" },
        unreadable.join("; "),
        if *tried == 0 {
            String::from(" (no key file could even be tried; restore keys/ from a copy of the \
                          repository)")
        } else {
            format!(" (the password opens none of the other {tried}; if it belongs to the \
                     damaged key file, restore that file from a copy of the repository)")
        }
    )]
    KeyFilesUnusable {
        /// Each unusable key file with the reason (`keys/<id>: reason`).
        unreadable: Vec<String>,
        /// Key files that were readable and did not open with the password.
        tried: usize,
    },

    /// A storage operation failed: the store names its kind (missing object, no space,
    /// access denied, still failing after retries, misconfigured) and keeps the underlying
    /// error as the source. Boxed: every `Result` carrying a `VaultError` stays small.
    #[error(transparent)]
    Storage(Box<StorageFailure>),

    /// An object that must exist does not (found missing by the repository itself; a store
    /// reports a missing object as [`VaultError::Storage`] of kind
    /// [`StoreErrorKind::NotFound`] — [`VaultError::is_not_found`] covers both).
    #[error("object not found: {path}")]
    NotFound {
        /// The object path inside the repository.
        path: String,
    },

    /// There is no repository at the location (no `config` object).
    #[error("no repository at {location} (no config object; run init first)")]
    NoRepository {
        /// The storage location.
        location: String,
    },

    /// `init` was asked to create a repository where one already exists.
    #[error("a repository already exists at {location}")]
    RepositoryExists {
        /// The storage location.
        location: String,
    },

    /// The repository was written by a newer program version.
    #[error(
        "this repository was written by a newer cnxbackup (format {found}); upgrade cnxbackup \
         (this version reads format {supported})"
    )]
    NewerFormat {
        /// The format version found in the object.
        found: u32,
        /// The newest format version this program reads.
        supported: u32,
    },

    /// The repository names an algorithm this program does not know.
    #[error("unsupported {what} \"{name}\" in {object}")]
    Unsupported {
        /// What kind of algorithm (cipher, chunker, ...).
        what: &'static str,
        /// The name found.
        name: String,
        /// The object that names it.
        object: String,
    },

    /// An object exists but cannot be decoded or fails authentication.
    #[error("corrupt {object}: {reason}")]
    Corrupt {
        /// The object path (or a description such as "blob `<id>`").
        object: String,
        /// Which rule of the format the bytes break.
        #[source]
        reason: DecodeError,
    },

    /// A blob stored in a pack fails verification (AEAD tag, decompression or id).
    #[error("blob {blob} in pack {pack} is damaged: {reason}")]
    BlobDamaged {
        /// The pack (hex id) holding the blob.
        pack: String,
        /// The blob id (hex).
        blob: String,
        /// What failed.
        #[source]
        reason: DecodeError,
    },

    /// A blob is not in the index (nor pending in this session).
    #[error("{kind} blob {id} not found in the index")]
    BlobNotFound {
        /// Data or tree.
        kind: crate::BlobKind,
        /// The blob id (hex).
        id: String,
    },

    /// No snapshot matches a spec.
    #[error("no snapshot matches \"{spec}\"")]
    SnapshotNotFound {
        /// The id, prefix or `latest` given.
        spec: String,
    },

    /// A snapshot id prefix matches several snapshots.
    #[error("snapshot prefix \"{prefix}\" is ambiguous: it matches {}", candidates.join(", "))]
    AmbiguousSnapshot {
        /// The prefix given.
        prefix: String,
        /// Every matching id (hex).
        candidates: Vec<String>,
    },

    /// No key's id is or starts with the given text.
    #[error("no key matches \"{spec}\" (see `key list`)")]
    KeyNotFound {
        /// The id or prefix given.
        spec: String,
    },

    /// A key id prefix matches several keys.
    #[error("key prefix \"{spec}\" is ambiguous: it matches {}", candidates.join(", "))]
    AmbiguousKey {
        /// The prefix given.
        spec: String,
        /// Every matching id.
        candidates: Vec<String>,
    },

    /// Removing this key would leave no readable key: nobody could open the repository.
    #[error("key {id} is the last readable key of the repository; add another before removing it")]
    LastKey {
        /// The key's id.
        id: String,
    },

    /// The key to remove is the one whose password opened the repository.
    #[error(
        "key {id} is the key in use (its password opened the repository); remove it with \
         --force, or open the repository with another key's password"
    )]
    KeyInUse {
        /// The key's id.
        id: String,
    },

    /// `copy` was pointed at a repository that is not a copy destination of the source.
    #[error(
        "{to} is not a copy of {from} (it has another master key): copy into a new location, \
         which `copy` creates for this source, or into a repository an earlier `copy` \
         created"
    )]
    NotACopy {
        /// The source's location.
        from: String,
        /// The destination's location.
        to: String,
    },

    /// An operation that deletes objects, in an append-only repository, outside maintenance
    /// mode.
    #[error(
        "{location} is append-only: {what} deletes objects and runs only in maintenance mode \
         (--maintenance, with the maintenance credentials that may delete; see docs/S3.md, \
         \"Tamper resistance\")"
    )]
    AppendOnly {
        /// The refused operation (forget, prune, key remove, ...).
        what: &'static str,
        /// The repository.
        location: String,
    },

    /// The repository is locked by another process.
    #[error("repository is locked by {holder}")]
    Locked {
        /// Who holds the lock (host, pid, time).
        holder: String,
    },

    /// `prune --grace 0` while a backup holds its shared lock: it would settle the marker of
    /// this very run, whose packs the backup may still rely on.
    #[error(
        "a backup is running ({holder}): prune --grace 0 would delete packs that backup may \
         still use; wait until it finishes, or prune with a grace period (the default 24h \
         is safe beside running backups)"
    )]
    BackupRunning {
        /// The backup's lock (host, pid, user, since when).
        holder: String,
    },

    /// A write of this session failed (e.g. a pack upload on a full disk); blobs
    /// reported as saved may be missing, so the session cannot complete.
    #[error("a write to the repository failed, nothing more is saved in this session")]
    SessionFailed {
        /// The first failure (shared: every later operation of the session reports it).
        #[source]
        source: Arc<VaultError>,
    },

    /// A caller passed a value outside the accepted range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    /// A local (non-repository) file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The local path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A cryptographic primitive failed in a way that is not a wrong key (e.g. the system
    /// random generator).
    #[error("crypto failure: {0}")]
    Crypto(&'static str),
}

/// A storage operation that failed, as [`VaultError::Storage`] reports it.
#[derive(Debug, thiserror::Error)]
#[error("{store}: cannot {op} {path}: {}", message.as_deref().unwrap_or(kind.describe()))]
pub struct StorageFailure {
    /// How the store names itself (a directory; S3: endpoint and bucket; never credentials).
    pub store: String,
    /// The operation (read, write, list, delete, stat, open).
    pub op: &'static str,
    /// The object path inside the repository.
    pub path: String,
    /// What kind of failure (what can be done about it).
    pub kind: StoreErrorKind,
    /// What the store said about it and what to check, when it knew better than the kind's
    /// description.
    pub message: Option<String>,
    /// The underlying error (an I/O error, the object store client's error).
    #[source]
    pub source: Option<crate::storage::store::BoxedSource>,
}

impl VaultError {
    /// A store's error with what the repository was doing: the store's name, the operation
    /// and the object.
    pub fn storage(store: String, op: &'static str, path: &str, error: StoreError) -> Self {
        let (kind, message, source) = error.into_parts();
        VaultError::Storage(Box::new(StorageFailure {
            store,
            op,
            path: path.to_string(),
            kind,
            message,
            source,
        }))
    }

    /// The store's kind of failure, when this is a storage error (directly or as the cause
    /// of a failed session).
    pub fn storage_kind(&self) -> Option<StoreErrorKind> {
        match self {
            VaultError::Storage(f) => Some(f.kind),
            VaultError::SessionFailed { source } => source.storage_kind(),
            _ => None,
        }
    }

    /// The store's kind of failure when this error is itself a storage error.
    fn storage_kind_here(&self) -> Option<StoreErrorKind> {
        match self {
            VaultError::Storage(f) => Some(f.kind),
            _ => None,
        }
    }

    /// Whether an object is missing (found so by the repository or reported by the store).
    pub fn is_not_found(&self) -> bool {
        matches!(self, VaultError::NotFound { .. })
            || self.storage_kind_here() == Some(StoreErrorKind::NotFound)
    }

    /// [`VaultError::Corrupt`] for a rule the caller checked itself (the text says which).
    pub fn corrupt(object: impl Into<String>, reason: impl Into<String>) -> Self {
        VaultError::corrupt_with(object, DecodeError::Invalid(reason.into()))
    }

    /// [`VaultError::Corrupt`] for a decoder's error.
    pub fn corrupt_with(object: impl Into<String>, reason: impl Into<DecodeError>) -> Self {
        VaultError::Corrupt {
            object: object.into(),
            reason: reason.into(),
        }
    }
}
