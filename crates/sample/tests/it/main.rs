//! The integration tests of `sample`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.

mod build;
mod common;
mod db_standins;
mod update;
mod was_standins;
