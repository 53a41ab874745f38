//! Plan pass: walk the snapshot's trees into the list of entries to restore, parents before
//! children. Every name is checked here, before anything is written.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::safety::{check_entry_name, RelPath};
use super::{DamagedEntry, RestoreError, RestoreOutcome};
use crate::tree::{decode_tree, Entry, EntryKind};
use crate::{BlobId, BlobKind, Repository};

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
}

struct Includes {
    by_name: GlobSet,
    by_path: GlobSet,
    any: bool,
}

impl Includes {
    fn new(patterns: &[String]) -> Result<Includes, RestoreError> {
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
        Ok(Includes {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
            any: !patterns.is_empty(),
        })
    }

    fn matches(&self, rel: &RelPath, name: &[u8]) -> bool {
        let path = rel.to_path();
        self.by_name.is_match(Path::new(OsStr::from_bytes(name))) || self.by_path.is_match(path)
    }
}

/// Builds the plan from the root tree.
pub(crate) fn plan(
    repo: &Repository,
    root: &BlobId,
    includes: &[String],
    outcome: &mut RestoreOutcome,
) -> Result<Plan, RestoreError> {
    let includes = Includes::new(includes)?;
    let mut items = Vec::new();
    walk(
        repo,
        root,
        &RelPath::root(),
        !includes.any,
        &includes,
        &mut items,
        outcome,
    )?;
    Ok(Plan { items })
}

fn walk(
    repo: &Repository,
    tree_id: &BlobId,
    dir: &RelPath,
    selected: bool,
    includes: &Includes,
    out: &mut Vec<Item>,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let tree = match repo
        .load_blob(BlobKind::Tree, tree_id)
        .map_err(|e| e.to_string())
        .and_then(|b| decode_tree(&b).map_err(|e| format!("tree {tree_id}: {e}")))
    {
        Ok(t) => t,
        Err(reason) => {
            outcome.damaged.push(DamagedEntry {
                path: dir.display(),
                reason: format!("directory contents lost: {reason}"),
            });
            return Ok(());
        }
    };
    for entry in tree.entries {
        let rel = dir.join(&entry.name);
        if let Err(reason) = check_entry_name(&entry.name) {
            return Err(RestoreError::Unsafe {
                path: format!(
                    "{}/{}",
                    dir.display().trim_end_matches('/'),
                    entry.display_name()
                ),
                reason: format!("tree entry {:?}: {reason}", entry.display_name()),
            });
        }
        let here = selected || includes.matches(&rel, &entry.name);
        if entry.kind == EntryKind::Dir {
            let Some(sub) = entry.subtree else { continue };
            let at = out.len();
            out.push(Item {
                rel: rel.clone(),
                entry,
            });
            walk(repo, &sub, &rel, here, includes, out, outcome)?;
            // an unselected directory stays only as the way to selected entries below it
            if !here && out.len() == at + 1 {
                out.truncate(at);
            }
        } else if here {
            out.push(Item { rel, entry });
        }
    }
    Ok(())
}
