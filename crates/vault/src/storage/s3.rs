//! The `s3://BUCKET/PREFIX` service: OpenDAL's S3 backend with the layers a repository on
//! object storage needs, composed here and only here:
//!
//! - [`TimeoutLayer`] (innermost): every request gets a
//!   deadline; the I/O deadline is sized for a whole pack upload (one PUT of up to
//!   `pack_size` bytes), so the default is generous (300 s).
//! - [`ConcurrentLimitLayer`]: at most `concurrency`
//!   requests in flight per process; requests waiting for a permit are not timed out.
//! - [`RetryLayer`] (outermost): errors OpenDAL marks temporary
//!   (HTTP 5xx, 429, 499, connection resets, timeouts) are retried with jittered exponential
//!   backoff; a retry waiting for its turn holds no concurrency permit.
//!
//! Errors are mapped by [`classify`]: wrong credentials, a missing bucket and an unreachable
//! endpoint each get a kind and a message that says what to check (the store's
//! [`describe`](super::Store::describe) names the endpoint and bucket) — never the secret.
//!
//! Writes are single PUTs of the whole object (packs are at most 1 GiB, far below S3's
//! 5 GiB single-PUT limit), so an object appears whole or not at all.

use std::time::Duration;

use opendal::layers::{ConcurrentLimitLayer, RetryLayer, TimeoutLayer};
use opendal::{ErrorKind, HttpTransporter, Operator};
use secret::Secret;

use super::s3_retention::{ObjectLock, Retention, Target};
use super::store::{StoreError, StoreErrorKind};
use crate::VaultError;

/// Default region when none is configured (also what MinIO and most S3-compatible servers
/// expect).
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default number of S3 requests in flight per process.
pub const DEFAULT_CONCURRENCY: usize = 32;
/// Default deadline of one request (and of one I/O step of a read or write), in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 300;
/// Default number of retries of a transient error.
pub const DEFAULT_RETRIES: usize = 5;
/// How long a TCP connect may take before the endpoint counts as unreachable (then retried).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach an S3-compatible object store. Every field is optional; see the defaults.
#[derive(Debug, Clone, Default)]
pub struct S3Options {
    /// Endpoint URL, e.g. `http://127.0.0.1:9000` (MinIO, Garage, Ceph RGW, IBM COS). None:
    /// AWS S3 of the region.
    pub endpoint: Option<String>,
    /// Region [default: `us-east-1`].
    pub region: Option<String>,
    /// Path-style addressing (`ENDPOINT/BUCKET/KEY`) instead of virtual-hosted style
    /// (`BUCKET.ENDPOINT/KEY`) [default: on when an endpoint is given, off for AWS].
    pub path_style: Option<bool>,
    /// Access key id. With neither key given and no endpoint, OpenDAL's default chain (the
    /// AWS variables, profile, instance metadata) is used.
    pub access_key_id: Option<String>,
    /// Secret access key.
    pub secret_access_key: Option<Secret>,
    /// Requests in flight per process [default: 32].
    pub concurrency: Option<usize>,
    /// Deadline of one request / one I/O step [default: 300 s].
    pub timeout: Option<Duration>,
    /// Retries of a transient error [default: 5].
    pub retries: Option<usize>,
    /// S3 Object Lock: every object written (but `locks/`) gets this retention
    /// ([`s3_retention`](super::s3_retention)); the bucket must have Object Lock enabled.
    pub object_lock: Option<ObjectLock>,
}

/// Where an S3 repository lives, parsed from `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    /// Bucket name.
    pub bucket: String,
    /// Key prefix inside the bucket (no leading or trailing '/'; may be empty).
    pub prefix: String,
}

impl S3Url {
    /// Parse the part after `s3://`.
    pub fn parse(rest: &str) -> Result<S3Url, VaultError> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            return Err(VaultError::InvalidArgument(format!(
                "s3://{rest}: \"{bucket}\" is not a valid bucket name (3-63 characters: \
                 lowercase letters, digits, '-' and '.'); use s3://BUCKET/PREFIX"
            )));
        }
        let prefix = prefix.trim_matches('/');
        if prefix.split('/').any(|c| c == "." || c == "..") {
            return Err(VaultError::InvalidArgument(format!(
                "s3://{rest}: the prefix must not contain \".\" or \"..\" components"
            )));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

/// What [`open`] built: the operator (all layers applied) and how to name the store in
/// messages.
pub(super) struct S3Parts {
    pub(super) op: Operator,
    /// `s3://bucket/prefix`.
    pub(super) location: String,
    /// `S3 endpoint URL, bucket NAME`, for errors.
    pub(super) store: String,
    pub(super) access_key_id: Option<String>,
    /// With [`S3Options::object_lock`]: how each written object gets its retention.
    pub(super) retention: Option<Retention>,
}

/// Build the operator for `s3://` + `rest`.
pub(super) fn open(rest: &str, opts: &S3Options) -> Result<S3Parts, VaultError> {
    let url = S3Url::parse(rest)?;
    let region = opts.region.as_deref().unwrap_or(DEFAULT_REGION);
    let endpoint = opts.endpoint.as_deref().map(|e| e.trim_end_matches('/'));
    if let Some(e) = endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(VaultError::InvalidArgument(format!(
                "S3 endpoint \"{e}\" must start with http:// or https://"
            )));
        }
    }
    let endpoint_text = endpoint
        .map(str::to_string)
        .unwrap_or_else(|| format!("AWS S3 ({region})"));
    let store = format!("S3 endpoint {endpoint_text}, bucket {}", url.bucket);
    let location = if url.prefix.is_empty() {
        format!("s3://{}", url.bucket)
    } else {
        format!("s3://{}/{}", url.bucket, url.prefix)
    };

    let mut builder = opendal::services::S3::default()
        .bucket(&url.bucket)
        .root(&format!("/{}", url.prefix))
        .region(region)
        // No ~/.aws files: the credentials come from the options (or, for AWS without
        // keys, from the environment chain below).
        .disable_config_load();
    if let Some(e) = endpoint {
        builder = builder.endpoint(e);
    }
    let path_style = opts.path_style.unwrap_or(endpoint.is_some());
    if !path_style {
        builder = builder.enable_virtual_host_style();
    }
    if opts.object_lock.is_some() {
        // S3 refuses a PUT to an Object Lock bucket without an integrity header.
        builder = builder.checksum_algorithm("md5");
    }
    match (&opts.access_key_id, &opts.secret_access_key) {
        (Some(id), Some(secret)) => {
            builder = builder
                .access_key_id(id)
                .secret_access_key(secret.expose())
                .disable_ec2_metadata();
        }
        (None, None) if endpoint.is_none() => {
            // AWS proper: let the default chain find the AWS variables or an instance role.
        }
        (Some(_), None) | (None, Some(_)) | (None, None) => {
            return Err(VaultError::InvalidArgument(format!(
                "{store}: S3 credentials are incomplete: set AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY, or [s3] access_key_id and secret_access_key_file in \
                 the config"
            )));
        }
    }

    let timeout = opts
        .timeout
        .unwrap_or(Duration::from_secs(DEFAULT_TIMEOUT_SECS));
    let concurrency = opts.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1);
    let retries = opts.retries.unwrap_or(DEFAULT_RETRIES);

    let client = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_max_idle_per_host(concurrency)
        .build()
        .map_err(|e| VaultError::InvalidArgument(format!("{store}: HTTP client: {e}")))?;
    let op = Operator::new(builder).map_err(|e| {
        let error = StoreError::new(StoreErrorKind::Misconfigured)
            .with_message("invalid S3 configuration")
            .with_source(e);
        VaultError::storage(store.clone(), "open", "", error)
    })?;
    let retention = opts.object_lock.map(|lock| {
        let target = Target {
            endpoint,
            region,
            bucket: &url.bucket,
            prefix: &url.prefix,
            path_style,
            keys: opts
                .access_key_id
                .as_deref()
                .zip(opts.secret_access_key.as_ref().map(Secret::expose)),
        };
        Retention::new(lock, &target, client.clone())
    });
    let ctx = op.context().with_http_transport(HttpTransporter::new(
        opendal_http_transport_reqwest::ReqwestTransport::new(client),
    ));
    let op = op
        .with_context(ctx)
        .layer(
            TimeoutLayer::new()
                .with_timeout(timeout)
                .with_io_timeout(timeout),
        )
        .layer(ConcurrentLimitLayer::new(concurrency))
        .layer(
            RetryLayer::new()
                .with_max_times(retries)
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(20))
                .with_factor(2.0)
                .with_jitter(),
        );
    Ok(S3Parts {
        op,
        location,
        store,
        access_key_id: opts.access_key_id.clone(),
        retention,
    })
}

/// The kind of an S3 error and what the user should hear about it, or `None` to keep the
/// generic mapping (e.g. an object that is simply not there).
pub(super) fn classify(
    e: &opendal::Error,
    access_key_id: Option<&str>,
) -> Option<(StoreErrorKind, String)> {
    let message = e.message();
    // OpenDAL classifies some S3 error codes as configuration errors: look at the code first.
    let denied = [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
    ]
    .iter()
    .any(|c| message.contains(c));
    if message.contains("NoSuchBucket") {
        return Some((
            StoreErrorKind::Misconfigured,
            "the bucket does not exist (create it, or fix the bucket name in s3://BUCKET/PREFIX)"
                .into(),
        ));
    }
    if denied || e.kind() == ErrorKind::PermissionDenied {
        return Some((
            StoreErrorKind::PermissionDenied,
            format!(
                "access denied: the endpoint refused the credentials{} (check AWS_ACCESS_KEY_ID \
                 / AWS_SECRET_ACCESS_KEY or [s3] access_key_id / secret_access_key_file, and \
                 the bucket policy)",
                access_key_id
                    .map(|id| format!(" of access key id {id}"))
                    .unwrap_or_default()
            ),
        ));
    }
    match e.kind() {
        ErrorKind::NotFound => None,
        ErrorKind::ConfigInvalid => Some((
            StoreErrorKind::Misconfigured,
            "invalid S3 configuration".into(),
        )),
        _ if unreachable(e) => Some((
            StoreErrorKind::Transient,
            "cannot reach the endpoint (after retries; check the endpoint URL, the network and \
             the server)"
                .into(),
        )),
        _ => None,
    }
}

/// Whether the error (or one of its causes) is a failed connection or a timeout.
fn unreachable(e: &opendal::Error) -> bool {
    let mut texts = vec![e.to_string()];
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        texts.push(s.to_string());
        source = s.source();
    }
    texts.iter().any(|t| {
        let lower = t.to_ascii_lowercase();
        ["connect", "dns", "resolve", "timed out", "timeout"]
            .iter()
            .any(|w| lower.contains(w))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_parsing() {
        assert_eq!(
            S3Url::parse("backups/cnx/prod").unwrap(),
            S3Url {
                bucket: "backups".into(),
                prefix: "cnx/prod".into()
            }
        );
        assert_eq!(S3Url::parse("backups").unwrap().prefix, "");
        assert_eq!(S3Url::parse("backups/x/").unwrap().prefix, "x");
        assert!(S3Url::parse("").is_err());
        assert!(S3Url::parse("Bad_Bucket/x").is_err());
        assert!(S3Url::parse("ok-bucket/../x").is_err());
    }

    #[test]
    fn secret_is_not_printed() {
        let o = S3Options {
            access_key_id: Some("AKIDEXAMPLE".into()),
            secret_access_key: Some(Secret::new("s3cr3t-value")),
            ..S3Options::default()
        };
        let text = format!("{o:?}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("Secret(***)"), "{text}");
    }

    #[test]
    fn incomplete_credentials_with_endpoint_are_refused_naming_the_store() {
        let o = S3Options {
            endpoint: Some("http://127.0.0.1:1".into()),
            access_key_id: Some("AKID".into()),
            ..S3Options::default()
        };
        let Err(err) = open("bucket/p", &o) else {
            panic!("accepted incomplete credentials")
        };
        let text = err.to_string();
        assert!(text.contains("http://127.0.0.1:1"), "{text}");
        assert!(text.contains("bucket bucket"), "{text}");
    }

    #[test]
    fn endpoint_needs_a_scheme() {
        let o = S3Options {
            endpoint: Some("127.0.0.1:9000".into()),
            ..S3Options::default()
        };
        assert!(open("bucket/p", &o).is_err());
    }
}
