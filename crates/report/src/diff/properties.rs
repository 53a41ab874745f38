//! A key-by-key diff of two versions of a Java properties file (the profile sync
//! solution's `profiles_tdi.properties` and mapping files, WebSphere's `*.properties`):
//! which keys were added or removed and which values changed, never a raw text diff.
//!
//! Values that look like secrets are never returned: a key that names one (`password`,
//! `secret`, `pwd`, …: TDI's `{protect}-` keys such as
//! `{protect}-source_ldap_password` too) or a value TDI or WebSphere encoded (`{encr}…`,
//! `{xor}…`, `{aes}…`) reads `***`, with [`PropertyChange::masked`] set.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use super::xml::MASK;

/// At most this many changes are kept per file; the rest are counted.
pub const MAX_PROPERTY_CHANGES: usize = 10_000;

/// Values longer than this many characters are cut (with `…`).
const MAX_VALUE_CHARS: usize = 512;

/// What kind of change one [`PropertyChange`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyChangeKind {
    Added,
    Removed,
    Changed,
}

/// One changed key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropertyChange {
    pub change: PropertyChangeKind,
    pub key: String,
    /// The value before (`***` when masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The value after (`***` when masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
    /// The values are secrets and were replaced by `***`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
}

/// Every key-level change between two versions of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PropertiesDiff {
    pub changes: Vec<PropertyChange>,
    /// Changes beyond [`MAX_PROPERTY_CHANGES`] that were counted but not kept.
    pub truncated: usize,
}

/// A version that could not be parsed.
#[derive(Debug, thiserror::Error)]
#[error("the {side} version is not a readable properties file")]
pub struct PropertiesDiffError {
    /// `old` or `new`.
    pub side: &'static str,
    /// The parser's error (line and reason; no value).
    #[source]
    pub source: websphere::ReadError,
}

/// Whether a stored path names a properties file the diff compares key by key.
pub fn is_config_properties(path: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".properties")
}

/// Parses both versions and lists the changed keys, in key order.
pub fn diff_properties(old: &[u8], new: &[u8]) -> Result<PropertiesDiff, PropertiesDiffError> {
    let parse = |bytes: &[u8], side: &'static str| {
        websphere::parse_properties(bytes, Path::new(side))
            .map(|p| p.to_map())
            .map_err(|source| PropertiesDiffError { side, source })
    };
    let (a, b) = (parse(old, "old")?, parse(new, "new")?);
    let mut out = PropertiesDiff::default();
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let change = match (a.get(key), b.get(key)) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(_), Some(_)) => PropertyChangeKind::Changed,
            (None, Some(_)) => PropertyChangeKind::Added,
            (Some(_), None) => PropertyChangeKind::Removed,
            (None, None) => continue,
        };
        if out.changes.len() >= MAX_PROPERTY_CHANGES {
            out.truncated += 1;
            continue;
        }
        out.changes
            .push(one_change(change, key, a.get(key), b.get(key)));
    }
    Ok(out)
}

fn one_change(
    change: PropertyChangeKind,
    key: &str,
    old: Option<&String>,
    new: Option<&String>,
) -> PropertyChange {
    let masked =
        secret_key(key) || old.is_some_and(|v| encoded(v)) || new.is_some_and(|v| encoded(v));
    let show = |v: Option<&String>| v.map(|v| if masked { MASK.to_string() } else { cut(v) });
    PropertyChange {
        change,
        key: key.to_string(),
        old: show(old),
        new: show(new),
        masked,
    }
}

/// A key that names a secret (conservative: any mention of one).
fn secret_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "passphrase",
        "credential",
        "{protect}",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// A value TDI (`{encr}`, `{protect}`) or WebSphere (`{xor}`, `{aes}`) encoded: a short
/// `{tag}` prefix.
fn encoded(value: &str) -> bool {
    let v = value.trim_start();
    let Some(rest) = v.strip_prefix('{') else {
        return false;
    };
    rest.find('}').is_some_and(|end| {
        end > 0
            && end <= 24
            && rest[..end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.'))
    })
}

fn cut(value: &str) -> String {
    if value.chars().count() <= MAX_VALUE_CHARS {
        return value.to_string();
    }
    let mut s: String = value.chars().take(MAX_VALUE_CHARS).collect();
    s.push('…');
    s
}

/// The changes of one file as `key → (old, new)`, for tests and renderers that want a map.
pub fn as_map(d: &PropertiesDiff) -> BTreeMap<&str, (Option<&str>, Option<&str>)> {
    d.changes
        .iter()
        .map(|c| (c.key.as_str(), (c.old.as_deref(), c.new.as_deref())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# profiles_tdi.properties\nsource_ldap_url=ldap://ldap1.example.com:389\nsource_ldap_user_login=cn=tdi,o=example\n{protect}-source_ldap_password={encr}AAAbbb==\ndbrepos_jdbc_url=jdbc:db2://db2:50000/peopledb\ndbrepos_password={encr}Zm9vYmFy\nsync_updates_hash_field=guid\n";
    const NEW: &str = "# profiles_tdi.properties\nsource_ldap_url=ldap://ldap2.example.com:636\nsource_ldap_user_login=cn=tdi,o=example\n{protect}-source_ldap_password={encr}CCCddd==\ndbrepos_jdbc_url=jdbc:db2://db2:50000/peopledb\ndbrepos_password=plain-after-edit\nsource_ldap_use_ssl=true\n";

    #[test]
    fn lists_changed_keys_with_secrets_masked() {
        let d = diff_properties(OLD.as_bytes(), NEW.as_bytes()).unwrap();
        let m = as_map(&d);
        assert_eq!(
            m["source_ldap_url"],
            (
                Some("ldap://ldap1.example.com:389"),
                Some("ldap://ldap2.example.com:636")
            )
        );
        assert_eq!(m["source_ldap_use_ssl"], (None, Some("true")));
        assert_eq!(m["sync_updates_hash_field"], (Some("guid"), None));
        assert_eq!(
            m["{protect}-source_ldap_password"],
            (Some(MASK), Some(MASK))
        );
        assert_eq!(m["dbrepos_password"], (Some(MASK), Some(MASK)));
        assert!(!m.contains_key("dbrepos_jdbc_url"));
        let json = serde_json::to_string(&d).unwrap();
        for secret in ["AAAbbb", "CCCddd", "Zm9vYmFy", "plain-after-edit"] {
            assert!(!json.contains(secret), "{json}");
        }
    }

    #[test]
    fn encoded_values_are_masked_whatever_the_key() {
        let d = diff_properties(b"a={xor}Lz4sLCgwLTs=\n", b"a={xor}Lz4sLCgwLTt=\n").unwrap();
        assert!(d.changes[0].masked);
        assert!(is_config_properties(
            "/opt/IBM/TDI/tdisol/profiles_tdi.properties"
        ));
        assert!(!is_config_properties("/opt/x.props"));
    }

    #[test]
    fn a_bad_escape_is_an_error_without_the_value() {
        let e = diff_properties(b"k=v\n", b"k=\\uZZZZsecret\n").unwrap_err();
        assert_eq!(e.side, "new");
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_never_shows_a_secret_keyed_value(a in ".{0,200}", b in ".{0,200}") {
            let _ = diff_properties(a.as_bytes(), b.as_bytes());
            let old = format!("db_password={a}\n");
            let new = format!("db_password={b}x\n");
            if let Ok(d) = diff_properties(old.as_bytes(), new.as_bytes()) {
                for c in &d.changes {
                    proptest::prop_assert!(c.masked);
                    proptest::prop_assert_eq!(c.new.as_deref(), Some(MASK));
                }
            }
        }
    }
}
