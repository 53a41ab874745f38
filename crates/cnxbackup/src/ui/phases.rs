//! The events of a procedure (backup or restore) as the person at the terminal sees them:
//! one line per phase on stderr (`title  status  seconds  message`), warnings beneath, and
//! optionally one line per finished item; or, for the backup's `--json`, one JSON document
//! per event on stdout. While the data phase runs, a progress bar (when the terminal allows
//! one) sits below the phase lines.

use std::io::Write as _;

use runbook::procedure::{Event, EventSink, Phase, PhaseStatus};

use super::progress::ProgressDisplay;
use super::style::Style;

/// Prints the events of one run.
pub struct PhasePrinter {
    /// JSON lines on stdout instead of text (the backup's `--json`).
    pub json_lines: bool,
    /// Print nothing (the restore's `--json`: one document at the end).
    pub silent: bool,
    /// One `  item: status` line per finished item (the restore's databases and
    /// components).
    pub item_lines: bool,
    /// Colours of stderr.
    pub style: Style,
    /// The bar; finished when the phase that fills it ends.
    pub display: Option<ProgressDisplay>,
    /// The phase whose end finishes the bar.
    pub bar_phase: Phase,
}

impl PhasePrinter {
    fn line(&self, line: &str) {
        match &self.display {
            Some(d) => d.eprintln(line),
            None => eprintln!("{line}"),
        }
    }

    /// Ends the bar, if still shown.
    pub fn finish(&mut self) {
        if let Some(d) = self.display.take() {
            d.finish();
        }
    }
}

impl EventSink for PhasePrinter {
    fn event(&mut self, e: &Event) {
        if self.silent {
            return;
        }
        if self.json_lines {
            if let Ok(line) = serde_json::to_string(e) {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
            return;
        }
        match e {
            Event::PhaseStart { .. } => {}
            Event::Progress { item, status, .. } => {
                if self.item_lines {
                    self.line(&format!("  {item}: {status}"));
                }
            }
            Event::PhaseEnd {
                phase,
                status,
                duration_ms,
                message,
            } => {
                if *phase == self.bar_phase {
                    // the data is stored or written: the bar has done its job
                    self.finish();
                }
                let word = match status {
                    PhaseStatus::Ok => "ok",
                    PhaseStatus::Failed => "FAILED",
                    PhaseStatus::Skipped => "skipped",
                };
                self.line(&phase_line(
                    self.style,
                    phase.title(),
                    word,
                    *duration_ms,
                    message,
                ));
            }
            Event::Warning { message, .. } => {
                self.line(&format!("  {}: {message}", self.style.status("warning")));
            }
        }
    }
}

/// `title  status  seconds  message`, the status padded before it is coloured so the
/// columns stay aligned with colour on.
pub fn phase_line(
    style: Style,
    title: &str,
    word: &str,
    duration_ms: u64,
    message: &str,
) -> String {
    let padded = format!("{word:<7}");
    format!(
        "{title:<44} {} {:>7.1} s  {message}",
        style.paint(&padded, super::style::tone_of(word)),
        duration_ms as f64 / 1000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::style::strip_escapes;

    #[test]
    fn phase_lines_keep_their_columns_with_colour_on() {
        let plain = phase_line(
            Style::PLAIN,
            "stop the WebSphere servers",
            "ok",
            5230,
            "5 stopped",
        );
        assert_eq!(
            plain,
            format!(
                "{:<44} ok          5.2 s  5 stopped",
                "stop the WebSphere servers"
            )
        );
        let coloured = phase_line(
            Style::COLOURED,
            "stop the WebSphere servers",
            "ok",
            5230,
            "5 stopped",
        );
        assert!(coloured.contains("\x1b[32m"), "{coloured:?}");
        assert_eq!(strip_escapes(&coloured), plain);
        let failed = phase_line(Style::COLOURED, "back up the databases", "FAILED", 100, "x");
        assert!(failed.contains("\x1b[1;31mFAILED "), "{failed:?}");
        assert_eq!(
            strip_escapes(&failed).find(" 0.1 s"),
            plain.find(" 5.2 s"),
            "the seconds column moved"
        );
    }
}
