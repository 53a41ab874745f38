//! Progress bars on stderr for backup, restore and `check --read-data`: bytes, files (or
//! packs), rate and ETA, drawn from a [`vault::Progress`] that the operation counts into.
//!
//! The operation only updates atomic counters; a small thread reads them ten times a second
//! and moves the bar, so the hot path never touches the terminal. With `--json`, `-q`, or a
//! stderr that is not a terminal there is no bar, no thread and no counters (the operation
//! gets `None` and counts nothing).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vault::{Progress, ProgressReading};

use super::terminal::Ui;

/// How often the counters are read.
const POLL: Duration = Duration::from_millis(100);

/// The bar takes what the terminal width leaves, so the line never wraps on 80 columns.
const TEMPLATE: &str =
    "{prefix} [{wide_bar}] {bytes}/{total_bytes}  {msg}  {bytes_per_sec}  ETA {eta}";

/// A progress display that may be hidden; hand [`ProgressDisplay::counters`] to the
/// operation's options.
pub struct ProgressDisplay {
    shown: Option<Shown>,
}

struct Shown {
    counters: Arc<Progress>,
    bar: ProgressBar,
    stop: Arc<AtomicBool>,
    poller: Option<JoinHandle<()>>,
}

impl ProgressDisplay {
    /// A bar labelled `label` counting `unit` ("files", "packs") — shown only when `ui`
    /// allows progress (stderr is a terminal, no `--json`, no `-q`).
    pub fn new(ui: &Ui, label: &str, unit: &'static str) -> ProgressDisplay {
        if !ui.progress {
            return ProgressDisplay::hidden();
        }
        ProgressDisplay::with_target(label, unit, ProgressDrawTarget::stderr_with_hz(10))
    }

    /// No bar at all.
    pub fn hidden() -> ProgressDisplay {
        ProgressDisplay { shown: None }
    }

    /// A bar drawing to `target` (tests draw to a hidden target and read the bar back).
    fn with_target(label: &str, unit: &'static str, target: ProgressDrawTarget) -> ProgressDisplay {
        let counters = Progress::new();
        // Nothing is drawn until the operation reports work: phases before the data
        // (stopping servers, reading a manifest) keep their plain lines.
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::hidden())
            .with_prefix(label.to_string());
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style.progress_chars("=> "));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let poller = {
            let (counters, bar, stop) = (Arc::clone(&counters), bar.clone(), Arc::clone(&stop));
            let mut target = Some(target);
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let reading = counters.now();
                        if reading != ProgressReading::default() {
                            // the first frame already carries the numbers
                            apply(&bar, reading, unit);
                            if let Some(t) = target.take() {
                                bar.set_draw_target(t);
                            }
                            bar.tick();
                        }
                        std::thread::sleep(POLL);
                    }
                })
                .ok()
        };
        ProgressDisplay {
            shown: Some(Shown {
                counters,
                bar,
                stop,
                poller,
            }),
        }
    }

    /// The counters for the operation's options (`None` when hidden: nothing to count).
    pub fn counters(&self) -> Option<Arc<Progress>> {
        self.shown.as_ref().map(|s| Arc::clone(&s.counters))
    }

    /// True when a bar may be drawn.
    pub fn is_shown(&self) -> bool {
        self.shown.is_some()
    }

    /// A line on stderr that does not tear the bar (it is printed above it).
    pub fn eprintln(&self, line: &str) {
        match &self.shown {
            Some(s) => s.bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Stop drawing and remove the bar from the screen (the summary follows).
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(s) = &mut self.shown {
            s.stop.store(true, Ordering::Relaxed);
            if let Some(h) = s.poller.take() {
                let _ = h.join();
            }
            s.bar.finish_and_clear();
        }
    }
}

impl Drop for ProgressDisplay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Moves the bar to a reading: bytes as the bar, files in the message. A total below what is
/// done (the walk still counting) is raised to it so the bar never runs past its end.
fn apply(bar: &ProgressBar, r: ProgressReading, unit: &str) {
    bar.set_message(count_message(r, unit));
    bar.set_length(r.bytes_total.max(r.bytes_done));
    bar.set_position(r.bytes_done);
}

/// `12/340 files`.
pub fn count_message(r: ProgressReading, unit: &str) -> String {
    format!(
        "{}/{} {unit}",
        r.files_done,
        r.files_total.max(r.files_done)
    )
}

/// A spinner on stderr for work without counters (plan sizing); hidden like the bars.
pub fn spinner(ui: &Ui, message: &str) -> ProgressBar {
    if !ui.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(10));
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(message.to_string());
    bar.enable_steady_tick(POLL);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::Ui;

    #[test]
    fn hidden_without_permission_and_counts_nothing() {
        let d = ProgressDisplay::new(&Ui::plain(), "backup", "files");
        assert!(!d.is_shown());
        assert!(d.counters().is_none());
        d.finish();
        assert!(spinner(&Ui::plain(), "measuring").is_hidden());
    }

    #[test]
    fn the_bar_follows_the_counters() {
        let d = ProgressDisplay::with_target("backup", "files", ProgressDrawTarget::hidden());
        let p = d.counters().unwrap();
        p.add_total(10, 1000);
        p.add_done(4, 250);
        let bar = d.shown.as_ref().unwrap().bar.clone();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while bar.position() != 250 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(bar.position(), 250);
        assert_eq!(bar.length(), Some(1000));
        assert_eq!(bar.message(), "4/10 files");
        d.finish();
        assert!(bar.is_finished());
    }

    #[test]
    fn totals_never_fall_below_what_is_done() {
        let bar = ProgressBar::hidden();
        let r = ProgressReading {
            files_total: 1,
            bytes_total: 10,
            files_done: 3,
            bytes_done: 40,
        };
        apply(&bar, r, "packs");
        assert_eq!(bar.length(), Some(40));
        assert_eq!(bar.position(), 40);
        assert_eq!(bar.message(), "3/3 packs");
    }
}
