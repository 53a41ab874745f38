//! The HCL Connections deployment model.
//!
//! `connections` owns the layout conventions, the version model with the documented restore
//! rules, and discovery: it builds a `Deployment` from the WebSphere cell (via `websphere`),
//! the Connections install and Installation Manager state. It must never depend on the
//! repository engine (`vault`) or the procedure (`runbook`), and it never changes anything on
//! disk.
//!
//! - [`version`]: [`Version`] (IIM offering version + iFix set), the release mapping
//!   (6.0 CR6 and later count as 6.5), [`can_restore_content`] / [`can_restore_provision`],
//!   cross-checked version evidence and the [`version::Fingerprint`]. Pure, no I/O.
//! - [`deployment`]: the [`deployment::Deployment`] data model (what `discover --json`
//!   prints), with the provenance of every root and the warnings met.
//! - [`discover`]: [`discover::discover`] reads a deployment through a `Sysroot`; the
//!   profile registry and the cell's `security.xml` are required, everything else is
//!   evidence whose failure is a warning.
//!
//! `docs/DISCOVERY.md` describes the sources, fallbacks and rules in prose.

pub mod deployment;
pub mod discover;
pub mod version;

pub use version::{can_restore_content, can_restore_provision, GateRefusal, Release, Version};
