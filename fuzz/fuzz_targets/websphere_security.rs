//! Fuzz target: websphere security reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    if let Ok(sec) = websphere::parse_security_xml(data, file) {
        let _ = sec.auth_data("filenetAdmin");
        let _ = format!("{sec:?}");
    }
});
