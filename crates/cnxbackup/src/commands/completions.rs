//! `cnxbackup completions SHELL` and `cnxbackup man`: generated from the clap definitions so
//! that they never drift from the real command line.

use clap::Args;
use clap_complete::Shell;
use std::io::Write;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write the completion script for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {}

/// Writes the completion script of `command` (the whole command line) for `args.shell` on
/// stdout.
pub fn completions(args: &CompletionsArgs, mut command: clap::Command) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "cnxbackup", &mut stdout);
    stdout.flush()?;
    Ok(())
}

/// Writes the man page (roff) of `command` and a section per subcommand on stdout.
pub fn man(_args: &ManArgs, command: clap::Command) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    render_man(command, &mut stdout)?;
    stdout.flush()?;
    Ok(())
}

/// The man page: the main page, then each subcommand's page appended (one file, so that
/// `cnxbackup man > cnxbackup.1` documents everything).
pub fn render_man(command: clap::Command, out: &mut dyn Write) -> std::io::Result<()> {
    clap_mangen::Man::new(command.clone()).render(out)?;
    for sub in command.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        let name = format!("cnxbackup-{}", sub.get_name());
        writeln!(out)?;
        clap_mangen::Man::new(sub.clone()).title(name).render(out)?;
    }
    Ok(())
}
