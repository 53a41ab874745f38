//! Helpers for the `backup` procedure tests: a sample deployment, a fresh repository, a
//! config file for the sample's stand-ins, and readers for the snapshot written.
#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use runbook::manifest::{Manifest, MANIFEST_PATH};
use sample::{BuildOptions, DbVendor, Sample, Variant};
use serde_json::Value;
use vault::tree::{decode_tree, ContentPart, EntryKind};
use vault::{BlobId, BlobKind, InitOptions, KdfParams, Repository, Snapshot, Storage};

pub const PASSWORD: &str = "repo-password";

/// A sample, a repository and the settings to back one up into the other.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub sample: Sample,
    pub repo_dir: PathBuf,
    pub staging: PathBuf,
    pub was_password: String,
    /// Overrides `database.command` (product path).
    pub db_command: Option<String>,
    /// Oracle through Data Pump, configured as an administrator would (a password file,
    /// the DIRECTORY's path), instead of the `command` vendor's stream.
    pub oracle_data_pump: bool,
    /// Appended to the configuration (further sections, e.g. `[snapshot]`).
    pub extra_config: String,
}

impl Harness {
    pub fn new(variant: Variant) -> Harness {
        Harness::with(variant, &BuildOptions::default(), None)
    }

    /// A sample built with `opts`, the repository in `repo_dir` (default: inside the
    /// harness directory).
    pub fn with(variant: Variant, opts: &BuildOptions, repo_dir: Option<PathBuf>) -> Harness {
        let dir = tempfile::tempdir_in(sample::preferred_temp_root()).unwrap();
        Harness::in_dir(dir, variant, opts, repo_dir)
    }

    /// A sample (default options) whose harness directory is inside `parent` (a file system
    /// of the test's choosing).
    pub fn within(variant: Variant, parent: &Path) -> Harness {
        let dir = tempfile::tempdir_in(parent).unwrap();
        Harness::in_dir(dir, variant, &BuildOptions::default(), None)
    }

    fn in_dir(
        dir: tempfile::TempDir,
        variant: Variant,
        opts: &BuildOptions,
        repo_dir: Option<PathBuf>,
    ) -> Harness {
        let sample = sample::build(variant, &dir.path().join("root"), opts).unwrap();
        let repo_dir = repo_dir.unwrap_or_else(|| dir.path().join("repo"));
        let opts = InitOptions {
            kdf: KdfParams::insecure_fast(),
            ..InitOptions::default()
        };
        Repository::init(Storage::local(&repo_dir).unwrap(), PASSWORD, &opts).unwrap();
        let was_password = sample.expected.was.admin.password().to_string();
        Harness {
            staging: dir.path().join("staging"),
            dir,
            sample,
            repo_dir,
            was_password,
            db_command: None,
            oracle_data_pump: false,
            extra_config: String::new(),
        }
    }

    /// Whether the database tool stages images (all but the `command` vendor).
    pub fn staged(&self) -> bool {
        self.sample.expected.db_tools.vendor != DbVendor::Oracle || self.oracle_data_pump
    }

    fn config(&self) -> String {
        let e = &self.sample.expected;
        let mut c = format!(
            "[repository]\nurl = {:?}\n\n[websphere]\nusername = {:?}\nstop_timeout_secs = 20\n\n[database]\nstaging_dir = {:?}\n",
            self.repo_dir.display().to_string(),
            e.was.admin.username,
            self.staging.display().to_string()
        );
        match e.db_tools.vendor {
            DbVendor::Oracle if self.oracle_data_pump => {
                let t = &e.db_tools;
                let pw = self.dir.path().join("db.password");
                std::fs::write(&pw, format!("{}\n", t.password().unwrap())).unwrap();
                std::fs::set_permissions(&pw, std::os::unix::fs::PermissionsExt::from_mode(0o600))
                    .unwrap();
                let (directory, dpath) = t.oracle_directory.clone().unwrap();
                c.push_str(&format!(
                    "vendor = \"oracle\"\ncommand = {:?}\nusername = {:?}\npassword_file = {:?}\n\
                     oracle_directory = {directory:?}\noracle_directory_path = {:?}\n",
                    t.command,
                    t.username.clone().unwrap(),
                    pw.display().to_string(),
                    self.sample.real_path(&dpath).display().to_string()
                ));
            }
            DbVendor::Oracle => {
                // Data Pump needs the DIRECTORY's path on this machine, which the
                // configuration does not carry yet: the Oracle sample is dumped through the
                // `command` vendor instead (its database state directory as a tar stream).
                let state = self.sample.db_state_dir(&e.databases[0].name);
                let parent = state.parent().unwrap().display().to_string();
                c.push_str(&format!(
                    "vendor = \"command\"\ndump_command = \"tar -C {parent} -cf - {{database}}\"\nrestore_command = \"tar -C {parent} -xf -\"\n"
                ));
            }
            vendor => {
                let command = self
                    .db_command
                    .clone()
                    .unwrap_or(e.db_tools.command.clone());
                c.push_str(&format!(
                    "vendor = {:?}\ncommand = {command:?}\n",
                    vendor.as_str()
                ));
            }
        }
        c.push_str(&self.extra_config);
        c
    }

    /// Where [`Harness::backup`] writes the configuration.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("cnxbackup.toml")
    }

    /// The binary in the harness directory with its configuration, the sample's sysroot and
    /// both passwords from the environment; nothing from the caller's environment that
    /// changes what it does.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("cnxbackup").unwrap();
        c.env_remove("CNXBACKUP_CONFIG")
            .env_remove("CNXBACKUP_SYSROOT")
            .env_remove("CNXBACKUP_REPOSITORY")
            .env_remove("CNXBACKUP_PASSWORD_FILE")
            .env("CNXBACKUP_PASSWORD", PASSWORD)
            .env("CNXBACKUP_WAS_PASSWORD", &self.was_password)
            .env("CNXBACKUP_TEST_RETRY_PAUSE_MS", "200")
            .current_dir(self.dir.path())
            .arg("--config")
            .arg(self.config_path())
            .arg("--sysroot")
            .arg(&self.sample.sysroot);
        c
    }

    /// Runs `cnxbackup backup ARGS` against the sample (writing the configuration first).
    pub fn backup(&self, args: &[&str]) -> Run {
        self.backup_with_env(args, &[])
    }

    /// [`Harness::backup`] with more environment variables (configuration keys such as
    /// `CNXBACKUP_NOTIFY_URL`).
    pub fn backup_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        std::fs::write(self.config_path(), self.config()).unwrap();
        let mut cmd = self.cmd();
        cmd.envs(env.iter().copied());
        Run::of(cmd.arg("backup").args(args).output().unwrap())
    }

    /// A `--json` backup of the running sample in which the database stand-in fails the
    /// backup of `database` (the backup goes on and ends INCOMPLETE, exit 1).
    pub fn backup_failing_database(&self, database: &str) -> Run {
        self.sample.start_all().unwrap();
        self.sample.knobs().fail_db_backup(Some(database)).unwrap();
        let run = self.backup(&["--json"]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        run
    }

    pub fn repo(&self) -> Repository {
        Repository::open(Storage::local(&self.repo_dir).unwrap(), PASSWORD).unwrap()
    }

    pub fn snapshot_count(&self) -> usize {
        self.repo().list_snapshots().unwrap().len()
    }

    pub fn snapshots(&self) -> Vec<Snapshot> {
        self.repo()
            .list_snapshots()
            .unwrap()
            .into_iter()
            .map(|(_, s)| s.unwrap())
            .collect()
    }

    pub fn snapshot(&self, id: &str) -> Snap {
        let repo = self.repo();
        let (_, snapshot) = repo.find_snapshot(id).unwrap();
        Snap { repo, snapshot }
    }

    pub fn expected_database_steps(&self) -> usize {
        self.sample.expected.databases.len()
    }

    pub fn staging_is_empty(&self) -> bool {
        !self.staging.exists() || std::fs::read_dir(&self.staging).unwrap().next().is_none()
    }

    /// Asserts every file below product path `product` (minus `excludes`) is in the
    /// listing with its size; returns how many files were checked.
    pub fn assert_tree_stored(
        &self,
        product: &str,
        excludes: &[String],
        listing: &BTreeMap<String, u64>,
    ) -> usize {
        let sys = websphere::Sysroot::new(&self.sample.sysroot).unwrap();
        let real = sys.real_path(Path::new(product)).unwrap();
        let mut n = 0;
        walk(&real, product, &mut |prod, meta| {
            if excludes.iter().any(|x| Path::new(prod).starts_with(x)) {
                return false;
            }
            let got = listing.get(prod);
            assert!(got.is_some(), "{prod} is not in the snapshot");
            if meta.is_file() {
                assert_eq!(*got.unwrap(), meta.len(), "{prod}: size");
                n += 1;
            }
            true
        });
        n
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = self.sample.knobs().clear();
        let _ = self.sample.stop_all();
    }
}

fn walk(real: &Path, product: &str, f: &mut dyn FnMut(&str, &std::fs::Metadata) -> bool) {
    let Ok(meta) = std::fs::symlink_metadata(real) else {
        return;
    };
    if !f(product, &meta) || !meta.is_dir() {
        return;
    }
    for e in std::fs::read_dir(real).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        walk(
            &e.path(),
            &format!("{}/{name}", product.trim_end_matches('/')),
            f,
        );
    }
}

/// One run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The exit code (-1: killed by a signal) and the output of a finished process.
    pub fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// The JSON lines on stdout.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// The `result` event.
    pub fn result(&self) -> Value {
        self.events()
            .into_iter()
            .find(|e| e["event"] == "result")
            .unwrap_or_else(|| panic!("no result event in {}\n{}", self.stdout, self.stderr))
    }
}

/// A snapshot and the repository holding it.
pub struct Snap {
    pub repo: Repository,
    pub snapshot: Snapshot,
}

impl Snap {
    /// Every entry: product path → size (files) or 0.
    pub fn listing(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        self.list_tree(&self.snapshot.tree, "", &mut out);
        out
    }

    fn list_tree(&self, id: &BlobId, prefix: &str, out: &mut BTreeMap<String, u64>) {
        let tree = decode_tree(&self.repo.load_blob(BlobKind::Tree, id).unwrap()).unwrap();
        for e in tree.entries {
            let path = format!("{prefix}/{}", e.display_name());
            out.insert(
                path.clone(),
                if e.kind == EntryKind::File { e.size } else { 0 },
            );
            if let Some(sub) = e.subtree {
                self.list_tree(&sub, &path, out);
            }
        }
    }

    /// The content of a file of the snapshot.
    pub fn read(&self, path: &str) -> Vec<u8> {
        let mut id = self.snapshot.tree;
        let comps: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        for (i, c) in comps.iter().enumerate() {
            let tree = decode_tree(&self.repo.load_blob(BlobKind::Tree, &id).unwrap()).unwrap();
            let e = tree
                .get(c.as_bytes())
                .unwrap_or_else(|| panic!("{path}: no {c}"))
                .clone();
            if i + 1 == comps.len() {
                let mut data = Vec::new();
                for part in e.content {
                    match part {
                        ContentPart::Data { id, .. } => {
                            data.extend(self.repo.load_blob(BlobKind::Data, &id).unwrap())
                        }
                        ContentPart::Hole { len } => data.resize(data.len() + len as usize, 0),
                    }
                }
                return data;
            }
            id = e.subtree.unwrap();
        }
        unreachable!()
    }

    pub fn manifest(&self) -> Manifest {
        Manifest::from_json(&self.read(MANIFEST_PATH)).unwrap()
    }
}
