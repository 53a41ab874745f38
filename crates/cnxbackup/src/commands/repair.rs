//! `cnxbackup repair index`: rebuild the index from the pack trailers.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::context::Context;

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
        RepairWhat::Index => {
            let repo = ctx.open_repository()?;
            let r = vault::rebuild_index(&repo)?;
            #[derive(Serialize)]
            struct Failed {
                pack: String,
                reason: String,
            }
            #[derive(Serialize)]
            struct Out {
                packs_read: usize,
                packs_failed: Vec<Failed>,
                blobs_indexed: usize,
                blobs_recovered: usize,
                segments_written: usize,
                segments_removed: usize,
            }
            let out = Out {
                packs_read: r.packs_read,
                packs_failed: r
                    .packs_failed
                    .iter()
                    .map(|(p, reason)| Failed {
                        pack: p.to_hex(),
                        reason: reason.clone(),
                    })
                    .collect(),
                blobs_indexed: r.blobs_indexed,
                blobs_recovered: r.blobs_recovered,
                segments_written: r.segments_written,
                segments_removed: r.segments_removed,
            };
            let mut h = format!(
                "index rebuilt from {} packs: {} blobs ({} recovered), {} segments written, {} removed\n",
                out.packs_read,
                out.blobs_indexed,
                out.blobs_recovered,
                out.segments_written,
                out.segments_removed
            );
            for f in &out.packs_failed {
                let _ = writeln!(h, "pack {} unreadable: {}", f.pack, f.reason);
            }
            ctx.out.result(&h, &out)
        }
    }
}
