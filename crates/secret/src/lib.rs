//! The one type every crate of cnxbackup holds a secret in: the repository password, the
//! WebSphere and database passwords, `{xor}` values decoded from WebSphere's files, the S3
//! secret access key.
//!
//! A [`Secret`] keeps its value in memory that is wiped when it is dropped ([`zeroize`]), and
//! its `Debug`, `Display` and serde forms print [`MASK`], never the value; the value is read
//! only through [`Secret::expose`], where it is handed to its consumer (a key derivation, a
//! request signer, a child process's stdin).
//!
//! Why a crate of its own and not `secrecy`: every crate of the workspace needs the type, and
//! the lowest two (`vault`, `websphere`) depend on no other, so it lives below both. The
//! solved part — wiping memory — is the well-kept `zeroize` crate, which all of them already
//! used. `secrecy`'s `SecretString` would add nothing to that, and could not be given the
//! masked `Display` and serde forms the reports rely on (foreign traits on a foreign type), so
//! it would still need this wrapper.
//!
//! The log redaction of the binary learns every secret the moment one is made: a program that
//! masks its log installs [`on_new_secret`] once at start-up, and every [`Secret::new`] in
//! any crate (including a password decoded deep inside a WebSphere reader) reports its value
//! to it. Libraries never install it.

use std::fmt;
use std::sync::OnceLock;

use serde::{Serialize, Serializer};
use zeroize::Zeroizing;

/// What a secret looks like wherever it is printed or serialized (the log's mask too).
pub const MASK: &str = "***";

/// The function told of every new secret's value ([`on_new_secret`]).
static OBSERVER: OnceLock<fn(&str)> = OnceLock::new();

/// Tell `observer` the value of every [`Secret`] created from now on (the binary's log
/// redaction registers it for masking). The first observer stays: returns `false`, and
/// changes nothing, when one was already installed.
pub fn on_new_secret(observer: fn(&str)) -> bool {
    OBSERVER.set(observer).is_ok()
}

/// A secret string: readable only through [`Secret::expose`], wiped from memory on drop.
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Holds `value` (and tells the [`on_new_secret`] observer, when one is installed).
    pub fn new(value: impl Into<String>) -> Secret {
        let secret = Secret(Zeroizing::new(value.into()));
        if let Some(observe) = OBSERVER.get() {
            observe(&secret.0);
        }
        secret
    }

    /// The plaintext. Call it only where the value is handed to its consumer (a key
    /// derivation, a request signer, a child process's stdin), never to format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True for an empty secret.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(MASK)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    const VALUE: &str = "TopSecret-42-value";

    #[test]
    fn the_value_shows_only_through_expose() {
        let s = Secret::new(VALUE);
        assert_eq!(s.expose(), VALUE);
        for shown in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s}"),
            format!("{:?}", Some(s.clone())),
            serde_json::to_string(&s).unwrap(),
        ] {
            assert!(!shown.contains(VALUE), "{shown}");
            assert!(shown.contains(MASK), "{shown}");
        }
        assert_eq!(format!("{s}"), MASK);
        assert_eq!(format!("{s:?}"), "Secret(***)");
    }

    #[test]
    fn empty_and_default() {
        assert!(Secret::default().is_empty());
        assert!(!Secret::new("x").is_empty());
    }

    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

    fn remember(value: &str) {
        SEEN.lock().unwrap().push(value.to_string());
    }

    #[test]
    fn every_new_secret_reaches_the_observer_and_the_first_observer_stays() {
        // One test installs the observer (a process-wide OnceLock): the others do not mind.
        assert!(on_new_secret(remember));
        assert!(!on_new_secret(|_| {}));
        let _a = Secret::new("observed-one-value");
        let b = Secret::new(String::from("observed-two-value"));
        let _copy = b.clone();
        let seen = SEEN.lock().unwrap();
        assert!(seen.iter().any(|v| v == "observed-one-value"), "{seen:?}");
        assert_eq!(
            seen.iter().filter(|v| *v == "observed-two-value").count(),
            1,
            "a clone is not a new secret: {seen:?}"
        );
    }
}
