//! Fuzz target: websphere resources reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    if let Ok(res) = websphere::parse_resources(data, file) {
        for ds in &res.datasources {
            let _ = ds.endpoint();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = websphere::parse_jdbc_url(text);
    }
});
