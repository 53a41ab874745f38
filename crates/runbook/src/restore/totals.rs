//! The totals a restore report starts with: how much the restore changes (or would), over
//! every component, the servers' runtime files counted apart from the update's changes.

use serde::Serialize;

use super::dbs::DatabaseResult;
use super::files::ComponentResult;

/// Sums over the components and databases of one restore.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// File components restored (or that would be).
    pub components: usize,
    /// Databases restored, extracted (or that would be).
    pub databases: usize,
    /// Entries added (the update removed them), runtime files included.
    pub added: u64,
    /// Entries replaced (the update changed them), runtime files included.
    pub replaced: u64,
    /// Entries removed (the update added them), runtime files included.
    pub removed: u64,
    /// Entries left as they are.
    pub unchanged: u64,
    /// Of the added, replaced and removed: runtime files of the servers (pid files, logs,
    /// temp, wstemp).
    pub runtime: u64,
    /// Regular files written.
    pub files_written: u64,
    /// Bytes written.
    pub bytes_written: u64,
}

impl Totals {
    /// The totals of these results (components skipped after a failed database count
    /// nothing).
    pub fn of(components: &[ComponentResult], databases: &[DatabaseResult]) -> Totals {
        let mut t = Totals {
            databases: databases
                .iter()
                .filter(|d| d.status != "skipped" && d.status != "failed")
                .count(),
            ..Totals::default()
        };
        for c in components.iter().filter(|c| c.status != "skipped") {
            t.components += 1;
            t.added += c.added;
            t.replaced += c.replaced;
            t.removed += c.removed;
            t.unchanged += c.unchanged;
            t.runtime += c.runtime;
            t.files_written += c.files_written;
            t.bytes_written += c.bytes_written;
        }
        t
    }

    /// Added, replaced and removed entries that are the update's (not runtime files).
    pub fn update_changes(&self) -> u64 {
        (self.added + self.replaced + self.removed).saturating_sub(self.runtime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Component;

    fn comp(status: &str, changes: (u64, u64, u64), runtime: u64) -> ComponentResult {
        ComponentResult {
            component: Component::Profiles,
            status: status.into(),
            paths: Vec::new(),
            added: changes.0,
            replaced: changes.1,
            removed: changes.2,
            unchanged: 10,
            files_written: changes.0 + changes.1,
            runtime,
            bytes_written: 5,
            verified: false,
            duration_ms: 0,
            message: None,
        }
    }

    #[test]
    fn sums_what_ran_and_separates_runtime_files() {
        let t = Totals::of(
            &[
                comp("would_restore", (1, 2, 3), 2),
                comp("restored", (4, 0, 1), 0),
                comp("skipped", (9, 9, 9), 9),
            ],
            &[],
        );
        assert_eq!(t.components, 2);
        assert_eq!((t.added, t.replaced, t.removed), (5, 2, 4));
        assert_eq!(t.runtime, 2);
        assert_eq!(t.update_changes(), 9);
        assert_eq!(t.unchanged, 20);
    }
}
