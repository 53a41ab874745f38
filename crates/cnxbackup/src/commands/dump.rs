//! `cnxbackup dump SNAPSHOT PATH`: one file of a snapshot, byte for byte, on stdout — to
//! look at a configuration file of last week's backup, or to pipe a database image into
//! its tool, without restoring anything.
//!
//! Each blob is read, decrypted and verified before its bytes are written; holes are
//! written as zeros. A directory, a symlink or a special file is refused (exit 2: use
//! `ls`, or `restore --target`); a path the snapshot does not hold is exit 1. stdout
//! carries only the file: the command has no `--json` document (it is refused).

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use clap::Args;
use vault::tree::{find_entry, ContentPart, EntryKind};
use vault::BlobKind;

use crate::cli::filter::FilterArgs;
use crate::context::Context;
use crate::exit::CommandError;

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Snapshot id, unambiguous id prefix, or "latest"
    pub snapshot: String,
    /// The file's path in the snapshot (as `ls` shows it)
    pub path: String,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// Zeros written for a hole, a block at a time.
static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

pub fn run(ctx: &Context, args: &DumpArgs) -> anyhow::Result<()> {
    if ctx.out.json {
        return Err(CommandError::Usage(
            "dump writes the file itself on stdout; it has no --json form".into(),
        )
        .into());
    }
    let repo = ctx.open_repository()?;
    let (_, snap, _) = ctx.resolve_snapshot(&repo, &args.snapshot, &args.filter.filter())?;
    let entry = find_entry(&repo, &snap, Path::new(&args.path))?
        .with_context(|| format!("{}: not in snapshot {}", args.path, args.snapshot))?;
    if entry.kind != EntryKind::File {
        return Err(CommandError::Usage(format!(
            "{} is a {} in the snapshot, not a file: dump writes one file (list it with ls, \
             or restore it with restore --target)",
            args.path,
            entry.kind.as_str()
        ))
        .into());
    }
    let mut out = std::io::stdout().lock();
    for part in &entry.content {
        match part {
            ContentPart::Data { id, .. } => {
                let data = repo
                    .load_blob(BlobKind::Data, id)
                    .with_context(|| format!("{}: blob {id}", args.path))?;
                out.write_all(&data).context("writing to stdout")?;
            }
            ContentPart::Hole { len } => {
                let mut left = *len;
                while left > 0 {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(ZEROS.len());
                    out.write_all(&ZEROS[..n]).context("writing to stdout")?;
                    left -= n as u64;
                }
            }
        }
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}
