//! Runnable stand-ins for the vendor database tools (`db2`, `db2ckbkp`, `sqlcmd`,
//! `expdp`/`impdp`) and the database "state" they back up and restore.
//!
//! A database's state is a directory of files under `/var/lib/sample-db/<vendor>/<NAME>/`
//! (Oracle: `/var/lib/sample-db/oracle/<SID>/<SCHEMA>/`); `runtime/` inside it holds
//! volatile flags and is never part of an image. Images are deterministic tar streams
//! (gzip'ed when compressed) of the state plus a `BACKUP.INFO` member.

use crate::expected::{DatabaseTruth, DbVendor};
use crate::rng::Rng;
use crate::standin_was::{sh_quote, LOG_DIR, STATE_DIR};
use crate::topology::Spec;
use crate::tree::Tree;
use crate::{SampleError, Scale};

/// Product path under which database state lives.
pub const DB_STATE_DIR: &str = "/var/lib/sample-db";

/// Product path of one database's state directory (`name` is the DB2/SQL Server database
/// or the Oracle SID).
pub fn db_state_product_path(vendor: DbVendor, name: &str) -> String {
    format!("{DB_STATE_DIR}/{}/{name}", vendor.as_str())
}

/// Where each owner of a database keeps its state: `(owner, directory)` — one per Oracle
/// schema (`<dir>/<SCHEMA>`), else the database's own directory with an empty owner.
pub(crate) fn owner_dirs(db: &DatabaseTruth) -> Vec<(String, String)> {
    let dir = db_state_product_path(db.vendor, &db.name);
    if db.schemas.is_empty() {
        return vec![(String::new(), dir)];
    }
    db.schemas
        .iter()
        .map(|owner| (owner.clone(), format!("{dir}/{owner}")))
        .collect()
}

/// Creates the initial state of every database.
pub(crate) fn write_db_state(tree: &Tree, spec: &Spec, scale: &Scale) -> Result<(), SampleError> {
    let e = &spec.expected;
    for db in &e.databases {
        let dir = db_state_product_path(db.vendor, &db.name);
        tree.mkdir_mode(&dir, 0o700)?;
        tree.write(&format!("{dir}/db.cfg"), db_cfg(spec, &db.name))?;
        tree.mkdir(&format!("{dir}/runtime"))?;
        for (owner, base) in owner_dirs(db) {
            // The schema level an update would raise (inside the schema for Oracle, where an
            // import restores schemas, not the database).
            tree.write(
                &format!("{base}/schema_version"),
                format!("{}\n", e.connections.offering_version),
            )?;
            let mut rng = Rng::derive(spec.seed, &format!("db-{}-{owner}", db.name));
            for t in 0..scale.db_tables {
                let table = format!(
                    "{}_{}",
                    if owner.is_empty() { &db.name } else { &owner },
                    ["DATA", "META", "LINKS", "AUDIT"][t % 4]
                );
                let mut rows = String::new();
                let mut n = 0;
                while rows.len() < scale.db_table_bytes {
                    n += 1;
                    rows.push_str(&format!(
                        "{n}|{}|{}\n",
                        rng.hex(12),
                        String::from_utf8_lossy(&rng.text(40)).replace('\n', " ")
                    ));
                }
                tree.write(&format!("{base}/tables/{table}.dat"), rows)?;
            }
        }
        if let Some((dirname, path)) = &e.db_tools.oracle_directory {
            tree.write(
                &format!("{dir}/runtime/directories"),
                format!("{dirname}={path}\n"),
            )?;
            tree.mkdir(path)?;
        }
    }
    Ok(())
}

fn db_cfg(spec: &Spec, name: &str) -> String {
    match spec.expected.db_tools.vendor {
        DbVendor::Db2 => format!(
            "Database configuration release level = 0x1500\nDatabase name = {name}\nCode set = UTF-8\nTerritory = US\nLOGARCHMETH1 = LOGRETAIN\nTRACKMOD = YES\n"
        ),
        DbVendor::Sqlserver => format!("name = {name}\ncompatibility_level = 150\nrecovery_model = FULL\ncollation = SQL_Latin1_General_CP1_CI_AS\n"),
        DbVendor::Oracle => format!("db_name = {name}\ncompatible = 19.0.0\nlog_mode = ARCHIVELOG\n"),
    }
}

fn header(sysroot: &str) -> String {
    format!(
        "#!/bin/bash\nSYSROOT={}\nSTATE=\"$SYSROOT{STATE_DIR}\"\nKNOBS=\"$STATE/knobs\"\nDB_LOG=\"$SYSROOT{LOG_DIR}/db.log\"\nDBROOT=\"$SYSROOT{DB_STATE_DIR}\"\n",
        sh_quote(sysroot)
    )
}

/// Writes the vendor tool stand-ins of the sample's vendor.
pub(crate) fn write_db_standins(
    tree: &Tree,
    spec: &Spec,
    sysroot: &str,
) -> Result<(), SampleError> {
    let t = &spec.expected.db_tools;
    let head = header(sysroot);
    tree.script(&format!("{STATE_DIR}/lib/dbcommon.sh"), DB_COMMON)?;
    match t.vendor {
        DbVendor::Db2 => {
            let instance = t.instance.clone().unwrap_or_else(|| "db2inst1".into());
            tree.script(
                &t.command,
                &format!(
                    "{head}INSTANCE_DEFAULT={}\n. \"$STATE/lib/dbcommon.sh\"\n{DB2_BODY}",
                    sh_quote(&instance)
                ),
            )?;
            if let Some(v) = &t.verify_command {
                tree.script(
                    v,
                    &format!("{head}. \"$STATE/lib/dbcommon.sh\"\n{DB2CKBKP_BODY}"),
                )?;
            }
            let bin = t
                .command
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
            let home = format!("/home/{instance}/sqllib");
            tree.symlink(&bin, &format!("{home}/bin"))?;
            tree.write(
                &format!("{home}/db2profile"),
                format!("# DB2 instance profile (cnxbackup sample)\nDB2INSTANCE={instance}\nexport DB2INSTANCE\nINSTHOME=/home/{instance}\nPATH=\"$PATH:{bin}\"\nexport PATH\n"),
            )?;
        }
        DbVendor::Sqlserver => {
            let pw = t.password().unwrap_or_default();
            tree.script(
                &t.command,
                &format!(
                    "{head}SA_USER={}\nSA_PASSWORD={}\n. \"$STATE/lib/dbcommon.sh\"\n{SQLCMD_BODY}",
                    sh_quote(t.username.as_deref().unwrap_or("sa")),
                    sh_quote(pw)
                ),
            )?;
        }
        DbVendor::Oracle => {
            let pw = t.password().unwrap_or_default();
            let sid = t.instance.clone().unwrap_or_else(|| "LSCONN".into());
            let common = format!(
                "{head}ORA_USER={}\nORA_PASSWORD={}\nORA_SID={}\n. \"$STATE/lib/dbcommon.sh\"\n",
                sh_quote(t.username.as_deref().unwrap_or("system")),
                sh_quote(pw),
                sh_quote(&sid)
            );
            tree.script(&t.command, &format!("{common}MODE=export\n{DATAPUMP_BODY}"))?;
            if let Some(r) = &t.restore_command {
                tree.script(r, &format!("{common}MODE=import\n{DATAPUMP_BODY}"))?;
            }
            if let Some(r) = &t.rman_command {
                tree.script(r, &format!("{common}{RMAN_BODY}"))?;
            }
        }
    }
    Ok(())
}

const DB_COMMON: &str = include_str!("scripts/dbcommon.sh");

const DB2_BODY: &str = include_str!("scripts/db2.sh");

const DB2CKBKP_BODY: &str = include_str!("scripts/db2ckbkp.sh");

const SQLCMD_BODY: &str = include_str!("scripts/sqlcmd.sh");

const DATAPUMP_BODY: &str = include_str!("scripts/datapump.sh");

const RMAN_BODY: &str = include_str!("scripts/rman.sh");
