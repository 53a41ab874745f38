//! `cnxbackup demo`: the whole job on a sample deployment, through the real code paths.
//!
//! It builds the `8.0-db2-ccm` sample (two nodes, DB2, CCM) in a new temporary directory,
//! starts its stand-in servers and runs this same executable as child processes, exactly as
//! an administrator would: `init`, `discover`, `plan`, `backup`, `check --read-data`, a
//! simulated failed CR update, a partial restore the version gate refuses, the full restore
//! and a comparison of the deployment with the original. Nothing is faked: a step that fails
//! fails the demo (exit 1).

use crate::cli::global::GlobalOpts;
use anyhow::{bail, Context as _};
use clap::Args;
use sample::{BuildOptions, Sample, Size, Variant};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the sample deployment and the repository afterwards (printed at the end)
    #[arg(long)]
    pub keep: bool,
    /// Work in DIR (must be empty or missing) instead of a new temporary directory
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Test-only knob: flip a byte of a pack between `backup` and `check`, so that a test can
/// see the demo fail and name the damage.
const CORRUPT_KNOB: &str = "CNXBACKUP_DEMO_CORRUPT_AFTER_BACKUP";

/// One line of the summary.
#[derive(Debug, Clone, serde::Serialize)]
struct StepResult {
    step: &'static str,
    result: &'static str,
    duration_ms: u128,
    detail: String,
}

/// What a child `cnxbackup` run returned.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The demo's working set: where things are and how to run the real binary on them.
struct Demo {
    dir: PathBuf,
    sample: Sample,
    repo: PathBuf,
    config: PathBuf,
    password: String,
    exe: PathBuf,
}

impl Demo {
    /// Runs `cnxbackup --config .. --sysroot .. --repo .. ARGS`; the repository password
    /// travels in the environment, never on the command line.
    fn cnx(&self, args: &[&str]) -> anyhow::Result<Run> {
        let out = Command::new(&self.exe)
            .env_remove("CNXBACKUP_CONFIG")
            .env_remove("CNXBACKUP_SYSROOT")
            .env_remove("CNXBACKUP_REPOSITORY")
            .env_remove("CNXBACKUP_PASSWORD_FILE")
            .env_remove("CNXBACKUP_WAS_PASSWORD")
            .env_remove(CORRUPT_KNOB)
            .env("CNXBACKUP_PASSWORD", &self.password)
            .current_dir(&self.dir)
            .arg("--config")
            .arg(&self.config)
            .arg("--sysroot")
            .arg(&self.sample.sysroot)
            .arg("--repo")
            .arg(&self.repo)
            .args(args)
            .output()
            .with_context(|| format!("running {}", self.exe.display()))?;
        Ok(Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

fn say(text: &str) {
    eprintln!("{text}");
}

/// The last lines of a child's stderr, indented, for the narration.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = all.len().saturating_sub(lines);
    all[start..]
        .iter()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn run(global: &GlobalOpts, args: &DemoArgs) -> anyhow::Result<()> {
    let dir = match &args.dir {
        Some(d) => {
            if d.exists() && std::fs::read_dir(d)?.next().is_some() {
                bail!("--dir {}: not empty", d.display());
            }
            d.clone()
        }
        None => {
            let stamp = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            sample::preferred_temp_root()
                .join(format!("cnxbackup-demo-{}-{stamp}", std::process::id()))
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let mut steps: Vec<StepResult> = Vec::new();

    say(&format!(
        "cnxbackup demo: the whole job on a sample HCL Connections deployment in {}",
        dir.display()
    ));
    say(
        "==> build: a sample 8.0 CR3 deployment (DB2, CCM, dmgr + two nodes) and start its servers",
    );
    let t = Instant::now();
    let built = build(&dir);
    let demo = match built {
        Ok(demo) => {
            steps.push(step(
                "build",
                true,
                t.elapsed(),
                "sample built, servers started",
            ));
            Some(demo)
        }
        Err(e) => {
            say(&format!("    failed: {e:#}"));
            steps.push(step("build", false, t.elapsed(), &format!("{e:#}")));
            None
        }
    };
    if let Some(demo) = &demo {
        run_steps(demo, &mut steps);
    }

    // Clean up: stop the stand-in servers, remove everything unless --keep.
    if let Some(demo) = &demo {
        if !args.keep {
            let _ = demo.sample.stop_all();
        }
    }
    let ok = steps.iter().all(|s| s.result != "FAILED");
    print_summary(&steps, started.elapsed());
    let repo = dir.join("repo");
    let root = dir.join("root");
    if args.keep {
        say(&format!("sample deployment (sysroot): {}", root.display()));
        say(&format!("repository:                  {}", repo.display()));
        say(&format!(
            "repository password file:    {}",
            dir.join("repo-password").display()
        ));
        say("kept (--keep): the stand-in servers may still run; remove the directory when done");
    } else {
        let removed = std::fs::remove_dir_all(&dir);
        say(&format!(
            "sample deployment and repository were in {} ({})",
            dir.display(),
            match removed {
                Ok(()) => "removed; --keep keeps them".to_string(),
                Err(e) => format!("could not remove: {e}"),
            }
        ));
    }
    if global.json {
        let doc = serde_json::json!({
            "ok": ok,
            "steps": steps,
            "duration_ms": started.elapsed().as_millis(),
            "dir": dir,
            "sysroot": root,
            "repository": repo,
            "kept": args.keep,
        });
        println!("{doc}");
    }
    if !ok {
        let failed: Vec<&str> = steps
            .iter()
            .filter(|s| s.result == "FAILED")
            .map(|s| s.step)
            .collect();
        bail!("the demo failed at: {}", failed.join(", "));
    }
    say("every step passed.");
    Ok(())
}

fn step(name: &'static str, ok: bool, d: Duration, detail: &str) -> StepResult {
    StepResult {
        step: name,
        result: if ok { "ok" } else { "FAILED" },
        duration_ms: d.as_millis(),
        detail: detail.to_string(),
    }
}

fn build(dir: &Path) -> anyhow::Result<Demo> {
    let size = match std::env::var("CNXBACKUP_DEMO_SIZE").as_deref() {
        Ok("tiny") => Size::Tiny,
        _ => Size::Demo,
    };
    let sample = sample::build(
        Variant::V80Db2Ccm,
        &dir.join("root"),
        &BuildOptions { size, seed: 1 },
    )?;
    sample.start_all()?;
    let e = &sample.expected;
    // Secrets go into files readable by the owner only.
    let was_password = dir.join("was-password");
    write_private(&was_password, e.was.admin.password())?;
    let password = format!("demo-{:x}", std::process::id() as u64 * 0x9e37_79b9);
    write_private(&dir.join("repo-password"), &password)?;
    let config = dir.join("cnxbackup.toml");
    let text = format!(
        "[websphere]\nusername = {:?}\npassword_file = {:?}\nstop_timeout_secs = 20\n\n\
         [database]\nvendor = {:?}\ncommand = {:?}\nstaging_dir = {:?}\n",
        e.was.admin.username,
        was_password.display().to_string(),
        e.db_tools.vendor.as_str(),
        e.db_tools.command,
        dir.join("staging").display().to_string(),
    );
    std::fs::write(&config, text).with_context(|| format!("writing {}", config.display()))?;
    Ok(Demo {
        repo: dir.join("repo"),
        dir: dir.to_path_buf(),
        sample,
        config,
        password,
        exe: std::env::current_exe().context("finding this executable")?,
    })
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Runs the steps after the build; stops at the first failure (the rest are "skipped").
fn run_steps(demo: &Demo, steps: &mut Vec<StepResult>) {
    type StepFn = fn(&Demo, &mut State) -> anyhow::Result<String>;
    let plan: [(&'static str, &'static str, StepFn); 10] = [
        ("init", "create an encrypted repository", step_init),
        (
            "discover",
            "find the cell, profiles, servers, version and databases",
            step_discover,
        ),
        ("plan", "print the ordered backup plan", step_plan),
        (
            "backup",
            "back up the deployment and its DB2 databases",
            step_backup,
        ),
        (
            "check",
            "read back every byte of the repository (check --read-data)",
            step_check,
        ),
        (
            "failed-update",
            "simulate a CR update that fails half-way",
            step_update,
        ),
        (
            "gate-refuses",
            "restore only `provision` onto the updated CR: the version gate must refuse",
            step_gate,
        ),
        (
            "restore",
            "the full restore (servers stopped first, databases, then files)",
            step_restore,
        ),
        (
            "verify-files",
            "compare every file with the listing taken before the update",
            step_verify_files,
        ),
        (
            "verify-version",
            "discover again: the version must be the original one",
            step_verify_version,
        ),
    ];
    let mut state = State::default();
    let mut failed = false;
    for (name, what, f) in plan {
        if failed {
            steps.push(StepResult {
                step: name,
                result: "skipped",
                duration_ms: 0,
                detail: "an earlier step failed".into(),
            });
            continue;
        }
        say(&format!("==> {name}: {what}"));
        let t = Instant::now();
        match f(demo, &mut state) {
            Ok(detail) => {
                say(&format!("    ok: {detail}"));
                steps.push(step(name, true, t.elapsed(), &detail));
            }
            Err(e) => {
                say(&format!("    FAILED: {e:#}"));
                steps.push(step(name, false, t.elapsed(), &format!("{e:#}")));
                failed = true;
            }
        }
    }
}

#[derive(Default)]
struct State {
    version: Option<serde_json::Value>,
    before: BTreeMap<String, Entry>,
}

/// A child run that must succeed.
fn must(demo: &Demo, args: &[&str]) -> anyhow::Result<Run> {
    let r = demo.cnx(args)?;
    if r.code != 0 {
        bail!(
            "`cnxbackup {}` exited with {}:\n{}\n{}",
            args.join(" "),
            r.code,
            tail(&r.stdout, 12),
            tail(&r.stderr, 12)
        );
    }
    Ok(r)
}

fn step_init(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    must(demo, &["init"])?;
    Ok(format!("repository at {}", demo.repo.display()))
}

fn discovered_version(demo: &Demo) -> anyhow::Result<serde_json::Value> {
    let r = must(demo, &["discover", "--json"])?;
    let doc: serde_json::Value =
        serde_json::from_str(&r.stdout).context("discover --json did not print JSON")?;
    let v = doc["connections"]["version"].clone();
    if v.is_null() {
        bail!("discover --json reports no connections.version");
    }
    Ok(v)
}

fn show_version(v: &serde_json::Value) -> String {
    v.get("offering")
        .and_then(|x| x.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn step_discover(demo: &Demo, s: &mut State) -> anyhow::Result<String> {
    let v = discovered_version(demo)?;
    let text = format!("Connections {}", show_version(&v));
    s.version = Some(v);
    Ok(text)
}

fn step_plan(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    let r = must(demo, &["plan", "--in-place-migration"])?;
    let lines = r.stdout.lines().count() + r.stderr.lines().count();
    Ok(format!("{lines} lines of plan"))
}

fn step_backup(demo: &Demo, s: &mut State) -> anyhow::Result<String> {
    must(demo, &["backup", "--in-place-migration"])?;
    // The reference listing: the deployment as backed up (servers' logs and state excluded).
    s.before = listing(&demo.sample.sysroot)?;
    let mut detail = format!("{} paths in the deployment", s.before.len());
    if std::env::var_os(CORRUPT_KNOB).is_some_and(|v| v == "1") {
        let damaged = corrupt_a_pack(&demo.repo)?;
        say(&format!(
            "    (test knob {CORRUPT_KNOB}: flipped one byte of {})",
            damaged.display()
        ));
        detail.push_str(" (a pack was then damaged on purpose)");
    }
    Ok(detail)
}

fn step_check(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    must(demo, &["check", "--read-data"])?;
    Ok("every pack read and verified".into())
}

fn step_update(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    let report = sample::simulate_failed_update(&demo.sample)?;
    Ok(format!(
        "{} -> {}: {} added, {} changed, {} removed",
        report.from.offering_version,
        report.to.offering_version,
        report.added.len(),
        report.changed.len(),
        report.removed.len()
    ))
}

fn step_gate(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    let r = demo.cnx(&["restore", "latest", "--only", "provision"])?;
    say("    the refusal, as an administrator sees it:");
    say(&tail(&r.stderr, 8));
    if r.code != 3 {
        bail!("expected a refusal (exit 3), got exit {}", r.code);
    }
    Ok("refused with exit 3, nothing touched".into())
}

fn step_restore(demo: &Demo, _: &mut State) -> anyhow::Result<String> {
    let r = demo.cnx(&["--json", "restore", "latest", "--stop"])?;
    if r.code != 0 {
        if r.stderr.contains("unexpected argument") {
            bail!("not available in this build:\n{}", tail(&r.stderr, 4));
        }
        bail!(
            "`cnxbackup restore latest --stop` exited with {}:\n{}",
            r.code,
            tail(&r.stderr, 12)
        );
    }
    Ok(format!(
        "databases and files restored{}",
        pre_restore_note(&r.stdout)
    ))
}

/// What the restore saved of the failed state first (its report's `pre_restore`).
fn pre_restore_note(report: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(report).unwrap_or_default();
    let p = &doc["pre_restore"];
    let (Some(id), Some(files), Some(added)) = (
        p["snapshot"].as_str(),
        p["files"].as_u64(),
        p["bytes_added"].as_u64(),
    ) else {
        return String::new();
    };
    format!(
        "; the failed state was saved first: pre-restore snapshot {} ({files} files, {} added \
         to the repository)",
        id.get(..8).unwrap_or(id),
        crate::ui::format::bytes(added)
    )
}

fn step_verify_files(demo: &Demo, s: &mut State) -> anyhow::Result<String> {
    let after = listing(&demo.sample.sysroot)?;
    let diffs = differences(&s.before, &after);
    if !diffs.is_empty() {
        let shown: Vec<&String> = diffs.iter().take(10).collect();
        bail!(
            "{} differences, e.g.:\n{}",
            diffs.len(),
            shown
                .iter()
                .map(|d| format!("    {d}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Ok(format!(
        "{} paths identical (type, size, mode, mtime, content hash)",
        after.len()
    ))
}

fn step_verify_version(demo: &Demo, s: &mut State) -> anyhow::Result<String> {
    let now = discovered_version(demo)?;
    match &s.version {
        Some(v) if *v == now => Ok(format!("Connections {}", show_version(v))),
        Some(v) => bail!("version is {}, was {}", show_version(&now), show_version(v)),
        None => bail!("no version from the first discovery"),
    }
}

/// One path of the deployment as compared before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: char,
    size: u64,
    mode: u32,
    mtime_ns: i64,
    hash: String,
}

/// Not the deployment's: the stand-ins' own logs and state, the database state (restored
/// by the vendor tool and compared by it), and each profile's temp/wstemp (emptied by the
/// restore by design). The restore tests compare sample trees by the same rule.
pub fn volatile(rel: &str) -> bool {
    rel.starts_with(sample::LOG_DIR)
        || rel.starts_with(sample::STATE_DIR)
        || rel.starts_with(sample::DB_STATE_DIR)
        || rel.ends_with("/temp")
        || rel.ends_with("/wstemp")
        || rel.contains("/temp/")
        || rel.contains("/wstemp/")
}

fn listing(root: &Path) -> anyhow::Result<BTreeMap<String, Entry>> {
    let mut out = BTreeMap::new();
    walk(root, "", &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut BTreeMap<String, Entry>) -> anyhow::Result<()> {
    let rd = std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))?;
    for e in rd {
        let e = e?;
        let r = format!("{rel}/{}", e.file_name().to_string_lossy());
        if volatile(&r) {
            continue;
        }
        let p = e.path();
        let m = std::fs::symlink_metadata(&p)?;
        let ft = m.file_type();
        let (kind, hash) = if ft.is_symlink() {
            let target = std::fs::read_link(&p)?;
            (
                'l',
                blake3::hash(target.as_os_str().as_encoded_bytes())
                    .to_hex()
                    .to_string(),
            )
        } else if ft.is_dir() {
            ('d', String::new())
        } else if ft.is_file() {
            let mut hasher = blake3::Hasher::new();
            let mut f =
                std::fs::File::open(&p).with_context(|| format!("reading {}", p.display()))?;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                hasher.update(&buf[..n]);
            }
            ('f', hasher.finalize().to_hex().to_string())
        } else {
            ('o', String::new())
        };
        out.insert(
            r.clone(),
            Entry {
                kind,
                size: if kind == 'd' { 0 } else { m.len() },
                mode: m.mode(),
                mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
                hash,
            },
        );
        if kind == 'd' {
            walk(&p, &r, out)?;
        }
    }
    Ok(())
}

fn differences(a: &BTreeMap<String, Entry>, b: &BTreeMap<String, Entry>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, x) in a {
        match b.get(k) {
            None => out.push(format!("missing after the restore: {k}")),
            Some(y) if x != y => {
                let mut what = Vec::new();
                if x.kind != y.kind {
                    what.push("type");
                }
                if x.size != y.size {
                    what.push("size");
                }
                if x.mode != y.mode {
                    what.push("mode");
                }
                if x.mtime_ns != y.mtime_ns {
                    what.push("mtime");
                }
                if x.hash != y.hash {
                    what.push("content");
                }
                out.push(format!("changed: {k} ({})", what.join(", ")));
            }
            _ => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("not in the original: {k}"));
    }
    out
}

/// Flips one byte in the middle of the largest pack file (test knob only).
fn corrupt_a_pack(repo: &Path) -> anyhow::Result<PathBuf> {
    let mut largest: Option<(u64, PathBuf)> = None;
    let mut stack = vec![repo.join("packs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let e = e?;
            let m = e.metadata()?;
            if m.is_dir() {
                stack.push(e.path());
            } else if largest.as_ref().is_none_or(|(n, _)| m.len() > *n) {
                largest = Some((m.len(), e.path()));
            }
        }
    }
    let Some((len, path)) = largest else {
        bail!("no pack under {}", repo.join("packs").display());
    };
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)?;
    let at = len / 2;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(&mut b)?;
    b[0] ^= 0xff;
    f.seek(SeekFrom::Start(at))?;
    f.write_all(&b)?;
    Ok(path)
}

fn print_summary(steps: &[StepResult], total: Duration) {
    let w = steps.iter().map(|s| s.step.len()).max().unwrap_or(4).max(4);
    say("");
    say(&format!(
        "{:<w$}  {:<7}  {:>9}",
        "step", "result", "duration"
    ));
    say(&format!("{:-<w$}  {:-<7}  {:->9}", "", "", ""));
    for s in steps {
        say(&format!(
            "{:<w$}  {:<7}  {:>8.1}s",
            s.step,
            s.result,
            s.duration_ms as f64 / 1000.0
        ));
    }
    say(&format!(
        "{:<w$}  {:<7}  {:>8.1}s",
        "total",
        "",
        total.as_secs_f64()
    ));
}
