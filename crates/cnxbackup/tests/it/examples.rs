//! The command lines in `examples/` (Ansible, systemd, cron) and in the administrator's
//! documentation (`docs/USAGE.md`, `docs/RESTORE.md`, `README.md`) must be accepted by the real
//! command-line definition: an example that stopped parsing would fail an administrator at 2 a.m.
//!
//! Each line that starts a `cnxbackup` invocation is cut out of its file (Jinja `{{ … }}`
//! expressions become a placeholder word, shell redirections and `&&` chains are split off,
//! comments dropped) and parsed with `Cli::try_parse_from`.
#![allow(clippy::unwrap_used)]

use clap::Parser;
use cnxbackup::cli::Cli;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Split a command line into words: whitespace separates, single and double quotes group.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// Replace every `{{ … }}` with one placeholder word.
fn without_jinja(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(end) => {
                out.push_str("placeholder");
                rest = &rest[start + end + 2..];
            }
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The cnxbackup invocations in one shell-ish line: `&&`/`;` chains split, redirections and
/// trailing `# comments` dropped, the program path reduced to `cnxbackup`.
fn invocations(line: &str) -> Vec<Vec<String>> {
    let line = without_jinja(line);
    let line = match line.find(" #") {
        Some(i) => &line[..i],
        None => &line[..],
    };
    let mut found = Vec::new();
    for part in line.split("&&").flat_map(|p| p.split(';')) {
        let mut argv = words(part);
        // A lone `>`/`>>` is followed by its target, a `|` by the next program: drop them
        // and everything after.
        if let Some(r) = argv.iter().position(|w| w == ">" || w == ">>" || w == "|") {
            argv.truncate(r);
        }
        // Attached redirections (`>>/var/log/x`, `2>&1`).
        argv.retain(|w| !w.starts_with('>') && !w.starts_with("2>"));
        // Skip what precedes the program (cron's time and user fields, `sudo`, ...).
        let Some(pos) = argv
            .iter()
            .position(|w| w == "cnxbackup" || w.ends_with("/cnxbackup"))
        else {
            continue;
        };
        argv.drain(..pos);
        argv[0] = "cnxbackup".to_string();
        found.push(argv);
    }
    found
}

/// Command lines of a file: YAML `cmd:` values, systemd `ExecStart=`, cron lines, and lines
/// of fenced code blocks in Markdown.
fn command_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let markdown = path.extension().is_some_and(|e| e == "md");
    let mut in_fence = false;
    let mut lines = Vec::new();
    for raw in text.lines() {
        let t = raw.trim();
        if markdown {
            if t.starts_with("```") {
                in_fence = !in_fence;
                continue;
            }
            if in_fence && t.starts_with("cnxbackup ") {
                lines.push(t.to_string());
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if let Some(v) = t.strip_prefix("cmd:") {
            lines.push(v.trim().to_string());
        } else if let Some(v) = t.strip_prefix("ExecStart=") {
            lines.push(v.trim().to_string());
        } else if path.parent().is_some_and(|d| d.ends_with("cron")) && t.contains("cnxbackup ") {
            // A cron line: its command follows the time and user fields.
            lines.push(t.to_string());
        }
    }
    lines
}

fn files_with_examples() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![
        root.join("README.md"),
        root.join("docs/USAGE.md"),
        root.join("docs/RESTORE.md"),
    ];
    for dir in ["examples/ansible", "examples/systemd", "examples/cron"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        files.extend(entries);
    }
    files
}

#[test]
fn every_example_command_line_parses() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in files_with_examples() {
        for line in command_lines(&file) {
            for argv in invocations(&line) {
                checked += 1;
                // `--version` and `--help` "fail" with their own text: that is success.
                let shows_info = |e: &clap::Error| {
                    matches!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayVersion
                            | clap::error::ErrorKind::DisplayHelp
                    )
                };
                if let Err(e) = Cli::try_parse_from(&argv).map(drop).or_else(|e| {
                    if shows_info(&e) {
                        Ok(())
                    } else {
                        Err(e)
                    }
                }) {
                    failures.push(format!(
                        "{}: `{}`:\n{}",
                        file.display(),
                        argv.join(" "),
                        e.render()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "example command lines the CLI rejects:\n{}",
        failures.join("\n")
    );
    // The Ansible playbook, the systemd units, cron and the runbook hold at least this many.
    assert!(
        checked >= 20,
        "only {checked} command lines found: extraction broke?"
    );
}

#[test]
fn the_cell_playbook_follows_the_phases_in_order() {
    // the playbook itself runs in ansible_cell.rs; this pins its order for a reader
    let text =
        std::fs::read_to_string(repo_root().join("examples/ansible/cnxbackup-cell.yml")).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("the playbook has no {needle:?}"))
    };
    let order = [
        at("set plan {{ cnx_set }}"),
        at("backup --dry-run --set"),
        at("set role-mappings {{ cnx_set }}"),
        at("servers stop --kind application-servers"),
        at("servers stop --kind node-agents"),
        at("servers stop --set"),
        at("backup --no-stop --set"),
        at("backup --databases-only --set"),
        at("async_status"),
        at("always:"),
        at("servers start --set"),
        at("servers start --kind node-agents"),
        at("servers start --kind application-servers"),
        at("check --set {{ cnx_set }}"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // the captures run at the same time: started in the background, awaited together
    assert_eq!(text.matches("poll: 0").count(), 3);
}

#[test]
fn the_cell_restore_playbook_follows_the_documented_order() {
    // the playbook itself runs in ansible_cell.rs; this pins its order for a reader
    let text =
        std::fs::read_to_string(repo_root().join("examples/ansible/cnxbackup-cell-restore.yml"))
            .unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("the restore playbook has no {needle:?}"))
    };
    let order = [
        at("check --set {{ cnx_set }}"),
        at("--skip-databases --dry-run"),
        at("--databases-only --dry-run"),
        at("servers stop --kind application-servers"),
        at("servers stop --kind node-agents"),
        at("cmd: cnxbackup servers stop\n"),
        at("--databases-only\n"),
        at("--skip-databases\n"),
        at("async_status"),
        at("cmd: cnxbackup servers start\n"),
        at("cmd: cnxbackup servers sync"),
        at("servers start --kind node-agents"),
        at("servers start --kind application-servers"),
        at("servers status --expect running"),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // a failed restore leaves the cell stopped: no start on every path out
    assert!(!text.contains("always:"));
    assert_eq!(text.matches("any_errors_fatal: true").count(), 3);
}

#[test]
fn extraction_handles_cron_chains_redirections_and_jinja() {
    let line = "0 8 * * 0  root  /usr/local/bin/cnxbackup forget --keep-last 5 >>/var/log/x 2>&1 \
                && /usr/local/bin/cnxbackup check --read-data=5% > /tmp/out";
    let found = invocations(line);
    assert_eq!(
        found,
        vec![
            vec!["cnxbackup", "forget", "--keep-last", "5"],
            vec!["cnxbackup", "check", "--read-data=5%"],
        ]
    );
    assert_eq!(
        invocations("cnxbackup man > /usr/local/share/man/man1/cnxbackup.1"),
        vec![vec!["cnxbackup", "man"]]
    );
    assert_eq!(
        invocations("cnxbackup backup --set {{ cnx_set }} --tag 'a b'  # comment"),
        vec![vec![
            "cnxbackup",
            "backup",
            "--set",
            "placeholder",
            "--tag",
            "a b"
        ]]
    );
    // And a wrong line is caught by the parser.
    assert!(Cli::try_parse_from(["cnxbackup", "backup", "--no-such-flag"]).is_err());
}

/// No environment: the example file alone decides.
struct NoVariables;

impl cnxbackup::config::Environment for NoVariables {
    fn var(&self, _name: &str) -> Option<String> {
        None
    }
}

/// `examples/cnxbackup.toml` (installed by the packages as /etc/cnxbackup/cnxbackup.toml)
/// loads as it is and with every optional `#key = value` setting switched on: a key that was
/// renamed or a value of the wrong type in it would stop every command on a fresh install.
#[test]
fn the_example_config_loads_with_and_without_its_optional_settings() {
    let path = repo_root().join("examples/cnxbackup.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let flags = |file: &Path| cnxbackup::config::FlagValues {
        config: Some(file.to_path_buf()),
        ..Default::default()
    };
    let as_shipped = cnxbackup::config::load(&flags(&path), &NoVariables).unwrap();
    assert_eq!(
        as_shipped.config.repository.url.as_deref(),
        Some("/var/backups/cnxbackup")
    );

    // Optional settings are written `#key = value`; prose comments have a space after '#'.
    let optional = |l: &str| l.starts_with('#') && !l.starts_with("# ") && l.contains(" = ");
    let switched_on: String = text
        .lines()
        .map(|l| if optional(l) { &l[1..] } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    let count = text.lines().filter(|l| optional(l)).count();
    assert!(count >= 10, "only {count} optional settings found");
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.toml");
    std::fs::write(&all, switched_on).unwrap();
    let loaded = cnxbackup::config::load(&flags(&all), &NoVariables).unwrap();
    assert_eq!(
        loaded.config.websphere.username.as_deref(),
        Some("wasadmin")
    );
    assert!(loaded.config.database.vendor.is_some());
    assert!(loaded.config.s3.endpoint.is_some());
}
