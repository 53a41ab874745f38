//! The integration tests of `websphere`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.

mod large_resources;
mod no_panic;
mod readers;
mod sysroot_readers;
mod variables;
