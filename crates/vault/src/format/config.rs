//! The `config` object: plain JSON naming the format version and the algorithms.
//!
//! Algorithms are recorded by name (the registry idea of Kopia's format blob) so adding a
//! cipher or chunker is an addition: the reader refuses names it does not know.

use serde::{Deserialize, Serialize};

use crate::chunker::{ChunkPolicy, ChunkerParams};
use crate::format::error::DecodeError;
use crate::VaultError;

/// The repository format version this program writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// Object path of the config.
pub const CONFIG_PATH: &str = "config";

/// Chunker name: FastCDC 2020 with the gear table XORed with a key-derived seed.
pub const CHUNKER_FASTCDC_2020_KEYED: &str = "fastcdc2020-keyed";
/// Blob-id hash name: BLAKE3 in keyed mode.
pub const HASH_BLAKE3_KEYED: &str = "blake3-keyed";
/// Cipher name: AES-256-GCM, random 96-bit nonce.
pub const CIPHER_AES_256_GCM: &str = "aes-256-gcm";
/// Compression name: zstd, per-blob opt-out.
pub const COMPRESSION_ZSTD: &str = "zstd";
/// Key derivation name.
pub const KDF_ARGON2ID: &str = "argon2id";

/// Smallest and largest accepted pack target sizes.
pub const MIN_PACK_SIZE: u32 = 1024 * 1024;
/// See [`MIN_PACK_SIZE`]. Keeps every pack offset within `u32`.
pub const MAX_PACK_SIZE: u32 = 1024 * 1024 * 1024;

/// Chunker entry of the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerConfig {
    /// Algorithm name.
    pub name: String,
    /// Default minimum chunk size.
    pub min_size: u32,
    /// Default average chunk size.
    pub avg_size: u32,
    /// Default maximum chunk size.
    pub max_size: u32,
    /// Chunk sizes of page-structured files (database images, see
    /// [`crate::chunker::is_page_structured`]). Absent in configs written before per-kind
    /// chunking: such repositories use [`ChunkerParams::page_file_defaults`]. Readers that
    /// predate the field ignore it (the chunker object does not refuse unknown fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_files: Option<ChunkSizes>,
}

/// Minimum, average and maximum chunk size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChunkSizes {
    /// No chunk is shorter, except the last of a file.
    pub min_size: u32,
    /// Target average.
    pub avg_size: u32,
    /// No chunk is longer.
    pub max_size: u32,
}

/// Compression entry of the config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompressionConfig {
    /// Algorithm name.
    pub name: String,
    /// Default level.
    pub level: i32,
}

/// The decoded `config` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoConfig {
    /// Format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Random repository id, 64 hex characters.
    pub id: String,
    /// Content-defined chunker and its default sizes.
    pub chunker: ChunkerConfig,
    /// Blob-id hash.
    pub hash: String,
    /// AEAD cipher of every stored object.
    pub cipher: String,
    /// Blob compression.
    pub compression: CompressionConfig,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// Append-only: objects are only ever added; `forget`, `prune`, key removal and password
    /// changes refuse unless the session runs in maintenance mode (with credentials that
    /// may delete). Written by `init` and never changed. Readers that predate the field
    /// refuse the config (it is an unknown field there), so they cannot prune by mistake.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub append_only: bool,
}

impl RepoConfig {
    /// A config for a new repository.
    pub fn new(
        id: [u8; 32],
        chunker: &ChunkerParams,
        compression_level: i32,
        pack_size: u32,
    ) -> RepoConfig {
        RepoConfig::with_page_chunker(
            id,
            chunker,
            &ChunkerParams::page_file_defaults(),
            compression_level,
            pack_size,
        )
    }

    /// A config for a new repository with explicit page-file chunk sizes.
    pub fn with_page_chunker(
        id: [u8; 32],
        chunker: &ChunkerParams,
        page_files: &ChunkerParams,
        compression_level: i32,
        pack_size: u32,
    ) -> RepoConfig {
        RepoConfig {
            format_version: FORMAT_VERSION,
            id: hex::encode(id),
            chunker: ChunkerConfig {
                name: CHUNKER_FASTCDC_2020_KEYED.into(),
                min_size: chunker.min_size,
                avg_size: chunker.avg_size,
                max_size: chunker.max_size,
                page_files: Some(ChunkSizes {
                    min_size: page_files.min_size,
                    avg_size: page_files.avg_size,
                    max_size: page_files.max_size,
                }),
            },
            hash: HASH_BLAKE3_KEYED.into(),
            cipher: CIPHER_AES_256_GCM.into(),
            compression: CompressionConfig {
                name: COMPRESSION_ZSTD.into(),
                level: compression_level,
            },
            pack_size,
            append_only: false,
        }
    }

    /// Default chunker sizes (without the seed, which comes from the master key).
    pub fn chunker_params(&self, seed: u64) -> ChunkerParams {
        ChunkerParams {
            min_size: self.chunker.min_size,
            avg_size: self.chunker.avg_size,
            max_size: self.chunker.max_size,
            seed,
        }
    }

    /// Chunk sizes of page-structured files (the built-in defaults when the config
    /// predates them).
    pub fn page_chunker_params(&self, seed: u64) -> ChunkerParams {
        match self.chunker.page_files {
            Some(s) => ChunkerParams {
                min_size: s.min_size,
                avg_size: s.avg_size,
                max_size: s.max_size,
                seed,
            },
            None => ChunkerParams {
                seed,
                ..ChunkerParams::page_file_defaults()
            },
        }
    }

    /// The chunk sizes per file kind with the key-derived `seed`: the defaults, and the
    /// page-file sizes for database images (see [`ChunkPolicy`]).
    pub fn chunk_policy(&self, seed: u64) -> ChunkPolicy {
        ChunkPolicy {
            default: self.chunker_params(seed),
            page_files: self.page_chunker_params(seed),
        }
    }

    /// Pretty JSON bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }
}

/// Check a `format_version` read from any object.
pub fn check_format_version(found: u64, object: &str) -> Result<u32, VaultError> {
    if found > u64::from(FORMAT_VERSION) {
        return Err(VaultError::NewerFormat {
            found: u32::try_from(found).unwrap_or(u32::MAX),
            supported: FORMAT_VERSION,
        });
    }
    if found == 0 {
        return Err(VaultError::corrupt(object, "format version 0"));
    }
    Ok(found as u32)
}

fn unsupported(what: &'static str, name: &str) -> VaultError {
    VaultError::Unsupported {
        what,
        name: name.to_string(),
        object: CONFIG_PATH.into(),
    }
}

/// Decode and validate the `config` object.
///
/// The format version is read first from a loose JSON value, so a newer repository whose
/// config has other fields still gives the "upgrade" error rather than a parse error.
pub fn decode_config(bytes: &[u8]) -> Result<RepoConfig, VaultError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| VaultError::corrupt_with(CONFIG_PATH, DecodeError::NotJson(e)))?;
    let version = value
        .get("format_version")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| VaultError::corrupt(CONFIG_PATH, "no numeric format_version"))?;
    check_format_version(version, CONFIG_PATH)?;
    let cfg: RepoConfig = serde_json::from_value(value)
        .map_err(|e| VaultError::corrupt_with(CONFIG_PATH, DecodeError::Document(e)))?;
    if cfg.id.len() != 64 || hex::decode(&cfg.id).is_err() {
        return Err(VaultError::corrupt(
            CONFIG_PATH,
            "id is not 64 hex characters",
        ));
    }
    if cfg.chunker.name != CHUNKER_FASTCDC_2020_KEYED {
        return Err(unsupported("chunker", &cfg.chunker.name));
    }
    if cfg.hash != HASH_BLAKE3_KEYED {
        return Err(unsupported("hash", &cfg.hash));
    }
    if cfg.cipher != CIPHER_AES_256_GCM {
        return Err(unsupported("cipher", &cfg.cipher));
    }
    if cfg.compression.name != COMPRESSION_ZSTD {
        return Err(unsupported("compression", &cfg.compression.name));
    }
    cfg.chunker_params(0)
        .validate()
        .and_then(|()| cfg.page_chunker_params(0).validate())
        .map_err(|e| VaultError::corrupt(CONFIG_PATH, e.to_string()))?;
    if !(MIN_PACK_SIZE..=MAX_PACK_SIZE).contains(&cfg.pack_size) {
        return Err(VaultError::corrupt(
            CONFIG_PATH,
            format!("pack_size {} out of range", cfg.pack_size),
        ));
    }
    if !(-7..=22).contains(&cfg.compression.level) {
        return Err(VaultError::corrupt(
            CONFIG_PATH,
            format!("zstd level {} out of range", cfg.compression.level),
        ));
    }
    Ok(cfg)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> RepoConfig {
        RepoConfig::new([3; 32], &ChunkerParams::default(), 1, 16 << 20)
    }

    #[test]
    fn round_trip() {
        let c = sample();
        assert_eq!(decode_config(&c.encode()).unwrap(), c);
    }

    #[test]
    fn newer_version_asks_for_upgrade() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample().encode()).unwrap();
        v["format_version"] = 2.into();
        v["something_new"] = "x".into();
        let err = decode_config(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(matches!(err, VaultError::NewerFormat { found: 2, .. }));
        assert!(err.to_string().contains("upgrade cnxbackup"), "{err}");
    }

    #[test]
    fn unknown_cipher_is_named() {
        let mut c = sample();
        c.cipher = "rot13".into();
        let err = decode_config(&c.encode()).unwrap_err();
        assert!(err.to_string().contains("rot13"), "{err}");
    }

    #[test]
    fn new_configs_record_page_file_sizes() {
        let c = sample();
        let text = String::from_utf8(c.encode()).unwrap();
        assert!(text.contains("\"page_files\""), "{text}");
        let p = decode_config(&c.encode()).unwrap().page_chunker_params(9);
        assert_eq!(
            (p.min_size, p.avg_size, p.max_size, p.seed),
            (4096, 16384, 65536, 9)
        );
    }

    #[test]
    fn configs_without_page_file_sizes_still_open() {
        // a config as written before per-kind chunking existed
        let old = br#"{
  "format_version": 1,
  "id": "0303030303030303030303030303030303030303030303030303030303030303",
  "chunker": { "name": "fastcdc2020-keyed", "min_size": 524288, "avg_size": 1048576, "max_size": 8388608 },
  "hash": "blake3-keyed",
  "cipher": "aes-256-gcm",
  "compression": { "name": "zstd", "level": 1 },
  "pack_size": 16777216
}"#;
        let c = decode_config(old).unwrap();
        assert_eq!(c.chunker.page_files, None);
        assert_eq!(
            c.page_chunker_params(0),
            ChunkerParams::page_file_defaults()
        );
        // re-encoding does not add the field (the config object is never rewritten anyway)
        assert!(!String::from_utf8(c.encode())
            .unwrap()
            .contains("page_files"));
    }

    #[test]
    fn invalid_page_file_sizes_are_corrupt() {
        let mut c = sample();
        c.chunker.page_files = Some(ChunkSizes {
            min_size: 8192,
            avg_size: 4096,
            max_size: 65536,
        });
        let err = decode_config(&c.encode()).unwrap_err();
        assert!(err.to_string().contains("min 8192"), "{err}");
    }

    #[test]
    fn garbage_is_corrupt() {
        assert!(decode_config(b"").is_err());
        assert!(decode_config(b"{}").is_err());
        assert!(decode_config(b"[1,2]").is_err());
        let mut c = sample();
        c.pack_size = 5;
        assert!(decode_config(&c.encode()).is_err());
    }
}
