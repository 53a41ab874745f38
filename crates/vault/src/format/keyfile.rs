//! `keys/<id>` objects: the master key wrapped with a password-derived key.
//!
//! Plain JSON (the KDF parameters must be readable before anything can be decrypted). The
//! `master` field is `hex(AES-256-GCM seal(Argon2id(password, salt), aad "cnx1-key",
//! master key bytes))`. Several key files may wrap the same master key (several passwords).

use serde::{Deserialize, Serialize};

use super::config::{check_format_version, CIPHER_AES_256_GCM, KDF_ARGON2ID};
use super::error::DecodeError;
use crate::crypto::aead::AeadKey;
use crate::crypto::kdf::{derive_key, KdfParams};
use crate::crypto::MasterKey;
use crate::VaultError;

/// Associated data of the sealed master key.
pub const KEY_AAD: &[u8] = b"cnx1-key";
/// Object prefix of key files.
pub const KEYS_DIR: &str = "keys/";

/// KDF section of a key file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFileKdf {
    /// Algorithm name (`argon2id`).
    pub name: String,
    /// Cost parameters.
    #[serde(flatten)]
    pub params: KdfParams,
    /// Salt, hex (16 bytes).
    pub salt: String,
}

/// The decoded key file (the master key still sealed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Format version.
    pub format_version: u32,
    /// Password KDF.
    pub kdf: KeyFileKdf,
    /// Cipher of `master`.
    pub cipher: String,
    /// Creation time, unix ns.
    pub created: i64,
    /// Host that created the key.
    pub host: String,
    /// User that created the key.
    pub username: String,
    /// The sealed master key, hex.
    pub master: String,
}

impl KeyFile {
    /// Wrap `master` with a key derived from `password`.
    pub fn create(
        master: &MasterKey,
        password: &str,
        params: KdfParams,
        host: String,
        username: String,
        created: i64,
    ) -> Result<KeyFile, VaultError> {
        let salt = crate::crypto::random_bytes::<16>()?;
        let wrapping = derive_key(password.as_bytes(), &salt, &params)?;
        let sealed = AeadKey::new(&wrapping)?.seal(KEY_AAD, &master.to_bytes())?;
        Ok(KeyFile {
            format_version: super::config::FORMAT_VERSION,
            kdf: KeyFileKdf {
                name: KDF_ARGON2ID.into(),
                params,
                salt: hex::encode(salt),
            },
            cipher: CIPHER_AES_256_GCM.into(),
            created,
            host,
            username,
            master: hex::encode(sealed),
        })
    }

    /// Pretty JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Unwrap the master key. Any authentication failure is [`VaultError::WrongPassword`].
    pub fn unwrap_master(&self, password: &str) -> Result<MasterKey, VaultError> {
        let salt = hex::decode(&self.kdf.salt)
            .map_err(|_| VaultError::corrupt("key file", "salt is not hex"))?;
        let sealed = hex::decode(&self.master)
            .map_err(|_| VaultError::corrupt("key file", "master is not hex"))?;
        let wrapping = derive_key(password.as_bytes(), &salt, &self.kdf.params)?;
        let plain = zeroize::Zeroizing::new(
            AeadKey::new(&wrapping)?
                .open(KEY_AAD, &sealed)
                .map_err(|_| VaultError::WrongPassword)?,
        );
        MasterKey::from_bytes(&plain)
    }
}

/// Decode and validate a key file (no password needed; nothing is decrypted).
pub fn decode_key_file(bytes: &[u8], object: &str) -> Result<KeyFile, VaultError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::NotJson(e)))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| VaultError::corrupt(object, "no numeric format_version"))?;
    check_format_version(version, object)?;
    let kf: KeyFile = serde_json::from_value(value)
        .map_err(|e| VaultError::corrupt_with(object, DecodeError::Document(e)))?;
    if kf.kdf.name != KDF_ARGON2ID {
        return Err(VaultError::Unsupported {
            what: "key derivation",
            name: kf.kdf.name,
            object: object.into(),
        });
    }
    if kf.cipher != CIPHER_AES_256_GCM {
        return Err(VaultError::Unsupported {
            what: "cipher",
            name: kf.cipher,
            object: object.into(),
        });
    }
    kf.kdf
        .params
        .validate()
        .map_err(|r| VaultError::corrupt(object, r))?;
    match hex::decode(&kf.kdf.salt) {
        Ok(s) if (8..=64).contains(&s.len()) => {}
        _ => {
            return Err(VaultError::corrupt(
                object,
                "salt must be 8-64 bytes of hex",
            ))
        }
    }
    if hex::decode(&kf.master).is_err() {
        return Err(VaultError::corrupt(object, "master is not hex"));
    }
    Ok(kf)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn make(pw: &str) -> (MasterKey, KeyFile) {
        let m = MasterKey::generate().unwrap();
        let kf = KeyFile::create(
            &m,
            pw,
            KdfParams::insecure_fast(),
            "h".into(),
            "u".into(),
            1,
        )
        .unwrap();
        (m, kf)
    }

    #[test]
    fn wrap_unwrap() {
        let (m, kf) = make("correct horse");
        let kf2 = decode_key_file(&kf.encode(), "keys/x").unwrap();
        let m2 = kf2.unwrap_master("correct horse").unwrap();
        assert_eq!(m.blob_id(b"x"), m2.blob_id(b"x"));
    }

    #[test]
    fn wrong_password_says_only_that() {
        let (_, kf) = make("correct horse");
        let err = kf.unwrap_master("battery staple").unwrap_err();
        assert!(matches!(err, VaultError::WrongPassword));
        assert_eq!(err.to_string(), "wrong password");
    }

    #[test]
    fn password_not_in_file_or_debug() {
        let (_, kf) = make("s3cr3t-pw");
        let text = String::from_utf8(kf.encode()).unwrap();
        assert!(!text.contains("s3cr3t-pw"));
        assert!(!format!("{kf:?}").contains("s3cr3t-pw"));
    }

    #[test]
    fn newer_and_garbage() {
        let (_, kf) = make("pw");
        let mut v: serde_json::Value = serde_json::from_slice(&kf.encode()).unwrap();
        v["format_version"] = 9.into();
        let err = decode_key_file(&serde_json::to_vec(&v).unwrap(), "keys/a").unwrap_err();
        assert!(matches!(err, VaultError::NewerFormat { found: 9, .. }));
        assert!(decode_key_file(b"{", "keys/a").is_err());
        let mut v: serde_json::Value = serde_json::from_slice(&kf.encode()).unwrap();
        v["kdf"]["memory_kib"] = u32::MAX.into();
        assert!(decode_key_file(&serde_json::to_vec(&v).unwrap(), "keys/a").is_err());
    }
}
