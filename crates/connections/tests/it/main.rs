//! The integration tests of `connections`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod common;
mod discover_fixture;
mod discover_samples;
mod parsers_never_panic;
mod web_tier;
