//! The vendor database tool stand-ins: backup and restore round trips, success lines,
//! image names, failure knobs and exit codes.
#![allow(clippy::unwrap_used)]

use crate::common;

use std::fs;

use common::*;
use sample::Variant;

fn db2_backup(b: &Built, db: &str, dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["backup", "database", db, "to", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&b.db_command(), &args)
}

fn timestamp_of(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with("Backup successful."))
        .unwrap();
    let ts = line.rsplit(": ").next().unwrap().trim().to_string();
    assert_eq!(ts.len(), 14);
    assert!(ts.chars().all(|c| c.is_ascii_digit()));
    ts
}

#[test]
fn db2_backup_restore_round_trip() {
    let b = built(Variant::V80Db2Ccm);
    let staging = tempdir();
    let before = b.db_state_snapshot("PEOPLEDB").unwrap();
    assert!(!before.is_empty());

    let o = db2_backup(&b, "PEOPLEDB", staging.path(), &["compress"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ts = timestamp_of(&text(&o));
    let image = staging
        .path()
        .join(format!("PEOPLEDB.0.db2inst1.DBPART000.{ts}.001"));
    assert!(image.is_file(), "{}", image.display());
    assert_eq!(fs::read_dir(staging.path()).unwrap().count(), 1);

    // A second image of the same unchanged state has the same content.
    let first = fs::read(&image).unwrap();
    let v = run(
        &b.real_path(b.expected.db_tools.verify_command.as_deref().unwrap()),
        &[image.to_str().unwrap()],
    );
    assert_eq!(v.status.code(), Some(0));
    assert!(text(&v).contains("Image Verification Complete - successful."));

    // The failed update touches the state; the restore brings it back exactly.
    sample::simulate_failed_update(&b).unwrap();
    assert_ne!(b.db_state_snapshot("PEOPLEDB").unwrap(), before);
    let o = run(
        &b.db_command(),
        &[
            "restore",
            "database",
            "PEOPLEDB",
            "from",
            staging.path().to_str().unwrap(),
            "taken",
            "at",
            &ts,
            "replace",
            "existing",
            "without",
            "rolling",
            "forward",
            "without",
            "prompting",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("DB20000I  The RESTORE DATABASE command completed successfully."));
    assert_eq!(b.db_state_snapshot("PEOPLEDB").unwrap(), before);
    let log = b.db_log().unwrap();
    let restore = log.iter().find(|e| e.action == "restore").unwrap();
    assert_eq!(
        (restore.database.as_str(), restore.details[0].as_str()),
        ("PEOPLEDB", ts.as_str())
    );

    // Same state again -> byte-identical image content under a new timestamp.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let staging2 = tempdir();
    let o = db2_backup(&b, "PEOPLEDB", staging2.path(), &["compress"]);
    let ts2 = timestamp_of(&text(&o));
    assert_eq!(
        fs::read(
            staging2
                .path()
                .join(format!("PEOPLEDB.0.db2inst1.DBPART000.{ts2}.001"))
        )
        .unwrap(),
        first
    );
}

#[test]
fn db2_errors_look_like_the_clp() {
    let b = built(Variant::V60Cr6Ccm);
    let staging = tempdir();
    let o = db2_backup(
        &b,
        "FILES",
        std::path::Path::new("/nonexistent/dir"),
        &["compress"],
    );
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).starts_with("SQL2036N"), "{}", text(&o));
    let o = db2_backup(&b, "NOSUCHDB", staging.path(), &[]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("SQL1013N"));

    b.knobs().fail_db_backup(Some("FILES")).unwrap();
    let o = db2_backup(&b, "FILES", staging.path(), &["compress"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("SQL2062N"));
    let o = db2_backup(&b, "WIKIS", staging.path(), &["compress"]);
    assert_eq!(o.status.code(), Some(0), "other databases are not affected");
    b.knobs().clear().unwrap();

    b.knobs().db_in_use("BLOGS").unwrap();
    let o = db2_backup(&b, "BLOGS", staging.path(), &["compress"]);
    assert!(text(&o).contains("SQL1035N"));
    // Online backups work with connections; restoring one without roll-forward is refused.
    let o = run(
        &b.db_command(),
        &[
            "backup",
            "db",
            "BLOGS",
            "online",
            "to",
            staging.path().to_str().unwrap(),
            "compress",
            "include",
            "logs",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let ts = timestamp_of(&text(&o));
    let o = run(&b.db_command(), &[&format!("restore db BLOGS from {} taken at {ts} replace existing without rolling forward without prompting", staging.path().display())]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("SQL2537N"));
    let o = run(
        &b.db_command(),
        &[&format!(
            "restore db BLOGS from {} taken at 19990101000000 replace existing without prompting",
            staging.path().display()
        )],
    );
    assert!(text(&o).contains("SQL2542N"));

    let o = run(&b.db_command(), &["connect", "to", "FILES"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("Local database alias   = FILES"));
    let o = run(
        &b.db_command(),
        &["quiesce", "database", "immediate", "force", "connections"],
    );
    assert!(text(&o).contains("DB20000I"));
    let o = run(&b.db_command(), &["deactivate", "db", "FILES"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "SQL1496W is a warning: CLP exit 2"
    );
}

#[test]
fn sqlcmd_backup_restore_round_trip_and_errors() {
    let b = built(Variant::V80SqlServerLdap);
    let t = &b.expected.db_tools;
    let staging = tempdir();
    let bak = staging.path().join("FILES.bak");
    let user = t.username.clone().unwrap();
    let pw = t.password().unwrap().to_string();
    let q = format!(
        "BACKUP DATABASE [FILES] TO DISK = N'{}' WITH INIT, CHECKSUM, COMPRESSION",
        bak.display()
    );
    let before = b.db_state_snapshot("FILES").unwrap();
    let o = run(
        &b.db_command(),
        &[
            "-S",
            "sql.example.com,1433",
            "-U",
            &user,
            "-P",
            &pw,
            "-b",
            "-Q",
            &q,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("BACKUP DATABASE successfully processed"));
    assert!(bak.is_file());
    let o = run(
        &b.db_command(),
        &[
            "-U",
            &user,
            "-P",
            &pw,
            "-b",
            "-Q",
            &format!("RESTORE VERIFYONLY FROM DISK = N'{}'", bak.display()),
        ],
    );
    assert!(text(&o).contains("The backup set on file 1 is valid."));

    sample::simulate_failed_update(&b).unwrap();
    let o = run(
        &b.db_command(),
        &[
            "-U",
            &user,
            "-P",
            &pw,
            "-b",
            "-Q",
            &format!(
                "RESTORE DATABASE [FILES] FROM DISK = N'{}' WITH REPLACE, RECOVERY",
                bak.display()
            ),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("RESTORE DATABASE successfully processed"));
    assert_eq!(b.db_state_snapshot("FILES").unwrap(), before);

    // The password may come from SQLCMDPASSWORD instead of -P (scripts keep it off the command line).
    let o = std::process::Command::new(b.db_command())
        .args([
            "-U",
            &user,
            "-b",
            "-Q",
            &format!("RESTORE VERIFYONLY FROM DISK = N'{}'", bak.display()),
        ])
        .env("SQLCMDPASSWORD", &pw)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Wrong password: login failure, exit 1.
    let o = run(&b.db_command(), &["-U", &user, "-P", "nope", "-Q", &q]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("Login failed for user"));
    // A failing statement exits 0 without -b (like the real sqlcmd) and 1 with it.
    b.knobs().fail_db_backup(None).unwrap();
    let o = run(&b.db_command(), &["-U", &user, "-P", &pw, "-Q", &q]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("BACKUP DATABASE is terminating abnormally."));
    let o = run(&b.db_command(), &["-U", &user, "-P", &pw, "-b", "-Q", &q]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn datapump_export_import_round_trip() {
    let b = built(Variant::V65Cr1Oracle);
    let t = &b.expected.db_tools;
    assert_eq!(b.expected.databases.len(), 1);
    let db = &b.expected.databases[0];
    assert!(db.schemas.len() > 5);
    let userid = format!(
        "{}/{}@{}",
        t.username.as_deref().unwrap(),
        t.password().unwrap(),
        db.name
    );
    let schemas = format!("schemas={}", db.schemas.join(","));
    let before = b.db_state_snapshot(&db.name).unwrap();
    let o = run(
        &b.db_command(),
        &[
            &userid,
            &schemas,
            "directory=DATA_PUMP_DIR",
            "dumpfile=cnx_%U.dmp",
            "logfile=cnx_exp.log",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("successfully completed"));
    let (_, dir) = t.oracle_directory.clone().unwrap();
    let dump = b.real_path(&format!("{dir}/cnx_01.dmp"));
    assert!(dump.is_file());
    // Refuses to overwrite a dump file without reuse_dumpfiles.
    let o = run(
        &b.db_command(),
        &[
            &userid,
            &schemas,
            "directory=DATA_PUMP_DIR",
            "dumpfile=cnx_%U.dmp",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("ORA-27038"));

    sample::simulate_failed_update(&b).unwrap();
    assert_ne!(b.db_state_snapshot(&db.name).unwrap(), before);
    let impdp = b.real_path(t.restore_command.as_deref().unwrap());
    // Default table_exists_action=skip leaves tables alone and "completes with errors" (5).
    let o = run(
        &impdp,
        &[
            &userid,
            &schemas,
            "directory=DATA_PUMP_DIR",
            "dumpfile=cnx_01.dmp",
        ],
    );
    assert_eq!(o.status.code(), Some(5), "{}", text(&o));
    assert!(text(&o).contains("ORA-39151"));
    let o = run(
        &impdp,
        &[
            &userid,
            &schemas,
            "directory=DATA_PUMP_DIR",
            "dumpfile=cnx_01.dmp",
            "table_exists_action=replace",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(b.db_state_snapshot(&db.name).unwrap(), before);

    // The parameter-file form with a double-quoted password, as scripts write it.
    let par = b.sysroot.join("../dp.par");
    fs::write(
        &par,
        format!(
            "userid={}/\"{}\"@{}\n{schemas}\ndirectory=DATA_PUMP_DIR\ndumpfile=again.dmp\n",
            t.username.as_deref().unwrap(),
            t.password().unwrap(),
            db.name
        ),
    )
    .unwrap();
    let o = run(&b.db_command(), &[&format!("parfile={}", par.display())]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(b.real_path(&format!("{dir}/again.dmp")).is_file());

    let o = run(&b.db_command(), &["system/wrong@LSCONN", &schemas]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("ORA-01017"));
}

fn rman(b: &Built, script: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(
        b.real_path(b.expected.db_tools.rman_command.as_deref().unwrap()),
    )
    .args(["target", "/"])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn rman_cold_backup_and_restore_from_tag() {
    let b = built(Variant::V65Cr1Oracle);
    let sid = b.expected.databases[0].name.clone();
    let before = b.db_state_snapshot(&sid).unwrap();
    let dir = tempdir();
    let d = dir.path().display();
    let backup = format!(
        "SHUTDOWN IMMEDIATE;\nSTARTUP MOUNT;\nRUN {{\n  BACKUP AS COMPRESSED BACKUPSET DATABASE FORMAT '{d}/cnx_1_db_%U' TAG 'CNX1';\n  BACKUP CURRENT CONTROLFILE FORMAT '{d}/cnx_1_ctl_%U' TAG 'CNX1';\n}}\nALTER DATABASE OPEN;\nEXIT;\n"
    );
    let o = rman(&b, &backup);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Recovery Manager complete."));
    assert!(!text(&o).contains("ERROR MESSAGE STACK FOLLOWS"));
    let pieces: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(pieces.len(), 2, "{pieces:?}");
    assert!(pieces
        .iter()
        .any(|p| p.starts_with("cnx_1_db_") && p.ends_with("_1_1")));

    sample::simulate_failed_update(&b).unwrap();
    assert_ne!(b.db_state_snapshot(&sid).unwrap(), before);
    // Restoring while the database is open fails like RMAN does.
    let o = rman(&b, "RUN {\n  RESTORE DATABASE FROM TAG 'CNX1';\n}\nEXIT;\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("ERROR MESSAGE STACK FOLLOWS"));
    let restore = format!(
        "SHUTDOWN IMMEDIATE;\nSTARTUP MOUNT;\nCATALOG START WITH '{d}/cnx_1_' NOPROMPT;\nRUN {{\n  RESTORE DATABASE FROM TAG 'CNX1';\n  RECOVER DATABASE NOREDO;\n}}\nALTER DATABASE OPEN RESETLOGS;\nEXIT;\n"
    );
    let o = rman(&b, &restore);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(b.db_state_snapshot(&sid).unwrap(), before);

    b.knobs().fail_db_backup(None).unwrap();
    let o = rman(&b, &backup);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("RMAN-03009"));
    let o = rman(&b, "RUN { RESTORE DATABASE FROM TAG 'NOPE'; }");
    assert_eq!(o.status.code(), Some(1));
}

/// Runs a sequence of CLP calls in one shell (one CLP back-end), as DB2 users and the
/// runbook do.
fn db2_session(b: &Built, calls: &[&[&str]]) -> std::process::Output {
    let db2 = b.db_command();
    let mut script = String::new();
    for c in calls {
        script.push_str(&format!("{} {}\n", db2.display(), shell_words(c)));
    }
    std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .output()
        .unwrap()
}

fn shell_words(words: &[&str]) -> String {
    words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn db2_answers_the_preflight_probes_like_the_clp() {
    let b = built(Variant::V80Db2Ccm);
    // list db directory: every database, as the system directory shows them
    let o = run(&b.db_command(), &["list", "db", "directory"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains(" System Database Directory"), "{t}");
    for db in &b.expected.databases {
        assert!(
            t.contains(&format!(
                " Database alias                       = {}\n",
                db.name
            )),
            "{}: {t}",
            db.name
        );
    }
    assert!(t.contains(&format!(
        "Number of entries in the directory = {}",
        b.expected.databases.len()
    )));
    // get_dbsize_info needs a connection, like the real procedure
    let o = run(&b.db_command(), &["call", "get_dbsize_info(?,?,?,-1)"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("SQL1024N"), "{}", text(&o));
    let o = db2_session(
        &b,
        &[
            &["connect", "to", "PEOPLEDB"],
            &["call", "get_dbsize_info(?,?,?,-1)"],
            &["connect", "reset"],
        ],
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let value = t
        .lines()
        .skip_while(|l| !l.contains("Parameter Name  : DATABASESIZE"))
        .nth(1)
        .unwrap();
    let bytes: u64 = value.rsplit(": ").next().unwrap().trim().parse().unwrap();
    assert!(bytes > 100, "{t}");
    // an empty directory is a warning (exit 2)
    for db in &b.expected.databases {
        fs::remove_dir_all(b.db_state_dir(&db.name)).unwrap();
    }
    let o = run(&b.db_command(), &["list", "db", "directory"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("SQL1057W"));
}

#[test]
fn db2_backup_into_a_full_disk_says_so() {
    let b = built(Variant::V80Db2Ccm);
    let mnt = tempdir();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        mounted,
        "this test needs root to mount a tmpfs (run it through scripts/test)"
    );
    // fill it
    let _ = fs::write(mnt.path().join("fill"), vec![0u8; 64 * 1024]);
    let o = db2_backup(&b, "PEOPLEDB", mnt.path(), &["compress"]);
    let _ = std::process::Command::new("umount")
        .arg("-l")
        .arg(mnt.path())
        .status();
    assert_eq!(o.status.code(), Some(4), "{}", text(&o));
    assert!(
        text(&o).contains("SQL2419N  The target disk"),
        "{}",
        text(&o)
    );
}

#[test]
fn sqlcmd_datapump_and_rman_answer_the_preflight_probes() {
    let b = built(Variant::V80SqlServerLdap);
    let t = &b.expected.db_tools;
    let o = std::process::Command::new(b.db_command())
        .args(["-S", "sql.example.com,1433", "-U", t.username.as_deref().unwrap()])
        .args(["-h", "-1", "-W", "-s", "|", "-b", "-Q"])
        .arg("SET NOCOUNT ON; SELECT d.name, SUM(CAST(f.size AS bigint)) * 8192 FROM sys.databases AS d JOIN sys.master_files AS f ON f.database_id = d.database_id GROUP BY d.name")
        .env("SQLCMDPASSWORD", t.password().unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let rows: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(rows.len(), b.expected.databases.len(), "{rows:?}");
    for db in &b.expected.databases {
        let row = rows
            .iter()
            .find(|r| r.starts_with(&format!("{}|", db.name)))
            .unwrap();
        let bytes: u64 = row.split('|').nth(1).unwrap().parse().unwrap();
        assert_eq!(bytes % 8192, 0);
    }

    let b = built(Variant::V65Cr1Oracle);
    let t = &b.expected.db_tools;
    let schemas = b.expected.databases[0].schemas.join(",");
    let o = run(
        &b.db_command(),
        &[
            &format!(
                "{}/{}@LSCONN",
                t.username.as_deref().unwrap(),
                t.password().unwrap()
            ),
            &format!("schemas={schemas},NOSUCH"),
            "estimate_only=yes",
            "nologfile=yes",
        ],
    );
    let out = text(&o);
    assert_eq!(o.status.code(), Some(5), "{out}");
    assert!(
        out.contains("ORA-39165: Schema NOSUCH was not found."),
        "{out}"
    );
    assert!(
        out.contains("Total estimation using BLOCKS method: "),
        "{out}"
    );
    let o = rman(&b, "REPORT SCHEMA;\nEXIT;\n");
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("db_unique_name LSCONN"), "{out}");
    assert!(out.contains("List of Permanent Datafiles"), "{out}");
}
