//! WebSphere's `{xor}` password encoding and the password attributes of its files.
//!
//! `{xor}` is obfuscation, not encryption: base64 of the password's bytes each XORed with
//! 0x5F (`_`). Decoded values live only in memory inside a [`Secret`] (the workspace's one
//! secret type, crate `secret`), whose `Debug`, `Display` and serde forms never show the value
//! and whose memory is wiped on drop.

use base64::Engine as _;
use serde::Serialize;
use zeroize::Zeroizing;

pub use ::secret::{Secret, MASK};

/// The key `{xor}` encoding XORs every byte with.
const XOR_KEY: u8 = 0x5F;

/// A password attribute as found in a WebSphere file.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Password {
    /// No password attribute, or an empty one.
    Missing,
    /// A `{xor}` value, decoded.
    Xor(Secret),
    /// A value without any `{scheme}` prefix, taken as is.
    Plain(Secret),
    /// Another scheme (`{aes}`, custom encryption) that this crate cannot decode; the
    /// scheme name is kept, the value is not.
    Encrypted {
        /// The scheme name without braces (`aes`).
        scheme: String,
    },
    /// A `{xor}` value that is not valid base64 or not UTF-8 once decoded.
    Invalid {
        /// Why (never the value).
        reason: String,
    },
}

impl Password {
    /// Classifies and, when possible, decodes a raw password attribute value.
    pub fn from_attribute(raw: &str) -> Password {
        let raw = raw.trim();
        if raw.is_empty() {
            return Password::Missing;
        }
        if let Some(rest) = strip_prefix_ignore_case(raw, "{xor}") {
            return match xor_decode(rest) {
                Ok(s) if s.is_empty() => Password::Missing,
                Ok(s) => Password::Xor(s),
                Err(e) => Password::Invalid {
                    reason: e.to_string(),
                },
            };
        }
        if let Some(body) = raw.strip_prefix('{') {
            if let Some((scheme, _)) = body.split_once('}') {
                if !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Password::Encrypted {
                        scheme: scheme.to_ascii_lowercase(),
                    };
                }
            }
        }
        Password::Plain(Secret::new(raw))
    }

    /// The decoded secret, when there is one.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            Password::Xor(s) | Password::Plain(s) => Some(s),
            _ => None,
        }
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Why a `{xor}` value cannot be decoded. No source is kept: the decoder's own error names
/// the offending byte, a piece of the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum XorDecodeError {
    /// The part after `{xor}` is not base64.
    #[error("{{xor}} value is not valid base64")]
    NotBase64,
    /// The decoded bytes are not UTF-8 text.
    #[error("{{xor}} value does not decode to UTF-8 text")]
    NotUtf8,
}

/// Decodes the part of a `{xor}` value after the prefix: base64, then every byte XOR 0x5F.
/// The error never contains the value.
pub fn xor_decode(encoded: &str) -> Result<Secret, XorDecodeError> {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = Zeroizing::new(
        engine
            .decode(encoded.trim())
            .map_err(|_| XorDecodeError::NotBase64)?,
    );
    let plain: Vec<u8> = bytes.iter().map(|b| b ^ XOR_KEY).collect();
    match String::from_utf8(plain) {
        Ok(s) => Ok(Secret::new(s)),
        Err(e) => {
            // Wipe the decoded bytes held by the error before reporting.
            let _wiped = Zeroizing::new(e.into_bytes());
            Err(XorDecodeError::NotUtf8)
        }
    }
}

/// Encodes a plaintext as WebSphere writes it: `{xor}` + base64(bytes XOR 0x5F). Useful to
/// generate test configurations.
pub fn xor_encode(plain: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(plain.bytes().map(|b| b ^ XOR_KEY).collect());
    format!("{{xor}}{}", engine.encode(&*bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_known_xor_value() {
        // "password" XOR 0x5F, base64: the value WebSphere writes for "password".
        let p = Password::from_attribute("{xor}Lz4sLCgwLTs=");
        assert_eq!(p.secret().unwrap().expose(), "password");
        assert!(matches!(p, Password::Xor(_)));
    }

    #[test]
    fn encode_decode_round_trip() {
        for plain in ["", "a", "pässwörd!", "with space and {braces}"] {
            let enc = xor_encode(plain);
            let p = Password::from_attribute(&enc);
            match plain {
                "" => assert!(matches!(p, Password::Missing)),
                _ => assert_eq!(p.secret().unwrap().expose(), plain),
            }
        }
    }

    #[test]
    fn classifies_other_forms() {
        assert!(matches!(Password::from_attribute(""), Password::Missing));
        assert!(matches!(
            Password::from_attribute("{xor}"),
            Password::Missing
        ));
        assert!(matches!(
            Password::from_attribute("{xor}!!notbase64"),
            Password::Invalid { .. }
        ));
        match Password::from_attribute("{aes}ABCDEF==") {
            Password::Encrypted { scheme } => assert_eq!(scheme, "aes"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Password::from_attribute("plain").secret().unwrap().expose(),
            "plain"
        );
    }

    #[test]
    fn secrets_never_show_in_debug_display_or_json() {
        let p = Password::from_attribute(&xor_encode("TopSecret42"));
        let s = p.secret().unwrap().clone();
        assert!(!format!("{p:?}").contains("TopSecret42"));
        assert!(!format!("{s:?}").contains("TopSecret42"));
        assert!(!format!("{s}").contains("TopSecret42"));
        assert!(!format!("{s:#?}").contains("TopSecret42"));
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("TopSecret42"), "{json}");
        assert!(json.contains(MASK));
    }

    #[test]
    fn invalid_errors_do_not_echo_the_value() {
        let p = Password::from_attribute("{xor}SECRET$$$");
        assert!(!format!("{p:?}").contains("SECRET"));
    }
}
