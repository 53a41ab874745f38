//! A cheap call to the vendor tool before anything is stopped: it runs, it answers, it
//! knows every database of the plan, and (where the tool can say) how big they are.
//!
//! Each vendor asks the way its own tool is asked: DB2 `list db directory` and
//! `call get_dbsize_info(?,?,?,-1)` per database, SQL Server one `sys.master_files` query per
//! server, Oracle Data Pump an `estimate_only=yes` export of the schemas, RMAN `REPORT
//! SCHEMA`. Parsing the answers is done here, beside the tests of the real output formats.

use serde::Serialize;

/// One database (or Oracle schema) of the plan as the tool sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbedDatabase {
    /// The name in the plan.
    pub name: String,
    /// Whether the tool knows it.
    pub known: bool,
    /// Its size as the tool reports it, when it does.
    pub bytes: Option<u64>,
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The calls made, as shown (secrets masked).
    pub command: String,
    /// Every database of the plan, in plan order.
    pub databases: Vec<ProbedDatabase>,
    /// What the sizes are (`DB2 get_dbsize_info DATABASESIZE`), when the tool gave them.
    pub size_basis: Option<String>,
}

impl Probe {
    /// A probe that only showed the tool is there (nothing staged, no sizes).
    pub fn present(command: String, names: impl IntoIterator<Item = String>) -> Probe {
        Probe {
            command,
            databases: names
                .into_iter()
                .map(|name| ProbedDatabase {
                    name,
                    known: true,
                    bytes: None,
                })
                .collect(),
            size_basis: None,
        }
    }

    /// The databases of the plan the tool does not know.
    pub fn unknown(&self) -> Vec<&str> {
        self.databases
            .iter()
            .filter(|d| !d.known)
            .map(|d| d.name.as_str())
            .collect()
    }

    /// The total size of the known databases, when the tool gave every one.
    pub fn total_bytes(&self) -> Option<u64> {
        self.size_basis.as_ref()?;
        self.databases
            .iter()
            .filter(|d| d.known)
            .map(|d| d.bytes)
            .sum()
    }
}

/// The aliases and names of `db2 list db directory` (upper case).
pub(crate) fn parse_db2_directory(output: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in output.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key == "Database alias" || key == "Database name" {
            let v = value.trim().to_ascii_uppercase();
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// `DATABASESIZE` from `call get_dbsize_info(?,?,?,-1)`: the `Parameter Value` line after
/// `Parameter Name  : DATABASESIZE`.
pub(crate) fn parse_db2_dbsize(output: &str) -> Option<u64> {
    let mut lines = output.lines().map(str::trim);
    while let Some(l) = lines.next() {
        if l.strip_prefix("Parameter Name")
            .and_then(|r| r.trim_start().strip_prefix(':'))
            .is_some_and(|n| n.trim() == "DATABASESIZE")
        {
            let value = lines.next()?;
            let v = value
                .strip_prefix("Parameter Value")?
                .trim_start()
                .strip_prefix(':')?;
            return v.trim().parse().ok();
        }
    }
    None
}

/// `name|bytes` lines of the SQL Server size query (`-h -1 -W -s "|"`).
pub(crate) fn parse_sqlserver_sizes(output: &str) -> Vec<(String, u64)> {
    output
        .lines()
        .filter_map(|l| {
            let (name, bytes) = l.trim().split_once('|')?;
            Some((name.trim().to_ascii_uppercase(), bytes.trim().parse().ok()?))
        })
        .collect()
}

/// `Total estimation using BLOCKS method: 12.5 MB` of an `estimate_only` Data Pump export.
pub(crate) fn parse_datapump_estimate(output: &str) -> Option<u64> {
    let line = output
        .lines()
        .find(|l| l.contains("Total estimation using"))?;
    let value = line.rsplit_once(':')?.1.trim();
    let (number, unit) = value.split_once(char::is_whitespace)?;
    let n: f64 = number.trim().parse().ok()?;
    let scale = match unit.trim().to_ascii_uppercase().as_str() {
        "B" | "BYTES" => 1.0,
        "KB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "TB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * scale).round() as u64)
}

/// The schemas Data Pump says do not exist (`ORA-39165: Schema X was not found.`).
pub(crate) fn parse_datapump_missing_schemas(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| {
            let rest = l.trim().strip_prefix("ORA-39165: Schema ")?;
            let name = rest.split_whitespace().next()?;
            Some(name.trim_matches('"').to_ascii_uppercase())
        })
        .collect()
}

/// RMAN `REPORT SCHEMA`: the database's unique name and the sum of its permanent
/// datafiles' sizes (temporary files are not backed up).
pub(crate) fn parse_rman_report_schema(output: &str) -> (Option<String>, Option<u64>) {
    let name = output.lines().find_map(|l| {
        l.split_once("db_unique_name")
            .map(|(_, n)| n.trim().to_ascii_uppercase())
    });
    let mut total_mb: u64 = 0;
    let mut in_table = false;
    let mut seen = false;
    for l in output.lines() {
        let t = l.trim();
        if t.starts_with("File Size(MB)") {
            in_table = true;
            continue;
        }
        if in_table {
            if t.starts_with("----") {
                continue;
            }
            let mut cols = t.split_whitespace();
            match (
                cols.next().and_then(|f| f.parse::<u64>().ok()),
                cols.next().and_then(|s| s.parse::<u64>().ok()),
            ) {
                (Some(_), Some(mb)) => {
                    total_mb += mb;
                    seen = true;
                }
                // the permanent datafiles' table ended
                _ => break,
            }
        }
    }
    (name, seen.then_some(total_mb * 1024 * 1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db2_directory_and_size() {
        let dir = "\n System Database Directory\n\n Number of entries in the directory = 2\n\nDatabase 1 entry:\n\n Database alias                       = FILES\n Database name                        = FILES\n Local database directory             = /home/db2inst1\n Database release level               = 15.00\n Comment                              =\n Directory entry type                 = Indirect\n\nDatabase 2 entry:\n\n Database alias                       = peopledb\n Database name                        = PEOPLEDB\n";
        assert_eq!(parse_db2_directory(dir), ["FILES", "PEOPLEDB"]);
        assert!(
            parse_db2_directory("SQL1057W  The system database directory is empty.").is_empty()
        );
        let size = "\n  Value of output parameters\n  --------------------------\n  Parameter Name  : SNAPSHOTTIMESTAMP\n  Parameter Value : 2024-03-01-12.00.00.000000\n\n  Parameter Name  : DATABASESIZE\n  Parameter Value : 104857600\n\n  Parameter Name  : DATABASECAPACITY\n  Parameter Value : 987654321\n\n  Return Status = 0\n";
        assert_eq!(parse_db2_dbsize(size), Some(104_857_600));
        assert_eq!(
            parse_db2_dbsize("SQL1024N  A database connection does not exist."),
            None
        );
    }

    #[test]
    fn sqlserver_sizes() {
        assert_eq!(
            parse_sqlserver_sizes("FILES|8388608\nhomepage|16777216\n\n"),
            [
                ("FILES".to_string(), 8_388_608),
                ("HOMEPAGE".to_string(), 16_777_216)
            ]
        );
        assert!(parse_sqlserver_sizes("Msg 208, Level 16").is_empty());
    }

    #[test]
    fn datapump_estimate_and_missing_schemas() {
        let out = "Estimate in progress using BLOCKS method...\n.  estimated \"OAUSER\".\"T\"  64 KB\nTotal estimation using BLOCKS method: 1.5 MB\nORA-39165: Schema NOSUCH was not found.\n";
        assert_eq!(parse_datapump_estimate(out), Some(1_572_864));
        assert_eq!(parse_datapump_missing_schemas(out), ["NOSUCH"]);
        assert_eq!(parse_datapump_estimate("Job completed"), None);
    }

    #[test]
    fn rman_report_schema() {
        let out = "Report of database schema for database with db_unique_name LSCONN\n\nList of Permanent Datafiles\n===========================\nFile Size(MB) Tablespace           RB segs Datafile Name\n---- -------- -------------------- ------- ------------------------\n1    910      SYSTEM               YES     /u01/oradata/LSCONN/system01.dbf\n4    5        USERS                NO      /u01/oradata/LSCONN/users01.dbf\n\nList of Temporary Files\n=======================\nFile Size(MB) Tablespace           Maxsize(MB) Tempfile Name\n---- -------- -------------------- ----------- --------------------\n1    32       TEMP                 32767       /u01/oradata/LSCONN/temp01.dbf\n";
        let (name, bytes) = parse_rman_report_schema(out);
        assert_eq!(name.as_deref(), Some("LSCONN"));
        // the permanent datafiles only: 910 + 5 MB
        assert_eq!(bytes, Some(915 * 1024 * 1024));
    }

    #[test]
    fn totals_need_every_known_size() {
        let mut p = Probe::present("db2".into(), ["A".to_string(), "B".to_string()]);
        assert_eq!(p.total_bytes(), None);
        p.size_basis = Some("x".into());
        p.databases[0].bytes = Some(5);
        assert_eq!(p.total_bytes(), None);
        p.databases[1].bytes = Some(7);
        assert_eq!(p.total_bytes(), Some(12));
        p.databases[1].known = false;
        assert_eq!(p.unknown(), ["B"]);
        assert_eq!(p.total_bytes(), Some(5));
    }
}
