//! Two weaker version sources: the `buildlevel` attribute of `LotusConnections-config.xml`
//! and the `Build:` line of `connections_root/bin/uninstall-launcher.sh`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::offering::{parse_cr_token, parse_level};
use super::{OfferingVersion, Release, VersionParseError};

/// What a `buildlevel` such as `LC4.0_20120605_1154` or `IC8.0_CR14_20230601_1200` says.
///
/// Older builds carry no CR, so a missing `cr` means "not stated", not "no CR".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildLevel {
    /// The product release named by the prefix (`8.0`), before the 6.0 CR6 mapping.
    pub product_release: Release,
    /// The CR named in the build level, if it names one.
    pub cr: Option<u32>,
    /// The attribute as written.
    pub raw: String,
}

impl BuildLevel {
    /// The release for the restore rules, when the build level states enough to tell.
    pub fn release(&self) -> Release {
        Release::effective(self.product_release, self.cr)
    }
}

impl fmt::Display for BuildLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parses a `buildlevel` value: letters, a `MAJOR.MINOR[.x.y]` level, then `_`-separated
/// parts, one of which may be `CR<n>`.
pub fn parse_buildlevel(value: &str) -> Result<BuildLevel, VersionParseError> {
    let raw = value.trim();
    let err = |reason: &str| VersionParseError::new("buildlevel", raw, reason);
    let digits_at = raw
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(|| err("no release number"))?;
    let (prefix, rest) = raw.split_at(digits_at);
    if !prefix.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(err("unexpected characters before the release number"));
    }
    let mut parts = rest.split('_');
    let level_text = parts.next().unwrap_or_default();
    let level = parse_level(level_text).ok_or_else(|| err("expected a release like 8.0"))?;
    let cr = parts.find_map(parse_cr_token);
    Ok(BuildLevel {
        product_release: Release::new(level[0], level[1]),
        cr,
        raw: raw.to_string(),
    })
}

/// The installed build named by the `Build:` line of `uninstall-launcher.sh`, with the
/// 1-based line number it came from. `Ok(None)` when the script has no such line.
///
/// The HCL automation takes the third whitespace-separated field of that line
/// (`# Build: 8.0.0.0_CR14`); this takes the field after `Build:`, which is the same field
/// there and tolerates a line without the leading `#`.
pub fn parse_launcher_build(
    script: &str,
) -> Result<Option<(OfferingVersion, usize)>, (usize, VersionParseError)> {
    for (index, line) in script.lines().enumerate() {
        let mut fields = line.split_whitespace();
        if fields.by_ref().any(|f| f == "Build:") {
            let value = fields.next().unwrap_or_default();
            return value
                .parse::<OfferingVersion>()
                .map(|v| Some((v, index + 1)))
                .map_err(|e| (index + 1, e));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_old_and_new_buildlevels() {
        let old = parse_buildlevel("LC4.0_20120605_1154").unwrap();
        assert_eq!(old.product_release, Release::new(4, 0));
        assert_eq!(old.cr, None);
        let new = parse_buildlevel("IC8.0_CR14_20230601_1200").unwrap();
        assert_eq!(new.release(), Release::new(8, 0));
        assert_eq!(new.cr, Some(14));
        let six = parse_buildlevel("IC6.0_CR6_20190101_0000").unwrap();
        assert_eq!(six.release(), Release::new(6, 5));
    }

    #[test]
    fn rejects_buildlevels_without_a_release() {
        assert!(parse_buildlevel("").is_err());
        assert!(parse_buildlevel("LC_nightly").is_err());
        assert!(parse_buildlevel("L-C8.0").is_err());
    }

    #[test]
    fn finds_the_build_line() {
        let script = "#!/bin/sh\n# Build: 8.0.0.0_CR14 2023-06-01\nexec imcl\n";
        let (v, line) = parse_launcher_build(script).unwrap().unwrap();
        assert_eq!(v.cr, Some(14));
        assert_eq!(line, 2);
        assert!(parse_launcher_build("#!/bin/sh\n").unwrap().is_none());
    }

    #[test]
    fn bad_build_line_reports_its_line() {
        let (line, e) = parse_launcher_build("#!/bin/sh\n\n# Build: nonsense\n").unwrap_err();
        assert_eq!(line, 3);
        assert!(e.to_string().contains("nonsense"));
    }
}
