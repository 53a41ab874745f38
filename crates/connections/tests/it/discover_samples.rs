//! Discovery over every sample variant, compared field by field with the truth the sample
//! was built from.
#![allow(clippy::unwrap_used)]

use connections::deployment::{Deployment, ProfileType, ServerType};
use connections::discover::{discover, DiscoverOptions};
use sample::{build, BuildOptions, Variant};
use websphere::Sysroot;

fn discovered(variant: Variant) -> (tempfile::TempDir, sample::Sample, Deployment) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let s = build(variant, &root, &BuildOptions::default()).unwrap();
    let d = discover(
        &Sysroot::new(&s.sysroot).unwrap(),
        &DiscoverOptions::default(),
    )
    .unwrap();
    (dir, s, d)
}

fn profile_type(t: sample::ProfileType) -> ProfileType {
    match t {
        sample::ProfileType::Dmgr => ProfileType::Dmgr,
        sample::ProfileType::Managed => ProfileType::Managed,
        sample::ProfileType::Standalone => ProfileType::Standalone,
    }
}

fn server_type(t: sample::ServerType) -> ServerType {
    match t {
        sample::ServerType::DeploymentManager => ServerType::DeploymentManager,
        sample::ServerType::NodeAgent => ServerType::NodeAgent,
        sample::ServerType::ApplicationServer => ServerType::ApplicationServer,
        sample::ServerType::WebServer => ServerType::WebServer,
    }
}

fn check(variant: Variant) {
    let (_dir, s, d) = discovered(variant);
    let e = &s.expected;
    let v = variant.name();
    assert!(
        d.warnings.is_empty(),
        "{v}: unexpected warnings {:#?}",
        d.warnings
    );

    // Connections and its version.
    assert_eq!(d.connections.root, e.connections.root, "{v}: root");
    let ver = &d.connections.version;
    assert_eq!(
        ver.release.unwrap().to_string(),
        e.connections.release,
        "{v}: release"
    );
    assert_eq!(ver.cr, e.connections.cr, "{v}: cr");
    assert_eq!(
        ver.offering.as_ref().unwrap().as_str(),
        e.connections.offering_version,
        "{v}: offering"
    );
    let ifixes: Vec<String> = ver.ifixes.iter().map(|i| i.to_string()).collect();
    assert_eq!(ifixes, e.connections.ifixes, "{v}: ifixes");
    assert!(ver.conflicts.is_empty(), "{v}: {:?}", ver.conflicts);
    assert_eq!(
        ver.evidence.buildlevel.as_ref().unwrap().value.raw,
        e.connections.buildlevel,
        "{v}: buildlevel"
    );
    assert_eq!(
        ver.evidence.launcher.as_ref().unwrap().value.as_str(),
        e.connections.launcher_build,
        "{v}: launcher"
    );

    // CCM.
    let ccm = &d.connections.ccm;
    assert_eq!(
        ccm.installed, e.connections.ccm.installed,
        "{v}: ccm installed"
    );
    if e.connections.ccm.installed {
        assert_eq!(
            ccm.engine_ws_ear_dir, e.connections.ccm.engine_ws_ear_dir,
            "{v}: ear dir"
        );
        assert!(ccm.engine_ws_ear_found, "{v}: ear found");
        assert_eq!(
            ccm.storage_area, e.connections.ccm.storage_dir,
            "{v}: storage"
        );
    }

    // WebSphere.
    assert_eq!(d.was.app_server_root, e.was.app_server_root, "{v}: asr");
    assert_eq!(d.was.cell, e.was.cell, "{v}: cell");
    assert_eq!(d.was.profiles.len(), e.was.profiles.len(), "{v}: profiles");
    for p in &e.was.profiles {
        let got = d.was.profiles.iter().find(|x| x.name == p.name).unwrap();
        assert_eq!(got.path, p.path, "{v}: profile path {}", p.name);
        assert_eq!(
            got.kind,
            profile_type(p.profile_type),
            "{v}: profile type {}",
            p.name
        );
        assert_eq!(
            got.node.as_deref(),
            Some(p.node.as_str()),
            "{v}: profile node {}",
            p.name
        );
    }
    assert_eq!(d.was.nodes.len(), e.was.nodes.len(), "{v}: nodes");
    for n in &e.was.nodes {
        let got = d.was.nodes.iter().find(|x| x.name == n.name).unwrap();
        assert_eq!(
            got.host.as_deref(),
            Some(n.host.as_str()),
            "{v}: host {}",
            n.name
        );
        assert_eq!(
            got.profile.as_deref(),
            Some(n.profile.as_str()),
            "{v}: node profile {}",
            n.name
        );
    }
    let servers: Vec<_> = d.was.servers().collect();
    assert_eq!(servers.len(), e.was.servers.len(), "{v}: servers");
    for sv in &e.was.servers {
        let got = servers
            .iter()
            .find(|x| x.name == sv.name && x.node == sv.node)
            .unwrap_or_else(|| panic!("{v}: server {}/{} missing", sv.node, sv.name));
        assert_eq!(
            got.kind,
            server_type(sv.server_type),
            "{v}: type {}",
            sv.name
        );
        assert_eq!(got.cluster, sv.cluster, "{v}: cluster of {}", sv.name);
        assert_eq!(
            got.host.as_deref(),
            Some(sv.host.as_str()),
            "{v}: host of {}",
            sv.name
        );
    }
    assert_eq!(d.was.clusters.len(), e.was.clusters.len(), "{v}: clusters");
    for c in &e.was.clusters {
        let got = d.was.clusters.iter().find(|x| x.name == c.name).unwrap();
        let mut want: Vec<(String, String)> = c
            .members
            .iter()
            .map(|m| (m.node.clone(), m.server.clone()))
            .collect();
        let mut have: Vec<(String, String)> = got
            .members
            .iter()
            .map(|m| (m.node.clone(), m.server.clone()))
            .collect();
        want.sort();
        have.sort();
        assert_eq!(have, want, "{v}: members of {}", c.name);
    }

    // Data roots.
    assert_eq!(d.data.shared_root, e.data.shared_root, "{v}: shared");
    assert_eq!(d.data.local_root, e.data.local_root, "{v}: local");
    assert_eq!(d.data.provision, e.data.provision_path, "{v}: provision");
    assert_eq!(
        d.data.customization, e.data.customization_path,
        "{v}: customization"
    );
    for (name, value) in &e.data.variables {
        if let Some(got) = d.data.content_dirs.get(name) {
            assert_eq!(got, value, "{v}: variable {name}");
        }
    }
    for key in [
        "data.shared_root",
        "data.local_root",
        "data.provision",
        "data.customization",
    ] {
        assert!(
            !d.provenance[key].assumed,
            "{v}: {key} should be read, not assumed"
        );
    }

    // filenetAdmin.
    assert_eq!(
        d.filenet_admin.user_id, e.filenet_admin.user_id,
        "{v}: filenetAdmin"
    );
    assert_eq!(
        d.filenet_admin.in_file_registry, e.filenet_admin.in_file_registry,
        "{v}: filenetAdmin in file registry"
    );

    // Installation Manager.
    let im = &d.installation_manager;
    assert_eq!(
        im.install_dir, e.installation_manager.install_dir,
        "{v}: iim install"
    );
    assert_eq!(
        im.data_dir, e.installation_manager.data_dir,
        "{v}: iim data"
    );
    assert_eq!(
        im.shared_dir, e.installation_manager.shared_dir,
        "{v}: iim shared"
    );
    assert_eq!(
        im.non_root_user, e.installation_manager.non_root_user,
        "{v}: non-root"
    );
    assert_eq!(
        im.found_by.as_deref(),
        Some(e.installation_manager.found_by.as_str()),
        "{v}: how the IIM data directory was found"
    );
    // Every other IIM is reported, none of them is taken for Connections'.
    let others: Vec<&str> = im.others.iter().map(|o| o.data_dir.as_str()).collect();
    assert_eq!(others, e.installation_manager.others, "{v}: other IIMs");
    for o in &im.others {
        assert!(
            !o.packages.iter().any(|p| p == "com.ibm.connections"),
            "{v}: {o:?}"
        );
        assert!(!o.packages.is_empty(), "{v}: {o:?}");
    }
    for key in ["install_dir", "data_dir", "shared_dir"] {
        let p = &d.provenance[&format!("installation_manager.{key}")];
        assert!(!p.assumed, "{v}: installation_manager.{key} assumed: {p:?}");
    }

    // Databases.
    assert_eq!(
        d.databases.len(),
        e.databases.len(),
        "{v}: databases {:?}",
        d.databases
    );
    for db in &e.databases {
        let got = d
            .databases
            .iter()
            .find(|x| x.name == db.name && x.host.as_deref() == Some(db.host.as_str()))
            .unwrap_or_else(|| panic!("{v}: database {} missing", db.name));
        assert_eq!(
            got.vendor.to_string(),
            db.vendor.as_str(),
            "{v}: vendor {}",
            db.name
        );
        assert_eq!(got.port, Some(db.port), "{v}: port {}", db.name);
        let mut schemas = db.schemas.clone();
        schemas.sort();
        assert_eq!(got.schemas, schemas, "{v}: schemas {}", db.name);
    }

    // Role mappings.
    assert_eq!(
        d.role_mappings.len(),
        e.role_mappings.len(),
        "{v}: role mappings"
    );
    for (app, roles) in &e.role_mappings {
        let got = d
            .role_mappings
            .iter()
            .find(|a| &a.application == app)
            .unwrap();
        for r in roles {
            let g = got.roles.iter().find(|x| x.role == r.role).unwrap();
            assert_eq!(g.everyone, r.everyone, "{v}: {app}/{}", r.role);
            assert_eq!(
                g.all_authenticated, r.all_authenticated,
                "{v}: {app}/{}",
                r.role
            );
            assert_eq!(g.users, r.users, "{v}: {app}/{} users", r.role);
            assert_eq!(g.groups, r.groups, "{v}: {app}/{} groups", r.role);
        }
    }
}

#[test]
fn v80_db2_ccm() {
    check(Variant::V80Db2Ccm);
}

#[test]
fn v80_sqlserver_ldap() {
    check(Variant::V80SqlServerLdap);
}

#[test]
fn v65_cr1_oracle() {
    check(Variant::V65Cr1Oracle);
}

#[test]
fn v60_cr6_ccm() {
    check(Variant::V60Cr6Ccm);
}

#[test]
fn v60_cr4_ccm() {
    check(Variant::V60Cr4Ccm);
}

#[test]
fn v70_two_nodes_split_clusters() {
    check(Variant::V70TwoNodesSplitClusters);
}

#[test]
fn hcl_branded_relocated() {
    check(Variant::HclBrandedRelocated);
}

#[test]
fn non_root_iim() {
    check(Variant::NonRootIim);
}

#[test]
fn every_variant_is_tested() {
    assert_eq!(Variant::all().len(), 8, "add a test for the new variant");
}

/// After the sample's simulated failed CR update, discovery reads the next CR from every
/// source without conflicts, the webresources fingerprint changes, and the gate says what
/// the documentation says: content may go back, provision may not.
#[test]
fn failed_update_reads_as_the_next_cr_and_gates_provision() {
    use connections::discover::installed_version;
    use connections::version::{can_restore_content, can_restore_provision, GateRule};

    for variant in [
        Variant::V80Db2Ccm,
        Variant::V65Cr1Oracle,
        Variant::V60Cr4Ccm,
    ] {
        let (_dir, s, before) = discovered(variant);
        let v = variant.name();
        let report = sample::simulate_failed_update(&s).unwrap();
        let sys = Sysroot::new(&s.sysroot).unwrap();
        let after = installed_version(&sys, &DiscoverOptions::default());
        let old = before.connections.version.version().unwrap();
        let new = after.version.version().unwrap();
        assert_eq!(new.offering.as_str(), report.to.offering_version, "{v}");
        assert_eq!(new.cr(), report.to.cr, "{v}");
        assert!(
            after.version.conflicts.is_empty(),
            "{v}: {:?}",
            after.version.conflicts
        );
        assert_ne!(
            after.version.webresources_sha256, before.connections.version.webresources_sha256,
            "{v}: provision changed, so must its fingerprint"
        );
        // Same release unless the update crossed 6.0 CR6 (which counts as 6.5).
        if old.release() == new.release() {
            assert!(can_restore_content(&old, &new).is_ok(), "{v}");
        }
        let refusal = can_restore_provision(&old, &new).unwrap_err();
        assert!(
            refusal.rule() == GateRule::Provision || old.release() != new.release(),
            "{v}: {refusal}"
        );
    }
}

/// Every file discovery reads, truncated in the middle, one at a time: discovery returns a
/// deployment (with a warning naming the file) or an error naming it — never a panic.
#[test]
fn truncating_any_input_never_panics_and_names_the_file() {
    use std::fs;
    use std::path::{Path, PathBuf};

    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                walk(&p, out);
            } else if t.is_file() {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let wanted = [".xml", ".xmi", ".efix", ".metadata"]
                    .iter()
                    .any(|x| name.ends_with(x))
                    || name == "uninstall-launcher.sh";
                if wanted {
                    out.push(p);
                }
            }
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let s = build(
        Variant::V80Db2Ccm,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let e = &s.expected;
    let dmgr = e.was.profiles.iter().find(|p| p.name == "Dmgr01").unwrap();
    let mut files = Vec::new();
    for root in [
        format!("{}/config/cells/{}", dmgr.path, e.was.cell),
        format!("{}/properties", dmgr.path),
        format!("{}/properties", e.was.app_server_root),
        e.installation_manager.data_dir.clone(),
        format!("{}/version", e.connections.root),
        format!("{}/bin", e.connections.root),
    ] {
        walk(&s.real_path(&root), &mut files);
    }
    // Application deployment descriptors other than bindings are not read; skip most of
    // them to keep the test quick.
    files.retain(|f| {
        let t = f.to_string_lossy();
        !t.contains("/applications/")
            || t.contains("ibm-application-bnd")
            || t.contains("application.xml")
    });
    assert!(files.len() > 20, "only {} files", files.len());
    let sys = Sysroot::new(&s.sysroot).unwrap();
    for file in &files {
        let original = fs::read(file).unwrap();
        fs::write(file, &original[..original.len() / 2]).unwrap();
        let product = sys.product_path(file).unwrap().display().to_string();
        let name = Path::new(&product)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        match discover(&sys, &DiscoverOptions::default()) {
            Ok(d) => {
                // Either the file did not matter for any fact, or a warning names it.
                let named = d.warnings.iter().any(|w| {
                    w.file.as_deref() == Some(product.as_str()) || w.message.contains(&name)
                });
                let _ = named; // a truncated file can still parse (e.g. a cut in a comment)
            }
            Err(err) => {
                let text = err.to_string();
                assert!(
                    text.contains(&name),
                    "error does not name {product}: {text}"
                );
            }
        }
        fs::write(file, &original).unwrap();
    }
}
