//! The human report of a [`DiffReport`]: the two snapshots, the version change, a summary
//! line per group (counts and bytes), then each group's changes. Long lists end with
//! "... and N more" unless everything was asked for (`--all`).

use std::fmt::Write as _;

use report::diff::{
    ChangeKind, Counts, DiffReport, FileChange, GroupDiff, PropertiesResult, PropertyChange,
    PropertyChangeKind, VersionChange, XmlChange, XmlChangeKind, XmlResult,
};

use crate::ui::format::{bytes, signed_bytes};

/// Changes listed per group without `--all`.
pub const LIST_LIMIT: usize = 25;
/// XML changes listed per file without `--all`.
pub const XML_LIST_LIMIT: usize = 10;

/// The whole human report. `all`: no list limits.
pub fn human(r: &DiffReport, all: bool) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "from {} ({}, host {}){}",
        r.from.short_id,
        r.from.time,
        r.from.host,
        r.from
            .status
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        h,
        "to   {} ({}, host {}){}",
        r.to.short_id,
        r.to.time,
        r.to.host,
        r.to.status
            .as_deref()
            .map(|s| format!(", {s}"))
            .unwrap_or_default()
    );
    if let Some(v) = &r.version {
        version(&mut h, v);
    }
    for w in &r.warnings {
        let _ = writeln!(h, "warning: {w}");
    }
    h.push('\n');
    if r.groups.is_empty() {
        let _ = writeln!(
            h,
            "No differences{}.",
            if r.identical {
                ": both snapshots hold the same tree"
            } else {
                ""
            }
        );
        return h;
    }
    summary(&mut h, r);
    for g in &r.groups {
        h.push('\n');
        group(&mut h, g, all);
    }
    h
}

fn version(h: &mut String, v: &VersionChange) {
    let label = |s: &Option<report::diff::VersionSide>| {
        s.as_ref()
            .map_or_else(|| "no manifest".to_string(), |s| s.label.clone())
    };
    let exact = |s: &Option<report::diff::VersionSide>| {
        s.as_ref()
            .and_then(|s| s.version.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    if !v.changed {
        let _ = writeln!(
            h,
            "Connections version: {} ({}), unchanged",
            label(&v.from),
            exact(&v.from)
        );
        return;
    }
    let _ = writeln!(
        h,
        "Connections version: {} → {} ({} → {})",
        label(&v.from),
        label(&v.to),
        exact(&v.from),
        exact(&v.to)
    );
    if !v.ifixes_added.is_empty() {
        let _ = writeln!(h, "  iFixes added:   {}", v.ifixes_added.join(", "));
    }
    if !v.ifixes_removed.is_empty() {
        let _ = writeln!(h, "  iFixes removed: {}", v.ifixes_removed.join(", "));
    }
    if let (Some(a), Some(b)) = (&v.from, &v.to) {
        if a.was_version != b.was_version {
            let _ = writeln!(
                h,
                "  WebSphere:      {} → {}",
                a.was_version.as_deref().unwrap_or("unknown"),
                b.was_version.as_deref().unwrap_or("unknown")
            );
        }
        if a.webresources_sha256 != b.webresources_sha256 {
            let _ = writeln!(h, "  provision/webresources listing changed");
        }
    }
}

fn summary(h: &mut String, r: &DiffReport) {
    let width = r
        .groups
        .iter()
        .map(|g| g.name.len())
        .chain(["COMPONENT".len(), "total".len()])
        .max()
        .unwrap_or(9);
    let _ = writeln!(
        h,
        "{:<width$}  {:>7}  {:>7}  {:>7}  {:>11}  {:>11}  {:>11}",
        "COMPONENT", "ADDED", "REMOVED", "CHANGED", "+BYTES", "-BYTES", "NET"
    );
    let row = |h: &mut String, name: &str, c: &Counts| {
        let _ = writeln!(
            h,
            "{name:<width$}  {:>7}  {:>7}  {:>7}  {:>11}  {:>11}  {:>11}",
            c.added,
            c.removed,
            c.changed,
            bytes(c.added_bytes),
            bytes(c.removed_bytes),
            signed_bytes(c.net_bytes())
        );
    };
    for g in &r.groups {
        row(h, &g.name, &g.counts);
    }
    if r.groups.len() > 1 {
        row(h, "total", &r.totals);
    }
    if !r.unchanged_components.is_empty() {
        let _ = writeln!(h, "unchanged: {}", r.unchanged_components.join(", "));
    }
}

fn group(h: &mut String, g: &GroupDiff, all: bool) {
    match g.paths.len() {
        0 => {
            let _ = writeln!(h, "{}:", g.name);
        }
        1..=3 => {
            let _ = writeln!(h, "{} ({}):", g.name, g.paths.join(", "));
        }
        n => {
            let _ = writeln!(h, "{} ({n} stored paths):", g.name);
        }
    }
    let shown = if all {
        g.changes.len()
    } else {
        LIST_LIMIT.min(g.changes.len())
    };
    for c in g.changes.iter().take(shown) {
        change(h, c, all);
    }
    if shown < g.changes.len() {
        let _ = writeln!(
            h,
            "  ... and {} more (--all lists every change)",
            g.changes.len() - shown
        );
    }
}

fn change(h: &mut String, c: &FileChange, all: bool) {
    let kind = if c.kind == "file" {
        String::new()
    } else {
        format!(" [{}]", c.kind)
    };
    let size = |s: &Option<report::diff::EntryState>| s.as_ref().map_or(0, |s| s.size);
    // Directories have no size of their own: their entries are listed after them.
    let shown = |s: &Option<report::diff::EntryState>| {
        if c.kind == "dir" {
            String::new()
        } else {
            format!("  {}", bytes(size(s)))
        }
    };
    match c.change {
        ChangeKind::Added => {
            let _ = writeln!(h, "  + {}{kind}{}", c.path, shown(&c.new));
        }
        ChangeKind::Removed => {
            let _ = writeln!(h, "  - {}{kind}{}", c.path, shown(&c.old));
        }
        ChangeKind::Changed => {
            let fields: Vec<&str> = c.fields.iter().map(|f| f.as_str()).collect();
            let (a, b) = (size(&c.old), size(&c.new));
            let sizes = if a == b {
                bytes(b)
            } else if bytes(a) == bytes(b) {
                // rounded alike: show the exact byte counts so the change is visible
                format!("{a} B → {b} B")
            } else {
                format!("{} → {}", bytes(a), bytes(b))
            };
            let mut extra = Vec::new();
            if let (Some(a), Some(b)) = (&c.old, &c.new) {
                if a.mode != b.mode {
                    extra.push(format!("mode {} → {}", a.mode, b.mode));
                }
                if a.owner != b.owner {
                    extra.push(format!("owner {} → {}", a.owner, b.owner));
                }
                if a.target != b.target {
                    extra.push(format!(
                        "target {} → {}",
                        a.target.as_deref().unwrap_or(""),
                        b.target.as_deref().unwrap_or("")
                    ));
                }
            }
            let extra = if extra.is_empty() {
                String::new()
            } else {
                format!("; {}", extra.join("; "))
            };
            let _ = writeln!(
                h,
                "  ~ {}{kind}  {sizes} ({}{extra})",
                c.path,
                fields.join(", ")
            );
        }
    }
    if let Some(x) = &c.xml {
        xml(h, x, all);
    }
    if let Some(p) = &c.properties {
        properties(h, p, all);
    }
}

fn properties(h: &mut String, p: &PropertiesResult, all: bool) {
    match p {
        PropertiesResult::TooLarge { limit } => {
            let _ = writeln!(
                h,
                "      (too large for a properties diff: over {})",
                bytes(*limit)
            );
        }
        PropertiesResult::Error { message } => {
            let _ = writeln!(h, "      (properties not compared: {message})");
        }
        PropertiesResult::Compared { changes, truncated } => {
            if changes.is_empty() {
                let _ = writeln!(
                    h,
                    "      (properties: no key changed; comments or order only)"
                );
                return;
            }
            let lines: Vec<String> = changes.iter().map(property_line).collect();
            listed(h, &lines, *truncated, all, "property changes");
        }
    }
}

/// The structural changes of one file, one per line: the first [`XML_LIST_LIMIT`] unless
/// `all`, then how many more (`truncated`: those the comparison counted but did not keep).
fn listed(h: &mut String, lines: &[String], truncated: usize, all: bool, what: &str) {
    let shown = if all {
        lines.len()
    } else {
        XML_LIST_LIMIT.min(lines.len())
    };
    for l in lines.iter().take(shown) {
        let _ = writeln!(h, "      {l}");
    }
    let more = lines.len() - shown + truncated;
    if more > 0 {
        let _ = writeln!(h, "      ... and {more} more {what}");
    }
}

/// One property change on one line: `~ source_ldap_url: ldap://a → ldap://b`.
pub fn property_line(c: &PropertyChange) -> String {
    let v = |s: &Option<String>| s.as_deref().unwrap_or("").to_string();
    match c.change {
        PropertyChangeKind::Added => format!("+ {} = {}", c.key, v(&c.new)),
        PropertyChangeKind::Removed => format!("- {} (was {})", c.key, v(&c.old)),
        PropertyChangeKind::Changed => format!("~ {}: {} → {}", c.key, v(&c.old), v(&c.new)),
    }
}

fn xml(h: &mut String, x: &XmlResult, all: bool) {
    match x {
        XmlResult::TooLarge { limit } => {
            let _ = writeln!(h, "      (too large for XML diff: over {})", bytes(*limit));
        }
        XmlResult::Error { message } => {
            let _ = writeln!(h, "      (XML not compared: {message})");
        }
        XmlResult::Compared { changes, truncated } => {
            if changes.is_empty() {
                let _ = writeln!(h, "      (XML: no structural change; formatting only)");
                return;
            }
            let lines: Vec<String> = changes.iter().map(xml_line).collect();
            listed(h, &lines, *truncated, all, "XML changes");
        }
    }
}

/// One XML change on one line: `~ /a/b[@name='x'] @port: 9080 → 9081`.
pub fn xml_line(c: &XmlChange) -> String {
    let v = |s: &Option<String>| s.as_deref().unwrap_or("").to_string();
    let attr = c
        .attribute
        .as_deref()
        .map(|a| format!(" @{a}"))
        .unwrap_or_default();
    match c.change {
        XmlChangeKind::ElementAdded => format!("+ {}", c.path),
        XmlChangeKind::ElementRemoved => format!("- {}", c.path),
        XmlChangeKind::AttributeAdded => format!("~ {}{attr} added: {}", c.path, v(&c.new)),
        XmlChangeKind::AttributeRemoved => {
            format!("~ {}{attr} removed (was {})", c.path, v(&c.old))
        }
        XmlChangeKind::AttributeChanged => {
            format!("~ {}{attr}: {} → {}", c.path, v(&c.old), v(&c.new))
        }
        XmlChangeKind::TextChanged => {
            format!("~ {} text: {} → {}", c.path, v(&c.old), v(&c.new))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use report::diff::{EntryState, Field, SnapshotSide, VersionSide};
    use std::collections::BTreeMap;

    fn side(id: &str) -> SnapshotSide {
        SnapshotSide {
            id: id.repeat(8),
            short_id: id.to_string(),
            time: "2026-11-27 12:00:00".into(),
            time_ns: 0,
            host: "cnx1".into(),
            paths: vec![],
            tags: vec![],
            deployment: true,
            backup_set: None,
            status: Some("complete".into()),
        }
    }

    fn vs(cr: u32, fixes: &[&str]) -> VersionSide {
        VersionSide {
            label: format!("8.0 CR{cr}"),
            version: Some(format!("8.0.0.0_CR{cr}")),
            release: Some("8.0".into()),
            offering: Some(format!("8.0.0.0_CR{cr}")),
            cr: Some(cr),
            ifixes: fixes.iter().map(|s| s.to_string()).collect(),
            was_version: None,
            webresources_sha256: None,
        }
    }

    fn file_change(i: usize) -> FileChange {
        FileChange {
            path: format!("/opt/IBM/Connections/f{i:03}"),
            change: ChangeKind::Added,
            kind: "file",
            old: None,
            new: Some(EntryState {
                kind: "file",
                size: 2048,
                mode: "0644".into(),
                owner: "root:root".into(),
                mtime_ns: 0,
                target: None,
            }),
            fields: vec![],
            xml: None,
            properties: None,
        }
    }

    fn report(n: usize) -> DiffReport {
        let mut counts = Counts::default();
        let mut changes: Vec<FileChange> = (0..n).map(file_change).collect();
        for c in &changes {
            counts.add(c);
        }
        changes.push(FileChange {
            path: "/p/config/cells/c/cell.xml".into(),
            change: ChangeKind::Changed,
            kind: "file",
            old: file_change(0).new,
            new: file_change(0).new,
            fields: vec![Field::Content, Field::Mtime],
            xml: Some(XmlResult::Compared {
                changes: vec![XmlChange {
                    change: XmlChangeKind::AttributeChanged,
                    path: "/topology.cell:Cell[@name='c']".into(),
                    attribute: Some("cellDiscoveryProtocol".into()),
                    old: Some("TCP".into()),
                    new: Some("UDP".into()),
                    attributes: BTreeMap::new(),
                    masked: false,
                }],
                truncated: 0,
            }),
            properties: None,
        });
        counts.add(changes.last().unwrap());
        DiffReport {
            from: side("aaaa"),
            to: side("bbbb"),
            identical: false,
            grouping: "components",
            version: Some(VersionChange {
                from: Some(vs(3, &["KB1"])),
                to: Some(vs(4, &[])),
                changed: true,
                ifixes_added: vec![],
                ifixes_removed: vec!["KB1".into()],
            }),
            totals: counts,
            groups: vec![GroupDiff {
                name: "connections_root".into(),
                paths: vec!["/opt/IBM/Connections".into()],
                counts,
                changes,
            }],
            unchanged_components: vec!["provision".into()],
            trees_loaded: 3,
            warnings: vec![],
        }
    }

    #[test]
    fn long_lists_are_cut_unless_all() {
        let r = report(LIST_LIMIT + 5);
        let short = human(&r, false);
        assert!(short.contains("... and 6 more"), "{short}");
        assert!(!short.contains("f029"));
        let long = human(&r, true);
        assert!(!long.contains("... and"));
        assert!(long.contains("f029"));
        assert!(long.contains("@cellDiscoveryProtocol: TCP → UDP"), "{long}");
    }

    #[test]
    fn summary_version_and_unchanged_components_are_shown() {
        let h = human(&report(2), false);
        assert!(
            h.contains("Connections version: 8.0 CR3 → 8.0 CR4 (8.0.0.0_CR3 → 8.0.0.0_CR4)"),
            "{h}"
        );
        assert!(h.contains("iFixes removed: KB1"));
        assert!(h.contains("unchanged: provision"));
        let row = h
            .lines()
            .find(|l| l.starts_with("connections_root "))
            .unwrap();
        let cols: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(&cols[1..4], ["2", "0", "1"], "{row}");
        assert!(h.contains("  + /opt/IBM/Connections/f000  2.0 KiB"), "{h}");
    }

    /// The whole report for a fixed diff: every kind of line (added, removed, changed with
    /// mode and owner, a directory, XML attribute/element/masked/too large/error lines).
    #[test]
    fn human_report_snapshot() {
        let mut r = report(2);
        let state = |kind, size, mode: &str, owner: &str| EntryState {
            kind,
            size,
            mode: mode.into(),
            owner: owner.into(),
            mtime_ns: 0,
            target: None,
        };
        let extra = vec![
            FileChange {
                path: "/p/config/cells/c/security.xml".into(),
                change: ChangeKind::Changed,
                kind: "file",
                old: Some(state("file", 5000, "0640", "wasadmin:was")),
                new: Some(state("file", 5010, "0600", "root:root")),
                fields: vec![Field::Content, Field::Size, Field::Mode, Field::Owner],
                xml: Some(XmlResult::Compared {
                    changes: vec![
                        XmlChange {
                            change: XmlChangeKind::AttributeChanged,
                            path: "/security:Security/keyStores[@name='K']".into(),
                            attribute: Some("password".into()),
                            old: Some("***".into()),
                            new: Some("***".into()),
                            attributes: BTreeMap::new(),
                            masked: true,
                        },
                        XmlChange {
                            change: XmlChangeKind::ElementAdded,
                            path: "/security:Security/authDataEntries[@alias='a']".into(),
                            attribute: None,
                            old: None,
                            new: None,
                            attributes: BTreeMap::new(),
                            masked: false,
                        },
                    ],
                    truncated: 0,
                }),
                properties: None,
            },
            FileChange {
                path: "/p/config/cells/c/resources.xml".into(),
                change: ChangeKind::Changed,
                kind: "file",
                old: Some(state("file", 9 << 20, "0644", "root:root")),
                new: Some(state("file", 9 << 20, "0644", "root:root")),
                fields: vec![Field::Content],
                xml: Some(XmlResult::TooLarge { limit: 8 << 20 }),
                properties: None,
            },
            FileChange {
                path: "/p/config/cells/c/virtualhosts.xml".into(),
                change: ChangeKind::Changed,
                kind: "file",
                old: Some(state("file", 900, "0644", "root:root")),
                new: Some(state("file", 450, "0644", "root:root")),
                fields: vec![Field::Content, Field::Size],
                xml: Some(XmlResult::Error {
                    message: "the new version is not well-formed XML: unexpected end of stream"
                        .into(),
                }),
                properties: None,
            },
            FileChange {
                path: "/p/wstemp/update".into(),
                change: ChangeKind::Removed,
                kind: "dir",
                old: Some(state("dir", 0, "0755", "root:root")),
                new: None,
                fields: vec![],
                xml: None,
                properties: None,
            },
        ];
        let mut counts = Counts::default();
        for c in &extra {
            counts.add(c);
        }
        r.groups.push(GroupDiff {
            name: "dmgr_profile".into(),
            paths: vec!["/p".into()],
            counts,
            changes: extra,
        });
        r.totals.merge(&counts);
        insta::assert_snapshot!(human(&r, false));
    }

    #[test]
    fn no_changes_says_so() {
        let mut r = report(0);
        r.groups.clear();
        r.identical = true;
        let h = human(&r, false);
        assert!(h.contains("No differences: both snapshots hold the same tree."));
    }

    #[test]
    fn property_changes_read_as_one_line_each_with_secrets_as_given() {
        let c = |change, old: Option<&str>, new: Option<&str>| PropertyChange {
            change,
            key: "source_ldap_url".into(),
            old: old.map(Into::into),
            new: new.map(Into::into),
            masked: false,
        };
        assert_eq!(
            property_line(&c(
                PropertyChangeKind::Changed,
                Some("ldap://a"),
                Some("ldap://b")
            )),
            "~ source_ldap_url: ldap://a → ldap://b"
        );
        assert_eq!(
            property_line(&c(PropertyChangeKind::Added, None, Some("x"))),
            "+ source_ldap_url = x"
        );
        assert_eq!(
            property_line(&c(PropertyChangeKind::Removed, Some("***"), None)),
            "- source_ldap_url (was ***)"
        );
        let mut h = String::new();
        properties(
            &mut h,
            &PropertiesResult::Compared {
                changes: vec![c(PropertyChangeKind::Added, None, Some("1")); 12],
                truncated: 3,
            },
            false,
        );
        assert!(
            h.ends_with("      ... and 5 more property changes\n"),
            "{h}"
        );
    }
}
