//! The `--host`, `--set` and `--tag` filters over snapshots: which snapshots a command that
//! takes or lists snapshots looks at. A pure predicate over the snapshot document, so every
//! command (and `forget`) filters the same way.

use crate::Snapshot;

/// Tag prefix that makes a snapshot a member of a backup set (`--tag set:ID`): the member
/// lists of a cell's backup set go by it (a web server's `backup --path` carries only it).
pub const SET_TAG_PREFIX: &str = "set:";

/// The backup set a snapshot belongs to: `application.backup_set` (written by the
/// deployment backup), else its `set:ID` tag (a path backup of a cell's set member).
pub fn backup_set(s: &Snapshot) -> Option<&str> {
    s.application
        .as_ref()
        .and_then(|a| a.get("backup_set"))
        .and_then(|v| v.as_str())
        .or_else(|| s.tags.iter().find_map(|t| t.strip_prefix(SET_TAG_PREFIX)))
}

/// What a snapshot must match. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotFilter {
    /// Recorded host name, exactly.
    pub host: Option<String>,
    /// Backup set, exactly.
    pub set: Option<String>,
    /// Tags the snapshot must all carry.
    pub tags: Vec<String>,
}

impl SnapshotFilter {
    /// Whether no filter is given.
    pub fn is_empty(&self) -> bool {
        self.host.is_none() && self.set.is_none() && self.tags.is_empty()
    }

    /// Whether the snapshot of `host`, in backup set `set`, carrying `tags` matches.
    pub fn matches_parts(&self, host: &str, set: Option<&str>, tags: &[String]) -> bool {
        self.host.as_deref().is_none_or(|h| h == host)
            && self.set.as_deref().is_none_or(|s| Some(s) == set)
            && self.tags.iter().all(|t| tags.contains(t))
    }

    /// Whether `s` matches.
    pub fn matches(&self, s: &Snapshot) -> bool {
        self.matches_parts(&s.host, backup_set(s), &s.tags)
    }

    /// The filters as the options that set them (`--host A --set S --tag T`), for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(h) = &self.host {
            parts.push(format!("--host {h}"));
        }
        if let Some(s) = &self.set {
            parts.push(format!("--set {s}"));
        }
        for t in &self.tags {
            parts.push(format!("--tag {t}"));
        }
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_given_filter_must_hold() {
        let f = SnapshotFilter {
            host: Some("a".into()),
            set: Some("s1".into()),
            tags: tags(&["x", "y"]),
        };
        assert!(f.matches_parts("a", Some("s1"), &tags(&["y", "z", "x"])));
        assert!(!f.matches_parts("b", Some("s1"), &tags(&["x", "y"])));
        assert!(!f.matches_parts("a", None, &tags(&["x", "y"])));
        assert!(!f.matches_parts("a", Some("s2"), &tags(&["x", "y"])));
        assert!(!f.matches_parts("a", Some("s1"), &tags(&["x"])));
        assert_eq!(f.describe(), "--host a --set s1 --tag x --tag y");
    }

    #[test]
    fn the_set_comes_from_the_application_document() {
        let mut s = Snapshot {
            time: 0,
            host: "h".into(),
            paths: vec![],
            tags: vec![],
            tree: crate::BlobId([0; 32]),
            parent: None,
            summary: Default::default(),
            application: None,
            username: String::new(),
            program_version: String::new(),
        };
        let f = SnapshotFilter {
            set: Some("cell-1".into()),
            ..SnapshotFilter::default()
        };
        assert!(!f.matches(&s));
        s.application = Some(serde_json::json!({"backup_set": "cell-1"}));
        assert!(f.matches(&s));
        assert!(SnapshotFilter::default().matches(&s));
        // a path backup joins a set by its tag; the document wins over a tag
        s.application = None;
        s.tags = tags(&["web", "set:cell-1"]);
        assert_eq!(backup_set(&s), Some("cell-1"));
        assert!(f.matches(&s));
        s.application = Some(serde_json::json!({"backup_set": "cell-2"}));
        assert_eq!(backup_set(&s), Some("cell-2"));
    }

    proptest! {
        /// The empty filter matches everything; adding a filter never lets more through.
        #[test]
        fn filters_only_narrow(
            host in "[ab]", set in proptest::option::of("[st]"),
            have in proptest::collection::vec("[xyz]", 0..4),
            want_host in proptest::option::of("[ab]"), want_set in proptest::option::of("[st]"),
            want_tags in proptest::collection::vec("[xyz]", 0..3),
        ) {
            let empty = SnapshotFilter::default();
            prop_assert!(empty.matches_parts(&host, set.as_deref(), &have));
            let full = SnapshotFilter { host: want_host.clone(), set: want_set.clone(), tags: want_tags.clone() };
            let fewer = SnapshotFilter { host: want_host, set: None, tags: want_tags };
            if full.matches_parts(&host, set.as_deref(), &have) {
                prop_assert!(fewer.matches_parts(&host, set.as_deref(), &have));
            }
        }
    }
}
