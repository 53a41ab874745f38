//! The fingerprint of an exact install, recorded in backup manifests and compared at
//! restore time.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{IFixId, OfferingVersion, Release, Version};

/// Everything that identifies the exact installed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The release for the restore rules (6.0 CR6+ → 6.5).
    pub release: Release,
    /// The exact offering version.
    pub offering: OfferingVersion,
    /// The CR level.
    pub cr: Option<u32>,
    /// Installed iFixes, sorted.
    pub ifixes: Vec<IFixId>,
    /// The WebSphere ND package version IIM records, if known.
    pub was_version: Option<String>,
    /// SHA-256 (hex) of the `provision/webresources` listing, if it was read
    /// (see [`webresources_listing_hash`]).
    pub webresources_sha256: Option<String>,
}

impl Fingerprint {
    /// The fingerprint of `version` with the WAS version and webresources listing hash.
    pub fn new(
        version: &Version,
        was_version: Option<String>,
        webresources_sha256: Option<String>,
    ) -> Self {
        Self {
            release: version.release(),
            offering: version.offering.clone(),
            cr: version.cr(),
            ifixes: version.ifixes.iter().cloned().collect(),
            was_version,
            webresources_sha256,
        }
    }

    /// The version part of the fingerprint.
    pub fn version(&self) -> Version {
        Version::new(self.offering.clone(), self.ifixes.iter().cloned())
    }
}

/// SHA-256 (lower-case hex) over a directory listing of `provision/webresources`.
///
/// Each entry is a file name relative to `webresources` (raw bytes: names need not be
/// UTF-8) and its size. Entries are sorted by name first, so the order they were read in
/// does not matter; each is hashed as `name NUL size LF`. The jar names carry the build
/// timestamp of each bundle, so a CR or iFix that replaces bundles changes the hash.
pub fn webresources_listing_hash<N: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = (N, u64)>,
) -> String {
    let mut entries: Vec<(N, u64)> = entries.into_iter().collect();
    entries.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()).then(a.1.cmp(&b.1)));
    let mut hasher = Sha256::new();
    for (name, size) in &entries {
        hasher.update(name.as_ref());
        hasher.update([0u8]);
        hasher.update(size.to_string().as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_hash_ignores_order_but_not_names_or_sizes() {
        let a = webresources_listing_hash([("b.jar", 2u64), ("a.jar", 1)]);
        let b = webresources_listing_hash([("a.jar", 1u64), ("b.jar", 2)]);
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(
            a,
            webresources_listing_hash([("a.jar", 1u64), ("c.jar", 2)])
        );
        assert_ne!(
            a,
            webresources_listing_hash([("a.jar", 1u64), ("b.jar", 3)])
        );
        // An empty listing still hashes (to the SHA-256 of nothing).
        assert_eq!(
            webresources_listing_hash(Vec::<(&[u8], u64)>::new()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn fingerprint_keeps_the_exact_version() {
        let v = Version::new(
            "8.0.0.0_CR14".parse().unwrap(),
            ["KB2".parse().unwrap(), "KB1".parse().unwrap()],
        );
        let f = Fingerprint::new(&v, Some("8.5.5024.20230628_1659".into()), None);
        assert_eq!(f.release, Release::new(8, 0));
        assert_eq!(f.cr, Some(14));
        assert_eq!(f.ifixes[0].as_str(), "KB1");
        assert_eq!(f.version(), v);
        let json = serde_json::to_string(&f).unwrap();
        let back: Fingerprint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, f);
    }
}
