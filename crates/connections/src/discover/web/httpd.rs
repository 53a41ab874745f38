//! The directives of an IBM HTTP Server configuration file (`httpd.conf` and the files it
//! includes) that say which other files the server needs: `ServerRoot`, `Include` /
//! `IncludeOptional`, the SSL key database (`KeyFile`, whose stash and request databases lie
//! beside it), the WebSphere plug-in's configuration (`WebSpherePluginConfig`) and the logs.
//!
//! Pure: text in, directives out. Apache's syntax is line based; a directive's name is
//! case-insensitive, its arguments may be quoted, `#` starts a comment line and a trailing
//! `\` continues a line. Anything else is ignored, never an error: only the directives above
//! matter here.

/// One directive whose argument names a file, with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDirective {
    /// What it is.
    pub kind: DirectiveKind,
    /// Its first argument, unquoted, as written (relative paths are relative to the
    /// `ServerRoot`).
    pub value: String,
    /// 1-based line.
    pub line: u64,
}

/// The directives that name files the web server needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `ServerRoot`.
    ServerRoot,
    /// `Include`: a file or a wildcard that must match.
    Include,
    /// `IncludeOptional`: a file or a wildcard that may match nothing.
    IncludeOptional,
    /// `KeyFile` (mod_ibm_ssl): the CMS key database (`.kdb`).
    KeyFile,
    /// `WebSpherePluginConfig`: the plug-in's `plugin-cfg.xml`.
    PluginConfig,
    /// `ErrorLog` or `CustomLog`/`TransferLog` (a file; a piped logger is left out).
    Log,
}

impl DirectiveKind {
    fn of(name: &str) -> Option<DirectiveKind> {
        Some(match name.to_ascii_lowercase().as_str() {
            "serverroot" => DirectiveKind::ServerRoot,
            "include" => DirectiveKind::Include,
            "includeoptional" => DirectiveKind::IncludeOptional,
            "keyfile" => DirectiveKind::KeyFile,
            "webspherepluginconfig" => DirectiveKind::PluginConfig,
            "errorlog" | "customlog" | "transferlog" => DirectiveKind::Log,
            _ => return None,
        })
    }
}

/// The file-naming directives of `text`, in file order.
pub fn file_directives(text: &str) -> Vec<FileDirective> {
    let mut out = Vec::new();
    let mut pending = String::new();
    let mut start = 0u64;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u64::try_from(i).unwrap_or(u64::MAX).saturating_add(1);
        if pending.is_empty() {
            start = line_no;
        }
        let trimmed = raw.trim_end();
        if let Some(head) = trimmed.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(trimmed);
        let logical = std::mem::take(&mut pending);
        if let Some(d) = directive(&logical, start) {
            out.push(d);
        }
    }
    if let Some(d) = directive(&pending, start) {
        out.push(d);
    }
    out
}

fn directive(logical: &str, line: u64) -> Option<FileDirective> {
    let body = logical.trim_start();
    if body.starts_with('#') || body.starts_with('<') {
        return None;
    }
    let (name, rest) = body.split_once(char::is_whitespace)?;
    let kind = DirectiveKind::of(name)?;
    let value = first_argument(rest.trim())?;
    // a piped logger (`ErrorLog "|/opt/IBM/HTTPServer/bin/rotatelogs ..."`) is no file
    if kind == DirectiveKind::Log && (value.starts_with('|') || value.starts_with("syslog")) {
        return None;
    }
    Some(FileDirective { kind, value, line })
}

/// The first argument: a quoted string (quotes removed) or the first word.
fn first_argument(rest: &str) -> Option<String> {
    let value = match rest.chars().next()? {
        q @ ('"' | '\'') => {
            let inner = &rest[1..];
            inner.split(q).next().unwrap_or(inner)
        }
        _ => rest.split_whitespace().next()?,
    };
    (!value.is_empty()).then(|| value.to_string())
}

/// The stash file and the other files GSKit keeps beside a key database: the same name
/// with `.sth` (the stashed password), `.rdb` (certificate requests) and `.crl`.
pub fn key_database_companions(kdb: &str) -> Vec<String> {
    let stem = kdb
        .strip_suffix(".kdb")
        .or_else(|| kdb.strip_suffix(".KDB"))
        .unwrap_or(kdb);
    ["sth", "rdb", "crl"]
        .iter()
        .map(|ext| format!("{stem}.{ext}"))
        .collect()
}

/// Whether the file name `name` matches the Apache wildcard `pattern` (`*` any run of
/// characters, `?` one character; no character classes).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "# IBM HTTP Server\nServerRoot \"/opt/IBM/HTTPServer\"\nListen 443\n\
        Include conf/extra/*.conf\nincludeoptional \"conf/local.d/*.conf\"\n\
        <VirtualHost *:443>\n  SSLEnable\n  KeyFile /opt/IBM/HTTPServer/ssl/key.kdb\n</VirtualHost>\n\
        ErrorLog \"|/opt/IBM/HTTPServer/bin/rotatelogs logs/error_log 86400\"\n\
        CustomLog logs/access_log common\nWebSpherePluginConfig \\\n  /opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml\n";

    #[test]
    fn finds_the_file_directives_with_their_lines() {
        let d = file_directives(CONF);
        let got: Vec<(DirectiveKind, &str, u64)> = d
            .iter()
            .map(|d| (d.kind, d.value.as_str(), d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                (DirectiveKind::ServerRoot, "/opt/IBM/HTTPServer", 2),
                (DirectiveKind::Include, "conf/extra/*.conf", 4),
                (DirectiveKind::IncludeOptional, "conf/local.d/*.conf", 5),
                (DirectiveKind::KeyFile, "/opt/IBM/HTTPServer/ssl/key.kdb", 8),
                (DirectiveKind::Log, "logs/access_log", 11),
                (
                    DirectiveKind::PluginConfig,
                    "/opt/IBM/WebSphere/Plugins/config/webserver1/plugin-cfg.xml",
                    12
                ),
            ]
        );
    }

    #[test]
    fn comments_sections_and_garbage_are_ignored() {
        assert!(file_directives("#KeyFile /x.kdb\n<IfModule x>\nKeyFile\n\0\u{feff}\n").is_empty());
        assert!(file_directives("KeyFile \"\"\nInclude '").is_empty());
    }

    #[test]
    fn companions_and_wildcards() {
        assert_eq!(
            key_database_companions("/ssl/key.kdb"),
            vec!["/ssl/key.sth", "/ssl/key.rdb", "/ssl/key.crl"]
        );
        assert!(wildcard_match("*.conf", "ssl.conf"));
        assert!(wildcard_match("a?c*", "abcdef"));
        assert!(!wildcard_match("*.conf", "ssl.conf.bak"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("x", ""));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in ".{0,400}") {
            let _ = file_directives(&text);
        }

        #[test]
        fn wildcard_star_matches_everything(name in "[a-z.]{0,20}") {
            proptest::prop_assert!(wildcard_match("*", &name));
            proptest::prop_assert!(wildcard_match(&name, &name));
        }
    }
}
