//! Picking the vendor's error messages out of a tool's output, for error reports.

/// The lines of `output` that carry a vendor warning or error id (informational `…I`
/// messages are left out): DB2 `SQL2062N`/`DB21034E`, Oracle
/// `ORA-01017`/`RMAN-03002`/`UDI-…`, SQL Server `Msg 3201, Level 16` (with the line after
/// it, which holds the text). Empty when there are none.
pub fn vendor_messages(output: &str) -> Vec<String> {
    let lines: Vec<&str> = output.lines().map(str::trim).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.starts_with("Msg ") && l.contains("Level") {
            let text = lines.get(i + 1).copied().unwrap_or_default();
            out.push(format!("{l}: {text}"));
            i += 2;
            continue;
        }
        if has_message_id(l) {
            out.push(l.to_owned());
        }
        i += 1;
    }
    out
}

fn has_message_id(line: &str) -> bool {
    let b = line.as_bytes();
    // DB2: SQLnnnn[n]X / DB2nnnnnX at the start of the line.
    for prefix in ["SQL", "DB2"] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if (4..=5).contains(&digits)
                && matches!(rest.as_bytes().get(digits), Some(b'N' | b'W' | b'C' | b'E'))
            {
                return true;
            }
        }
    }
    // Oracle: ORA-nnnnn, RMAN-nnnnn, UDI-nnnnn, UDE-nnnnn anywhere.
    for prefix in ["ORA-", "RMAN-", "UDI-", "UDE-"] {
        let mut start = 0;
        while let Some(pos) = line[start..].find(prefix) {
            let at = start + pos + prefix.len();
            if b.len() >= at + 5 && b[at..at + 5].iter().all(u8::is_ascii_digit) {
                return true;
            }
            start = at;
        }
    }
    line.starts_with("Sqlcmd: Error:")
}

/// Vendor messages whose cause every database of the backup shares: the target is full,
/// missing or read-only, the tool cannot log in or reach its server. After one of them
/// trying the other databases only repeats it (and keeps the outage going).
const COMMON_CAUSES: &[(&str, &str)] = &[
    ("SQL2419N", "the target disk is full"),
    (
        "SQL2036N",
        "the backup directory is missing, read-only or not writable",
    ),
    ("SQL1032N", "the DB2 instance is not started"),
    ("SQL30081N", "the database server cannot be reached"),
    ("SQL1224N", "the database manager cannot accept requests"),
    ("not enough space on the disk", "the target disk is full"),
    (
        "Operating system error 5(",
        "the backup directory is not writable",
    ),
    (
        "Operating system error 3(",
        "the backup directory does not exist",
    ),
    ("Login failed", "the database login is refused"),
    ("ORA-19504", "the backup piece cannot be created"),
    ("ORA-27040", "the backup piece cannot be created"),
    ("ORA-39087", "the Data Pump directory is invalid"),
    ("ORA-01017", "the database login is refused"),
    ("ORA-12541", "the database listener cannot be reached"),
    ("ORA-12514", "the database service cannot be reached"),
    ("No space left on device", "the target disk is full"),
    (
        "Read-only file system",
        "the target is on a read-only file system",
    ),
];

/// The cause a failure shares with every other database's backup, when it is one.
pub(crate) fn common_cause(message: &str) -> Option<&'static str> {
    COMMON_CAUSES
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map(|(_, cause)| *cause)
}

/// The vendor messages of `output` joined for an error, or its last lines when it has none.
pub(crate) fn error_text(output: &crate::process::Output) -> String {
    let msgs = vendor_messages(&output.combined());
    if msgs.is_empty() {
        output.tail(5)
    } else {
        msgs.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_common_to_every_database() {
        assert_eq!(
            common_cause("SQL2419N  The target disk \"/stage\" has become full."),
            Some("the target disk is full")
        );
        assert!(common_cause("Msg 3202, Level 16: Write on \"x\" failed: 112(There is not enough space on the disk.)").is_some());
        // one database's own trouble is not common
        assert_eq!(common_cause("SQL1035N  The database is in use."), None);
        assert_eq!(
            common_cause("SQL2062N  An error occurred while accessing media"),
            None
        );
    }

    #[test]
    fn picks_vendor_messages() {
        let db2 =
            "\nSQL2062N  An error occurred while accessing media \"/x\".  Reason code: \"28\".\n";
        assert_eq!(
            vendor_messages(db2),
            ["SQL2062N  An error occurred while accessing media \"/x\".  Reason code: \"28\"."]
        );
        let mssql = "Msg 3201, Level 16, State 1, Server db, Line 1\nCannot open backup device 'x'.\nMsg 3013, Level 16, State 1, Server db, Line 1\nBACKUP DATABASE is terminating abnormally.\n";
        assert_eq!(vendor_messages(mssql).len(), 2);
        assert!(vendor_messages(mssql)[0].ends_with("Cannot open backup device 'x'."));
        let ora = "UDI-01017: operation generated ORACLE error 1017\nORA-01017: invalid username/password; logon denied\nConnected";
        assert_eq!(vendor_messages(ora).len(), 2);
        // Informational messages are not errors.
        assert!(vendor_messages("DB20000I  The QUIESCE DATABASE command completed.").is_empty());
        assert_eq!(
            vendor_messages("DB21034E  The command was processed").len(),
            1
        );
        assert!(vendor_messages("Backup successful. SQLite 1234").is_empty());
    }
}
