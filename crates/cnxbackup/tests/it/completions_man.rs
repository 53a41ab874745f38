//! `cnxbackup completions SHELL` and `cnxbackup man` are generated from the real clap
//! definitions: they must be non-empty and name the subcommands.
#![allow(clippy::unwrap_used)]

use assert_cmd::Command;

fn run(args: &[&str]) -> String {
    let output = Command::cargo_bin("cnxbackup")
        .unwrap()
        .args(args)
        // No configuration is needed; make sure none is picked up from the environment.
        .env_remove("CNXBACKUP_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?} failed: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = run(&["completions", shell]);
        assert!(!script.trim().is_empty(), "{shell}: empty script");
        for sub in ["backup", "restore", "discover", "completions"] {
            assert!(
                script.contains(sub),
                "{shell}: script does not mention {sub}"
            );
        }
    }
}

#[test]
fn completions_reject_an_unknown_shell() {
    Command::cargo_bin("cnxbackup")
        .unwrap()
        .args(["completions", "cmd.exe"])
        .assert()
        .code(2);
}

#[test]
fn man_page_is_roff_and_documents_the_subcommands() {
    let page = run(&["man"]);
    assert!(page.contains(".TH cnxbackup"), "no roff title header");
    for sub in ["backup", "restore", "check", "discover"] {
        assert!(page.contains(sub), "man page does not mention {sub}");
    }
    // Each subcommand also gets its own section with its options.
    assert!(
        page.contains(".TH cnxbackup-restore"),
        "no page for restore"
    );
}
