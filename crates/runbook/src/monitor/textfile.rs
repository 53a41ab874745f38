//! The Prometheus textfile-collector file: node_exporter's `--collector.textfile.directory`
//! reads every `*.prom` file there and exposes its samples. cnxbackup rewrites its file after
//! every backup run, whole and atomically (a temporary file beside it, renamed over it), so
//! the collector never reads half a file.
//!
//! Families (all gauges, label `host`; docs/CLI.md "Metrics" has the reference):
//! `cnxbackup_backup_last_run_timestamp_seconds`, `..._last_run_success`,
//! `..._last_run_exit_code`, `..._last_run_duration_seconds`,
//! `..._last_success_timestamp_seconds` (carried over from the previous file when this run
//! failed), `..._outage_seconds` (no sample when the run does not know it),
//! `..._bytes_added`, `..._snapshot_complete`, and `..._component_status` (label `component`
//! and `status`, value 1) for each file component of the snapshot.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{unix_seconds, RunOutcome};

const PREFIX: &str = "cnxbackup_backup_";
const LAST_SUCCESS: &str = "last_success_timestamp_seconds";

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics file {path}: {what}; check that the directory exists and root may write it")]
    Write {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Writes the metrics of `outcome` to `path`, replacing the file atomically. The last
/// success time comes from this run when it succeeded, else from the file it replaces.
pub fn write(path: &Path, outcome: &RunOutcome) -> Result<(), MetricsError> {
    let previous = std::fs::read_to_string(path).ok();
    let last_success = if outcome.succeeded() {
        Some(unix_seconds(outcome.finished))
    } else {
        previous.as_deref().and_then(previous_last_success)
    };
    write_atomically(path, &render(outcome, last_success))
}

/// The file's text for `outcome`; `last_success` is the Unix time of the last successful
/// run (none yet: no sample).
pub fn render(outcome: &RunOutcome, last_success: Option<f64>) -> String {
    let host = [("host", outcome.host.as_str())];
    let mut out = Families::default();
    out.gauge(
        "last_run_timestamp_seconds",
        "When the last backup run ended (Unix time).",
    )
    .sample(&host, unix_seconds(outcome.finished));
    out.gauge(
        "last_run_success",
        "1 when the last backup run succeeded (exit code 0), else 0.",
    )
    .sample(&host, if outcome.succeeded() { 1.0 } else { 0.0 });
    out.gauge(
        "last_run_exit_code",
        "Exit code of the last backup run (docs/CLI.md).",
    )
    .sample(&host, f64::from(outcome.exit_code));
    out.gauge(
        "last_run_duration_seconds",
        "Wall time of the last backup run.",
    )
    .sample(&host, outcome.duration().as_secs_f64());
    let mut f = out.gauge(
        LAST_SUCCESS,
        "When the last successful backup run ended (Unix time).",
    );
    if let Some(t) = last_success {
        f.sample(&host, t);
    }
    let mut f = out.gauge(
        "outage_seconds",
        "How long the WebSphere servers were down in the last run; no sample when unknown.",
    );
    if let Some(outage) = outcome.outage {
        f.sample(&host, outage.as_secs_f64());
    }
    if let Some(snap) = &outcome.snapshot {
        let mut f = out.gauge(
            "bytes_added",
            "Stored bytes of new data the last snapshot added.",
        );
        if let Some(bytes) = snap.bytes_added {
            f.sample(&host, bytes as f64);
        }
        out.gauge(
            "snapshot_complete",
            "1 when the last snapshot is COMPLETE, 0 INCOMPLETE.",
        )
        .sample(&host, if snap.complete { 1.0 } else { 0.0 });
        let mut f = out.gauge(
            "component_status",
            "Status of each component in the last snapshot (ok, partial, failed, skipped, missing).",
        );
        for (component, status) in &snap.components {
            f.sample(
                &[
                    ("host", outcome.host.as_str()),
                    ("component", component.as_str()),
                    ("status", status.as_str()),
                ],
                1.0,
            );
        }
    }
    out.text
}

/// The last success time recorded in a previous file, if it has a well-formed one.
pub fn previous_last_success(text: &str) -> Option<f64> {
    let name = format!("{PREFIX}{LAST_SUCCESS}");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find(|l| l.starts_with(&name) && l[name.len()..].starts_with(['{', ' ']))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
}

/// Builds the exposition text one family at a time: `# HELP`, `# TYPE`, then its samples.
#[derive(Default)]
struct Families {
    text: String,
}

struct Family<'a> {
    text: &'a mut String,
    name: String,
}

impl Families {
    fn gauge(&mut self, name: &str, help: &str) -> Family<'_> {
        let name = format!("{PREFIX}{name}");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} gauge");
        Family {
            text: &mut self.text,
            name,
        }
    }
}

impl Family<'_> {
    fn sample(&mut self, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape_label_value(v)))
            .collect();
        let _ = writeln!(self.text, "{}{{{}}} {value}", self.name, labels.join(","));
    }
}

/// A label value as the text format requires: backslash, double quote and newline escaped.
fn escape_label_value(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('\n', r"\n")
}

fn write_atomically(path: &Path, text: &str) -> Result<(), MetricsError> {
    let err = |what: &'static str| {
        move |source| MetricsError::Write {
            path: path.to_path_buf(),
            what,
            source,
        }
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // not `*.prom`: the collector ignores the file until it is renamed into place
    let mut tmp = tempfile::Builder::new()
        .prefix(".cnxbackup-metrics-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(err("cannot create a temporary file beside it"))?;
    tmp.write_all(text.as_bytes())
        .map_err(err("cannot write the temporary file"))?;
    // readable by node_exporter, which rarely runs as root
    use std::os::unix::fs::PermissionsExt as _;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(err("cannot set the temporary file's mode"))?;
    tmp.as_file()
        .sync_all()
        .map_err(err("cannot flush the temporary file"))?;
    tmp.persist(path)
        .map_err(|e| err("cannot rename the temporary file over it")(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::outcome;
    use super::*;

    #[test]
    fn a_failed_run_keeps_the_previous_success_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cnxbackup.prom");
        write(&path, &outcome(0)).unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        let success = previous_last_success(&first).unwrap();
        assert_eq!(success, unix_seconds(outcome(0).finished));

        write(&path, &outcome(1)).unwrap();
        let second = std::fs::read_to_string(&path).unwrap();
        assert_eq!(previous_last_success(&second), Some(success));
        assert!(second.contains("cnxbackup_backup_last_run_success{host=\"cnx1\"} 0\n"));
        assert!(second.contains("cnxbackup_backup_last_run_exit_code{host=\"cnx1\"} 1\n"));
        // only the file itself is left in the directory
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("cnxbackup.prom")]);
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn no_success_yet_and_an_unknown_outage_have_no_sample() {
        let mut run = outcome(1);
        run.outage = None;
        let text = render(&run, None);
        assert!(text.contains("# TYPE cnxbackup_backup_outage_seconds gauge\n"));
        assert!(!text.contains("cnxbackup_backup_outage_seconds{"), "{text}");
        assert!(
            !text.contains("cnxbackup_backup_last_success_timestamp_seconds{"),
            "{text}"
        );
        assert_eq!(previous_last_success(&text), None);
    }

    /// A label set's inside: `name="value"` pairs, comma separated, names valid and not
    /// repeated, values with only the escapes `\\` `\"` `\n`.
    fn check_labels(labels: &str) -> Result<(), &'static str> {
        let label_name = |n: &str| {
            let mut c = n.chars();
            !n.starts_with("__")
                && c.next()
                    .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        };
        let mut chars = labels.chars().peekable();
        let mut seen_labels = Vec::new();
        while chars.peek().is_some() {
            let lname: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if !label_name(&lname) || seen_labels.contains(&lname) {
                return Err("bad or repeated label name");
            }
            if chars.next() != Some('"') {
                return Err("label value not quoted");
            }
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some('\\' | '"' | 'n') => {}
                        _ => return Err("bad escape in a label value"),
                    },
                    Some('"') => break,
                    Some('\n') | None => return Err("unterminated label value"),
                    Some(_) => {}
                }
            }
            seen_labels.push(lname);
            match chars.next() {
                Some(',') | None => {}
                _ => return Err("labels not separated by commas"),
            }
        }
        Ok(())
    }

    /// A strict check of the text exposition format (prometheus.io "Exposition formats",
    /// as node_exporter's textfile collector parses it): `# HELP`/`# TYPE` at most once per
    /// family and before its samples, a known type, samples of a family together, valid metric
    /// and label names, label values with only the three escapes, float values, no series
    /// twice, a final newline.
    fn check_exposition(text: &str) -> Result<usize, String> {
        let metric_name = |n: &str| {
            let mut c = n.chars();
            c.next()
                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
                && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')
        };
        if !text.ends_with('\n') {
            return Err("no final newline".into());
        }
        let mut typed = std::collections::BTreeSet::new();
        let mut helped = std::collections::BTreeSet::new();
        let mut finished: std::collections::BTreeSet<String> = Default::default();
        let mut series = std::collections::BTreeSet::new();
        let mut current: Option<String> = None;
        let mut samples = 0;
        for (n, line) in text.lines().enumerate() {
            let bad = |why: &str| Err(format!("line {}: {why}: {line:?}", n + 1));
            if let Some(rest) = line.strip_prefix("# ") {
                let mut words = rest.splitn(3, ' ');
                let (kind, name, arg) = (words.next(), words.next(), words.next());
                let Some(name) = name.filter(|n| metric_name(n)) else {
                    return bad("comment without a metric name");
                };
                if current.as_deref() != Some(name) {
                    if let Some(prev) = current.take() {
                        finished.insert(prev);
                    }
                }
                if finished.contains(name) {
                    return bad("family appears twice");
                }
                match kind {
                    Some("HELP") if helped.insert(name.to_string()) => {}
                    Some("TYPE")
                        if matches!(
                            arg,
                            Some("counter" | "gauge" | "histogram" | "summary" | "untyped")
                        ) && !series.iter().any(|(m, _): &(String, String)| m == name)
                            && typed.insert(name.to_string()) => {}
                    _ => return bad("HELP or TYPE twice, after samples, or of an unknown type"),
                }
                current = Some(name.to_string());
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (name_and_labels, value) = match line.rfind(' ') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => return bad("no value"),
            };
            let (name, labels) = match name_and_labels.find('{') {
                Some(i) if name_and_labels.ends_with('}') => (
                    &name_and_labels[..i],
                    &name_and_labels[i + 1..name_and_labels.len() - 1],
                ),
                Some(_) => return bad("unclosed label set"),
                None => (name_and_labels, ""),
            };
            if !metric_name(name) {
                return bad("bad metric name");
            }
            if current.as_deref() != Some(name) {
                if let Some(prev) = current.take() {
                    finished.insert(prev);
                }
                if finished.contains(name) {
                    return bad("samples of a family not together");
                }
                current = Some(name.to_string());
            }
            if let Err(why) = check_labels(labels) {
                return bad(why);
            }
            let parsed = match value {
                "+Inf" | "-Inf" | "NaN" => true,
                v => v.parse::<f64>().is_ok(),
            };
            if !parsed {
                return bad("value is not a float");
            }
            if !series.insert((name.to_string(), labels.to_string())) {
                return bad("the same series twice");
            }
            samples += 1;
        }
        Ok(samples)
    }

    #[test]
    fn the_file_is_valid_prometheus_text_in_every_case() {
        let mut odd_host = outcome(0);
        odd_host.host = "cnx \"1\"\\x\ny".into();
        let mut no_snapshot = outcome(1);
        no_snapshot.snapshot = None;
        no_snapshot.outage = None;
        for (run, last_success, expected_samples) in [
            (outcome(0), Some(1.7e9), 10),
            (outcome(1), None, 9),
            (odd_host, Some(1.0), 10),
            (no_snapshot, Some(2.0), 5),
        ] {
            let text = render(&run, last_success);
            assert_eq!(check_exposition(&text), Ok(expected_samples), "{text}");
        }
        // and the checker is strict
        for wrong in [
            "cnxbackup_x 1",
            "# TYPE cnxbackup_x gauge\n# TYPE cnxbackup_x gauge\n",
            "cnxbackup_x{host=\"a\"} 1\ncnxbackup_y 1\ncnxbackup_x{host=\"b\"} 1\n",
            "cnxbackup_x{host=\"a\\q\"} 1\n",
            "cnxbackup_x{host=\"a\"} one\n",
            "cnxbackup_x{host=\"a\"} 1\ncnxbackup_x{host=\"a\"} 2\n",
            "cnxbackup_x 1\n# TYPE cnxbackup_x gauge\n",
            "1x 1\n",
        ] {
            assert!(check_exposition(wrong).is_err(), "accepted {wrong:?}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }

    #[test]
    fn a_directory_that_does_not_exist_is_an_error_naming_the_file() {
        let err = write(
            Path::new("/nonexistent-cnx/metrics/cnxbackup.prom"),
            &outcome(0),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("metrics file /nonexistent-cnx/metrics/cnxbackup.prom: "),
            "{err}"
        );
    }
}
