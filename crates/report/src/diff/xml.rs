//! A structural diff of two versions of an XML configuration file (WebSphere `*.xml` under a
//! profile's `config/`, Connections' `LotusConnections-config.xml`, …): which elements were
//! added or removed and which attributes (or text) changed, never a raw text diff.
//!
//! Elements are named by a path such as `/security:Security/authDataEntries[@alias='x']`.
//! Siblings are matched by tag and *key*: the first identifying attribute they carry
//! ([`KEY_ATTRIBUTES`]: `name`, `serviceName`, …, `xmi:id`), so reordering keyed siblings is
//! no change. Repeated siblings without a key but with only text (WebSphere's
//! `<deployedApplications>`) are keyed by their text; anything else is matched by position
//! among the siblings with the same tag (`[2]`).
//!
//! Values that look like secrets (attributes named like a password, `{xor}`/`{aes}` values,
//! the `value` of a property named `password`) are never returned: they read `***`, with
//! [`XmlChange::masked`] set.

use std::collections::BTreeMap;

use roxmltree::{Document, Node, ParsingOptions};
use serde::Serialize;

/// Files larger than this (either version) are not parsed.
pub const XML_SIZE_LIMIT: u64 = 8 * 1024 * 1024;

/// At most this many changes are kept per file; the rest are counted in
/// [`XmlDiff::truncated`].
pub const MAX_CHANGES_PER_FILE: usize = 10_000;

/// Values longer than this many characters are cut (with `…`).
const MAX_VALUE_CHARS: usize = 512;

/// The attribute (qualified name) used as a sibling's key: the first one present wins.
pub const KEY_ATTRIBUTES: [&str; 9] = [
    "name",
    "serviceName",
    "symbolicName",
    "alias",
    "serverName",
    "endPointName",
    "id",
    "xmi:id",
    "key",
];

/// Written in place of a secret value.
pub const MASK: &str = "***";

/// What kind of change one [`XmlChange`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum XmlChangeKind {
    ElementAdded,
    ElementRemoved,
    AttributeAdded,
    AttributeRemoved,
    AttributeChanged,
    TextChanged,
}

impl XmlChangeKind {
    /// A short word for listings.
    pub fn as_str(self) -> &'static str {
        match self {
            XmlChangeKind::ElementAdded => "element added",
            XmlChangeKind::ElementRemoved => "element removed",
            XmlChangeKind::AttributeAdded => "attribute added",
            XmlChangeKind::AttributeRemoved => "attribute removed",
            XmlChangeKind::AttributeChanged => "attribute changed",
            XmlChangeKind::TextChanged => "text changed",
        }
    }
}

/// One structural change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct XmlChange {
    pub change: XmlChangeKind,
    /// The element's path (`/cell:Cell/servers[@name='server1']`).
    pub path: String,
    /// The attribute's qualified name (attribute changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    /// The value before (attribute/text changes; `***` when masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The value after (attribute/text changes; `***` when masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// An added or removed element's own attributes (secrets masked).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// The values are secrets and were replaced by `***`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
}

/// Every structural change between two versions of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct XmlDiff {
    pub changes: Vec<XmlChange>,
    /// Changes beyond [`MAX_CHANGES_PER_FILE`] that were counted but not kept.
    pub truncated: usize,
}

/// A version that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {side} version is not well-formed XML: {message}")]
pub struct XmlDiffError {
    /// `old` or `new`.
    pub side: &'static str,
    /// The parser's message (position and reason; no content).
    pub message: String,
}

/// Whether a stored path names an XML configuration file the diff parses: `*.xml` or
/// `*.xmi` inside a `config` directory (WebSphere profiles, the LotusConnections-config
/// directory), or one of the well-known file names anywhere (`profileRegistry.xml`).
pub fn is_config_xml(path: &str) -> bool {
    const KNOWN: [&str; 7] = [
        "LotusConnections-config.xml",
        "resources.xml",
        "security.xml",
        "serverindex.xml",
        "fileRegistry.xml",
        "profileRegistry.xml",
        "installed.xml",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    if !(lower.ends_with(".xml") || lower.ends_with(".xmi")) {
        return false;
    }
    KNOWN.contains(&name) || path.split('/').any(|c| c == "config")
}

/// Parses both versions and lists the structural changes.
pub fn diff_xml(old: &[u8], new: &[u8]) -> Result<XmlDiff, XmlDiffError> {
    let old_text = as_text(old).map_err(|message| XmlDiffError {
        side: "old",
        message,
    })?;
    let new_text = as_text(new).map_err(|message| XmlDiffError {
        side: "new",
        message,
    })?;
    // No DTDs (the default): configuration files have none, and nothing gets expanded.
    let a = Document::parse_with_options(old_text, ParsingOptions::default()).map_err(|e| {
        XmlDiffError {
            side: "old",
            message: e.to_string(),
        }
    })?;
    let b = Document::parse_with_options(new_text, ParsingOptions::default()).map_err(|e| {
        XmlDiffError {
            side: "new",
            message: e.to_string(),
        }
    })?;
    let mut out = Collector::default();
    let (ra, rb) = (a.root_element(), b.root_element());
    if qname(ra) == qname(rb) {
        // The root is alone: its tag names it, no key needed.
        compare(ra, rb, &format!("/{}", qname(ra)), &mut out);
    } else {
        out.element(XmlChangeKind::ElementRemoved, ra, format!("/{}", qname(ra)));
        out.element(XmlChangeKind::ElementAdded, rb, format!("/{}", qname(rb)));
    }
    Ok(XmlDiff {
        changes: out.changes,
        truncated: out.truncated,
    })
}

fn as_text(bytes: &[u8]) -> Result<&str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 ({e})"))
}

#[derive(Default)]
struct Collector {
    changes: Vec<XmlChange>,
    truncated: usize,
}

impl Collector {
    fn push(&mut self, c: XmlChange) {
        if self.changes.len() < MAX_CHANGES_PER_FILE {
            self.changes.push(c);
        } else {
            self.truncated += 1;
        }
    }

    fn element(&mut self, change: XmlChangeKind, node: Node, path: String) {
        let attributes = attributes(node)
            .into_iter()
            .map(|(name, value)| {
                let shown = if is_secret(node, &name, &value) {
                    MASK.to_string()
                } else {
                    cut(&value)
                };
                (name, shown)
            })
            .collect();
        self.push(XmlChange {
            change,
            path,
            attribute: None,
            old: None,
            new: None,
            attributes,
            masked: false,
        });
    }

    fn value(
        &mut self,
        change: XmlChangeKind,
        path: &str,
        attribute: Option<String>,
        old: Option<&str>,
        new: Option<&str>,
        masked: bool,
    ) {
        let show = |v: Option<&str>| v.map(|v| if masked { MASK.to_string() } else { cut(v) });
        self.push(XmlChange {
            change,
            path: path.to_string(),
            attribute,
            old: show(old),
            new: show(new),
            attributes: BTreeMap::new(),
            masked,
        });
    }
}

/// Compares two matched elements (same path): attributes, text, then children.
fn compare(a: Node, b: Node, path: &str, out: &mut Collector) {
    let (aa, ba) = (attributes(a), attributes(b));
    for (name, old) in &aa {
        let masked = is_secret(a, name, old) || ba.get(name).is_some_and(|n| is_secret(b, name, n));
        match ba.get(name) {
            Some(new) if new == old => {}
            Some(new) => out.value(
                XmlChangeKind::AttributeChanged,
                path,
                Some(name.clone()),
                Some(old),
                Some(new),
                masked,
            ),
            None => out.value(
                XmlChangeKind::AttributeRemoved,
                path,
                Some(name.clone()),
                Some(old),
                None,
                masked,
            ),
        }
    }
    for (name, new) in &ba {
        if !aa.contains_key(name) {
            out.value(
                XmlChangeKind::AttributeAdded,
                path,
                Some(name.clone()),
                None,
                Some(new),
                is_secret(b, name, new),
            );
        }
    }
    let (ta, tb) = (own_text(a), own_text(b));
    if ta != tb {
        let masked = secret_text(a) || secret_text(b);
        out.value(
            XmlChangeKind::TextChanged,
            path,
            None,
            Some(&ta),
            Some(&tb),
            masked,
        );
    }
    compare_children(a, b, path, out);
}

/// The identity of a child among its siblings: tag and key.
type GroupKey = (String, Option<(String, String)>);

fn compare_children(a: Node, b: Node, path: &str, out: &mut Collector) {
    let ga = groups(a);
    let gb = groups(b);
    // Document order: the old file's groups first, then the ones only the new file has.
    let mut order: Vec<&GroupKey> = ga.iter().map(|(k, _)| k).collect();
    for (k, _) in &gb {
        if !ga.iter().any(|(x, _)| x == k) {
            order.push(k);
        }
    }
    let empty = Vec::new();
    for key in order {
        let xs = ga.iter().find(|(k, _)| k == key).map_or(&empty, |(_, v)| v);
        let ys = gb.iter().find(|(k, _)| k == key).map_or(&empty, |(_, v)| v);
        let repeated = xs.len() > 1 || ys.len() > 1;
        for i in 0..xs.len().max(ys.len()) {
            let seg = segment(&key.0, key.1.as_ref(), repeated.then_some(i + 1));
            let child = format!("{}/{seg}", path.trim_end_matches('/'));
            match (xs.get(i), ys.get(i)) {
                (Some(x), Some(y)) => compare(*x, *y, &child, out),
                (Some(x), None) => out.element(XmlChangeKind::ElementRemoved, *x, child),
                (None, Some(y)) => out.element(XmlChangeKind::ElementAdded, *y, child),
                (None, None) => {}
            }
        }
    }
}

/// Element children grouped by [`GroupKey`], groups in order of first appearance.
fn groups<'a, 'i>(parent: Node<'a, 'i>) -> Vec<(GroupKey, Vec<Node<'a, 'i>>)> {
    let children: Vec<Node> = parent.children().filter(|n| n.is_element()).collect();
    let mut tag_count: BTreeMap<String, usize> = BTreeMap::new();
    for c in &children {
        *tag_count.entry(qname(*c)).or_default() += 1;
    }
    let mut out: Vec<(GroupKey, Vec<Node>)> = Vec::new();
    for c in children {
        let tag = qname(c);
        let repeated = tag_count.get(&tag).copied().unwrap_or(0) > 1;
        let key = (tag, key_of(c, repeated));
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(c),
            None => out.push((key, vec![c])),
        }
    }
    out
}

/// The key of an element: its first [`KEY_ATTRIBUTES`] attribute (not a secret-looking
/// value), or, for a repeated leaf element with text and no attributes, its text.
fn key_of(node: Node, repeated: bool) -> Option<(String, String)> {
    let attrs = attributes(node);
    for k in KEY_ATTRIBUTES {
        if let Some(v) = attrs.get(k) {
            if !looks_encoded(v) {
                return Some((format!("@{k}"), v.clone()));
            }
        }
    }
    if repeated && attrs.is_empty() && !node.children().any(|c| c.is_element()) {
        let text = own_text(node);
        if !text.is_empty() && text.chars().count() <= 200 && !secret_text(node) {
            return Some(("text()".to_string(), text));
        }
    }
    None
}

/// `tag`, `tag[@name='x']`, `tag[2]`, `tag[@name='x'][2]`.
fn segment(tag: &str, key: Option<&(String, String)>, index: Option<usize>) -> String {
    let mut s = tag.to_string();
    if let Some((attr, value)) = key {
        let quote = if value.contains('\'') { '"' } else { '\'' };
        s.push_str(&format!("[{attr}={quote}{}{quote}]", cut(value)));
    }
    if let Some(i) = index {
        s.push_str(&format!("[{i}]"));
    }
    s
}

/// `prefix:local` as the document spells it (local name alone for the default namespace).
fn qname(node: Node) -> String {
    let tag = node.tag_name();
    match tag.namespace().and_then(|ns| node.lookup_prefix(ns)) {
        Some(p) if !p.is_empty() => format!("{p}:{}", tag.name()),
        _ => tag.name().to_string(),
    }
}

/// Attributes by qualified name.
fn attributes(node: Node) -> BTreeMap<String, String> {
    node.attributes()
        .map(|a| {
            let name = match a.namespace().and_then(|ns| node.lookup_prefix(ns)) {
                Some(p) if !p.is_empty() => format!("{p}:{}", a.name()),
                _ => a.name().to_string(),
            };
            (name, a.value().to_string())
        })
        .collect()
}

/// The element's own text (its text children, trimmed), without the descendants' text.
fn own_text(node: Node) -> String {
    let mut s = String::new();
    for c in node.children().filter(|c| c.is_text()) {
        s.push_str(c.text().unwrap_or_default());
    }
    s.trim().to_string()
}

fn cut(value: &str) -> String {
    if value.chars().count() <= MAX_VALUE_CHARS {
        value.to_string()
    } else {
        let mut s: String = value.chars().take(MAX_VALUE_CHARS).collect();
        s.push('…');
        s
    }
}

/// A name that says it holds a secret.
fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["password", "passwd", "pwd", "secret", "passphrase"]
        .iter()
        .any(|w| lower.contains(w))
}

/// WebSphere's encoded secrets: `{xor}…`, `{aes}…`, `{custom:…}…`: a `{tag}` prefix.
fn looks_encoded(value: &str) -> bool {
    let v = value.trim_start();
    let Some(rest) = v.strip_prefix('{') else {
        return false;
    };
    match rest.find('}') {
        Some(end) if end > 0 && end <= 24 => rest.get(..end).is_some_and(|tag| {
            tag.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
        }),
        _ => false,
    }
}

/// The element names a secret: its tag, or its `name`/`key`-like attribute (a
/// `<resourceProperties name="password" value="…"/>`).
fn names_a_secret(node: Node) -> bool {
    secret_name(node.tag_name().name())
        || ["name", "key", "symbolicName", "propertyName"]
            .iter()
            .any(|k| node.attribute(*k).is_some_and(secret_name))
}

/// Whether attribute `name` = `value` of `node` must be masked.
fn is_secret(node: Node, name: &str, value: &str) -> bool {
    if secret_name(name) || looks_encoded(value) {
        return true;
    }
    let local = name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase();
    local.contains("value") && names_a_secret(node)
}

/// Whether the element's text must be masked.
fn secret_text(node: Node) -> bool {
    names_a_secret(node) || looks_encoded(&own_text(node))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn changes(old: &str, new: &str) -> Vec<XmlChange> {
        diff_xml(old.as_bytes(), new.as_bytes()).unwrap().changes
    }

    const NS: &str = "xmlns:xmi=\"http://www.omg.org/XMI\" xmlns:cell=\"urn:cell\"";

    #[test]
    fn attribute_change_is_reported_old_to_new_with_a_keyed_path() {
        let old = format!("<cell:Cell {NS} name=\"c\"><servers name=\"server1\" port=\"9080\"/><servers name=\"server2\" port=\"9081\"/></cell:Cell>");
        let new = old.replace("9080", "9090");
        let c = changes(&old, &new);
        assert_eq!(c.len(), 1, "{c:#?}");
        assert_eq!(c[0].change, XmlChangeKind::AttributeChanged);
        assert_eq!(c[0].path, "/cell:Cell/servers[@name='server1']");
        assert_eq!(c[0].attribute.as_deref(), Some("port"));
        assert_eq!(c[0].old.as_deref(), Some("9080"));
        assert_eq!(c[0].new.as_deref(), Some("9090"));
        assert!(!c[0].masked);
    }

    #[test]
    fn elements_added_and_removed_are_keyed_by_name() {
        let old = "<r><ds name=\"a\" j=\"1\"/><ds name=\"b\" j=\"2\"/></r>";
        let new = "<r><ds name=\"b\" j=\"2\"/><ds name=\"c\" j=\"3\"/></r>";
        let c = changes(old, new);
        assert_eq!(c.len(), 2, "{c:#?}");
        assert_eq!(c[0].change, XmlChangeKind::ElementRemoved);
        assert_eq!(c[0].path, "/r/ds[@name='a']");
        assert_eq!(c[1].change, XmlChangeKind::ElementAdded);
        assert_eq!(c[1].path, "/r/ds[@name='c']");
        assert_eq!(c[1].attributes.get("j").map(String::as_str), Some("3"));
    }

    #[test]
    fn keyed_siblings_in_another_order_are_no_change() {
        let old = "<r><s name=\"a\" v=\"1\"/><s name=\"b\" v=\"2\"/><e>x</e><e>y</e></r>";
        let new = "<r><e>y</e><s name=\"b\" v=\"2\"/><e>x</e><s name=\"a\" v=\"1\"/></r>";
        assert!(changes(old, new).is_empty());
        // ...while a value change under a moved sibling is still found
        let c = changes(old, &new.replace("v=\"1\"", "v=\"5\""));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].path, "/r/s[@name='a']");
    }

    #[test]
    fn xmi_ids_and_unkeyed_positions_name_elements() {
        let old = format!(
            "<cell:Cell {NS}><p xmi:id=\"P_1\" v=\"1\"/><q v=\"1\"/><q v=\"2\"/></cell:Cell>"
        );
        let new = old
            .replace("v=\"2\"", "v=\"3\"")
            .replace("<p xmi:id=\"P_1\" v=\"1\"/>", "<p xmi:id=\"P_1\" v=\"0\"/>");
        let c = changes(&old, &new);
        let paths: Vec<&str> = c.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["/cell:Cell/p[@xmi:id='P_1']", "/cell:Cell/q[2]"]);
    }

    #[test]
    fn secrets_are_masked_everywhere() {
        let old = "<s><authDataEntries alias=\"a\" userId=\"u\" password=\"{xor}Lz4sLCgwLTs=\"/>\
                   <p name=\"password\" value=\"plain1\"/><k token=\"{aes}ABCDEF\"/></s>";
        let new = "<s><authDataEntries alias=\"a\" userId=\"v\" password=\"{xor}NEWSECRET\"/>\
                   <p name=\"password\" value=\"plain2\"/><k token=\"{aes}GHIJKL\"/>\
                   <authDataEntries alias=\"b\" password=\"{xor}ADDED\"/></s>";
        let d = diff_xml(old.as_bytes(), new.as_bytes()).unwrap();
        let json = serde_json::to_string(&d).unwrap();
        for secret in [
            "Lz4sLCgwLTs",
            "NEWSECRET",
            "plain1",
            "plain2",
            "ABCDEF",
            "GHIJKL",
            "ADDED",
        ] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        let pw = d
            .changes
            .iter()
            .find(|c| c.attribute.as_deref() == Some("password"))
            .unwrap();
        assert!(pw.masked);
        assert_eq!(pw.old.as_deref(), Some(MASK));
        assert_eq!(pw.new.as_deref(), Some(MASK));
        // the non-secret neighbour is shown
        let user = d
            .changes
            .iter()
            .find(|c| c.attribute.as_deref() == Some("userId"))
            .unwrap();
        assert_eq!(user.new.as_deref(), Some("v"));
        let added = d
            .changes
            .iter()
            .find(|c| c.change == XmlChangeKind::ElementAdded)
            .unwrap();
        assert_eq!(
            added.attributes.get("password").map(String::as_str),
            Some(MASK)
        );
        assert_eq!(d.changes.iter().filter(|c| c.masked).count(), 3);
    }

    #[test]
    fn secret_text_content_is_masked() {
        let old = "<c><property name=\"db.password\">old-secret</property><x>1</x></c>";
        let new = "<c><property name=\"db.password\">new-secret</property><x>2</x></c>";
        let c = changes(old, new);
        assert_eq!(c.len(), 2);
        assert!(c[0].masked && c[0].old.as_deref() == Some(MASK));
        assert_eq!(
            (c[1].old.as_deref(), c[1].new.as_deref()),
            (Some("1"), Some("2"))
        );
    }

    #[test]
    fn malformed_xml_is_an_error_naming_the_side() {
        let e = diff_xml(b"<a><b></a>", b"<a/>").unwrap_err();
        assert_eq!(e.side, "old");
        let e = diff_xml(b"<a/>", b"<a x='1' x='2'/>").unwrap_err();
        assert_eq!(e.side, "new");
        assert!(diff_xml(b"<a/>", &[0xff, 0xfe, 0x00]).is_err());
        // a DTD is refused, not expanded
        let dtd = b"<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>";
        assert!(diff_xml(b"<a/>", dtd).is_err());
    }

    #[test]
    fn a_different_root_is_one_removal_and_one_addition() {
        let c = changes("<a name=\"1\"/>", "<b/>");
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].path, "/a");
        assert_eq!(c[1].path, "/b");
    }

    #[test]
    fn identical_documents_and_formatting_only_changes_are_no_change() {
        let old = "<?xml version=\"1.0\"?>\n<a x=\"1\">\n  <b y=\"2\"/>\n</a>\n";
        let new = "\u{feff}<a   x='1'><b y='2'></b></a>";
        assert!(changes(old, new).is_empty());
    }

    /// A tiny deterministic generator, so the property below needs no extra crate.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % n as u64) as usize
        }
    }

    fn doc(items: &[(usize, usize)]) -> String {
        let mut s = String::from("<r>");
        for (k, v) in items {
            s.push_str(&format!("<s name=\"k{k}\" v=\"{v}\"><t n=\"{k}\"/></s>"));
        }
        s.push_str("</r>");
        s
    }

    #[test]
    fn property_shuffles_are_no_change_and_single_edits_are_found_exactly() {
        let mut rng = Lcg(7);
        for case in 0..200 {
            let n = 1 + rng.next(12);
            let items: Vec<(usize, usize)> = (0..n).map(|k| (k, rng.next(100))).collect();
            let mut shuffled = items.clone();
            for i in (1..shuffled.len()).rev() {
                shuffled.swap(i, rng.next(i + 1));
            }
            let a = doc(&items);
            assert!(changes(&a, &doc(&shuffled)).is_empty(), "case {case}");
            // one value edited, in the shuffled order: exactly that attribute
            let pick = rng.next(n);
            let mut edited = shuffled.clone();
            let key = edited[pick].0;
            edited[pick].1 += 1000;
            let c = changes(&a, &doc(&edited));
            assert_eq!(c.len(), 1, "case {case}: {c:#?}");
            assert_eq!(c[0].path, format!("/r/s[@name='k{key}']"));
            assert_eq!(c[0].attribute.as_deref(), Some("v"));
            // one element dropped: exactly that removal
            let mut dropped = shuffled.clone();
            let gone = dropped.remove(pick).0;
            let c = changes(&a, &doc(&dropped));
            assert_eq!(c.len(), 1, "case {case}: {c:#?}");
            assert_eq!(c[0].change, XmlChangeKind::ElementRemoved);
            assert_eq!(c[0].path, format!("/r/s[@name='k{gone}']"));
        }
    }

    #[test]
    fn config_xml_paths_are_recognised() {
        assert!(is_config_xml(
            "/opt/IBM/WebSphere/AppServer/profiles/Dmgr01/config/cells/c/security.xml"
        ));
        assert!(is_config_xml("/x/LotusConnections-config.xml"));
        assert!(is_config_xml(
            "/opt/IBM/WebSphere/AppServer/properties/profileRegistry.xml"
        ));
        assert!(!is_config_xml("/opt/IBM/Connections/data/shared/x.xml"));
        assert!(!is_config_xml("/x/config/readme.txt"));
    }
}
