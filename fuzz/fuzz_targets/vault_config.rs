//! Fuzz target: vault `config` object decoder. Any input must give Ok or Err, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = vault::format::config::decode_config(data);
});
