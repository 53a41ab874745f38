//! Fuzz target: websphere variables reader(s). Any input must give Ok or Err, never a panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = Path::new("/fuzz/input");
    if let Ok(entries) = websphere::parse_variables(data, file) {
        let mut vars = websphere::Variables::new();
        vars.set_builtin("WAS_INSTALL_ROOT", "/opt/IBM/WebSphere/AppServer");
        vars.add_scope(
            websphere::ConfigScope::Cell { cell: "c".into() },
            file.to_path_buf(),
            entries.clone(),
        );
        for e in &entries {
            let _ = vars.resolve(&e.name);
            let _ = vars.expand_lenient(&e.value);
        }
    }
});
