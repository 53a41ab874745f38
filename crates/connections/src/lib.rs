//! The HCL Connections deployment model.
//!
//! `connections` owns the layout conventions, the version model with the documented restore
//! rules, and discovery: it builds a `Deployment` from the WebSphere cell (via `websphere`),
//! the Connections install and Installation Manager state. It must never depend on the
//! repository engine (`vault`) or the procedure (`runbook`), and it never changes anything on
//! disk.

pub mod deployment;
pub mod discover;
pub mod version;

pub use version::{can_restore_content, can_restore_provision, GateRefusal, Release, Version};
