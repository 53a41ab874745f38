//! A small, namespace-tolerant XML tree built on quick-xml, plus the helpers every reader
//! shares: input decoding, line numbers and error mapping.
//!
//! WebSphere documents are XMI with many prefixes (`xmi:`, `process:`, `wim:`...). The
//! readers match elements and attributes by *local name* and ignore whether a prefix was
//! declared, so a hand-written or partly inferred file still reads. Well-formedness is
//! still enforced: mismatched or missing end tags, bad entities and truncation are errors
//! naming the file and line.

use std::borrow::Cow;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::ReadError;

/// Deeper nesting than this is refused: no WebSphere file comes close, and the limit keeps
/// hostile input from exhausting the stack when the tree is dropped.
const MAX_DEPTH: usize = 256;

/// Turns the raw bytes of a configuration file into text. UTF-8 (with or without BOM) is
/// the norm; files that declare ISO-8859-1 (or Java properties, which default to it) are
/// decoded byte-for-char. Anything else that is not UTF-8 is an error naming the line.
pub(crate) fn decode_text<'a>(
    input: &'a [u8],
    file: &Path,
    latin1_allowed: bool,
) -> Result<Cow<'a, str>, ReadError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.starts_with(b"\xFF\xFE") || input.starts_with(b"\xFE\xFF") {
        return Err(ReadError::parse(
            file,
            Some(1),
            "UTF-16 encoded files are not supported",
        ));
    }
    match std::str::from_utf8(input) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(e) => {
            if latin1_allowed || declares_latin1(input) {
                Ok(Cow::Owned(input.iter().map(|&b| char::from(b)).collect()))
            } else {
                let line = line_of(input, e.valid_up_to());
                Err(ReadError::parse(
                    file,
                    Some(line),
                    "file is not valid UTF-8 and declares no single-byte encoding",
                ))
            }
        }
    }
}

fn declares_latin1(input: &[u8]) -> bool {
    let head = &input[..input.len().min(200)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    head.starts_with("<?xml")
        && [
            "iso-8859-1",
            "iso8859-1",
            "latin1",
            "windows-1252",
            "us-ascii",
        ]
        .iter()
        .any(|enc| head.contains(enc))
}

/// 1-based line of byte offset `pos` in `text`.
pub(crate) fn line_of(text: &[u8], pos: usize) -> u64 {
    let end = pos.min(text.len());
    count_newlines(&text[..end]) + 1
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Incremental line numbers for a forward-moving parser: each call counts only the bytes
/// since the previous one, so a whole file costs one pass.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// 1-based line of byte offset `pos`.
    pub(crate) fn line_at(&mut self, pos: u64) -> u64 {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if pos < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += count_newlines(&self.text[self.pos..pos]);
        self.pos = pos;
        self.line
    }
}

/// Describes a quick-xml error without quoting document content that could be secret
/// (entity errors echo the text around them).
pub(crate) fn describe_xml_error(err: &quick_xml::Error) -> String {
    match err {
        quick_xml::Error::Escape(_) => "invalid entity or character reference".to_string(),
        quick_xml::Error::InvalidAttr(_) => "malformed attribute".to_string(),
        other => format!("malformed XML: {other}"),
    }
}

/// Resolves a general reference (`amp`, `#x41`...) met in text content.
pub(crate) fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// The part of a qualified name after the last `:`.
pub(crate) fn local_part(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

/// One element of the tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct Element {
    /// Qualified name as written (`process:Server`).
    pub qname: String,
    /// Attributes as (qualified name, unescaped value), in document order.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Concatenated character data directly inside this element (not trimmed).
    pub text: String,
    /// 1-based line of the start tag.
    pub line: u64,
}

impl Element {
    /// Local name (`Server` for `process:Server`).
    pub fn local(&self) -> &str {
        local_part(&self.qname)
    }

    /// Attribute by qualified name if present as written, else by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| self.attrs.iter().find(|(k, _)| local_part(k) == name))
            .map(|(_, v)| v.as_str())
    }

    /// Attribute as an owned, trimmed, non-empty string.
    pub fn attr_string(&self, name: &str) -> Option<String> {
        self.attr(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The local part of the `xmi:type` / `xsi:type` attribute (`WebServer` for
    /// `webserver:WebServer`).
    pub fn type_local(&self) -> Option<&str> {
        self.attr("type").map(local_part)
    }

    /// Children with the given local name.
    pub fn children_named<'s>(&'s self, local: &'s str) -> impl Iterator<Item = &'s Element> + 's {
        self.children.iter().filter(move |c| c.local() == local)
    }

    /// First child with the given local name.
    pub fn child(&self, local: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.local() == local)
    }

    /// Trimmed text of the first child with that local name, if non-empty.
    pub fn child_text(&self, local: &str) -> Option<String> {
        self.child(local)
            .map(|c| c.text.trim().to_string())
            .filter(|t| !t.is_empty())
    }

    /// Every element below this one, depth first, in document order.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack: Vec<&Element> = self.children.iter().rev().collect();
        while let Some(e) = stack.pop() {
            out.push(e);
            stack.extend(e.children.iter().rev());
        }
        out
    }
}

/// Reads the attributes of a start tag as owned (qname, unescaped value) pairs.
pub(crate) fn read_attrs(
    start: &BytesStart<'_>,
    file: &Path,
    line: u64,
) -> Result<Vec<(String, String)>, ReadError> {
    let mut out = Vec::new();
    for attr in start.attributes() {
        let attr = attr
            .map_err(|_| ReadError::parse(file, Some(line), "malformed or duplicate attribute"))?;
        let key = attr.key.as_ref().to_string();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|_| {
                ReadError::parse(
                    file,
                    Some(line),
                    format!("attribute {key}: invalid entity or character reference"),
                )
            })?;
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

/// Parses a whole document into a tree and returns its root element.
pub(crate) fn parse_document(input: &[u8], file: &Path) -> Result<Element, ReadError> {
    let text = decode_text(input, file, false)?;
    let mut reader = Reader::from_str(&text);
    let mut lines = LineCounter::new(&text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let line = lines.line_at(reader.error_position());
                return Err(ReadError::parse(file, Some(line), describe_xml_error(&e)));
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                let line = lines.line_at(before);
                return Err(ReadError::parse(
                    file,
                    Some(line),
                    "content after the root element",
                ));
            }
            Event::Start(start) => {
                let line = lines.line_at(before);
                if stack.len() >= MAX_DEPTH {
                    return Err(ReadError::parse(
                        file,
                        Some(line),
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                stack.push(new_element(&start, file, line)?);
            }
            Event::Empty(start) => {
                let line = lines.line_at(before);
                let element = new_element(&start, file, line)?;
                attach(&mut stack, &mut root, element);
            }
            Event::End(_) => {
                // quick-xml has already checked that the name matches.
                if let Some(element) = stack.pop() {
                    attach(&mut stack, &mut root, element);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.xml10_content());
                } else if !t.into_inner().trim().is_empty() {
                    let line = lines.line_at(before);
                    return Err(ReadError::parse(
                        file,
                        Some(line),
                        "text outside the root element",
                    ));
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&c.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let line = lines.line_at(before);
                let name = r.into_inner();
                let ch = resolve_reference(&name).ok_or_else(|| {
                    ReadError::parse(file, Some(line), "unknown entity or character reference")
                })?;
                if let Some(top) = stack.last_mut() {
                    top.text.push(ch);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        let line = lines.line_at(text.len() as u64);
        return Err(ReadError::parse(
            file,
            Some(line),
            format!(
                "file ends inside <{}> opened at line {} (truncated?)",
                open.qname, open.line
            ),
        ));
    }
    root.ok_or_else(|| ReadError::parse(file, None, "no root element (empty file?)"))
}

fn new_element(start: &BytesStart<'_>, file: &Path, line: u64) -> Result<Element, ReadError> {
    Ok(Element {
        qname: start.name().as_ref().to_string(),
        attrs: read_attrs(start, file, line)?,
        children: Vec::new(),
        text: String::new(),
        line,
    })
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

/// Requires the root element to have the given local name.
pub(crate) fn expect_root(root: &Element, local: &str, file: &Path) -> Result<(), ReadError> {
    if root.local() == local {
        Ok(())
    } else {
        Err(ReadError::parse(
            file,
            Some(root.line),
            format!("expected root element <{local}>, found <{}>", root.qname),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("/x/test.xml")
    }

    #[test]
    fn tolerates_undeclared_prefixes_and_reads_local_names() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<a:Root xmi:id="r1" b:name="n &amp; m">
  <child x="1">hello &lt;world&gt; &#x41;<![CDATA[<raw>]]></child>
</a:Root>"#;
        let root = parse_document(doc, p()).unwrap();
        assert_eq!(root.local(), "Root");
        assert_eq!(root.attr("id"), Some("r1"));
        assert_eq!(root.attr("name"), Some("n & m"));
        let child = root.child("child").unwrap();
        assert_eq!(child.text, "hello <world> A<raw>");
        assert_eq!(child.line, 3);
    }

    #[test]
    fn truncated_document_names_file_and_line() {
        let doc = b"<a>\n  <b>\n    <c/>\n";
        let err = parse_document(doc, p()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("/x/test.xml:4:"), "{msg}");
        assert!(msg.contains("<b> opened at line 2"), "{msg}");
    }

    #[test]
    fn mismatched_end_tag_names_line() {
        let doc = b"<a>\n<b>\n</c>\n</a>";
        let err = parse_document(doc, p()).unwrap_err();
        assert_eq!(err.line(), Some(3), "{err}");
    }

    #[test]
    fn unknown_entities_do_not_echo_content() {
        let doc = b"<a pw=\"{xor}&secretish;\"/>";
        let err = parse_document(doc, p()).unwrap_err();
        assert!(!err.to_string().contains("secretish"), "{err}");
        let doc = b"<a>&secretish;</a>";
        let err = parse_document(doc, p()).unwrap_err();
        assert!(!err.to_string().contains("secretish"), "{err}");
    }

    #[test]
    fn empty_and_deep_inputs_are_errors_not_panics() {
        assert!(parse_document(b"", p()).is_err());
        assert!(parse_document(b"   ", p()).is_err());
        let deep = "<a>".repeat(10_000);
        assert!(parse_document(deep.as_bytes(), p()).is_err());
        assert!(parse_document(b"<a/><b/>", p()).is_err());
    }

    #[test]
    fn latin1_declared_files_decode() {
        let doc = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a n=\"caf\xe9\"/>";
        let root = parse_document(doc, p()).unwrap();
        assert_eq!(root.attr("n"), Some("caf\u{e9}"));
        let err = parse_document(b"<a>\n\xff</a>", p()).unwrap_err();
        assert_eq!(err.line(), Some(2));
    }
}
