//! The integration tests of `connections`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.

mod common;
mod discover_fixture;
mod discover_samples;
mod parsers_never_panic;
