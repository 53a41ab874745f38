//! Restoring another host's deployment backup: only when the administrator names that host
//! with `--from-host`. A cell whose hosts share one repository holds the dmgr's backup next
//! to every node's; putting the dmgr profile and its `connections_root` onto a node by
//! mistake is the error this rule exists for.

use vault::SnapshotFilter;

use super::error::PickError;
use super::rule::Selector;

/// The host rule's verdict on an allowed restore.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "host")]
pub enum HostCheck {
    /// The snapshot was taken on this host.
    Same,
    /// Another host's snapshot, named with `--from-host`.
    FromHost {
        /// The snapshot's host.
        snapshot_host: String,
    },
}

/// The filters a restore of `spec` selects with: for `latest`, `--from-host HOST` also
/// means `--host HOST` (`restore latest --from-host B` is B's latest); a different `--host`
/// contradicts it. A snapshot named by id is checked against `--from-host` by
/// [`check_restore_host`].
pub fn restore_filter(
    filter: &SnapshotFilter,
    from_host: Option<&str>,
    spec: &str,
) -> Result<SnapshotFilter, PickError> {
    let latest = matches!(Selector::parse(spec), Ok(Selector::Latest));
    match (filter.host.as_deref(), from_host) {
        (Some(h), Some(f)) if h != f => Err(PickError::FromHost(format!(
            "--host {h} and --from-host {f} name different hosts: give one (--from-host also \
             selects that host's snapshots)"
        ))),
        (None, Some(f)) if latest => Ok(SnapshotFilter {
            host: Some(f.to_string()),
            ..filter.clone()
        }),
        _ => Ok(filter.clone()),
    }
}

/// Whether a deployment restore of the snapshot `id` taken on `snapshot_host` may go onto
/// `this_host`.
pub fn check_restore_host(
    id: &str,
    snapshot_host: &str,
    this_host: &str,
    from_host: Option<&str>,
) -> Result<HostCheck, PickError> {
    match from_host {
        Some(f) if f != snapshot_host => Err(PickError::FromHost(format!(
            "--from-host {f}, but snapshot {} was taken on host {snapshot_host}",
            id.get(..8).unwrap_or(id)
        ))),
        Some(_) if snapshot_host != this_host => Ok(HostCheck::FromHost {
            snapshot_host: snapshot_host.to_string(),
        }),
        _ if snapshot_host == this_host => Ok(HostCheck::Same),
        _ => Err(PickError::OtherHost {
            id: id.to_string(),
            snapshot_host: snapshot_host.to_string(),
            this_host: this_host.to_string(),
        }),
    }
}
