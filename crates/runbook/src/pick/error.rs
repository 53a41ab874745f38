//! Why no snapshot was chosen, each case with what the administrator can do.

/// The spec or the filters do not name one usable snapshot.
#[derive(Debug, thiserror::Error)]
pub enum PickError {
    /// Neither `latest` nor a hex id prefix.
    #[error(
        "\"{spec}\" is not a snapshot: give a snapshot id, a unique id prefix (hex) or \
         `latest` (`cnxbackup snapshots` lists them)"
    )]
    BadSpec {
        /// What was given.
        spec: String,
    },
    /// Nothing matches; `hosts` lists the hosts that `latest` would find without the host
    /// filter (empty for an id).
    #[error("{}", not_found(spec, filter, hosts))]
    NotFound {
        /// The id prefix, or `latest`.
        spec: String,
        /// The filters in force (`--host A --set S`).
        filter: String,
        /// Hosts with snapshots matching the other filters, and how many.
        hosts: Vec<(String, usize)>,
    },
    /// The id names a snapshot the filters exclude.
    #[error(
        "snapshot {} does not match {filter}: it is of host {host}{}{}",
        short(id),
        set.as_deref().map(|s| format!(", set {s}")).unwrap_or_default(),
        if tags.is_empty() { String::new() } else { format!(", tags {}", tags.join(",")) }
    )]
    FilteredOut {
        /// The snapshot (hex).
        id: String,
        /// Its host.
        host: String,
        /// Its set.
        set: Option<String>,
        /// Its tags.
        tags: Vec<String>,
        /// The filters in force.
        filter: String,
    },
    /// A prefix matches several snapshots.
    #[error("snapshot prefix \"{prefix}\" is ambiguous: it matches {}; give more digits", candidates.join(", "))]
    Ambiguous {
        /// The prefix.
        prefix: String,
        /// Every match (hex).
        candidates: Vec<String>,
    },
    /// `latest`: the host has deployment backups, but none is complete.
    #[error(
        "no COMPLETE deployment backup of host {host}{}: the newest, {} taken {newest_time}, \
         is INCOMPLETE (a backup step failed). `latest` never picks an incomplete backup: \
         name it by id (`cnxbackup show {}` lists what failed; restore it only with --only \
         naming intact components), or take a new backup",
        if filter.is_empty() { String::new() } else { format!(" matching {filter}") },
        short(newest_incomplete),
        short(newest_incomplete)
    )]
    NoComplete {
        /// The host `latest` looked at.
        host: String,
        /// The other filters in force.
        filter: String,
        /// The newest incomplete one (hex).
        newest_incomplete: String,
        /// When it was taken.
        newest_time: String,
    },
    /// The id names a snapshot document that cannot be read.
    #[error("snapshot {id} cannot be read: {source}")]
    Unreadable {
        /// The snapshot (hex).
        id: String,
        /// Why.
        #[source]
        source: vault::VaultError,
    },
    /// A deployment restore of another host's snapshot without `--from-host` naming it.
    #[error(
        "snapshot {} was taken on host {snapshot_host}, and this is host {this_host}: a \
         deployment restore puts that host's profiles, node configuration and install onto \
         this machine. Refused. To restore this host, pick one of its own backups \
         (`cnxbackup snapshots --host {this_host}`); if you really mean to rebuild \
         {snapshot_host} here, say so with --from-host {snapshot_host}",
        short(id)
    )]
    OtherHost {
        /// The snapshot (hex).
        id: String,
        /// Where it was taken.
        snapshot_host: String,
        /// This host.
        this_host: String,
    },
    /// `--from-host` names a host other than the snapshot's, or contradicts `--host`.
    #[error("{0}")]
    FromHost(String),
    /// Listing the repository's snapshots failed.
    #[error("listing the snapshots: {0}")]
    Repository(#[source] vault::VaultError),
}

impl PickError {
    /// A safety refusal (exit 3): another host's snapshot without `--from-host`.
    pub fn is_refusal(&self) -> bool {
        matches!(self, PickError::OtherHost { .. })
    }

    /// A usage error (exit 2): contradictory host options. A spec that names no snapshot
    /// (`BadSpec`) is exit 1 like any other snapshot not found, as it always was.
    pub fn is_usage(&self) -> bool {
        matches!(self, PickError::FromHost(_))
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn not_found(spec: &str, filter: &str, hosts: &[(String, usize)]) -> String {
    let mut s = if spec == "latest" {
        format!("no snapshot matches latest ({filter})")
    } else if filter.is_empty() {
        format!("no snapshot matches \"{spec}\"")
    } else {
        format!("no snapshot matches \"{spec}\" ({filter})")
    };
    if !hosts.is_empty() {
        let list: Vec<String> = hosts.iter().map(|(h, n)| format!("{h} ({n})")).collect();
        s.push_str(&format!(
            "; the repository has snapshots of host {}: name one with --host HOST (a deployment \
             restore of another host's backup also needs --from-host HOST)",
            list.join(", ")
        ));
    } else if spec == "latest" {
        s.push_str("; `cnxbackup snapshots` lists what the repository holds");
    }
    s
}
