//! `simulate_failed_update` moves every piece of version evidence to the next CR and
//! changes files in every area a restore must put back.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;

use common::*;
use sample::{simulate_failed_update, ProfileType, Variant};

#[test]
fn failed_update_changes_version_evidence_files_and_databases() {
    for v in Variant::all() {
        let b = built(*v);
        let e = &b.expected;
        let root = &e.connections.root;
        let dbs_before: Vec<_> = e
            .databases
            .iter()
            .map(|d| b.db_state_snapshot(&d.name).unwrap())
            .collect();
        let prov_before: Vec<_> =
            fs::read_dir(b.real_path(&format!("{}/webresources", e.data.provision_path)))
                .unwrap()
                .map(|d| d.unwrap().file_name())
                .collect();

        let r = simulate_failed_update(&b).unwrap();
        assert_eq!(r.from.offering_version, e.connections.offering_version);
        assert_ne!(r.to.offering_version, r.from.offering_version, "{v}");
        assert_eq!(r.to.cr, Some(e.connections.cr.map_or(1, |n| n + 1)));
        assert!(r.to.ifixes.is_empty());

        // Every evidence source now claims the new version.
        let installed = read(
            &b,
            &format!("{}/installed.xml", e.installation_manager.data_dir),
        );
        assert!(
            installed.contains(&format!(
                "id='com.ibm.connections' version='{}'",
                r.to.offering_version
            )),
            "{v}"
        );
        let registry = read(
            &b,
            &format!("{}/installRegistry.xml", e.installation_manager.data_dir),
        );
        assert!(registry.contains(&format!("value='{}'", r.to.offering_version)));
        for f in &e.connections.ifixes {
            assert!(
                !b.real_path(&format!("{root}/version/{f}.efix")).exists(),
                "{v}: {f}"
            );
        }
        let launcher = read(&b, &format!("{root}/bin/uninstall-launcher.sh"));
        assert!(launcher.contains(&format!("# Build: {} ", r.to.launcher_build)));
        for p in &e.was.profiles {
            let lcc = read(
                &b,
                &format!(
                    "{}/config/cells/{}/LotusConnections-config/LotusConnections-config.xml",
                    p.path, e.was.cell
                ),
            );
            assert!(
                lcc.contains(&format!("buildlevel=\"{}\"", r.to.buildlevel)),
                "{v} {}",
                p.name
            );
        }

        // Files changed in install, every profile, data, provision and IIM.
        let all: Vec<&String> = r.added.iter().chain(&r.changed).chain(&r.removed).collect();
        let touches = |prefix: &str| all.iter().any(|p| p.starts_with(prefix));
        assert!(touches(&format!("{root}/")), "{v}");
        for p in &e.was.profiles {
            assert!(touches(&format!("{}/", p.path)), "{v} {}", p.name);
            // the evidence a support case needs: an FFDC incident of the profile's server
            assert!(
                r.added
                    .iter()
                    .any(|f| f.starts_with(&format!("{}/logs/ffdc/", p.path))),
                "{v} {}: no FFDC",
                p.name
            );
        }
        assert!(
            r.added
                .iter()
                .any(|f| f.starts_with(&format!("{}/logs/", e.installation_manager.data_dir))),
            "{v}: no IIM log"
        );
        assert!(touches(&format!("{}/", e.data.provision_path)));
        assert!(touches(&format!("{}/", e.data.customization_path)));
        assert!(touches(&format!("{}/", e.data.local_root)));
        assert!(touches(&format!("{}/", e.installation_manager.data_dir)));
        assert!(touches(&format!("{}/", e.installation_manager.shared_dir)));
        assert!(!r.added.is_empty() && !r.changed.is_empty() && !r.removed.is_empty());
        for p in &r.removed {
            assert!(
                fs::symlink_metadata(b.real_path(p)).is_err(),
                "{v}: {p} still there"
            );
        }
        for p in r.added.iter().chain(&r.changed) {
            assert!(b.real_path(p).is_file(), "{v}: {p} missing");
        }
        let node_profile = e
            .was
            .profiles
            .iter()
            .find(|p| p.profile_type == ProfileType::Managed)
            .unwrap();
        assert!(
            touches(&format!("{}/installedApps/", node_profile.path)),
            "{v}"
        );
        let prov_after: Vec<_> =
            fs::read_dir(b.real_path(&format!("{}/webresources", e.data.provision_path)))
                .unwrap()
                .map(|d| d.unwrap().file_name())
                .collect();
        assert_ne!(prov_before, prov_after);

        // Every database's state changed.
        for (d, before) in e.databases.iter().zip(dbs_before) {
            assert_ne!(
                b.db_state_snapshot(&d.name).unwrap(),
                before,
                "{v}: {}",
                d.name
            );
        }
        assert!(!r.databases_touched.is_empty());
    }
}

#[test]
fn imcl_and_update_installer_stand_ins_follow_the_evidence() {
    let b = built(Variant::V80Db2Ccm);
    let e = &b.expected;
    let imcl = b.real_path(&format!(
        "{}/eclipse/tools/imcl",
        e.installation_manager.install_dir
    ));
    let update = b.real_path(&format!(
        "{}/updateInstaller/updateSilent.sh",
        e.connections.root
    ));
    let root = e.connections.root.as_str();
    let list = || text(&run(&imcl, &["listInstalledPackages"]));
    let fixes = || {
        text(&run(&update, &["-fix", "-installDir", root]))
            .lines()
            .filter_map(|l| l.strip_prefix("Fix name: ").map(str::to_string))
            .collect::<Vec<_>>()
    };
    assert!(list().contains(&format!(
        "com.ibm.connections_{}\n",
        e.connections.offering_version
    )));
    assert_eq!(fixes(), e.connections.ifixes);
    let r = simulate_failed_update(&b).unwrap();
    assert!(list().contains(&format!("com.ibm.connections_{}\n", r.to.offering_version)));
    assert!(fixes().is_empty());
}
