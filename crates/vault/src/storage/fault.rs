//! [`FaultStore`]: a [`Store`] wrapper that fails on command, so that the repository's
//! failure paths are tested without root, without a real full disk and without races: the
//! Nth write of a kind of object fails or is cut short, the space runs out, every request is
//! slow, objects vanish between a listing and a read, the store turns read-only or refuses
//! deletes and overwrites (an S3 user without delete permission, an object lock).
//!
//! With no fault set it passes every call through unchanged (the conformance suite runs it
//! that way). Faults can be set and cleared while a repository uses the store; clones share
//! them, so a test keeps one clone to steer and hands another to [`Storage`](super::Storage).
//!
//! Nothing builds a `FaultStore` from a repository URL or a configuration: only code that
//! constructs one on purpose (tests) can get one.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;

use super::store::{ObjectEntry, Store, StoreError, StoreErrorKind};

/// What happens to the write a rule of [`FaultStore::on_write`] picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFault {
    /// Nothing is stored; the write fails with this kind.
    Fail(StoreErrorKind),
    /// Only the first `keep` bytes are stored (visible under the object's name, as on a store
    /// without atomic writes that was interrupted); with `report`, the write then fails
    /// ([`StoreErrorKind::Transient`], a dropped connection), without it the store claims
    /// success (a lying store: only the object's own checks can notice).
    Truncate {
        /// Bytes of the object that reach the store.
        keep: u64,
        /// Whether the write returns an error.
        report: bool,
    },
}

#[derive(Debug)]
struct WriteRule {
    prefix: String,
    nth: u64,
    seen: u64,
    fault: WriteFault,
}

#[derive(Debug, Default)]
struct Faults {
    write_rules: Vec<WriteRule>,
    space_left: Option<u64>,
    delay: Duration,
    hidden: Vec<String>,
    delete_after_list: Vec<String>,
    read_only: bool,
    refuse_deletes: bool,
    refuse_overwrites: bool,
    exempt: Vec<String>,
    refused: Vec<String>,
    writes: u64,
}

/// A fault-injecting wrapper around another store. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct FaultStore {
    inner: Arc<dyn Store>,
    faults: Arc<Mutex<Faults>>,
}

fn matches(prefixes: &[String], path: &str) -> bool {
    prefixes.iter().any(|p| path.starts_with(p.as_str()))
}

fn refuse(what: &str) -> StoreError {
    StoreError::new(StoreErrorKind::PermissionDenied).with_message(format!(
        "access denied: the store refuses {what} (fault injected)"
    ))
}

impl FaultStore {
    /// Wrap `inner`; no fault is set.
    pub fn new(inner: impl Store + 'static) -> FaultStore {
        FaultStore::wrap(Arc::new(inner))
    }

    /// Wrap a shared store; no fault is set.
    pub fn wrap(inner: Arc<dyn Store>) -> FaultStore {
        FaultStore {
            inner,
            faults: Arc::default(),
        }
    }

    // A panic while the lock was held cannot leave the fault plan half-updated in a way that
    // matters to a test, so a poisoned lock is used as it is.
    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The `nth` write (counting from 1, from now on) of an object whose path starts with
    /// `prefix` (`""`: any object) meets `fault`; later writes pass.
    pub fn on_write(&self, prefix: &str, nth: u64, fault: WriteFault) {
        self.faults().write_rules.push(WriteRule {
            prefix: prefix.to_string(),
            nth: nth.max(1),
            seen: 0,
            fault,
        });
    }

    /// From now on, writes may store `bytes` in total: a write that does not fit stores
    /// nothing and fails with [`StoreErrorKind::NoSpace`] (deletes give nothing back, as
    /// with a quota that only grows).
    pub fn limit_space(&self, bytes: u64) {
        self.faults().space_left = Some(bytes);
    }

    /// Every operation waits `delay` before it runs (a slow or distant store).
    pub fn delay(&self, delay: Duration) {
        self.faults().delay = delay;
    }

    /// Objects under `prefix` are still listed, but reading them or asking their size says
    /// [`StoreErrorKind::NotFound`] (a missing object, or one deleted right after a listing).
    pub fn hide(&self, prefix: &str) {
        self.faults().hidden.push(prefix.to_string());
    }

    /// The next listing that returns objects under `prefix` deletes them from the inner store
    /// before it returns (a concurrent prune between a listing and the reads that follow).
    pub fn delete_after_list(&self, prefix: &str) {
        self.faults().delete_after_list.push(prefix.to_string());
    }

    /// Every write and delete fails with [`StoreErrorKind::PermissionDenied`] (a read-only
    /// file system, a read-only credential).
    pub fn read_only(&self, on: bool) {
        self.faults().read_only = on;
    }

    /// Deletes fail with [`StoreErrorKind::PermissionDenied`] (an S3 user without
    /// `s3:DeleteObject`); each refused delete is recorded in [`FaultStore::refused`].
    pub fn refuse_deletes(&self, on: bool) {
        self.faults().refuse_deletes = on;
    }

    /// Writes to an existing object fail with [`StoreErrorKind::PermissionDenied`] (an
    /// object lock); recorded in [`FaultStore::refused`].
    pub fn refuse_overwrites(&self, on: bool) {
        self.faults().refuse_overwrites = on;
    }

    /// Deletes and overwrites of objects under `prefix` pass even when
    /// [`refuse_deletes`](FaultStore::refuse_deletes) or
    /// [`refuse_overwrites`](FaultStore::refuse_overwrites) is on: the one exception a
    /// bucket policy for backup hosts makes, `locks/` (a backup refreshes and removes its own
    /// lock; docs/S3.md, "Tamper resistance").
    pub fn exempt_from_refusals(&self, prefix: &str) {
        self.faults().exempt.push(prefix.to_string());
    }

    /// Every fault off again (counters and the record of refusals are kept).
    pub fn clear(&self) {
        let mut f = self.faults();
        let (refused, writes) = (std::mem::take(&mut f.refused), f.writes);
        *f = Faults {
            refused,
            writes,
            ..Faults::default()
        };
    }

    /// The deletes and overwrites refused so far (`delete PATH`, `overwrite PATH`).
    pub fn refused(&self) -> Vec<String> {
        self.faults().refused.clone()
    }

    /// Writes seen so far (failed ones included).
    pub fn writes(&self) -> u64 {
        self.faults().writes
    }

    fn pause(&self) {
        let delay = self.faults().delay;
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
    }

    fn check_visible(&self, path: &str) -> Result<(), StoreError> {
        if matches(&self.faults().hidden, path) {
            return Err(StoreError::new(StoreErrorKind::NotFound)
                .with_message("not found (hidden by an injected fault)"));
        }
        Ok(())
    }

    /// What the fault plan says about this write: `Ok(None)` to pass it through,
    /// `Ok(Some(keep, report))` to store a prefix, `Err` to fail it.
    fn plan_write(&self, path: &str, len: u64) -> Result<Option<(u64, bool)>, StoreError> {
        let mut f = self.faults();
        f.writes += 1;
        if f.read_only {
            return Err(refuse("writes (read-only)"));
        }
        if f.refuse_overwrites && !matches(&f.exempt, path) && self.inner.exists(path)? {
            f.refused.push(format!("overwrite {path}"));
            return Err(refuse("overwriting an object"));
        }
        let mut picked = None;
        for rule in f
            .write_rules
            .iter_mut()
            .filter(|r| path.starts_with(&r.prefix))
        {
            rule.seen += 1;
            if rule.seen == rule.nth && picked.is_none() {
                picked = Some(rule.fault);
            }
        }
        if let Some(left) = f.space_left {
            if len > left {
                return Err(
                    StoreError::new(StoreErrorKind::NoSpace).with_message(format!(
                        "no space left on the storage ({len} bytes to write, {left} left; fault \
                     injected)"
                    )),
                );
            }
            f.space_left = Some(left - len);
        }
        match picked {
            None => Ok(None),
            Some(WriteFault::Fail(kind)) => {
                Err(StoreError::new(kind)
                    .with_message(format!("{} (fault injected)", kind.describe())))
            }
            Some(WriteFault::Truncate { keep, report }) => Ok(Some((keep.min(len), report))),
        }
    }
}

impl Store for FaultStore {
    fn location(&self) -> &str {
        self.inner.location()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn write(&self, path: &str, parts: Vec<Bytes>) -> Result<(), StoreError> {
        self.pause();
        let len: u64 = parts.iter().map(|p| p.len() as u64).sum();
        match self.plan_write(path, len)? {
            None => self.inner.write(path, parts),
            Some((keep, report)) => {
                let whole = parts.concat();
                // keep <= len, the length of `whole`.
                let cut = Bytes::from(whole).slice(..keep as usize);
                self.inner.write(path, vec![cut])?;
                if report {
                    return Err(
                        StoreError::new(StoreErrorKind::Transient).with_message(format!(
                            "connection reset after {keep} of {len} bytes (fault injected)"
                        )),
                    );
                }
                Ok(())
            }
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, StoreError> {
        self.pause();
        self.check_visible(path)?;
        self.inner.read(path)
    }

    fn read_range(&self, path: &str, offset: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        self.pause();
        self.check_visible(path)?;
        self.inner.read_range(path, offset, len)
    }

    fn size(&self, path: &str) -> Result<u64, StoreError> {
        self.pause();
        self.check_visible(path)?;
        self.inner.size(path)
    }

    fn list(&self, dir: &str) -> Result<Vec<ObjectEntry>, StoreError> {
        self.pause();
        let listed = self.inner.list(dir)?;
        let doomed: Vec<String> = std::mem::take(&mut self.faults().delete_after_list);
        let (now, later): (Vec<String>, Vec<String>) = doomed
            .into_iter()
            .partition(|p| listed.iter().any(|o| o.path.starts_with(p.as_str())));
        self.faults().delete_after_list.extend(later);
        for entry in listed.iter().filter(|o| matches(&now, &o.path)) {
            self.inner.delete(&entry.path)?;
        }
        Ok(listed)
    }

    fn delete(&self, path: &str) -> Result<(), StoreError> {
        self.pause();
        {
            let mut f = self.faults();
            if f.read_only {
                return Err(refuse("deletes (read-only)"));
            }
            if f.refuse_deletes && !matches(&f.exempt, path) {
                f.refused.push(format!("delete {path}"));
                return Err(refuse("deleting objects"));
            }
        }
        self.inner.delete(path)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::storage::MemStore;

    fn put(s: &FaultStore, path: &str, bytes: &[u8]) -> Result<(), StoreError> {
        s.write(path, vec![Bytes::copy_from_slice(bytes)])
    }

    #[test]
    fn the_nth_matching_write_fails_and_stores_nothing() {
        let mem = MemStore::new();
        let s = FaultStore::new(mem.clone());
        s.on_write("packs/", 2, WriteFault::Fail(StoreErrorKind::Transient));
        put(&s, "packs/a", b"1").unwrap();
        put(&s, "index/x", b"not counted").unwrap();
        let err = put(&s, "packs/b", b"2").unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Transient);
        put(&s, "packs/c", b"3").unwrap();
        assert_eq!(mem.paths(), ["index/x", "packs/a", "packs/c"]);
        assert_eq!(s.writes(), 4);
    }

    #[test]
    fn a_truncated_write_leaves_a_prefix_and_says_so_or_lies() {
        let mem = MemStore::new();
        let s = FaultStore::new(mem.clone());
        s.on_write(
            "",
            1,
            WriteFault::Truncate {
                keep: 3,
                report: true,
            },
        );
        let err = s
            .write(
                "a",
                vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cdef")],
            )
            .unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Transient);
        assert_eq!(mem.read("a").unwrap(), b"abc");
        s.on_write(
            "",
            1,
            WriteFault::Truncate {
                keep: 1,
                report: false,
            },
        );
        put(&s, "b", b"xyz").unwrap();
        assert_eq!(mem.read("b").unwrap(), b"x");
    }

    #[test]
    fn space_runs_out_and_the_write_that_does_not_fit_stores_nothing() {
        let mem = MemStore::new();
        let s = FaultStore::new(mem.clone());
        s.limit_space(10);
        put(&s, "a", &[0; 6]).unwrap();
        let err = put(&s, "b", &[0; 6]).unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::NoSpace);
        assert!(err.to_string().contains("no space"), "{err}");
        put(&s, "c", &[0; 4]).unwrap();
        assert_eq!(mem.paths(), ["a", "c"]);
    }

    #[test]
    fn hidden_objects_are_listed_but_not_readable() {
        let s = FaultStore::new(MemStore::new());
        put(&s, "packs/a", b"1").unwrap();
        s.hide("packs/");
        assert_eq!(s.list("packs/").unwrap().len(), 1);
        assert_eq!(
            s.read("packs/a").unwrap_err().kind(),
            StoreErrorKind::NotFound
        );
        assert_eq!(
            s.size("packs/a").unwrap_err().kind(),
            StoreErrorKind::NotFound
        );
        assert!(!s.exists("packs/a").unwrap());
        s.clear();
        assert_eq!(s.read("packs/a").unwrap(), b"1");
    }

    #[test]
    fn objects_deleted_after_a_listing_are_gone_for_the_reads_that_follow() {
        let mem = MemStore::new();
        let s = FaultStore::new(mem.clone());
        put(&s, "packs/a", b"1").unwrap();
        put(&s, "snapshots/s", b"2").unwrap();
        s.delete_after_list("packs/");
        assert_eq!(
            s.list("snapshots/").unwrap().len(),
            1,
            "other listings pass"
        );
        let listed = s.list("packs/").unwrap();
        assert_eq!(listed[0].path, "packs/a");
        assert_eq!(
            s.read("packs/a").unwrap_err().kind(),
            StoreErrorKind::NotFound
        );
        assert_eq!(mem.paths(), ["snapshots/s"]);
    }

    #[test]
    fn read_only_and_refusals_are_permission_denied_and_recorded() {
        let s = FaultStore::new(MemStore::new());
        put(&s, "locks/l", b"1").unwrap();
        s.refuse_deletes(true);
        s.refuse_overwrites(true);
        assert_eq!(
            s.delete("locks/l").unwrap_err().kind(),
            StoreErrorKind::PermissionDenied
        );
        assert_eq!(
            put(&s, "locks/l", b"2").unwrap_err().kind(),
            StoreErrorKind::PermissionDenied
        );
        put(&s, "locks/new", b"3").unwrap();
        assert_eq!(s.refused(), ["delete locks/l", "overwrite locks/l"]);
        s.clear();
        s.read_only(true);
        assert_eq!(
            put(&s, "x", b"1").unwrap_err().kind(),
            StoreErrorKind::PermissionDenied
        );
        assert_eq!(
            s.delete("locks/new").unwrap_err().kind(),
            StoreErrorKind::PermissionDenied
        );
        assert_eq!(s.read("locks/l").unwrap(), b"1");
    }

    #[test]
    fn a_delay_slows_every_operation() {
        let s = FaultStore::new(MemStore::new());
        s.delay(Duration::from_millis(20));
        let started = std::time::Instant::now();
        put(&s, "a", b"1").unwrap();
        s.read("a").unwrap();
        assert!(started.elapsed() >= Duration::from_millis(40));
    }
}
