//! The version gate: may this selection of a backup be restored onto this target?
//!
//! The documented rules ([`can_restore_content`], [`can_restore_provision`]) compare two
//! versions; this module decides *which* two. A restore that brings the install back
//! (`connections_root` together with the Installation Manager state) leaves the target at
//! the backup's own version, so that is what the rules are checked against: a full restore
//! after a failed CR update, or onto an empty machine, passes and `provision` goes back with
//! it. Any other restore is checked against the version installed at the target.
//!
//! `--allow-version-mismatch` overrides the release (content) rule, loudly; nothing
//! overrides the `provision` rule, and nothing allows `connections_root` to go back without
//! its Installation Manager state onto a different version (IIM would then believe another
//! version is installed than the files on disk).

use connections::version::{can_restore_content, can_restore_provision, GateRule, Version};
use serde::Serialize;

/// What is installed at the target, as read before the restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetState {
    /// Nothing installed (no IIM record, no `connections_root`).
    BareMetal,
    /// Connections is installed; `None` when its version could not be read.
    Installed(Option<Version>),
}

/// Everything the gate looks at.
#[derive(Debug, Clone)]
pub struct GateInput<'a> {
    /// The backup's version (`None`: the backup did not record one).
    pub backup: Option<&'a Version>,
    /// The target before the restore.
    pub target: &'a TargetState,
    /// The selection restores `connections_root` with the IIM state: the target ends up at
    /// the backup's version.
    pub brings_install: bool,
    /// The selection restores `connections_root` although the snapshot has no IIM state.
    pub root_without_iim: bool,
    /// Any content (databases or files other than `provision`) is selected.
    pub content: bool,
    /// `provision` is selected.
    pub provision: bool,
    /// Whether the target's iFix list could be read (`provision` needs it).
    pub target_ifixes_known: bool,
    /// `--allow-version-mismatch`.
    pub allow_version_mismatch: bool,
    /// The selected web tier's versions (IBM HTTP Server, the plug-in) at backup time and
    /// at the target.
    pub web: &'a [WebVersion],
}

/// One web tier product's version when it was backed up and at the target now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebVersion {
    /// What it is (`IBM HTTP Server at /opt/IBM/HTTPServer`).
    pub what: String,
    /// Its version in the backup.
    pub backup: Option<String>,
    /// Its version at the target (`None`: not installed there, or no version readable).
    pub target: Option<String>,
}

/// The outcome of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckResult {
    /// The rule holds.
    Allowed,
    /// The rule does not hold, but `--allow-version-mismatch` overrode it.
    Overridden,
    /// The rule does not hold.
    Refused,
}

/// One rule as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateCheck {
    /// `content`, `provision` or `iim_state`.
    pub rule: String,
    /// How it went.
    pub result: CheckResult,
    /// Why.
    pub message: String,
}

/// The gate's decision for an allowed restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateDecision {
    /// The backup's version.
    pub backup_version: Option<String>,
    /// What was installed at the target (`none` on bare metal).
    pub installed_version: Option<String>,
    /// The version the rules were checked against.
    pub checked_against: Option<String>,
    /// Why that version: "the backup's own version: the install is restored with it" or
    /// "the version installed at the target".
    pub basis: String,
    /// Every rule applied.
    pub checks: Vec<GateCheck>,
    /// Loud warnings (overrides).
    pub warnings: Vec<String>,
}

/// A restore the gate refuses (exit 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("restore refused by the {rule} rule: {message}\n  backup version: {backup_version}\n  target version: {target_version}\n  what you can do: {advice}")]
pub struct Refusal {
    /// `content`, `provision` or `iim_state`.
    pub rule: String,
    /// The rule's sentence, with both versions.
    pub message: String,
    /// The backup's version (or "unknown").
    pub backup_version: String,
    /// The version the restore was checked against, with where it came from.
    pub target_version: String,
    /// What the administrator can do.
    pub advice: String,
}

fn shown(v: Option<&Version>) -> String {
    v.map_or_else(|| "unknown".to_string(), ToString::to_string)
}

const ADVICE_INSTALL: &str = "restore the install too — connections_root together with the \
    Installation Manager state (installation_manager, shared_resources): run without --only, \
    so the target gets the backup's own version";

/// The versions the rules compare, and how a refusal shows them.
struct Versions<'a> {
    backup: Option<&'a Version>,
    installed: Option<&'a Version>,
    /// The version the rules are checked against (the backup's when the install comes
    /// back with it, else the installed one).
    against: Option<&'a Version>,
    installed_shown: String,
    backup_shown: String,
    target_shown: String,
}

impl<'a> Versions<'a> {
    fn of(input: &GateInput<'a>) -> Versions<'a> {
        let (installed, installed_shown) = match input.target {
            TargetState::BareMetal => (None, "none (nothing installed)".to_string()),
            TargetState::Installed(v) => (v.as_ref(), shown(v.as_ref())),
        };
        let backup_shown = shown(input.backup);
        let (against, target_shown) = if input.brings_install {
            let target =
                format!("{backup_shown} after the restore (installed now: {installed_shown})");
            (input.backup, target)
        } else {
            (installed, format!("{installed_shown} (installed)"))
        };
        Versions {
            backup: input.backup,
            installed,
            against,
            installed_shown,
            backup_shown,
            target_shown,
        }
    }

    fn refusal(&self, rule: &str, message: String, advice: String) -> Refusal {
        Refusal {
            rule: rule.to_string(),
            message,
            backup_version: self.backup_shown.clone(),
            target_version: self.target_shown.clone(),
            advice,
        }
    }
}

/// Applies the rules; `Ok` with the decision, or the refusal of the first rule that fails.
pub fn decide(input: &GateInput<'_>) -> Result<GateDecision, Refusal> {
    let v = Versions::of(input);
    let basis = if input.brings_install {
        "the backup's own version: the install is restored with it"
    } else {
        "the version installed at the target"
    };
    let mut decision = GateDecision {
        backup_version: v.backup.map(ToString::to_string),
        installed_version: v.installed.map(ToString::to_string),
        checked_against: v.against.map(ToString::to_string),
        basis: basis.to_string(),
        checks: Vec::new(),
        warnings: Vec::new(),
    };
    if input.root_without_iim {
        decision.checks.push(iim_state_rule(&v)?);
    }
    if input.content {
        let check = content_rule(input, &v)?;
        if check.result == CheckResult::Overridden {
            decision.warnings.push(check.message.clone());
        }
        decision.checks.push(check);
    }
    if input.provision {
        decision.checks.push(provision_rule(input, &v)?);
    }
    for w in input.web {
        let check = web_rule(input, w)?;
        if check.result == CheckResult::Overridden {
            decision.warnings.push(check.message.clone());
        }
        decision.checks.push(check);
    }
    Ok(decision)
}

/// The web tier rule: its configuration goes back onto the same IBM HTTP Server (or
/// plug-in) version it was taken from, or where none is installed; another version needs
/// `--allow-version-mismatch` (a newer IHS may not read an older configuration the same).
fn web_rule(input: &GateInput<'_>, w: &WebVersion) -> Result<GateCheck, Refusal> {
    let allowed = |message: String| GateCheck {
        rule: "web".into(),
        result: CheckResult::Allowed,
        message,
    };
    match (&w.backup, &w.target) {
        (_, None) => Ok(allowed(format!(
            "{}: no version installed at the target; the configuration goes back as it was",
            w.what
        ))),
        (None, Some(t)) => Ok(allowed(format!(
            "{}: the backup recorded no version (the target has {t})",
            w.what
        ))),
        (Some(b), Some(t)) if b == t => Ok(allowed(format!("{}: {b} at both", w.what))),
        (Some(b), Some(t)) => {
            let message = format!("{} was {b} when backed up and is {t} at the target", w.what);
            if input.allow_version_mismatch {
                return Ok(GateCheck {
                    rule: "web".into(),
                    result: CheckResult::Overridden,
                    message: format!("{message}; restored anyway (--allow-version-mismatch)"),
                });
            }
            Err(Refusal {
                rule: "web".into(),
                message,
                backup_version: b.clone(),
                target_version: format!("{t} (installed at the target)"),
                advice: "restore onto the same IHS and plug-in level (roll the fix pack back \
                         first), or pass --allow-version-mismatch to put the older \
                         configuration onto this level"
                    .into(),
            })
        }
    }
}

/// IIM state: connections_root without it only onto exactly the same version.
fn iim_state_rule(v: &Versions<'_>) -> Result<GateCheck, Refusal> {
    let same = matches!((v.backup, v.installed), (Some(b), Some(t)) if b == t);
    if !same {
        return Err(v.refusal(
            "iim_state",
            "the snapshot has connections_root but not the Installation Manager state \
             (it was backed up without --in-place-migration); restoring the files onto a \
             different or unknown version would leave Installation Manager believing \
             another version is installed than the one on disk"
                .into(),
            "restore from a backup taken with --in-place-migration (it holds the IIM \
             data, install and IMShared), or leave connections_root out with --only"
                .into(),
        ));
    }
    Ok(GateCheck {
        rule: "iim_state".into(),
        result: CheckResult::Allowed,
        message: "no IIM state in the snapshot, but the installed version is exactly the \
                  backup's: IIM's record already matches the restored files"
            .into(),
    })
}

/// The release rule for content (databases, files other than provision); the only rule
/// `--allow-version-mismatch` overrides.
fn content_rule(input: &GateInput<'_>, v: &Versions<'_>) -> Result<GateCheck, Refusal> {
    let verdict = match (v.backup, v.against) {
        (Some(b), Some(t)) => can_restore_content(b, t).map_err(|r| {
            debug_assert_eq!(r.rule(), GateRule::Content);
            r.to_string()
        }),
        (None, _) => Err(
            "the backup recorded no Connections version, so the release rule cannot be \
             checked"
                .to_string(),
        ),
        (Some(_), None) if input.target == &TargetState::BareMetal => Err(
            "nothing is installed at the target, so content has no release to go onto".to_string(),
        ),
        (Some(_), None) => Err(
            "the version installed at the target could not be read, so the release rule \
             cannot be checked"
                .to_string(),
        ),
    };
    match verdict {
        Ok(()) => Ok(GateCheck {
            rule: "content".into(),
            result: CheckResult::Allowed,
            message: format!("same release: {} onto {}", v.backup_shown, shown(v.against)),
        }),
        Err(message) if input.allow_version_mismatch => Ok(GateCheck {
            rule: "content".into(),
            result: CheckResult::Overridden,
            message: format!(
                "--allow-version-mismatch: the release rule is OVERRIDDEN ({message}). \
                 Connections does not support content restored onto another release; \
                 you are on your own"
            ),
        }),
        Err(message) => Err(v.refusal(
            "content",
            message,
            format!(
                "{ADVICE_INSTALL}; or, only if you know the data is compatible, \
                 --allow-version-mismatch (overrides this rule, never the provision rule)"
            ),
        )),
    }
}

/// The provision rule: exactly the version it was backed up on; nothing overrides it.
fn provision_rule(input: &GateInput<'_>, v: &Versions<'_>) -> Result<GateCheck, Refusal> {
    let verdict = match (v.backup, v.against) {
        // without the target's iFix list "the same iFix set" cannot be shown
        (Some(_), Some(_)) if !input.brings_install && !input.target_ifixes_known => Err(
            "the interim fixes installed at the target could not be read \
             (connections_root/version), so the exact version cannot be compared"
                .to_string(),
        ),
        (Some(b), Some(t)) => can_restore_provision(b, t).map_err(|r| r.to_string()),
        (None, _) => Err("the backup recorded no Connections version".to_string()),
        (Some(_), None) => Err(format!(
            "provision needs the exact version it was backed up on, and the target has {}",
            v.installed_shown
        )),
    };
    match verdict {
        Ok(()) => Ok(GateCheck {
            rule: "provision".into(),
            result: CheckResult::Allowed,
            message: format!("exact same version: {}", shown(v.against)),
        }),
        Err(message) => Err(v.refusal(
            "provision",
            message,
            format!(
                "{ADVICE_INSTALL} (provision then goes back with the version it belongs \
                 to); or leave provision out: --only with the other components. Nothing \
                 overrides this rule"
            ),
        )),
    }
}
