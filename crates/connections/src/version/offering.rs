//! The Connections offering version as Installation Manager records it
//! (`8.0.0.0_CR14`, `6.5.0.0_CR1`, GA builds such as `6.5.0.0_20191121_2323`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Release, VersionParseError};

/// One exact offering version: the four-part product level, the CR level if any and the
/// build stamp if any.
///
/// Two values are equal only when all parts are; the raw text is kept for messages.
#[derive(Debug, Clone)]
pub struct OfferingVersion {
    /// `[major, minor, micro, fix]` of the product level (`8.0.0.0`).
    pub level: [u32; 4],
    /// The Cumulative Refresh level; `None` for a GA (or un-refreshed) install.
    pub cr: Option<u32>,
    /// The build stamp that follows the level on GA builds (`20191121_2323`).
    pub build: Option<String>,
    raw: String,
}

impl OfferingVersion {
    /// The product release from the level (`6.0` for `6.0.0.0_CR6`), before the CR mapping.
    pub fn product_release(&self) -> Release {
        Release::new(self.level[0], self.level[1])
    }

    /// The release this version counts as for the restore rules (6.0 CR6+ → 6.5).
    pub fn release(&self) -> Release {
        Release::effective(self.product_release(), self.cr)
    }

    /// The text the version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// A version built from a release and a CR alone (for evidence that carries no more).
    pub fn from_release_and_cr(release: Release, cr: Option<u32>) -> Self {
        let mut raw = format!("{}.{}.0.0", release.major, release.minor);
        if let Some(cr) = cr {
            raw.push_str(&format!("_CR{cr}"));
        }
        Self {
            level: [release.major, release.minor, 0, 0],
            cr,
            build: None,
            raw,
        }
    }
}

impl PartialEq for OfferingVersion {
    fn eq(&self, other: &Self) -> bool {
        self.level == other.level && self.cr == other.cr && self.build == other.build
    }
}

impl Eq for OfferingVersion {}

impl fmt::Display for OfferingVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parses `CR14` / `cr14` (and `IFR1`, the 6.0 re-release image that already includes CR1).
pub(crate) fn parse_cr_token(token: &str) -> Option<u32> {
    let upper = token.to_ascii_uppercase();
    let digits = upper
        .strip_prefix("CR")
        .or_else(|| upper.strip_prefix("IFR"))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Parses `6.0.0.0` (two to four numeric parts; missing ones are zero).
pub(crate) fn parse_level(text: &str) -> Option<[u32; 4]> {
    let parts: Vec<&str> = text.split('.').collect();
    if !(2..=4).contains(&parts.len()) {
        return None;
    }
    let mut level = [0u32; 4];
    for (slot, part) in level.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(level)
}

impl FromStr for OfferingVersion {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = s.trim();
        let err = |reason: &str| VersionParseError::new("offering version", raw, reason);
        if raw.is_empty() {
            return Err(err("empty"));
        }
        let mut tokens = raw.split('_');
        let level_text = tokens.next().unwrap_or_default();
        let level = parse_level(level_text).ok_or_else(|| err("expected a level like 8.0.0.0"))?;
        let mut cr = None;
        let mut build = Vec::new();
        for token in tokens {
            if token.is_empty() {
                return Err(err("empty part between underscores"));
            }
            match parse_cr_token(token) {
                Some(n) if cr.is_none() && build.is_empty() => cr = Some(n),
                Some(_) if cr.is_some() => return Err(err("more than one CR part")),
                _ => {
                    if !token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        return Err(err("unexpected characters in the build part"));
                    }
                    build.push(token);
                }
            }
        }
        Ok(Self {
            level,
            cr,
            build: (!build.is_empty()).then(|| build.join("_")),
            raw: raw.to_string(),
        })
    }
}

impl Serialize for OfferingVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for OfferingVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> OfferingVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_cr_versions() {
        let x = v("8.0.0.0_CR14");
        assert_eq!(x.level, [8, 0, 0, 0]);
        assert_eq!(x.cr, Some(14));
        assert_eq!(x.build, None);
        assert_eq!(x.release(), Release::new(8, 0));
        assert_eq!(v("6.0.0.0_CR4").release(), Release::new(6, 0));
        assert_eq!(v("6.5.0.0_CR1").release(), Release::new(6, 5));
    }

    #[test]
    fn cr6_of_6_0_counts_as_6_5() {
        let x = v("6.0.0.0_CR6");
        assert_eq!(x.product_release(), Release::new(6, 0));
        assert_eq!(x.release(), Release::new(6, 5));
    }

    #[test]
    fn parses_ga_builds() {
        let x = v("6.5.0.0_20191121_2323");
        assert_eq!(x.cr, None);
        assert_eq!(x.build.as_deref(), Some("20191121_2323"));
        assert_eq!(x.release(), Release::new(6, 5));
        let y = v("8.0.0.0_CR3_20220801_0100");
        assert_eq!(y.cr, Some(3));
        assert_eq!(y.build.as_deref(), Some("20220801_0100"));
    }

    #[test]
    fn ifr_counts_as_its_cr() {
        assert_eq!(v("6.0.0.0_IFR1").cr, Some(1));
    }

    #[test]
    fn rejects_garbage_with_the_value_in_the_message() {
        for bad in [
            "",
            "8",
            "x.0.0.0",
            "8.0.0.0_",
            "8.0.0.0_CR1_CR2",
            "8.0.0.0.1",
            "8.0.0.0_C R",
        ] {
            let e = bad.parse::<OfferingVersion>().unwrap_err();
            assert!(e.to_string().contains(bad.trim()), "{e}");
        }
    }

    #[test]
    fn equality_ignores_nothing_but_spelling() {
        assert_eq!(v("8.0.0.0_CR14"), v("8.0.0.0_cr14"));
        assert_ne!(v("8.0.0.0_CR14"), v("8.0.0.0_CR13"));
        assert_ne!(v("6.5.0.0_20191121_2323"), v("6.5.0.0_20191122_0001"));
    }

    #[test]
    fn serde_round_trip_keeps_text() {
        let x = v("8.0.0.0_CR14");
        let json = serde_json::to_string(&x).unwrap();
        assert_eq!(json, "\"8.0.0.0_CR14\"");
        let back: OfferingVersion = serde_json::from_str(&json).unwrap();
        assert_eq!(back, x);
    }
}
