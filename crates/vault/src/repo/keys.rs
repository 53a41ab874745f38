//! The repository's passwords: each is a key file (`keys/<id>`) wrapping the one master key
//! (`docs/FORMAT.md`). Listing, adding, removing and changing them.
//!
//! Two rules keep a repository from being locked out: a key is never removed when no other
//! key file would remain readable, and the key that opened the repository is removed only on
//! request (`force`) — whoever removes it has just proven they know its password, but may
//! not know any other. Changing a password writes the new key file before it removes the
//! old one, so an interruption leaves both, never neither.

use serde::Serialize;

use super::Repository;
use crate::crypto::kdf::KdfParams;
use crate::format::keyfile::{decode_key_file, KEYS_DIR};
use crate::VaultError;

/// One key file as `key list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// The key's id: its object name under `keys/` (hex).
    pub id: String,
    /// Whether this key opened the repository (its password is the one in use).
    pub current: bool,
    /// When it was added, unix ns (`None` for an unreadable key file).
    pub created: Option<i64>,
    /// Host that added it.
    pub host: Option<String>,
    /// User that added it.
    pub username: Option<String>,
    /// Why the key file cannot be read (`None` when it can).
    pub problem: Option<String>,
}

impl Repository {
    /// Every key file, sorted by id; unreadable ones are listed with their problem.
    pub fn list_keys(&self) -> Result<Vec<KeyInfo>, VaultError> {
        let mut out = Vec::new();
        for obj in self.storage().list(KEYS_DIR)? {
            let decoded = self
                .storage()
                .read(&obj.path)
                .and_then(|bytes| decode_key_file(&bytes, &obj.path));
            let id = obj.path.trim_start_matches(KEYS_DIR).to_string();
            let current = obj.path == self.key_path();
            out.push(match decoded {
                Ok(kf) => KeyInfo {
                    id,
                    current,
                    created: Some(kf.created),
                    host: Some(kf.host),
                    username: Some(kf.username),
                    problem: None,
                },
                // Removed between the listing and the read: not a key any more.
                Err(e) if e.is_not_found() => continue,
                Err(e) => KeyInfo {
                    id,
                    current,
                    created: None,
                    host: None,
                    username: None,
                    problem: Some(e.to_string()),
                },
            });
        }
        Ok(out)
    }

    /// The KDF cost of the key that opened the repository (what new keys get).
    fn current_kdf(&self) -> Result<KdfParams, VaultError> {
        let bytes = self.storage().read(self.key_path())?;
        Ok(decode_key_file(&bytes, self.key_path())?.kdf.params)
    }

    /// Add a password: a new key file with the KDF cost of the key in use. Returns its id.
    pub fn add_key(&self, password: &str) -> Result<String, VaultError> {
        let path = self.add_password(password, self.current_kdf()?)?;
        Ok(path.trim_start_matches(KEYS_DIR).to_string())
    }

    /// Remove the key whose id is or starts with `spec`; returns its id. Refused when no
    /// other readable key would remain ([`VaultError::LastKey`]) and, without `force`, when
    /// it is the key in use ([`VaultError::KeyInUse`]).
    pub fn remove_key(&self, spec: &str, force: bool) -> Result<String, VaultError> {
        let keys = self.list_keys()?;
        let key = find_key(&keys, spec)?;
        let others_readable = keys
            .iter()
            .filter(|k| k.id != key.id && k.problem.is_none())
            .count();
        if others_readable == 0 {
            return Err(VaultError::LastKey { id: key.id.clone() });
        }
        if key.current && !force {
            return Err(VaultError::KeyInUse { id: key.id.clone() });
        }
        self.allow_deletes("key remove")?;
        self.storage().delete(&format!("{KEYS_DIR}{}", key.id))?;
        Ok(key.id.clone())
    }

    /// Replace the password in use: a new key file for `new_password` (same KDF cost), then
    /// the old key file removed. Returns the new key's id; the repository stays open with it.
    pub fn change_password(&mut self, new_password: &str) -> Result<String, VaultError> {
        // The old password must stop working, which takes a delete.
        self.allow_deletes("key passwd")?;
        let old = self.key_path().to_string();
        let new = self.add_password(new_password, self.current_kdf()?)?;
        self.key_path = new.clone();
        self.storage().delete(&old)?;
        Ok(new.trim_start_matches(KEYS_DIR).to_string())
    }
}

/// The one key whose id is `spec` or starts with it.
fn find_key<'k>(keys: &'k [KeyInfo], spec: &str) -> Result<&'k KeyInfo, VaultError> {
    let spec = spec.to_ascii_lowercase();
    if let Some(exact) = keys.iter().find(|k| k.id == spec) {
        return Ok(exact);
    }
    let matches: Vec<&KeyInfo> = if spec.is_empty() {
        Vec::new()
    } else {
        keys.iter().filter(|k| k.id.starts_with(&spec)).collect()
    };
    match matches.as_slice() {
        [one] => Ok(one),
        [] => Err(VaultError::KeyNotFound { spec }),
        many => Err(VaultError::AmbiguousKey {
            spec,
            candidates: many.iter().map(|k| k.id.clone()).collect(),
        }),
    }
}
