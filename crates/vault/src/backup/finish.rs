//! The finish hook's files: added to the root tree after every source is saved and before
//! the root tree and the snapshot are written, so that a manifest describing the sources
//! (their per-source reports) lands in the same snapshot.
//!
//! A file goes at its stored path; directories on the way that exist in the tree already
//! (a synthetic `/.cnxbackup` holding streamed dumps) get a new tree with the file added,
//! missing ones are created as synthetic directories. A file inside a source's stored tree,
//! or at a path already taken, is refused.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::paths::{stored_components, stored_path};
use super::pipeline::{synthetic_entry, SourceInfo};
use super::summary::Counters;
use super::BackupError;
use crate::chunker::{chunk_slice, ChunkerParams};
use crate::fs_meta::NameCache;
use crate::tree::{decode_tree, encode_tree, ContentPart, Entry, EntryKind, Tree};
use crate::{BlobId, BlobKind, Repository};

/// Adds the file `data` at stored path `stored` to the root entries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_file(
    repo: &Repository,
    params: &ChunkerParams,
    names: &NameCache,
    counters: &Counters,
    sources: &[SourceInfo],
    root: &mut Vec<Entry>,
    stored: &Path,
    data: &[u8],
    mode: u32,
) -> Result<(), BackupError> {
    let components = stored_components(stored)?;
    let refuse = |reason: String| BackupError::InvalidPath {
        path: stored.to_path_buf(),
        reason,
    };
    if components.is_empty() {
        return Err(refuse("a finish file needs a file name".into()));
    }
    if let Some(s) = sources
        .iter()
        .find(|s| components.starts_with(&s.components))
    {
        return Err(refuse(format!(
            "a finish file cannot go inside the source stored at {}",
            s.stored.display()
        )));
    }
    let now = crate::util::now_unix_ns();
    let mut entry = synthetic_entry(b"", EntryKind::File, mode, now, names);
    entry.content = save_content(repo, params, data)?;
    entry.size = data.len() as u64;
    insert(repo, names, root, &components, 0, entry)?;
    Counters::add(&counters.files_new, 1);
    Counters::add(&counters.bytes_total, data.len() as u64);
    Ok(())
}

fn save_content(
    repo: &Repository,
    params: &ChunkerParams,
    data: &[u8],
) -> Result<Vec<ContentPart>, BackupError> {
    let spans = chunk_slice(data, params)?;
    let mut parts = Vec::with_capacity(spans.len());
    for span in spans {
        let chunk = data
            .get(span.offset..span.offset + span.length)
            .unwrap_or_default();
        let id = repo.id_of(chunk);
        if !repo.has_blob(BlobKind::Data, &id) {
            repo.save_blob(BlobKind::Data, id, chunk)?;
        }
        parts.push(ContentPart::Data {
            id,
            len: chunk.len() as u64,
        });
    }
    Ok(parts)
}

fn save_tree(repo: &Repository, entries: Vec<Entry>) -> Result<BlobId, BackupError> {
    let bytes = encode_tree(&Tree::from_unsorted(entries));
    let id = repo.id_of(&bytes);
    if !repo.has_blob(BlobKind::Tree, &id) {
        repo.save_blob(BlobKind::Tree, id, &bytes)?;
    }
    Ok(id)
}

/// Inserts `file` at `components[depth..]` below `entries`.
fn insert(
    repo: &Repository,
    names: &NameCache,
    entries: &mut Vec<Entry>,
    components: &[OsString],
    depth: usize,
    mut file: Entry,
) -> Result<(), BackupError> {
    let taken = |what: &str| BackupError::InvalidPath {
        path: stored_path(components.get(..=depth).unwrap_or_default()),
        reason: format!("a finish file's path is already taken by {what}"),
    };
    let Some(name) = components.get(depth) else {
        return Err(BackupError::Internal("finish file path ended early".into()));
    };
    let name = name.as_bytes();
    let last = depth + 1 == components.len();
    let existing = entries.iter_mut().find(|e| e.name == name);
    if last {
        if existing.is_some() {
            return Err(taken("another entry"));
        }
        file.name = name.to_vec();
        entries.push(file);
        return Ok(());
    }
    match existing {
        Some(dir) if dir.kind == EntryKind::Dir => {
            let mut children = match dir.subtree {
                Some(id) => {
                    let bytes = repo.load_blob(BlobKind::Tree, &id)?;
                    decode_tree(&bytes)
                        .map_err(|e| BackupError::Internal(format!("tree {id}: {e}")))?
                        .entries
                }
                None => Vec::new(),
            };
            insert(repo, names, &mut children, components, depth + 1, file)?;
            dir.subtree = Some(save_tree(repo, children)?);
            Ok(())
        }
        Some(_) => Err(taken("a file that is not a directory")),
        None => {
            let mut dir = synthetic_entry(name, EntryKind::Dir, 0o755, 0, names);
            let mut children = Vec::new();
            insert(repo, names, &mut children, components, depth + 1, file)?;
            dir.subtree = Some(save_tree(repo, children)?);
            entries.push(dir);
            Ok(())
        }
    }
}
