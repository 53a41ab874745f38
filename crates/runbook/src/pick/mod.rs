//! Which snapshot a command means: a snapshot id, a unique id prefix, or `latest`, narrowed
//! by `--host`, `--set` and `--tag` (docs/cli-contract.md).
//!
//! `latest` must never pick the wrong backup at 2 a.m.:
//!
//! - it is the newest **COMPLETE deployment** snapshot **of this host** (of `--host` when
//!   given), of the set with `--set`, carrying every `--tag`;
//! - INCOMPLETE ones newer than it are passed over and named ([`Picked::passed_over`]);
//! - the helper snapshots — the temporary per-component ones of an interrupted backup
//!   ([`PARTIAL_TAG`]) and the ones a restore takes of what it replaces
//!   ([`PRE_RESTORE_TAG`]) — are never `latest` unless `--tag` names their tag;
//! - a host with no deployment snapshot at all falls back to its newest plain path
//!   snapshot (`backup --path`);
//! - a repository of path backups only (no deployment snapshot matches the other
//!   filters) keeps the meaning `latest` always had there: the newest snapshot, of any
//!   host unless `--host` names one;
//! - otherwise nothing of this host is an error that lists the hosts the repository has.
//!
//! [`pick`] is the rule, a pure function over [`Candidate`]s (tested by tables and
//! properties); [`resolve`] reads the repository and applies it; [`check_restore_host`] is
//! the rule for restoring another host's deployment snapshot (`--from-host`).

mod error;
mod host;
mod rule;
#[cfg(test)]
mod tests;

pub use error::PickError;
pub use host::{check_restore_host, restore_filter, HostCheck};
pub use rule::{
    candidates, pick, resolve, Candidate, Kind, PassedOver, Picked, Selector, PARTIAL_TAG,
    PRE_RESTORE_TAG,
};
