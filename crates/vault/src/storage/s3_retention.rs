//! S3 Object Lock: a retention period on every object a repository writes to S3, so that
//! nobody — not a compromised backup host with the repository's credentials, not an
//! administrator in governance mode without the bypass permission — can delete or overwrite
//! that version of it before the period ends.
//!
//! OpenDAL's S3 writer sends no object-lock headers, so the retention is set by a second,
//! signed request right after each successful PUT: `PutObjectRetention` (`PUT
//! /KEY?retention`, with `Content-MD5`, signed with SigV4 by `reqsign`, the signer OpenDAL
//! itself uses). The object is written whole before it is protected: a process killed between
//! the two requests leaves one object without its own retention, which the bucket's default
//! retention covers when one is set (docs/S3.md recommends both). A retention request the
//! bucket refuses fails the write: a repository asked to be protected is never silently not.
//!
//! `locks/` objects get no retention: they live for the length of one operation, are
//! refreshed and removed by their owner, and hold nothing a restore needs.

use std::time::Duration;

use base64::Engine;
use md5::{Digest, Md5};
use reqsign_aws_v4::{
    Credential, DefaultCredentialProvider, RequestSigner, StaticCredentialProvider,
};
use reqsign_core::{Context, OsEnv, Signer};
use reqsign_file_read_tokio::TokioFileRead;

use super::store::{StoreError, StoreErrorKind};

/// Objects under this prefix get no retention (see the module documentation).
pub const UNPROTECTED_PREFIX: &str = "locks/";

/// Retries of a retention request that failed in a way that may pass (5xx, 429, a dropped
/// connection), with doubling delays from 200 ms.
const RETRIES: u32 = 4;

/// The S3 Object Lock retention mode (AWS "Object Lock retention modes"); in a
/// configuration `governance` or `compliance`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockMode {
    /// Users with `s3:BypassGovernanceRetention` can still shorten or remove the retention
    /// (a break-glass account kept away from the backup hosts).
    #[default]
    Governance,
    /// Nobody, not even the account's root user, can delete the version before the date.
    Compliance,
}

impl LockMode {
    /// The value S3 expects in `<Mode>`.
    pub fn as_s3(self) -> &'static str {
        match self {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        }
    }
}

/// The retention every written object gets: kept until write time plus `retain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLock {
    /// Governance or compliance.
    pub mode: LockMode,
    /// How long after its write an object is kept (whole seconds; S3 dates have seconds).
    pub retain: Duration,
}

/// Where the retention requests go and how they are signed.
pub(super) struct Retention {
    lock: ObjectLock,
    client: reqwest::Client,
    signer: Signer<Credential>,
    /// The URL of the key prefix: `ENDPOINT/BUCKET/PREFIX/` (path style) or
    /// `https://BUCKET.ENDPOINT_HOST/PREFIX/`, ending in `/`.
    base: String,
}

impl std::fmt::Debug for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retention")
            .field("lock", &self.lock)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// What [`Retention::new`] needs to know about the bucket.
pub(super) struct Target<'a> {
    pub(super) endpoint: Option<&'a str>,
    pub(super) region: &'a str,
    pub(super) bucket: &'a str,
    pub(super) prefix: &'a str,
    pub(super) path_style: bool,
    /// Static keys (the access key id and the secret), or `None` for the AWS default chain
    /// (the environment variables, an instance role).
    pub(super) keys: Option<(&'a str, &'a str)>,
}

impl Retention {
    pub(super) fn new(lock: ObjectLock, target: &Target<'_>, client: reqwest::Client) -> Retention {
        let ctx = Context::new()
            .with_file_read(TokioFileRead)
            .with_env(OsEnv)
            .with_http_send(opendal::HttpTransporter::new(
                opendal_http_transport_reqwest::ReqwestTransport::new(client.clone()),
            ));
        let request_signer = RequestSigner::new("s3", target.region);
        let signer = match target.keys {
            Some((id, secret)) => Signer::new(
                ctx,
                StaticCredentialProvider::new(id, secret),
                request_signer,
            ),
            // As the S3 operator does for AWS without keys: no ~/.aws files.
            None => Signer::new(
                ctx,
                DefaultCredentialProvider::builder().no_profile().build(),
                request_signer,
            ),
        };
        Retention {
            lock,
            client,
            signer,
            base: base_url(target),
        }
    }

    /// Whether `path` gets a retention.
    pub(super) fn applies_to(path: &str) -> bool {
        !path.starts_with(UNPROTECTED_PREFIX)
    }

    /// Set the retention of the current version of `path` (written just now) to now plus
    /// the configured period, retrying failures that may pass.
    pub(super) async fn protect(&self, path: &str) -> Result<(), StoreError> {
        let mut delay = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            match self.put_retention(path).await {
                Err(e) if e.kind() == StoreErrorKind::Transient && attempt < RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                outcome => return outcome,
            }
        }
    }

    async fn put_retention(&self, path: &str) -> Result<(), StoreError> {
        let body = retention_xml(self.lock, jiff::Timestamp::now());
        let url = format!("{}{}?retention", self.base, encode_key(path));
        let mut parts = http::Request::put(url.as_str())
            .header("content-md5", content_md5(body.as_bytes()))
            .header("content-type", "application/xml")
            .header(
                "x-amz-content-sha256",
                hex::encode(ring::digest::digest(&ring::digest::SHA256, body.as_bytes())),
            )
            .body(())
            .map_err(|e| {
                StoreError::new(StoreErrorKind::Misconfigured)
                    .with_message(format!("cannot build the retention request for {url}"))
                    .with_source(e)
            })?
            .into_parts()
            .0;
        self.signer.sign(&mut parts, None).await.map_err(|e| {
            StoreError::new(StoreErrorKind::PermissionDenied)
                .with_message("cannot sign the object retention request (S3 credentials)")
                .with_source(e)
        })?;
        let response = self
            .client
            .request(parts.method, url.as_str())
            .headers(parts.headers)
            .body(body)
            .send()
            .await
            .map_err(|e| {
                StoreError::new(StoreErrorKind::Transient)
                    .with_message("the object retention request did not reach the endpoint")
                    .with_source(e)
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().await.unwrap_or_default();
        Err(refusal(status.as_u16(), &text))
    }
}

/// `ENDPOINT/BUCKET/PREFIX/` or `https://BUCKET.HOST/PREFIX/`.
fn base_url(t: &Target<'_>) -> String {
    let prefix = if t.prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", encode_key(t.prefix))
    };
    let endpoint = t
        .endpoint
        .map(str::to_string)
        .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", t.region));
    if t.path_style {
        return format!("{endpoint}/{}/{prefix}", t.bucket);
    }
    match endpoint.split_once("://") {
        Some((scheme, host)) => format!("{scheme}://{}.{host}/{prefix}", t.bucket),
        None => format!("{endpoint}/{}/{prefix}", t.bucket),
    }
}

/// A key as a URL path: every byte but the unreserved ones and `/` percent-encoded (the
/// form SigV4's canonical URI expects for S3).
fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string()
}

/// The `PutObjectRetention` body: mode and the date `now + retain` (UTC, whole seconds).
fn retention_xml(lock: ObjectLock, now: jiff::Timestamp) -> String {
    let secs = i64::try_from(lock.retain.as_secs()).unwrap_or(i64::MAX);
    let until = jiff::Timestamp::from_second(now.as_second().saturating_add(secs))
        .unwrap_or(jiff::Timestamp::MAX);
    format!(
        "<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>{}</Mode>\
         <RetainUntilDate>{}</RetainUntilDate></Retention>",
        lock.mode.as_s3(),
        until.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
}

fn content_md5(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(body))
}

/// A refused retention request in the store's terms, with what to check.
fn refusal(status: u16, body: &str) -> StoreError {
    let code = body
        .split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or("")
        .to_string();
    let (kind, message) = match status {
        403 => (
            StoreErrorKind::PermissionDenied,
            format!(
                "the bucket refused to set the object's retention ({status} {code}): the backup \
                 user needs s3:PutObjectRetention (docs/S3.md, \"S3 Object Lock\")"
            ),
        ),
        400 | 404 | 405 | 501 => (
            StoreErrorKind::Misconfigured,
            format!(
                "the bucket cannot keep the object's retention ({status} {code}): [s3] \
                 object_lock_days needs a bucket created with Object Lock enabled \
                 (docs/S3.md, \"S3 Object Lock\")"
            ),
        ),
        408 | 429 | 500..=599 => (
            StoreErrorKind::Transient,
            format!("the object retention request failed ({status} {code})"),
        ),
        _ => (
            StoreErrorKind::Other,
            format!("the object retention request failed ({status} {code})"),
        ),
    };
    StoreError::new(kind).with_message(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_names_the_mode_and_the_date_retain_after_now() {
        let now: jiff::Timestamp = "2026-12-07T22:00:00.750Z".parse().unwrap();
        let lock = ObjectLock {
            mode: LockMode::Compliance,
            retain: Duration::from_secs(30 * 86_400),
        };
        let xml = retention_xml(lock, now);
        assert!(xml.contains("<Mode>COMPLIANCE</Mode>"), "{xml}");
        assert!(
            xml.contains("<RetainUntilDate>2027-01-06T22:00:00Z</RetainUntilDate>"),
            "{xml}"
        );
    }

    #[test]
    fn content_md5_is_the_base64_digest() {
        // RFC 1321 test vector: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72
        assert_eq!(content_md5(b"abc"), "kAFQmDzST7DWlj99KOF/cg==");
    }

    #[test]
    fn urls_for_path_and_virtual_host_style() {
        let mut t = Target {
            endpoint: Some("http://127.0.0.1:9000"),
            region: "us-east-1",
            bucket: "backups",
            prefix: "cnx/prod",
            path_style: true,
            keys: None,
        };
        assert_eq!(base_url(&t), "http://127.0.0.1:9000/backups/cnx/prod/");
        t.path_style = false;
        assert_eq!(base_url(&t), "http://backups.127.0.0.1:9000/cnx/prod/");
        t.endpoint = None;
        t.prefix = "";
        assert_eq!(base_url(&t), "https://backups.s3.us-east-1.amazonaws.com/");
        assert_eq!(encode_key("packs/ab/a b+c"), "packs/ab/a%20b%2Bc");
    }

    #[test]
    fn locks_get_no_retention() {
        assert!(!Retention::applies_to("locks/abc"));
        assert!(Retention::applies_to("packs/ab/abc"));
        assert!(Retention::applies_to("config"));
    }

    #[test]
    fn refusals_say_what_to_check() {
        let e = refusal(
            400,
            "<Error><Code>InvalidRequest</Code><Message>Bucket is missing Object Lock \
             Configuration</Message></Error>",
        );
        assert_eq!(e.kind(), StoreErrorKind::Misconfigured);
        assert!(e.message().contains("InvalidRequest"), "{}", e.message());
        assert!(
            e.message().contains("Object Lock enabled"),
            "{}",
            e.message()
        );
        assert_eq!(refusal(403, "").kind(), StoreErrorKind::PermissionDenied);
        assert_eq!(refusal(503, "").kind(), StoreErrorKind::Transient);
    }
}
