//! The snapshot a command means: `SNAPSHOT` (an id, a unique id prefix or `latest`) under
//! the `--host`/`--set`/`--tag` filters, chosen by `runbook::pick` (the rule) for this host;
//! what `latest` chose, and the newer incomplete backups it passed over, said on stderr.

use runbook::pick::Picked;
use vault::{Repository, Snapshot, SnapshotFilter, SnapshotId};

use super::Context;

impl Context {
    /// This host's name: `deployment.host`, else the machine's host name (what `backup`
    /// records by default).
    pub fn this_host(&self) -> String {
        self.loaded
            .config
            .deployment
            .host
            .clone()
            .unwrap_or_else(vault::hostname)
    }

    /// The snapshot `spec` means under `filter` (errors: `runbook::pick::PickError`, exit
    /// codes in `exit.rs`).
    pub fn resolve_snapshot(
        &self,
        repo: &Repository,
        spec: &str,
        filter: &SnapshotFilter,
    ) -> anyhow::Result<(SnapshotId, Snapshot, Picked)> {
        let (id, snap, picked) = runbook::pick::resolve(repo, spec, filter, &self.this_host())?;
        if self.global.quiet == 0 {
            for note in picked.notes() {
                eprintln!("{note}");
            }
        }
        Ok((id, snap, picked))
    }
}
