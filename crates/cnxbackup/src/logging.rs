//! `tracing` to stderr. stdout is reserved for the output the user asked for.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Level from `-v`/`-q`: warnings by default, `-v` info, `-vv` debug, `-vvv` trace, `-q` errors
/// only, `-qq` nothing. `CNXBACKUP_LOG` (an `EnvFilter` directive) overrides both.
pub fn init(verbose: u8, quiet: u8) {
    let level = match i16::from(verbose) - i16::from(quiet) {
        i16::MIN..=-2 => "off",
        -1 => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = std::env::var("CNXBACKUP_LOG")
        .ok()
        .and_then(|directive| EnvFilter::try_new(directive).ok())
        .unwrap_or_else(|| EnvFilter::new(level));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    // A second init (tests calling main logic twice) is harmless: ignore the error.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .with_target(verbose >= 2)
        .try_init();
}
