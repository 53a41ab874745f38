//! Fuzz target: websphere serverindex reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    if let Ok(idx) = websphere::parse_serverindex(data, file) {
        for s in &idx.servers {
            let _ = s.application_names();
        }
    }
});
