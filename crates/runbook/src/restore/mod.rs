//! The deployment restore: bring a failed update back to exactly where the backup was.
//!
//! [`run()`] restores a `cnxbackup backup` snapshot onto a target root (the sysroot, or a lab
//! copy with `--target`):
//!
//! 1. **Manifest, target and mode**: `/.cnxbackup/manifest.json` from the snapshot; the
//!    version installed at the target. A `--target` that holds no installation is an
//!    **extraction** ([`extract`]): no gate, no host rule, database images as files.
//!    Otherwise the snapshot must be of this host, or `--from-host` must name its host
//!    ([`crate::pick::check_restore_host`]).
//! 2. **Selection** ([`select`]): every component the snapshot holds, or `--only`; the
//!    Installation Manager group (`connections_root`, `installation_manager`,
//!    `shared_resources`) always together; an incomplete snapshot only with `--only` naming
//!    intact components (an extraction takes its intact ones).
//! 3. **The version gate** ([`gate`]): the version installed at the target
//!    (`connections::discover::installed_version`) against the backup's, by the documented
//!    rules; refusals name the rule, both versions and what to do.
//! 4. **Preconditions**: every server at the target stopped (`--stop` stops them the way
//!    the backup does, after checking that the repository takes writes); otherwise
//!    refused, naming the running ones.
//! 5. **The pre-restore snapshot** ([`prerestore`]): everything the restore is about to
//!    replace or remove, and the logs, saved into the repository (tag `pre-restore`);
//!    failing that, the restore stops before it changed anything. `--no-pre-restore`
//!    turns it off.
//! 6. **Databases first** ([`dbs`]) through the vendor's restore commands, then the **file
//!    components** ([`files`]), each an exact mirror of the snapshot; profile `temp` and
//!    `wstemp` emptied.
//! 7. **After**: the version is read again at the target and compared with the one the
//!    restore was meant to leave; restored files are verified against the snapshot (sizes
//!    and content hashes; by default for components under 10 GiB).
//!
//! `--dry-run` runs 1–3, reports 4 and 5, and lists every file that would be added,
//! replaced or removed per component — the servers' runtime files ([`runtime`]) marked
//! apart — and every database command, touching nothing. The report starts with
//! [`totals::Totals`].
//!
//! Each numbered part is a phase function run by the procedure runner
//! ([`crate::procedure`]), which emits the same events as the backup's and records the
//! phase table in [`RestoreReport::phases`].
pub mod dbs;
mod declared;
mod error;
pub mod extract;
pub mod files;
pub mod gate;
mod input;
pub mod prerestore;
mod report;
mod run;
pub mod runtime;
pub mod select;
mod topology;
pub mod totals;
mod web;

pub use error::DeploymentRestoreError;
pub use input::{DeploymentRestoreOptions, RestoreInput};
pub use report::{Mode, PreRestoreOutcome, RestoreReport};
pub use run::{is_deployment_backup, read_manifest, run};
pub use topology::target_topology;
