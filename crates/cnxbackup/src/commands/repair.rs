//! `cnxbackup repair index`: rebuild the index from the pack trailers, keeping what only the
//! old index knows about a pack whose trailer cannot be read. A repair that could not read
//! every pack prints its report and ends with exit 3.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde::Serialize;
use vault::repair::RepairReport;

use crate::context::Context;
use crate::exit::{CommandError, Exit};

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(subcommand)]
    pub what: RepairWhat,
}

#[derive(Debug, Subcommand)]
pub enum RepairWhat {
    /// Rebuild the index from the pack trailers
    Index,
}

pub fn run(ctx: &Context, args: &RepairArgs) -> anyhow::Result<()> {
    match args.what {
        RepairWhat::Index => repair_index(ctx),
    }
}

fn repair_index(ctx: &Context) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let r = vault::rebuild_index(&repo)?;
    #[derive(Serialize)]
    struct Failed {
        pack: String,
        reason: String,
        blobs_kept: usize,
    }
    #[derive(Serialize)]
    struct Out<'a> {
        complete: bool,
        packs_read: usize,
        packs_failed: Vec<Failed>,
        blobs_indexed: usize,
        blobs_recovered: usize,
        segments_written: usize,
        segments_removed: usize,
        segments_kept: &'a [String],
    }
    let out = Out {
        complete: r.is_complete(),
        packs_read: r.packs_read,
        packs_failed: r
            .packs_failed
            .iter()
            .map(|f| Failed {
                pack: f.pack.to_hex(),
                reason: f.reason.clone(),
                blobs_kept: f.blobs_kept,
            })
            .collect(),
        blobs_indexed: r.blobs_indexed,
        blobs_recovered: r.blobs_recovered,
        segments_written: r.segments_written,
        segments_removed: r.segments_removed,
        segments_kept: &r.segments_kept,
    };
    ctx.out.result(&repair_human(&r), &out)?;
    if !r.is_complete() {
        return Err(CommandError::Reported {
            message: format!(
                "{} pack(s) could not be read; their blobs are indexed only as far as the old \
                 index described them (run check --read-data)",
                r.packs_failed.len()
            ),
            exit: Exit::Refused,
        }
        .into());
    }
    Ok(())
}

fn repair_human(r: &RepairReport) -> String {
    let mut h = format!(
        "index rebuilt from {} packs: {} blobs ({} recovered), {} segments written, {} removed\n",
        r.packs_read, r.blobs_indexed, r.blobs_recovered, r.segments_written, r.segments_removed
    );
    for f in &r.packs_failed {
        let kept = match f.blobs_kept {
            0 => "not indexed, left in place".to_string(),
            n => format!("{n} blobs kept from the old index"),
        };
        let _ = writeln!(h, "pack {} unreadable ({kept}): {}", f.pack, f.reason);
    }
    for s in &r.segments_kept {
        let _ = writeln!(
            h,
            "index segment {s} unreadable, kept: it may be the only record of an unreadable pack"
        );
    }
    h
}
