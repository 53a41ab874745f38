//! Fuzz target: websphere password reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    let _ = file;
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = websphere::Password::from_attribute(text);
        let _ = websphere::is_local_file_registry_user(text);
    }
});
