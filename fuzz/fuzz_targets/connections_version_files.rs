//! Fuzz target: `version/*.efix` documents and the LotusConnections-config.xml build level.
#![no_main]

use std::path::Path;

use connections::discover::version_files::{parse_efix, parse_lcc_buildlevel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/opt/IBM/Connections/version/LO00000.efix");
    let _ = parse_efix(&String::from_utf8_lossy(data), file);
    let _ = parse_lcc_buildlevel(data, file);
});
