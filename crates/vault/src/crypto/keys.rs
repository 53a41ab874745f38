//! The master key: everything secret about a repository, derived from nothing (random at
//! `init`) and stored only wrapped in key files.

use zeroize::{Zeroize, Zeroizing};

use super::aead::AeadKey;
use crate::{BlobId, VaultError};

/// Length of the serialized master key material.
pub const MASTER_KEY_LEN: usize = 1 + 32 + 32 + 8;
const MASTER_KEY_VERSION: u8 = 1;

/// Master key material: the AEAD key for every stored object, the BLAKE3 key for blob ids,
/// and the FastCDC gear seed. `Debug` shows nothing; the raw bytes are zeroized on drop.
pub struct MasterKey {
    encryption: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
    chunker_seed: u64,
    aead: AeadKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        self.chunker_seed.zeroize();
    }
}

impl MasterKey {
    /// A fresh random master key.
    pub fn generate() -> Result<MasterKey, VaultError> {
        let enc = Zeroizing::new(super::random_bytes::<32>()?);
        let mac = Zeroizing::new(super::random_bytes::<32>()?);
        let seed = u64::from_le_bytes(super::random_bytes::<8>()?);
        MasterKey::from_parts(enc, mac, seed)
    }

    fn from_parts(
        encryption: Zeroizing<[u8; 32]>,
        mac: Zeroizing<[u8; 32]>,
        chunker_seed: u64,
    ) -> Result<MasterKey, VaultError> {
        let aead = AeadKey::new(&encryption)?;
        Ok(MasterKey {
            encryption,
            mac,
            chunker_seed,
            aead,
        })
    }

    /// Serialize: `version (1) || encryption key (32) || mac key (32) || seed (8, LE)`.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(Vec::with_capacity(MASTER_KEY_LEN));
        v.push(MASTER_KEY_VERSION);
        v.extend_from_slice(self.encryption.as_ref());
        v.extend_from_slice(self.mac.as_ref());
        v.extend_from_slice(&self.chunker_seed.to_le_bytes());
        v
    }

    /// Parse the bytes written by [`MasterKey::to_bytes`] (also used by fuzz targets).
    pub fn from_bytes(b: &[u8]) -> Result<MasterKey, VaultError> {
        if b.len() != MASTER_KEY_LEN || b[0] != MASTER_KEY_VERSION {
            return Err(VaultError::corrupt(
                "master key",
                format!("unexpected length {} or version", b.len()),
            ));
        }
        let mut enc = Zeroizing::new([0u8; 32]);
        enc.copy_from_slice(&b[1..33]);
        let mut mac = Zeroizing::new([0u8; 32]);
        mac.copy_from_slice(&b[33..65]);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&b[65..73]);
        MasterKey::from_parts(enc, mac, u64::from_le_bytes(seed))
    }

    /// The AEAD key for every stored object.
    pub fn aead(&self) -> &AeadKey {
        &self.aead
    }

    /// Keyed BLAKE3 of a blob's plaintext.
    pub fn blob_id(&self, plaintext: &[u8]) -> BlobId {
        // No rayon: callers already hash many blobs in parallel, one per core.
        let mut h = blake3::Hasher::new_keyed(&self.mac);
        h.update(plaintext);
        BlobId(*h.finalize().as_bytes())
    }

    /// The FastCDC gear seed.
    pub fn chunker_seed(&self) -> u64 {
        self.chunker_seed
    }

    /// Whether two keys are the same master key (a copy destination and its source).
    /// Compares hashes (BLAKE3's equality is constant time), never the key bytes, so the
    /// time taken says nothing about how much of the key matched.
    pub fn same_as(&self, other: &MasterKey) -> bool {
        blake3::hash(&self.to_bytes()) == blake3::hash(&other.to_bytes())
    }

    /// Another handle on the same key material (a copy destination is initialised with its
    /// source's master key).
    pub(crate) fn duplicate(&self) -> Result<MasterKey, VaultError> {
        MasterKey::from_bytes(&self.to_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        let k = MasterKey::generate().unwrap();
        let b = k.to_bytes();
        let k2 = MasterKey::from_bytes(&b).unwrap();
        assert_eq!(k.blob_id(b"abc"), k2.blob_id(b"abc"));
        assert_eq!(k.chunker_seed(), k2.chunker_seed());
        assert!(MasterKey::from_bytes(&b[..10]).is_err());
    }

    #[test]
    fn ids_are_keyed() {
        let a = MasterKey::generate().unwrap();
        let b = MasterKey::generate().unwrap();
        assert_ne!(a.blob_id(b"same"), b.blob_id(b"same"));
        assert_ne!(a.blob_id(b"same").0, *blake3::hash(b"same").as_bytes());
    }

    #[test]
    fn debug_is_redacted() {
        let k = MasterKey::generate().unwrap();
        assert_eq!(format!("{k:?}"), "MasterKey(<redacted>)");
    }
}
