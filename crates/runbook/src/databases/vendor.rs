//! Which tool family backs up the databases ([`Vendor`]) and how ([`Mode`]); the names
//! are the configuration's words (`database.vendor`, `database.mode`).

use serde::{Deserialize, Serialize};

/// Which tool family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    /// IBM Db2.
    Db2,
    /// Oracle.
    Oracle,
    /// Microsoft SQL Server.
    Sqlserver,
    /// A configured dump/restore command pair.
    Command,
}

impl std::fmt::Display for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Vendor::Db2 => "db2",
            Vendor::Oracle => "oracle",
            Vendor::Sqlserver => "sqlserver",
            Vendor::Command => "command",
        })
    }
}

/// Offline (the default: restorable onto a later DB version, consistent with the stopped
/// servers) or online.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Offline backup.
    #[default]
    Offline,
    /// Online backup (DB2 `online … include logs`, RMAN `plus archivelog`).
    Online,
}
