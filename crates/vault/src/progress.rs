//! Live counters for long operations (backup, restore, check), read by a progress display.
//!
//! The operation adds to the totals as it learns them (a walk discovers files as it goes)
//! and to the done counters as work completes; a display thread reads [`Progress::now`]
//! whenever it redraws. Plain relaxed atomics: the numbers are for people, not for
//! synchronisation, so a reading a few microseconds stale is fine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Shared counters; hand an `Arc<Progress>` to the operation's options and keep a clone.
#[derive(Debug, Default)]
pub struct Progress {
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
}

/// One reading of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProgressReading {
    pub files_total: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub bytes_done: u64,
}

impl Progress {
    pub fn new() -> Arc<Progress> {
        Arc::new(Progress::default())
    }

    /// More work became known (files found by the walk, bytes they hold).
    pub fn add_total(&self, files: u64, bytes: u64) {
        self.files_total.fetch_add(files, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Work finished (files completed, bytes read, written or verified).
    pub fn add_done(&self, files: u64, bytes: u64) {
        self.files_done.fetch_add(files, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn now(&self) -> ProgressReading {
        ProgressReading {
            files_total: self.files_total.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            files_done: self.files_done.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
        }
    }
}

#[allow(dead_code)] // wired into backup, restore and check one by one
/// Report to `progress` if there is one (the operations hold an `Option<Arc<Progress>>`).
pub(crate) fn add_done(progress: &Option<Arc<Progress>>, files: u64, bytes: u64) {
    if let Some(p) = progress {
        p.add_done(files, bytes);
    }
}

#[allow(dead_code)]
/// Like [`add_done`], for totals.
pub(crate) fn add_total(progress: &Option<Arc<Progress>>, files: u64, bytes: u64) {
    if let Some(p) = progress {
        p.add_total(files, bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_across_threads() {
        let p = Progress::new();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let p = Arc::clone(&p);
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        p.add_total(1, 10);
                        p.add_done(1, 7);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let r = p.now();
        assert_eq!((r.files_total, r.bytes_total), (4000, 40_000));
        assert_eq!((r.files_done, r.bytes_done), (4000, 28_000));
    }

    #[test]
    fn optional_helpers_ignore_none_and_count_some() {
        add_done(&None, 1, 1);
        let p = Some(Progress::new());
        add_total(&p, 2, 20);
        add_done(&p, 1, 5);
        let r = p.as_ref().unwrap().now();
        assert_eq!(
            r,
            ProgressReading {
                files_total: 2,
                bytes_total: 20,
                files_done: 1,
                bytes_done: 5
            }
        );
    }
}
