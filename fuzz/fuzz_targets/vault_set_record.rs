//! Fuzz target: vault set record decoder.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vault::format::set_record::decode_set_record(data, "sets/fuzz");
});
