//! The registry of configuration keys: their environment variable names and value kinds.
//!
//! Every key of the file can also be set by a `CNXBACKUP_<SECTION>_<KEY>` variable; some keys
//! have the shorter names of the CLI contract as well (`CNXBACKUP_REPOSITORY`, ...). The kind
//! tells how an environment string becomes a TOML value before the typed check.

/// How an environment variable's text is turned into a TOML value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
}

/// One configuration key.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub section: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    /// Extra environment variable names from the CLI contract, checked before the generic
    /// `CNXBACKUP_<SECTION>_<KEY>` name.
    pub env_aliases: &'static [&'static str],
    /// The value is a secret (a ping URL): `cnxbackup config` shows only its scheme and host.
    pub secret: bool,
}

impl Key {
    /// `section.name`, as shown in messages.
    pub fn path(&self) -> String {
        format!("{}.{}", self.section, self.name)
    }

    /// The generic environment variable, e.g. `CNXBACKUP_WEBSPHERE_STOP_TIMEOUT_SECS`.
    pub fn env_name(&self) -> String {
        format!(
            "CNXBACKUP_{}_{}",
            self.section.to_ascii_uppercase(),
            self.name.to_ascii_uppercase()
        )
    }

    /// Every environment variable that sets this key, highest priority first.
    pub fn env_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.env_aliases.iter().map(|s| s.to_string()).collect();
        names.push(self.env_name());
        names
    }
}

const fn key(section: &'static str, name: &'static str, kind: Kind) -> Key {
    Key {
        section,
        name,
        kind,
        env_aliases: &[],
        secret: false,
    }
}

/// Every key cnxbackup understands. Anything else in a config file is an error.
pub const KEYS: &[Key] = &[
    Key {
        env_aliases: &["CNXBACKUP_REPOSITORY"],
        ..key("repository", "url", Kind::Text)
    },
    Key {
        env_aliases: &["CNXBACKUP_PASSWORD_FILE"],
        ..key("repository", "password_file", Kind::Text)
    },
    Key {
        env_aliases: &["CNXBACKUP_PASSWORD_COMMAND"],
        ..key("repository", "password_command", Kind::Text)
    },
    key("repository", "password_credential", Kind::Text),
    key("deployment", "app_server_root", Kind::Text),
    key("deployment", "connections_root", Kind::Text),
    key("deployment", "in_place_migration", Kind::Boolean),
    key("deployment", "skip_installation_manager", Kind::Boolean),
    key("deployment", "host", Kind::Text),
    key("websphere", "username", Kind::Text),
    key("websphere", "password_file", Kind::Text),
    key("websphere", "stop_timeout_secs", Kind::Integer),
    key("websphere", "force_kill", Kind::Boolean),
    key("database", "vendor", Kind::Text),
    key("database", "command", Kind::Text),
    key("database", "run_as", Kind::Text),
    key("database", "staging_dir", Kind::Text),
    key("database", "mode", Kind::Text),
    key("database", "dump_command", Kind::Text),
    key("database", "restore_command", Kind::Text),
    // vendor-tool details (docs/CLI.md "Database tool settings")
    key("database", "verify_command", Kind::Text),
    key("database", "username", Kind::Text),
    key("database", "password_file", Kind::Text),
    key("database", "oracle_directory", Kind::Text),
    key("database", "oracle_directory_path", Kind::Text),
    key("database", "server_staging_dir", Kind::Text),
    key("database", "timeout_secs", Kind::Integer),
    key("database", "parallel", Kind::Integer),
    // [snapshot]: the file-system snapshot mode (docs/USAGE.md "The snapshot mode")
    key("snapshot", "method", Kind::Text),
    key("snapshot", "mount_dir", Kind::Text),
    key("snapshot", "lvm_size", Kind::Text),
    key("snapshot", "create_command", Kind::Text),
    key("snapshot", "remove_command", Kind::Text),
    key("snapshot", "timeout_secs", Kind::Integer),
    // [s3]: S3-compatible object storage (vault-s3; docs/CLI.md "S3 repositories")
    key("s3", "endpoint", Kind::Text),
    Key {
        env_aliases: &["AWS_REGION"],
        ..key("s3", "region", Kind::Text)
    },
    key("s3", "path_style", Kind::Boolean),
    Key {
        env_aliases: &["AWS_ACCESS_KEY_ID"],
        ..key("s3", "access_key_id", Kind::Text)
    },
    key("s3", "secret_access_key_file", Kind::Text),
    key("s3", "concurrency", Kind::Integer),
    key("s3", "timeout_secs", Kind::Integer),
    key("s3", "object_lock_days", Kind::Integer),
    key("s3", "object_lock_mode", Kind::Text),
    // [ccm]: FileNet facts discovery cannot read (docs/CLI.md)
    key("ccm", "storage_area", Kind::Text),
    // [tdi]: the profile sync solution (docs/USAGE.md "The profile sync solution")
    key("tdi", "solution_dir", Kind::Text),
    key("tdi", "install_dir", Kind::Text),
    // [notify]: monitoring pings and the metrics file (docs/CLI.md "Notifications and metrics")
    Key {
        secret: true,
        ..key("notify", "url", Kind::Text)
    },
    key("notify", "timeout_secs", Kind::Integer),
    key("notify", "metrics_file", Kind::Text),
    // [hooks]: commands around the backup procedure (docs/USAGE.md "Hooks")
    key("hooks", "before_stop", Kind::Text),
    key("hooks", "after_start", Kind::Text),
    key("hooks", "on_failure", Kind::Text),
    key("hooks", "timeout_secs", Kind::Integer),
];

/// The array of tables `[[component]]` (docs/USAGE.md "Declared components"): not in
/// [`KEYS`] (one entry per component, not settable by environment), these are its keys.
pub const COMPONENT_SECTION: &str = "component";

/// The keys of one `[[component]]`.
pub const COMPONENT_KEYS: &[&str] = &[
    "name",
    "backup",
    "restore",
    "version",
    "when",
    "output",
    "timeout_secs",
    "env",
    "secret_env_files",
];

/// `CNXBACKUP_*` variables that are not configuration keys but are read all the same
/// (passwords, the config file, the sysroot, logging, test and demo hooks).
pub const OTHER_VARIABLES: &[&str] = &[
    "CNXBACKUP_CONFIG",
    "CNXBACKUP_PASSWORD",
    "CNXBACKUP_NEW_PASSWORD",
    "CNXBACKUP_TO_PASSWORD",
    "CNXBACKUP_WAS_PASSWORD",
    "CNXBACKUP_SYSROOT",
    "CNXBACKUP_LOG",
    "CNXBACKUP_CHECKPOINT_SECS",
    "CNXBACKUP_DEMO_SIZE",
    "CNXBACKUP_DEMO_CORRUPT_AFTER_BACKUP",
];

/// The prefix of the variables the test harness sets (`scripts/test`: its S3 and
/// PostgreSQL servers, the stop-retry pause); never configuration.
pub const TEST_PREFIX: &str = "CNXBACKUP_TEST_";

/// Whether `name` (a `CNXBACKUP_*` variable) is one cnxbackup reads.
pub fn is_known_variable(name: &str) -> bool {
    name.starts_with(TEST_PREFIX)
        || OTHER_VARIABLES.contains(&name)
        || KEYS.iter().any(|k| k.env_names().iter().any(|n| n == name))
}

/// The known variable closest to an unknown one (a typo), when one is close.
pub fn closest_variable(name: &str) -> Option<String> {
    KEYS.iter()
        .flat_map(|k| k.env_names())
        .chain(OTHER_VARIABLES.iter().map(|s| s.to_string()))
        .map(|known| (edit_distance(name, &known), known))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, known)| known)
}

/// Levenshtein distance over bytes (variable names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The sections that exist.
pub fn sections() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    for k in KEYS {
        if !seen.contains(&k.section) {
            seen.push(k.section);
        }
    }
    seen.into_iter()
}

/// The key `section.name`, if it exists.
pub fn find(section: &str, name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.section == section && k.name == name)
}

/// The known key names of a section, for "expected one of" messages.
pub fn names_in(section: &str) -> Vec<&'static str> {
    KEYS.iter()
        .filter(|k| k.section == section)
        .map(|k| k.name)
        .collect()
}
