//! What the process's streams are connected to, and the output decisions made from that.

use std::io::IsTerminal;
use std::sync::OnceLock;

use super::style::Style;

/// What the process is connected to (read once per process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terminal {
    pub stdout_is_terminal: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` is set, whatever its value.
    pub no_color: bool,
}

impl Terminal {
    /// The real terminal of this process.
    pub fn probe() -> Terminal {
        static PROBED: OnceLock<Terminal> = OnceLock::new();
        *PROBED.get_or_init(|| Terminal {
            stdout_is_terminal: std::io::stdout().is_terminal(),
            stderr_is_terminal: std::io::stderr().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some(),
        })
    }
}

/// The output decisions of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ui {
    /// Human text on stdout (tables, summaries).
    pub stdout: Style,
    /// Human text on stderr (phase lines, warnings; all human text with `--json`).
    pub stderr: Style,
    /// Progress bars and spinners on stderr.
    pub progress: bool,
}

impl Ui {
    /// The decisions for this process's terminal.
    pub fn detect(json: bool, quiet: u8) -> Ui {
        Ui::decide(Terminal::probe(), json, quiet)
    }

    /// The one rule set: colour on a stream only when it is a terminal and `NO_COLOR` is
    /// unset (stdout never with `--json`: it carries JSON); progress only on a terminal
    /// stderr, without `--json` and without `-q`.
    pub fn decide(t: Terminal, json: bool, quiet: u8) -> Ui {
        Ui {
            stdout: Style::decide(t.stdout_is_terminal && !json, t.no_color),
            stderr: Style::decide(t.stderr_is_terminal, t.no_color),
            progress: t.stderr_is_terminal && !json && quiet == 0,
        }
    }

    /// No colour, no progress (tests, pipes).
    pub fn plain() -> Ui {
        Ui {
            stdout: Style::PLAIN,
            stderr: Style::PLAIN,
            progress: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTY: Terminal = Terminal {
        stdout_is_terminal: true,
        stderr_is_terminal: true,
        no_color: false,
    };

    #[test]
    fn a_terminal_gets_colour_and_progress() {
        let ui = Ui::decide(TTY, false, 0);
        assert!(ui.stdout.coloured() && ui.stderr.coloured() && ui.progress);
    }

    #[test]
    fn no_color_turns_colour_off_but_keeps_progress() {
        let ui = Ui::decide(
            Terminal {
                no_color: true,
                ..TTY
            },
            false,
            0,
        );
        assert!(!ui.stdout.coloured() && !ui.stderr.coloured());
        assert!(ui.progress);
    }

    #[test]
    fn pipes_get_neither() {
        let piped = Terminal {
            stdout_is_terminal: false,
            stderr_is_terminal: false,
            no_color: false,
        };
        assert_eq!(Ui::decide(piped, false, 0), Ui::plain());
        // stdout piped, stderr a terminal: colour and bars on stderr only
        let ui = Ui::decide(
            Terminal {
                stdout_is_terminal: false,
                ..TTY
            },
            false,
            0,
        );
        assert!(!ui.stdout.coloured() && ui.stderr.coloured() && ui.progress);
    }

    #[test]
    fn json_and_quiet_hide_progress_and_json_keeps_stdout_plain() {
        let ui = Ui::decide(TTY, true, 0);
        assert!(!ui.progress && !ui.stdout.coloured() && ui.stderr.coloured());
        let ui = Ui::decide(TTY, false, 1);
        assert!(!ui.progress && ui.stdout.coloured());
    }
}
