//! Fuzz target: vault `keys/<id>` decoder and master-key material parser.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Decoding never runs Argon2 (that needs a password); only the JSON and bounds checks.
    let _ = vault::format::keyfile::decode_key_file(data, "keys/fuzz");
    let _ = vault::crypto::MasterKey::from_bytes(data);
});
