//! Readers for WebSphere Application Server ND configuration files.
//!
//! `websphere` owns the parsing of profile registries, cell/node/server configuration,
//! security and file-registry documents, variables, JDBC resources, application bindings and
//! PID files, and the [`Sysroot`] seam through which every product path is read. It is pure
//! reading: it must never depend on Connections knowledge (`connections`, `runbook`) or on the
//! repository engine (`vault`), and it never writes or runs anything.
//!
//! Every reader comes in two forms: a pure function over the file's text or bytes (which
//! takes the product path only to name it in errors), and a convenience that reads the file
//! through a [`Sysroot`].

pub mod sysroot;

pub use sysroot::{DirEntryInfo, Sysroot, SysrootError};
