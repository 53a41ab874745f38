//! Identifiers of repository objects and blobs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::VaultError;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// Lowercase hex, 64 characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parse 64 hex characters.
            pub fn from_hex(s: &str) -> Result<Self, VaultError> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).map_err(|e| {
                    VaultError::InvalidArgument(format!(
                        "{} \"{}\" is not 64 hex characters: {e}",
                        stringify!($name),
                        s
                    ))
                })?;
                Ok($name(out))
            }

            /// The first 8 hex characters, for human output.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                for b in self.0 {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = VaultError;
            fn from_str(s: &str) -> Result<Self, VaultError> {
                Self::from_hex(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_id!(
    /// Keyed BLAKE3 of a blob's plaintext (the key comes from the master key, so ids reveal
    /// nothing about content to someone without the password).
    BlobId
);
hex_id!(
    /// Plain BLAKE3 of a pack file's bytes; the pack's object name.
    PackId
);
hex_id!(
    /// Plain BLAKE3 of a stored (encrypted) snapshot document; its object name.
    SnapshotId
);
hex_id!(
    /// Plain BLAKE3 of a stored (encrypted) index segment; its object name.
    IndexId
);

/// What a blob holds. Stored as one byte in pack trailers and index segments.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobKind {
    /// A chunk of file content.
    Data,
    /// A serialized directory tree.
    Tree,
}

impl BlobKind {
    /// The byte stored on disk.
    pub fn to_byte(self) -> u8 {
        match self {
            BlobKind::Data => 0,
            BlobKind::Tree => 1,
        }
    }

    /// Parse the on-disk byte.
    pub fn from_byte(b: u8) -> Option<BlobKind> {
        match b {
            0 => Some(BlobKind::Data),
            1 => Some(BlobKind::Tree),
            _ => None,
        }
    }
}

impl fmt::Display for BlobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlobKind::Data => "data",
            BlobKind::Tree => "tree",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_display() {
        let id = BlobId([0xab; 32]);
        let s = id.to_string();
        assert_eq!(s.len(), 64);
        assert!(s.starts_with("abab"));
        assert_eq!(BlobId::from_hex(&s).unwrap(), id);
        assert_eq!(id.short(), "abababab");
    }

    #[test]
    fn bad_hex_is_an_error() {
        assert!(PackId::from_hex("zz").is_err());
        assert!(PackId::from_hex(&"a".repeat(63)).is_err());
    }

    #[test]
    fn kind_bytes_round_trip() {
        for k in [BlobKind::Data, BlobKind::Tree] {
            assert_eq!(BlobKind::from_byte(k.to_byte()), Some(k));
        }
        assert_eq!(BlobKind::from_byte(7), None);
    }
}
