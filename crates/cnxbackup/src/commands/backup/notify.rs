//! Monitoring around one backup run (`[notify]`, issue 18): a Healthchecks-style ping when
//! the run starts and when it ends (success or failure, with the summary and the exit code in
//! the body), then the Prometheus textfile rewritten. Monitoring never changes the backup's
//! result: an unreachable monitor or an unwritable metrics file is a warning on stderr.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use runbook::monitor::ping::{Notifier, Signal};
use runbook::monitor::{textfile, RunOutcome, SnapshotFacts};

use crate::context::Context;
use crate::exit;
use crate::logging;

/// What the run learned that monitoring reports: filled in by the form of the backup that
/// ran, as far as it got.
#[derive(Debug, Default)]
pub struct RunFacts {
    /// The host the snapshot is recorded under (none: the run did not get that far).
    pub host: Option<String>,
    /// The snapshot written, if any.
    pub snapshot: Option<SnapshotFacts>,
    /// How long the servers were down, when the run knows it.
    pub outage: Option<Duration>,
}

/// The pings and the metrics file of one run, as configured.
pub struct Monitor {
    notifier: Option<Notifier>,
    metrics_file: Option<PathBuf>,
    started: SystemTime,
}

impl Monitor {
    /// The monitoring `[notify]` asks for, started now: the start ping is sent. A dry run
    /// reports nothing (nothing ran), nor does a configuration without `[notify]` keys.
    pub fn start(ctx: &Context, dry_run: bool) -> Monitor {
        let config = &ctx.loaded.config.notify;
        let started = SystemTime::now();
        if dry_run {
            return Monitor {
                notifier: None,
                metrics_file: None,
                started,
            };
        }
        let timeout = Duration::from_secs(config.timeout_secs);
        let notifier = config.url.as_deref().and_then(|url| {
            // the URL is a secret: masked in every log line and error from here on
            logging::register_secret(url);
            Notifier::new(url, timeout).map_err(|e| warn(&e)).ok()
        });
        let monitor = Monitor {
            notifier,
            metrics_file: config.metrics_file.clone(),
            started,
        };
        monitor.ping(Signal::Start, "cnxbackup backup started\n");
        monitor
    }

    /// Reports the end of the run: the success or failure ping, then the metrics file.
    pub fn finish(self, host: String, facts: RunFacts, result: &anyhow::Result<()>) {
        if self.notifier.is_none() && self.metrics_file.is_none() {
            return;
        }
        let outcome = outcome(host, facts, self.started, result);
        let signal = if outcome.succeeded() {
            Signal::Success
        } else {
            Signal::Failure
        };
        self.ping(signal, &outcome.summary());
        if let Some(path) = &self.metrics_file {
            match textfile::write(path, &outcome) {
                Ok(()) => tracing::debug!(path = %path.display(), "metrics file written"),
                Err(e) => warn(&e),
            }
        }
    }

    fn ping(&self, signal: Signal, body: &str) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        match notifier.send(signal, body) {
            Ok(()) => tracing::debug!(url = %notifier.shown(), ?signal, "monitoring pinged"),
            Err(e) => warn(&e),
        }
    }
}

/// The run as monitoring sees it: its times, exit code (the one `main` will exit with) and
/// error (secrets masked), and what the run learned.
fn outcome(
    host: String,
    facts: RunFacts,
    started: SystemTime,
    result: &anyhow::Result<()>,
) -> RunOutcome {
    let (exit_code, error) = match result {
        Ok(()) => (exit::Exit::Success.code(), None),
        Err(e) => (
            exit::exit_of(e).code(),
            Some(logging::mask_secrets(&exit::describe(e))),
        ),
    };
    RunOutcome {
        job: "backup".to_string(),
        host: facts.host.unwrap_or(host),
        started,
        finished: SystemTime::now(),
        exit_code,
        snapshot: facts.snapshot,
        outage: facts.outage,
        error,
    }
}

/// A monitoring problem: a warning on stderr (and in the log), never the run's failure.
fn warn(error: &dyn std::error::Error) {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    let text = logging::mask_secrets(&text);
    tracing::warn!("{text}");
    eprintln!("cnxbackup: warning: {text} (the backup's result is unchanged)");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::CommandError;

    #[test]
    fn a_failed_run_reports_the_exit_code_main_uses_and_its_masked_error() {
        logging::register_secret("notify-test-secret-2718");
        let result: anyhow::Result<()> = Err(CommandError::Refused(
            "servers running; token notify-test-secret-2718".into(),
        )
        .into());
        let facts = RunFacts {
            host: Some("cnx1".into()),
            ..RunFacts::default()
        };
        let o = outcome("other".into(), facts, SystemTime::now(), &result);
        assert_eq!(o.exit_code, 3);
        assert_eq!(o.host, "cnx1");
        assert_eq!(o.error.as_deref(), Some("servers running; token ***"));
        assert!(!o.succeeded());
    }

    #[test]
    fn a_successful_run_without_facts_uses_the_given_host() {
        let o = outcome(
            "cnx2".into(),
            RunFacts::default(),
            SystemTime::now(),
            &Ok(()),
        );
        assert_eq!((o.exit_code, o.host.as_str(), o.error), (0, "cnx2", None));
    }
}
