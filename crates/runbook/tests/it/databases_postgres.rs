//! The `command` vendor against a real PostgreSQL server: `pg_dump -Fc` streamed into a
//! sink, then `pg_restore` fed from it into an empty database, table contents compared.
//!
//! Needs the server `scripts/test` starts (CNXBACKUP_TEST_PG_HOST, _PORT, _USER; trust
//! authentication). Without it the test fails on purpose: a silently skipped test would
//! hide a broken `command` vendor.

#![allow(clippy::unwrap_used)] // test helpers

use crate::common;

use common::{pg, unique_names, Dbs};
use runbook::databases::{
    BackupSink, CommandTool, DatabaseTarget, DatabaseTool, DbError, RestoreSource, ToolOptions,
};

#[test]
fn databases_command_vendor_pg_dump_streamed_and_restored_with_pg_restore() {
    let pg = pg();
    let (src, dst) = unique_names("cnx");
    let _cleanup = Dbs(&pg, vec![src.clone(), dst.clone()]);
    pg.psql("postgres", &format!("CREATE DATABASE \"{src}\""));
    pg.psql("postgres", &format!("CREATE DATABASE \"{dst}\""));
    pg.psql(
        &src,
        "CREATE TABLE people (id int PRIMARY KEY, name text, photo bytea);\
         INSERT INTO people SELECT g, 'user ' || g || ' ü', decode(md5(g::text), 'hex') \
         FROM generate_series(1, 5000) g;\
         CREATE TABLE files (id serial PRIMARY KEY, path text NOT NULL);\
         INSERT INTO files (path) VALUES ('/a'), ('/b c'), ('/d''e');",
    );
    let want_people = pg.psql(
        &src,
        "SELECT id, name, encode(photo, 'hex') FROM people ORDER BY id",
    );
    let want_files = pg.psql(&src, "SELECT id, path FROM files ORDER BY id");
    assert!(want_people.lines().count() == 5000);
    assert_eq!(
        pg.psql(
            &dst,
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        )
        .trim(),
        "0"
    );

    let tool = CommandTool::from_config(
        &format!("pg_dump -Fc {} {{database}}", pg.conn()),
        Some(&format!(
            "pg_restore --no-owner --exit-on-error {} -d {{database}}",
            pg.conn()
        )),
        ToolOptions {
            timeout: Some(std::time::Duration::from_secs(120)),
            ..ToolOptions::default()
        },
    )
    .unwrap();
    assert!(tool.preflight().is_empty(), "{:?}", tool.preflight());

    // Streamed: the sink is all there is (no staging file anywhere).
    let mut dump = Vec::new();
    let rec = tool
        .backup(&DatabaseTarget::named(&src), BackupSink::Stream(&mut dump))
        .unwrap();
    assert!(rec.streamed);
    assert_eq!(rec.bytes, dump.len() as u64);
    assert!(dump.starts_with(b"PGDMP"), "not a custom-format dump");
    assert_eq!(rec.files[0].size, dump.len() as u64);

    let mut reader: &[u8] = &dump;
    let r = tool
        .restore(
            &DatabaseTarget::named(&dst),
            &rec,
            RestoreSource::Stream(&mut reader),
        )
        .unwrap();
    assert_eq!(r.bytes, dump.len() as u64);
    assert_eq!(
        pg.psql(
            &dst,
            "SELECT id, name, encode(photo, 'hex') FROM people ORDER BY id"
        ),
        want_people
    );
    assert_eq!(
        pg.psql(&dst, "SELECT id, path FROM files ORDER BY id"),
        want_files
    );

    // A dump that fails (no such database) fails the step with pg_dump's message.
    let mut sink = Vec::new();
    let err = tool
        .backup(
            &DatabaseTarget::named(format!("{src}_missing")),
            BackupSink::Stream(&mut sink),
        )
        .unwrap_err();
    assert!(matches!(err, DbError::Tool { .. }));
    assert!(err.to_string().contains("does not exist"), "{err}");
}
