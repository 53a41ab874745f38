//! Fuzz target: vault lock document decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vault::format::lock::decode_lock(data, "locks/fuzz");
});
