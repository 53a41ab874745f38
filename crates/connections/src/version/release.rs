//! Releases (major.minor) and the mapping from a product level + CR to the release a
//! backup belongs to for the restore rules.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::VersionParseError;

/// A Connections release: the documentation's "major/minor release" (`6.0`, `6.5`, `8.0`).
///
/// Ordered by major, then minor, so "later release" has its ordinary meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// Major number (`8` in `8.0`).
    pub major: u32,
    /// Minor number (`5` in `6.5`).
    pub minor: u32,
}

/// Connections 6.0 CR6 and later count as release 6.5 for the restore rules.
const CR_THAT_MOVES_6_0_TO_6_5: u32 = 6;

impl Release {
    /// A release from its two numbers.
    pub const fn new(major: u32, minor: u32) -> Self {
        Self { major, minor }
    }

    /// The release a product level with an optional CR belongs to.
    ///
    /// Every CR belongs to the release it refreshes, except that the documentation counts
    /// 6.0 CR6 ("Cumulative Refresh (CR) releases for Connections 6 CR6 are considered part
    /// of the Connections 6.5 release") — and, CRs being cumulative, every later 6.0 CR —
    /// as 6.5.
    pub fn effective(product: Release, cr: Option<u32>) -> Release {
        match (product, cr) {
            (Release { major: 6, minor: 0 }, Some(cr)) if cr >= CR_THAT_MOVES_6_0_TO_6_5 => {
                Release::new(6, 5)
            }
            _ => product,
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for Release {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionParseError::new("release", s, reason);
        let (major, minor) = s
            .trim()
            .split_once('.')
            .ok_or_else(|| err("expected MAJOR.MINOR"))?;
        let major = major.parse().map_err(|_| err("major is not a number"))?;
        let minor = minor.parse().map_err(|_| err("minor is not a number"))?;
        Ok(Release::new(major, minor))
    }
}

impl Serialize for Release {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Release {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr6_of_6_0_is_6_5_and_earlier_crs_are_not() {
        let six = Release::new(6, 0);
        assert_eq!(Release::effective(six, Some(5)), six);
        assert_eq!(Release::effective(six, Some(6)), Release::new(6, 5));
        assert_eq!(Release::effective(six, Some(7)), Release::new(6, 5));
        assert_eq!(Release::effective(six, None), six);
    }

    #[test]
    fn crs_of_other_releases_stay_in_their_release() {
        for cr in [None, Some(1), Some(6), Some(14)] {
            assert_eq!(
                Release::effective(Release::new(8, 0), cr),
                Release::new(8, 0)
            );
            assert_eq!(
                Release::effective(Release::new(5, 5), cr),
                Release::new(5, 5)
            );
        }
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!("6.5".parse::<Release>().unwrap(), Release::new(6, 5));
        assert_eq!(Release::new(8, 0).to_string(), "8.0");
        assert!("8".parse::<Release>().is_err());
        assert!("a.b".parse::<Release>().is_err());
    }

    #[test]
    fn ordering_is_numeric() {
        assert!(Release::new(5, 5) > Release::new(5, 0));
        assert!(Release::new(10, 0) > Release::new(8, 0));
    }
}
