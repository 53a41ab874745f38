//! End to end on every sample variant with a **default** configuration (only what the
//! sample needs: the repository, the WebSphere user, the vendor tool): a backup, a simulated
//! failed CR update (IIM offering, launcher build line, buildlevel and iFix list bumped;
//! files added, changed and removed in the install, provision, shared data and the
//! directories outside the roots), a full restore — and every component equal to its
//! pre-update copy, byte for byte with modes and times, the databases back, and `discover`
//! reporting the original version. The promise a pre-update backup exists for.

use crate::backup_common::Harness;
use crate::restore_common::{cnx, diff, listing, volatile};
use sample::Variant;

fn discovered_version(h: &Harness) -> (serde_json::Value, String) {
    let d = cnx(h, &["discover", "--json"]);
    assert_eq!(d.code, 0, "{}", d.stderr);
    let j: serde_json::Value = serde_json::from_str(&d.stdout).unwrap();
    let offering = j["connections"]["version"]["offering"].to_string();
    (j, offering)
}

/// Paths that are not the deployment's: the stand-ins' state and logs, profile temp dirs
/// (`restore_common::volatile`) and the Oracle Data Pump DIRECTORY, the database server's
/// working directory where export files come and go.
fn not_deployment(rel: &str) -> bool {
    rel.starts_with("/home/oracle/oracle/admin/") || volatile(rel)
}

fn round_trip(variant: Variant) {
    let mut h = Harness::new(variant);
    // Oracle as an administrator configures it: Data Pump with a password file.
    h.oracle_data_pump = true;
    h.sample.start_all().unwrap();
    // A default backup: no flag adds or removes anything.
    let run = h.backup(&["--json"]);
    assert_eq!(run.code, 0, "{variant}: {}\n{}", run.stdout, run.stderr);
    let m = h.snapshot("latest").manifest();
    for c in [
        runbook::plan::Component::InstallationManager,
        runbook::plan::Component::SharedResources,
    ] {
        assert_eq!(
            m.component(c).unwrap().status,
            runbook::manifest::StepStatus::Ok,
            "{variant}: {c} must be in a default backup"
        );
    }
    let root = h.sample.sysroot.clone();
    let before = listing(&root, &not_deployment);
    let (_, version_before) = discovered_version(&h);
    let e = &h.sample.expected;
    assert!(
        version_before.contains(&e.connections.offering_version),
        "{variant}: {version_before}"
    );
    let dbs: Vec<String> = m.databases.iter().map(|d| d.database.clone()).collect();
    let db_before: Vec<_> = dbs
        .iter()
        .map(|n| h.sample.db_state_snapshot(n).unwrap())
        .collect();

    let update = sample::simulate_failed_update(&h.sample).unwrap();
    assert!(!update.added.is_empty() && !update.changed.is_empty() && !update.removed.is_empty());
    let (_, version_broken) = discovered_version(&h);
    assert_ne!(
        version_broken, version_before,
        "{variant}: the update moved the version"
    );

    // The full restore (servers are stopped after the backup).
    let rest = cnx(&h, &["restore", "latest", "--json"]);
    assert_eq!(rest.code, 0, "{variant}: {}\n{}", rest.stdout, rest.stderr);
    let report: serde_json::Value = serde_json::from_str(&rest.stdout).unwrap();
    for c in report["components"].as_array().unwrap() {
        assert_eq!(c["status"], "restored", "{variant}: {c:#}");
    }

    let after = listing(&root, &not_deployment);
    let d = diff(&before, &after);
    assert!(
        d.is_empty(),
        "{variant}: the tree differs after the restore:\n{}",
        d.join("\n")
    );
    for (name, state) in dbs.iter().zip(&db_before) {
        assert_eq!(
            &h.sample.db_state_snapshot(name).unwrap(),
            state,
            "{variant}: database {name}"
        );
    }
    // discover (and so Installation Manager's record) reports the original version.
    let (j, version_after) = discovered_version(&h);
    assert_eq!(version_after, version_before, "{variant}");
    assert_eq!(
        j["connections"]["version"]["ifixes"],
        serde_json::json!(e.connections.ifixes),
        "{variant}"
    );
}

macro_rules! round_trips {
    ($($name:ident => $variant:expr,)*) => {
        $( #[test] fn $name() { round_trip($variant); } )*

        #[test]
        fn every_variant_has_a_default_round_trip() {
            let tested = [$($variant),*];
            for v in Variant::all() {
                assert!(tested.contains(v), "{v} has no default round trip");
            }
        }
    };
}

round_trips! {
    default_round_trip_8_0_db2_ccm => Variant::V80Db2Ccm,
    default_round_trip_8_0_sqlserver_ldap => Variant::V80SqlServerLdap,
    default_round_trip_6_5_cr1_oracle => Variant::V65Cr1Oracle,
    default_round_trip_6_0_cr6_ccm => Variant::V60Cr6Ccm,
    default_round_trip_6_0_cr4_ccm => Variant::V60Cr4Ccm,
    default_round_trip_7_0_two_nodes_split_clusters => Variant::V70TwoNodesSplitClusters,
    default_round_trip_8_0_hcl_relocated => Variant::HclBrandedRelocated,
    default_round_trip_8_0_nonroot_iim => Variant::NonRootIim,
}
