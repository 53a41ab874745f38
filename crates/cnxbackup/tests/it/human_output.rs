//! Snapshot tests of the human output of each command (insta), run through the real binary
//! on a sample deployment and a small repository. Timing-dependent and random parts
//! (temporary paths, snapshot ids, times, durations, backup-set ids) are masked by
//! [`mask`]; everything else — wording, column order, alignment — is compared exactly.
//!
//! The `.snap` files live in `tests/it/snapshots/`. A change in the output fails the test; to
//! accept it, review the diff and run `cargo insta review` (or `INSTA_UPDATE=always`
//! locally). CI never writes snapshots: insta fails on a new or changed snapshot when `CI`
//! is set, and `INSTA_UPDATE=no` makes it fail everywhere.
//!
//! Output is captured through pipes, so it is also the non-terminal output: no colour
//! codes and no progress bars may appear in it ([`assert_plain`]).
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use sample::{BuildOptions, Sample, Variant};
use vault::backup::{backup_sources, BackupOptions, BackupSource};
use vault::{InitOptions, KdfParams, Repository, Storage};

const PASSWORD: &str = "human-output-pw";

/// A sample deployment, a repository with a few snapshots, and a config naming both.
struct Fixture {
    dir: tempfile::TempDir,
    sample: Sample,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
        let sample = sample::build(
            Variant::V80Db2Ccm,
            &dir.path().join("root"),
            &BuildOptions::default(),
        )
        .unwrap();
        let f = Fixture { dir, sample };
        let e = &f.sample.expected;
        // Relative paths (the commands run in the fixture's directory): the temporary
        // directory's name, whose length depends on the machine, stays out of the columns.
        let config = format!(
            "[repository]\nurl = \"repo\"\n\n[websphere]\nusername = {:?}\nstop_timeout_secs = 20\n\n\
             [database]\nstaging_dir = \"staging\"\nvendor = {:?}\ncommand = {:?}\n",
            e.was.admin.username,
            e.db_tools.vendor.as_str(),
            e.db_tools.command,
        );
        fs::write(f.config(), config).unwrap();
        // (preflight measures the free space of the staging directory, relative to the
        // working directory here)
        fs::create_dir_all(f.dir.path().join("staging")).unwrap();
        let opts = InitOptions {
            kdf: KdfParams::insecure_fast(),
            ..InitOptions::default()
        };
        Repository::init(Storage::local(&f.repo()).unwrap(), PASSWORD, &opts).unwrap();
        f
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("cnxbackup.toml")
    }

    /// A small directory with fixed contents and times.
    fn data(&self) -> PathBuf {
        let d = self.dir.path().join("data");
        fs::create_dir_all(d.join("sub")).unwrap();
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        for (name, body) in [
            ("a.txt", "alpha\n"),
            ("b.txt", "bravo bravo\n"),
            ("sub/c.xml", "<c/>\n"),
        ] {
            let p = d.join(name);
            fs::write(&p, body).unwrap();
            fs::File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        d
    }

    /// The binary with the config, the sample's sysroot and the password; nothing from
    /// the caller's environment that changes the output.
    fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("cnxbackup").unwrap();
        c.current_dir(self.dir.path())
            .env_remove("CNXBACKUP_CONFIG")
            .env_remove("CNXBACKUP_SYSROOT")
            .env_remove("CNXBACKUP_REPOSITORY")
            .env_remove("CNXBACKUP_PASSWORD_FILE")
            .env_remove("CNXBACKUP_LOG")
            .env_remove("NO_COLOR")
            .env("CNXBACKUP_PASSWORD", PASSWORD)
            .env(
                "CNXBACKUP_WAS_PASSWORD",
                self.sample.expected.was.admin.password(),
            )
            .env("CNXBACKUP_TEST_RETRY_PAUSE_MS", "200")
            .arg("--config")
            .arg(self.config())
            .arg("--sysroot")
            .arg(&self.sample.sysroot);
        c
    }

    /// Runs the command, expects `code`, returns stdout masked (stderr is checked too).
    fn run(&self, args: &[&str], code: i32) -> String {
        mask(&self.run_raw(args, code), self.dir.path())
    }

    /// Like [`Fixture::run`], without masking.
    fn run_raw(&self, args: &[&str], code: i32) -> String {
        let out = self.cmd().args(args).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert_plain(&stdout);
        assert_plain(&stderr);
        stdout
    }

    /// Three plain snapshots of the data and a deployment-style backup set of two hosts,
    /// one of them INCOMPLETE.
    fn populate(&self) {
        let data = self.data();
        for _ in 0..2 {
            json_snapshot_id(
                self,
                &[
                    "backup",
                    "--host",
                    "files-host",
                    "--path",
                    data.to_str().unwrap(),
                ],
            );
        }
        for (host, status) in [("host-a", "complete"), ("host-b", "incomplete")] {
            self.deployment_snapshot(host, "cell-1", status, None);
        }
    }

    /// A snapshot that looks like a deployment backup of `host` in `set` (the data
    /// directory stored as `connections_root`), with the summary `snapshots` reads.
    fn deployment_snapshot(&self, host: &str, set: &str, status: &str, version: Option<&str>) {
        let repo = Repository::open(Storage::local(&self.repo()).unwrap(), PASSWORD).unwrap();
        let mut tags = vec!["cnxbackup".to_string(), format!("set:{set}")];
        if status == "incomplete" {
            tags.push("incomplete".into());
        }
        let opts = BackupOptions {
            host: host.into(),
            tags,
            application: Some(serde_json::json!({
                "kind": "cnxbackup.backup", "backup_set": set, "status": status,
                "failed_steps": if status == "incomplete" { vec!["db:HOMEPAGE"] } else { vec![] },
                "version": version,
                "components": [
                    {"component": "connections_root", "status": "ok", "files": 3, "bytes": 23},
                    {"component": "shared_data", "status": "failed", "files": 0, "bytes": 0},
                ],
                "databases": [{"database": "HOMEPAGE", "status": "ok"}],
            })),
            ..BackupOptions::default()
        };
        backup_sources(
            &repo,
            vec![BackupSource::path(self.data(), "/opt/IBM/Connections")],
            &opts,
        )
        .unwrap();
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // the stand-in servers started for `backup --dry-run`
        let _ = self.sample.stop_all();
    }
}

/// No ANSI escape sequence (colour, cursor movement of a progress bar) in `text`.
fn assert_plain(text: &str) {
    assert!(
        !text.contains('\x1b'),
        "escape codes in non-terminal output:\n{text:?}"
    );
}

/// Replaces what changes from run to run with placeholders of the same width, so the
/// tables in the `.snap` files stay aligned as the command printed them.
fn mask(text: &str, tmp: &Path) -> String {
    let mut s = text.replace(&tmp.display().to_string(), "[TMP]");
    // times: `2026-11-27 14:03:05`
    s = same_width(&s, r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}", |_| {
        "YYYY-MM-DD hh:mm:ss".into()
    });
    // `snapshots` shows minutes: `2026-11-27 14:03`
    s = same_width(&s, r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b", |_| {
        "YYYY-MM-DD hh:mm".into()
    });
    // generated backup-set ids: `20261127T120000Z-3f9a`
    s = same_width(&s, r"\d{8}T\d{6}Z-[0-9a-f]{4}", |m| "S".repeat(m.len()));
    // snapshot, pack and blob ids, full or short
    s = same_width(&s, r"\b(?:[0-9a-f]{64}|[0-9a-f]{8})\b", |m| {
        "#".repeat(m.len())
    });
    // durations: `0.12 s`, `=0.1s`; see `mask_duration`
    s = same_width(&s, r" *\d+\.\d+ ?s\b", mask_duration);
    // free space on this machine's disks (preflight's room checks)
    s = same_width(&s, r"\d+(?:\.\d+)? (?:B|KiB|MiB|GiB|TiB) free", |_| {
        "[FREE] free".into()
    });
    // `ls`: a directory's size depends on the file system
    s = same_width(&s, r"(?m)^(dir +\S+ +\S+ +\S+) +\d+ ", |m| {
        let head = m.trim_end().rsplit_once(' ').map(|(h, _)| h).unwrap_or(m);
        format!("{head:<w$}", w = m.len() - 2) + "D "
    });
    s
}

/// Replaces every match of `pattern` with `with(match)`.
/// A duration (with the spaces before it) as `[DUR]`. In a table column (two spaces or more
/// before it) the column is right-aligned, so `[DUR]` ends where the duration ended: the row
/// does not depend on how many digits the duration had (a loaded machine takes 10.5 s where a
/// quiet one takes 1.5 s). Inline, the spaces before it are kept as they are.
fn mask_duration(m: &str) -> String {
    let lead = m.len() - m.trim_start().len();
    if lead >= 2 {
        format!("{:>w$}", "[DUR]", w = m.len())
    } else {
        format!("{}[DUR]", &m[..lead])
    }
}

fn same_width(s: &str, pattern: &str, with: impl Fn(&str) -> String) -> String {
    regex::Regex::new(pattern)
        .unwrap()
        .replace_all(s, |c: &regex::Captures| with(&c[0]))
        .into_owned()
}

#[test]
fn human_output_of_every_command() {
    let f = Fixture::new();
    f.populate();

    insta::assert_snapshot!("config", f.run(&["config"], 0));
    insta::assert_snapshot!("discover", f.run(&["discover"], 0));
    insta::assert_snapshot!("plan", f.run(&["plan", "--no-sizes"], 0));
    insta::assert_snapshot!("snapshots", f.run(&["snapshots"], 0));
    insta::assert_snapshot!("snapshots_long", f.run(&["snapshots", "--long"], 0));
    // The counts depend on how many tree blobs differ between the snapshots (directory
    // times of the synthesized parents): the layout and wording are pinned, not the numbers.
    let check = same_width(&f.run(&["check", "--read-data"], 0), r"(?m) \d+$", |m| {
        format!("{:>w$}", "N", w = m.len())
    });
    insta::assert_snapshot!("check", check);
    insta::assert_snapshot!("ls", f.run(&["ls", "latest", "--host", "host-a"], 0));
    insta::assert_snapshot!(
        "forget_dry_run",
        f.run(&["forget", "--keep-last", "1", "--dry-run"], 0)
    );
    f.sample.start_all().unwrap();
    insta::assert_snapshot!("backup_dry_run", f.run(&["backup", "--dry-run"], 0));
}

#[test]
fn plan_with_sizes_ends_with_the_summary_table_and_total() {
    let f = Fixture::new();
    let text = f.run(&["plan"], 0);
    let table = text.find("#  step").expect("summary table header");
    let total = text.find("Total:").expect("total line");
    assert!(table < total, "{text}");
    assert!(text.contains("skipped"), "{text}");
}

#[test]
fn no_color_and_pipes_never_get_escape_codes() {
    let f = Fixture::new();
    f.populate();
    for args in [
        &["snapshots"][..],
        &["check"],
        &["discover"],
        &["forget", "--keep-last", "1", "--dry-run"],
    ] {
        for no_color in [None, Some(""), Some("1")] {
            let mut c = f.cmd();
            if let Some(v) = no_color {
                c.env("NO_COLOR", v);
            }
            let out = c.args(args).output().unwrap();
            assert!(out.status.success(), "{args:?}");
            assert_plain(&String::from_utf8(out.stdout).unwrap());
            assert_plain(&String::from_utf8(out.stderr).unwrap());
        }
    }
}

#[test]
fn json_stays_on_stdout_and_human_text_on_stderr() {
    let f = Fixture::new();
    let out = f.cmd().args(["--json", "plan"]).output().unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["steps"].is_array(), "{doc}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        !stderr.contains("#  step"),
        "no table with --json: {stderr}"
    );
    assert_plain(&stderr);
}

#[test]
fn snapshots_shows_incomplete_and_groups_the_set() {
    let f = Fixture::new();
    f.populate();
    let text = f.run_raw(&["snapshots"], 0);
    let lines: Vec<&str> = text.lines().collect();
    let a = lines.iter().position(|l| l.contains("host-a")).unwrap();
    let b = lines.iter().position(|l| l.contains("host-b")).unwrap();
    assert_eq!(b, a + 1, "one set, adjacent rows:\n{text}");
    assert!(lines[b].contains("INCOMPLETE"), "{text}");
    assert!(lines[a].contains("complete") && !lines[a].contains("INCOMPLETE"));
    // a blank line separates the set from the plain snapshots before it
    assert_eq!(lines[a - 1], "", "{text}");
    // every row's status starts in the header's status column
    let col = lines[0].find("status").unwrap();
    assert_eq!(lines[b].find("INCOMPLETE"), Some(col), "{text}");
    assert!(text.contains("4 snapshot(s), 1 INCOMPLETE"), "{text}");
}

/// On a terminal (a pseudo-terminal from util-linux `script`), status words are coloured;
/// `NO_COLOR` — even empty — turns that off.
#[test]
fn a_terminal_gets_colour_unless_no_color_is_set() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("util-linux `script` is not installed: no pseudo-terminal for this test");
        return;
    }
    let f = Fixture::new();
    f.populate();
    let bin = assert_cmd::cargo::cargo_bin("cnxbackup");
    let on_tty = |no_color: Option<&str>| {
        let command = format!(
            "{} --config {} --sysroot {} snapshots",
            bin.display(),
            f.config().display(),
            f.sample.sysroot.display()
        );
        let mut c = std::process::Command::new("script");
        c.args(["-qfec", &command, "/dev/null"])
            .current_dir(f.dir.path())
            .env("CNXBACKUP_PASSWORD", PASSWORD)
            .env_remove("CNXBACKUP_CONFIG")
            .env_remove("CNXBACKUP_REPOSITORY")
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            c.env("NO_COLOR", v);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("INCOMPLETE"), "{coloured}");
    assert!(
        coloured.contains('\x1b'),
        "no colour on a terminal: {coloured:?}"
    );
    for v in ["", "1"] {
        let plain = on_tty(Some(v));
        assert!(plain.contains("INCOMPLETE"), "{plain}");
        assert_plain(&plain);
    }
}

/// Runs `args` with `--json` and returns the snapshot id of the one document printed
/// (`backup --path`).
fn json_snapshot_id(f: &Fixture, args: &[&str]) -> String {
    let stdout = f.run_raw(&[&["--json"], args].concat(), 0);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    doc["snapshot"].as_str().unwrap().to_string()
}

/// Writes `body` to `path` with the fixture's fixed modification time.
fn write_fixed(path: &Path, body: &str) {
    fs::write(path, body).unwrap();
    fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000))
        .unwrap();
}

#[test]
fn human_output_of_init_diff_prune_and_unlock() {
    let f = Fixture::new();
    // a second repository beside the first (a relative path: no temporary directory)
    insta::assert_snapshot!("init", f.run(&["--repo", "repo-2", "init"], 0));

    // two plain snapshots of the data: one file changed, one added, one removed between
    let data = f.data();
    let data_arg = data.to_str().unwrap();
    let before = json_snapshot_id(&f, &["backup", "--host", "files-host", "--path", data_arg]);
    write_fixed(&data.join("b.txt"), "bravo bravo bravo\n");
    write_fixed(&data.join("sub/d.txt"), "delta\n");
    fs::remove_file(data.join("a.txt")).unwrap();
    let after = json_snapshot_id(&f, &["backup", "--host", "files-host", "--path", data_arg]);
    insta::assert_snapshot!("diff", f.run(&["diff", &before, &after], 0));

    // the first snapshot forgotten: its data is unused and prune would mark it
    f.run_raw(&["forget", "--keep-last", "1"], 0);
    // (pack sizes depend on how well the tree blobs, with their times, compress)
    let prune = same_width(
        &f.run(&["prune", "--dry-run"], 0),
        r"\b\d+(?:\.\d+)? (?:B|KiB|MiB)\b",
        |_| "[SIZE]".into(),
    );
    insta::assert_snapshot!("prune_dry_run", prune);
    insta::assert_snapshot!("unlock", f.run(&["unlock"], 0));
}

/// [`mask`] and what a real deployment backup adds that changes from run to run: the
/// machine's host name, the database tools' timestamps, step durations in milliseconds
/// (in a right-aligned column the padding goes with the value, so the columns stay put
/// whatever width the duration had) and the snapshot's total size (it counts the manifest,
/// which records those durations).
fn mask_deployment(text: &str, tmp: &Path) -> String {
    let mut s = mask(text, tmp);
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim();
    if !host.is_empty() {
        let quoted = regex::escape(host);
        s = same_width(&s, &format!(r"(?m)\bhost( +){quoted}(\)|$)"), |m| {
            m.replace(host, "[HOST]")
        });
    }
    // vendor timestamps: `20261127152212`
    s = same_width(&s, r"\b\d{14}\b", |_| "YYYYMMDDhhmmss".into());
    s = same_width(&s, r" *\b\d+ ms\b", mask_duration);
    same_width(&s, r"(?m)^(size +)[\d.]+ [KMG]?i?B in", |m| {
        let head = m
            .split_once(|c: char| c.is_ascii_digit())
            .map_or(m, |(h, _)| h);
        format!("{head}[SIZE] in")
    })
}

#[test]
fn human_output_of_show_and_restore_dry_run_of_a_deployment_backup() {
    let f = Fixture::new();
    f.run_raw(&["backup", "--in-place-migration"], 0);
    let tmp = f.dir.path();
    let show = f.run_raw(&["show", "latest"], 0);
    insta::assert_snapshot!("show_deployment_backup", mask_deployment(&show, tmp));
    sample::simulate_failed_update(&f.sample).unwrap();
    // servers that ran since: their pid files are listed apart from the update's changes
    f.sample.start_all().unwrap();
    let dry_run = f.run_raw(&["restore", "--dry-run", "latest"], 0);
    insta::assert_snapshot!("restore_dry_run", mask_deployment(&dry_run, tmp));
}

#[test]
fn snapshots_fit_eighty_columns_with_long_hosts_sets_and_versions() {
    let f = Fixture::new();
    f.deployment_snapshot(
        "conn-node-01.apps.example.com",
        "cell-east-2026-11-27-before-cr14",
        "complete",
        Some("8.0.0.0_CR14 + KB0101234, KB0105678, KB0109999"),
    );
    f.deployment_snapshot(
        "conn-dmgr.apps.example.com",
        "cell-east-2026-11-27-before-cr14",
        "incomplete",
        Some("8.0.0.0_CR14 + KB0101234, KB0105678, KB0109999"),
    );
    let text = f.run(&["snapshots"], 0);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line:?}",
            line.chars().count()
        );
    }
    insta::assert_snapshot!("snapshots_80_columns", text);
}
