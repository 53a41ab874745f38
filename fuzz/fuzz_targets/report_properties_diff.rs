//! Fuzz target: the key-by-key properties diff of `diff` reads files from the snapshots. It
//! must never panic, a file compared with itself has no changes, and a value whose key
//! names a password is never shown.
#![no_main]

use libfuzzer_sys::fuzz_target;
use report::diff::diff_properties;

fuzz_target!(|data: &[u8]| {
    let (old, new) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    if let Ok(d) = diff_properties(old, new) {
        for c in d
            .changes
            .iter()
            .filter(|c| c.key.to_ascii_lowercase().contains("password"))
        {
            assert!(c.masked, "{c:?}");
        }
    }
    if let Ok(same) = diff_properties(old, old) {
        assert!(same.changes.is_empty(), "{:?}", same.changes);
    }
});
