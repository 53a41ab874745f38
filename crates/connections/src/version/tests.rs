//! Table and property tests of the restore rules.

use proptest::prelude::*;

use super::*;

fn ver(offering: &str, ifixes: &[&str]) -> Version {
    Version::new(
        offering.parse().unwrap(),
        ifixes.iter().map(|s| s.parse().unwrap()),
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Allowed,
    Refused,
}
use Expect::{Allowed, Refused};

/// (backup, target, content, provision)
#[allow(clippy::type_complexity)]
const TABLE: &[(&str, &[&str], &str, &[&str], Expect, Expect)] = &[
    // 6.0 CR6 is 6.5, so a CR5 backup is a 6.0 backup and CR6 is a different release.
    ("6.0.0.0_CR5", &[], "6.0.0.0_CR6", &[], Refused, Refused),
    ("6.0.0.0_CR6", &[], "6.0.0.0_CR5", &[], Refused, Refused),
    // 6.0 CR6 and 6.5 CR1 are both 6.5: content yes, provision no.
    ("6.0.0.0_CR6", &[], "6.5.0.0_CR1", &[], Allowed, Refused),
    ("6.5.0.0_CR1", &[], "6.0.0.0_CR6", &[], Allowed, Refused),
    (
        "6.5.0.0_20191121_2323",
        &[],
        "6.5.0.0_CR1",
        &[],
        Allowed,
        Refused,
    ),
    // CRs of one release: content both ways, provision never.
    ("8.0.0.0_CR3", &[], "8.0.0.0_CR14", &[], Allowed, Refused),
    ("8.0.0.0_CR14", &[], "8.0.0.0_CR3", &[], Allowed, Refused),
    // Different releases: never, either way.
    ("7.0.0.0", &[], "8.0.0.0", &[], Refused, Refused),
    ("8.0.0.0", &[], "7.0.0.0", &[], Refused, Refused),
    ("5.0.0.0_CR3", &[], "5.5.0.0", &[], Refused, Refused),
    ("6.0.0.0_CR4", &[], "6.5.0.0_CR1", &[], Refused, Refused),
    // Same CR, different iFix set: content yes, provision no.
    (
        "8.0.0.0_CR14",
        &["KB0101234"],
        "8.0.0.0_CR14",
        &["KB0101234", "KB0102345"],
        Allowed,
        Refused,
    ),
    (
        "8.0.0.0_CR14",
        &["KB0101234"],
        "8.0.0.0_CR14",
        &[],
        Allowed,
        Refused,
    ),
    (
        "7.0.0.0",
        &["CFix.70.2110"],
        "7.0.0.0",
        &["CFix.70.2204"],
        Allowed,
        Refused,
    ),
    // Exactly the same: both.
    (
        "8.0.0.0_CR14",
        &["KB0101234"],
        "8.0.0.0_CR14",
        &["KB0101234"],
        Allowed,
        Allowed,
    ),
    (
        "6.0.0.0_CR4",
        &["LO93624"],
        "6.0.0.0_CR4",
        &["LO93624"],
        Allowed,
        Allowed,
    ),
];

#[test]
fn documented_cases() {
    for &(b, bf, t, tf, content, provision) in TABLE {
        let (backup, target) = (ver(b, bf), ver(t, tf));
        let c = can_restore_content(&backup, &target);
        let p = can_restore_provision(&backup, &target);
        assert_eq!(
            c.is_ok(),
            content == Allowed,
            "content {backup} -> {target}: {c:?}"
        );
        assert_eq!(
            p.is_ok(),
            provision == Allowed,
            "provision {backup} -> {target}: {p:?}"
        );
    }
}

#[test]
fn refusals_name_the_rule_and_both_versions() {
    let e = can_restore_content(&ver("7.0.0.0", &[]), &ver("8.0.0.0_CR2", &[])).unwrap_err();
    assert_eq!(e.rule(), GateRule::Content);
    assert!(matches!(e, GateRefusal::LaterRelease { .. }));
    let text = e.to_string();
    assert!(text.contains("7.0.0.0") && text.contains("8.0.0.0_CR2") && text.contains("later"));

    let e = can_restore_content(&ver("8.0.0.0", &[]), &ver("7.0.0.0", &[])).unwrap_err();
    assert!(matches!(e, GateRefusal::EarlierRelease { .. }));

    let e = can_restore_provision(&ver("8.0.0.0_CR3", &[]), &ver("8.0.0.0_CR14", &[])).unwrap_err();
    assert_eq!(e.rule(), GateRule::Provision);
    assert!(e.to_string().contains("8.0.0.0_CR3") && e.to_string().contains("8.0.0.0_CR14"));

    let e = can_restore_provision(
        &ver("8.0.0.0_CR14", &["KB1", "KB2"]),
        &ver("8.0.0.0_CR14", &["KB2", "KB3"]),
    )
    .unwrap_err();
    match &e {
        GateRefusal::DifferentIfixes {
            only_in_backup,
            only_at_target,
            ..
        } => {
            assert_eq!(only_in_backup[0].as_str(), "KB1");
            assert_eq!(only_at_target[0].as_str(), "KB3");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(e.to_string().contains("KB1") && e.to_string().contains("KB3"));
}

#[test]
fn version_serialises_with_release_and_cr() {
    let v = ver("6.0.0.0_CR6", &["LO93624"]);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["release"], "6.5");
    assert_eq!(json["cr"], 6);
    assert_eq!(json["offering"], "6.0.0.0_CR6");
    assert_eq!(json["ifixes"][0], "LO93624");
    let back: Version = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, v);
    let mut tampered = json;
    tampered["release"] = "6.0".into();
    assert!(serde_json::from_value::<Version>(tampered).is_err());
}

const RELEASES: &[(u32, u32)] = &[(5, 0), (5, 5), (6, 0), (6, 5), (7, 0), (8, 0)];
const IFIX_POOL: &[&str] = &[
    "LO91711",
    "LO93624",
    "CFix.70.2110",
    "KB0101234",
    "KB0102345",
];

fn arb_version() -> impl Strategy<Value = Version> {
    (
        prop::sample::select(RELEASES),
        prop::option::of(1u32..=16),
        prop::option::of(prop::sample::select(
            &["20191121_2323", "20200101_0000"][..],
        )),
        prop::collection::btree_set(prop::sample::select(IFIX_POOL), 0..3),
    )
        .prop_map(|((major, minor), cr, build, fixes)| {
            let mut text = format!("{major}.{minor}.0.0");
            if let Some(cr) = cr {
                text.push_str(&format!("_CR{cr}"));
            }
            if let Some(build) = build {
                text.push('_');
                text.push_str(build);
            }
            ver(&text, &fixes.into_iter().collect::<Vec<_>>())
        })
}

proptest! {
    #[test]
    fn content_rule_is_symmetric(a in arb_version(), b in arb_version()) {
        prop_assert_eq!(can_restore_content(&a, &b).is_ok(), can_restore_content(&b, &a).is_ok());
    }

    #[test]
    fn content_rule_is_same_release(a in arb_version(), b in arb_version()) {
        prop_assert_eq!(can_restore_content(&a, &b).is_ok(), a.release() == b.release());
    }

    #[test]
    fn provision_implies_content(a in arb_version(), b in arb_version()) {
        if can_restore_provision(&a, &b).is_ok() {
            prop_assert!(can_restore_content(&a, &b).is_ok());
        }
    }

    #[test]
    fn provision_is_exact_equality(a in arb_version(), b in arb_version()) {
        prop_assert_eq!(can_restore_provision(&a, &b).is_ok(), a == b);
    }

    #[test]
    fn everything_restores_onto_itself(a in arb_version()) {
        prop_assert!(can_restore_content(&a, &a).is_ok());
        prop_assert!(can_restore_provision(&a, &a).is_ok());
    }

    #[test]
    fn every_cr_of_a_release_is_accepted_for_content(
        (major, minor) in prop::sample::select(&[(5u32, 0u32), (5, 5), (6, 5), (7, 0), (8, 0)][..]),
        x in prop::option::of(0u32..40),
        y in prop::option::of(0u32..40),
    ) {
        let a = Version::new(OfferingVersion::from_release_and_cr(Release::new(major, minor), x), []);
        let b = Version::new(OfferingVersion::from_release_and_cr(Release::new(major, minor), y), []);
        prop_assert!(can_restore_content(&a, &b).is_ok());
    }

    #[test]
    fn crs_of_6_0_split_at_cr6(x in 0u32..6, y in 6u32..30) {
        let early = ver(&format!("6.0.0.0_CR{x}"), &[]);
        let late = ver(&format!("6.0.0.0_CR{y}"), &[]);
        let six_five = ver("6.5.0.0_CR1", &[]);
        prop_assert!(can_restore_content(&early, &late).is_err());
        prop_assert!(can_restore_content(&early, &six_five).is_err());
        prop_assert!(can_restore_content(&six_five, &early).is_err());
        prop_assert!(can_restore_content(&late, &six_five).is_ok());
    }

    #[test]
    fn refusal_direction_matches_release_order(a in arb_version(), b in arb_version()) {
        match can_restore_content(&a, &b) {
            Ok(()) => prop_assert_eq!(a.release(), b.release()),
            Err(GateRefusal::LaterRelease { .. }) => prop_assert!(b.release() > a.release()),
            Err(GateRefusal::EarlierRelease { .. }) => prop_assert!(b.release() < a.release()),
            Err(other) => prop_assert!(false, "content rule gave {:?}", other),
        }
    }

    #[test]
    fn offering_parser_never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<OfferingVersion>();
        let _ = s.parse::<IFixId>();
        let _ = parse_buildlevel(&s);
        let _ = parse_launcher_build(&s);
    }

    #[test]
    fn offering_versions_round_trip(a in arb_version()) {
        let text = a.offering.to_string();
        prop_assert_eq!(text.parse::<OfferingVersion>().unwrap(), a.offering);
    }
}
