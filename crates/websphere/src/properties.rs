//! Java `.properties` files (`profileKey.metadata`, `portdef.props`, ...).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::ReadError;
use crate::sysroot::Sysroot;
use crate::xml::decode_text;

/// The key/value pairs of a properties file, in file order. A key that appears twice keeps
/// its last value for [`Properties::get`], as `java.util.Properties` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Properties {
    /// (key, value, 1-based line of the key) in file order.
    pub entries: Vec<(String, String, u64)>,
}

impl Properties {
    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, v, _)| v.as_str())
    }

    /// The line where `key` was last set.
    pub fn line_of(&self, key: &str) -> Option<u64> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, l)| *l)
    }

    /// Keys and their last values.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.entries
            .iter()
            .map(|(k, v, _)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Parses Java properties syntax: `#`/`!` comments, `=`, `:` or whitespace separators,
/// backslash line continuations and escapes (`\t`, `\n`, `\uXXXX`...). Non-UTF-8 input is
/// read as ISO-8859-1, the format's historical encoding. A malformed `\u` escape is an
/// error naming the line.
pub fn parse_properties(input: &[u8], file: &Path) -> Result<Properties, ReadError> {
    let text = decode_text(input, file, true)?;
    let mut entries = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((idx, raw)) = lines.next() {
        let first_line = idx as u64 + 1;
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!') {
            continue;
        }
        // Join continuation lines: an odd number of trailing backslashes continues.
        let mut logical = trimmed.to_string();
        while ends_with_odd_backslashes(&logical) {
            logical.pop();
            match lines.next() {
                Some((_, next)) => logical.push_str(next.trim_start()),
                None => break,
            }
        }
        let (key_raw, value_raw) = split_key_value(&logical);
        let key = unescape(key_raw, file, first_line)?;
        let value = unescape(value_raw, file, first_line)?;
        entries.push((key, value, first_line));
    }
    Ok(Properties { entries })
}

/// Reads a properties file at a product path through the sysroot.
pub fn read_properties(sys: &Sysroot, file: &Path) -> Result<Properties, ReadError> {
    let bytes = sys.read(file)?;
    parse_properties(&bytes, file)
}

fn ends_with_odd_backslashes(s: &str) -> bool {
    s.bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1
}

fn split_key_value(line: &str) -> (&str, &str) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'=' | b':' => {
                return (&line[..i], line[i + 1..].trim_start());
            }
            b' ' | b'\t' | b'\x0c' => {
                let rest = line[i..].trim_start();
                let rest = rest
                    .strip_prefix('=')
                    .or_else(|| rest.strip_prefix(':'))
                    .map_or(rest, str::trim_start);
                return (&line[..i], rest);
            }
            _ => i += 1,
        }
    }
    (line, "")
}

fn unescape(s: &str, file: &Path, line: u64) -> Result<String, ReadError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = (hex.len() == 4)
                    .then(|| u32::from_str_radix(&hex, 16).ok())
                    .flatten()
                    .and_then(char::from_u32)
                    .ok_or_else(|| {
                        ReadError::parse(file, Some(line), "malformed \\uXXXX escape")
                    })?;
                out.push(code);
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_java_properties_syntax() {
        let text = b"# comment\n! also\nkey1=value1\nkey2 : value 2\nkey3 value3\n\
                     multi=first \\\n    second\nesc=a\\tb\\u0041\\=\nempty=\n  spaced.key  =  v  \n";
        let p = parse_properties(text, Path::new("/p/x.props")).unwrap();
        assert_eq!(p.get("key1"), Some("value1"));
        assert_eq!(p.get("key2"), Some("value 2"));
        assert_eq!(p.get("key3"), Some("value3"));
        assert_eq!(p.get("multi"), Some("first second"));
        assert_eq!(p.get("esc"), Some("a\tbA="));
        assert_eq!(p.get("empty"), Some(""));
        assert_eq!(p.get("spaced.key"), Some("v  "));
        assert_eq!(p.line_of("key3"), Some(5));
    }

    #[test]
    fn bad_unicode_escape_names_line() {
        let err = parse_properties(b"a=1\nb=\\u12\n", Path::new("/p/x.props")).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("/p/x.props:2"));
    }

    #[test]
    fn latin1_bytes_are_accepted() {
        let p = parse_properties(b"name=caf\xe9", Path::new("/p")).unwrap();
        assert_eq!(p.get("name"), Some("caf\u{e9}"));
    }
}
