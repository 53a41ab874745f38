//! `cnxbackup stats`: how big the repository is and how well it deduplicates — its stored
//! size (packs), the unique data it holds before and after compression, the sum of what its
//! snapshots name, and per snapshot what its backup added. Read from the index and the
//! snapshot documents only: nothing is decrypted beyond them, so it is quick on S3 too.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;
use vault::{BlobKind, Repository};

use crate::cli::filter::FilterArgs;
use crate::context::Context;
use crate::ui::format::{bytes, short_id, time_ns};
use crate::ui::Grid;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only these snapshots in the per-snapshot table and the logical total
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// The repository's figures (`--json`: docs/schemas/stats.schema.json).
#[derive(Debug, Default, Serialize)]
struct Stats {
    /// Bytes of every object under `packs/` (what the storage holds for the data).
    packs_bytes: u64,
    packs: u64,
    /// Unique blobs in the index, and their plaintext and stored bytes.
    blobs: u64,
    unique_bytes: u64,
    stored_bytes: u64,
    /// Sum of the file sizes every (selected) snapshot names.
    logical_bytes: u64,
    /// `logical_bytes / unique data bytes`: how many times the data is named for each
    /// time it is stored (null for an empty repository).
    dedup_ratio: Option<f64>,
    /// `unique_bytes / stored_bytes` (null for an empty repository).
    compression_ratio: Option<f64>,
    snapshots: Vec<SnapshotStats>,
}

#[derive(Debug, Serialize)]
struct SnapshotStats {
    id: String,
    time: i64,
    host: String,
    /// Total size of its files.
    bytes_total: u64,
    /// What its backup added: plaintext and stored bytes of the blobs that were new.
    bytes_added: u64,
    bytes_added_stored: u64,
}

pub fn run(ctx: &Context, args: &StatsArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let stats = gather(&repo, &args.filter.filter())?;
    ctx.out.result(&text(ctx, &stats), &stats)
}

fn gather(repo: &Repository, filter: &vault::SnapshotFilter) -> anyhow::Result<Stats> {
    let mut s = Stats::default();
    for pack in repo.storage().list("packs/")? {
        s.packs += 1;
        s.packs_bytes += pack.size;
    }
    let mut data_bytes = 0u64;
    repo.for_each_index_entry(|_, loc| {
        s.blobs += 1;
        s.unique_bytes += loc.raw_len;
        s.stored_bytes += loc.length;
        if loc.kind == BlobKind::Data {
            data_bytes += loc.raw_len;
        }
    });
    let mut listed: Vec<_> = repo
        .list_snapshots()?
        .into_iter()
        .filter_map(|(id, snap)| snap.ok().map(|snap| (id, snap)))
        .filter(|(_, snap)| filter.matches(snap))
        .collect();
    listed.sort_by_key(|(_, snap)| snap.time);
    for (id, snap) in listed {
        let total = snap.summary.bytes_total;
        s.logical_bytes += total;
        s.snapshots.push(SnapshotStats {
            id: id.to_hex(),
            time: snap.time,
            host: snap.host.clone(),
            bytes_total: total,
            bytes_added: snap.summary.bytes_added,
            bytes_added_stored: snap.summary.bytes_added_stored,
        });
    }
    s.dedup_ratio = ratio(s.logical_bytes, data_bytes);
    s.compression_ratio = ratio(s.unique_bytes, s.stored_bytes);
    Ok(s)
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn text(ctx: &Context, s: &Stats) -> String {
    let mut h = String::new();
    let shown = |r: Option<f64>| r.map_or_else(|| "-".to_string(), |r| format!("{r:.2}x"));
    let _ = writeln!(
        h,
        "repository size   {} in {} packs",
        bytes(s.packs_bytes),
        s.packs
    );
    let _ = writeln!(
        h,
        "unique data       {} in {} blobs, stored as {} (compression {})",
        bytes(s.unique_bytes),
        s.blobs,
        bytes(s.stored_bytes),
        shown(s.compression_ratio)
    );
    let _ = writeln!(
        h,
        "snapshots name    {} in {} snapshots (deduplication {})",
        bytes(s.logical_bytes),
        s.snapshots.len(),
        shown(s.dedup_ratio)
    );
    if s.snapshots.is_empty() {
        return h;
    }
    let mut g = Grid::new(
        ctx.ui().stdout,
        &["snapshot", "time", "host", "size", "added", "stored"],
    )
    .right(&[3, 4, 5]);
    for snap in &s.snapshots {
        g.row([
            short_id(&snap.id).to_string(),
            time_ns(snap.time),
            snap.host.clone(),
            bytes(snap.bytes_total),
            bytes(snap.bytes_added),
            bytes(snap.bytes_added_stored),
        ]);
    }
    h.push('\n');
    h.push_str(&g.render(0));
    h
}
