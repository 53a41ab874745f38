//! Vendor database tools against the sample deployments' stand-ins (`db2`, `db2ckbkp`,
//! `sqlcmd`, `expdp`/`impdp`): the stand-ins keep real state, write real images and log
//! every call, so a backup → damage → restore round trip can be checked byte for byte.

#![allow(clippy::unwrap_used)] // test helpers

use std::path::PathBuf;

use runbook::databases::{
    sha256_file, BackupSink, DatabaseTarget, DatabaseTool, Db2, DbError, ImageRecord, Oracle,
    OracleMethod, RestoreSource, SqlServer, ToolOptions, Vendor,
};
use sample::{BuildOptions, Sample, Variant};

fn build(variant: Variant) -> (tempfile::TempDir, Sample) {
    let dir = tempfile::tempdir().unwrap();
    let s = sample::build(variant, &dir.path().join("root"), &BuildOptions::default()).unwrap();
    (dir, s)
}

fn target(s: &Sample, i: usize) -> DatabaseTarget {
    let d = &s.expected.databases[i];
    DatabaseTarget {
        name: d.name.clone(),
        host: Some(d.host.clone()),
        port: Some(d.port),
        schemas: d.schemas.clone(),
    }
}

fn staging() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Damages a database's stand-in state the way a failed update would.
fn damage(s: &Sample, name: &str) {
    let dir = s.db_state_dir(name);
    std::fs::write(dir.join("schema_version"), "99.0.0.0_CR99\n").unwrap();
    std::fs::write(dir.join("added-by-update.dat"), "x").unwrap();
}

#[test]
fn databases_db2_backup_parses_timestamp_finds_image_and_verifies_then_restores() {
    let (_d, s) = build(Variant::V80Db2Ccm);
    let tool = Db2::new(s.db_command(), ToolOptions::default());
    assert!(tool.preflight().is_empty(), "{:?}", tool.preflight());
    let db = target(&s, 0);
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();

    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert_eq!(rec.vendor, Vendor::Db2);
    let ts = rec.vendor_timestamp.clone().unwrap();
    assert_eq!(ts.len(), 14);
    assert!(ts.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(rec.files.len(), 1);
    let image = &rec.files[0];
    assert_eq!(
        image.name,
        format!("{}.0.db2inst1.DBPART000.{ts}.001", db.name)
    );
    let (sha, size) = sha256_file(&stage.path().join(&image.name)).unwrap();
    assert_eq!((sha, size), (image.sha256.clone(), image.size));
    assert_eq!(rec.bytes, image.size);
    assert!(rec.verification.as_deref().unwrap().contains("successful"));
    assert_eq!(
        rec.details.get("instance").map(String::as_str),
        Some("db2inst1")
    );
    assert!(rec.command.ends_with(&format!(
        "backup database {} to {} compress",
        db.name,
        stage.path().display()
    )));

    let log = s.db_log().unwrap();
    assert!(log.iter().any(|e| e.tool == "db2"
        && e.action == "backup"
        && e.database == db.name
        && e.details.first() == Some(&ts)));
    assert!(
        log.iter().any(|e| e.tool == "db2ckbkp"
            && e.action == "verify"
            && e.details.last().map(String::as_str) == Some("ok")),
        "db2ckbkp was not run: {log:#?}"
    );

    // The record survives the manifest.
    let json = serde_json::to_string(&rec).unwrap();
    let back: ImageRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, rec);

    damage(&s, &db.name);
    assert_ne!(s.db_state_snapshot(&db.name).unwrap(), before);
    let cmds = tool.restore_commands(&db, &back, stage.path());
    assert!(cmds[0].contains(&format!(
        "restore database {} from {} taken at {ts} replace existing without rolling forward without prompting",
        db.name,
        stage.path().display()
    )), "{cmds:?}");
    let r = tool
        .restore(&db, &back, RestoreSource::Staged(stage.path()))
        .unwrap();
    assert_eq!(r.vendor_timestamp.as_deref(), Some(ts.as_str()));
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);
    assert!(s.db_log().unwrap().iter().any(|e| e.tool == "db2"
        && e.action == "restore"
        && e.database == db.name
        && e.details.first() == Some(&ts)));
}

#[test]
fn databases_db2_failure_reports_the_sql_message() {
    let (_d, s) = build(Variant::V80Db2Ccm);
    let tool = Db2::new(s.db_command(), ToolOptions::default());
    let db = target(&s, 0);
    s.knobs().fail_db_backup(Some(&db.name)).unwrap();
    let stage = staging();
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            DbError::Tool {
                operation: "backup",
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("SQL2062N"), "{text}");
    assert!(text.contains(&db.name), "{text}");
    assert!(std::fs::read_dir(stage.path()).unwrap().next().is_none());

    // A database still in use cannot be backed up offline: SQL1035N.
    s.knobs().clear().unwrap();
    s.knobs().db_in_use(&db.name).unwrap();
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    assert!(err.to_string().contains("SQL1035N"), "{err}");
}

#[test]
fn databases_db2_missing_tool_is_a_preflight_problem() {
    let tool = Db2::new("/nonexistent/db2", ToolOptions::default());
    let p = tool.preflight();
    assert_eq!(p.len(), 1);
    assert!(p[0].contains("/nonexistent/db2"));
    let stage = staging();
    let err = tool
        .backup(
            &DatabaseTarget::named("PEOPLEDB"),
            BackupSink::Staging(stage.path()),
        )
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/db2"), "{err}");
}

#[test]
fn databases_sqlserver_backup_verify_restore() {
    let (_d, s) = build(Variant::V80SqlServerLdap);
    // A trusted connection (-E): the stand-in accepts it without a password.
    let tool = SqlServer::new(s.db_command(), ToolOptions::default());
    let db = target(&s, 0);
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert_eq!(rec.files.len(), 1);
    assert!(rec.files[0].name.starts_with(&db.name) && rec.files[0].name.ends_with(".bak"));
    assert!(rec.verification.as_deref().unwrap().contains("valid"));
    let log = s.db_log().unwrap();
    let b = log
        .iter()
        .find(|e| e.tool == "sqlcmd" && e.action == "backup" && e.database == db.name)
        .unwrap();
    assert!(b.details.contains(&"checksum=1".to_owned()), "{b:?}");
    assert!(b.details.contains(&"compression=1".to_owned()), "{b:?}");

    damage(&s, &db.name);
    tool.restore(&db, &rec, RestoreSource::Staged(stage.path()))
        .unwrap();
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);

    s.knobs().fail_db_backup(Some(&db.name)).unwrap();
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    assert!(err.to_string().contains("Msg 3202"), "{err}");
}

#[test]
fn databases_oracle_datapump_exports_the_schemas_and_imports_them_back() {
    let (_d, s) = build(Variant::V65Cr1Oracle);
    let t = &s.expected.db_tools;
    let (dir_name, dir_path) = t.oracle_directory.clone().unwrap();
    let tool = Oracle {
        method: OracleMethod::DataPump {
            expdp: s.db_command(),
            impdp: s.real_path(t.restore_command.as_deref().unwrap()),
            user: "system".into(),
            // OS authentication ("/ as sysdba"): no password anywhere.
            password: None,
            directory: dir_name,
            directory_path: s.real_path(&dir_path),
        },
        options: ToolOptions::default(),
    };
    assert!(tool.preflight().is_empty(), "{:?}", tool.preflight());
    let db = target(&s, 0);
    assert!(!db.schemas.is_empty());
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert_eq!(rec.files.len(), 1);
    assert!(stage.path().join(&rec.files[0].name).is_file());
    // Moved out of the Data Pump directory into staging.
    assert!(!s.real_path(&dir_path).join(&rec.files[0].name).exists());
    assert_eq!(rec.details.get("schemas"), Some(&db.schemas.join(",")));

    for schema in &db.schemas {
        let p = s.db_state_dir(&db.name).join(schema).join("schema_version");
        std::fs::write(p, "99\n").unwrap();
    }
    assert_ne!(s.db_state_snapshot(&db.name).unwrap(), before);
    tool.restore(&db, &rec, RestoreSource::Staged(stage.path()))
        .unwrap();
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);

    s.knobs().fail_db_backup(None).unwrap();
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    assert!(err.to_string().contains("ORA-"), "{err}");
}

#[test]
fn databases_db2_streaming_is_refused() {
    let tool = Db2::new(PathBuf::from("/x/db2"), ToolOptions::default());
    let mut sink = Vec::new();
    let err = tool
        .backup(&DatabaseTarget::named("A"), BackupSink::Stream(&mut sink))
        .unwrap_err();
    assert!(matches!(err, DbError::Config(_)));
}

#[test]
fn databases_db2_online_backup_includes_logs_and_restore_rolls_forward() {
    use runbook::databases::Mode;
    let (_d, s) = build(Variant::V80Db2Ccm);
    let tool = Db2::new(
        s.db_command(),
        ToolOptions {
            mode: Mode::Online,
            ..ToolOptions::default()
        },
    );
    let db = target(&s, 1);
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert_eq!(rec.mode, Mode::Online);
    let want = format!("online to {} compress include logs", stage.path().display());
    assert!(rec.command.ends_with(&want), "{}", rec.command);
    let ts = rec.vendor_timestamp.clone().unwrap();
    assert!(s.db_log().unwrap().iter().any(|e| e.action == "backup"
        && e.database == db.name
        && e.details.last().map(String::as_str) == Some("online")));
    damage(&s, &db.name);
    let r = tool
        .restore(&db, &rec, RestoreSource::Staged(stage.path()))
        .unwrap();
    assert_eq!(r.commands.len(), 2, "{:?}", r.commands);
    assert!(
        r.commands[1].contains("rollforward database"),
        "{:?}",
        r.commands
    );
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);
    let log = s.db_log().unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "restore" && e.details.first() == Some(&ts)));
    assert!(log
        .iter()
        .any(|e| e.action == "rollforward" && e.database == db.name));
    // No roll-forward left pending.
    assert!(!s
        .db_state_dir(&db.name)
        .join("runtime/rollforward-pending")
        .exists());
}

#[test]
fn databases_sqlserver_login_password_travels_in_sqlcmdpassword() {
    use secret::Secret;
    let (_d, s) = build(Variant::V80SqlServerLdap);
    let t = &s.expected.db_tools;
    let mut tool = SqlServer::new(s.db_command(), ToolOptions::default());
    tool.username = t.username.clone();
    tool.password = Some(Secret::new(t.password().unwrap()));
    let db = target(&s, 0);
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert!(!rec.command.contains(t.password().unwrap()));
    assert!(rec.command.contains("-U sa"), "{}", rec.command);
    assert!(!rec.command.contains("-P"), "{}", rec.command);

    // A wrong password is the login failure, named.
    tool.password = Some(Secret::new("wrong-pw"));
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Login failed"), "{text}");
    assert!(!text.contains("wrong-pw"), "{text}");
}

#[test]
fn databases_oracle_datapump_with_a_password_in_the_parameter_file() {
    use secret::Secret;
    let (_d, s) = build(Variant::V65Cr1Oracle);
    let t = &s.expected.db_tools;
    let (dir_name, dir_path) = t.oracle_directory.clone().unwrap();
    let pw = t.password().unwrap().to_owned();
    let tool = Oracle {
        method: OracleMethod::DataPump {
            expdp: s.db_command(),
            impdp: s.real_path(t.restore_command.as_deref().unwrap()),
            user: t.username.clone().unwrap(),
            password: Some(Secret::new(&pw)),
            directory: dir_name,
            directory_path: s.real_path(&dir_path),
        },
        options: ToolOptions::default(),
    };
    let db = target(&s, 0);
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    assert!(!rec.command.contains(&pw), "{}", rec.command);
    assert!(!format!("{tool:?}").contains(&pw));
    let log = s.db_log().unwrap();
    assert!(
        log.iter()
            .any(|e| e.tool == "expdp" && e.action == "export"),
        "{log:#?}"
    );
    for schema in &db.schemas {
        let p = s.db_state_dir(&db.name).join(schema).join("schema_version");
        std::fs::write(p, "99\n").unwrap();
    }
    tool.restore(&db, &rec, RestoreSource::Staged(stage.path()))
        .unwrap();
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);
}

#[test]
fn databases_oracle_rman_cold_backup_and_restore_from_tag() {
    let (_d, s) = build(Variant::V65Cr1Oracle);
    let rman = s.real_path(s.expected.db_tools.rman_command.as_deref().unwrap());
    let tool = Oracle {
        method: OracleMethod::Rman { rman },
        options: ToolOptions::default(),
    };
    assert!(tool.preflight().is_empty(), "{:?}", tool.preflight());
    let db = target(&s, 0);
    let before = s.db_state_snapshot(&db.name).unwrap();
    let stage = staging();
    let rec = tool.backup(&db, BackupSink::Staging(stage.path())).unwrap();
    let stamp = rec.vendor_timestamp.clone().unwrap();
    let tag = format!("CNX{stamp}");
    assert_eq!(rec.details.get("tag"), Some(&tag));
    // A database piece and a control file piece, both in staging.
    assert_eq!(rec.files.len(), 2, "{:?}", rec.files);
    assert!(rec
        .files
        .iter()
        .any(|f| f.name.starts_with(&format!("cnx_{stamp}_db_"))));
    assert!(rec
        .files
        .iter()
        .any(|f| f.name.starts_with(&format!("cnx_{stamp}_ctl_"))));
    let log = s.db_log().unwrap();
    assert!(log
        .iter()
        .any(|e| e.tool == "rman" && e.action == "backup-db" && e.details.last() == Some(&tag)));

    for schema in &db.schemas {
        let p = s.db_state_dir(&db.name).join(schema).join("schema_version");
        std::fs::write(p, "99\n").unwrap();
    }
    // Restored from a different directory (as extracted from a snapshot).
    let restore_dir = staging();
    for f in &rec.files {
        std::fs::copy(stage.path().join(&f.name), restore_dir.path().join(&f.name)).unwrap();
    }
    tool.restore(&db, &rec, RestoreSource::Staged(restore_dir.path()))
        .unwrap();
    assert_eq!(s.db_state_snapshot(&db.name).unwrap(), before);
    assert!(s
        .db_log()
        .unwrap()
        .iter()
        .any(|e| e.tool == "rman" && e.action == "restore" && e.details.last() == Some(&tag)));

    // A failing backup quotes RMAN's error stack.
    s.knobs().fail_db_backup(None).unwrap();
    let err = tool
        .backup(&db, BackupSink::Staging(stage.path()))
        .unwrap_err();
    assert!(err.to_string().contains("ORA-19502"), "{err}");
}
