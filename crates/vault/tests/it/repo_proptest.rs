//! Property: any sequence of blobs round-trips through packs, and the index rebuilt from the
//! pack trailers alone equals the index written during the session.
#![allow(clippy::unwrap_used)]

use crate::repo_common;

use proptest::prelude::*;
use repo_common::*;
use vault::BlobKind;

fn blob_strategy() -> impl Strategy<Value = (bool, Vec<u8>, bool)> {
    (
        any::<bool>(),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..2000),
            (1usize..200_000, any::<u64>()).prop_map(|(n, s)| noise(n, s)),
            (1usize..300_000, any::<u64>()).prop_map(|(n, s)| text(n, s)),
        ],
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn blobs_round_trip_and_trailers_rebuild_the_index(
        blobs in prop::collection::vec(blob_strategy(), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let repo = init(dir.path());
        let mut saved = Vec::new();
        for (is_tree, bytes, flush_after) in &blobs {
            let kind = if *is_tree { BlobKind::Tree } else { BlobKind::Data };
            let id = repo.id_of(bytes);
            repo.save_blob(kind, id, bytes).unwrap();
            saved.push((kind, id, bytes.clone()));
            if *flush_after {
                repo.flush().unwrap();
            }
        }
        repo.flush().unwrap();
        drop(repo);

        let repo = open(dir.path());
        for (kind, id, bytes) in &saved {
            prop_assert_eq!(&repo.load_blob(*kind, id).unwrap(), bytes);
        }
        let written = repo.index_entries();
        let report = vault::repair::rebuild_index(&repo).unwrap();
        prop_assert!(report.packs_failed.is_empty());
        prop_assert_eq!(report.blobs_recovered, 0);
        prop_assert_eq!(repo.index_entries(), written.clone());
        drop(repo);
        let repo = open(dir.path());
        prop_assert_eq!(repo.index_entries(), written);
    }
}
