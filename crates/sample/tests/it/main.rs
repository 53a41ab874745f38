//! The integration tests of `sample`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod build;
mod common;
mod db_standins;
mod multihost;
mod update;
mod was_standins;
