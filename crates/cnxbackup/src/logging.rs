//! `tracing` to stderr. stdout is reserved for the output the user asked for.
//!
//! Logs never show a secret, at any level. Two independent guards make sure of it:
//! the credential-handling crates are always silenced (see [`is_credential_target`]), and
//! every line is written through [`redact::RedactingStderr`], which masks each secret the
//! process has learnt ([`register_secret`]) with `***`. It learns every [`secret::Secret`]
//! made in any crate, the moment it is made ([`learn_every_new_secret`]), and the secret
//! variables and files before the command runs.

mod redact;

pub use redact::{mask_secrets, register_secret};

/// From now on, every [`secret::Secret`] any crate makes (a password read by the
/// configuration, an `{xor}` value decoded by a WebSphere reader, the S3 key) is masked in the
/// log. [`init`] calls it first; calling it again changes nothing.
pub fn learn_every_new_secret() {
    let _first = secret::on_new_secret(register_secret);
}

use std::io::IsTerminal;
use tracing_subscriber::filter::{filter_fn, FilterExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Environment variables that hold secrets, registered for masking before anything is logged.
/// `AWS_SESSION_TOKEN` is never read by cnxbackup itself: the S3 signer's default credential
/// chain picks it up on AWS, so this is the one place that learns it.
const SECRET_VARIABLES: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "CNXBACKUP_PASSWORD",
    "CNXBACKUP_WAS_PASSWORD",
];

/// Level from `-v`/`-q`: warnings by default, `-v` info, `-vv` debug, `-vvv` trace, `-q` errors
/// only, `-qq` nothing. `CNXBACKUP_LOG` (an `EnvFilter` directive) overrides both, except that
/// the credential crates stay silent whatever it says.
pub fn init(verbose: u8, quiet: u8) {
    learn_every_new_secret();
    for name in SECRET_VARIABLES {
        if let Ok(value) = std::env::var(name) {
            register_secret(&zeroize::Zeroizing::new(value));
        }
    }
    let level = match i16::from(verbose) - i16::from(quiet) {
        i16::MIN..=-2 => "off",
        -1 => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let directives = std::env::var("CNXBACKUP_LOG")
        .ok()
        .and_then(|directive| EnvFilter::try_new(directive).ok())
        .unwrap_or_else(|| EnvFilter::new(level));
    // A separate filter rather than `reqsign=off` directives added to the EnvFilter: there, a
    // more specific user directive (`reqsign_core::api=trace`) would win over ours.
    let filter = directives.and(filter_fn(|meta| !is_credential_target(meta.target())));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(redact::RedactingStderr)
        .with_ansi(colour)
        .with_target(verbose >= 2)
        .with_filter(filter);
    // A second init (tests calling main logic twice) is harmless: ignore the error.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// The crates that handle S3 credentials: reqsign (`reqsign_core`, `reqsign_aws_v4`,
/// `reqsign_aws_core`, `reqsign_file_read_tokio`, ...). At debug level they log their
/// credential provider with its `Debug`, which includes the secret access key and session
/// token in clear, and the strings they sign. Nothing in them helps a user diagnose a backup
/// (the S3 errors cnxbackup reports say which endpoint refused what), so they are never shown,
/// not even when `CNXBACKUP_LOG` asks for them by name.
pub fn is_credential_target(target: &str) -> bool {
    target.starts_with("reqsign")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reqsign_crates_are_credential_targets_and_others_are_not() {
        for t in [
            "reqsign",
            "reqsign_core::api",
            "reqsign_aws_v4::sign_request",
            "reqsign_aws_core::provide_credential::env",
            "reqsign_file_read_tokio",
        ] {
            assert!(is_credential_target(t), "{t}");
        }
        for t in [
            "cnxbackup",
            "vault::repo",
            "opendal_service_s3::backend",
            "reqwest::connect",
            "hyper_util::client::legacy::pool",
        ] {
            assert!(!is_credential_target(t), "{t}");
        }
    }
}
