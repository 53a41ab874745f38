//! The documented backup procedure and its mirror-image restore.
//!
//! `runbook` owns the `Plan` (the procedure's steps as data) and its execution: server control,
//! vendor database tools, file components into the vault, the manifest, and the version-gated
//! restore. It must never parse command lines or print for humans (that is `cnxbackup`), and
//! it must never reach into the repository format below `vault`'s public API.

pub mod backup;
pub mod cellset;
pub mod clock;
pub mod databases;
pub mod declared;
pub mod fssnap;
pub mod manifest;
pub mod monitor;
pub mod pick;
pub mod plan;
pub mod preflight;
pub mod procedure;
pub mod process;
pub mod restore;
pub mod role_mappings;
pub mod servers;
