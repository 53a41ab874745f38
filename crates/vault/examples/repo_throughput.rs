//! Throughput of the repository layer's stages on this machine.
//!
//! `cargo run --release -p vault --example repo_throughput -- [MiB] [threads]`
//! (defaults: 256 MiB, 2 threads). Data: half incompressible noise, half text. The repository
//! is created in a temporary directory (tmpfs or disk, wherever TMPDIR points).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Instant;

use vault::{chunk_slice, BlobKind, InitOptions, KdfParams, Repository, Storage};

fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    seed |= 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn text(len: usize) -> Vec<u8> {
    let words = [
        "server ",
        "cell ",
        "node ",
        "profile ",
        "websphere ",
        "connections ",
        "\n",
    ];
    let mut out = Vec::with_capacity(len);
    let mut i = 1usize;
    while out.len() < len {
        out.extend_from_slice(words[i % words.len()].as_bytes());
        out.extend_from_slice(format!("{} ", i % 9973).as_bytes());
        i = i.wrapping_mul(1_103_515_245).wrapping_add(12345) >> 3;
    }
    out.truncate(len);
    out
}

fn rate(bytes: usize, secs: f64) -> String {
    format!("{:8.1} MiB/s", bytes as f64 / secs / (1024.0 * 1024.0))
}

/// `repo_throughput index N`: open time and memory of an index with N synthetic entries
/// (segments of 10,000 packs x 100 blobs, no pack data).
fn index_scale(n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let opts = InitOptions {
        kdf: KdfParams::insecure_fast(),
        ..InitOptions::default()
    };
    let repo = Repository::init(Storage::local(dir.path()).unwrap(), "bench", &opts).unwrap();
    let t = Instant::now();
    let per_pack = 100;
    let mut written = 0;
    let mut seg = Vec::new();
    for p in 0..n.div_ceil(per_pack) {
        let mut pid = [0u8; 32];
        pid[..8].copy_from_slice(&(p as u64).to_le_bytes());
        let entries: Vec<vault::PackEntry> = (0..per_pack.min(n - written))
            .map(|i| {
                let id = repo.id_of(&((written + i) as u64).to_le_bytes());
                vault::PackEntry {
                    kind: BlobKind::Data,
                    compression: vault::Compression::None,
                    id,
                    offset: (i * 1000) as u32,
                    stored_len: 1000,
                    raw_len: 972,
                }
            })
            .collect();
        written += entries.len();
        seg.push((vault::PackId(pid), entries));
        if seg.len() == 10_000 || written == n {
            repo.write_index_segment_of(&seg).unwrap();
            seg.clear();
        }
    }
    println!(
        "wrote {n} index entries in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    drop(repo);
    let t = Instant::now();
    let repo = Repository::open(Storage::local(dir.path()).unwrap(), "bench").unwrap();
    let (entries, heap) = repo.index_stats();
    println!(
        "open with {entries} index entries: {:.2} s, index heap {:.1} MiB ({} bytes per blob)",
        t.elapsed().as_secs_f64(),
        heap as f64 / 1048576.0,
        heap / entries.max(1)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("index") {
        index_scale(
            args.get(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1_000_000),
        );
        return;
    }
    let mib: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(256);
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let half = mib * 1024 * 1024 / 2;
    let mut data = noise(half, 42);
    data.extend(text(half));
    let total = data.len();

    let dir = tempfile::tempdir().unwrap();
    let repo = Arc::new(
        Repository::init(
            Storage::local(dir.path()).unwrap(),
            "bench",
            &InitOptions {
                kdf: KdfParams::insecure_fast(),
                ..InitOptions::default()
            },
        )
        .unwrap(),
    );

    let t = Instant::now();
    let spans = chunk_slice(&data, &repo.chunker()).unwrap();
    let chunk_secs = t.elapsed().as_secs_f64();
    println!(
        "chunk (FastCDC keyed, 1 thread)  {}  {} chunks",
        rate(total, chunk_secs),
        spans.len()
    );

    let t = Instant::now();
    let streamed: usize = vault::StreamChunker::new(&data[..], &repo.chunker())
        .unwrap()
        .map(|c| c.unwrap().data.len())
        .sum();
    assert_eq!(streamed, total);
    println!(
        "chunk (streaming, 1 thread)      {}",
        rate(total, t.elapsed().as_secs_f64())
    );

    let t = Instant::now();
    let ids: Vec<_> = spans
        .iter()
        .map(|s| repo.id_of(&data[s.offset..s.offset + s.length]))
        .collect();
    println!(
        "hash (BLAKE3 keyed, 1 thread)    {}",
        rate(total, t.elapsed().as_secs_f64())
    );

    let key = vault::crypto::MasterKey::generate().unwrap();
    for (label, range) in [("noise", 0..half), ("text", half..total)] {
        let t = Instant::now();
        let mut stored = 0;
        for (s, id) in spans.iter().zip(&ids) {
            if range.contains(&s.offset) {
                let b = &data[s.offset..s.offset + s.length];
                stored += vault::format::blob::encode_blob(&key, BlobKind::Data, id, b, Some(1))
                    .unwrap()
                    .stored
                    .len();
            }
        }
        println!(
            "encode {label:5} (zstd-1 if it pays + AES-GCM, 1 thread) {}  -> {:.1} MiB",
            rate(half, t.elapsed().as_secs_f64()),
            stored as f64 / 1048576.0
        );
    }
    let t = Instant::now();
    let buf = bytes::Bytes::from(noise(16 << 20, 7));
    for i in 0..8 {
        repo.storage()
            .write_bytes(&format!("bench/{i}"), buf.clone())
            .unwrap();
    }
    let storage_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for i in 0..8 {
        use std::io::Write;
        let tmp = dir.path().join(format!("raw{i}.tmp"));
        let mut f = std::fs::File::create(&tmp).unwrap();
        f.write_all(&buf).unwrap();
        f.sync_all().unwrap();
        std::fs::rename(&tmp, dir.path().join(format!("raw{i}"))).unwrap();
    }
    println!(
        "std::fs write 8 x 16 MiB (fsync + rename) {}",
        rate(8 << 24, t.elapsed().as_secs_f64())
    );
    println!(
        "storage write 8 x 16 MiB (fsync + rename) {}",
        rate(8 << 24, storage_secs)
    );

    let data = Arc::new(data);
    let spans = Arc::new(spans);
    let ids = Arc::new(ids);
    let t = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|w| {
            let (repo, data, spans, ids) = (repo.clone(), data.clone(), spans.clone(), ids.clone());
            std::thread::spawn(move || {
                for (i, s) in spans.iter().enumerate().skip(w).step_by(threads) {
                    repo.save_blob(BlobKind::Data, ids[i], &data[s.offset..s.offset + s.length])
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    repo.flush().unwrap();
    let save_secs = t.elapsed().as_secs_f64();
    let st = repo.session_stats();
    println!(
        "save_blob+flush ({threads} threads)       {}  stored {:.1} MiB of {:.1} MiB, {} packs, {} compressed blobs",
        rate(total, save_secs),
        st.bytes_stored as f64 / 1048576.0,
        st.bytes_raw as f64 / 1048576.0,
        st.packs,
        st.blobs_compressed
    );

    let t = Instant::now();
    let again = spans
        .iter()
        .zip(ids.iter())
        .filter(|(s, id)| {
            repo.save_blob(BlobKind::Data, **id, &data[s.offset..s.offset + s.length])
                .unwrap()
        })
        .count();
    println!(
        "save_blob of known blobs        {}  ({again} new)",
        rate(total, t.elapsed().as_secs_f64())
    );

    let t = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|w| {
            let (repo, ids) = (repo.clone(), ids.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                for id in ids.iter().skip(w).step_by(threads) {
                    n += repo.load_blob(BlobKind::Data, id).unwrap().len();
                }
                n
            })
        })
        .collect();
    let loaded: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(loaded, total);
    println!(
        "load_blob ({threads} threads)             {}",
        rate(total, t.elapsed().as_secs_f64())
    );

    let t = Instant::now();
    drop(repo);
    let repo = Repository::open(Storage::local(dir.path()).unwrap(), "bench").unwrap();
    println!(
        "open (index {} entries)          {:.3} s",
        repo.index_stats().0,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let report = vault::repair::rebuild_index(&repo).unwrap();
    println!(
        "repair index ({} packs)          {:.3} s",
        report.packs_read,
        t.elapsed().as_secs_f64()
    );
}
