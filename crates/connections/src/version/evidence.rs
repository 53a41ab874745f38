//! Version evidence from several files, cross-checked.
//!
//! Installation Manager's `installed.xml` is the record IIM itself acts on, so it is the
//! basis when present; then the `Build:` line of `uninstall-launcher.sh`; then the
//! `LotusConnections-config.xml` build level. Whatever is chosen, every disagreement
//! between sources is reported as a [`VersionConflict`] naming each source, its file and
//! its value — it is never resolved silently.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{BuildLevel, IFixId, OfferingVersion, Version};

/// Where a piece of version evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// The `com.ibm.connections` package in IIM's `installed.xml`.
    IimInstalled,
    /// The `Build:` line of `connections_root/bin/uninstall-launcher.sh`.
    UninstallLauncher,
    /// The `buildlevel` attribute of `LotusConnections-config.xml`.
    LccBuildlevel,
    /// The `connections_root/version/*.efix` files.
    EfixFiles,
}

impl fmt::Display for EvidenceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EvidenceSource::IimInstalled => "Installation Manager installed.xml",
            EvidenceSource::UninstallLauncher => "uninstall-launcher.sh Build: line",
            EvidenceSource::LccBuildlevel => "LotusConnections-config.xml buildlevel",
            EvidenceSource::EfixFiles => "version/*.efix files",
        })
    }
}

/// One value read from one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence<T> {
    /// Which kind of source.
    pub source: EvidenceSource,
    /// The product path of the file (or directory) it was read from.
    pub path: String,
    /// What it says.
    pub value: T,
}

impl<T> Evidence<T> {
    /// Evidence `value` from `source` at `path`.
    pub fn new(source: EvidenceSource, path: impl Into<String>, value: T) -> Self {
        Self {
            source,
            path: path.into(),
            value,
        }
    }
}

/// All version evidence found for one install. Absent sources are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionEvidence {
    /// The offering version IIM records.
    pub iim: Option<Evidence<OfferingVersion>>,
    /// The build named by `uninstall-launcher.sh`.
    pub launcher: Option<Evidence<OfferingVersion>>,
    /// The LotusConnections-config.xml build level.
    pub buildlevel: Option<Evidence<BuildLevel>>,
    /// The iFix ids from `version/*.efix` (`None` when the directory could not be read).
    pub ifixes: Option<Evidence<BTreeSet<IFixId>>>,
}

/// The fact on which sources disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionFact {
    /// The product release (`6.0`, `8.0`).
    Release,
    /// The CR level.
    Cr,
    /// The exact offering version (level and build), release and CR agreeing.
    Exact,
}

impl fmt::Display for VersionFact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VersionFact::Release => "the release",
            VersionFact::Cr => "the CR level",
            VersionFact::Exact => "the exact version",
        })
    }
}

/// One source's claim in a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionClaim {
    /// Which source.
    pub source: EvidenceSource,
    /// Its product path.
    pub path: String,
    /// Its value, as written in the file.
    pub value: String,
}

/// Sources that disagree on one fact; `Display` lists every source and value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionConflict {
    /// What they disagree on.
    pub fact: VersionFact,
    /// Every source that states the fact, with its value.
    pub claims: Vec<VersionClaim>,
    /// The source whose value was used.
    pub used: EvidenceSource,
}

impl fmt::Display for VersionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "version sources disagree on {}:", self.fact)?;
        for (i, c) in self.claims.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}{} ({}) says {}", c.source, c.path, c.value)?;
        }
        write!(f, " — using the {} value", self.used)
    }
}

/// The outcome of cross-checking the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedVersion {
    /// The version, if any source stated one.
    pub version: Option<Version>,
    /// The source the offering version was taken from.
    pub basis: Option<EvidenceSource>,
    /// Whether the iFix set was read (false: the `version` directory was missing or
    /// unreadable, so `version.ifixes` is empty for want of evidence).
    pub ifixes_known: bool,
    /// Every disagreement found.
    pub conflicts: Vec<VersionConflict>,
}

/// A value a source states about one fact, for comparison.
struct Stated<'a> {
    source: EvidenceSource,
    path: &'a str,
    raw: &'a str,
    key: String,
}

fn conflict(
    fact: VersionFact,
    stated: &[Stated<'_>],
    used: EvidenceSource,
) -> Option<VersionConflict> {
    let first = stated.first()?;
    if stated.iter().all(|s| s.key == first.key) {
        return None;
    }
    Some(VersionConflict {
        fact,
        claims: stated
            .iter()
            .map(|s| VersionClaim {
                source: s.source,
                path: s.path.to_string(),
                value: s.raw.to_string(),
            })
            .collect(),
        used,
    })
}

impl VersionEvidence {
    /// Chooses the offering version (IIM, else the launcher, else the build level) and
    /// reports every disagreement between the sources.
    pub fn resolve(&self) -> ResolvedVersion {
        let offerings: Vec<&Evidence<OfferingVersion>> =
            [self.iim.as_ref(), self.launcher.as_ref()]
                .into_iter()
                .flatten()
                .collect();

        let (offering, basis) = match (offerings.first(), &self.buildlevel) {
            (Some(e), _) => (Some(e.value.clone()), Some(e.source)),
            (None, Some(b)) => (
                Some(OfferingVersion::from_release_and_cr(
                    b.value.product_release,
                    b.value.cr,
                )),
                Some(b.source),
            ),
            (None, None) => (None, None),
        };

        let mut conflicts = Vec::new();
        if let Some(used) = basis {
            let mut release = Vec::new();
            let mut cr = Vec::new();
            for e in &offerings {
                let raw = e.value.as_str();
                release.push(Stated {
                    source: e.source,
                    path: &e.path,
                    raw,
                    key: e.value.product_release().to_string(),
                });
                cr.push(Stated {
                    source: e.source,
                    path: &e.path,
                    raw,
                    key: format!("{:?}", e.value.cr),
                });
            }
            if let Some(b) = &self.buildlevel {
                release.push(Stated {
                    source: b.source,
                    path: &b.path,
                    raw: &b.value.raw,
                    key: b.value.product_release.to_string(),
                });
                // Older build levels state no CR at all: that is silence, not "no CR".
                if b.value.cr.is_some() {
                    cr.push(Stated {
                        source: b.source,
                        path: &b.path,
                        raw: &b.value.raw,
                        key: format!("{:?}", b.value.cr),
                    });
                }
            }
            let release_conflict = conflict(VersionFact::Release, &release, used);
            let cr_conflict = conflict(VersionFact::Cr, &cr, used);
            let exact_conflict = if release_conflict.is_none() && cr_conflict.is_none() {
                let exact: Vec<Stated<'_>> = offerings
                    .iter()
                    .map(|e| Stated {
                        source: e.source,
                        path: &e.path,
                        raw: e.value.as_str(),
                        key: format!("{:?}/{:?}", e.value.level, e.value.build),
                    })
                    .collect();
                conflict(VersionFact::Exact, &exact, used)
            } else {
                None
            };
            conflicts.extend(release_conflict);
            conflicts.extend(cr_conflict);
            conflicts.extend(exact_conflict);
        }

        let ifixes = self
            .ifixes
            .as_ref()
            .map(|e| e.value.clone())
            .unwrap_or_default();
        ResolvedVersion {
            version: offering.map(|o| Version::new(o, ifixes)),
            basis,
            ifixes_known: self.ifixes.is_some(),
            conflicts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iim(v: &str) -> Option<Evidence<OfferingVersion>> {
        Some(Evidence::new(
            EvidenceSource::IimInstalled,
            "/var/ibm/InstallationManager/installed.xml",
            v.parse().unwrap(),
        ))
    }

    fn launcher(v: &str) -> Option<Evidence<OfferingVersion>> {
        Some(Evidence::new(
            EvidenceSource::UninstallLauncher,
            "/opt/IBM/Connections/bin/uninstall-launcher.sh",
            v.parse().unwrap(),
        ))
    }

    fn buildlevel(v: &str) -> Option<Evidence<BuildLevel>> {
        Some(Evidence::new(
            EvidenceSource::LccBuildlevel,
            "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/C/LotusConnections-config/LotusConnections-config.xml",
            super::super::parse_buildlevel(v).unwrap(),
        ))
    }

    #[test]
    fn agreeing_sources_resolve_without_conflicts() {
        let ev = VersionEvidence {
            iim: iim("8.0.0.0_CR14"),
            launcher: launcher("8.0.0.0_CR14"),
            buildlevel: buildlevel("IC8.0_CR14_20230601_1200"),
            ifixes: Some(Evidence::new(
                EvidenceSource::EfixFiles,
                "/opt/IBM/Connections/version",
                ["KB0101234".parse().unwrap()].into_iter().collect(),
            )),
        };
        let r = ev.resolve();
        assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
        let v = r.version.unwrap();
        assert_eq!(v.to_string(), "8.0.0.0_CR14 + KB0101234");
        assert_eq!(r.basis, Some(EvidenceSource::IimInstalled));
        assert!(r.ifixes_known);
    }

    #[test]
    fn disagreeing_crs_are_reported_with_every_source_and_value() {
        let ev = VersionEvidence {
            iim: iim("8.0.0.0_CR14"),
            launcher: launcher("8.0.0.0_CR13"),
            buildlevel: buildlevel("IC8.0_CR13_20230101_0000"),
            ifixes: None,
        };
        let r = ev.resolve();
        assert_eq!(r.conflicts.len(), 1);
        let c = &r.conflicts[0];
        assert_eq!(c.fact, VersionFact::Cr);
        assert_eq!(c.claims.len(), 3);
        let text = c.to_string();
        for needle in [
            "8.0.0.0_CR14",
            "8.0.0.0_CR13",
            "IC8.0_CR13_20230101_0000",
            "installed.xml",
            "uninstall-launcher.sh",
            "LotusConnections-config.xml",
        ] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
        assert_eq!(r.version.unwrap().cr(), Some(14));
        assert!(!r.ifixes_known);
    }

    #[test]
    fn buildlevel_without_cr_is_silent_on_the_cr() {
        let ev = VersionEvidence {
            iim: iim("6.0.0.0_CR6"),
            buildlevel: buildlevel("LC6.0_20190101_0000"),
            ..Default::default()
        };
        assert!(ev.resolve().conflicts.is_empty());
    }

    #[test]
    fn release_disagreement_is_reported() {
        let ev = VersionEvidence {
            iim: iim("7.0.0.0"),
            buildlevel: buildlevel("IC8.0_CR1"),
            ..Default::default()
        };
        let r = ev.resolve();
        assert!(r.conflicts.iter().any(|c| c.fact == VersionFact::Release));
    }

    #[test]
    fn same_cr_different_build_is_an_exact_conflict() {
        let ev = VersionEvidence {
            iim: iim("6.5.0.0_20191121_2323"),
            launcher: launcher("6.5.0.0_20191001_0000"),
            ..Default::default()
        };
        let r = ev.resolve();
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].fact, VersionFact::Exact);
    }

    #[test]
    fn buildlevel_alone_gives_a_version() {
        let ev = VersionEvidence {
            buildlevel: buildlevel("IC8.0_CR3_20220101_0000"),
            ..Default::default()
        };
        let r = ev.resolve();
        assert_eq!(r.basis, Some(EvidenceSource::LccBuildlevel));
        assert_eq!(r.version.unwrap().offering.as_str(), "8.0.0.0_CR3");
    }

    #[test]
    fn no_evidence_no_version() {
        let r = VersionEvidence::default().resolve();
        assert!(r.version.is_none() && r.basis.is_none() && r.conflicts.is_empty());
    }
}
