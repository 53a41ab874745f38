//! Per-kind chunking: database images (page-structured files, chosen by name) are cut into
//! small chunks so that scattered 8 KiB page rewrites re-store little, while every other
//! file keeps the large default chunks. Properties: the choice and the cut points are
//! deterministic, and rewriting pages in place leaves the chunks away from the rewritten
//! pages unchanged.
#![allow(clippy::unwrap_used)]

use crate::fs_common;

use std::collections::HashSet;
use std::fs;

use fs_common::*;
use proptest::prelude::*;
use vault::backup::{backup, backup_sources, BackupOptions, BackupSource};
use vault::restore::{restore, RestoreOptions};
use vault::{chunk_slice, ChunkPolicy, ChunkerParams};

const PAGE: usize = 8192;

fn policy(seed: u64) -> ChunkPolicy {
    ChunkPolicy {
        default: ChunkerParams {
            seed,
            ..ChunkerParams::default()
        },
        page_files: ChunkerParams {
            seed,
            ..ChunkerParams::page_file_defaults()
        },
    }
}

/// A page-structured image: `pages` pages of 8 KiB, page `i` of version `v` from a seed.
fn page(i: usize, version: u64) -> Vec<u8> {
    let mut p = noise(PAGE - 16, (i as u64) << 8 | version);
    let mut head = b"SQLPG\0\x01\0".to_vec();
    head.extend_from_slice(&(i as u64).to_le_bytes());
    head.append(&mut p);
    head
}

fn image(pages: usize) -> Vec<u8> {
    (0..pages).flat_map(|i| page(i, 0)).collect()
}

fn rewrite(data: &mut [u8], pages: &[usize], version: u64) {
    for &i in pages {
        data[i * PAGE..(i + 1) * PAGE].copy_from_slice(&page(i, version));
    }
}

/// Bytes of the chunks of `new` that are not chunks of `old` (what a backup re-stores).
fn new_chunk_bytes(old: &[u8], new: &[u8], params: &ChunkerParams) -> usize {
    let known: HashSet<&[u8]> = chunk_slice(old, params)
        .unwrap()
        .iter()
        .map(|s| &old[s.offset..s.offset + s.length])
        .collect();
    chunk_slice(new, params)
        .unwrap()
        .iter()
        .map(|s| &new[s.offset..s.offset + s.length])
        .filter(|c| !known.contains(c))
        .map(<[u8]>::len)
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Same name, same bytes, same seed: same chunks, every time; the kind depends on the
    /// name only.
    #[test]
    fn choice_and_cut_points_are_deterministic(
        seed in any::<u64>(),
        pages in 8usize..200,
        name in prop::sample::select(vec![
            "FILES.0.db2inst1.DBPART000.20241126010000.001", "cnx.bak", "full.dmp",
            "app.jar", "SystemOut.log", "d1f0e2c3-4b5a-4c6d-a7e8-f9a0b1c2d3e4",
        ]),
    ) {
        let data = image(pages);
        let a = policy(seed);
        let b = policy(seed);
        let pa = a.for_name(name.as_bytes());
        let pb = b.for_name(name.as_bytes());
        prop_assert_eq!(pa, pb);
        prop_assert_eq!(chunk_slice(&data, pa).unwrap(), chunk_slice(&data, pb).unwrap());
        prop_assert_eq!(
            pa.avg_size == ChunkerParams::page_file_defaults().avg_size,
            vault::is_page_structured(name.as_bytes())
        );
    }

    /// Rewriting k scattered pages in place re-stores at most a few small chunks around
    /// each rewritten page: every cut point more than one maximum chunk away from a
    /// rewritten page survives, so the new bytes are bounded by k × (page + 2 × max chunk).
    #[test]
    fn page_rewrites_keep_the_other_cut_points(
        seed in any::<u64>(),
        pages in 64usize..400,
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..6),
        version in 1u64..1000,
    ) {
        let params = policy(seed).page_files;
        let old = image(pages);
        let mut new = old.clone();
        let mut touched: Vec<usize> = picks.iter().map(|ix| ix.index(pages)).collect();
        touched.sort_unstable();
        touched.dedup();
        rewrite(&mut new, &touched, version);
        let cuts = |d: &[u8]| -> HashSet<usize> {
            chunk_slice(d, &params).unwrap().iter().map(|s| s.offset + s.length).collect()
        };
        let (before, after) = (cuts(&old), cuts(&new));
        let max = params.max_size as usize;
        for c in &before {
            let near = touched
                .iter()
                .any(|&p| *c + max >= p * PAGE && *c <= (p + 1) * PAGE + 2 * max);
            if !near {
                prop_assert!(after.contains(c), "cut point {} far from any rewrite vanished", c);
            }
        }
        let restored = new_chunk_bytes(&old, &new, &params);
        prop_assert!(
            restored <= touched.len() * (PAGE + 3 * max),
            "{} pages rewritten re-store {} bytes", touched.len(), restored
        );
    }
}

/// The point of the page-file sizes: 1 % of the pages of a 24 MiB image rewritten at
/// scattered places re-store a small fraction of what the default 1 MiB chunks re-store.
#[test]
fn small_chunks_re_store_far_less_after_scattered_page_rewrites() {
    let pages = 3072;
    let old = image(pages);
    let mut new = old.clone();
    let touched: Vec<usize> = (0..31).map(|k| (k * 977 + 13) % pages).collect();
    rewrite(&mut new, &touched, 1);
    let p = policy(0x5eed);
    let small = new_chunk_bytes(&old, &new, &p.page_files);
    let large = new_chunk_bytes(&old, &new, &p.default);
    let page_bytes = touched.len() * PAGE;
    assert!(
        small <= 8 * page_bytes,
        "small chunks re-store {small} bytes for {page_bytes} rewritten"
    );
    assert!(
        large >= 10 * small,
        "default chunks {large} vs small {small}"
    );
}

/// Through the backup pipeline: a file named like a DB2 backup image and a stream stored
/// under a dump name get small chunks, a same-sized file under another name gets the
/// default ones, and after rewriting pages only a little is added; the restore is exact.
#[test]
fn backups_of_db_images_add_little_after_page_rewrites() {
    let (src, repo_dir, dst) = (tmp(), tmp(), tmp());
    let pages = 1024; // 8 MiB
    let mut img = image(pages);
    let db = src
        .path()
        .join("FILES.0.db2inst1.DBPART000.20241126010000.001");
    let other = src.path().join("blob.bin");
    fs::write(&db, &img).unwrap();
    fs::write(&other, &img).unwrap();
    let repo = init_repo(repo_dir.path());
    let opts = BackupOptions {
        host: "h".into(),
        ..BackupOptions::default()
    };
    let first = backup(&repo, &[src.path().to_path_buf()], &opts).unwrap();
    // 8 MiB at 16 KiB average: hundreds of chunks; at 1 MiB: a handful
    assert!(first.summary.data_blobs_new > 200, "{:?}", first.summary);
    let chunks_of = |name: &str| {
        let (_, snap) = repo.find_snapshot("latest").unwrap();
        vault::tree::find_entry(&repo, &snap, &src.path().join(name))
            .unwrap()
            .unwrap()
            .content
            .len()
    };
    let db_chunks = chunks_of("FILES.0.db2inst1.DBPART000.20241126010000.001");
    let other_chunks = chunks_of("blob.bin");
    assert!(db_chunks > 200, "{db_chunks}");
    assert!(other_chunks < 20, "{other_chunks}");

    let touched: Vec<usize> = (0..10).map(|k| k * 101 + 7).collect();
    rewrite(&mut img, &touched, 2);
    fs::write(&db, &img).unwrap();
    let second = backup(&repo, &[src.path().to_path_buf()], &opts).unwrap();
    assert_eq!(second.summary.files_changed, 1);
    let data_added = second.summary.bytes_added_raw;
    assert!(
        data_added < 10 * 8 * PAGE as u64 + 256 * 1024,
        "10 rewritten pages added {data_added} bytes: {:?}",
        second.summary
    );
    let r = restore(
        &repo,
        &second.snapshot,
        dst.path(),
        &RestoreOptions::default(),
    )
    .unwrap();
    assert!(r.damaged.is_empty());
    let back = dst.path().join(db.strip_prefix("/").unwrap());
    assert_eq!(fs::read(back).unwrap(), img);

    // a stream stored under a dump name is chunked like a file of that name
    let mut dump = image(256);
    rewrite(&mut dump, &(0..256).collect::<Vec<_>>(), 3);
    let streamed = backup_sources(
        &repo,
        vec![BackupSource::bytes("/dumps/cnx.bak", dump, 0o600, 0)],
        &opts,
    )
    .unwrap();
    assert!(
        streamed.summary.data_blobs_new > 50,
        "{:?}",
        streamed.summary
    );
}
