//! The deduplicating, compressed, encrypted repository engine.
//!
//! `vault` owns the repository format (config, keys, packs, index, snapshots, locks), the
//! backup pipeline that turns paths into snapshots and the restore that turns snapshots back
//! into paths, and the integrity checks. It is generic: it must never depend on anything that
//! knows about WebSphere or Connections (`websphere`, `connections`, `runbook`).
