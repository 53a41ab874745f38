//! The profile sync solution through the real binary: `[tdi] solution_dir` becomes the
//! `tdi` component, `diff` shows its changed properties key by key with every secret
//! masked, and `restore --only tdi` brings the solution back equal; a configured solution
//! directory that is missing stops the backup naming it.

use runbook::manifest::StepStatus;
use sample::Variant;
use serde_json::Value;

use crate::backup_common::Harness;
use crate::cli_common::Schemas;
use crate::restore_common::{cnx, diff, listing};

const TDISOL: &str = "/opt/IBM/TDI/tdisol";

const PROPERTIES: &str = "# profiles_tdi.properties (TDI 7.2 solution for Connections)\n\
source_ldap_url=ldap://ldap1.example.com:389\n\
source_ldap_user_login=cn=tdi,o=example\n\
{protect}-source_ldap_user_password={encr}QUJDREVGR0hJSg==\n\
dbrepos_jdbc_url=jdbc:db2://db2.example.com:50000/peopledb\n\
dbrepos_username=lcuser\n\
{protect}-dbrepos_password={encr}S0xNTk9QUVJTVA==\n\
sync_updates_hash_field=guid\n";

fn harness() -> Harness {
    let mut h = Harness::new(Variant::V80SqlServerLdap);
    h.extra_config = format!("\n[tdi]\nsolution_dir = \"{TDISOL}\"\n");
    let real = |p: &str| h.sample.sysroot.join(p.trim_start_matches('/'));
    std::fs::create_dir_all(real(&format!("{TDISOL}/conf"))).unwrap();
    std::fs::write(
        real(&format!("{TDISOL}/profiles_tdi.properties")),
        PROPERTIES,
    )
    .unwrap();
    std::fs::write(
        real(&format!("{TDISOL}/map_dbrepos_from_source.properties")),
        "uid=uid\ndisplayName=cn\n",
    )
    .unwrap();
    std::fs::write(real(&format!("{TDISOL}/conf/solution.properties")), "a=1\n").unwrap();
    h
}

fn in_tdi(rel: &str) -> bool {
    !(rel.starts_with(TDISOL) || TDISOL.starts_with(rel))
}

#[test]
fn the_sync_solution_is_backed_up_diffed_with_secrets_masked_and_restored() {
    let h = harness();
    let run = h.backup(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let first = h.snapshot("latest");
    let tdi = first
        .manifest()
        .components
        .into_iter()
        .find(|c| c.component.name() == "tdi")
        .expect("a tdi component");
    assert_eq!(tdi.status, StepStatus::Ok, "{tdi:?}");
    assert_eq!(tdi.paths, vec![TDISOL.to_string()]);
    assert_eq!(tdi.files, 3);
    let first_id = h.repo().list_snapshots().unwrap()[0].0.to_hex();

    let root = h.sample.sysroot.clone();
    let before = listing(&root, &in_tdi);
    let file = root
        .join(TDISOL.trim_start_matches('/'))
        .join("profiles_tdi.properties");
    let changed = PROPERTIES
        .replace("ldap1.example.com:389", "ldap2.example.com:636")
        .replace("QUJDREVGR0hJSg==", "WllYV1ZVVFNSUQ==")
        .replace(
            "sync_updates_hash_field=guid\n",
            "source_ldap_use_ssl=true\n",
        );
    std::fs::write(&file, changed).unwrap();
    let run = h.backup(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let second_id = h
        .repo()
        .list_snapshots()
        .unwrap()
        .into_iter()
        .map(|(id, _)| id.to_hex())
        .find(|id| *id != first_id)
        .unwrap();

    let json = cnx(&h, &["--json", "diff", &first_id, &second_id]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    Schemas::load().assert_valid("diff", &doc, "diff --json (tdi)");
    let group = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "tdi")
        .unwrap_or_else(|| panic!("no tdi group: {doc:#}"));
    let change = &group["changes"][0];
    assert_eq!(
        change["path"],
        format!("{TDISOL}/profiles_tdi.properties"),
        "{group:#}"
    );
    let props = &change["properties"];
    assert_eq!(props["status"], "compared", "{props:#}");
    let by_key = |k: &str| {
        props["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["key"] == k)
            .cloned()
            .unwrap_or_else(|| panic!("{k} not in {props:#}"))
    };
    assert_eq!(
        by_key("source_ldap_url")["new"],
        "ldap://ldap2.example.com:636"
    );
    assert_eq!(by_key("source_ldap_use_ssl")["change"], "added");
    assert_eq!(by_key("sync_updates_hash_field")["change"], "removed");
    let secret = by_key("{protect}-source_ldap_user_password");
    assert_eq!(secret["masked"], true);
    assert_eq!(secret["new"], "***");

    let human = cnx(&h, &["diff", &first_id, &second_id]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.contains(
            "~ source_ldap_url: ldap://ldap1.example.com:389 → ldap://ldap2.example.com:636"
        ),
        "{}",
        human.stdout
    );
    for out in [&human.stdout, &json.stdout, &human.stderr] {
        for value in ["QUJDREVGR0hJSg", "WllYV1ZVVFNSUQ"] {
            assert!(!out.contains(value), "a secret in the diff:\n{out}");
        }
    }

    let r = cnx(&h, &["restore", &first_id, "--only", "tdi"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let after = listing(&root, &in_tdi);
    assert!(
        diff(&before, &after).is_empty(),
        "{:?}",
        diff(&before, &after)
    );
}

#[test]
fn a_configured_solution_directory_that_is_missing_stops_the_backup() {
    let mut h = harness();
    h.extra_config = "\n[tdi]\nsolution_dir = \"/opt/IBM/TDI/nosuchsol\"\n".into();
    let run = h.backup(&[]);
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("/opt/IBM/TDI/nosuchsol"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("tdi"), "{}", run.stderr);
    assert_eq!(h.snapshot_count(), 0);
}
