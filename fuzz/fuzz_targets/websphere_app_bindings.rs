//! Fuzz target: websphere app_bindings reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    let _ = websphere::parse_application_bnd_xmi(data, file);
    let _ = websphere::parse_application_bnd_xml(data, file);
    if let Ok(roles) = websphere::parse_application_xml_roles(data, file) {
        if let Ok(mut m) = websphere::parse_application_bnd_xmi(data, file) {
            websphere::resolve_role_refs(&mut m, &roles);
        }
    }
});
