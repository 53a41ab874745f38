//! Fuzz target: connections version strings (IIM offering versions, iFix ids, buildlevel,
//! the uninstall-launcher Build: line) and the restore rules over whatever parses.
#![no_main]

use connections::version::{
    can_restore_content, can_restore_provision, parse_buildlevel, parse_launcher_build, IFixId,
    OfferingVersion, Version,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_buildlevel(&text);
    let _ = parse_launcher_build(&text);
    let _ = text.parse::<IFixId>();
    let mut halves = text.splitn(2, '\n');
    let a = halves.next().unwrap_or_default().parse::<OfferingVersion>();
    let b = halves.next().unwrap_or_default().parse::<OfferingVersion>();
    if let (Ok(a), Ok(b)) = (a, b) {
        let (a, b) = (Version::new(a, []), Version::new(b, []));
        let content = can_restore_content(&a, &b);
        if can_restore_provision(&a, &b).is_ok() {
            assert!(content.is_ok(), "provision allowed where content is refused");
        }
        let _ = content.map_err(|e| e.to_string());
    }
});
