//! Reading the WebSphere control scripts' output: the `ADMU` messages that say what
//! happened, and the security messages that mean the credentials were wrong.

use serde::Serialize;

/// What a control script's output says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The user name or password was refused (`ADMN0022E`, `ADMU4113E`, a login failure).
    WrongCredentials,
    /// Another stop or start of this server is running ("already in progress"): retry.
    InProgress,
    /// `ADMU4000I`: stop completed.
    StopCompleted,
    /// `ADMU0509I`/`ADMU0512I`: the server cannot be reached and appears to be stopped.
    NotReachable,
    /// `ADMU3000I`: open for e-business.
    Started,
    /// `ADMU3027E`: an instance may already be running.
    AlreadyRunning,
    /// `ADMU3060E`: timed out waiting for the server to stop.
    StopTimedOut,
    /// None of the above.
    Unknown,
}

/// Messages that mean the administrator's credentials were refused. Checked before anything
/// else: a denied stop must not be retried (it would only lock the account).
const CREDENTIAL_MARKERS: &[&str] = &[
    "ADMN0022E",
    "ADMU4113E",
    "WSLoginFailedException",
    "LoginException",
    "SECJ0118E",
    "SECJ0369E",
    "WASX7246E",
    "authentication failed",
    "authentication failure",
    "invalid credentials",
    "wrong credentials",
];

/// Classifies a control script's combined output.
pub fn classify(output: &str) -> Verdict {
    let lower = output.to_ascii_lowercase();
    if CREDENTIAL_MARKERS
        .iter()
        .any(|m| lower.contains(&m.to_ascii_lowercase()))
    {
        return Verdict::WrongCredentials;
    }
    if lower.contains("already in progress") {
        return Verdict::InProgress;
    }
    let codes = admu_codes(output);
    let has = |c: &str| codes.iter().any(|x| x == c);
    if has("ADMU4000I") {
        Verdict::StopCompleted
    } else if has("ADMU3000I") {
        Verdict::Started
    } else if has("ADMU3027E") {
        Verdict::AlreadyRunning
    } else if has("ADMU0509I") || has("ADMU0512I") {
        Verdict::NotReachable
    } else if has("ADMU3060E") {
        Verdict::StopTimedOut
    } else {
        Verdict::Unknown
    }
}

/// Every distinct `ADMUnnnnX`/`ADMNnnnnX` message id in `output`, in order of appearance.
pub fn admu_codes(output: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = output.as_bytes();
    let mut i = 0;
    while i + 9 <= bytes.len() {
        let w = &bytes[i..i + 9];
        let prefix_ok = w.starts_with(b"ADMU") || w.starts_with(b"ADMN");
        let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        if prefix_ok
            && boundary
            && w[4..8].iter().all(u8::is_ascii_digit)
            && matches!(w[8], b'I' | b'W' | b'E')
        {
            let code = String::from_utf8_lossy(w).into_owned();
            if !out.contains(&code) {
                out.push(code);
            }
            i += 9;
        } else {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_completed() {
        let out = "ADMU0116I: Tool information is being logged\nADMU3201I: Server stop request issued.\nADMU4000I: Server server1 stop completed.\n";
        assert_eq!(classify(out), Verdict::StopCompleted);
        assert_eq!(admu_codes(out), ["ADMU0116I", "ADMU3201I", "ADMU4000I"]);
    }

    #[test]
    fn not_reachable_counts_as_its_own_verdict() {
        let out = "ADMU0509I: The Application Server \"server1\" cannot be reached. It appears to be stopped.";
        assert_eq!(classify(out), Verdict::NotReachable);
    }

    #[test]
    fn denied_is_wrong_credentials_even_with_other_codes() {
        let out = "ADMU0111E: Program exiting with error: javax.management.JMRuntimeException:\n ADMN0022E: Access is denied for the stop operation on Server MBean\nADMU4113E: Verify that username and password information is correct.";
        assert_eq!(classify(out), Verdict::WrongCredentials);
        let login = "Caused by: javax.security.auth.login.LoginException: Authentication failed for user wasadmin";
        assert_eq!(classify(login), Verdict::WrongCredentials);
    }

    #[test]
    fn in_progress_timeout_start() {
        assert_eq!(
            classify("ADMU0111E: ... stop of server1 is already in progress"),
            Verdict::InProgress
        );
        assert_eq!(
            classify("ADMU3060E: Timed out waiting for server shutdown."),
            Verdict::StopTimedOut
        );
        assert_eq!(
            classify("ADMU3000I: Server server1 open for e-business; process id is 123"),
            Verdict::Started
        );
        assert_eq!(
            classify("ADMU3027E: An instance of the server may already be running: s"),
            Verdict::AlreadyRunning
        );
        assert_eq!(classify("something else"), Verdict::Unknown);
    }

    #[test]
    fn codes_need_a_word_boundary_and_a_severity() {
        assert!(admu_codes("XADMU4000I ADMU400 ADMU4000X").is_empty());
        assert_eq!(admu_codes("(ADMU4000I)"), ["ADMU4000I"]);
    }
}
