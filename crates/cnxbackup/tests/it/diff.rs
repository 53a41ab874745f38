//! End to end: `cnxbackup diff` through the real binary. A sample deployment is backed up,
//! files are added, removed and modified and an attribute of a profile's XML configuration
//! (and a `{xor}` password) is changed, it is backed up again, and `diff` must report exactly
//! those changes, per component, with the XML attribute old → new and the password masked;
//! after a simulated failed CR update it must report the version change and the update's
//! files; a snapshot against itself is no change; plain snapshots form one group; `--json`
//! validates against docs/schemas/diff.schema.json.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::cli_common;
use crate::restore_common;

use std::collections::BTreeSet;
use std::path::Path;

use backup_common::Harness;
use cli_common::Schemas;
use restore_common::cnx;
use sample::Variant;
use serde_json::Value;

fn assert_valid(doc: &Value) {
    Schemas::load().assert_valid("diff", doc, "diff --json");
}

/// Paths that are not the deployment's own: the stand-ins' logs and state, the database
/// stand-in's state, profile temp directories and logs (written by the stand-in servers),
/// and the backup's own record (`/.cnxbackup`, new database images every run).
fn volatile(p: &str) -> bool {
    restore_common::volatile(p)
        || p.starts_with("/.cnxbackup")
        || p.ends_with("/logs")
        || p.contains("/logs/")
}

/// Runs `diff FROM TO --json` and returns the validated document.
fn diff_json(h: &Harness, from: &str, to: &str) -> Value {
    let run = cnx(h, &["--json", "diff", from, to]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_valid(&doc);
    doc
}

/// Every change as (group, path, change) outside the volatile paths.
fn changes(doc: &Value) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for g in doc["groups"].as_array().unwrap() {
        for c in g["changes"].as_array().unwrap() {
            let path = c["path"].as_str().unwrap();
            if !volatile(path) {
                out.insert((
                    g["name"].as_str().unwrap().to_string(),
                    path.to_string(),
                    c["change"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

fn find<'a>(doc: &'a Value, path: &str) -> &'a Value {
    doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["changes"].as_array().unwrap())
        .find(|c| c["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the diff: {doc:#}"))
}

fn snapshot_id(run: &backup_common::Run) -> String {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run.result()["snapshot"].as_str().unwrap().to_string()
}

/// `backup --path --json` prints one document (not events).
fn plain_snapshot_id(run: &backup_common::Run) -> String {
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    doc["snapshot"].as_str().unwrap().to_string()
}

#[test]
fn diff_reports_files_xml_attributes_and_the_version_change() {
    let h = Harness::new(Variant::V80Db2Ccm);
    let root = h.sample.sysroot.clone();
    let real = |product: &str| root.join(product.trim_start_matches('/'));
    let e = &h.sample.expected;
    let cnx_root = e.connections.root.clone();
    let dmgr = e
        .was
        .profiles
        .iter()
        .find(|p| p.profile_type == sample::ProfileType::Dmgr)
        .unwrap()
        .path
        .clone();
    let cell = e.was.cell.clone();
    let cell_dir = format!("{dmgr}/config/cells/{cell}");
    let test_dir = format!("{cnx_root}/diff-test");
    std::fs::create_dir_all(real(&test_dir)).unwrap();
    std::fs::write(real(&format!("{test_dir}/remove-me.txt")), [7u8; 1000]).unwrap();
    std::fs::write(real(&format!("{test_dir}/modify-me.txt")), "one\n").unwrap();

    h.sample.start_all().unwrap();
    let a = snapshot_id(&h.backup(&["--in-place-migration", "--json"]));

    // The changes: add, remove, modify, one XML attribute, one {xor} password.
    std::fs::write(real(&format!("{test_dir}/added.bin")), [1u8; 4096]).unwrap();
    std::fs::remove_file(real(&format!("{test_dir}/remove-me.txt"))).unwrap();
    std::fs::write(real(&format!("{test_dir}/modify-me.txt")), "two two\n").unwrap();
    let cell_xml = format!("{cell_dir}/cell.xml");
    let text = std::fs::read_to_string(real(&cell_xml)).unwrap();
    assert!(text.contains("cellDiscoveryProtocol=\"TCP\""));
    std::fs::write(
        real(&cell_xml),
        text.replace(
            "cellDiscoveryProtocol=\"TCP\"",
            "cellDiscoveryProtocol=\"UDP\"",
        ),
    )
    .unwrap();
    let security_xml = format!("{cell_dir}/security.xml");
    let text = std::fs::read_to_string(real(&security_xml)).unwrap();
    let (old_pw, new_pw) = ("{xor}CDo9Hgw=", "{xor}NjcrOjEtMD4=");
    assert!(text.contains(old_pw));
    std::fs::write(real(&security_xml), text.replace(old_pw, new_pw)).unwrap();

    // A configuration file broken by hand: reported for that file, the rest carries on.
    let vhosts_xml = format!("{cell_dir}/virtualhosts.xml");
    let text = std::fs::read_to_string(real(&vhosts_xml)).unwrap();
    std::fs::write(real(&vhosts_xml), &text[..text.len() / 2]).unwrap();

    let b = snapshot_id(&h.backup(&["--in-place-migration", "--json"]));
    let doc = diff_json(&h, &a, &b);
    assert_eq!(doc["grouping"], "components");
    assert_eq!(doc["identical"], false);
    assert_eq!(doc["version"]["changed"], false, "{:#}", doc["version"]);
    let expected: BTreeSet<(String, String, String)> = [
        ("connections_root", format!("{test_dir}/added.bin"), "added"),
        (
            "connections_root",
            format!("{test_dir}/modify-me.txt"),
            "changed",
        ),
        (
            "connections_root",
            format!("{test_dir}/remove-me.txt"),
            "removed",
        ),
        ("dmgr_profile", cell_xml.clone(), "changed"),
        ("dmgr_profile", security_xml.clone(), "changed"),
        ("dmgr_profile", vhosts_xml.clone(), "changed"),
    ]
    .into_iter()
    .map(|(g, p, c)| (g.to_string(), p, c.to_string()))
    .collect();
    assert_eq!(changes(&doc), expected, "{doc:#}");

    // Only the directories on the way to a change were read: far fewer than the snapshot has.
    let snap = h.snapshot(&b);
    let mut dirs = 0u64;
    vault::tree::walk(&snap.repo, &snap.snapshot, Path::new("/"), &mut |_, e| {
        if e.kind == vault::tree::EntryKind::Dir {
            dirs += 1;
        }
        vault::tree::Visit::Continue
    })
    .unwrap();
    let loaded = doc["trees_loaded"].as_u64().unwrap();
    eprintln!("trees loaded by the diff: {loaded} of {dirs} directories");
    assert!(
        loaded > 0 && loaded * 4 < dirs,
        "{loaded} trees read of {dirs}"
    );

    // Sizes and counts.
    let added = find(&doc, &format!("{test_dir}/added.bin"));
    assert_eq!(added["new"]["size"], 4096);
    let modified = find(&doc, &format!("{test_dir}/modify-me.txt"));
    assert_eq!(modified["old"]["size"], 4);
    assert_eq!(modified["new"]["size"], 8);
    assert!(modified["fields"]
        .as_array()
        .unwrap()
        .contains(&Value::from("content")));
    assert!(modified.get("xml").is_none(), "not an XML file");
    let group = doc["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "connections_root")
        .unwrap();
    assert_eq!(group["counts"]["added"], 1);
    assert_eq!(group["counts"]["removed"], 1);
    assert_eq!(group["counts"]["changed"], 1);
    assert_eq!(group["counts"]["added_bytes"], 4096);
    assert_eq!(group["counts"]["removed_bytes"], 1000);

    // The XML attribute, old → new, by element path.
    let xml = &find(&doc, &cell_xml)["xml"];
    assert_eq!(xml["status"], "compared", "{xml:#}");
    let xc = xml["changes"].as_array().unwrap();
    assert_eq!(xc.len(), 1, "{xml:#}");
    assert_eq!(xc[0]["change"], "attribute_changed");
    assert_eq!(xc[0]["path"], "/topology.cell:Cell");
    assert_eq!(xc[0]["attribute"], "cellDiscoveryProtocol");
    assert_eq!(xc[0]["old"], "TCP");
    assert_eq!(xc[0]["new"], "UDP");
    // The password: reported, masked.
    let xml = &find(&doc, &security_xml)["xml"];
    let xc = xml["changes"].as_array().unwrap();
    assert_eq!(xc.len(), 1, "{xml:#}");
    assert_eq!(xc[0]["attribute"], "password");
    assert_eq!(
        xc[0]["path"],
        "/security:Security/keyStores[@name='CellDefaultKeyStore']"
    );
    assert_eq!(xc[0]["old"], "***");
    assert_eq!(xc[0]["new"], "***");
    assert_eq!(xc[0]["masked"], true);

    let broken = &find(&doc, &vhosts_xml)["xml"];
    assert_eq!(broken["status"], "error", "{broken:#}");
    assert!(
        broken["message"].as_str().unwrap().contains("new version"),
        "{broken:#}"
    );

    // The human report says the same, and never shows the secret.
    let human = cnx(&h, &["diff", &a, &b]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let out = &human.stdout;
    assert!(out.contains("@cellDiscoveryProtocol: TCP → UDP"), "{out}");
    assert!(
        out.contains(&format!("+ {test_dir}/added.bin  4.0 KiB")),
        "{out}"
    );
    assert!(
        out.contains(&format!("- {test_dir}/remove-me.txt")),
        "{out}"
    );
    assert!(out.contains("@password: *** → ***"), "{out}");
    assert!(out.contains("(XML not compared: the new version"), "{out}");
    assert!(out.contains("connections_root "), "{out}");
    let json_text = cnx(&h, &["--json", "diff", &a, &b]).stdout;
    for secret in [old_pw, new_pw, "CDo9Hgw", "NjcrOjEtMD4"] {
        assert!(!out.contains(secret), "{secret} in the human report");
        assert!(!json_text.contains(secret), "{secret} in the JSON report");
    }

    // A snapshot against itself: nothing, and no tree read.
    let same = diff_json(&h, &b, &b);
    assert_eq!(same["identical"], true);
    assert_eq!(same["groups"].as_array().unwrap().len(), 0);
    assert_eq!(same["trees_loaded"], 0);
    let same_h = cnx(&h, &["diff", &b, &b]);
    assert!(
        same_h.stdout.contains("No differences"),
        "{}",
        same_h.stdout
    );

    // A failed CR update: the version change and the update's files.
    let update = sample::simulate_failed_update(&h.sample).unwrap();
    let c = snapshot_id(&h.backup(&["--in-place-migration", "--json"]));
    let doc = diff_json(&h, &b, &c);
    let v = &doc["version"];
    assert_eq!(v["changed"], true);
    let label = |cr: Option<u32>| format!("{} CR{}", e.connections.release, cr.unwrap());
    assert_eq!(v["from"]["label"], label(update.from.cr).as_str(), "{v:#}");
    assert_eq!(v["to"]["label"], label(update.to.cr).as_str(), "{v:#}");
    assert_eq!(v["from"]["offering"], update.from.offering_version.as_str());
    assert_eq!(v["to"]["offering"], update.to.offering_version.as_str());
    let removed: Vec<String> = serde_json::from_value(v["ifixes_removed"].clone()).unwrap();
    assert!(!update.from.ifixes.is_empty());
    assert_eq!(removed, update.from.ifixes);
    let got = changes(&doc);
    let got_paths: BTreeSet<(&str, &str)> = got
        .iter()
        .map(|(_, p, c)| (p.as_str(), c.as_str()))
        .collect();
    for (list, kind) in [
        (&update.added, "added"),
        (&update.changed, "changed"),
        (&update.removed, "removed"),
    ] {
        for p in list.iter().filter(|p| !volatile(p)) {
            assert!(
                got_paths.contains(&(p.as_str(), kind)),
                "{p} not reported as {kind}: {got:#?}"
            );
        }
    }
    // ...and nothing the update did not touch (new directories of added files aside).
    for (p, kind) in &got_paths {
        let listed = [&update.added, &update.changed, &update.removed]
            .iter()
            .any(|l| l.iter().any(|x| x == p || x.starts_with(&format!("{p}/"))));
        assert!(
            listed,
            "{p} reported as {kind} but the update did not touch it"
        );
    }
    let human = cnx(&h, &["diff", &b, &c]);
    let expect = format!(
        "Connections version: {} → {}",
        label(update.from.cr),
        label(update.to.cr)
    );
    assert!(human.stdout.contains(&expect), "{}", human.stdout);
    if human.stdout.contains("... and") {
        let all = cnx(&h, &["diff", &b, &c, "--all"]);
        assert!(!all.stdout.contains("more (--all"), "{}", all.stdout);
        assert!(all.stdout.len() > human.stdout.len());
    }
}

#[test]
fn diff_of_plain_snapshots_is_one_group() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    let dir = h.dir.path().join("plain");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.txt"), "a").unwrap();
    std::fs::write(dir.join("b.xml"), "<b/>").unwrap();
    let d = dir.display().to_string();
    let a = plain_snapshot_id(&h.backup(&["--path", &d, "--json"]));
    std::fs::write(dir.join("sub/c.txt"), "ccc").unwrap();
    std::fs::remove_file(dir.join("b.xml")).unwrap();
    let b = plain_snapshot_id(&h.backup(&["--path", &d, "--json"]));
    let doc = diff_json(&h, &a, &b);
    assert_eq!(doc["grouping"], "single");
    assert!(doc["version"].is_null());
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["name"], "all");
    let got: BTreeSet<(String, String)> = groups[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                c["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        (format!("{d}/b.xml"), "removed".to_string()),
        (format!("{d}/sub/c.txt"), "added".to_string()),
    ]
    .into_iter()
    .collect();
    assert_eq!(got, expected);
    // An unknown snapshot is an error, not an empty diff.
    let bad = cnx(&h, &["diff", &a, "ffffffffffff"]);
    assert_ne!(bad.code, 0);
}
