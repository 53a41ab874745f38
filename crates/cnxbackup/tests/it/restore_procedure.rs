//! End to end: back up a sample deployment with the real binary, break it with a simulated
//! failed CR update, and restore it with `cnxbackup restore` — the version gate, the
//! preconditions, the database stand-in's restore call, and the tree byte for byte with
//! modes and times.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::restore_common;

use std::path::Path;

use backup_common::Harness;
use restore_common::{assert_components_equal, cnx, diff, listing, version_at, volatile};
use sample::Variant;

#[test]
fn restore_after_a_failed_update_brings_back_files_databases_and_version() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.start_all().unwrap();
    let run = h.backup(&["--in-place-migration", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let root = h.sample.sysroot.clone();
    let before = listing(&root, &volatile);
    let version_before = version_at(&root);
    let snap = h.snapshot("latest");
    let manifest = snap.manifest();
    let dbs: Vec<(String, String)> = manifest
        .databases
        .iter()
        .map(|d| {
            (
                d.database.clone(),
                d.image.as_ref().unwrap().vendor_timestamp.clone().unwrap(),
            )
        })
        .collect();
    assert!(!dbs.is_empty());
    let db_before: Vec<_> = dbs
        .iter()
        .map(|(n, _)| h.sample.db_state_snapshot(n).unwrap())
        .collect();

    let update = sample::simulate_failed_update(&h.sample).unwrap();
    assert!(!update.added.is_empty() && !update.changed.is_empty() && !update.removed.is_empty());
    assert_ne!(
        version_at(&root),
        version_before,
        "the update changed the version"
    );
    let broken = listing(&root, &volatile);

    // A dry run lists the changes per component and the database commands, touches nothing.
    let dry = cnx(&h, &["restore", "latest", "--dry-run"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    for p in update.added.iter().filter(|p| !volatile(p)) {
        assert!(
            dry.stdout.contains(&format!("remove   {p}")),
            "dry run does not list the removal of {p}:\n{}",
            dry.stdout
        );
    }
    for p in update.removed.iter().filter(|p| !volatile(p)) {
        assert!(
            dry.stdout.contains(&format!("add      {p}")),
            "dry run does not list {p} as added:\n{}",
            dry.stdout
        );
    }
    assert!(
        dry.stdout.contains("restore database"),
        "dry run lists the DB2 restore:\n{}",
        dry.stdout
    );
    assert!(diff(&broken, &listing(&root, &volatile)).is_empty());

    // provision alone onto the failed update's CR: the provision rule refuses (exit 3).
    let prov = cnx(&h, &["restore", "latest", "--only", "provision"]);
    assert_eq!(prov.code, 3, "{}\n{}", prov.stdout, prov.stderr);
    assert!(prov.stderr.contains("provision rule"), "{}", prov.stderr);
    assert!(prov.stderr.contains(&version_before), "{}", prov.stderr);
    assert!(prov.stderr.contains("what you can do"), "{}", prov.stderr);

    // Running servers at the target: refused, naming them; nothing changed.
    h.sample.start_all().unwrap();
    let running = h.sample.running_servers();
    assert!(!running.is_empty());
    let refused = cnx(&h, &["restore", "latest"]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    for s in &running {
        assert!(refused.stderr.contains(&s.server), "{}", refused.stderr);
    }
    assert!(h
        .sample
        .db_log()
        .unwrap()
        .iter()
        .all(|e| e.action != "restore"));

    // The full restore, stopping the servers first.
    let rest = cnx(&h, &["restore", "latest", "--stop", "--json"]);
    assert_eq!(rest.code, 0, "{}\n{}", rest.stdout, rest.stderr);
    assert!(h.sample.running_servers().is_empty());
    let report: serde_json::Value = serde_json::from_str(&rest.stdout).unwrap();
    assert_eq!(report["version_confirmed"], true, "{report:#}");
    assert_eq!(report["gate"]["checked_against"], version_before.as_str());
    for c in report["components"].as_array().unwrap() {
        assert_eq!(c["status"], "restored", "{c:#}");
        assert_eq!(c["verified"], true, "{c:#}");
    }
    // the failed update touched a handful of files: the rest were left alone
    let written: u64 = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["files_written"].as_u64().unwrap())
        .sum();
    let unchanged: u64 = report["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["unchanged"].as_u64().unwrap())
        .sum();
    assert!(
        written > 0 && written < unchanged,
        "{written} written, {unchanged} unchanged"
    );

    // Byte for byte, with modes and times.
    let after = listing(&root, &volatile);
    let d = diff(&before, &after);
    assert!(
        d.is_empty(),
        "the tree differs after the restore:\n{}",
        d.join("\n")
    );
    assert_eq!(version_at(&root), version_before);
    // every restored profile's temp and wstemp are empty (the update left state there)
    assert!(update.added.iter().any(|p| p.contains("/wstemp/")));
    for p in &manifest.topology.profiles {
        for t in ["temp", "wstemp"] {
            let dir = h.sample.real_path(&format!("{}/{t}", p.path));
            if dir.is_dir() {
                assert!(
                    std::fs::read_dir(&dir).unwrap().next().is_none(),
                    "{} is not empty",
                    dir.display()
                );
            }
        }
    }

    // The databases: restored from the backup's images, with their timestamps.
    let log = h.sample.db_log().unwrap();
    for ((name, ts), state) in dbs.iter().zip(&db_before) {
        assert!(
            log.iter().any(|e| e.action == "restore"
                && e.database == *name
                && e.details.first() == Some(ts)),
            "no restore of {name} taken at {ts} in {log:?}"
        );
        assert_eq!(&h.sample.db_state_snapshot(name).unwrap(), state, "{name}");
    }
}

#[test]
fn restore_refuses_unsafe_snapshots_and_never_writes_through_symlinks() {
    use vault::tree::{encode_tree, load_tree, ContentPart, Entry, EntryKind, Tree};
    use vault::{BlobKind, Repository};

    let h = Harness::new(Variant::V80SqlServerLdap);
    let run = h.backup(&["--in-place-migration"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let snap = h.snapshot("latest");
    let manifest = snap.manifest();
    let croot = manifest.topology.connections_root.clone();
    let root = h.sample.sysroot.clone();
    let outside = h.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();

    // 1. A symlink planted at the target inside a component (a directory of
    //    connections_root replaced by a link to a directory outside): the restore replaces
    //    the link and writes nothing through it.
    let logs = h.sample.real_path(&format!("{croot}/logs"));
    assert!(logs.is_dir(), "{}", logs.display());
    std::fs::remove_dir_all(&logs).unwrap();
    std::os::unix::fs::symlink(&outside, &logs).unwrap();
    let rest = cnx(&h, &["restore", "latest", "--skip-databases"]);
    assert_eq!(rest.code, 0, "{}\n{}", rest.stdout, rest.stderr);
    assert!(
        std::fs::read_dir(&outside).unwrap().next().is_none(),
        "something was written through the symlink"
    );
    assert!(std::fs::symlink_metadata(&logs).unwrap().is_dir());

    // 2. A crafted snapshot: connections_root's tree gets an entry named ".." holding a
    //    file. The restore refuses (exit 3) and writes nothing outside the component.
    let repo = Repository::open(
        vault::Storage::local(&h.repo_dir).unwrap(),
        backup_common::PASSWORD,
    )
    .unwrap();
    let (_, original) = repo.find_snapshot("latest").unwrap();
    let content = b"escaped!".to_vec();
    let data_id = repo.id_of(&content);
    repo.save_blob(BlobKind::Data, data_id, &content).unwrap();
    let mut file = Entry::new(b"escape.txt".to_vec(), EntryKind::File);
    file.mode = 0o644;
    file.size = content.len() as u64;
    file.content = vec![ContentPart::Data {
        id: data_id,
        len: content.len() as u64,
    }];
    let evil_inner = encode_tree(&Tree::from_unsorted(vec![file]));
    let evil_inner_id = repo.id_of(&evil_inner);
    repo.save_blob(BlobKind::Tree, evil_inner_id, &evil_inner)
        .unwrap();
    // rebuild the trees from connections_root up to the root
    let comps: Vec<&str> = croot.trim_start_matches('/').split('/').collect();
    let mut chain = vec![load_tree(&repo, &original.tree).unwrap()];
    for c in &comps {
        let sub = chain
            .last()
            .unwrap()
            .get(c.as_bytes())
            .unwrap()
            .subtree
            .unwrap();
        chain.push(load_tree(&repo, &sub).unwrap());
    }
    let mut up = Entry::new(b"..".to_vec(), EntryKind::Dir);
    up.mode = 0o755;
    up.subtree = Some(evil_inner_id);
    let mut child = chain.pop().unwrap();
    child.entries.push(up);
    let mut child = Tree::from_unsorted(child.entries);
    for c in comps.iter().rev() {
        let bytes = encode_tree(&child);
        let id = repo.id_of(&bytes);
        repo.save_blob(BlobKind::Tree, id, &bytes).unwrap();
        let mut parent = chain.pop().unwrap();
        for e in parent.entries.iter_mut() {
            if e.name == c.as_bytes() {
                e.subtree = Some(id);
            }
        }
        child = parent;
    }
    let bytes = encode_tree(&child);
    let root_id = repo.id_of(&bytes);
    repo.save_blob(BlobKind::Tree, root_id, &bytes).unwrap();
    repo.flush().unwrap();
    let mut evil = original.clone();
    evil.tree = root_id;
    evil.time += 1;
    let evil_id = repo.save_snapshot(&evil).unwrap();
    let r = cnx(
        &h,
        &["restore", &evil_id.to_hex(), "--only", "connections_root"],
    );
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("\"..\""), "{}", r.stderr);
    let croot_real = h.sample.real_path(&croot);
    assert!(!croot_real.parent().unwrap().join("escape.txt").exists());
    assert!(!root.join("escape.txt").exists());
}

#[test]
fn restore_of_a_plain_snapshot_keeps_the_path_restore() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    let run = h.backup(&["--skip-databases", "--set", "lab"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // deployment flags on a plain path backup are a usage error; without --target too
    let src = h.dir.path().join("plain");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), b"plain").unwrap();
    let b = cnx(&h, &["--json", "backup", "--path", src.to_str().unwrap()]);
    assert_eq!(b.code, 0, "{}\n{}", b.stdout, b.stderr);
    let plain: serde_json::Value = serde_json::from_str(&b.stdout).unwrap();
    let plain = plain["snapshot"].as_str().unwrap();
    // `latest` is the deployment backup of this host, not the newer path backup
    let r = cnx(&h, &["--json", "snapshots"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_ne!(list["latest"], plain, "{list:#}");
    let dst = h.dir.path().join("dst");
    let r = cnx(&h, &["restore", plain, "--only", "provision"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = cnx(&h, &["restore", plain]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = cnx(&h, &["restore", plain, "--target", dst.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let restored = dst.join(src.strip_prefix("/").unwrap()).join("a.txt");
    assert_eq!(std::fs::read(restored).unwrap(), b"plain");
}

#[test]
fn partial_restore_keeps_provision_and_streams_the_command_dump_back() {
    // 6.5 CR1 on Oracle, dumped through the `command` vendor (a stream, never staged)
    let h = Harness::new(Variant::V65Cr1Oracle);
    let run = h.backup(&["--in-place-migration"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let root = h.sample.sysroot.clone();
    let before = listing(&root, &volatile);
    let m = h.snapshot("latest").manifest();
    let db = &m.databases[0];
    assert!(db.image.as_ref().unwrap().streamed);
    let state = h.sample.db_state_dir(&db.database);
    let schema_versions = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("schema_version").is_file())
            .map(|p| {
                (
                    p.display().to_string(),
                    std::fs::read(p.join("schema_version")).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let schemas_before = schema_versions(&state);
    assert!(!schemas_before.is_empty());

    let update = sample::simulate_failed_update(&h.sample).unwrap();
    assert_ne!(schema_versions(&state), schemas_before);
    let provision = &m.topology.provision;
    let shared = &m.topology.shared_data;
    let broken = listing(&root, &volatile);

    // shared_data and the databases only: the content rule holds (6.5 CR1 -> 6.5 CR2), the
    // databases come back from the stream, shared data is mirrored, provision is left as the
    // failed update left it (it is its own component under its own rule).
    let r = cnx(
        &h,
        &["restore", "latest", "--only", "shared_data,databases"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(schema_versions(&state), schemas_before);
    let now = listing(&root, &volatile);
    for (k, item) in &now {
        if k.starts_with(&format!("{provision}/")) {
            assert_eq!(broken.get(k), Some(item), "{k} changed under provision");
        } else if k.starts_with(&format!("{shared}/")) {
            assert_eq!(before.get(k), Some(item), "{k} not restored");
        }
    }
    let changed_in_provision = update
        .added
        .iter()
        .any(|p| p.starts_with(&format!("{provision}/")) && now.contains_key(p));
    assert!(changed_in_provision, "provision was touched");

    // connections_root alone pulls in the Installation Manager state (never one without
    // the other) and, bringing the install back, lets provision go back too.
    let r = cnx(
        &h,
        &["restore", "latest", "--only", "connections_root,provision"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("also restoring installation_manager, shared_resources"),
        "{}",
        r.stderr
    );
    let after = listing(&root, &volatile);
    for p in update
        .added
        .iter()
        .chain(&update.changed)
        .chain(&update.removed)
    {
        let in_restored = [
            provision.as_str(),
            m.topology.connections_root.as_str(),
            m.topology.iim.data_dir.as_str(),
            m.topology.iim.shared_dir.as_str(),
        ]
        .iter()
        .any(|x| p.starts_with(&format!("{x}/")))
            // local data below connections_root is its own component, not restored here
            && !p.starts_with(&format!("{}/", m.topology.local_data));
        if in_restored {
            assert_eq!(before.get(p), after.get(p), "{p}");
        }
    }
}

#[test]
fn incomplete_snapshot_needs_only_with_intact_components() {
    let h = Harness::new(Variant::V80Db2Ccm);
    h.sample.knobs().fail_db_backup(Some("FILES")).unwrap();
    let run = h.backup(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    h.sample.knobs().clear().unwrap();
    let id = h.repo().list_snapshots().unwrap()[0].0.to_hex();
    // `latest` never picks an incomplete backup: it says so and names this one
    let r = cnx(&h, &["restore", "latest", "--dry-run"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no COMPLETE deployment backup"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&id[..8]), "{}", r.stderr);
    // named by id, it is refused without --only and says what is intact
    let r = cnx(&h, &["restore", &id, "--dry-run"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("INCOMPLETE"), "{}", r.stderr);
    assert!(r.stderr.contains("FILES"), "{}", r.stderr);
    assert!(r.stderr.contains("shared_data"), "{}", r.stderr);
    // a failed component cannot be named; an unknown one is a usage error
    let r = cnx(&h, &["restore", &id, "--only", "databases"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = cnx(&h, &["restore", &id, "--only", "shared_dat"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // intact components restore (nothing changed since: everything is unchanged)
    let r = cnx(&h, &["restore", &id, "--only", "shared_data", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let c = &report["components"][0];
    assert_eq!(c["component"], "shared_data");
    assert_eq!(c["files_written"], 0, "{c:#}");
    assert_eq!(c["added"], 0);
    assert_eq!(c["removed"], 0);
    assert!(c["unchanged"].as_u64().unwrap() > 0);
}

#[test]
fn full_restore_onto_an_empty_target_brings_its_own_version() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    let run = h.backup(&["--in-place-migration"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let m = h.snapshot("latest").manifest();
    let lab = h.dir.path().join("lab");
    let r = cnx(
        &h,
        &[
            "restore",
            "latest",
            "--target",
            lab.to_str().unwrap(),
            "--skip-databases",
            "--json",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["gate"]["installed_version"], serde_json::Value::Null);
    assert_eq!(report["version_confirmed"], true, "{report:#}");
    assert_eq!(version_at(&lab), version_at(&h.sample.sysroot));
    // every restored component equals the source, with modes and times
    assert_components_equal(&h, &m, &lab);
}
