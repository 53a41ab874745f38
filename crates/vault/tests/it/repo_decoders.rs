//! Every decoder of repository objects returns an error (never panics) on random and
//! truncated inputs. The fuzz targets in `fuzz/` drive the same functions.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use vault::crypto::MasterKey;
use vault::format::{blob, config, index, keyfile, lock, pack, snapshot};
use vault::{BlobId, BlobKind, Compression};

fn key() -> MasterKey {
    MasterKey::from_bytes(&[[1u8].as_slice(), &[7u8; 72]].concat()).unwrap()
}

fn all_decoders(bytes: &[u8]) {
    let k = key();
    let _ = config::decode_config(bytes);
    let _ = keyfile::decode_key_file(bytes, "keys/x");
    let _ = pack::decode_trailer(bytes, bytes.len() as u64);
    let _ = pack::decode_trailer(bytes, u64::MAX);
    let _ = pack::decode_footer(bytes);
    let _ = pack::decode_pack(&k, bytes);
    let _ = index::decode_index_segment(bytes);
    let _ = index::open_index_segment(&k, bytes);
    let _ = snapshot::decode_snapshot(bytes, "snapshots/x");
    let _ = snapshot::open_snapshot(&k, bytes, "snapshots/x");
    let _ = lock::decode_lock(bytes, "locks/x");
    let _ = MasterKey::from_bytes(bytes);
    for c in [Compression::None, Compression::Zstd] {
        let _ = blob::decode_blob(&k, BlobKind::Data, &BlobId([0; 32]), c, 1000, bytes);
    }
}

/// Valid encodings of every object, to truncate and mutate.
fn valid_objects() -> Vec<Vec<u8>> {
    let k = key();
    let entries: Vec<pack::PackEntry> = (0..3u32)
        .map(|i| pack::PackEntry {
            kind: BlobKind::Data,
            compression: Compression::Zstd,
            id: BlobId([i as u8; 32]),
            offset: i * 10,
            stored_len: 10,
            raw_len: 20,
        })
        .collect();
    let cfg = config::RepoConfig::new([1; 32], &vault::ChunkerParams::default(), 1, 16 << 20);
    let kf = keyfile::KeyFile::create(
        &k,
        "pw",
        vault::KdfParams::insecure_fast(),
        "h".into(),
        "u".into(),
        0,
    )
    .unwrap();
    let mut packed = vec![0u8; 30];
    packed.extend(pack::build_tail(&k, &entries).unwrap());
    let seg = vec![(vault::PackId([9; 32]), entries.clone())];
    let text = b"some text some text some text some text some text".repeat(40);
    let blob = blob::encode_blob(&k, BlobKind::Data, &k.blob_id(&text), &text, Some(1)).unwrap();
    vec![
        cfg.encode(),
        kf.encode(),
        pack::encode_trailer(&entries),
        packed,
        index::encode_index_segment(&seg),
        index::seal_index_segment(&k, &seg).unwrap().1,
        br#"{"format_version":1,"time":1,"host":"h","paths":[],"tree":"0000000000000000000000000000000000000000000000000000000000000000"}"#.to_vec(),
        blob.stored,
    ]
}

#[test]
fn truncations_of_valid_objects_never_panic() {
    for obj in valid_objects() {
        for n in 0..obj.len().min(4096) {
            all_decoders(&obj[..n]);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        all_decoders(&bytes);
    }

    #[test]
    fn mutated_valid_objects_never_panic(which in 0usize..8, pos in any::<usize>(), val in any::<u8>()) {
        let mut obj = valid_objects().swap_remove(which);
        let i = pos % obj.len();
        obj[i] = val;
        all_decoders(&obj);
    }
}
