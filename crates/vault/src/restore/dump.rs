//! Streaming one file of a snapshot out (e.g. a database dump fed to a restore command's
//! stdin), without writing it to disk.

use std::io::Write;
use std::path::Path;

use super::RestoreError;
use crate::tree::{find_entry, ContentPart, EntryKind};
use crate::{BlobKind, Repository, Snapshot};

/// Zeros written at once for holes.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// Writes the content of the regular file at `stored_path` in `snapshot` to `out`; returns
/// the bytes written. Every blob is verified before its bytes are written; a damaged blob
/// ends the dump with an error (what was written before it stays written).
pub fn dump_file(
    repo: &Repository,
    snapshot: &Snapshot,
    stored_path: &Path,
    out: &mut dyn Write,
) -> Result<u64, RestoreError> {
    let not_found = |reason: &str| RestoreError::NotInSnapshot {
        path: stored_path.display().to_string(),
        reason: reason.to_string(),
    };
    let entry =
        find_entry(repo, snapshot, stored_path)?.ok_or_else(|| not_found("no such entry"))?;
    if entry.kind != EntryKind::File {
        return Err(not_found(&format!(
            "a {}, not a regular file",
            entry.kind.as_str()
        )));
    }
    let write_err = |source: std::io::Error| RestoreError::Target {
        path: format!("(output of {})", stored_path.display()).into(),
        source,
    };
    let mut written = 0u64;
    for part in &entry.content {
        match part {
            ContentPart::Data { id, len } => {
                let data = repo.load_blob(BlobKind::Data, id)?;
                if data.len() as u64 != *len {
                    return Err(RestoreError::Repository(crate::VaultError::corrupt(
                        format!("blob {id}"),
                        format!("{} bytes, the tree says {len}", data.len()),
                    )));
                }
                out.write_all(&data).map_err(write_err)?;
            }
            ContentPart::Hole { len } => {
                let mut left = *len;
                while left > 0 {
                    let n = left.min(ZEROS.len() as u64) as usize;
                    out.write_all(ZEROS.get(..n).unwrap_or_default())
                        .map_err(write_err)?;
                    left -= n as u64;
                }
            }
        }
        written += part.len();
    }
    out.flush().map_err(write_err)?;
    Ok(written)
}
