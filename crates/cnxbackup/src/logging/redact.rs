//! Masking of known secrets in the log: a list of the secrets the process has learnt, and a
//! writer for the `tracing` subscriber that replaces each of them with `***`, line by line.
//!
//! This is the second line of defence. The first is that nothing of ours logs a secret and
//! that the credential-handling crates are silenced (see [`super::is_credential_target`]);
//! this one catches what a third-party crate (or a future change) might still print, e.g. a
//! `Debug` of a credential provider or a URL that happens to contain a password.

use std::io::{self, Write};
use std::sync::Mutex;
use tracing_subscriber::fmt::MakeWriter;
use zeroize::Zeroizing;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Secrets shorter than this (in characters) are not masked: a password like `wrong` would
/// garble ordinary text ("wrong WebSphere credentials") and reveal, by the gaps, where the
/// short password occurs.
pub const MIN_SECRET_CHARS: usize = 8;

/// Secrets at least this long are masked wherever they occur; shorter ones only as a whole
/// word — not inside a longer run of letters, digits, `-` and `_` — so that a password
/// `password` does not turn `--password-file` into `--***-file`.
pub const ANYWHERE_CHARS: usize = 16;

/// The process-wide list every log line is checked against.
static PROCESS_SECRETS: SecretList = SecretList::new();

/// Remember `secret` so that it is masked in every log line written from now on. Call it once
/// per secret, where the secret is read (a variable, a file, a prompt). Repeats are ignored.
pub fn register_secret(secret: &str) {
    PROCESS_SECRETS.register(secret);
}

/// `text` with every secret registered so far replaced by [`MASK`] (what the log writer does
/// to each line; also for any other text bound for the user that might quote a secret).
pub fn mask_secrets(text: &str) -> String {
    String::from_utf8_lossy(&PROCESS_SECRETS.redact(text.as_bytes())).into_owned()
}

/// A set of secrets to mask. Each is kept in a [`Zeroizing`] string, so its copy is wiped when
/// the list drops it (the process-wide list lives until exit, like the secrets themselves).
pub struct SecretList {
    /// Longest first, so that a secret containing another is masked whole.
    secrets: Mutex<Vec<Zeroizing<String>>>,
}

impl SecretList {
    pub const fn new() -> SecretList {
        SecretList {
            secrets: Mutex::new(Vec::new()),
        }
    }

    /// Add `secret` and the forms it takes in a log line: as `Debug` prints it inside quotes
    /// (`"` and `\` escaped) and, for a value with line breaks, each of its lines (the writer
    /// checks one line at a time, so a multi-line value can only be found piecewise).
    pub fn register(&self, secret: &str) {
        let debug = Zeroizing::new(format!("{secret:?}"));
        let debug_inner = debug
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(&debug);
        let mut list = self.lock();
        for form in std::iter::once(secret)
            .chain(std::iter::once(debug_inner))
            .chain(secret.lines())
        {
            if form.chars().count() >= MIN_SECRET_CHARS && !list.iter().any(|s| s.as_str() == form)
            {
                list.push(Zeroizing::new(form.to_string()));
            }
        }
        list.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `line` with every occurrence of every secret replaced by [`MASK`] (of a secret shorter
    /// than [`ANYWHERE_CHARS`], every whole-word occurrence).
    pub fn redact(&self, line: &[u8]) -> Vec<u8> {
        let list = self.lock();
        let mut out = line.to_vec();
        for secret in list.iter() {
            if contains(&out, secret.as_bytes()) {
                let whole_words = secret.chars().count() < ANYWHERE_CHARS;
                out = replace_all(&out, secret.as_bytes(), MASK.as_bytes(), whole_words);
            }
        }
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Zeroizing<String>>> {
        // A panic elsewhere while holding the lock leaves the list intact (pushes and sorts
        // complete or do not happen): keep masking rather than stop logging.
        self.secrets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for SecretList {
    fn default() -> SecretList {
        SecretList::new()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// `haystack` with `needle` replaced by `with`: every occurrence, or with `whole_words` only
/// those not touching a word byte on either side.
fn replace_all(haystack: &[u8], needle: &[u8], with: &[u8], whole_words: bool) -> Vec<u8> {
    if needle.is_empty() {
        return haystack.to_vec();
    }
    let mut out = Vec::with_capacity(haystack.len());
    let (mut at, mut copied) = (0, 0);
    while at + needle.len() <= haystack.len() {
        let found = haystack.get(at..at + needle.len()) == Some(needle)
            && (!whole_words || stands_alone(haystack, at, needle.len()));
        if found {
            out.extend_from_slice(&haystack[copied..at]);
            out.extend_from_slice(with);
            at += needle.len();
            copied = at;
        } else {
            at += 1;
        }
    }
    out.extend_from_slice(&haystack[copied..]);
    out
}

/// Letters, digits, `-` and `_`: what a word (a name, an option, an identifier) is made of.
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Whether `len` bytes at `at` have no word byte right before or right after them.
fn stands_alone(haystack: &[u8], at: usize, len: usize) -> bool {
    let before = at
        .checked_sub(1)
        .and_then(|i| haystack.get(i))
        .is_none_or(|b| !is_word_byte(*b));
    let after = haystack.get(at + len).is_none_or(|b| !is_word_byte(*b));
    before && after
}

/// A writer that holds back text until a line is complete, then writes it with the secrets
/// masked. Whatever is left when it is flushed or dropped (the subscriber makes one writer per
/// event and drops it after the event) is written masked too.
///
/// Whole lines are what make a secret split across two `write` calls still found.
pub struct RedactingWriter<'a, W: Write> {
    inner: W,
    secrets: &'a SecretList,
    /// The unfinished line; it may hold a secret, so it is wiped when dropped.
    pending: Zeroizing<Vec<u8>>,
}

impl<'a, W: Write> RedactingWriter<'a, W> {
    pub fn new(inner: W, secrets: &'a SecretList) -> RedactingWriter<'a, W> {
        RedactingWriter {
            inner,
            secrets,
            pending: Zeroizing::new(Vec::new()),
        }
    }

    fn write_complete_lines(&mut self) -> io::Result<()> {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line = Zeroizing::new(self.pending.drain(..=end).collect::<Vec<u8>>());
            self.inner.write_all(&self.secrets.redact(&line))?;
        }
        Ok(())
    }

    fn write_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rest = Zeroizing::new(std::mem::take(&mut *self.pending));
        self.inner.write_all(&self.secrets.redact(&rest))
    }
}

impl<W: Write> Write for RedactingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.write_complete_lines()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<'_, W> {
    fn drop(&mut self) {
        // Nowhere to report a failed write of a log line to: stderr is the log.
        let _ = self.write_pending();
    }
}

/// The subscriber's writer: stderr, masked against the process-wide list. Each event holds
/// the stderr lock while it is written, so the lines of two threads do not interleave.
pub struct RedactingStderr;

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingWriter<'static, io::StderrLock<'static>>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter::new(io::stderr().lock(), &PROCESS_SECRETS)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn list(secrets: &[&str]) -> SecretList {
        let list = SecretList::new();
        for s in secrets {
            list.register(s);
        }
        list
    }

    fn redacted(list: &SecretList, line: &str) -> String {
        String::from_utf8(list.redact(line.as_bytes())).unwrap()
    }

    /// Writes `parts` one `write` call each through a writer over a Vec, drops the writer (as
    /// the subscriber does after an event) and returns what reached the Vec.
    fn through_writer(list: &SecretList, parts: &[&str]) -> String {
        let mut out = Vec::new();
        {
            let mut w = RedactingWriter::new(&mut out, list);
            for p in parts {
                w.write_all(p.as_bytes()).unwrap();
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_occurrence_of_a_secret_is_masked() {
        let l = list(&["bench-secret-0123"]);
        assert_eq!(
            redacted(
                &l,
                "key: \"bench-secret-0123\", again bench-secret-0123 end\n"
            ),
            "key: \"***\", again *** end\n"
        );
    }

    #[test]
    fn several_secrets_in_one_line_are_all_masked_and_the_rest_is_kept() {
        let l = list(&["repo-pass-42", "s3-key-xyz"]);
        assert_eq!(
            redacted(&l, "a=repo-pass-42 b=s3-key-xyz c=plain"),
            "a=*** b=*** c=plain"
        );
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        // Registered shortest first: the longer one must still win.
        let l = list(&["password", "password-longer-1"]);
        assert_eq!(redacted(&l, "x password-longer-1 y"), "x *** y");
        assert_eq!(redacted(&l, "x password y"), "x *** y");
    }

    #[test]
    fn short_and_empty_secrets_are_not_masked() {
        let l = list(&["", "abc", "on", "wrong", "seven77"]);
        let text = "abc is on, wrong seven77 stays";
        assert_eq!(redacted(&l, text), text);
        let l = list(&["abcdefgh"]);
        assert_eq!(redacted(&l, "abc abcdefgh"), "abc ***");
    }

    #[test]
    fn a_secret_shorter_than_anywhere_chars_is_masked_only_as_a_whole_word() {
        let l = list(&["hunter22"]);
        let inside = "xhunter22 hunter22x my-hunter22 hunter22_1";
        assert_eq!(redacted(&l, inside), inside);
        assert_eq!(
            redacted(&l, "pw=hunter22; \"hunter22\" /a/hunter22/b hunter22"),
            "pw=***; \"***\" /a/***/b ***"
        );
        let l = list(&["password"]);
        assert_eq!(
            redacted(&l, "--password-file given; password: password"),
            "--password-file given; ***: ***"
        );
        // long secrets are masked even inside a word
        let l = list(&["a-long-secret-0123"]);
        assert_eq!(redacted(&l, "repo-a-long-secret-0123x"), "repo-***x");
    }

    #[test]
    fn the_debug_form_of_a_secret_with_quotes_or_backslashes_is_masked() {
        let secret = r#"pa"ss\word"#;
        let l = list(&[secret]);
        let debug_line = format!("Provider {{ secret: {secret:?} }}");
        assert!(!redacted(&l, &debug_line).contains("ss"), "{debug_line}");
        assert_eq!(redacted(&l, &debug_line), "Provider { secret: \"***\" }");
        assert_eq!(redacted(&l, &format!("raw {secret}")), "raw ***");
    }

    #[test]
    fn each_line_of_a_multi_line_secret_is_masked() {
        let l = list(&["first-line\nsecond-line"]);
        let out = through_writer(&l, &["a first-line\n", "b second-line\n"]);
        assert_eq!(out, "a ***\nb ***\n");
    }

    #[test]
    fn a_secret_split_across_two_writes_is_masked() {
        let l = list(&["bench-secret-0123"]);
        let out = through_writer(&l, &["DEBUG key: bench-se", "cret-0123 done\nnext line\n"]);
        assert_eq!(out, "DEBUG key: *** done\nnext line\n");
    }

    #[test]
    fn an_unfinished_last_line_is_masked_when_the_writer_is_dropped() {
        let l = list(&["bench-secret-0123"]);
        let out = through_writer(&l, &["line one\n", "tail bench-secret-0123"]);
        assert_eq!(out, "line one\ntail ***");
    }

    #[test]
    fn flush_writes_the_unfinished_line_masked() {
        let l = list(&["bench-secret-0123"]);
        let mut out = Vec::new();
        let mut w = RedactingWriter::new(&mut out, &l);
        w.write_all(b"x bench-secret-0123").unwrap();
        w.flush().unwrap();
        drop(w);
        assert_eq!(out, b"x ***");
    }

    #[test]
    fn registering_twice_keeps_one_entry() {
        let l = list(&["bench-secret-0123", "bench-secret-0123"]);
        assert_eq!(l.lock().len(), 1);
    }

    #[test]
    fn the_process_wide_list_masks_what_was_registered() {
        register_secret("process-wide-secret-77");
        assert_eq!(mask_secrets("v=process-wide-secret-77"), "v=***");
    }
}
