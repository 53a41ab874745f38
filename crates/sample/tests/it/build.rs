//! Every variant builds, its files are well-formed and agree with its `Expected` truth.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;
use std::os::unix::ffi::OsStrExt;

use base64::Engine;
use common::*;
use sample::{build, BuildOptions, DbVendor, ProfileType, SampleError, Variant};

fn xor_decode(v: &str) -> String {
    let b = base64::engine::general_purpose::STANDARD
        .decode(v.trim_start_matches("{xor}"))
        .unwrap();
    String::from_utf8(b.into_iter().map(|c| c ^ 0x5f).collect()).unwrap()
}

/// Builds each variant once and checks both well-formedness and agreement with `Expected`.
#[test]
fn every_variant_builds_with_well_formed_xml_that_agrees_with_expected() {
    for v in Variant::all() {
        let b = built(*v);
        let files = walk(&b.sysroot);
        let mut parsed = 0;
        for (rel, meta) in &files {
            let name = rel.to_string_lossy();
            if meta.is_file()
                && (name.ends_with(".xml")
                    || name.ends_with(".xmi")
                    || name.ends_with(".efix")
                    || name.ends_with(".product"))
            {
                let text = fs::read_to_string(b.sysroot.join(rel)).unwrap();
                // IBM's version records declare a document type, as the real ones do.
                let opts = roxmltree::ParsingOptions {
                    allow_dtd: true,
                    ..roxmltree::ParsingOptions::default()
                };
                roxmltree::Document::parse_with_options(&text, opts)
                    .unwrap_or_else(|e| panic!("{v}: {name}: {e}"));
                if name.ends_with(".efix") || name.ends_with(".product") {
                    assert!(text.contains("<!DOCTYPE "), "{v}: {name}");
                }
                parsed += 1;
            }
        }
        assert!(parsed > 50, "{v}: only {parsed} XML files");
        // Tiny samples stay small so tests stay fast.
        let bytes: u64 = files
            .values()
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        assert!(bytes < 3 * 1024 * 1024, "{v}: {bytes} bytes");
        files_agree_with_expected(*v, &b);
    }
}

fn files_agree_with_expected(v: Variant, b: &Built) {
    {
        let e = &b.expected;
        let asr = &e.was.app_server_root;

        // profileRegistry.xml lists exactly the expected profiles, with their paths.
        let reg = read(b, &format!("{asr}/properties/profileRegistry.xml"));
        let doc = roxmltree::Document::parse(&reg).unwrap();
        let listed: Vec<(String, String)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("profile"))
            .map(|n| {
                (
                    n.attribute("name").unwrap().into(),
                    n.attribute("path").unwrap().into(),
                )
            })
            .collect();
        let want: Vec<(String, String)> = e
            .was
            .profiles
            .iter()
            .map(|p| (p.name.clone(), p.path.clone()))
            .collect();
        assert_eq!(listed, want, "{v}");
        for p in &e.was.profiles {
            let key = read(b, &format!("{}/properties/profileKey.metadata", p.path));
            let ty = if p.profile_type == ProfileType::Dmgr {
                "DEPLOYMENT_MANAGER"
            } else {
                "BASE"
            };
            assert!(
                key.contains(&format!("com.ibm.ws.profile.type={ty}")),
                "{v} {}",
                p.name
            );
            for tool in sample::PROFILE_SCRIPTS {
                let script = b.script(&p.name, tool).unwrap();
                assert!(
                    mode(&fs::metadata(&script).unwrap()) & 0o111 != 0,
                    "{}",
                    script.display()
                );
            }
        }

        let dmgr = e
            .was
            .profiles
            .iter()
            .find(|p| p.profile_type == ProfileType::Dmgr)
            .unwrap();
        let cell = format!("{}/config/cells/{}", dmgr.path, e.was.cell);

        // security.xml: connectionsAdmin decodes to the admin password; filenetAdmin iff expected.
        let sec = read(b, &format!("{cell}/security.xml"));
        let sdoc = roxmltree::Document::parse(&sec).unwrap();
        let aliases: Vec<roxmltree::Node> = sdoc
            .descendants()
            .filter(|n| n.has_tag_name("authDataEntries"))
            .collect();
        let ca = aliases
            .iter()
            .find(|n| n.attribute("alias") == Some("connectionsAdmin"))
            .unwrap();
        assert_eq!(
            xor_decode(ca.attribute("password").unwrap()),
            e.was.admin.password()
        );
        let fa = aliases
            .iter()
            .find(|n| n.attribute("alias") == Some("filenetAdmin"));
        assert_eq!(
            fa.and_then(|n| n.attribute("userId")).map(str::to_string),
            e.filenet_admin.user_id,
            "{v}"
        );

        // fileRegistry.xml holds the filenetAdmin exactly when it is a local user.
        let reg = read(b, &format!("{cell}/fileRegistry.xml"));
        if let Some(unique) = &e.filenet_admin.unique_name {
            assert_eq!(
                reg.contains(&format!("uniqueName=\"{unique}\"")),
                e.filenet_admin.in_file_registry,
                "{v}"
            );
            assert_eq!(
                unique.ends_with("o=defaultWIMFileBasedRealm"),
                e.filenet_admin.in_file_registry
            );
        }

        // resources.xml datasources group into the expected databases.
        let res = read(b, &format!("{cell}/resources.xml"));
        let rdoc = roxmltree::Document::parse(&res).unwrap();
        let mut dbs = std::collections::BTreeSet::new();
        for ds in rdoc.descendants().filter(|n| {
            n.attribute(("http://www.omg.org/XMI", "type")) == Some("resources.jdbc:DataSource")
        }) {
            let prop = |name: &str| {
                ds.descendants()
                    .find(|p| {
                        p.has_tag_name("resourceProperties") && p.attribute("name") == Some(name)
                    })
                    .and_then(|p| p.attribute("value"))
                    .map(str::to_string)
            };
            let key = match e.db_tools.vendor {
                DbVendor::Oracle => {
                    let url = prop("URL").unwrap();
                    let rest = url.strip_prefix("jdbc:oracle:thin:@").unwrap();
                    let parts: Vec<&str> = rest.split(':').collect();
                    (
                        parts[2].to_string(),
                        parts[0].to_string(),
                        parts[1].parse::<u16>().unwrap(),
                    )
                }
                _ => (
                    prop("databaseName").unwrap(),
                    prop("serverName").unwrap(),
                    prop("portNumber").unwrap().parse().unwrap(),
                ),
            };
            dbs.insert(key);
        }
        let want: std::collections::BTreeSet<(String, String, u16)> = e
            .databases
            .iter()
            .map(|d| (d.name.clone(), d.host.clone(), d.port))
            .collect();
        assert_eq!(dbs, want, "{v}");
        assert_eq!(
            e.databases.iter().any(|d| d.name == "FNGCD"),
            e.connections.ccm.installed,
            "{v}"
        );

        // Cell variables: the provision path resolves to the expected one.
        let vars = read(b, &format!("{cell}/variables.xml"));
        assert!(vars.contains("symbolicName=\"CONNECTIONS_PROVISION_PATH\""));
        assert!(
            b.real_path(&e.data.provision_path)
                .join("webresources")
                .is_dir(),
            "{v}"
        );
        assert!(b.real_path(&e.data.customization_path).is_dir(), "{v}");
        assert!(b.real_path(&e.data.local_root).is_dir(), "{v}");

        // Version evidence.
        let root = &e.connections.root;
        let installed = read(
            b,
            &format!("{}/installed.xml", e.installation_manager.data_dir),
        );
        assert!(
            installed.contains(&format!(
                "id='com.ibm.connections' version='{}'",
                e.connections.offering_version
            )),
            "{v}"
        );
        roxmltree::Document::parse(&installed).unwrap();
        let mut efixes: Vec<String> = fs::read_dir(b.real_path(&format!("{root}/version")))
            .unwrap()
            .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(".efix").map(str::to_string))
            .collect();
        efixes.sort();
        assert_eq!(efixes, e.connections.ifixes, "{v}");
        let launcher = read(b, &format!("{root}/bin/uninstall-launcher.sh"));
        let build_line = launcher.lines().find(|l| l.contains("Build:")).unwrap();
        assert_eq!(
            build_line.split_whitespace().nth(2),
            Some(e.connections.launcher_build.as_str())
        );
        let lcc = read(
            b,
            &format!("{cell}/LotusConnections-config/LotusConnections-config.xml"),
        );
        assert!(lcc.contains(&format!("buildlevel=\"{}\"", e.connections.buildlevel)));

        // CCM.
        if let Some(dir) = &e.connections.ccm.engine_ws_ear_dir {
            assert!(
                b.real_path(&format!("{dir}/Engine-ws.ear")).is_file(),
                "{v}"
            );
        }
        let addons = b.real_path(&format!("{root}/addons/ccm")).exists();
        assert_eq!(addons, v == Variant::V60Cr4Ccm, "{v}");

        // IIM directories, and role bindings of every application.
        for d in [
            &e.installation_manager.install_dir,
            &e.installation_manager.data_dir,
            &e.installation_manager.shared_dir,
        ] {
            assert!(b.real_path(d).is_dir(), "{v}: {d}");
        }
        // Its registry file leads to the install; config.ini to the data directory.
        let dat = match &e.installation_manager.non_root_user {
            None => "/etc/.ibm/registry/InstallationManager.dat".to_string(),
            Some(u) => format!("/home/{u}/etc/.ibm/registry/InstallationManager.dat"),
        };
        assert!(
            read(b, &dat).contains(&format!(
                "location={}/eclipse\n",
                e.installation_manager.install_dir
            )),
            "{v}"
        );
        assert!(read(
            b,
            &format!(
                "{}/eclipse/configuration/config.ini",
                e.installation_manager.install_dir
            )
        )
        .contains(&format!(
            "cic.appDataLocation={}\n",
            e.installation_manager.data_dir
        )));
        // Other Installation Managers know nothing of Connections.
        for other in &e.installation_manager.others {
            let text = read(b, &format!("{other}/installed.xml"));
            assert!(!text.contains("com.ibm.connections"), "{v}: {other}");
            assert!(text.contains("com.ibm.websphere.IHS"), "{v}: {other}");
        }
        assert_eq!(
            e.installation_manager.others.is_empty(),
            v != Variant::NonRootIim,
            "{v}"
        );
        for app in &e.applications {
            let bnd = b.real_path(&format!(
                "{cell}/applications/{0}.ear/deployments/{0}/META-INF/{1}",
                app.name, app.bindings_file
            ));
            let text = fs::read_to_string(&bnd).unwrap();
            for r in &e.role_mappings[&app.name] {
                for u in &r.users {
                    assert!(text.contains(&format!("name=\"{u}\"")), "{}", bnd.display());
                }
            }
        }
        // Every server of the expected topology appears in its node's serverindex.xml.
        for s in &e.was.servers {
            let idx = read(
                b,
                &format!(
                    "{}/config/cells/{}/nodes/{}/serverindex.xml",
                    dmgr.path, e.was.cell, s.node
                ),
            );
            assert!(
                idx.contains(&format!(
                    "serverName=\"{}\" serverType=\"{}\"",
                    s.name,
                    s.server_type.as_was()
                )),
                "{v} {}",
                s.name
            );
            assert!(idx.contains(&format!("hostName=\"{}\"", s.host)));
            assert!(e
                .profiles_on_host(&s.host)
                .iter()
                .any(|p| p.name == s.profile));
        }
    }
}

#[test]
fn trees_have_symlinks_modes_empty_dirs_and_non_utf8_names() {
    let b = built(Variant::HclBrandedRelocated);
    let files = walk(&b.sysroot);
    assert!(files.values().any(|m| m.file_type().is_symlink()));
    assert!(files.values().any(|m| m.is_file() && mode(m) == 0o600));
    assert!(files.values().any(|m| m.is_dir() && mode(m) == 0o700));
    assert!(files
        .iter()
        .any(|(p, m)| m.is_dir() && fs::read_dir(b.sysroot.join(p)).unwrap().next().is_none()));
    assert!(files
        .keys()
        .any(|p| std::str::from_utf8(p.file_name().unwrap().as_bytes()).is_err()));
    // The HCL layout links the install's data/shared to the relocated share.
    let link = fs::read_link(b.real_path("/opt/HCL/Connections/data/shared")).unwrap();
    assert_eq!(link.to_str(), Some(b.expected.data.shared_root.as_str()));
    assert_eq!(b.expected.data.shared_root, "/nfs/data/shared");
    assert_eq!(b.expected.hosts(), vec!["cnx1.example.com".to_string()]);
    let two = built(Variant::V70TwoNodesSplitClusters);
    assert_eq!(
        two.expected.hosts().len(),
        3,
        "dmgr host plus two node hosts"
    );
    // Files carry an old install-day mtime, not "now".
    let lcc = fs::metadata(b.real_path(&format!(
        "{}/properties/profileRegistry.xml",
        b.expected.was.app_server_root
    )))
    .unwrap();
    let age = std::time::SystemTime::now()
        .duration_since(lcc.modified().unwrap())
        .unwrap();
    assert!(age.as_secs() > 86_400 * 300);
}

#[test]
fn same_seed_same_bytes_and_other_seed_other_passwords() {
    let d = tempdir();
    let a = build(
        Variant::V60Cr6Ccm,
        &d.path().join("a"),
        &BuildOptions::default(),
    )
    .unwrap();
    let b = build(
        Variant::V60Cr6Ccm,
        &d.path().join("b"),
        &BuildOptions::default(),
    )
    .unwrap();
    let c = build(
        Variant::V60Cr6Ccm,
        &d.path().join("c"),
        &BuildOptions {
            seed: 99,
            ..Default::default()
        },
    )
    .unwrap();
    let fa = walk(&a.sysroot);
    let fb = walk(&b.sysroot);
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (p, m) in &fa {
        // Scripts name their own sysroot; everything else is byte-identical.
        if m.is_file()
            && !p.starts_with("var/lib/cnxbackup-sample")
            && !p.to_string_lossy().ends_with(".sh")
            && !p.to_string_lossy().contains("db2/V")
        {
            assert_eq!(
                fs::read(a.sysroot.join(p)).unwrap(),
                fs::read(b.sysroot.join(p)).unwrap(),
                "{}",
                p.display()
            );
            assert_eq!(
                m.modified().unwrap(),
                fb[p].modified().unwrap(),
                "{}",
                p.display()
            );
        }
    }
    assert_eq!(a.expected, b.expected);
    assert_ne!(
        a.expected.was.admin.password(),
        c.expected.was.admin.password()
    );
}

#[test]
fn refuses_non_empty_dir_and_reopens_from_state() {
    let d = tempdir();
    fs::write(d.path().join("x"), "x").unwrap();
    assert!(matches!(
        build(Variant::V80Db2Ccm, d.path(), &BuildOptions::default()),
        Err(SampleError::NotEmpty(_))
    ));
    let root = d.path().join("r");
    let s = build(
        Variant::NonRootIim,
        &root,
        &BuildOptions {
            seed: 5,
            ..Default::default()
        },
    )
    .unwrap();
    let again = sample::Sample::open(&root).unwrap();
    assert_eq!(again.expected, s.expected);
    assert_eq!(
        again.expected.was.admin.password(),
        s.expected.was.admin.password()
    );
    assert_eq!(
        s.expected.installation_manager.data_dir,
        "/home/lcuser/var/ibm/InstallationManager"
    );
    // Debug output never shows a password.
    assert!(!format!("{:?}", s.expected).contains(s.expected.was.admin.password()));
    assert!(!serde_json::to_string(&s.expected)
        .unwrap()
        .contains(s.expected.was.admin.password()));
}

/// Every generated shell script parses (`bash -n`), including branches no test reaches.
#[test]
fn every_generated_script_is_valid_bash() {
    for v in [
        Variant::V80Db2Ccm,
        Variant::V80SqlServerLdap,
        Variant::V65Cr1Oracle,
    ] {
        let b = built(v);
        let mut checked = 0;
        for (rel, meta) in walk(&b.sysroot) {
            let path = b.sysroot.join(&rel);
            if !meta.is_file() || mode(&meta) & 0o111 == 0 {
                continue;
            }
            let head = fs::read(&path).unwrap();
            let library = rel.starts_with("var/lib/cnxbackup-sample/lib");
            if !library && !head.starts_with(b"#!/bin/bash") && !head.starts_with(b"#!/bin/sh") {
                continue;
            }
            let o = std::process::Command::new("bash")
                .arg("-n")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            checked += 1;
        }
        assert!(checked >= 20, "{v}: {checked}");
    }
}

/// The discovery performance fixture of issue 6: 20 servers, 60 applications, 50 MB
/// `resources.xml`. Not in `Variant::all()`.
#[test]
fn large_cell_fixture_has_the_benchmark_shape() {
    assert!(!Variant::all().contains(&Variant::LargeCell));
    assert_eq!(
        "8.0-large-cell".parse::<Variant>().unwrap(),
        Variant::LargeCell
    );
    let b = built(Variant::LargeCell);
    let e = &b.expected;
    let app_servers = e
        .was
        .servers
        .iter()
        .filter(|s| s.server_type == sample::ServerType::ApplicationServer)
        .count();
    assert_eq!(app_servers, 20);
    assert_eq!(e.applications.len(), 60);
    let dmgr = &e.was.profiles[0];
    let res = b.real_path(&format!(
        "{}/config/cells/{}/resources.xml",
        dmgr.path, e.was.cell
    ));
    let len = fs::metadata(&res).unwrap().len();
    assert!(len >= 50_000_000, "{len}");
    let text = fs::read(&res).unwrap();
    assert!(text.ends_with(b"</xmi:XMI>\n"));
    for app in &e.applications {
        assert!(b
            .real_path(&format!(
                "{}/config/cells/{}/applications/{}.ear/deployments/{}/META-INF/{}",
                dmgr.path, e.was.cell, app.name, app.name, app.bindings_file
            ))
            .is_file());
    }
}
