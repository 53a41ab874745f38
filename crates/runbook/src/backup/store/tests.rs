use std::fs;

use vault::restore::{restore, RestoreOptions};
use vault::{InitOptions, KdfParams, Storage};

use super::*;

fn repo(dir: &Path) -> Repository {
    let opts = InitOptions {
        kdf: KdfParams::insecure_fast(),
        ..InitOptions::default()
    };
    Repository::init(Storage::local(dir).unwrap(), "pw", &opts).unwrap()
}

#[test]
fn components_are_stored_under_product_paths_with_excludes_and_extra_files() {
    let root = tempfile::tempdir().unwrap();
    let sys = root.path().join("sys");
    fs::create_dir_all(sys.join("opt/app/data/inner")).unwrap();
    fs::create_dir_all(sys.join("opt/app/bin")).unwrap();
    fs::write(sys.join("opt/app/bin/run.sh"), "#!/bin/sh\n").unwrap();
    fs::write(sys.join("opt/app/data/inner/f.txt"), "inner").unwrap();
    fs::write(sys.join("opt/app/data/top.txt"), "top").unwrap();
    fs::create_dir_all(sys.join("var/x")).unwrap();
    fs::write(sys.join("var/x/y"), "y").unwrap();
    let repo_dir = root.path().join("repo");
    let repo = repo(&repo_dir);
    let sysroot = Sysroot::new(&sys).unwrap();
    let mut c = Composer::new(&repo, sysroot, "h1");

    // the app without its data (another component), then the data, then var/x
    let a = c
        .backup_paths(
            &["/opt/app".into()],
            &["/opt/app/data".into()],
            ParentChoice::None,
        )
        .unwrap();
    assert_eq!(a.summary.files_new, 1, "data was excluded");
    let b = c
        .backup_paths(&["/opt/app/data".into()], &[], ParentChoice::None)
        .unwrap();
    assert_eq!(b.summary.files_new, 2);
    c.backup_paths(&["/var/x".into()], &[], ParentChoice::None)
        .unwrap();
    let m = c
        .add_bytes("/.cnxbackup/manifest.json", b"{\"a\":1}")
        .unwrap();
    assert_eq!(m.size, 7);
    let mut stream: &[u8] = b"dump bytes";
    let d = c
        .add_stream("/.cnxbackup/databases/DB/db.dump", &mut stream, 0o600)
        .unwrap();
    assert_eq!(d.sha256, hex::encode(Sha256::digest(b"dump bytes")));
    assert_eq!(c.usage("/opt/app").unwrap(), Some((3, 4, 10 + 5 + 3)));
    assert_eq!(c.usage("/opt/app/data/inner").unwrap(), Some((1, 1, 5)));
    assert_eq!(c.usage("/nope").unwrap(), None);
    // the same product path twice is a conflict
    assert!(matches!(
        c.add_bytes("/var/x/y", b"z"),
        Err(StoreError::Conflict { .. })
    ));

    let (id, snap) = c
        .finish(vec!["t".into()], serde_json::json!({"kind": "k"}), 1)
        .unwrap();
    assert_eq!(snap.application.as_ref().unwrap()["kind"], "k");
    // only the final snapshot remains
    let list = repo.list_snapshots().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].0, id);

    let target = root.path().join("target");
    fs::create_dir_all(&target).unwrap();
    let out = restore(&repo, &snap, &target, &RestoreOptions::default()).unwrap();
    assert!(out.damaged.is_empty());
    assert_eq!(
        fs::read_to_string(target.join("opt/app/data/inner/f.txt")).unwrap(),
        "inner"
    );
    assert_eq!(
        fs::read_to_string(target.join("opt/app/bin/run.sh")).unwrap(),
        "#!/bin/sh\n"
    );
    assert_eq!(fs::read_to_string(target.join("var/x/y")).unwrap(), "y");
    assert_eq!(
        fs::read(target.join(".cnxbackup/manifest.json")).unwrap(),
        b"{\"a\":1}"
    );
    assert_eq!(
        fs::read(target.join(".cnxbackup/databases/DB/db.dump")).unwrap(),
        b"dump bytes"
    );
    // nothing of the sysroot's own location leaked into the snapshot
    let leaked = target.join(sys.strip_prefix("/").unwrap());
    assert!(!leaked.exists(), "{} exists", leaked.display());
}

#[test]
fn globs_are_escaped() {
    assert_eq!(glob_escape(Path::new("/a/b[1]*")), "/a/b\\[1\\]\\*");
}
