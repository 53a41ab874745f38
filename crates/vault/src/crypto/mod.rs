//! Cryptography: the master key, AEAD sealing of every stored object, the password KDF.
//!
//! - [`aead`]: AES-256-GCM (ring, AES-NI) with a random 96-bit nonce per message.
//! - [`kdf`]: Argon2id password hashing that derives the key-file wrapping key.
//! - [`keys`]: the master key material (encryption key, blob-id MAC key, chunker seed).

pub mod aead;
pub mod kdf;
pub mod keys;

pub use keys::MasterKey;

/// Fill a buffer from the operating system's random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], crate::VaultError> {
    use ring::rand::SecureRandom;
    let mut out = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| crate::VaultError::Crypto("system random generator failed"))?;
    Ok(out)
}
