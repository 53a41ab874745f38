//! Fuzz target: the tree blob decoder must never panic, and whatever it accepts must
//! re-encode to the same bytes (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vault::tree::{decode_tree, encode_tree};

fuzz_target!(|data: &[u8]| {
    if let Ok(tree) = decode_tree(data) {
        assert_eq!(encode_tree(&tree), data);
    }
});
