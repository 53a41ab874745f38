//! Fuzz target: vault snapshot document decoder (plaintext and sealed).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vault::format::snapshot::decode_snapshot(data, "snapshots/fuzz");
    if let Ok(key) = vault::crypto::MasterKey::from_bytes(&[[1u8].as_slice(), &[7u8; 72]].concat())
    {
        let _ = vault::format::snapshot::open_snapshot(&key, data, "snapshots/fuzz");
    }
});
