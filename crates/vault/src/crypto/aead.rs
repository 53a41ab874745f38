//! AES-256-GCM sealing with a random nonce.
//!
//! Sealed layout: `nonce (12 bytes) || ciphertext || tag (16 bytes)`; 28 bytes of overhead.
//! The associated data binds a sealed message to its role (a blob of a given kind and id,
//! an index segment, a snapshot ...) so one object cannot be passed off as another.
//!
//! Nonce bound: nonces are random, so after 2^32 messages under one key the probability of a
//! repeat reaches about 2^-33 (NIST SP 800-38D's limit for random 96-bit nonces). With 1 MiB
//! average chunks that is ~4 PiB of data per repository; far above any Connections backup
//! history. A repository nearing it should be re-keyed (not implemented).

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

use crate::VaultError;

/// Bytes added to every sealed message (nonce + tag).
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;
/// Nonce length.
pub const NONCE_LEN: usize = 12;
/// Tag length.
pub const TAG_LEN: usize = 16;

/// An AES-256-GCM key ready for use. `Debug` shows nothing of the key.
pub struct AeadKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}

/// Authentication failed: wrong key, tampered or truncated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenError;

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("authentication failed (tampered, truncated or wrong key)")
    }
}

impl std::error::Error for OpenError {}

impl AeadKey {
    /// A key from 32 bytes.
    pub fn new(bytes: &[u8; 32]) -> Result<AeadKey, VaultError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes)
            .map_err(|_| VaultError::Crypto("cannot build AES-256-GCM key"))?;
        Ok(AeadKey {
            key: LessSafeKey::new(unbound),
        })
    }

    /// Seal `plaintext` with associated data `aad`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce_bytes = super::random_bytes::<NONCE_LEN>()?;
        let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(aad),
                &mut out[NONCE_LEN..],
            )
            .map_err(|_| VaultError::Crypto("AES-256-GCM seal failed (message too long)"))?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Open a sealed message; fails on any modification, truncation or wrong key/aad.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() < OVERHEAD {
            return Err(OpenError);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&sealed[..NONCE_LEN]);
        let mut buf = sealed[NONCE_LEN..].to_vec();
        let len = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| OpenError)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip() {
        let k = AeadKey::new(&[7; 32]).unwrap();
        let sealed = k.seal(b"ctx", b"secret message").unwrap();
        assert_eq!(sealed.len(), 14 + OVERHEAD);
        assert_eq!(k.open(b"ctx", &sealed).unwrap(), b"secret message");
    }

    #[test]
    fn nonces_differ() {
        let k = AeadKey::new(&[7; 32]).unwrap();
        assert_ne!(k.seal(b"", b"x").unwrap(), k.seal(b"", b"x").unwrap());
    }

    #[test]
    fn tamper_wrong_aad_wrong_key_truncation_fail() {
        let k = AeadKey::new(&[7; 32]).unwrap();
        let sealed = k.seal(b"ctx", b"secret message").unwrap();
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert_eq!(k.open(b"ctx", &t), Err(OpenError), "byte {i}");
        }
        assert!(k.open(b"other", &sealed).is_err());
        assert!(AeadKey::new(&[8; 32])
            .unwrap()
            .open(b"ctx", &sealed)
            .is_err());
        assert!(k.open(b"ctx", &sealed[..sealed.len() - 1]).is_err());
        assert!(k.open(b"ctx", &sealed[..5]).is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let k = AeadKey::new(&[7; 32]).unwrap();
        assert_eq!(format!("{k:?}"), "AeadKey(<redacted>)");
    }
}
