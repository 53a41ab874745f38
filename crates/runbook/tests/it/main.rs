//! The integration tests of `runbook`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod backup_postgres;
mod common;
mod databases_postgres;
mod databases_sample;
mod fssnap_btrfs;
mod fssnap_lvm;
mod restore_gate;
mod servers_retry;
mod servers_sample;
