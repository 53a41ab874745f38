//! End to end: the real binary's `discover --json` and `plan --json` on every sample
//! variant, checked field by field against the truth the sample was built from.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use assert_cmd::Command;
use sample::{build, BuildOptions, Variant};
use serde_json::Value;

fn cnxbackup(sysroot: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("cnxbackup")
        .unwrap()
        .env_remove("CNXBACKUP_CONFIG")
        .env_remove("CNXBACKUP_SYSROOT")
        .current_dir(sysroot)
        .arg("--sysroot")
        .arg(sysroot)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let json = serde_json::from_str(&stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), json, stderr)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn check_discover(variant: Variant) {
    let dir = tempfile::tempdir().unwrap();
    let s = build(variant, &dir.path().join("root"), &BuildOptions::default()).unwrap();
    let e = &s.expected;
    let v = variant.name();
    let (code, j, stderr) = cnxbackup(&s.sysroot, &["discover", "--json"]);
    assert_eq!(code, 0, "{v}: {stderr}");

    let c = &j["connections"];
    assert_eq!(c["root"], e.connections.root.as_str(), "{v}");
    assert_eq!(
        c["version"]["release"],
        e.connections.release.as_str(),
        "{v}"
    );
    match e.connections.cr {
        Some(cr) => assert_eq!(c["version"]["cr"], cr, "{v}"),
        None => assert!(c["version"]["cr"].is_null(), "{v}"),
    }
    assert_eq!(
        strings(&c["version"]["ifixes"]),
        e.connections.ifixes,
        "{v}"
    );
    assert_eq!(c["ccm"]["installed"], e.connections.ccm.installed, "{v}");

    let was = &j["was"];
    assert_eq!(
        was["app_server_root"],
        e.was.app_server_root.as_str(),
        "{v}"
    );
    assert_eq!(was["cell"], e.was.cell.as_str(), "{v}");
    let profiles = was["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), e.was.profiles.len(), "{v}");
    for p in &e.was.profiles {
        let got = profiles
            .iter()
            .find(|x| x["name"] == p.name.as_str())
            .unwrap();
        assert_eq!(got["path"], p.path.as_str(), "{v}");
        let want_type = serde_json::to_value(p.profile_type).unwrap();
        assert_eq!(got["type"], want_type, "{v}: {}", p.name);
    }

    assert_eq!(j["data"]["shared_root"], e.data.shared_root.as_str(), "{v}");
    assert_eq!(j["data"]["local_root"], e.data.local_root.as_str(), "{v}");

    let fa = &j["filenet_admin"];
    match &e.filenet_admin.user_id {
        Some(u) => assert_eq!(fa["user_id"], u.as_str(), "{v}"),
        None => assert!(fa["user_id"].is_null(), "{v}"),
    }
    assert_eq!(
        fa["in_file_registry"], e.filenet_admin.in_file_registry,
        "{v}"
    );

    let im = &j["installation_manager"];
    assert_eq!(
        im["data_dir"],
        e.installation_manager.data_dir.as_str(),
        "{v}"
    );
    assert_eq!(
        im["shared_dir"],
        e.installation_manager.shared_dir.as_str(),
        "{v}"
    );

    let dbs = j["databases"].as_array().unwrap();
    assert_eq!(dbs.len(), e.databases.len(), "{v}");
    for db in &e.databases {
        let got = dbs
            .iter()
            .find(|x| x["name"] == db.name.as_str() && x["host"] == db.host.as_str())
            .unwrap_or_else(|| panic!("{v}: {} missing", db.name));
        assert_eq!(got["vendor"], db.vendor.as_str(), "{v}");
        assert_eq!(got["port"], db.port, "{v}");
    }

    // No secret ever reaches the output.
    let all = format!("{j}{stderr}");
    assert!(!all.contains("{xor}"), "{v}: an {{xor}} value was printed");
    assert!(
        !all.contains(e.was.admin.password()),
        "{v}: the admin password was printed"
    );

    // The human summary names the essentials too.
    let (code, _, _) = cnxbackup(&s.sysroot, &["discover"]);
    assert_eq!(code, 0);
    let human = Command::cargo_bin("cnxbackup")
        .unwrap()
        .arg("--sysroot")
        .arg(&s.sysroot)
        .arg("discover")
        .output()
        .unwrap();
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(
        text.contains(&e.was.cell) && text.contains(&e.connections.root),
        "{v}: {text}"
    );
}

fn step<'a>(plan: &'a Value, component: &str) -> &'a Value {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["component"] == component)
        .unwrap_or_else(|| panic!("no step for {component}"))
}

fn check_plan(variant: Variant) {
    let dir = tempfile::tempdir().unwrap();
    let s = build(variant, &dir.path().join("root"), &BuildOptions::default()).unwrap();
    let e = &s.expected;
    let v = variant.name();
    let (code, p, stderr) = cnxbackup(&s.sysroot, &["plan", "--json"]);
    assert_eq!(code, 0, "{v}: {stderr}");

    let numbers: Vec<String> = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["procedure_step"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.first().map(String::as_str), Some("9 note"), "{v}");
    assert_eq!(numbers.get(1).map(String::as_str), Some("1"), "{v}");

    // CCM steps follow CCM presence.
    let ear = step(&p, "engine_ws_ear");
    if e.connections.ccm.installed {
        assert_eq!(ear["runs"], true, "{v}");
        assert_eq!(
            ear["paths"][0],
            e.connections.ccm.engine_ws_ear_dir.as_deref().unwrap(),
            "{v}"
        );
        assert!(ear["size"]["files"].as_u64().unwrap() >= 1, "{v}");
    } else {
        assert_eq!(ear["skip_reason"], "CCM not installed", "{v}");
    }
    // File registry follows the filenetAdmin user.
    let reg = step(&p, "file_registry");
    if e.filenet_admin.in_file_registry {
        assert_eq!(reg["runs"], true, "{v}");
    } else if e.filenet_admin.user_id.is_some() {
        assert_eq!(reg["skip_reason"], "filenetAdmin is an LDAP user", "{v}");
    } else {
        assert_eq!(reg["runs"], false, "{v}");
    }
    // Steps 7 and 8 (the IIM state) run by default, with this IIM's own directories.
    let iim = step(&p, "installation_manager");
    assert_eq!(iim["runs"], true, "{v}");
    assert_eq!(
        strings(&iim["paths"]),
        [
            e.installation_manager.install_dir.clone(),
            e.installation_manager.data_dir.clone()
        ],
        "{v}"
    );
    assert_eq!(
        strings(&step(&p, "shared_resources")["paths"]),
        std::slice::from_ref(&e.installation_manager.shared_dir),
        "{v}"
    );
    // shared_data leaves provision to its own component.
    let shared = step(&p, "shared_data");
    assert_eq!(shared["paths"][0], e.data.shared_root.as_str(), "{v}");
    assert_eq!(
        strings(&shared["excludes"]),
        std::slice::from_ref(&e.data.provision_path),
        "{v}"
    );
    assert_eq!(
        step(&p, "provision")["paths"][0],
        e.data.provision_path.as_str(),
        "{v}"
    );
    // Every database of the sample is in step 4.
    let names: Vec<String> = step(&p, "databases")["databases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    for db in &e.databases {
        assert!(names.contains(&db.name), "{v}: {} not planned", db.name);
    }
    // Sizes were measured and add up.
    assert_eq!(p["sizes_measured"], true, "{v}");
    let total = p["total"]["apparent_bytes"].as_u64().unwrap();
    let sum: u64 = p["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["size"]["apparent_bytes"].as_u64())
        .sum();
    assert_eq!(total, sum, "{v}");
    assert!(
        step(&p, "local_data")["size"]["files"].as_u64().unwrap() > 0,
        "{v}"
    );

    // Flags: --in-place-migration is still accepted; --skip-installation-manager leaves
    // the IIM state out and says what that costs.
    let (code, p2, _) = cnxbackup(
        &s.sysroot,
        &["plan", "--json", "--no-sizes", "--in-place-migration"],
    );
    assert_eq!(code, 0);
    assert_eq!(p2["sizes_measured"], false, "{v}");
    let iim = step(&p2, "installation_manager");
    assert_eq!(iim["runs"], true, "{v}");
    assert!(iim["size"].is_null());
    let (code, p3, _) = cnxbackup(
        &s.sysroot,
        &[
            "plan",
            "--json",
            "--no-sizes",
            "--skip-installation-manager",
        ],
    );
    assert_eq!(code, 0);
    for c in ["installation_manager", "shared_resources"] {
        let st = step(&p3, c);
        assert_eq!(st["runs"], false, "{v}: {c}");
        assert!(
            st["skip_reason"]
                .as_str()
                .unwrap()
                .contains("cannot restore connections_root onto an updated system"),
            "{v}: {c}: {st}"
        );
    }

    // The human plan says the same.
    let human = Command::cargo_bin("cnxbackup")
        .unwrap()
        .arg("--sysroot")
        .arg(&s.sysroot)
        .arg("plan")
        .output()
        .unwrap();
    assert!(human.status.success());
    let text = String::from_utf8(human.stdout).unwrap();
    // Steps 7 and 8 run by default: no skip reason for them.
    assert!(!text.contains("in-place migration"), "{v}: {text}");
    assert!(text.contains("Total:"), "{v}: {text}");
    if !e.connections.ccm.installed {
        assert!(text.contains("why: CCM not installed"), "{v}: {text}");
    }
}

macro_rules! variant_tests {
    ($($name:ident => $variant:expr,)*) => {
        mod discover {
            use super::*;
            $( #[test] fn $name() { check_discover($variant); } )*
        }
        mod plan {
            use super::*;
            $( #[test] fn $name() { check_plan($variant); } )*
        }
    };
}

variant_tests! {
    v80_db2_ccm => Variant::V80Db2Ccm,
    v80_sqlserver_ldap => Variant::V80SqlServerLdap,
    v65_cr1_oracle => Variant::V65Cr1Oracle,
    v60_cr6_ccm => Variant::V60Cr6Ccm,
    v60_cr4_ccm => Variant::V60Cr4Ccm,
    v70_two_nodes_split_clusters => Variant::V70TwoNodesSplitClusters,
    hcl_branded_relocated => Variant::HclBrandedRelocated,
    non_root_iim => Variant::NonRootIim,
}

#[test]
fn every_variant_has_an_end_to_end_test() {
    assert_eq!(
        Variant::all().len(),
        8,
        "add the new variant to variant_tests!"
    );
}

#[test]
fn broken_profile_registry_exits_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let s = build(
        Variant::V80Db2Ccm,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let registry = format!(
        "{}/properties/profileRegistry.xml",
        s.expected.was.app_server_root
    );
    std::fs::write(s.real_path(&registry), "<profiles>\n<profile name=\"x\"").unwrap();
    let (code, j, stderr) = cnxbackup(&s.sysroot, &["discover", "--json"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains(&registry), "{stderr}");
    assert_eq!(j["error"]["exit_code"], 1);
    let (code, _, stderr) = cnxbackup(&s.sysroot, &["plan"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("profileRegistry.xml"), "{stderr}");
}

#[test]
fn empty_sysroot_exits_1_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = cnxbackup(dir.path(), &["discover"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("app_server_root"), "{stderr}");
}
