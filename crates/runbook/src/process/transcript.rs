//! A transcript of the programs one thread runs: while a [`Transcript`] guard lives, every
//! program [`super::run`] (and the streaming variants) runs on that thread is appended to
//! its file — the command line (secrets masked), how it ended, how long it took, and its
//! captured stdout and stderr.
//!
//! The database backups of a run go on side by side, one thread each; each writes its own
//! transcript, so the vendor tool's messages for one database are never interleaved with
//! another's.

use std::cell::RefCell;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

thread_local! {
    static TRANSCRIPT: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Appends this thread's programs to a file until dropped (then the previous transcript,
/// if any, is in force again).
#[must_use = "the transcript ends when the guard is dropped"]
pub struct Transcript {
    previous: Option<PathBuf>,
}

impl Transcript {
    /// From now on this thread's programs are appended to `path` (created when needed).
    pub fn to_file(path: &Path) -> Transcript {
        let previous = TRANSCRIPT.with(|t| t.replace(Some(path.to_path_buf())));
        Transcript { previous }
    }
}

impl Drop for Transcript {
    fn drop(&mut self) {
        let previous = self.previous.take();
        TRANSCRIPT.with(|t| *t.borrow_mut() = previous);
    }
}

/// One program that ran, as the transcript shows it.
pub(crate) struct Ran<'a> {
    /// The command line as shown (secrets masked).
    pub(crate) command: &'a str,
    /// How it ended (`exit code 0`).
    pub(crate) status: String,
    pub(crate) duration: Duration,
    pub(crate) stdout: &'a str,
    pub(crate) stderr: &'a str,
}

/// Appends `output` to this thread's transcript, if one is in force. A transcript that
/// cannot be written is logged and otherwise ignored: the program's result is what counts.
pub(crate) fn record(output: &Ran<'_>) {
    let Some(path) = TRANSCRIPT.with(|t| t.borrow().clone()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(entry(output).as_bytes()));
    if let Err(e) = written {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the command transcript");
    }
}

/// One program in the transcript.
fn entry(o: &Ran<'_>) -> String {
    let mut s = format!(
        "{} $ {}\n  {} after {:.1} s\n",
        jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        o.command,
        o.status,
        o.duration.as_secs_f64()
    );
    for (name, text) in [("stdout", o.stdout), ("stderr", o.stderr)] {
        if text.trim().is_empty() {
            continue;
        }
        s.push_str(&format!("  --- {name}\n"));
        for line in text.lines() {
            s.push_str("  ");
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::{run, CommandSpec};
    use super::*;

    #[test]
    fn each_thread_writes_its_own_transcript_while_the_guard_lives() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a.log"), d.path().join("b.log"));
        std::thread::scope(|s| {
            for (file, word) in [(&a, "alpha"), (&b, "beta")] {
                s.spawn(move || {
                    let _t = Transcript::to_file(file);
                    run(&CommandSpec::new("/bin/echo").arg(word)).unwrap();
                });
            }
        });
        let a = std::fs::read_to_string(&a).unwrap();
        let b = std::fs::read_to_string(&b).unwrap();
        assert!(
            a.contains("$ /bin/echo alpha") && a.contains("  alpha\n"),
            "{a}"
        );
        assert!(a.contains("exit code 0 after"), "{a}");
        assert!(!a.contains("beta"), "{a}");
        assert!(b.contains("beta") && !b.contains("alpha"), "{b}");
        // after the guard: nothing more is written
        run(&CommandSpec::new("/bin/echo").arg("gamma")).unwrap();
        assert!(!std::fs::read_to_string(d.path().join("a.log"))
            .unwrap()
            .contains("gamma"));
    }

    #[test]
    fn secrets_stay_masked_in_the_transcript() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("t.log");
        let _t = Transcript::to_file(&file);
        let secret = secret::Secret::new("hunter2-secret".to_string());
        run(&CommandSpec::new("/bin/true").secret_arg(&secret)).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains("/bin/true ***"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
