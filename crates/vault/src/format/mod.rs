//! Codecs of every repository object. Each decoder is a pure function over bytes (the fuzz
//! targets in `fuzz/` call them directly); see `docs/FORMAT.md` for the byte layouts.

pub mod blob;
pub mod config;
pub mod error;
pub mod ids;
pub mod index;
pub mod keyfile;
pub mod lock;
pub mod pack;
pub mod set_record;
pub mod snapshot;
