//! Databases first: each image goes back through the vendor's restore command.
//!
//! Staged images (DB2, SQL Server, Oracle) are streamed out of the snapshot into a private
//! directory below the staging directory, checked against the SHA-256 recorded at backup
//! time, handed to the tool, and removed afterwards. A `command` vendor dump is never
//! staged: it is streamed from the snapshot straight into the restore command's stdin.

use std::fs;
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::databases::{
    build_tool, DatabaseTarget, DatabaseTool, ImageRecord, RestoreSource, ToolConfig,
};
use crate::manifest::{DatabaseRecord, Manifest};
use crate::procedure::{Item, Scope};

/// How one database restore went.
#[derive(Debug, Clone, Serialize)]
pub struct DatabaseResult {
    /// Database.
    pub database: String,
    /// Vendor.
    pub vendor: String,
    /// The backup's vendor timestamp.
    pub vendor_timestamp: Option<String>,
    /// `restored`, `would_restore` (dry run), `failed`, `skipped`.
    pub status: String,
    /// Commands run (or that would run), secrets masked.
    pub commands: Vec<String>,
    /// Bytes of image read from the snapshot.
    pub bytes: u64,
    /// Wall time.
    pub duration_ms: u64,
    /// What went wrong, or why skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Warnings from the tool.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

fn target_of(rec: &DatabaseRecord, image: &ImageRecord) -> DatabaseTarget {
    let mut t = DatabaseTarget::named(rec.database.clone());
    if let Some(s) = image.details.get("schemas") {
        t.schemas = s
            .split(',')
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect();
    }
    t
}

fn tool_for(cfg: &ToolConfig, image: &ImageRecord) -> Result<Box<dyn DatabaseTool>, String> {
    let mut cfg = cfg.clone();
    match cfg.vendor {
        None => cfg.vendor = Some(image.vendor),
        Some(v) if v != image.vendor => {
            return Err(format!(
                "the image was made with vendor {}, but database.vendor is {v}",
                image.vendor
            ))
        }
        Some(_) => {}
    }
    build_tool(&cfg).map_err(|e| e.to_string())
}

/// The databases the snapshot holds images of, in manifest order.
pub fn restorable(m: &Manifest) -> Vec<(&DatabaseRecord, &ImageRecord)> {
    m.databases
        .iter()
        .filter_map(|d| d.image.as_ref().map(|i| (d, i)))
        .collect()
}

/// Lists the restore commands without running anything.
pub fn plan(m: &Manifest, cfg: &ToolConfig) -> Vec<DatabaseResult> {
    restorable(m)
        .into_iter()
        .map(|(rec, image)| {
            let dir = cfg.staging_dir.join("restore-<run>");
            let (commands, message) = match tool_for(cfg, image) {
                Ok(tool) => (
                    tool.restore_commands(&target_of(rec, image), image, &dir),
                    None,
                ),
                Err(e) => (Vec::new(), Some(e)),
            };
            DatabaseResult {
                database: rec.database.clone(),
                vendor: image.vendor.to_string(),
                vendor_timestamp: image.vendor_timestamp.clone(),
                status: if message.is_some() {
                    "failed".into()
                } else {
                    "would_restore".into()
                },
                commands,
                bytes: image.bytes,
                duration_ms: 0,
                message,
                warnings: Vec::new(),
            }
        })
        .collect()
}

/// Restores every database; stops at the first failure (the remaining ones are reported
/// as skipped) so that the files are not restored over half-restored databases.
pub fn restore_all(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    m: &Manifest,
    cfg: &ToolConfig,
    s: &mut Scope<'_, '_>,
) -> Vec<DatabaseResult> {
    let mut out = Vec::new();
    let mut failed = false;
    let images = restorable(m);
    let total = images.len();
    for (i, (rec, image)) in images.into_iter().enumerate() {
        let mut r = DatabaseResult {
            database: rec.database.clone(),
            vendor: image.vendor.to_string(),
            vendor_timestamp: image.vendor_timestamp.clone(),
            status: "skipped".into(),
            commands: Vec::new(),
            bytes: 0,
            duration_ms: 0,
            message: None,
            warnings: Vec::new(),
        };
        if failed {
            r.message = Some("not attempted: an earlier database restore failed".into());
            out.push(r);
            continue;
        }
        let started = Instant::now();
        tracing::info!("database {}: restoring", rec.database);
        match restore_one(repo, snapshot, rec, image, cfg) {
            Ok((record, bytes)) => {
                r.status = "restored".into();
                r.commands = record.commands;
                r.warnings = record.warnings;
                r.bytes = bytes;
            }
            Err(e) => {
                failed = true;
                r.status = "failed".into();
                r.message = Some(e);
            }
        }
        r.duration_ms = crate::clock::millis(started);
        s.progress(Item {
            bytes: Some(r.bytes),
            ..Item::new(&rec.database, i + 1, total, &r.status)
        });
        out.push(r);
    }
    out
}

fn restore_one(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    rec: &DatabaseRecord,
    image: &ImageRecord,
    cfg: &ToolConfig,
) -> Result<(crate::databases::RestoreRecord, u64), String> {
    let tool = tool_for(cfg, image)?;
    let target = target_of(rec, image);
    if rec.stored_paths.len() != image.files.len() {
        return Err(format!(
            "the manifest lists {} image file(s) but {} stored path(s)",
            image.files.len(),
            rec.stored_paths.len()
        ));
    }
    if image.streamed {
        return restore_streamed(repo, snapshot, rec, image, tool.as_ref(), &target);
    }
    let dir = cfg
        .staging_dir
        .join(format!("restore-{}-{}", rec.database, vault::now_unix_ns()));
    let result = (|| {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(user) = &cfg.run_as {
            give_to(&dir, user)?;
        }
        let mut bytes = 0;
        for (file, stored) in image.files.iter().zip(&rec.stored_paths) {
            bytes += extract(
                repo,
                snapshot,
                Path::new(stored),
                &dir,
                &file.name,
                &file.sha256,
            )?;
            if let Some(user) = &cfg.run_as {
                give_to(&dir.join(&file.name), user)?;
            }
        }
        let record = tool
            .restore(&target, image, RestoreSource::Staged(&dir))
            .map_err(|e| e.to_string())?;
        Ok((record, bytes))
    })();
    if let Err(e) = fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove the restore staging directory");
        }
    }
    result
}

/// Writes one image file out of the snapshot into `dir/name` (mode 0600) and checks its
/// SHA-256 against the backup's record.
fn extract(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    stored: &Path,
    dir: &Path,
    name: &str,
    sha256: &str,
) -> Result<u64, String> {
    if name.contains('/') || name == ".." || name.is_empty() {
        return Err(format!("image file name {name:?} is not a plain file name"));
    }
    let path: PathBuf = dir.join(name);
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = HashWriter {
        inner: BufWriter::new(file),
        hasher: Sha256::new(),
    };
    let n = vault::restore::dump_file(repo, snapshot, stored, &mut w)
        .map_err(|e| format!("reading {} from the snapshot: {e}", stored.display()))?;
    w.inner
        .flush()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let got = hex::encode(w.hasher.finalize());
    if got != sha256 {
        return Err(format!(
            "{}: SHA-256 {got}, the backup recorded {sha256}",
            stored.display()
        ));
    }
    Ok(n)
}

struct HashWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `command` vendor: the dump goes from the snapshot into the restore command's stdin
/// through a pipe, never touching the disk. The tool checks the SHA-256 of what it read.
fn restore_streamed(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    rec: &DatabaseRecord,
    image: &ImageRecord,
    tool: &dyn DatabaseTool,
    target: &DatabaseTarget,
) -> Result<(crate::databases::RestoreRecord, u64), String> {
    let Some(stored) = rec.stored_paths.first() else {
        return Err("the manifest names no stored dump".into());
    };
    let (r, w) = nix::unistd::pipe().map_err(|e| format!("pipe: {e}"))?;
    let (mut reader, writer) = (std::fs::File::from(r), std::fs::File::from(w));
    std::thread::scope(|s| {
        let feeder = s.spawn(move || {
            let mut w = writer;
            // the write end is dropped at the end of this closure: the tool sees EOF
            vault::restore::dump_file(repo, snapshot, Path::new(stored), &mut w)
        });
        let result = tool.restore(target, image, RestoreSource::Stream(&mut reader));
        // unblock the feeder if the tool stopped reading early
        drop(reader);
        let fed = feeder
            .join()
            .map_err(|_| "the thread feeding the dump panicked".to_string())?;
        match (result, fed) {
            (Ok(record), Ok(n)) => Ok((record, n)),
            (Err(e), _) => Err(e.to_string()),
            (Ok(_), Err(e)) => Err(format!("reading {stored} from the snapshot failed: {e}")),
        }
    })
}

/// Gives `path` to `user` (the database tool reads the images as that user).
fn give_to(path: &Path, user: &str) -> Result<(), String> {
    let Some(u) = nix::unistd::User::from_name(user).map_err(|e| format!("user {user}: {e}"))?
    else {
        return Err(format!("database.run_as user {user} does not exist"));
    };
    if nix::unistd::geteuid().is_root() {
        nix::unistd::chown(path, Some(u.uid), Some(u.gid))
            .map_err(|e| format!("chown {}: {e}", path.display()))?;
    }
    Ok(())
}
