//! The integration tests of `vault`, gathered into one test binary (one link instead of
//! one per file): each file is a module; the shared helpers are the `*common` modules.
// Tests may unwrap (clippy.toml allows it inside #[test] functions; this covers the helpers).
#![allow(clippy::unwrap_used)]

mod append_only;
mod chunking_page_files;
mod copy;
mod fs_backup_restore;
mod fs_check;
mod fs_common;
mod fs_mirror;
mod fs_pending;
mod fs_proptest;
mod fs_sources;
mod many_writers;
mod prune;
mod repo_blobs;
mod repo_common;
mod repo_decoders;
mod repo_faults;
mod repo_init_open;
mod repo_keys;
mod repo_proptest;
mod repo_snapshots;
mod restore_escape;
mod restore_in_place;
mod s3_common;
mod s3_object_lock;
mod s3_repo;
mod store_conformance;
mod tree_cache;
