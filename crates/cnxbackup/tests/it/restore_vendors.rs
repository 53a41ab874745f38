//! End to end, per database vendor: back up a sample deployment with its vendor's tool
//! through the real binary (configured with the `[database]` keys an administrator would
//! write: logins from password files, the Data Pump DIRECTORY, online DB2), simulate a failed
//! CR update, make the vendor restore fail once (exit 1 naming the database, no file touched),
//! then restore: the stand-in must have received the documented restore command for the
//! image the backup recorded (its vendor timestamp / file / tag), and the database state and
//! the files must be back. Oracle with RMAN and with Data Pump, SQL Server, online DB2.
#![allow(clippy::unwrap_used)]

use crate::backup_common;
use crate::restore_common;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use backup_common::{Harness, Run};
use restore_common::{cnx, diff, listing};
use runbook::databases::ImageRecord;
use sample::{DbEvent, Variant};

/// Paths that are not the deployment's (see restore_procedure.rs), and the Oracle Data Pump
/// DIRECTORY (the database server's working directory, where the jobs' files come and go).
fn volatile(rel: &str) -> bool {
    rel.starts_with("/home/oracle/oracle/admin/") || restore_common::volatile(rel)
}

/// Writes the configuration the restore_common runner uses: the harness's repository,
/// WebSphere user and staging directory, and `database` (the `[database]` keys).
fn configure(h: &Harness, database: &str) {
    let e = &h.sample.expected;
    let text = format!(
        "[repository]\nurl = {:?}\n\n[websphere]\nusername = {:?}\nstop_timeout_secs = 20\n\n\
         [database]\nstaging_dir = {:?}\n{database}",
        h.repo_dir.display().to_string(),
        e.was.admin.username,
        h.staging.display().to_string()
    );
    std::fs::write(h.dir.path().join("cnxbackup.toml"), text).unwrap();
}

/// A password file (mode 0600) holding the sample's database password.
fn password_file(h: &Harness) -> PathBuf {
    let path = h.dir.path().join("db.password");
    std::fs::write(
        &path,
        format!("{}\n", h.sample.expected.db_tools.password().unwrap()),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// What the backup recorded of one database.
struct Backed {
    name: String,
    image: ImageRecord,
    state: std::collections::BTreeMap<String, Vec<u8>>,
}

/// What a vendor test checks after the successful restore: the stand-in's log, and the
/// restore report's entry for that database.
type Check<'a> = dyn Fn(&Backed, &[DbEvent], &serde_json::Value) + 'a;

/// Backup → failed update → failing vendor restore → restore; `check` per database.
/// Returns every run's output so the caller can look for leaked secrets.
fn round_trip(h: &Harness, expect_vendor: &str, check: &Check<'_>) -> Vec<Run> {
    let mut runs = Vec::new();
    let backup = cnx(h, &["backup", "--in-place-migration", "--json"]);
    assert_eq!(backup.code, 0, "{}\n{}", backup.stdout, backup.stderr);
    runs.push(backup);
    let root = h.sample.sysroot.clone();
    let before = listing(&root, &volatile);
    let manifest = h.snapshot("latest").manifest();
    let backed: Vec<Backed> = manifest
        .databases
        .iter()
        .map(|d| {
            let image = d.image.clone().unwrap_or_else(|| panic!("{d:?}"));
            assert_eq!(image.vendor.to_string(), expect_vendor);
            assert!(!image.streamed, "{} was streamed", d.database);
            Backed {
                name: d.database.clone(),
                state: h.sample.db_state_snapshot(&d.database).unwrap(),
                image,
            }
        })
        .collect();
    assert!(!backed.is_empty());

    let update = sample::simulate_failed_update(&h.sample).unwrap();
    assert!(!update.databases_touched.is_empty());
    for b in &backed {
        assert_ne!(
            h.sample.db_state_snapshot(&b.name).unwrap(),
            b.state,
            "the update did not touch {}",
            b.name
        );
    }
    let broken = listing(&root, &volatile);

    // A dry run lists every database's restore commands for the recorded image, runs none.
    let dry = cnx(h, &["restore", "latest", "--dry-run", "--json"]);
    assert_eq!(dry.code, 0, "{}\n{}", dry.stdout, dry.stderr);
    let plan: serde_json::Value = serde_json::from_str(&dry.stdout).unwrap();
    for b in &backed {
        let entry = database_entry(&plan, &b.name);
        assert_eq!(entry["status"], "would_restore", "{entry:#}");
        assert_eq!(
            entry["vendor_timestamp"].as_str(),
            b.image.vendor_timestamp.as_deref()
        );
        assert!(!commands(entry).is_empty(), "{entry:#}");
    }
    assert!(h
        .sample
        .db_log()
        .unwrap()
        .iter()
        .all(|e| !e.action.starts_with("restore") && e.action != "import"));
    runs.push(dry);

    // The vendor restore of the first database fails: exit 1, the message names the
    // database, no file is touched (databases go first and stop the restore).
    let first = &backed[0].name;
    h.sample.knobs().fail_db_restore(Some(first)).unwrap();
    let failed = cnx(h, &["restore", "latest"]);
    assert_eq!(failed.code, 1, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed.stderr.contains(&format!("database {first}")),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("restore FAILED"),
        "{}",
        failed.stderr
    );
    let d = diff(&broken, &listing(&root, &volatile));
    assert!(d.is_empty(), "files changed by a failed restore: {d:?}");
    runs.push(failed);
    h.sample.knobs().clear().unwrap();

    // The real restore.
    let rest = cnx(h, &["restore", "latest", "--json"]);
    assert_eq!(rest.code, 0, "{}\n{}", rest.stdout, rest.stderr);
    let report: serde_json::Value = serde_json::from_str(&rest.stdout).unwrap();
    assert_eq!(report["version_confirmed"], true, "{report:#}");
    let log = h.sample.db_log().unwrap();
    for b in &backed {
        let entry = database_entry(&report, &b.name);
        assert_eq!(entry["status"], "restored", "{entry:#}");
        assert_eq!(
            entry["vendor_timestamp"].as_str(),
            b.image.vendor_timestamp.as_deref()
        );
        check(b, &log, entry);
        assert_eq!(
            h.sample.db_state_snapshot(&b.name).unwrap(),
            b.state,
            "{}: database state after the restore",
            b.name
        );
    }
    let d = diff(&before, &listing(&root, &volatile));
    assert!(d.is_empty(), "the tree differs after the restore: {d:?}");
    runs.push(rest);
    runs
}

/// The entry of `database` in a restore report's `databases`.
fn database_entry<'a>(report: &'a serde_json::Value, database: &str) -> &'a serde_json::Value {
    report["databases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["database"] == database)
        .unwrap_or_else(|| panic!("{database} not in {report:#}"))
}

fn commands(entry: &serde_json::Value) -> Vec<String> {
    entry["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn assert_no_secret(runs: &[Run], secret: &str) {
    for r in runs {
        assert!(
            !r.stdout.contains(secret) && !r.stderr.contains(secret),
            "the database password leaked:\n{}\n{}",
            r.stdout,
            r.stderr
        );
    }
}

#[test]
fn oracle_rman_restores_the_backup_sets_by_tag() {
    let h = Harness::new(Variant::V65Cr1Oracle);
    let rman = h.sample.expected.db_tools.rman_command.clone().unwrap();
    configure(&h, &format!("vendor = \"oracle\"\ncommand = {rman:?}\n"));
    round_trip(&h, "oracle", &|b, log, entry| {
        let ts = b.image.vendor_timestamp.as_deref().unwrap();
        let tag = format!("CNX{ts}");
        assert_eq!(
            b.image.details.get("method").map(String::as_str),
            Some("rman")
        );
        assert!(b
            .image
            .files
            .iter()
            .all(|f| f.name.starts_with(&format!("cnx_{ts}_"))));
        // RMAN read the backup piece of this backup's tag
        assert!(
            log.iter().any(|e| e.tool == "rman"
                && e.action == "restore"
                && e.database == b.name
                && e.details.get(1) == Some(&tag)
                && e.details
                    .first()
                    .is_some_and(|p| p.contains(&format!("cnx_{ts}_db_")))),
            "no RMAN restore of tag {tag} in {log:?}"
        );
        let script = commands(entry).join("\n");
        for line in [
            "SHUTDOWN IMMEDIATE;".to_string(),
            "STARTUP MOUNT;".to_string(),
            "CATALOG START WITH '".to_string(),
            format!("cnx_{ts}_' NOPROMPT;"),
            format!("RESTORE DATABASE FROM TAG '{tag}';"),
            "RECOVER DATABASE NOREDO;".to_string(),
            "ALTER DATABASE OPEN RESETLOGS;".to_string(),
        ] {
            assert!(script.contains(&line), "{line} not in {script}");
        }
        assert!(script.contains("rman target /"), "{script}");
    });
}

#[test]
fn oracle_data_pump_imports_the_dump_with_a_login_from_a_password_file() {
    let h = Harness::new(Variant::V65Cr1Oracle);
    let t = h.sample.expected.db_tools.clone();
    let (directory, dpath) = t.oracle_directory.clone().unwrap();
    let pw = password_file(&h);
    configure(
        &h,
        &format!(
            "vendor = \"oracle\"\ncommand = {:?}\nusername = {:?}\npassword_file = {:?}\n\
             oracle_directory = {directory:?}\noracle_directory_path = {:?}\n",
            t.command,
            t.username.clone().unwrap(),
            pw.display().to_string(),
            h.sample.real_path(&dpath).display().to_string()
        ),
    );
    let runs = round_trip(&h, "oracle", &|b, log, entry| {
        let ts = b.image.vendor_timestamp.as_deref().unwrap();
        let dumpfile = format!("cnx_{}_{ts}_%U.dmp", b.name);
        assert_eq!(b.image.details.get("dumpfile"), Some(&dumpfile));
        let schemas = b.image.details.get("schemas").unwrap();
        assert!(schemas.contains("PROFUSER"), "{schemas}");
        // impdp read this backup's dump file and imported every schema without errors
        assert!(
            log.iter().any(|e| e.tool == "impdp"
                && e.action == "import"
                && e.database == b.name
                && e.details.first() == Some(&format!("cnx_{}_{ts}_01.dmp", b.name))
                && e.details.get(1) == Some(schemas)
                && e.details.get(2).map(String::as_str) == Some("errors=0")),
            "no import of {dumpfile} in {log:?}"
        );
        let shown = commands(entry).join("\n");
        for part in [
            "/impdp ".to_string(),
            "parfile=".to_string(),
            format!("schemas={schemas}"),
            format!("directory={directory}"),
            format!("dumpfile={dumpfile}"),
            "table_exists_action=replace".to_string(),
        ] {
            assert!(shown.contains(&part), "{part} not in {shown}");
        }
        assert!(!shown.contains("userid"), "{shown}");
        // the dump files placed into the DIRECTORY for the job are gone again
        let dir = h.sample.real_path(&dpath);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".dmp") || n.ends_with("_imp.log"))
            .collect();
        assert!(left.is_empty(), "{left:?} left in {}", dir.display());
    });
    assert_no_secret(&runs, t.password().unwrap());
    // a wrong password is the vendor's login error, exit 1, naming the database
    std::fs::write(&pw, "not-the-password\n").unwrap();
    let r = cnx(&h, &["restore", "latest", "--only", "databases"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("ORA-01017"), "{}", r.stderr);
    assert!(r.stderr.contains("LSCONN"), "{}", r.stderr);
    assert!(!r.stderr.contains("not-the-password"), "{}", r.stderr);
}

#[test]
fn sqlserver_restores_the_bak_file_with_the_login_in_the_environment() {
    let h = Harness::new(Variant::V80SqlServerLdap);
    let t = h.sample.expected.db_tools.clone();
    let pw = password_file(&h);
    configure(
        &h,
        &format!(
            "vendor = \"sqlserver\"\ncommand = {:?}\nusername = {:?}\npassword_file = {:?}\n",
            t.command,
            t.username.clone().unwrap(),
            pw.display().to_string()
        ),
    );
    let runs = round_trip(&h, "sqlserver", &|b, log, entry| {
        let ts = b.image.vendor_timestamp.as_deref().unwrap();
        let bak = format!("{}_{ts}.bak", b.name);
        assert_eq!(b.image.files.len(), 1);
        assert_eq!(b.image.files[0].name, bak);
        assert!(
            log.iter().any(|e| e.tool == "sqlcmd"
                && e.action == "restore"
                && e.database == b.name
                && e.details
                    .first()
                    .is_some_and(|f| f.ends_with(&format!("/{bak}")))),
            "no restore of {bak} in {log:?}"
        );
        let shown = commands(entry);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].contains(&format!(
                "ALTER DATABASE [{}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE",
                b.name
            )),
            "{shown:?}"
        );
        assert!(
            shown[1].contains(&format!("RESTORE DATABASE [{}] FROM DISK=N'", b.name))
                && shown[1].contains(&format!("/{bak}'"))
                && shown[1].ends_with(" WITH REPLACE, RECOVERY'"),
            "{shown:?}"
        );
        for c in &shown {
            assert!(c.contains(" -U sa ") && !c.contains(" -P "), "{c}");
        }
    });
    // with the most verbose logging too, the password shows nowhere
    let verbose = cnx(&h, &["-vvv", "restore", "latest", "--only", "databases"]);
    assert_eq!(verbose.code, 0, "{}\n{}", verbose.stdout, verbose.stderr);
    assert!(verbose.stderr.contains("sqlcmd"), "{}", verbose.stderr);
    assert_no_secret(&runs, t.password().unwrap());
    assert_no_secret(&[verbose], t.password().unwrap());
    // the login without its password file: exit 2 naming the file, nothing runs
    std::fs::remove_file(&pw).unwrap();
    let r = cnx(&h, &["restore", "latest", "--only", "databases"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("database password file"), "{}", r.stderr);
    assert!(r.stderr.contains(&pw.display().to_string()), "{}", r.stderr);
}

#[test]
fn online_db2_restores_then_rolls_forward_to_the_end_of_the_backup() {
    let h = Harness::new(Variant::V60Cr6Ccm);
    let t = h.sample.expected.db_tools.clone();
    configure(
        &h,
        &format!(
            "vendor = \"db2\"\ncommand = {:?}\nverify_command = {:?}\nmode = \"online\"\n",
            t.command,
            t.verify_command.clone().unwrap()
        ),
    );
    round_trip(&h, "db2", &|b, log, entry| {
        let ts = b.image.vendor_timestamp.as_deref().unwrap();
        assert_eq!(b.image.mode, runbook::databases::Mode::Online);
        assert!(
            b.image.command.contains(" online to "),
            "{}",
            b.image.command
        );
        assert!(
            b.image.command.ends_with("compress include logs"),
            "{}",
            b.image.command
        );
        assert!(
            b.image
                .verification
                .as_deref()
                .is_some_and(|v| v.contains("Image Verification Complete - successful")),
            "{:?}",
            b.image.verification
        );
        // the stand-in restored the online image taken at TS, then rolled it forward
        let restored = log.iter().position(|e| {
            e.tool == "db2"
                && e.action == "restore"
                && e.database == b.name
                && e.details.first().map(String::as_str) == Some(ts)
                && e.details.get(2).map(String::as_str) == Some("online")
        });
        // ... to the end of the backup (not through the failed update's logs), reading the
        // logs the restore extracted from the image (so no log archive is needed)
        let rolled = log.iter().rposition(|e| {
            e.tool == "db2"
                && e.action == "rollforward"
                && e.database == b.name
                && e.details.first().map(String::as_str) == Some("end of backup")
                && e.details.get(1).is_some_and(|d| d.ends_with("/logs"))
        });
        assert!(
            matches!((restored, rolled), (Some(r), Some(f)) if r < f),
            "{}: restore taken at {ts} then rollforward expected in {log:?}",
            b.name
        );
        assert!(
            !h.sample
                .db_state_dir(&b.name)
                .join("runtime/rollforward-pending")
                .exists(),
            "{} left in roll-forward pending",
            b.name
        );
        let shown = commands(entry);
        assert_eq!(shown.len(), 2, "{shown:?}");
        assert!(
            shown[0].contains(&format!("restore database {} from ", b.name))
                && shown[0].contains(&format!(" taken at {ts} logtarget "))
                && shown[0].ends_with("/logs replace existing without prompting"),
            "{shown:?}"
        );
        assert!(!shown[0].contains("without rolling forward"), "{shown:?}");
        assert!(
            shown[1].contains(&format!(
                "rollforward database {} to end of backup and stop overflow log path ",
                b.name
            )) && shown[1].ends_with("/logs)'"),
            "{shown:?}"
        );
    });
}
