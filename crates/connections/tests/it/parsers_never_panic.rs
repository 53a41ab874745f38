//! Every prefix of a valid document, and arbitrary bytes, parse to Ok or to an error that
//! names the file — never a panic.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use connections::discover::iim::{parse_install_registry, parse_installed_xml};
use connections::discover::version_files::{parse_efix, parse_lcc_buildlevel};
use proptest::prelude::*;

const INSTALLED: &str = "<?xml version='1.0' encoding='UTF-8'?>\n<installInfo>\n  <location id='HCL Connections' path='/opt/HCL/Connections' kind='product'>\n    <package id='com.ibm.connections' version='8.0.0.0_CR14'/>\n  </location>\n  <property name='cacheLocation' value='/opt/IBM/IMShared'/>\n</installInfo>\n";
const EFIX: &str = "<?xml version=\"1.0\"?>\n<efix id=\"LO93624\" short-description=\"Common\" build-version=\"20180207.1553\" build-date=\"02/07/2018\">\n  <component-update component-name=\"common\"/>\n</efix>\n";
const LCC: &str = "<?xml version=\"1.0\"?>\n<config buildlevel=\"IC8.0_CR14_20230601_1200\" id=\"LotusConnections\">\n<sloc/>\n</config>\n";

#[test]
fn every_truncation_is_handled_and_named() {
    let file = Path::new("/var/ibm/InstallationManager/installed.xml");
    for cut in 0..INSTALLED.len() {
        if let Err(e) = parse_installed_xml(&INSTALLED[..cut], file) {
            assert!(e.to_string().contains("installed.xml"), "{e}");
        }
        if let Err(e) = parse_install_registry(&INSTALLED[..cut], file) {
            assert!(e.to_string().contains("installed.xml"), "{e}");
        }
    }
    let efix = Path::new("/opt/IBM/Connections/version/LO93624.efix");
    for cut in 0..EFIX.len() {
        if let Err(e) = parse_efix(&EFIX[..cut], efix) {
            assert!(e.to_string().contains("LO93624.efix"), "{e}");
        }
    }
    let lcc = Path::new("/x/LotusConnections-config.xml");
    for cut in 0..LCC.len() {
        if let Err(e) = parse_lcc_buildlevel(&LCC.as_bytes()[..cut], lcc) {
            assert!(e.to_string().contains("LotusConnections-config.xml"), "{e}");
        }
    }
    // The whole documents parse.
    assert!(parse_installed_xml(INSTALLED, file).is_ok());
    assert!(parse_efix(EFIX, efix).is_ok());
    assert!(parse_lcc_buildlevel(LCC.as_bytes(), lcc).unwrap().is_some());
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&data);
        let f = Path::new("/f");
        let _ = parse_installed_xml(&text, f);
        let _ = parse_install_registry(&text, f);
        let _ = parse_efix(&text, f);
        let _ = parse_lcc_buildlevel(&data, f);
    }

    #[test]
    fn xml_like_noise_never_panics(s in "[<>/='\" a-zA-Z_.0-9\n]{0,300}") {
        let f = Path::new("/f");
        let _ = parse_installed_xml(&s, f);
        let _ = parse_install_registry(&s, f);
        let _ = parse_efix(&s, f);
        let _ = parse_lcc_buildlevel(s.as_bytes(), f);
    }
}
