//! The restore gate across versions, table-driven: which restores the documented rules
//! allow, which they refuse, under which rule, and what `--allow-version-mismatch` changes.
#![allow(clippy::unwrap_used)]

use connections::version::Version;
use runbook::restore::gate::{decide, CheckResult, GateInput, TargetState};

fn v(s: &str) -> Version {
    let (offering, fixes) = s.split_once('+').unwrap_or((s, ""));
    Version::new(
        offering.trim().parse().unwrap(),
        fixes
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(|f| f.parse().unwrap()),
    )
}

/// What the restore selects.
#[derive(Clone, Copy, Debug)]
enum What {
    /// Content only (`--only shared_data,...`), checked against the installed version.
    Content,
    /// `--only provision`.
    Provision,
    /// Content and provision, without the install.
    ContentAndProvision,
    /// Everything, the install and IIM state included.
    Full,
}

struct Case {
    name: &'static str,
    backup: Option<&'static str>,
    /// `None`: bare metal.
    target: Option<&'static str>,
    what: What,
    /// `None`: allowed; `Some(rule)`: refused by that rule.
    refused_by: Option<&'static str>,
}

fn run(c: &Case, allow_mismatch: bool) -> Result<runbook::restore::gate::GateDecision, String> {
    let backup = c.backup.map(v);
    let target = match c.target {
        None => TargetState::BareMetal,
        Some(t) => TargetState::Installed(Some(v(t))),
    };
    let (content, provision, install) = match c.what {
        What::Content => (true, false, false),
        What::Provision => (false, true, false),
        What::ContentAndProvision => (true, true, false),
        What::Full => (true, true, true),
    };
    decide(&GateInput {
        backup: backup.as_ref(),
        target: &target,
        brings_install: install,
        root_without_iim: false,
        content,
        provision,
        target_ifixes_known: true,
        allow_version_mismatch: allow_mismatch,
        web: &[],
    })
    .map_err(|r| {
        // every refusal names the rule, both versions and what to do
        let text = r.to_string();
        assert!(text.contains(&r.backup_version), "{text}");
        assert!(text.contains("what you can do"), "{text}");
        assert!(!r.advice.is_empty());
        r.rule
    })
}

#[test]
fn the_documented_rules_across_versions() {
    let cases = [
        Case {
            name: "6.0 CR5 -> 6.0 CR6: CR6 is 6.5, another release",
            backup: Some("6.0.0.0_CR5"),
            target: Some("6.0.0.0_CR6"),
            what: What::Content,
            refused_by: Some("content"),
        },
        Case {
            name: "6.0 CR6 -> 6.5 CR1: both 6.5, content allowed",
            backup: Some("6.0.0.0_CR6"),
            target: Some("6.5.0.0_CR1"),
            what: What::Content,
            refused_by: None,
        },
        Case {
            name: "6.5 CR1 -> 6.0 CR6: both 6.5, content allowed",
            backup: Some("6.5.0.0_CR1"),
            target: Some("6.0.0.0_CR6"),
            what: What::Content,
            refused_by: None,
        },
        Case {
            name: "8.0 CR3 -> 8.0 CR14 content",
            backup: Some("8.0.0.0_CR3"),
            target: Some("8.0.0.0_CR14"),
            what: What::Content,
            refused_by: None,
        },
        Case {
            name: "8.0 CR14 -> 8.0 CR3 content",
            backup: Some("8.0.0.0_CR14"),
            target: Some("8.0.0.0_CR3"),
            what: What::Content,
            refused_by: None,
        },
        Case {
            name: "8.0 CR3 -> 8.0 CR14 provision",
            backup: Some("8.0.0.0_CR3"),
            target: Some("8.0.0.0_CR14"),
            what: What::Provision,
            refused_by: Some("provision"),
        },
        Case {
            name: "8.0 CR14 -> 8.0 CR3 content + provision",
            backup: Some("8.0.0.0_CR14"),
            target: Some("8.0.0.0_CR3"),
            what: What::ContentAndProvision,
            refused_by: Some("provision"),
        },
        Case {
            name: "7.0 -> 8.0: a later release",
            backup: Some("7.0.0.0"),
            target: Some("8.0.0.0_CR1"),
            what: What::Content,
            refused_by: Some("content"),
        },
        Case {
            name: "8.0 -> 7.0: an earlier release",
            backup: Some("8.0.0.0_CR1"),
            target: Some("7.0.0.0"),
            what: What::Content,
            refused_by: Some("content"),
        },
        Case {
            name: "same CR, different iFix set: provision refused",
            backup: Some("8.0.0.0_CR3 + KB0102411, KB0105812"),
            target: Some("8.0.0.0_CR3 + KB0102411"),
            what: What::Provision,
            refused_by: Some("provision"),
        },
        Case {
            name: "same CR, different iFix set: content allowed",
            backup: Some("8.0.0.0_CR3 + KB0102411, KB0105812"),
            target: Some("8.0.0.0_CR3 + KB0102411"),
            what: What::Content,
            refused_by: None,
        },
        Case {
            name: "exact same version: provision allowed",
            backup: Some("8.0.0.0_CR3 + KB0102411, KB0105812"),
            target: Some("8.0.0.0_CR3 + KB0105812, KB0102411"),
            what: What::ContentAndProvision,
            refused_by: None,
        },
        Case {
            name: "bare metal, full restore: the install brings its version",
            backup: Some("8.0.0.0_CR3 + KB0102411"),
            target: None,
            what: What::Full,
            refused_by: None,
        },
        Case {
            name: "failed CR update, full restore: allowed, provision goes back with it",
            backup: Some("8.0.0.0_CR3 + KB0102411"),
            target: Some("8.0.0.0_CR4"),
            what: What::Full,
            refused_by: None,
        },
        Case {
            name: "failed upgrade to a later release, full restore: allowed",
            backup: Some("7.0.0.0"),
            target: Some("8.0.0.0_CR1"),
            what: What::Full,
            refused_by: None,
        },
        Case {
            name: "failed CR update, partial restore with provision: refused",
            backup: Some("8.0.0.0_CR3 + KB0102411"),
            target: Some("8.0.0.0_CR4"),
            what: What::ContentAndProvision,
            refused_by: Some("provision"),
        },
        Case {
            name: "bare metal, content without the install",
            backup: Some("8.0.0.0_CR3"),
            target: None,
            what: What::Content,
            refused_by: Some("content"),
        },
        Case {
            name: "bare metal, provision without the install",
            backup: Some("8.0.0.0_CR3"),
            target: None,
            what: What::Provision,
            refused_by: Some("provision"),
        },
        Case {
            name: "backup without a recorded version, partial",
            backup: None,
            target: Some("8.0.0.0_CR3"),
            what: What::Content,
            refused_by: Some("content"),
        },
    ];
    for c in &cases {
        let got = run(c, false);
        match (c.refused_by, &got) {
            (None, Ok(d)) => assert!(
                d.checks.iter().all(|k| k.result == CheckResult::Allowed),
                "{}: {d:?}",
                c.name
            ),
            (Some(rule), Err(r)) => assert_eq!(r, rule, "{}", c.name),
            _ => panic!("{}: expected {:?}, got {got:?}", c.name, c.refused_by),
        }
    }
}

#[test]
fn allow_version_mismatch_overrides_the_release_rule_only() {
    let later = Case {
        name: "7.0 -> 8.0",
        backup: Some("7.0.0.0"),
        target: Some("8.0.0.0_CR1"),
        what: What::Content,
        refused_by: Some("content"),
    };
    let d = run(&later, true).unwrap();
    let check = d.checks.iter().find(|k| k.rule == "content").unwrap();
    assert_eq!(check.result, CheckResult::Overridden);
    assert!(
        d.warnings.iter().any(|w| w.contains("OVERRIDDEN")),
        "{:?}",
        d.warnings
    );
    // nothing overrides provision
    let prov = Case {
        name: "8.0 CR3 -> CR14 provision",
        backup: Some("8.0.0.0_CR3"),
        target: Some("8.0.0.0_CR14"),
        what: What::ContentAndProvision,
        refused_by: Some("provision"),
    };
    assert_eq!(run(&prov, true).unwrap_err(), "provision");
    let across = Case {
        name: "7.0 -> 8.0 with provision",
        backup: Some("7.0.0.0"),
        target: Some("8.0.0.0_CR1"),
        what: What::ContentAndProvision,
        refused_by: Some("provision"),
    };
    assert_eq!(run(&across, true).unwrap_err(), "provision");
}

#[test]
fn refusals_say_which_versions_and_what_to_do() {
    let backup = v("8.0.0.0_CR3 + KB0102411");
    let target = TargetState::Installed(Some(v("8.0.0.0_CR4")));
    let r = decide(&GateInput {
        backup: Some(&backup),
        target: &target,
        brings_install: false,
        root_without_iim: false,
        content: false,
        provision: true,
        target_ifixes_known: true,
        allow_version_mismatch: true,
        web: &[],
    })
    .unwrap_err();
    let text = r.to_string();
    assert!(text.contains("provision rule"), "{text}");
    assert!(text.contains("8.0.0.0_CR3 + KB0102411"), "{text}");
    assert!(text.contains("8.0.0.0_CR4"), "{text}");
    assert!(text.contains("installation_manager"), "{text}");
    assert!(text.contains("--only"), "{text}");
    assert!(text.contains("Nothing overrides"), "{text}");
}

#[test]
fn connections_root_without_iim_state_only_onto_the_same_version() {
    let backup = v("8.0.0.0_CR3");
    let same = TargetState::Installed(Some(v("8.0.0.0_CR3")));
    let other = TargetState::Installed(Some(v("8.0.0.0_CR4")));
    let input = |t| GateInput {
        backup: Some(&backup),
        target: t,
        brings_install: false,
        root_without_iim: true,
        content: true,
        provision: false,
        target_ifixes_known: true,
        allow_version_mismatch: true,
        web: &[],
    };
    assert!(decide(&input(&same)).is_ok());
    assert_eq!(decide(&input(&other)).unwrap_err().rule, "iim_state");
    assert_eq!(
        decide(&input(&TargetState::BareMetal)).unwrap_err().rule,
        "iim_state"
    );
}

#[test]
fn provision_needs_the_targets_ifix_list() {
    let backup = v("8.0.0.0_CR3");
    let target = TargetState::Installed(Some(v("8.0.0.0_CR3")));
    let r = decide(&GateInput {
        backup: Some(&backup),
        target: &target,
        brings_install: false,
        root_without_iim: false,
        content: false,
        provision: true,
        target_ifixes_known: false,
        allow_version_mismatch: false,
        web: &[],
    })
    .unwrap_err();
    assert_eq!(r.rule, "provision");
    assert!(r.message.contains("interim fixes"), "{}", r.message);
}

#[test]
fn the_web_tier_goes_back_onto_its_own_ihs_level_or_where_none_is_installed() {
    use runbook::restore::gate::{CheckResult, WebVersion};
    let web = |backup: Option<&str>, target: Option<&str>| WebVersion {
        what: "IBM HTTP Server at /opt/IBM/HTTPServer".into(),
        backup: backup.map(Into::into),
        target: target.map(Into::into),
    };
    let gate = |w: &WebVersion, allow: bool| {
        decide(&GateInput {
            backup: None,
            target: &TargetState::BareMetal,
            brings_install: false,
            root_without_iim: false,
            // a web server's own host: no Connections content, only the web rule
            content: false,
            provision: false,
            target_ifixes_known: false,
            allow_version_mismatch: allow,
            web: std::slice::from_ref(w),
        })
    };
    for allowed in [
        web(Some("9.0.5.18"), Some("9.0.5.18")),
        web(Some("9.0.5.18"), None),
        web(None, Some("9.0.5.18")),
    ] {
        let d = gate(&allowed, false).unwrap();
        assert_eq!(d.checks[0].rule, "web");
        assert_eq!(d.checks[0].result, CheckResult::Allowed, "{allowed:?}");
    }
    let newer = web(Some("9.0.5.18"), Some("9.0.5.20"));
    let r = gate(&newer, false).unwrap_err();
    assert_eq!(r.rule, "web");
    assert!(
        r.message.contains("9.0.5.18") && r.message.contains("9.0.5.20"),
        "{r}"
    );
    assert!(r.to_string().contains("--allow-version-mismatch"), "{r}");
    let d = gate(&newer, true).unwrap();
    assert_eq!(d.checks[0].result, CheckResult::Overridden);
    assert_eq!(d.warnings.len(), 1, "the override is loud");
}
