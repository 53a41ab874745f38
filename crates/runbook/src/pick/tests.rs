#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vault::{Snapshot, SnapshotFilter, SnapshotId};

use super::*;

fn id(n: u8) -> SnapshotId {
    let mut b = [0u8; 32];
    b[0] = n;
    b[31] = 0xee;
    SnapshotId(b)
}

fn cand(n: u8, time: i64, host: &str, kind: Kind) -> Candidate {
    Candidate {
        id: id(n),
        time,
        host: host.into(),
        set: (kind != Kind::Plain).then(|| "cell-1".to_string()),
        tags: Vec::new(),
        kind,
    }
}

fn with_tag(mut c: Candidate, tag: &str) -> Candidate {
    c.tags.push(tag.into());
    c
}

fn host(h: &str) -> SnapshotFilter {
    SnapshotFilter {
        host: Some(h.into()),
        ..SnapshotFilter::default()
    }
}

fn none() -> SnapshotFilter {
    SnapshotFilter::default()
}

/// The repository: A complete, B complete, A INCOMPLETE, in that order.
fn shared_cell() -> Vec<Candidate> {
    vec![
        cand(1, 100, "a", Kind::Complete),
        cand(2, 200, "b", Kind::Complete),
        cand(3, 300, "a", Kind::Incomplete),
    ]
}

#[test]
fn latest_is_this_hosts_newest_complete_backup_and_names_the_newer_incomplete_one() {
    let c = shared_cell();
    let on_a = pick(&c, &Selector::Latest, &none(), "a").unwrap();
    assert_eq!(on_a.id, id(1));
    assert_eq!(on_a.passed_over.len(), 1);
    assert_eq!(on_a.passed_over[0].id, id(3).to_hex());
    let notes = on_a.notes().join("\n");
    assert!(
        notes.contains(&id(1).short()) && notes.contains(&id(3).short()),
        "{notes}"
    );
    assert!(notes.contains("INCOMPLETE"), "{notes}");

    let on_b = pick(&c, &Selector::Latest, &none(), "b").unwrap();
    assert_eq!(on_b.id, id(2));
    assert!(on_b.passed_over.is_empty());

    // --host chooses another host's latest
    let b_from_a = pick(&c, &Selector::Latest, &host("b"), "a").unwrap();
    assert_eq!(b_from_a.id, id(2));
}

#[test]
fn a_host_without_snapshots_gets_the_list_of_hosts() {
    let e = pick(&shared_cell(), &Selector::Latest, &none(), "c").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, PickError::NotFound { .. }));
    assert!(msg.contains("--host c"), "{msg}");
    assert!(msg.contains("a (2)") && msg.contains("b (1)"), "{msg}");
}

#[test]
fn only_incomplete_backups_is_an_error_naming_the_newest() {
    let c = vec![
        cand(1, 100, "a", Kind::Incomplete),
        cand(2, 200, "a", Kind::Incomplete),
        cand(3, 300, "a", Kind::Plain),
    ];
    let e = pick(&c, &Selector::Latest, &none(), "a").unwrap_err();
    assert!(matches!(e, PickError::NoComplete { .. }), "{e}");
    assert!(e.to_string().contains(&id(2).short()), "{e}");
}

#[test]
fn the_set_and_tags_narrow_latest() {
    let mut c = shared_cell();
    let mut other_set = cand(4, 400, "a", Kind::Complete);
    other_set.set = Some("cell-2".into());
    c.push(other_set);
    c.push(with_tag(cand(5, 50, "a", Kind::Complete), "before-upgrade"));
    assert_eq!(pick(&c, &Selector::Latest, &none(), "a").unwrap().id, id(4));
    let set1 = SnapshotFilter {
        set: Some("cell-1".into()),
        ..none()
    };
    let p = pick(&c, &Selector::Latest, &set1, "a").unwrap();
    assert_eq!(p.id, id(1));
    assert_eq!(p.passed_over.len(), 1);
    let tagged = SnapshotFilter {
        tags: vec!["before-upgrade".into()],
        ..none()
    };
    assert_eq!(pick(&c, &Selector::Latest, &tagged, "a").unwrap().id, id(5));
}

#[test]
fn helper_snapshots_are_latest_only_when_their_tag_is_asked_for() {
    let mut c = shared_cell();
    c.push(with_tag(cand(6, 600, "a", Kind::Complete), PRE_RESTORE_TAG));
    c.push(with_tag(cand(7, 700, "a", Kind::Complete), PARTIAL_TAG));
    assert_eq!(pick(&c, &Selector::Latest, &none(), "a").unwrap().id, id(1));
    let pre = SnapshotFilter {
        tags: vec![PRE_RESTORE_TAG.into()],
        ..none()
    };
    assert_eq!(pick(&c, &Selector::Latest, &pre, "a").unwrap().id, id(6));
    // by id, a helper snapshot is as good as any
    assert_eq!(
        pick(&c, &Selector::Id(id(7).to_hex()), &none(), "a")
            .unwrap()
            .id,
        id(7)
    );
}

#[test]
fn plain_backups_keep_latest_when_the_host_has_no_deployment_backup() {
    let c = vec![
        cand(1, 100, "a", Kind::Plain),
        cand(2, 200, "a", Kind::Plain),
        cand(3, 300, "b", Kind::Complete),
    ];
    let p = pick(&c, &Selector::Latest, &none(), "a").unwrap();
    assert_eq!((p.id, p.kind), (id(2), Kind::Plain));
    assert!(p.notes()[0].contains("path backup"), "{:?}", p.notes());
}

#[test]
fn a_repository_of_path_backups_keeps_the_newest_of_any_host() {
    let c = vec![
        cand(1, 100, "e2e", Kind::Plain),
        cand(2, 200, "other", Kind::Plain),
    ];
    assert_eq!(
        pick(&c, &Selector::Latest, &none(), "here").unwrap().id,
        id(2)
    );
    // --host still narrows
    assert_eq!(
        pick(&c, &Selector::Latest, &host("e2e"), "here")
            .unwrap()
            .id,
        id(1)
    );
    assert!(pick(&c, &Selector::Latest, &host("nobody"), "here").is_err());
    // once a deployment backup is there, the host rule holds
    let mut mixed = c.clone();
    mixed.push(cand(3, 50, "dmgr", Kind::Complete));
    let e = pick(&mixed, &Selector::Latest, &none(), "here").unwrap_err();
    assert!(matches!(e, PickError::NotFound { .. }), "{e}");
}

#[test]
fn ids_and_prefixes() {
    let c = shared_cell();
    let p = pick(&c, &Selector::parse("02").unwrap(), &none(), "z").unwrap();
    assert_eq!(p.id, id(2));
    assert!(!p.by_latest && p.notes().is_empty());
    // every id ends in ee: a common prefix of two is ambiguous
    let mut twins = c.clone();
    let mut twin = cand(9, 1, "a", Kind::Complete);
    twin.id.0[0] = 0x02;
    twin.id.0[1] = 0x01;
    twins.push(twin);
    let e = pick(&twins, &Selector::parse("02").unwrap(), &none(), "a").unwrap_err();
    assert!(matches!(e, PickError::Ambiguous { .. }), "{e}");
    let e = pick(&c, &Selector::parse("ff").unwrap(), &none(), "a").unwrap_err();
    assert!(matches!(e, PickError::NotFound { .. }), "{e}");
    // an id the filters exclude says why
    let e = pick(&c, &Selector::parse("02").unwrap(), &host("a"), "a").unwrap_err();
    assert!(matches!(e, PickError::FilteredOut { .. }), "{e}");
    assert!(e.to_string().contains("host b"), "{e}");
}

#[test]
fn specs_are_latest_or_hex() {
    assert_eq!(Selector::parse("latest").unwrap(), Selector::Latest);
    assert_eq!(
        Selector::parse("AbC1").unwrap(),
        Selector::Id("abc1".into())
    );
    for bad in ["", "last", "12g4", &"a".repeat(65)] {
        let e = Selector::parse(bad).unwrap_err();
        // exit 1, as a snapshot not found always was (the CLI contract)
        assert!(matches!(e, PickError::BadSpec { .. }), "{bad}: {e}");
        assert!(!e.is_usage() && !e.is_refusal(), "{bad}: {e}");
    }
}

#[test]
fn another_hosts_snapshot_needs_from_host() {
    let id = id(2).to_hex();
    assert_eq!(
        check_restore_host(&id, "a", "a", None).unwrap(),
        HostCheck::Same
    );
    let e = check_restore_host(&id, "b", "a", None).unwrap_err();
    assert!(e.is_refusal());
    let msg = e.to_string();
    assert!(msg.contains("host b") && msg.contains("host a"), "{msg}");
    assert!(msg.contains("--from-host b"), "{msg}");
    assert_eq!(
        check_restore_host(&id, "b", "a", Some("b")).unwrap(),
        HostCheck::FromHost {
            snapshot_host: "b".into()
        }
    );
    assert!(check_restore_host(&id, "b", "a", Some("c"))
        .unwrap_err()
        .is_usage());
    // --from-host naming this host's own snapshot is harmless
    assert_eq!(
        check_restore_host(&id, "a", "a", Some("a")).unwrap(),
        HostCheck::Same
    );
}

#[test]
fn from_host_selects_that_host() {
    let f = restore_filter(&none(), Some("b"), "latest").unwrap();
    assert_eq!(f.host.as_deref(), Some("b"));
    assert!(restore_filter(&host("c"), Some("b"), "latest")
        .unwrap_err()
        .is_usage());
    assert_eq!(
        restore_filter(&host("b"), Some("b"), "latest").unwrap(),
        host("b")
    );
    assert_eq!(restore_filter(&none(), None, "latest").unwrap(), none());
    // an id is checked against --from-host by the host rule, not filtered by it
    assert_eq!(restore_filter(&none(), Some("b"), "0a1b").unwrap(), none());
}

// ---------------------------------------------------------------- properties

fn arb_candidate() -> impl Strategy<Value = Candidate> {
    (
        any::<u8>(),
        0i64..20,
        prop::sample::select(vec!["a", "b"]),
        prop::option::of(prop::sample::select(vec!["s1", "s2"])),
        prop::sample::subsequence(vec!["x", PRE_RESTORE_TAG, PARTIAL_TAG], 0..=3),
        prop::sample::select(vec![Kind::Complete, Kind::Incomplete, Kind::Plain]),
    )
        .prop_map(|(n, time, host, set, tags, kind)| Candidate {
            id: id(n),
            time,
            host: host.into(),
            set: set.map(str::to_string),
            tags: tags.into_iter().map(str::to_string).collect(),
            kind,
        })
}

fn arb_candidates() -> impl Strategy<Value = Vec<Candidate>> {
    prop::collection::vec(arb_candidate(), 0..12).prop_map(|mut v| {
        // ids are unique in a repository
        v.sort_by_key(|c| c.id);
        v.dedup_by_key(|c| c.id);
        v
    })
}

fn arb_filter() -> impl Strategy<Value = SnapshotFilter> {
    (
        prop::option::of(prop::sample::select(vec!["a", "b", "c"])),
        prop::option::of(prop::sample::select(vec!["s1", "s2"])),
        prop::sample::subsequence(vec!["x", PRE_RESTORE_TAG], 0..=1),
    )
        .prop_map(|(host, set, tags)| SnapshotFilter {
            host: host.map(str::to_string),
            set: set.map(str::to_string),
            tags: tags.into_iter().map(str::to_string).collect(),
        })
}

proptest! {
    /// `latest` is of the right host, matches every filter, is never a helper snapshot the
    /// filters did not ask for, is complete whenever the scope holds a deployment backup,
    /// nothing eligible of its kind is newer, and the newer incomplete ones are all named.
    #[test]
    fn latest_is_the_newest_eligible_complete_backup(
        cands in arb_candidates(), filter in arb_filter(), this in prop::sample::select(vec!["a", "b"]),
    ) {
        let scope_host = filter.host.clone().unwrap_or_else(|| this.to_string());
        let eligible = |c: &Candidate| {
            c.host == scope_host
                && filter.set.as_ref().is_none_or(|s| c.set.as_ref() == Some(s))
                && filter.tags.iter().all(|t| c.tags.contains(t))
                && c.helper_tag().is_none_or(|t| filter.tags.iter().any(|x| x == t))
        };
        let mut scope: Vec<&Candidate> = cands.iter().filter(|c| eligible(c)).collect();
        // a repository of path backups only: any host, unless --host names one
        let any_host: Vec<&Candidate> = cands
            .iter()
            .filter(|c| {
                filter.set.as_ref().is_none_or(|s| c.set.as_ref() == Some(s))
                    && filter.tags.iter().all(|t| c.tags.contains(t))
                    && c.helper_tag().is_none_or(|t| filter.tags.iter().any(|x| x == t))
            })
            .collect();
        let plain_repo = filter.host.is_none() && any_host.iter().all(|c| c.kind == Kind::Plain);
        if scope.is_empty() && plain_repo {
            scope = any_host;
        }
        match pick(&cands, &Selector::Latest, &filter, this) {
            Ok(p) => {
                let c = cands.iter().find(|c| c.id == p.id).unwrap();
                prop_assert!(scope.iter().any(|s| s.id == c.id));
                let deployment = scope.iter().any(|c| c.kind != Kind::Plain);
                if deployment {
                    prop_assert_eq!(c.kind, Kind::Complete);
                }
                prop_assert!(!scope.iter().any(|o| o.kind == c.kind && (o.time, o.id) > (c.time, c.id)));
                let newer_incomplete: Vec<String> = {
                    let mut v: Vec<&&Candidate> = scope.iter()
                        .filter(|o| deployment && o.kind == Kind::Incomplete && (o.time, o.id) > (c.time, c.id))
                        .collect();
                    v.sort_by_key(|o| std::cmp::Reverse((o.time, o.id)));
                    v.iter().map(|o| o.id.to_hex()).collect()
                };
                let named: Vec<String> = p.passed_over.iter().map(|x| x.id.clone()).collect();
                prop_assert_eq!(named, newer_incomplete);
            }
            Err(PickError::NoComplete { .. }) => {
                prop_assert!(scope.iter().any(|c| c.kind == Kind::Incomplete));
                prop_assert!(!scope.iter().any(|c| c.kind == Kind::Complete));
            }
            Err(PickError::NotFound { .. }) => prop_assert!(scope.is_empty()),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }

    /// The rule never depends on the order the repository listed the snapshots in.
    #[test]
    fn the_listing_order_does_not_matter(
        cands in arb_candidates(), filter in arb_filter(), seed in any::<u64>(),
    ) {
        let mut shuffled = cands.clone();
        // a seeded Fisher-Yates shuffle: reproducible from the proptest seed
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let a = pick(&cands, &Selector::Latest, &filter, "a").map_err(|e| e.to_string());
        let b = pick(&shuffled, &Selector::Latest, &filter, "a").map_err(|e| e.to_string());
        prop_assert_eq!(a, b);
    }

    /// A full id always names its snapshot, whatever else the repository holds, unless a
    /// filter excludes it (then it says so).
    #[test]
    fn a_full_id_names_its_snapshot(cands in arb_candidates(), filter in arb_filter(), k in any::<usize>()) {
        prop_assume!(!cands.is_empty());
        let c = &cands[k % cands.len()];
        match pick(&cands, &Selector::Id(c.id.to_hex()), &filter, "a") {
            Ok(p) => prop_assert_eq!(p.id, c.id),
            Err(PickError::FilteredOut { .. }) => prop_assert!(!c.matches(&filter)),
            Err(e) => prop_assert!(false, "unexpected {e}"),
        }
    }
}

/// A snapshot document carrying `m`'s summary, as `backup` writes it.
fn deployment_snapshot(m: &crate::manifest::Manifest, time: i64) -> Snapshot {
    Snapshot {
        time,
        host: m.host.clone(),
        paths: vec!["/opt/IBM".into()],
        tags: Vec::new(),
        tree: vault::BlobId([0; 32]),
        parent: None,
        summary: vault::SnapshotSummary::default(),
        application: Some(m.summary().to_application()),
        username: String::new(),
        program_version: String::new(),
    }
}

#[test]
fn latest_counts_the_backup_set() {
    use crate::manifest::{Absence, AbsenceReason, DatabaseRecord, Status, StepStatus};
    use crate::plan::Component;
    let complete = |host: &str| {
        let mut m = crate::manifest::tests::example();
        m.host = host.into();
        m.status = Status::Complete;
        m.failed_steps.clear();
        m
    };
    // the node left the databases to its set (`--skip-databases --set`)
    let mut node = complete("node");
    node.absent = vec![Absence {
        component: Component::Databases,
        reason: AbsenceReason::SkipDatabases,
        held_by: None,
        message: "--skip-databases".into(),
    }];
    let mut dmgr = complete("dmgr");
    dmgr.databases = vec![DatabaseRecord::new("FILES", StepStatus::Ok)];
    let node_doc = deployment_snapshot(&node, 100);
    let dmgr_doc = deployment_snapshot(&dmgr, 200);
    let latest = |docs: &[(SnapshotId, &Snapshot)]| {
        pick(&candidates(docs), &Selector::Latest, &none(), "node").map(|p| p.id)
    };
    // alone, the node's backup is INCOMPLETE: not `latest`
    let alone = [(id(1), &node_doc)];
    assert_eq!(candidates(&alone)[0].kind, Kind::Incomplete);
    assert!(matches!(latest(&alone), Err(PickError::NoComplete { .. })));
    // the database host's backup of the same set holds them: COMPLETE, and `latest`
    let both = [(id(1), &node_doc), (id(2), &dmgr_doc)];
    assert_eq!(candidates(&both)[0].kind, Kind::Complete);
    assert_eq!(latest(&both).unwrap(), id(1));
    // a member of another set does not count
    let mut other = dmgr.clone();
    other.backup_set = "another-set".into();
    let other_doc = deployment_snapshot(&other, 300);
    let elsewhere = [(id(1), &node_doc), (id(3), &other_doc)];
    assert_eq!(candidates(&elsewhere)[0].kind, Kind::Incomplete);
}
