//! Fuzz target: the structural XML diff of `diff` reads files from the snapshots, which hold
//! whatever the deployment had. It must never panic on any pair of inputs, and a document
//! compared with itself has no changes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use report::diff::diff_xml;

fuzz_target!(|data: &[u8]| {
    // the two versions, split at the first NUL byte (none: the same document twice)
    let (old, new) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    let _ = diff_xml(old, new);
    if let Ok(same) = diff_xml(old, old) {
        assert!(same.changes.is_empty(), "{:?}", same.changes);
    }
});
