//! Healthchecks-style pings: `<url>/start` when a run begins, `<url>` when it succeeds,
//! `<url>/fail` when it fails, each a POST whose body is the run's short summary (exit code
//! included). The convention of healthchecks.io, and of Uptime Kuma, Cronitor and others'
//! compatible endpoints.
//!
//! A ping never fails and never holds up the run: each waits at most the timeout (a ping
//! still unanswered then is abandoned on its own thread), and its error is for a warning.
//! The URL is a secret (whoever knows it can report a backup as done): errors and
//! [`Notifier::shown`] carry only its scheme, host and port.

use std::sync::mpsc;
use std::time::Duration;

use reqwest::Url;

/// Which moment of the run a ping reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Start,
    Success,
    Failure,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("notify.url {shown}: {reason}; give an http:// or https:// URL such as https://hc-ping.com/<uuid>")]
    BadUrl { shown: String, reason: String },
    #[error("notify {shown}: the HTTP client could not be set up")]
    Client {
        shown: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("notify {shown}: the request failed")]
    Request {
        shown: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("notify {shown}: the server answered {status}")]
    Status { shown: String, status: u16 },
    #[error("notify {shown}: no answer within {} s; the ping was abandoned", .timeout.as_secs_f64())]
    Timeout { shown: String, timeout: Duration },
}

/// Pings one monitoring check.
#[derive(Debug, Clone)]
pub struct Notifier {
    base: Url,
    timeout: Duration,
}

impl Notifier {
    /// A notifier for the check at `url` (`http` or `https`), each ping waiting at most
    /// `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Notifier, NotifyError> {
        let bad = |reason: String| NotifyError::BadUrl {
            shown: mask_url(url),
            reason,
        };
        let base = Url::parse(url).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad(format!(
                "the scheme {:?} is not http or https",
                base.scheme()
            )));
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(bad("no host".to_string()));
        }
        Ok(Notifier { base, timeout })
    }

    /// The check's URL as it may be shown: scheme, host and port only.
    pub fn shown(&self) -> String {
        mask_url(self.base.as_str())
    }

    /// The URL a signal goes to: `/start` and `/fail` appended to the path (before any query).
    pub fn url(&self, signal: Signal) -> Url {
        let mut url = self.base.clone();
        let suffix = match signal {
            Signal::Start => "start",
            Signal::Failure => "fail",
            Signal::Success => return url,
        };
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(suffix);
        }
        url
    }

    /// POSTs `body` (plain text) to the signal's URL. Waits at most the timeout; a server
    /// that has not answered by then is left to the ping's own thread.
    pub fn send(&self, signal: Signal, body: &str) -> Result<(), NotifyError> {
        let url = self.url(signal);
        let shown = self.shown();
        let timeout = self.timeout;
        let (done, answer) = mpsc::channel();
        let (thread_url, thread_body, thread_shown) =
            (url.clone(), body.to_string(), shown.clone());
        let spawned = std::thread::Builder::new()
            .name("notify".into())
            .spawn(move || {
                let _ = done.send(post(thread_url, thread_body, timeout, thread_shown));
            });
        if spawned.is_err() {
            // no thread to spare: ping on this one (the client's own timeout still holds)
            return post(url, body.to_string(), timeout, shown);
        }
        // a little beyond the client's own deadline, which normally answers first
        match answer.recv_timeout(timeout + Duration::from_millis(500)) {
            Ok(result) => result,
            Err(_) => Err(NotifyError::Timeout { shown, timeout }),
        }
    }
}

fn post(url: Url, body: String, timeout: Duration, shown: String) -> Result<(), NotifyError> {
    let client = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("cnxbackup/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| NotifyError::Client {
            shown: shown.clone(),
            source: e.without_url(),
        })?;
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(body)
        .send()
        .map_err(|e| {
            if e.is_timeout() {
                NotifyError::Timeout {
                    shown: shown.clone(),
                    timeout,
                }
            } else {
                NotifyError::Request {
                    shown: shown.clone(),
                    source: e.without_url(),
                }
            }
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(NotifyError::Status {
            shown,
            status: status.as_u16(),
        })
    }
}

/// A URL as it may appear in a log: `scheme://host[:port]/***` — the path, query and any
/// user or password are what make a ping URL a secret. Text that does not parse as a URL
/// is hidden whole.
pub fn mask_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}/***", u.scheme())
        }
        Err(_) => "***".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notifier(url: &str) -> Notifier {
        Notifier::new(url, Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn signals_append_start_and_fail_to_the_path_before_the_query() {
        let n = notifier("https://hc-ping.com/0b1c2d3e-aaaa-bbbb");
        assert_eq!(
            n.url(Signal::Start).as_str(),
            "https://hc-ping.com/0b1c2d3e-aaaa-bbbb/start"
        );
        assert_eq!(
            n.url(Signal::Success).as_str(),
            "https://hc-ping.com/0b1c2d3e-aaaa-bbbb"
        );
        assert_eq!(
            n.url(Signal::Failure).as_str(),
            "https://hc-ping.com/0b1c2d3e-aaaa-bbbb/fail"
        );
        // a trailing slash does not double, a query stays a query
        let n = notifier("http://kuma.local:3001/ping/key/?create=1");
        assert_eq!(
            n.url(Signal::Failure).as_str(),
            "http://kuma.local:3001/ping/key/fail?create=1"
        );
    }

    #[test]
    fn the_shown_url_keeps_no_path_query_or_password() {
        let n = notifier("https://user:pw-secret-1@hc.example:8443/ping/uuid-secret?k=v");
        assert_eq!(n.shown(), "https://hc.example:8443/***");
        assert_eq!(mask_url("not a url uuid-secret"), "***");
    }

    #[test]
    fn a_url_that_is_not_http_is_refused_without_showing_it() {
        for bad in [
            "ftp://h/secret-path",
            "hc-ping.com/secret-path",
            "mailto:a@b",
            "",
        ] {
            let err = Notifier::new(bad, Duration::from_secs(1)).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("notify.url "), "{text}");
            assert!(!text.contains("secret-path"), "{text}");
        }
    }

    /// A one-request HTTP server on loopback: answers `status` and hands back the request
    /// line and the body it received.
    fn one_request_server(status: u16) -> (u16, std::thread::JoinHandle<(String, String)>) {
        use std::io::{BufRead as _, BufReader, Read as _, Write as _};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(conn);
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut conn = reader.into_inner();
            write!(
                conn,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            (
                request_line.trim().to_string(),
                String::from_utf8(body).unwrap(),
            )
        });
        (port, handle)
    }

    #[test]
    fn each_signal_posts_the_summary_to_its_url() {
        for (signal, path) in [
            (Signal::Start, "/ping/uuid-1/start"),
            (Signal::Success, "/ping/uuid-1"),
            (Signal::Failure, "/ping/uuid-1/fail"),
        ] {
            let (port, server) = one_request_server(200);
            let n = notifier(&format!("http://127.0.0.1:{port}/ping/uuid-1"));
            n.send(signal, "cnxbackup backup on cnx1: failed\nexit code 3\n")
                .unwrap();
            let (request_line, body) = server.join().unwrap();
            assert_eq!(request_line, format!("POST {path} HTTP/1.1"));
            assert_eq!(body, "cnxbackup backup on cnx1: failed\nexit code 3\n");
        }
    }

    #[test]
    fn a_refusing_server_is_an_error_naming_its_status_not_the_url() {
        let (port, server) = one_request_server(404);
        let n = notifier(&format!("http://127.0.0.1:{port}/uuid-secret-2"));
        let err = n.send(Signal::Success, "x").unwrap_err();
        server.join().unwrap();
        assert!(
            matches!(err, NotifyError::Status { status: 404, .. }),
            "{err:?}"
        );
        assert!(!err.to_string().contains("uuid-secret-2"), "{err}");
    }

    #[test]
    fn an_unreachable_server_is_an_error_soon_not_a_hang() {
        // a port nothing listens on (bound then released): refused at once
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let n = notifier(&format!("http://127.0.0.1:{port}/secret-uuid"));
        let err = n.send(Signal::Start, "x").unwrap_err();
        assert!(
            matches!(
                err,
                NotifyError::Request { .. } | NotifyError::Timeout { .. }
            ),
            "{err:?}"
        );
        assert!(!format!("{err} {:?}", std::error::Error::source(&err)).contains("secret-uuid"));
    }

    #[test]
    fn a_server_that_never_answers_is_abandoned_after_the_timeout() {
        // accepts the connection, reads nothing, never answers
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _hold = std::thread::spawn(move || {
            let conn = listener.accept();
            std::thread::sleep(Duration::from_secs(5));
            drop(conn);
        });
        let n = Notifier::new(
            &format!("http://127.0.0.1:{port}/uuid"),
            Duration::from_millis(300),
        )
        .unwrap();
        let started = std::time::Instant::now();
        let err = n.send(Signal::Success, "x").unwrap_err();
        assert!(matches!(err, NotifyError::Timeout { .. }), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }
}
