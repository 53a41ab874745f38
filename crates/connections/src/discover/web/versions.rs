//! The version an IBM product install states about itself: `properties/version/<ID>.product`
//! (`<product><id>IHS</id><version>9.0.5.18</version>…`), which IHS and the WebSphere
//! plug-in ship as WebSphere does (`versionInfo.sh` prints it).

use std::path::Path;

use websphere::error::ReadError;
use websphere::Sysroot;

use crate::discover::Warnings;

/// `<root>/properties/version/<id>.product`'s `<version>`; `None` when the file is absent.
/// A file that is there but unreadable or malformed is a warning.
pub(super) fn product_version(
    sys: &Sysroot,
    root: &str,
    id: &str,
    w: &mut Warnings,
) -> Option<String> {
    let file = Path::new(root).join(format!("properties/version/{id}.product"));
    let text = match sys.read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return None,
        Err(e) => {
            w.push_err(
                &ReadError::from(e),
                format!("the {id} version is taken from Installation Manager's record"),
            );
            return None;
        }
    };
    match parse_product_version(&text, &file) {
        Ok(v) => Some(v),
        Err(e) => {
            w.push_err(
                &e,
                format!("the {id} version is taken from Installation Manager's record"),
            );
            None
        }
    }
}

/// The version an install under `root` states (`properties/version/<id>.product`), read
/// quietly: `None` when it is not there or unreadable (a restore's gate compares it).
pub fn installed_version(sys: &Sysroot, root: &Path, id: &str) -> Option<String> {
    let file = root.join(format!("properties/version/{id}.product"));
    let text = sys.read_to_string(&file).ok()?;
    parse_product_version(&text, &file).ok()
}

/// The `<version>` of a `.product` file.
pub fn parse_product_version(text: &str, file: &Path) -> Result<String, ReadError> {
    let doc = crate::discover::ibm_xml::parse(text).map_err(|e| {
        ReadError::parse(
            file,
            Some(u64::from(e.pos().row)),
            format!("malformed XML: {e}"),
        )
    })?;
    doc.descendants()
        .find(|n| n.has_tag_name("version"))
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ReadError::parse(file, None, "no <version> element"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_product_version() {
        let f = Path::new("/opt/IBM/HTTPServer/properties/version/IHS.product");
        let text = "<?xml version=\"1.0\"?>\n<!DOCTYPE product PUBLIC \"productId\" \"product.dtd\">\n<product name=\"IBM HTTP Server\">\n  <id>IHS</id>\n  <version>9.0.5.18</version>\n</product>\n";
        assert_eq!(parse_product_version(text, f).unwrap(), "9.0.5.18");
        assert!(parse_product_version("<product/>", f).is_err());
        assert!(parse_product_version("<product", f).is_err());
    }
}
