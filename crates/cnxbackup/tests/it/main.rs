//! The integration tests of `cnxbackup`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod ansible_cell;
mod append_only_cli;
mod backup_common;
mod backup_faults;
mod backup_outage;
mod backup_procedure;
mod cell_common;
mod cli_common;
mod cli_foundation;
mod completions_man;
mod component_pack;
mod copy_cli;
mod declared_components;
mod default_roundtrip;
mod demo;
mod diff;
mod discover_samples;
mod everyday_cli;
mod examples;
mod fault_injection;
mod human_output;
mod import_cycles;
mod json_schemas;
mod keys_cli;
mod log_secrets;
mod notify;
mod restore_choice;
mod restore_common;
mod restore_procedure;
mod restore_vendors;
mod retention_cli;
mod servers_cell;
mod show;
mod tdi;
mod vault_common;
mod vault_faults;
mod vault_roundtrip;
mod vault_sets;
mod web_tier;
