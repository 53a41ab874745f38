//! The deployment restore: bring a failed update back to exactly where the backup was.
//!
//! [`run`] restores a `cnxbackup backup` snapshot onto a target root (the sysroot, or a lab
//! copy with `--target`):
//!
//! 1. **Manifest and selection** ([`select`]): `/.cnxbackup/manifest.json` from the
//!    snapshot; every component it holds, or `--only`; the Installation Manager group
//!    (`connections_root`, `installation_manager`, `shared_resources`) always together; an
//!    incomplete snapshot only with `--only` naming intact components.
//! 2. **The version gate** ([`gate`]): the version installed at the target
//!    (`connections::discover::installed_version`) against the backup's, by the documented
//!    rules; refusals name the rule, both versions and what to do.
//! 3. **Preconditions**: every server at the target stopped (`--stop` stops them the way
//!    the backup does); otherwise refused, naming the running ones.
//! 4. **Databases first** ([`dbs`]) through the vendor's restore commands, then the **file
//!    components** ([`files`]), each an exact mirror of the snapshot; profile `temp` and
//!    `wstemp` emptied.
//! 5. **After**: the version is read again at the target and compared with the one the
//!    restore was meant to leave; restored files are verified against the snapshot (sizes
//!    and content hashes; by default for components under 10 GiB).
//!
//! `--dry-run` runs 1–2, reports 3, and lists every file that would be added, replaced or
//! removed per component and every database command, touching nothing.
//!
//! Each numbered part is a phase function run by the procedure runner
//! ([`crate::procedure`]), which emits the same events as the backup's and records the
//! phase table in [`RestoreReport::phases`].
pub mod dbs;
mod error;
pub mod files;
pub mod gate;
mod input;
mod report;
mod run;
pub mod select;
mod topology;

pub use error::RestoreError;
pub use input::{RestoreInput, RestoreOptions};
pub use report::RestoreReport;
pub use run::{is_deployment_backup, read_manifest, run};
pub use topology::target_topology;
