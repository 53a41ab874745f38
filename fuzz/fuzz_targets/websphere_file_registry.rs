//! Fuzz target: websphere file_registry reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    if let Ok(reg) = websphere::parse_file_registry(data, file) {
        let _ = reg.is_local_user("filenetAdmin");
    }
});
