//! cnxbackup: back up an HCL Connections deployment before an upgrade and restore it onto the
//! version it came from.
//!
//! This crate is the face only: argument parsing ([`cli`]), configuration ([`config`],
//! [`secrets`]), the wiring every command shares ([`context`]), one module per command
//! ([`commands`]), output ([`ui`], [`output`], [`logging`]) and exit codes ([`exit`]). The
//! work happens in the library crates (`runbook`, `connections`, `websphere`, `vault`). It is
//! a library with a thin `main.rs` so that its pieces can be tested directly.

pub mod cli;
pub mod commands;
pub mod config;
pub mod context;
pub mod exit;
pub mod logging;
pub mod output;
pub mod secret_command;
pub mod secrets;
pub mod ui;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use exit::Exit;
use std::process::ExitCode;

/// The whole program: parse, run, print the error, choose the exit code.
pub fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version on stdout (exit 0) and usage errors on stderr (exit 2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                Exit::Usage.code()
            } else {
                Exit::Success.code()
            });
        }
    };
    logging::init(cli.global.verbose, cli.global.quiet);
    mask_panic_messages();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let exit = exit::exit_of(&err);
            // an error may quote what a library said (a URL, a response): mask any secret
            // the program knows, as the log does
            let message = logging::mask_secrets(&exit::describe(&err));
            eprintln!("cnxbackup: error: {message}");
            // a command that printed its report already has its JSON document on stdout
            if json && !exit::was_reported(&err) {
                let doc = serde_json::json!({
                    "error": { "message": message, "exit_code": exit.code() }
                });
                println!("{doc}");
            }
            ExitCode::from(exit.code())
        }
    }
}

/// A panic (a bug) prints its message as the default hook does, but with every registered
/// secret masked, like the log and the error messages: the message may quote any value.
fn mask_panic_messages() {
    std::panic::set_hook(Box::new(|info| {
        let thread = std::thread::current();
        eprintln!("{}", panic_report(thread.name(), &info.to_string()));
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
    }));
}

/// What the panic hook prints for a panic `info` ("panicked at FILE:LINE:COL:\nMESSAGE") in
/// the thread called `thread`: the default hook's line, secrets masked.
fn panic_report(thread: Option<&str>, info: &str) -> String {
    format!(
        "thread '{}' {}",
        thread.unwrap_or("<unnamed>"),
        logging::mask_secrets(info)
    )
}

/// Runs the command `cli` names; the one place that knows every command.
fn run(cli: Cli) -> anyhow::Result<()> {
    // These need no configuration, sysroot or repository: answer before loading any.
    match &cli.command {
        Command::Completions(args) => {
            return commands::completions::completions(args, Cli::command())
        }
        Command::Man(args) => return commands::completions::man(args, Cli::command()),
        Command::Demo(args) => return commands::demo::run(&cli.global, args),
        _ => {}
    }
    let ctx = context::Context::new(cli.global)?;
    match &cli.command {
        Command::Config(args) => commands::config::run(&ctx, args),
        Command::Discover(args) => commands::discover::run(&ctx, args),
        Command::Plan(args) => commands::plan::run(&ctx, args),
        Command::Init(args) => commands::init::run(&ctx, args),
        Command::Key(args) => commands::key::run(&ctx, args),
        Command::Backup(args) => commands::backup::run(&ctx, args),
        Command::Snapshots(args) => commands::snapshots::run(&ctx, args),
        Command::Show(args) => commands::show::run(&ctx, args),
        Command::Diff(args) => commands::diff::run(&ctx, args),
        Command::Ls(args) => commands::ls::run(&ctx, args),
        Command::Dump(args) => commands::dump::run(&ctx, args),
        Command::Stats(args) => commands::stats::run(&ctx, args),
        Command::Tag(args) => commands::tag::run(&ctx, args),
        Command::Restore(args) => commands::restore::run(&ctx, args),
        Command::Check(args) => commands::check::run(&ctx, args),
        Command::Repair(args) => commands::repair::run(&ctx, args),
        Command::Completions(_) | Command::Man(_) | Command::Demo(_) => Ok(()), // answered above
        Command::Copy(args) => commands::copy::run(&ctx, args),
        Command::Forget(args) => commands::forget::run(&ctx, args),
        Command::Prune(args) => commands::prune::run(&ctx, args),
        Command::Unlock(args) => commands::unlock::run(&ctx, args),
        Command::WasCredentials(args) => commands::was_credentials::run(&ctx, args),
        Command::Servers(args) => commands::servers::run(&ctx, args),
        Command::Set(args) => commands::set::run(&ctx, args),
    }
}

#[cfg(test)]
mod panic_tests {
    #[test]
    fn a_panic_message_quoting_a_secret_is_printed_masked() {
        crate::logging::register_secret("panic-test-secret-31415");
        let report = super::panic_report(
            Some("main"),
            "panicked at src/x.rs:1:2:\nbad value panic-test-secret-31415",
        );
        assert_eq!(
            report,
            "thread 'main' panicked at src/x.rs:1:2:\nbad value ***"
        );
        assert!(super::panic_report(None, "x").starts_with("thread '<unnamed>' x"));
    }
}
