//! The backup procedure end to end (see `docs/USAGE.md` and issue 7).

pub mod store;
