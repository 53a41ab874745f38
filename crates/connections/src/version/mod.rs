//! The Connections version model and the documented restore rules.
//!
//! A [`Version`] is the exact installed version: the IIM offering version (product level,
//! CR, build) plus the set of interim fixes. Its [`Version::release`] is the release it
//! counts as for the restore rules (every CR belongs to its release; 6.0 CR6 and later
//! count as 6.5). The rules are [`can_restore_content`] and [`can_restore_provision`].
//! Evidence from several files is gathered in [`VersionEvidence`] and cross-checked by
//! [`VersionEvidence::resolve`]; a [`Fingerprint`] records the exact version in a manifest.
//!
//! Everything here is pure: reading the files is discovery's job.

mod buildlevel;
mod evidence;
mod fingerprint;
mod ifix;
mod offering;
mod release;
mod rules;

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use buildlevel::{parse_buildlevel, parse_launcher_build, BuildLevel};
pub use evidence::{
    Evidence, EvidenceSource, ResolvedVersion, VersionClaim, VersionConflict, VersionEvidence,
    VersionFact,
};
pub use fingerprint::{webresources_listing_hash, Fingerprint};
pub use ifix::{IFixId, IFixKind};
pub use offering::OfferingVersion;
pub use release::Release;
pub use rules::{can_restore_content, can_restore_provision, GateRefusal, GateRule};

/// A version string that could not be understood; names what it was and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("cannot read {what} {value:?}: {reason}")]
pub struct VersionParseError {
    what: &'static str,
    value: String,
    reason: String,
}

impl VersionParseError {
    pub(crate) fn new(what: &'static str, value: &str, reason: &str) -> Self {
        Self {
            what,
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// The exact installed Connections version: offering version and iFix set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "VersionRepr", try_from = "VersionRepr")]
pub struct Version {
    /// The IIM offering version (`8.0.0.0_CR14`).
    pub offering: OfferingVersion,
    /// Installed interim fixes, sorted.
    pub ifixes: BTreeSet<IFixId>,
}

impl Version {
    /// A version with its iFixes.
    pub fn new(offering: OfferingVersion, ifixes: impl IntoIterator<Item = IFixId>) -> Self {
        Self {
            offering,
            ifixes: ifixes.into_iter().collect(),
        }
    }

    /// The release for the restore rules (6.0 CR6 and later → 6.5).
    pub fn release(&self) -> Release {
        self.offering.release()
    }

    /// The CR level, `None` for a GA level.
    pub fn cr(&self) -> Option<u32> {
        self.offering.cr
    }
}

impl fmt::Display for Version {
    /// `8.0.0.0_CR14` or `8.0.0.0_CR14 + KB0101234, KB0102345`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.offering)?;
        if !self.ifixes.is_empty() {
            let ids: Vec<&str> = self.ifixes.iter().map(IFixId::as_str).collect();
            write!(f, " + {}", ids.join(", "))?;
        }
        Ok(())
    }
}

/// The serialised shape: `release` and `cr` are derived and checked on the way back in.
#[derive(Serialize, Deserialize)]
struct VersionRepr {
    release: Release,
    cr: Option<u32>,
    offering: OfferingVersion,
    ifixes: Vec<IFixId>,
}

impl From<Version> for VersionRepr {
    fn from(v: Version) -> Self {
        Self {
            release: v.release(),
            cr: v.cr(),
            ifixes: v.ifixes.into_iter().collect(),
            offering: v.offering,
        }
    }
}

impl TryFrom<VersionRepr> for Version {
    type Error = VersionParseError;

    fn try_from(r: VersionRepr) -> Result<Self, Self::Error> {
        let v = Version::new(r.offering, r.ifixes);
        if v.release() != r.release || v.cr() != r.cr {
            return Err(VersionParseError::new(
                "version",
                v.offering.as_str(),
                &format!(
                    "stated release {} / CR {:?} do not match the offering version",
                    r.release, r.cr
                ),
            ));
        }
        Ok(v)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
