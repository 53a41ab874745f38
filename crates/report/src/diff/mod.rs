//! `cnxbackup diff`: what changed between two snapshots.
//!
//! The two trees are compared without reading file content ([`vault::tree::diff`]); each
//! change is put in the group of the deployment component whose stored paths hold it
//! ([`group`], from the snapshots' manifests, `/.cnxbackup/manifest.json`; `other` for the
//! rest; one group for plain snapshots). The manifests also give the Connections version
//! change. Changed XML configuration files are read from both snapshots and compared element
//! by element ([`xml`]). The binary renders the [`DiffReport`] for people; `--json` prints
//! the report itself (schema: `docs/schemas/diff.schema.json`).

pub mod group;
pub mod properties;
pub mod xml;

use std::path::Path;

use runbook::manifest::Manifest;
use runbook::plan::Component;
use serde::Serialize;
use vault::{Repository, Snapshot, SnapshotId, VaultError};

use group::Grouper;
pub use properties::{
    diff_properties, is_config_properties, PropertiesDiff, PropertyChange, PropertyChangeKind,
};
pub use vault::tree::diff::{
    diff_trees, ChangeKind, EntryChange, EntryState, Field, TreeDiff, TreeSource,
};
pub use xml::{diff_xml, is_config_xml, XmlChange, XmlChangeKind, XmlDiff, XML_SIZE_LIMIT};

/// The group of changes outside every component of the manifests.
pub const OTHER_GROUP: &str = "other";
/// The only group when neither snapshot carries a manifest.
pub const ALL_GROUP: &str = "all";

/// Choices for [`diff_snapshots`].
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Compare changed configuration files structurally (reads both versions): XML
    /// element by element, properties files key by key.
    pub xml: bool,
    /// Larger files (either version) are not parsed.
    pub xml_size_limit: u64,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            xml: true,
            xml_size_limit: XML_SIZE_LIMIT,
        }
    }
}

/// Why two snapshots could not be compared.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// A tree blob could not be read or decoded.
    #[error("cannot compare snapshot {from} with {to}: {source}")]
    Trees {
        from: String,
        to: String,
        #[source]
        source: Box<VaultError>,
    },
}

/// The whole comparison (also the `--json` document).
#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub from: SnapshotSide,
    pub to: SnapshotSide,
    /// Both snapshots have the same root tree: nothing differs.
    pub identical: bool,
    /// `components` (grouped by the manifests' components) or `single`.
    pub grouping: &'static str,
    /// The Connections version change, when either snapshot has a manifest.
    pub version: Option<VersionChange>,
    /// All groups together.
    pub totals: Counts,
    /// Groups with changes: components in contract order, then `other`.
    pub groups: Vec<GroupDiff>,
    /// Components of the manifests in which nothing changed.
    pub unchanged_components: Vec<String>,
    /// Tree blobs read (identical subtrees are skipped).
    pub trees_loaded: u64,
    /// Things that limited the comparison (an unreadable manifest, …).
    pub warnings: Vec<String>,
}

/// One of the two snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotSide {
    pub id: String,
    pub short_id: String,
    pub time: String,
    pub time_ns: i64,
    pub host: String,
    pub paths: Vec<String>,
    pub tags: Vec<String>,
    /// A deployment backup with a readable manifest.
    pub deployment: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_set: Option<String>,
    /// `complete` or `incomplete` (deployment backups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// Counts and bytes of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: u64,
    pub removed: u64,
    pub changed: u64,
    /// Content bytes of the added files.
    pub added_bytes: u64,
    /// Content bytes of the removed files.
    pub removed_bytes: u64,
    /// Content bytes of the changed entries before and after.
    pub changed_bytes_before: u64,
    pub changed_bytes_after: u64,
}

impl Counts {
    /// Counts one change in.
    pub fn add(&mut self, c: &FileChange) {
        let size = |s: &Option<EntryState>| s.as_ref().map_or(0, |s| s.size);
        match c.change {
            ChangeKind::Added => {
                self.added += 1;
                self.added_bytes += size(&c.new);
            }
            ChangeKind::Removed => {
                self.removed += 1;
                self.removed_bytes += size(&c.old);
            }
            ChangeKind::Changed => {
                self.changed += 1;
                self.changed_bytes_before += size(&c.old);
                self.changed_bytes_after += size(&c.new);
            }
        }
    }

    /// Adds another group's counts.
    pub fn merge(&mut self, o: &Counts) {
        self.added += o.added;
        self.removed += o.removed;
        self.changed += o.changed;
        self.added_bytes += o.added_bytes;
        self.removed_bytes += o.removed_bytes;
        self.changed_bytes_before += o.changed_bytes_before;
        self.changed_bytes_after += o.changed_bytes_after;
    }

    /// Entries that differ.
    pub fn total(&self) -> u64 {
        self.added + self.removed + self.changed
    }

    /// Bytes after minus bytes before.
    pub fn net_bytes(&self) -> i128 {
        i128::from(self.added_bytes) + i128::from(self.changed_bytes_after)
            - i128::from(self.removed_bytes)
            - i128::from(self.changed_bytes_before)
    }
}

/// The changes of one component (or `other`, or `all`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupDiff {
    /// Component name (`connections_root`), `other` or `all`.
    pub name: String,
    /// The component's stored paths (empty for `other`/`all`).
    pub paths: Vec<String>,
    pub counts: Counts,
    /// In path order.
    pub changes: Vec<FileChange>,
}

/// One entry that differs.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    pub change: ChangeKind,
    /// `file`, `dir`, `symlink`, … (the new one's, or the old one's when removed).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<EntryState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<EntryState>,
    /// What differs (changed entries).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// The structural comparison of a changed XML configuration file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xml: Option<XmlResult>,
    /// The key-by-key comparison of a changed properties file (secrets masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<PropertiesResult>,
}

/// How the comparison of one properties file went.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PropertiesResult {
    /// Both versions parsed; these are the changed keys (possibly none: comments or order).
    Compared {
        changes: Vec<PropertyChange>,
        truncated: usize,
    },
    /// A version is larger than the limit: not parsed.
    TooLarge { limit: u64 },
    /// A version could not be read or parsed.
    Error { message: String },
}

/// How the XML comparison of one file went.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum XmlResult {
    /// Both versions parsed; these are the differences (possibly none: formatting only).
    Compared {
        changes: Vec<XmlChange>,
        truncated: usize,
    },
    /// A version is larger than the limit: not parsed.
    TooLarge { limit: u64 },
    /// A version could not be read or parsed.
    Error { message: String },
}

/// The Connections version of each snapshot, from its manifest.
#[derive(Debug, Clone, Serialize)]
pub struct VersionChange {
    /// Null when that snapshot has no manifest.
    pub from: Option<VersionSide>,
    pub to: Option<VersionSide>,
    /// Anything below differs.
    pub changed: bool,
    pub ifixes_added: Vec<String>,
    pub ifixes_removed: Vec<String>,
}

/// One snapshot's version fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionSide {
    /// `8.0 CR3` (release and CR), or the exact version, or `unknown`.
    pub label: String,
    /// The exact version string (`8.0.0.0_CR3 + KB0102411`).
    pub version: Option<String>,
    pub release: Option<String>,
    pub offering: Option<String>,
    pub cr: Option<u32>,
    pub ifixes: Vec<String>,
    pub was_version: Option<String>,
    pub webresources_sha256: Option<String>,
}

impl VersionSide {
    fn of(m: &Manifest) -> VersionSide {
        let c = &m.connections;
        let fp = c.fingerprint.as_ref();
        let label = match (&c.release, c.cr) {
            (Some(r), Some(cr)) => format!("{r} CR{cr}"),
            (Some(r), None) => r.clone(),
            (None, _) => c.version.clone().unwrap_or_else(|| "unknown".into()),
        };
        VersionSide {
            label,
            version: c.version.clone(),
            release: c.release.clone(),
            offering: fp.map(|f| f.offering.to_string()),
            cr: c.cr,
            ifixes: c.ifixes.clone(),
            was_version: fp.and_then(|f| f.was_version.clone()),
            webresources_sha256: fp.and_then(|f| f.webresources_sha256.clone()),
        }
    }
}

fn version_change(from: Option<&Manifest>, to: Option<&Manifest>) -> Option<VersionChange> {
    if from.is_none() && to.is_none() {
        return None;
    }
    let a = from.map(VersionSide::of);
    let b = to.map(VersionSide::of);
    let fixes = |s: &Option<VersionSide>| s.as_ref().map(|s| s.ifixes.clone()).unwrap_or_default();
    let (fa, fb) = (fixes(&a), fixes(&b));
    Some(VersionChange {
        changed: a != b,
        ifixes_added: fb.iter().filter(|x| !fa.contains(x)).cloned().collect(),
        ifixes_removed: fa.iter().filter(|x| !fb.contains(x)).cloned().collect(),
        from: a,
        to: b,
    })
}

/// Reads a deployment backup's manifest; `None` for a plain snapshot, a warning when it
/// cannot be read.
fn manifest_of(
    repo: &Repository,
    id: &SnapshotId,
    snap: &Snapshot,
    warnings: &mut Vec<String>,
) -> Option<Manifest> {
    if !runbook::restore::is_deployment_backup(snap) {
        return None;
    }
    match runbook::restore::read_manifest(repo, snap) {
        Ok(m) => Some(m),
        Err(e) => {
            warnings.push(format!(
                "snapshot {}: {e}; its changes are not grouped by component",
                id.short()
            ));
            None
        }
    }
}

fn side(id: &SnapshotId, s: &Snapshot, m: Option<&Manifest>) -> SnapshotSide {
    SnapshotSide {
        id: id.to_hex(),
        short_id: id.short(),
        time: vault::format_unix_ns(s.time),
        time_ns: s.time,
        host: s.host.clone(),
        paths: s.paths.clone(),
        tags: s.tags.clone(),
        deployment: m.is_some(),
        backup_set: m.map(|m| m.backup_set.clone()),
        status: m.map(|m| {
            match m.status {
                runbook::manifest::Status::Complete => "complete",
                runbook::manifest::Status::Incomplete => "incomplete",
            }
            .to_string()
        }),
    }
}

/// Compares snapshot `from` with snapshot `to` (both in `repo`).
pub fn diff_snapshots(
    repo: &Repository,
    from: (&SnapshotId, &Snapshot),
    to: (&SnapshotId, &Snapshot),
    opts: &DiffOptions,
) -> Result<DiffReport, DiffError> {
    let mut warnings = Vec::new();
    let ma = manifest_of(repo, from.0, from.1, &mut warnings);
    let mb = manifest_of(repo, to.0, to.1, &mut warnings);
    let td =
        diff_trees(repo, &from.1.tree, &to.1.tree, "/").map_err(|source| DiffError::Trees {
            from: from.0.short(),
            to: to.0.short(),
            source: Box::new(source),
        })?;
    tracing::debug!(
        changes = td.changes.len(),
        trees = td.trees_loaded,
        "trees compared"
    );
    let manifests: Vec<&Manifest> = mb.iter().chain(ma.iter()).collect();
    let grouper = Grouper::new(&manifests);
    let components = !manifests.is_empty();

    let mut groups: Vec<GroupDiff> = Vec::new();
    for change in td.changes {
        let name = if components {
            grouper
                .group_of(&change.path)
                .map_or(OTHER_GROUP.to_string(), |c| c.name().to_string())
        } else {
            ALL_GROUP.to_string()
        };
        let (xml, properties) = {
            let mut read = read_versions(repo, from.1, to.1, &change.path);
            (
                xml_result_with(&change, opts, &mut read),
                properties_result_with(&change, opts, &mut read),
            )
        };
        let fc = FileChange {
            kind: change
                .new
                .as_ref()
                .or(change.old.as_ref())
                .map_or("file", |s| s.kind),
            path: change.path,
            change: change.change,
            old: change.old,
            new: change.new,
            fields: change.fields,
            xml,
            properties,
        };
        let idx = match groups.iter().position(|g| g.name == name) {
            Some(i) => i,
            None => {
                let paths = name
                    .parse::<Component>()
                    .map(|c| grouper.paths_of(c))
                    .unwrap_or_default();
                groups.push(GroupDiff {
                    name: name.clone(),
                    paths,
                    counts: Counts::default(),
                    changes: Vec::new(),
                });
                groups.len() - 1
            }
        };
        if let Some(g) = groups.get_mut(idx) {
            g.counts.add(&fc);
            g.changes.push(fc);
        }
    }
    // Components in contract order, then `other`.
    let rank = |name: &str| {
        Component::ALL
            .iter()
            .position(|c| c.name() == name)
            .unwrap_or(Component::ALL.len())
    };
    groups.sort_by_key(|g| rank(&g.name));
    let mut totals = Counts::default();
    for g in &groups {
        totals.merge(&g.counts);
    }
    let mut unchanged_components = Vec::new();
    for c in Component::ALL {
        let present = manifests.iter().any(|m| m.component(c).is_some());
        if present && !groups.iter().any(|g| g.name == c.name()) {
            unchanged_components.push(c.name().to_string());
        }
    }
    Ok(DiffReport {
        from: side(from.0, from.1, ma.as_ref()),
        to: side(to.0, to.1, mb.as_ref()),
        identical: from.1.tree == to.1.tree,
        grouping: if components { "components" } else { "single" },
        version: version_change(ma.as_ref(), mb.as_ref()),
        totals,
        groups,
        unchanged_components,
        trees_loaded: td.trees_loaded,
        warnings,
    })
}

/// Which snapshot a file version is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Old,
    New,
}

/// Reads one version of the file at `path` from the snapshot of `side`.
fn read_versions<'a>(
    repo: &'a Repository,
    old: &'a Snapshot,
    new: &'a Snapshot,
    path: &'a str,
) -> impl FnMut(Side) -> Result<Vec<u8>, String> + 'a {
    move |side| {
        let snap = match side {
            Side::Old => old,
            Side::New => new,
        };
        let mut buf = Vec::new();
        vault::restore::dump_file(repo, snap, Path::new(path), &mut buf)
            .map(|_| buf)
            .map_err(|e| e.to_string())
    }
}

/// Both versions of a changed configuration file, or why they are not compared.
enum BothVersions {
    /// Old and new content.
    Read(Vec<u8>, Vec<u8>),
    /// Not a content change, or comparing is off: nothing to report.
    NotCompared,
    /// A version is larger than the limit.
    TooLarge(u64),
    /// A version could not be read.
    Unreadable(String),
}

/// Both versions of a file whose content changed, read by `read`.
fn both_versions(
    c: &EntryChange,
    opts: &DiffOptions,
    read: &mut dyn FnMut(Side) -> Result<Vec<u8>, String>,
) -> BothVersions {
    if !opts.xml || c.change != ChangeKind::Changed || !c.fields.contains(&Field::Content) {
        return BothVersions::NotCompared;
    }
    let size = |s: &Option<EntryState>| s.as_ref().map_or(0, |s| s.size);
    if size(&c.old) > opts.xml_size_limit || size(&c.new) > opts.xml_size_limit {
        return BothVersions::TooLarge(opts.xml_size_limit);
    }
    let old = match read(Side::Old) {
        Ok(a) => a,
        Err(e) => return BothVersions::Unreadable(format!("cannot read the old version: {e}")),
    };
    match read(Side::New) {
        Ok(b) => BothVersions::Read(old, b),
        Err(e) => BothVersions::Unreadable(format!("cannot read the new version: {e}")),
    }
}

/// The key-by-key comparison of a changed properties file, when it is one.
fn properties_result_with(
    c: &EntryChange,
    opts: &DiffOptions,
    read: &mut dyn FnMut(Side) -> Result<Vec<u8>, String>,
) -> Option<PropertiesResult> {
    if !is_config_properties(&c.path) {
        return None;
    }
    let (a, b) = match both_versions(c, opts, read) {
        BothVersions::Read(a, b) => (a, b),
        BothVersions::NotCompared => return None,
        BothVersions::TooLarge(limit) => return Some(PropertiesResult::TooLarge { limit }),
        BothVersions::Unreadable(message) => return Some(PropertiesResult::Error { message }),
    };
    Some(match diff_properties(&a, &b) {
        Ok(d) => PropertiesResult::Compared {
            changes: d.changes,
            truncated: d.truncated,
        },
        Err(e) => PropertiesResult::Error {
            message: format!("{e}: {}", e.source.detail()),
        },
    })
}

/// The XML comparison of a changed configuration file, when it is one, with the file
/// versions read by `read` (a map in tests).
fn xml_result_with(
    c: &EntryChange,
    opts: &DiffOptions,
    read: &mut dyn FnMut(Side) -> Result<Vec<u8>, String>,
) -> Option<XmlResult> {
    if !is_config_xml(&c.path) {
        return None;
    }
    let (a, b) = match both_versions(c, opts, read) {
        BothVersions::Read(a, b) => (a, b),
        BothVersions::NotCompared => return None,
        BothVersions::TooLarge(limit) => return Some(XmlResult::TooLarge { limit }),
        BothVersions::Unreadable(message) => return Some(XmlResult::Error { message }),
    };
    Some(match diff_xml(&a, &b) {
        Ok(d) => XmlResult::Compared {
            changes: d.changes,
            truncated: d.truncated,
        },
        Err(e) => {
            tracing::debug!(path = %c.path, error = %e, "XML not compared");
            XmlResult::Error {
                message: e.to_string(),
            }
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn changed(path: &str, old: u64, new: u64) -> EntryChange {
        let st = |size| {
            Some(EntryState {
                kind: "file",
                size,
                mode: "0644".into(),
                owner: "0:0".into(),
                mtime_ns: 0,
                target: None,
            })
        };
        EntryChange {
            path: path.into(),
            change: ChangeKind::Changed,
            old: st(old),
            new: st(new),
            fields: vec![Field::Content],
        }
    }

    const CFG: &str = "/p/config/cells/c/resources.xml";

    #[test]
    fn xml_files_are_compared_capped_and_errors_are_reported() {
        let opts = DiffOptions::default();
        let mut read = |side: Side| -> Result<Vec<u8>, String> {
            Ok(match side {
                Side::Old => b"<r><ds name='a' j='1'/></r>".to_vec(),
                Side::New => b"<r><ds name='a' j='2'/></r>".to_vec(),
            })
        };
        match xml_result_with(&changed(CFG, 10, 10), &opts, &mut read) {
            Some(XmlResult::Compared { changes, .. }) => {
                assert_eq!(changes.len(), 1);
                assert_eq!(changes[0].path, "/r/ds[@name='a']");
            }
            other => panic!("{other:?}"),
        }
        // not a configuration file, or only metadata changed: nothing is read
        let mut never = |_: Side| -> Result<Vec<u8>, String> { panic!("read") };
        assert!(xml_result_with(&changed("/data/x.txt", 1, 2), &opts, &mut never).is_none());
        let mut meta = changed(CFG, 1, 1);
        meta.fields = vec![Field::Mode];
        assert!(xml_result_with(&meta, &opts, &mut never).is_none());
        let off = DiffOptions {
            xml: false,
            ..DiffOptions::default()
        };
        assert!(xml_result_with(&changed(CFG, 1, 2), &off, &mut never).is_none());
        // over the cap on either side: not read
        let big = XML_SIZE_LIMIT + 1;
        assert!(matches!(
            xml_result_with(&changed(CFG, 10, big), &opts, &mut never),
            Some(XmlResult::TooLarge { limit }) if limit == XML_SIZE_LIMIT
        ));
        // a malformed version, or one that cannot be read: reported, not fatal
        let mut bad = |side: Side| -> Result<Vec<u8>, String> {
            match side {
                Side::Old => Ok(b"<r/>".to_vec()),
                Side::New => Ok(b"<r>".to_vec()),
            }
        };
        match xml_result_with(&changed(CFG, 4, 3), &opts, &mut bad) {
            Some(XmlResult::Error { message }) => {
                assert!(message.contains("new version"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        let mut unreadable = |_: Side| -> Result<Vec<u8>, String> { Err("blob damaged".into()) };
        match xml_result_with(&changed(CFG, 4, 3), &opts, &mut unreadable) {
            Some(XmlResult::Error { message }) => {
                assert_eq!(message, "cannot read the old version: blob damaged")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counts_add_up_bytes_per_kind() {
        let st = |size| {
            Some(EntryState {
                kind: "file",
                size,
                mode: "0644".into(),
                owner: "0:0".into(),
                mtime_ns: 0,
                target: None,
            })
        };
        let fc = |change, old, new| FileChange {
            path: "/x".into(),
            change,
            kind: "file",
            old,
            new,
            fields: vec![],
            xml: None,
            properties: None,
        };
        let mut c = Counts::default();
        c.add(&fc(ChangeKind::Added, None, st(10)));
        c.add(&fc(ChangeKind::Removed, st(4), None));
        c.add(&fc(ChangeKind::Changed, st(100), st(150)));
        assert_eq!((c.added, c.removed, c.changed), (1, 1, 1));
        assert_eq!(c.net_bytes(), 10 - 4 + 50);
        assert_eq!(c.total(), 3);
    }
}
