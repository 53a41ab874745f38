//! Interim fix identifiers, as recorded by `connections_root/version/<id>.efix`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::VersionParseError;

/// The naming family of an iFix id; it tells which era of the product issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IFixKind {
    /// IBM-era APAR ids (`LO91711`, also used for some 7.0 fixes such as `LO100079`).
    Apar,
    /// 7.0 cumulative fixes (`CFix.70.2110`).
    CFix,
    /// 8.0 knowledge-base ids (`KB0101234`).
    Kb,
}

/// One iFix id. Ordered by its text so that sorted sets print the same everywhere.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IFixId(String);

impl IFixId {
    /// The id as written (`LO93624`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Which naming family the id belongs to.
    pub fn kind(&self) -> IFixKind {
        if self.0.starts_with("CFix.") {
            IFixKind::CFix
        } else if self.0.starts_with("KB") {
            IFixKind::Kb
        } else {
            IFixKind::Apar
        }
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl FromStr for IFixId {
    type Err = VersionParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id = s.trim();
        let ok = if let Some(rest) = id.strip_prefix("CFix.") {
            // CFix.70.2110 — release digits, then a build; allow further dotted parts.
            let parts: Vec<&str> = rest.split('.').collect();
            parts.len() >= 2 && parts.iter().all(|p| all_digits(p))
        } else if let Some(rest) = id.strip_prefix("KB") {
            all_digits(rest)
        } else if let Some(rest) = id.strip_prefix("LO") {
            all_digits(rest)
        } else {
            false
        };
        if ok {
            Ok(Self(id.to_string()))
        } else {
            Err(VersionParseError::new(
                "iFix id",
                id,
                "expected LO<digits>, CFix.<release>.<build> or KB<digits>",
            ))
        }
    }
}

impl fmt::Display for IFixId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for IFixId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IFixId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_families() {
        let lo: IFixId = "LO93624".parse().unwrap();
        assert_eq!(lo.kind(), IFixKind::Apar);
        let cfix: IFixId = "CFix.70.2110".parse().unwrap();
        assert_eq!(cfix.kind(), IFixKind::CFix);
        let kb: IFixId = "KB0101234".parse().unwrap();
        assert_eq!(kb.kind(), IFixKind::Kb);
        assert_eq!(kb.as_str(), "KB0101234");
    }

    #[test]
    fn rejects_other_names() {
        for bad in ["", "LO", "KB12a", "CFix.70", "CFix..1", "foo", "lo123"] {
            assert!(bad.parse::<IFixId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sorts_by_text() {
        let mut ids: Vec<IFixId> = ["LO93624", "KB0101234", "CFix.70.2110"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        ids.sort();
        let texts: Vec<&str> = ids.iter().map(IFixId::as_str).collect();
        assert_eq!(texts, ["CFix.70.2110", "KB0101234", "LO93624"]);
    }
}
