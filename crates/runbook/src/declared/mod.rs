//! Declared components and hooks: what cnxbackup cannot discover, taken with the rest of
//! the deployment through the administrator's own commands.
//!
//! - [`config`]: `[[component]]` (name, backup/restore/version commands, when it runs,
//!   where its data goes, timeout, environment and secret files) and `[hooks]`.
//! - [`runner`]: the one way these commands run — own process group killed at the timeout,
//!   output captured into a transcript, secrets from files into the environment only,
//!   cnxbackup's own secrets withheld.
//! - [`backup`]: a component's version and backup into its staging directory, stored in the
//!   snapshot under [`crate::manifest::DECLARED_DIR`].
//! - [`restore`]: its version gate and restore command.
//! - [`hooks`]: `before_stop`, `after_start`, `on_failure` with the run's facts.

pub mod backup;
pub mod config;
pub mod error;
pub mod hooks;
pub mod restore;
pub mod runner;

pub use backup::{back_up, preflight, StagedComponent};
pub use config::{validate_all, CommandLine, Declared, Hooks, OutputKind, When};
pub use error::DeclaredError;
pub use hooks::{run_hook, HookFacts, HookKind, HookRan};
pub use restore::{DeclaredResult, RestoreFrom};
