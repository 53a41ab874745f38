//! Plan pass: walk the snapshot's trees into the list of entries to restore, parents before
//! children. Every name is checked here, before anything is written.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::safety::{check_entry_name, RelPath};
use super::{DamagedEntry, RestoreError, RestoreOutcome};
use crate::tree::{load_tree, Entry, EntryKind};
use crate::{BlobId, Repository};

/// One entry to restore at `rel` below the target.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub rel: RelPath,
    pub entry: Entry,
}

/// Everything to restore, parents before children.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub items: Vec<Item>,
    /// Directories whose tree could not be loaded: a mirror must not remove anything below
    /// them (their contents are unknown, not empty).
    pub damaged_dirs: HashSet<RelPath>,
    /// Whether the target directory stands for a directory of the snapshot (its contents
    /// are the plan). `false` when a single file (or symlink, ...) is restored AS a path in
    /// the target directory: the directory's other entries are none of the restore's
    /// business, and a mirror must never remove them.
    pub root_is_dir: bool,
}

/// Glob patterns over stored paths: with '/' the path (leading '/' optional), without '/'
/// a name anywhere.
pub(crate) struct PathMatcher {
    by_name: GlobSet,
    by_path: GlobSet,
    pub any: bool,
}

impl PathMatcher {
    pub fn new(patterns: &[String]) -> Result<PathMatcher, RestoreError> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        for p in patterns {
            let g = Glob::new(p.trim_start_matches('/')).map_err(|e| RestoreError::BadInclude {
                pattern: p.clone(),
                reason: e.to_string(),
            })?;
            if p.contains('/') {
                by_path.add(g);
            } else {
                by_name.add(g);
            }
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| RestoreError::BadInclude {
                pattern: patterns.join(", "),
                reason: e.to_string(),
            })
        };
        Ok(PathMatcher {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
            any: !patterns.is_empty(),
        })
    }

    /// `stored` is the entry's stored path without the leading '/'.
    fn matches(&self, stored: &Path, name: &[u8]) -> bool {
        self.any
            && (self.by_name.is_match(Path::new(OsStr::from_bytes(name)))
                || self.by_path.is_match(stored))
    }
}

/// Which entries a restore takes: include and exclude patterns over stored paths, and the
/// stored path of the restored subtree (what paths below the target are relative to).
pub(crate) struct Selection {
    pub includes: PathMatcher,
    pub excludes: PathMatcher,
    /// Stored path of the subtree root, without the leading '/' ("" for the snapshot root).
    pub base: PathBuf,
}

impl Selection {
    pub fn new(
        includes: &[String],
        excludes: &[String],
        base: &Path,
    ) -> Result<Selection, RestoreError> {
        Ok(Selection {
            includes: PathMatcher::new(includes)?,
            excludes: PathMatcher::new(excludes)?,
            base: base.strip_prefix("/").unwrap_or(base).to_path_buf(),
        })
    }

    /// The stored path (without leading '/') of `rel` below the subtree.
    pub fn stored(&self, rel: &RelPath) -> PathBuf {
        if rel.is_root() {
            self.base.clone()
        } else {
            self.base.join(rel.to_path())
        }
    }

    /// The stored path for messages and dry-run listings ("/a/b").
    pub fn display(&self, rel: &RelPath) -> String {
        format!("/{}", self.stored(rel).display())
    }

    pub fn excluded(&self, rel: &RelPath, name: &[u8]) -> bool {
        self.excludes.matches(&self.stored(rel), name)
    }

    fn included(&self, rel: &RelPath, name: &[u8]) -> bool {
        self.includes.matches(&self.stored(rel), name)
    }
}

/// Entries one restore plans at most. Directories may share a subtree (the same tree blob
/// named twice), so a small hostile snapshot can name exponentially many entries (issue 21:
/// restore reached 6.9 GiB in 15 s): a tree naming more is refused before anything is
/// planned. Twenty million is several times the largest deployments.
pub const MAX_ENTRIES: usize = 20_000_000;

/// Builds the plan from the tree of the restored subtree.
pub(crate) fn plan(
    repo: &Repository,
    root: &BlobId,
    selection: &Selection,
    outcome: &mut RestoreOutcome,
) -> Result<Plan, RestoreError> {
    // counted over the distinct trees first: a tree naming too much is refused before
    // the plan holds any of it
    if crate::tree::expanded_entries(repo, root) > MAX_ENTRIES as u64 {
        return Err(RestoreError::TooManyEntries {
            limit: MAX_ENTRIES,
            path: selection.display(&RelPath::root()),
        });
    }
    let mut plan = Plan {
        root_is_dir: true,
        ..Plan::default()
    };
    walk(
        repo,
        root,
        &RelPath::root(),
        !selection.includes.any,
        selection,
        &mut plan,
        outcome,
    )?;
    Ok(plan)
}

fn walk(
    repo: &Repository,
    tree_id: &BlobId,
    dir: &RelPath,
    selected: bool,
    selection: &Selection,
    plan: &mut Plan,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    // through tree::load_tree, so a tree cache there serves the plan walk too
    let tree = match load_tree(repo, tree_id).map_err(|e| e.to_string()) {
        Ok(t) => t,
        Err(reason) => {
            outcome.damaged.push(DamagedEntry {
                path: selection.display(dir),
                reason: format!("directory contents lost: {reason}"),
            });
            plan.damaged_dirs.insert(dir.clone());
            return Ok(());
        }
    };
    for entry in tree.entries {
        let rel = dir.join(&entry.name);
        if let Err(reason) = check_entry_name(&entry.name) {
            return Err(RestoreError::Unsafe {
                path: format!(
                    "{}/{}",
                    selection.display(dir).trim_end_matches('/'),
                    entry.display_name()
                ),
                reason: format!("tree entry {:?}: {reason}", entry.display_name()),
            });
        }
        if selection.excluded(&rel, &entry.name) {
            continue;
        }
        let here = selected || selection.included(&rel, &entry.name);
        if entry.kind == EntryKind::Dir {
            let Some(sub) = entry.subtree else { continue };
            let at = plan.items.len();
            plan.items.push(Item {
                rel: rel.clone(),
                entry,
            });
            walk(repo, &sub, &rel, here, selection, plan, outcome)?;
            // an unselected directory stays only as the way to selected entries below it
            if !here && plan.items.len() == at + 1 {
                plan.items.truncate(at);
            }
        } else if here {
            plan.items.push(Item { rel, entry });
        }
    }
    Ok(())
}
