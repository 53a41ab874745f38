//! The backup manifest: what one host's backup holds and how each step went.
//!
//! A [`Manifest`] is written into the snapshot as `/.cnxbackup/manifest.json` and summarised
//! ([`Summary`]) in the snapshot's application document, so that `snapshots` can list a
//! backup (set, status, version) without reading the snapshot's tree. The restore reads the
//! manifest back: every type here is `Deserialize`, and the format is versioned by
//! [`Manifest::schema_version`] (documented in `docs/MANIFEST.md`, JSON schema in
//! `docs/manifest.schema.json`). Readers accept any document whose `schema_version` they
//! know; fields are only ever added (with serde defaults), never renamed.

mod declared;
mod document;
mod outage;
mod status;
mod summary;

pub use declared::*;
pub use document::*;
pub use outage::{OutageEnd, OutageWindow, Span};
pub use summary::{ComponentLine, DatabaseLine, Summary, SUMMARY_KIND};

#[cfg(test)]
pub(crate) mod tests;
