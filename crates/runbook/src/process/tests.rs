use std::time::{Duration, Instant};

use super::*;

fn sh(script: &str) -> CommandSpec {
    CommandSpec::new("/bin/sh").arg("-c").arg(script).arg("sh")
}

#[test]
fn captures_stdout_stderr_and_exit_code() {
    let out = run(&sh("echo hello; echo oops >&2; exit 3")).unwrap();
    assert_eq!(out.code, Some(3));
    assert!(!out.success());
    assert_eq!(out.stdout, "hello\n");
    assert_eq!(out.stderr, "oops\n");
    assert_eq!(out.tail(5), "oops");
    assert_eq!(out.status_text(), "exit code 3");
}

#[test]
fn secret_arguments_are_passed_but_displayed_masked() {
    let pw = Secret::new("s3cr3t-pw");
    let spec = sh(r#"printf '%s' "$1""#).secret_arg(&pw);
    let shown = spec.display();
    assert!(!shown.contains("s3cr3t-pw"), "{shown}");
    assert!(shown.ends_with(" ***"), "{shown}");
    assert!(!format!("{spec:?}").contains("s3cr3t-pw"));
    let out = run(&spec).unwrap();
    assert_eq!(out.stdout, "s3cr3t-pw");
    assert!(!out.command.contains("s3cr3t-pw"));
}

#[test]
fn secret_environment_and_stdin_reach_the_program_unshown() {
    let pw = Secret::new("envpw");
    let spec = sh(r#"read line; printf '%s|%s' "$PW" "$line""#)
        .secret_env("PW", &pw)
        .stdin_secret(&Secret::new("stdinpw"));
    assert_eq!(spec.display_env(), "PW=***");
    let out = run(&spec).unwrap();
    assert_eq!(out.stdout, "envpw|stdinpw");
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("grandchild-survived");
    // The script starts a grandchild that would write the marker after 2 s.
    let script = format!("(sleep 2; touch '{}') & sleep 30", marker.display());
    let started = Instant::now();
    let out = run(&sh(&script).timeout(Duration::from_millis(300))).unwrap();
    assert!(out.timed_out);
    assert!(!out.success());
    assert!(started.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!marker.exists(), "the grandchild outlived the timeout");
}

#[test]
fn a_daemon_holding_the_pipes_does_not_hang_the_caller() {
    let started = Instant::now();
    // Like a start script: leaves a background process that keeps stdout open.
    let out = run(&sh("sleep 20 & echo started")).unwrap();
    assert!(out.success());
    assert!(out.stdout.contains("started"));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn output_is_bounded_keeping_head_and_tail() {
    let out = run(&sh("echo FIRST; yes x | head -c 100000; echo; echo LAST").capture_limit(1024))
        .unwrap();
    assert!(out.stdout.starts_with("FIRST"));
    assert!(out.stdout.trim_end().ends_with("LAST"));
    assert!(out.stdout.contains("bytes elided"));
    assert!(out.stdout.len() < 1200);
}

#[test]
fn missing_program_is_a_clear_error() {
    let err = run(&CommandSpec::new("/nonexistent/db2")).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/db2"), "{err}");
}

#[test]
fn display_quotes_words_with_blanks() {
    let spec = CommandSpec::new("/opt/x y/db2")
        .arg("backup database")
        .arg("it's");
    assert_eq!(
        spec.display(),
        r"'/opt/x y/db2' 'backup database' 'it'\''s'"
    );
}

#[test]
fn streams_stdout_into_a_sink() {
    let mut sink = Vec::new();
    let (out, n) = run_stdout_to(&sh("printf abc; printf def; echo err >&2"), &mut sink).unwrap();
    assert!(out.success());
    assert_eq!(sink, b"abcdef");
    assert_eq!(n, 6);
    assert_eq!(out.stderr, "err\n");
}

#[test]
fn feeds_stdin_from_a_source() {
    let data = vec![7u8; 300_000];
    let (out, n) = run_stdin_from(&sh("wc -c"), &mut data.as_slice()).unwrap();
    assert!(out.success());
    assert_eq!(n, 300_000);
    assert_eq!(out.stdout.trim(), "300000");
}

#[test]
fn streaming_honours_the_timeout() {
    let mut sink = Vec::new();
    let (out, _) = run_stdout_to(
        &sh("printf x; sleep 30").timeout(Duration::from_millis(300)),
        &mut sink,
    )
    .unwrap();
    assert!(out.timed_out);
    assert!(!out.success());
}

#[test]
fn run_as_runs_under_the_named_user() {
    if !nix::unistd::geteuid().is_root() {
        // As a non-root user, switching must be refused with a clear message.
        let err = run(&sh("id -un").run_as(Some("root"))).unwrap_err();
        assert!(err.to_string().contains("needs root"), "{err}");
        return;
    }
    let Ok(Some(_)) = nix::unistd::User::from_name("nobody") else {
        panic!("the test host has no user `nobody`");
    };
    let spec = CommandSpec::new("/bin/sh")
        .arg("-c")
        .arg(r#"id -un; printf '%s\n' "$PW""#)
        .secret_env("PW", &Secret::new("x1"))
        .run_as(Some("nobody"));
    assert!(spec.display().starts_with("runuser -u nobody -- /bin/sh"));
    let out = run(&spec).unwrap();
    assert!(out.success(), "{out:?}");
    assert_eq!(out.stdout, "nobody\nx1\n");
}

#[test]
fn split_command_handles_quotes() {
    assert_eq!(
        split_command(r#"pg_dump -Fc "my db""#).unwrap(),
        vec!["pg_dump", "-Fc", "my db"]
    );
    assert!(split_command("  ").is_err());
    assert!(split_command("a 'b").is_err());
}
