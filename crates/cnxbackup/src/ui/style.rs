//! Colour for status words, decided once: only when the text goes to a terminal, and never
//! when `NO_COLOR` is set (whatever its value, even empty — <https://no-color.org>).
//!
//! The decision is a plain value ([`Style`]) handed to whatever formats text, so tests can
//! inject either choice instead of depending on the terminal they happen to run in.

/// What a word means to the reader; each tone has one colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Done as asked (`ok`, `complete`, `restored`).
    Good,
    /// Failed or damaged: needs action.
    Bad,
    /// Finished with something to read (`INCOMPLETE`, `partial`, warnings).
    Warn,
    /// Not run, nothing to do (`skipped`, `-`).
    Muted,
    /// No colour.
    Plain,
}

/// Whether text is coloured. `Style::default()` is plain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// No colour codes ever.
    pub const PLAIN: Style = Style { colour: false };
    /// Colour codes (tests; a caller that has already decided).
    pub const COLOURED: Style = Style { colour: true };

    /// The one rule: colour only on a terminal and only without `NO_COLOR`.
    pub fn decide(is_terminal: bool, no_color_set: bool) -> Style {
        Style {
            colour: is_terminal && !no_color_set,
        }
    }

    /// True when colour codes are written.
    pub fn coloured(self) -> bool {
        self.colour
    }

    /// `text` in the colour of `tone` (unchanged when plain or the tone has no colour).
    pub fn paint(self, text: &str, tone: Tone) -> String {
        match (self.colour, sgr(tone)) {
            (true, Some(code)) => format!("\x1b[{code}m{text}\x1b[0m"),
            _ => text.to_string(),
        }
    }

    /// A status word in the colour its meaning calls for ([`tone_of`]).
    pub fn status(self, word: &str) -> String {
        self.paint(word, tone_of(word))
    }
}

/// The ANSI select-graphic-rendition code of a tone.
fn sgr(tone: Tone) -> Option<&'static str> {
    match tone {
        Tone::Good => Some("32"),
        Tone::Bad => Some("1;31"),
        Tone::Warn => Some("33"),
        Tone::Muted => Some("2"),
        Tone::Plain => None,
    }
}

/// The tone of a status word as the commands print them (case does not matter).
pub fn tone_of(word: &str) -> Tone {
    let w = word.trim().to_ascii_lowercase();
    match w.as_str() {
        "ok" | "complete" | "restored" | "verified" | "stopped" | "kept" | "keep"
        | "no errors found" | "as expected" | "would run" | "run" | "allowed" => Tone::Good,
        "failed" | "damaged" | "error" | "check failed" | "refused" | "missing" | "differs"
        | "cannot be read" => Tone::Bad,
        "incomplete" | "unreadable" | "partial" | "warn" | "warning" | "would remove"
        | "remove" | "removed" | "overridden" => Tone::Warn,
        "skipped" | "-" | "unchanged" | "not run" => Tone::Muted,
        _ if w.ends_with(" failed") || w.starts_with("failed") || w.contains("differences") => {
            Tone::Bad
        }
        _ => Tone::Plain,
    }
}

/// The table cell colour of a tone (comfy-table writes the codes itself).
pub fn table_colour(tone: Tone) -> Option<comfy_table::Color> {
    match tone {
        Tone::Good => Some(comfy_table::Color::Green),
        Tone::Bad => Some(comfy_table::Color::Red),
        Tone::Warn => Some(comfy_table::Color::Yellow),
        Tone::Muted => Some(comfy_table::Color::DarkGrey),
        Tone::Plain => None,
    }
}

/// True when `text` holds an ANSI escape sequence.
pub fn has_escape(text: &str) -> bool {
    text.contains('\x1b')
}

/// `text` without its `ESC [ ... m` sequences: what a coloured line shows (tests compare it
/// with the plain rendering, which colour must not otherwise change).
#[cfg(test)]
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(Style::decide(true, false).coloured());
        assert!(!Style::decide(false, false).coloured());
        assert!(!Style::decide(true, true).coloured());
        assert!(!Style::decide(false, true).coloured());
        assert!(!Style::default().coloured());
    }

    #[test]
    fn plain_style_writes_no_escape_codes() {
        for word in ["ok", "FAILED", "INCOMPLETE", "skipped", "anything"] {
            let s = Style::PLAIN.status(word);
            assert_eq!(s, word);
            assert!(!has_escape(&s));
        }
    }

    #[test]
    fn coloured_style_wraps_status_words_by_meaning() {
        assert_eq!(Style::COLOURED.status("ok"), "\x1b[32mok\x1b[0m");
        assert_eq!(Style::COLOURED.status("FAILED"), "\x1b[1;31mFAILED\x1b[0m");
        assert_eq!(
            Style::COLOURED.status("INCOMPLETE"),
            "\x1b[33mINCOMPLETE\x1b[0m"
        );
        // a word without a meaning stays plain even in colour
        assert_eq!(Style::COLOURED.status("restoring"), "restoring");
    }

    #[test]
    fn tones_of_the_words_the_commands_print() {
        assert_eq!(tone_of("ok"), Tone::Good);
        assert_eq!(tone_of("Complete"), Tone::Good);
        assert_eq!(tone_of("FAILED"), Tone::Bad);
        assert_eq!(tone_of("CHECK FAILED"), Tone::Bad);
        assert_eq!(tone_of("3 DIFFERENCES"), Tone::Bad);
        assert_eq!(tone_of("INCOMPLETE"), Tone::Warn);
        assert_eq!(tone_of("partial"), Tone::Warn);
        assert_eq!(tone_of("skipped"), Tone::Muted);
        assert_eq!(tone_of("shared_data"), Tone::Plain);
    }
}
