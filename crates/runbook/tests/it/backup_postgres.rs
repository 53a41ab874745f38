//! The backup procedure with the `command` vendor against a real PostgreSQL server:
//! `pg_dump -Fc` is streamed by the procedure straight into the snapshot (nothing staged),
//! the dump is read back from the snapshot, restored with `pg_restore` into an empty
//! database, and the table contents compared.
//!
//! Needs the server `scripts/test` starts (CNXBACKUP_TEST_PG_HOST, _PORT, _USER; trust
//! authentication). Without it the test fails on purpose.

#![allow(clippy::unwrap_used)]

use crate::common;

use std::process::{Command, Stdio};

use common::{pg, unique_names, Dbs};
use connections::deployment::Database;
use connections::discover::{discover, DiscoverOptions};
use runbook::backup::{self, BackupInput, CollectEvents, DeploymentBackupOptions};
use runbook::databases::{sha256_file, ToolConfig, Vendor};
use runbook::manifest::{Manifest, StepStatus, MANIFEST_PATH};
use runbook::servers::{ControlOptions, WasCredentials};
use sample::{BuildOptions, Variant};
use vault::restore::{restore, RestoreOptions};
use vault::{InitOptions, KdfParams, Repository, Storage};
use websphere::Sysroot;

#[test]
fn backup_command_vendor_streams_pg_dump_into_the_snapshot_and_it_restores() {
    let pg = pg();
    let (src, dst) = unique_names("cnxb");
    let _cleanup = Dbs(&pg, vec![src.clone(), dst.clone()]);
    pg.psql("postgres", &format!("CREATE DATABASE \"{src}\""));
    pg.psql("postgres", &format!("CREATE DATABASE \"{dst}\""));
    pg.psql(
        &src,
        "CREATE TABLE people (id int PRIMARY KEY, name text, photo bytea);\
         INSERT INTO people SELECT g, 'user ' || g || ' é', decode(md5(g::text), 'hex') \
         FROM generate_series(1, 20000) g;",
    );
    let want = pg.psql(
        &src,
        "SELECT id, name, encode(photo, 'hex') FROM people ORDER BY id",
    );

    // A deployment whose one database is the PostgreSQL one.
    let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
    let s = sample::build(
        Variant::V80SqlServerLdap,
        &dir.path().join("root"),
        &BuildOptions::default(),
    )
    .unwrap();
    let sys = Sysroot::new(&s.sysroot).unwrap();
    let mut d = discover(&sys, &DiscoverOptions::default()).unwrap();
    let vendor = d.databases[0].vendor;
    d.databases = vec![Database {
        name: src.clone(),
        vendor,
        host: Some(pg.host.clone()),
        port: pg.port.parse().ok(),
        schemas: vec![],
        datasources: vec![],
    }];
    let repo_dir = dir.path().join("repo");
    let repo = Repository::init(
        Storage::local(&repo_dir).unwrap(),
        "pw",
        &InitOptions {
            kdf: KdfParams::insecure_fast(),
            ..InitOptions::default()
        },
    )
    .unwrap();
    let staging = dir.path().join("staging");
    let mut events = CollectEvents::default();
    let report = backup::run(
        BackupInput {
            sysroot: &sys,
            deployment: &d,
            options: DeploymentBackupOptions {
                no_stop: true, // the sample's servers are not started
                ..DeploymentBackupOptions::default()
            },
            credentials: WasCredentials::none(),
            control: ControlOptions::default(),
            database: ToolConfig {
                vendor: Some(Vendor::Command),
                dump_command: Some(format!("pg_dump -Fc {} {{database}}", pg.conn())),
                staging_dir: staging.clone(),
                ..ToolConfig::default()
            },
            snapshot: None,
            repository: Ok(&repo),
            program_version: "test".into(),
            declared: Vec::new(),
            hooks: Default::default(),
        },
        &mut events,
    )
    .unwrap();
    assert!(
        report.complete(),
        "{:?}",
        report.manifest.as_ref().unwrap().failed_steps
    );
    assert!(
        !staging.exists(),
        "the command vendor must not stage anything"
    );
    let m = report.manifest.as_ref().unwrap();
    let rec = &m.databases[0];
    assert_eq!(rec.status, StepStatus::Ok);
    let image = rec.image.as_ref().unwrap();
    assert!(image.streamed);
    assert_eq!(rec.stored_paths.len(), 1);
    assert!(rec.stored_paths[0].starts_with(&format!("/.cnxbackup/databases/{src}/")));

    // Read the dump (and the manifest) back from the snapshot.
    let (_, snap) = repo
        .find_snapshot(report.snapshot.as_deref().unwrap())
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let r = restore(
        &repo,
        &snap,
        &out,
        &RestoreOptions {
            includes: vec![".cnxbackup".into()],
            ..RestoreOptions::default()
        },
    )
    .unwrap();
    assert!(r.damaged.is_empty());
    let dump = out.join(rec.stored_paths[0].trim_start_matches('/'));
    let (sha, size) = sha256_file(&dump).unwrap();
    assert_eq!((sha, size), (image.files[0].sha256.clone(), image.bytes));
    assert!(std::fs::read(&dump).unwrap().starts_with(b"PGDMP"));
    let stored: Manifest = Manifest::from_json(
        &std::fs::read(out.join(MANIFEST_PATH.trim_start_matches('/'))).unwrap(),
    )
    .unwrap();
    assert_eq!(&stored.databases, &m.databases);

    // pg_restore into the empty database: the contents match.
    let status = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error"])
        .args(pg.conn().split(' '))
        .args(["-d", &dst])
        .stdin(Stdio::from(std::fs::File::open(&dump).unwrap()))
        .status()
        .unwrap();
    assert!(status.success());
    let got = pg.psql(
        &dst,
        "SELECT id, name, encode(photo, 'hex') FROM people ORDER BY id",
    );
    assert_eq!(got.lines().count(), 20000);
    assert_eq!(got, want);
}
