//! The documented restore rules, as functions.
//!
//! The "Backing up Connections" topic ties a backup to the version it was taken on. Its
//! three notes, in short:
//! 1. content goes back only onto the same major/minor release it was backed up from, and
//!    the CRs of 6.0 from CR6 on count as part of 6.5;
//! 2. content never goes onto a later release (its example: a 5.0 backup onto 5.5) — and,
//!    the release having to be the same, not onto an earlier one either;
//! 3. the `/provision` folder of the shared data goes back only onto the exact version it
//!    was backed up on: a different CR or a different interim fix is not safe.
//!
//! Callers decide *which* version is the target (the installed one, or the backup's own
//! when the install is restored with it); these functions only compare two versions.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{IFixId, Release, Version};

/// Which documented rule a refusal comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateRule {
    /// Content only onto the same major/minor release.
    Content,
    /// `/provision` only onto the exact same version (CR and iFix set).
    Provision,
}

/// Why a restore from `backup` onto `target` is refused; the message names the rule and
/// both versions.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum GateRefusal {
    /// The target runs a later release than the backup.
    #[error(
        "content backed up on Connections {backup} ({backup_version}) cannot be restored onto \
         the later release {target} ({target_version}): content is restored only to the \
         same major/minor release it was backed up from"
    )]
    LaterRelease {
        /// Release of the backup.
        backup: Release,
        /// Release of the target.
        target: Release,
        /// Exact version of the backup.
        backup_version: String,
        /// Exact version of the target.
        target_version: String,
    },
    /// The target runs an earlier release than the backup.
    #[error(
        "content backed up on Connections {backup} ({backup_version}) cannot be restored onto \
         the earlier release {target} ({target_version}): content is restored only to the \
         same major/minor release it was backed up from"
    )]
    EarlierRelease {
        /// Release of the backup.
        backup: Release,
        /// Release of the target.
        target: Release,
        /// Exact version of the backup.
        backup_version: String,
        /// Exact version of the target.
        target_version: String,
    },
    /// Same release, but not the same product level, CR or build.
    #[error(
        "provision was backed up on {backup_version} and the target runs {target_version}: \
         provision is restored only onto the exact version it was backed up on (same CR \
         and same interim fixes)"
    )]
    DifferentLevel {
        /// Exact version of the backup.
        backup_version: String,
        /// Exact version of the target.
        target_version: String,
    },
    /// Same level and CR, different iFix set.
    #[error(
        "provision was backed up on {version} with a different set of interim fixes than the \
         target has (only in the backup: [{}]; only at the target: [{}]): provision is \
         restored only onto the exact version it was backed up on (same CR and same \
         interim fixes)", join(.only_in_backup), join(.only_at_target)
    )]
    DifferentIfixes {
        /// The shared exact version (without iFixes).
        version: String,
        /// iFixes the backup had and the target lacks.
        only_in_backup: Vec<IFixId>,
        /// iFixes the target has and the backup lacked.
        only_at_target: Vec<IFixId>,
    },
}

fn join(ids: &[IFixId]) -> String {
    ids.iter()
        .map(IFixId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

impl GateRefusal {
    /// The rule that refused.
    pub fn rule(&self) -> GateRule {
        match self {
            GateRefusal::LaterRelease { .. } | GateRefusal::EarlierRelease { .. } => {
                GateRule::Content
            }
            GateRefusal::DifferentLevel { .. } | GateRefusal::DifferentIfixes { .. } => {
                GateRule::Provision
            }
        }
    }
}

/// May content backed up on `backup` be restored onto `target`?
///
/// The documentation: content "can be restored only to the same major/minor release that it
/// was backed up from", the CRs of Connections 6 from CR6 on being "part of the Connections
/// 6.5 release"; and it "cannot be restored to a later release" (a 5.0 backup onto 5.5).
/// Because the release must be the same, an earlier release is refused too. Every CR of a
/// release is accepted (8.0 CR3 onto 8.0 CR14 and back), and iFixes do not matter here.
pub fn can_restore_content(backup: &Version, target: &Version) -> Result<(), GateRefusal> {
    let (b, t) = (backup.release(), target.release());
    if b == t {
        return Ok(());
    }
    let backup_version = backup.to_string();
    let target_version = target.to_string();
    Err(if t > b {
        GateRefusal::LaterRelease {
            backup: b,
            target: t,
            backup_version,
            target_version,
        }
    } else {
        GateRefusal::EarlierRelease {
            backup: b,
            target: t,
            backup_version,
            target_version,
        }
    })
}

/// May the `/provision` folder backed up on `backup` be restored onto `target`?
///
/// The documentation: the `/provision` subdirectory of the shared content folder "can be
/// restored only to the exact version that it was backed up on"; a version "with a CR or an
/// interim fix different" from the backup's is not safe. So the content rule must hold and,
/// beyond it, the product level, CR, build and the set of installed iFixes must be equal.
/// Nothing overrides this rule.
pub fn can_restore_provision(backup: &Version, target: &Version) -> Result<(), GateRefusal> {
    can_restore_content(backup, target)?;
    if backup.offering != target.offering {
        return Err(GateRefusal::DifferentLevel {
            backup_version: backup.to_string(),
            target_version: target.to_string(),
        });
    }
    if backup.ifixes != target.ifixes {
        let only: fn(&BTreeSet<IFixId>, &BTreeSet<IFixId>) -> Vec<IFixId> =
            |a, b| a.difference(b).cloned().collect();
        return Err(GateRefusal::DifferentIfixes {
            version: backup.offering.to_string(),
            only_in_backup: only(&backup.ifixes, &target.ifixes),
            only_at_target: only(&target.ifixes, &backup.ifixes),
        });
    }
    Ok(())
}
