//! Fuzz target: Installation Manager installed.xml and installRegistry.xml readers.
#![no_main]

use std::path::Path;

use connections::discover::iim::{parse_install_registry, parse_installed_xml};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let file = Path::new("/var/ibm/InstallationManager/installed.xml");
    if let Ok(i) = parse_installed_xml(&text, file) {
        let _ = i.im_install_dir();
        let _ = i.find_package(|id| id == "com.ibm.connections");
    }
    let _ = parse_install_registry(&text, file);
});
