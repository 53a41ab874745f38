//! Builds realistic sample HCL Connections deployments under a directory.
//!
//! `sample` owns the release and topology variants used by tests and by `cnxbackup demo`,
//! together with runnable stand-ins for the WebSphere control scripts and vendor database
//! tools. It writes only below the directory it is given, and it must never depend on the
//! code it exists to exercise (`connections`, `runbook`, `vault`), so that a bug there cannot
//! hide itself in the samples.
