//! The options every command understands (before or after the command name).

use clap::{ArgAction, Args};
use std::path::PathBuf;

/// Options every command understands (before or after the command name).
#[derive(Debug, Clone, Args)]
pub struct GlobalOpts {
    /// TOML configuration file [env: CNXBACKUP_CONFIG] (default: ./cnxbackup.toml, then
    /// /etc/cnxbackup/cnxbackup.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Read and write every product path (/opt/IBM/..., /var/ibm/...) under DIR
    /// [env: CNXBACKUP_SYSROOT] [default: /]
    #[arg(long, global = true, value_name = "DIR")]
    pub sysroot: Option<PathBuf>,

    /// Repository: a local directory or s3://BUCKET/PREFIX [env: CNXBACKUP_REPOSITORY]
    #[arg(long, global = true, value_name = "URL")]
    pub repo: Option<String>,

    /// File holding the repository password [env: CNXBACKUP_PASSWORD_FILE]
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// Command whose first output line is the repository password, run by /bin/sh -c
    /// [env: CNXBACKUP_PASSWORD_COMMAND]
    #[arg(
        long,
        global = true,
        value_name = "CMD",
        conflicts_with = "password_file"
    )]
    pub password_command: Option<String>,

    /// Machine-readable JSON on stdout; human text goes to stderr
    #[arg(long, global = true)]
    pub json: bool,

    /// Less logging (repeat for none)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub quiet: u8,

    /// More logging (repeat for more)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
}
