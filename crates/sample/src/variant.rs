//! The release and topology variants a sample can be built in.

use std::fmt;
use std::str::FromStr;

/// One kind of deployment the sample crate can build.
///
/// Each variant exercises a different corner of discovery, the backup plan and the restore
/// gate; `docs/SAMPLES.md` lists what each one is for. The kebab-case [`Variant::name`] is a
/// stable id (used by `cnxbackup demo --variant` and by test names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Variant {
    /// 8.0 at a CR level with `KB…` iFixes, DB2, CCM under `FileNet/`, a local
    /// (file-registry) `filenetAdmin`, a dmgr and two managed nodes.
    V80Db2Ccm,
    /// 8.0 on SQL Server, `filenetAdmin` is an LDAP user, CCM not installed.
    V80SqlServerLdap,
    /// 6.5 CR1 on Oracle: one database (`LSCONN`) with one schema per application.
    V65Cr1Oracle,
    /// 6.0 CR6 with CCM: counts as release 6.5, `Engine-ws.ear` under `FileNet/`.
    V60Cr6Ccm,
    /// 6.0 CR4 with CCM under `addons/ccm` (the pre-CR6 location).
    V60Cr4Ccm,
    /// 7.0 with `CFix.70.…` iFixes, two managed nodes and clusters split across them.
    V70TwoNodesSplitClusters,
    /// HCL-branded paths (`/opt/HCL/Connections`) with shared data on `/nfs/data/shared`,
    /// local data and customizations relocated through WAS variables.
    HclBrandedRelocated,
    /// Installation Manager, WebSphere and Connections installed by a non-root user under
    /// `/home/<user>`.
    NonRootIim,
    /// A cell over five hosts (not in [`Variant::all`]; built with [`crate::build_cell`]): the
    /// deployment manager, two node hosts mounting one shared-data export, an IBM HTTP
    /// Server host on an unmanaged node and a DB2 server; 8.0 CR3 with CCM as
    /// [`Variant::V80Db2Ccm`].
    MultiHostCell,
    /// The discovery performance fixture (not in [`Variant::all`]): 20 application servers,
    /// 60 applications and a 50 MB cell `resources.xml` (copied into each of 3 profiles).
    LargeCell,
}

impl Variant {
    /// Every variant, in a stable order.
    pub fn all() -> &'static [Variant] {
        &[
            Variant::V80Db2Ccm,
            Variant::V80SqlServerLdap,
            Variant::V65Cr1Oracle,
            Variant::V60Cr6Ccm,
            Variant::V60Cr4Ccm,
            Variant::V70TwoNodesSplitClusters,
            Variant::HclBrandedRelocated,
            Variant::NonRootIim,
        ]
    }

    /// Performance fixtures: large, slow to build, not part of [`Variant::all`].
    pub fn bench() -> &'static [Variant] {
        &[Variant::LargeCell]
    }

    /// Cells over several hosts, built one sysroot per host by [`crate::build_cell`].
    pub fn multi_host() -> &'static [Variant] {
        &[Variant::MultiHostCell]
    }

    fn every() -> impl Iterator<Item = Variant> {
        Variant::all()
            .iter()
            .chain(Variant::bench())
            .chain(Variant::multi_host())
            .copied()
    }

    /// The stable kebab-case id of this variant.
    pub fn name(self) -> &'static str {
        match self {
            Variant::V80Db2Ccm => "8.0-db2-ccm",
            Variant::V80SqlServerLdap => "8.0-sqlserver-ldap",
            Variant::V65Cr1Oracle => "6.5-cr1-oracle",
            Variant::V60Cr6Ccm => "6.0-cr6-ccm",
            Variant::V60Cr4Ccm => "6.0-cr4-ccm",
            Variant::V70TwoNodesSplitClusters => "7.0-two-nodes-split-clusters",
            Variant::HclBrandedRelocated => "8.0-hcl-relocated",
            Variant::NonRootIim => "8.0-nonroot-iim",
            Variant::LargeCell => "8.0-large-cell",
            Variant::MultiHostCell => "8.0-multi-host-cell",
        }
    }

    /// One line saying what the variant is for.
    pub fn description(self) -> &'static str {
        match self {
            Variant::V80Db2Ccm => {
                "8.0 CR3 + KB iFixes, DB2, CCM under FileNet/, local filenetAdmin, dmgr + two nodes"
            }
            Variant::V80SqlServerLdap => {
                "8.0 CR14, SQL Server, filenetAdmin is an LDAP user, no CCM, one node"
            }
            Variant::V65Cr1Oracle => "6.5 CR1 on Oracle: one database LSCONN, one schema per app",
            Variant::V60Cr6Ccm => "6.0 CR6 + LO iFixes with CCM (counts as 6.5), DB2",
            Variant::V60Cr4Ccm => "6.0 CR4 + LO iFixes with CCM under addons/ccm, DB2",
            Variant::V70TwoNodesSplitClusters => {
                "7.0 + CFix iFixes, DB2, two managed nodes, clusters split across nodes"
            }
            Variant::HclBrandedRelocated => {
                "8.0 CR14 under /opt/HCL/Connections, shared data on /nfs/data/shared, relocated local data and customization"
            }
            Variant::NonRootIim => {
                "8.0 CR10 installed by user lcuser: IIM, WAS and Connections under /home/lcuser"
            }
            Variant::MultiHostCell => {
                "8.0 CR3 cell on five hosts: dmgr, two nodes sharing an NFS export, IHS, DB2 server"
            }
            Variant::LargeCell => {
                "performance fixture: 20 application servers, 60 applications, 50 MB resources.xml"
            }
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A variant name that is not one of [`Variant::all`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown sample variant {given:?}; known variants: {known}")]
pub struct UnknownVariant {
    /// The name that was given.
    pub given: String,
    /// The known names, comma separated.
    pub known: String,
}

impl serde::Serialize for Variant {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Variant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Variant {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Variant::every()
            .find(|v| v.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownVariant {
                given: s.to_string(),
                known: Variant::every()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for v in Variant::every() {
            assert_eq!(v.name().parse::<Variant>().unwrap(), v);
            assert!(seen.insert(v.name()), "duplicate name {}", v.name());
            assert!(v
                .name()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'));
        }
    }

    #[test]
    fn serde_uses_the_stable_name() {
        let json = serde_json::to_string(&Variant::V60Cr4Ccm).unwrap();
        assert_eq!(json, "\"6.0-cr4-ccm\"");
        assert_eq!(
            serde_json::from_str::<Variant>(&json).unwrap(),
            Variant::V60Cr4Ccm
        );
        assert!(serde_json::from_str::<Variant>("\"nope\"").is_err());
    }

    #[test]
    fn unknown_name_lists_known_ones() {
        let err = "9.9-nothing".parse::<Variant>().unwrap_err();
        assert!(err.to_string().contains("8.0-db2-ccm"));
    }
}
