//! One module per command: its arguments (clap), its work (calls into the library crates)
//! and its output (human text through `ui`, or one JSON document). Each receives the
//! [`Context`](crate::context::Context) and returns its error to `main`, which chooses the
//! exit code (`exit.rs`). `backup` and `restore` are folders: each has a deployment form and
//! a `--path` form.

pub mod backup;
pub mod check;
pub mod completions;
pub mod config;
pub mod copy;
pub mod demo;
pub mod diff;
pub mod discover;
pub mod dump;
pub mod forget;
pub mod init;
pub mod key;
pub mod ls;
pub mod plan;
pub mod prune;
pub mod repair;
pub mod restore;
pub mod servers;
pub mod set;
pub mod set_roles;
pub mod set_status;
pub mod show;
pub mod snapshots;
pub mod stats;
pub mod sync_node;
pub mod tag;
pub mod unlock;
pub mod was_credentials;
