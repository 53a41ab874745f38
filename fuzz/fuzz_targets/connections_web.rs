//! Fuzz target: the web tier's readers — httpd.conf directives, plugin-cfg.xml and the
//! products' `.product` version files — read whatever a web server's host has.
#![no_main]

use std::path::Path;

use connections::discover::web::httpd::{file_directives, key_database_companions, wildcard_match};
use connections::discover::web::parse_product_version;
use connections::discover::web::plugin_cfg::parse_plugin_cfg;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for d in file_directives(&text) {
        let _ = key_database_companions(&d.value);
        let _ = wildcard_match(&d.value, "ssl.conf");
    }
    let _ = parse_plugin_cfg(
        &text,
        Path::new("/opt/IBM/WebSphere/Plugins/config/w/plugin-cfg.xml"),
    );
    let _ = parse_product_version(
        &text,
        Path::new("/opt/IBM/HTTPServer/properties/version/IHS.product"),
    );
});
