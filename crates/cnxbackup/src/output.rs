//! Where results go: human text on stdout, or with `--json` one JSON document on stdout and
//! human text on stderr. How the human text looks (tables, colour, progress bars) is the
//! `ui` module's job; the rules are in docs/OUTPUT.md.

use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Print a result: `human` as text, or `value` as pretty JSON with `--json`.
    pub fn result<T: Serialize>(&self, human: &str, value: &T) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut stdout, value)?;
            writeln!(stdout)?;
        } else {
            write!(stdout, "{human}")?;
            if !human.ends_with('\n') {
                writeln!(stdout)?;
            }
        }
        stdout.flush()?;
        Ok(())
    }

    /// A line for the person at the terminal (stderr with `--json`, stdout otherwise).
    pub fn note(&self, line: &str) {
        if self.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}
