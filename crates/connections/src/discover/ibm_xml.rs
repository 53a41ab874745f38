//! Parsing IBM's small XML records (`installed.xml`, `installRegistry.xml`, `*.efix`,
//! `*.product`).

/// Parses `text` as a DOM. IBM's records often start with a document type declaration
/// (`<!DOCTYPE efix SYSTEM "efix.dtd">`), which roxmltree refuses by default; it is allowed
/// here (roxmltree never fetches external DTDs and bounds entity expansion), so a healthy
/// install is read without a warning.
pub(crate) fn parse(text: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn doctype_declarations_are_read() {
        let doc = super::parse(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE efix PUBLIC \"efixId\" \"efix.dtd\">\n<efix id=\"LO93624\"/>",
        )
        .unwrap();
        assert_eq!(doc.root_element().attribute("id"), Some("LO93624"));
        // an internal subset is fine too; entities expand within roxmltree's limits
        let doc = super::parse("<!DOCTYPE p [<!ENTITY v \"8.0\">]><p version=\"&v;\"/>").unwrap();
        assert_eq!(doc.root_element().attribute("version"), Some("8.0"));
    }
}
