//! [`DecodeError`]: why stored bytes are not the object they should be. Every decoder of
//! `format/` and [`compress`](crate::compress) returns it; the repository wraps it in
//! [`VaultError::Corrupt`](crate::VaultError::Corrupt) or
//! [`VaultError::BlobDamaged`](crate::VaultError::BlobDamaged) with the object's name, so
//! the rule that was broken (and the parser's own error) travels to the user intact.

use crate::crypto::aead::OpenError;
use crate::tree::TreeDecodeError;

/// Which rule of the format the bytes break.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The bytes end before the structure does.
    #[error("{0} is truncated")]
    Truncated(&'static str),
    /// A magic number, version, count, length or position that the format does not allow
    /// (the text says which and what was found).
    #[error("{0}")]
    Invalid(String),
    /// Authenticated decryption failed: the bytes were damaged or altered, or sealed with
    /// another key.
    #[error("{what}: {source}")]
    Unauthentic {
        /// What was being opened (trailer, index segment, blob, ...).
        what: &'static str,
        /// The cipher's refusal.
        #[source]
        source: OpenError,
    },
    /// The zstd frame does not decompress.
    #[error("zstd: {0}")]
    Zstd(#[source] std::io::Error),
    /// Not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON, but not the document it should be (a missing or mistyped field).
    #[error("{0}")]
    Document(#[source] serde_json::Error),
    /// Not a valid tree blob.
    #[error("{0}")]
    Tree(#[from] TreeDecodeError),
}

impl DecodeError {
    /// Shorthand for [`DecodeError::Invalid`].
    pub fn invalid(why: impl Into<String>) -> DecodeError {
        DecodeError::Invalid(why.into())
    }
}
