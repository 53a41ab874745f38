//! Small helpers for writing XML text.

/// Escapes a value for use inside a double- or single-quoted attribute or text node.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#xA;"),
            _ => out.push(c),
        }
    }
    out
}

/// A stable xmi:id suffix from a counter (WebSphere writes ids like `DataSource_1360172651393`).
pub(crate) fn xmi_id(prefix: &str, n: usize) -> String {
    format!("{prefix}_{}", 1_686_740_000_000u64 + (n as u64) * 7919)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::esc("a<b&\"c'"), "a&lt;b&amp;&quot;c&apos;");
    }
}
