//! The integration tests of `websphere`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod large_resources;
mod no_panic;
mod readers;
mod sysroot_readers;
mod variables;
