//! What cnxbackup reports about snapshots, as data: the `show` report of one snapshot
//! ([`show`]) and the comparison of two ([`diff`]: per-component grouping of the tree
//! changes, the version change, and the structural diff of XML configuration files).
//!
//! Both are also the `--json` documents of their commands (`docs/schemas/show.schema.json`,
//! `docs/schemas/diff.schema.json`). How they look to a person (terminal text, the HTML
//! page) is the binary's job (`crates/cnxbackup/src/commands/{show,diff}/`): the renderers
//! read only these types, so the terminal, the HTML page and the JSON cannot drift apart.

pub mod diff;
pub mod show;
