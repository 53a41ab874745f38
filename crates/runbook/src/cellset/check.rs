//! The proof that a set is whole: [`check_set`].

use std::collections::BTreeMap;

use serde::Serialize;

use connections::version::{OfferingVersion, Version};

use super::document::{same_host, SetDocument, SetMember};
use crate::plan::Component;

/// One reason a set is not whole. Each names what is missing or wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "problem")]
pub enum SetProblem {
    /// A host of the set has no member snapshot.
    MissingHost {
        /// The host.
        host: String,
    },
    /// A host's member is INCOMPLETE.
    IncompleteMember {
        /// The host.
        host: String,
        /// Its snapshot.
        snapshot: String,
    },
    /// A member from a host the set does not list.
    UnexpectedHost {
        /// The host.
        host: String,
        /// Its snapshot.
        snapshot: String,
    },
    /// A component that must be held once is held by another number of members, or not by
    /// the host the set names.
    HeldWrongly {
        /// `shared_data` or `databases`.
        component: Component,
        /// The host the set names.
        expected_host: String,
        /// The hosts whose members hold it.
        held_by: Vec<String>,
    },
    /// A component of the cell that no member holds.
    ComponentNotHeld {
        /// The component.
        component: Component,
    },
    /// Members saw different Connections versions.
    VersionsDiffer {
        /// Version (or `unknown`) → hosts.
        versions: BTreeMap<String, Vec<String>>,
    },
    /// A member's declared component (`[[component]]`) failed.
    DeclaredFailed {
        /// The host.
        host: String,
        /// The declared component.
        component: String,
    },
    /// No cell-wide stop is recorded for the set.
    NoCellStop,
    /// A member's capture is not inside the cell-wide stop.
    OutsideCellStop {
        /// The host.
        host: String,
        /// Its capture window (Unix nanoseconds).
        started_ns: i64,
        /// End of its capture window.
        finished_ns: i64,
    },
}

impl std::fmt::Display for SetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use SetProblem::*;
        match self {
            MissingHost { host } => write!(f, "host {host} has no snapshot in the set"),
            IncompleteMember { host, snapshot } => {
                write!(f, "host {host}: snapshot {snapshot} is INCOMPLETE")
            }
            UnexpectedHost { host, snapshot } => write!(
                f,
                "snapshot {snapshot} of host {host}, which the set does not list"
            ),
            HeldWrongly {
                component,
                expected_host,
                held_by,
            } => {
                let held = if held_by.is_empty() {
                    "no member".to_owned()
                } else {
                    held_by.join(", ")
                };
                write!(
                    f,
                    "{component} must be held once, by {expected_host}; held by {held}"
                )
            }
            ComponentNotHeld { component } => write!(
                f,
                "{component} of the cell is held by no member (the host it lives on left it \
                 out or failed to back it up)"
            ),
            VersionsDiffer { versions } => {
                let parts: Vec<String> = versions
                    .iter()
                    .map(|(v, hosts)| format!("{v} on {}", hosts.join(", ")))
                    .collect();
                write!(f, "members saw different Connections versions: {}", parts.join("; "))
            }
            DeclaredFailed { host, component } => write!(
                f,
                "host {host}: the declared component {component} failed (its snapshot says why)"
            ),
            NoCellStop => write!(
                f,
                "no cell-wide stop is recorded for the set (run `cnxbackup servers stop --set ID` on every host)"
            ),
            OutsideCellStop {
                host,
                started_ns,
                finished_ns,
            } => write!(
                f,
                "host {host}: its capture ({} to {}) is not inside the cell-wide stop",
                vault::format_unix_ns(*started_ns),
                vault::format_unix_ns(*finished_ns)
            ),
        }
    }
}

/// The verdict on a set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SetVerdict {
    /// The set id.
    pub set: String,
    /// The member used for each host (the newest one of that host), in set order.
    pub members: Vec<SetMember>,
    /// What is missing or wrong; empty when the set is whole.
    pub problems: Vec<SetProblem>,
}

impl SetVerdict {
    /// Whether the set is whole.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Checks `members` (every snapshot tagged with the set) against `doc`. When a host has
/// several members (a re-run), its newest counts.
pub fn check_set(doc: &SetDocument, members: &[SetMember]) -> SetVerdict {
    // members under the set's name of their host (a snapshot may use the short name)
    let named = |m: &SetMember| -> String {
        doc.host_named(&m.host)
            .map_or_else(|| m.host.clone(), |h| h.name.clone())
    };
    let mut newest: BTreeMap<String, &SetMember> = BTreeMap::new();
    for m in members {
        let e = newest.entry(named(m)).or_insert(m);
        if (m.finished_ns, &m.snapshot) > (e.finished_ns, &e.snapshot) {
            *e = m;
        }
    }
    let mut problems = Vec::new();
    let mut used = Vec::new();
    for h in &doc.hosts {
        match newest.get(&h.name) {
            None => problems.push(SetProblem::MissingHost {
                host: h.name.clone(),
            }),
            Some(m) => {
                if !m.complete {
                    problems.push(SetProblem::IncompleteMember {
                        host: m.host.clone(),
                        snapshot: m.snapshot.clone(),
                    });
                }
                used.push(SetMember {
                    host: h.name.clone(),
                    ..(*m).clone()
                });
            }
        }
    }
    for (host, m) in &newest {
        if doc.host_named(host).is_none() {
            problems.push(SetProblem::UnexpectedHost {
                host: host.clone(),
                snapshot: m.snapshot.clone(),
            });
        }
    }
    held_once(
        &mut problems,
        &used,
        Component::SharedData,
        &doc.shared_data_host,
    );
    if !doc.databases.is_empty() {
        held_once(
            &mut problems,
            &used,
            Component::Databases,
            &doc.databases_host,
        );
    }
    for component in &doc.components {
        if !used.iter().any(|m| m.components.contains(component)) {
            problems.push(SetProblem::ComponentNotHeld {
                component: *component,
            });
        }
    }
    for m in &used {
        for (name, ok) in &m.declared {
            if !ok {
                problems.push(SetProblem::DeclaredFailed {
                    host: m.host.clone(),
                    component: name.clone(),
                });
            }
        }
    }
    versions(&mut problems, &used);
    cell_stop(&mut problems, doc, &used);
    SetVerdict {
        set: doc.set.clone(),
        members: used,
        problems,
    }
}

fn held_once(
    problems: &mut Vec<SetProblem>,
    members: &[SetMember],
    component: Component,
    expected_host: &str,
) {
    let held_by: Vec<String> = members
        .iter()
        .filter(|m| m.components.contains(&component))
        .map(|m| m.host.clone())
        .collect();
    if !matches!(held_by.as_slice(), [one] if same_host(one, expected_host)) {
        problems.push(SetProblem::HeldWrongly {
            component,
            expected_host: expected_host.to_owned(),
            held_by,
        });
    }
}

/// Every member that saw a version saw the same offering level, and those that read the
/// iFixes the same iFixes. Members that saw none (a web server) do not count, and a member
/// that knows only the offering level (a node host without the Connections install) agrees
/// with any iFix list on that level. Versions are compared as versions (offering level,
/// CR and build; the set of iFixes), never as text.
fn versions(problems: &mut Vec<SetProblem>, members: &[SetMember]) {
    let mut offerings: Vec<(&OfferingVersion, Vec<String>)> = Vec::new();
    let mut full: Vec<(&Version, Vec<String>)> = Vec::new();
    for m in members {
        let Some(v) = &m.version else { continue };
        add_host(&mut offerings, &v.offering, &m.host);
        if m.ifixes_known {
            add_host(&mut full, v, &m.host);
        }
    }
    let named = |groups: Vec<(String, Vec<String>)>| groups.into_iter().collect();
    let differ: BTreeMap<String, Vec<String>> = if offerings.len() > 1 {
        named(
            offerings
                .into_iter()
                .map(|(o, h)| (o.to_string(), h))
                .collect(),
        )
    } else if full.len() > 1 {
        named(full.into_iter().map(|(v, h)| (v.to_string(), h)).collect())
    } else {
        return;
    };
    problems.push(SetProblem::VersionsDiffer { versions: differ });
}

/// Adds `host` to the group of `key` (a new group when no equal key has one yet).
fn add_host<'a, K: PartialEq>(groups: &mut Vec<(&'a K, Vec<String>)>, key: &'a K, host: &str) {
    match groups.iter_mut().find(|(k, _)| *k == key) {
        Some((_, hosts)) => hosts.push(host.to_owned()),
        None => groups.push((key, vec![host.to_owned()])),
    }
}

fn cell_stop(problems: &mut Vec<SetProblem>, doc: &SetDocument, members: &[SetMember]) {
    let Some(stop) = doc.stop else {
        problems.push(SetProblem::NoCellStop);
        return;
    };
    for m in members {
        let after_stop = m.started_ns >= stop.stopped_ns;
        let before_start = stop.started_ns.is_none_or(|s| m.finished_ns <= s);
        if !(after_stop && before_start) {
            problems.push(SetProblem::OutsideCellStop {
                host: m.host.clone(),
                started_ns: m.started_ns,
                finished_ns: m.finished_ns,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::cellset::{CellStop, SetHost, SetHostRole, SET_DOCUMENT_VERSION};

    fn host(name: &str, roles: &[SetHostRole]) -> SetHost {
        SetHost {
            name: name.into(),
            roles: roles.to_vec(),
            nodes: vec![],
        }
    }

    fn doc() -> SetDocument {
        use SetHostRole::*;
        SetDocument {
            format_version: SET_DOCUMENT_VERSION,
            set: "s1".into(),
            cell: "ICCell".into(),
            planned_ns: 0,
            planned_by: "dmgr".into(),
            hosts: vec![
                host("dmgr", &[DeploymentManager]),
                host("app1", &[Node, SharedData]),
                host("app2", &[Node]),
                host("db", &[Databases]),
            ],
            shared_data_host: "app1".into(),
            databases_host: "db".into(),
            databases: vec![super::super::SetDatabase {
                name: "FILES".into(),
                vendor: "db2".into(),
                host: "db".into(),
                port: Some(50000),
                schemas: vec![],
            }],
            components: vec![Component::DmgrProfile, Component::Profiles],
            connections_version: Some("8.0 CR3".into()),
            version_info: None,
            stop: Some(CellStop {
                stopped_ns: 100,
                started_ns: Some(200),
            }),
            web_servers: vec![],
        }
    }

    /// `8.0.0.0_CR3` with the iFixes `KB…` given.
    fn version(offering: &str, ifixes: &[&str]) -> Option<Version> {
        Some(Version::new(
            offering.parse().unwrap(),
            ifixes.iter().map(|f| f.parse().unwrap()),
        ))
    }

    fn member(host: &str, components: &[Component]) -> SetMember {
        SetMember {
            host: host.into(),
            snapshot: format!("snap-{host}"),
            complete: true,
            components: components.iter().copied().collect::<BTreeSet<_>>(),
            version: if host == "db" {
                None
            } else {
                version("8.0.0.0_CR3", &["KB1"])
            },
            ifixes_known: host != "app2",
            started_ns: 110,
            finished_ns: 190,
            declared: BTreeMap::new(),
        }
    }

    #[test]
    fn a_failed_declared_component_is_named() {
        let mut members = whole();
        members[0].declared.insert("mongodb".into(), false);
        members[0].declared.insert("helm".into(), true);
        let v = check_set(&doc(), &members);
        let problems: Vec<String> = v.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("declared component mongodb failed"));
    }

    fn whole() -> Vec<SetMember> {
        vec![
            member("dmgr", &[Component::DmgrProfile]),
            member("app1", &[Component::Profiles, Component::SharedData]),
            member("app2", &[Component::Profiles]),
            member("db", &[Component::Databases]),
        ]
    }

    #[test]
    fn a_whole_set_passes() {
        let v = check_set(&doc(), &whole());
        assert!(v.ok(), "{:?}", v.problems);
        assert_eq!(v.members.len(), 4);
    }

    #[test]
    fn a_missing_host_an_incomplete_member_and_an_unlisted_host_are_named() {
        let mut m = whole();
        m.retain(|m| m.host != "app2");
        m[0].complete = false;
        m.push(member("stray", &[]));
        let v = check_set(&doc(), &m);
        assert_eq!(
            v.problems,
            [
                SetProblem::IncompleteMember {
                    host: "dmgr".into(),
                    snapshot: "snap-dmgr".into()
                },
                SetProblem::MissingHost {
                    host: "app2".into()
                },
                SetProblem::UnexpectedHost {
                    host: "stray".into(),
                    snapshot: "snap-stray".into()
                },
            ]
        );
        assert_eq!(
            v.problems[1].to_string(),
            "host app2 has no snapshot in the set"
        );
    }

    #[test]
    fn shared_data_held_twice_or_never_fails() {
        let mut twice = whole();
        twice[2].components.insert(Component::SharedData);
        let v = check_set(&doc(), &twice);
        assert_eq!(
            v.problems,
            [SetProblem::HeldWrongly {
                component: Component::SharedData,
                expected_host: "app1".into(),
                held_by: vec!["app1".into(), "app2".into()]
            }]
        );
        let mut never = whole();
        never[1].components.remove(&Component::SharedData);
        let v = check_set(&doc(), &never);
        assert!(
            v.problems[0].to_string().ends_with("held by no member"),
            "{}",
            v.problems[0]
        );
    }

    #[test]
    fn a_component_of_the_cell_that_no_member_holds_fails() {
        let mut m = whole();
        m[0].components.clear(); // the dmgr host left its profile out
        let v = check_set(&doc(), &m);
        assert_eq!(
            v.problems,
            [SetProblem::ComponentNotHeld {
                component: Component::DmgrProfile
            }]
        );
        assert!(v.problems[0]
            .to_string()
            .starts_with("dmgr_profile of the cell is held by no member"));
    }

    #[test]
    fn databases_from_the_wrong_host_fail() {
        let mut m = whole();
        m[3].components.clear();
        m[0].components.insert(Component::Databases);
        let v = check_set(&doc(), &m);
        assert_eq!(v.problems.len(), 1);
        assert!(matches!(
            &v.problems[0],
            SetProblem::HeldWrongly { component: Component::Databases, held_by, .. } if held_by == &["dmgr".to_string()]
        ));
    }

    #[test]
    fn members_of_different_versions_fail() {
        let mut m = whole();
        m[2].version = version("8.0.0.0_CR4", &[]);
        let v = check_set(&doc(), &m);
        assert_eq!(v.problems.len(), 1);
        assert_eq!(
            v.problems[0].to_string(),
            "members saw different Connections versions: 8.0.0.0_CR3 on dmgr, app1; 8.0.0.0_CR4 on app2"
        );
        // the same level with other iFixes, where both read them
        let mut m = whole();
        m[1].version = version("8.0.0.0_CR3", &["KB2", "KB1"]);
        let v = check_set(&doc(), &m);
        assert_eq!(
            v.problems[0].to_string(),
            "members saw different Connections versions: 8.0.0.0_CR3 + KB1 on dmgr; 8.0.0.0_CR3 + KB1, KB2 on app1"
        );
        // a node host that knows only the level agrees with the others
        let mut m = whole();
        m[2].version = version("8.0.0.0_CR3", &[]);
        assert!(check_set(&doc(), &m).ok());
        // the same level written otherwise is the same level, not a difference of text
        let mut m = whole();
        m[2].version = version("8.0.0.0_cr3", &[]);
        assert!(
            check_set(&doc(), &m).ok(),
            "{:?}",
            check_set(&doc(), &m).problems
        );
    }

    #[test]
    fn captures_outside_the_cell_stop_fail_and_a_missing_stop_is_named() {
        let mut m = whole();
        m[1].started_ns = 90; // began before the last server stopped
        m[3].finished_ns = 201; // ended after the first server started again
        let v = check_set(&doc(), &m);
        let hosts: Vec<&str> = v
            .problems
            .iter()
            .map(|p| match p {
                SetProblem::OutsideCellStop { host, .. } => host.as_str(),
                _ => "other",
            })
            .collect();
        assert_eq!(hosts, ["app1", "db"]);
        let mut d = doc();
        d.stop = None;
        assert_eq!(check_set(&d, &whole()).problems, [SetProblem::NoCellStop]);
    }

    #[test]
    fn short_host_names_match_the_sets_names() {
        let mut d = doc();
        for h in &mut d.hosts {
            h.name = format!("{}.example.com", h.name);
        }
        d.shared_data_host = "app1.example.com".into();
        d.databases_host = "DB.example.com".into();
        let v = check_set(&d, &whole());
        assert!(v.ok(), "{:?}", v.problems);
        assert_eq!(v.members[1].host, "app1.example.com");
        assert!(super::super::document::same_host(
            "cnx-app1",
            "CNX-APP1.example.com"
        ));
        assert!(!super::super::document::same_host(
            "cnx-app1.a.com",
            "cnx-app1.b.com"
        ));
        assert!(!super::super::document::same_host("cnx-app1", "cnx-app10"));
    }

    #[test]
    fn the_newest_member_of_a_host_counts() {
        let mut m = whole();
        let mut retry = m[0].clone();
        m[0].complete = false;
        m[0].finished_ns = 150;
        retry.snapshot = "snap-dmgr-2".into();
        retry.finished_ns = 180;
        m.push(retry);
        let v = check_set(&doc(), &m);
        assert!(v.ok(), "{:?}", v.problems);
        assert_eq!(v.members[0].snapshot, "snap-dmgr-2");
    }
}
