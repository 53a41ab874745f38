//! A declared component's restore: its recorded version compared with what the version
//! command says now ([`check_version`], part of the restore's version gate), then its
//! restore command fed the stored stdout on stdin (checked against the recorded SHA-256), or
//! given the stored directory, restored first into a private directory.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::backup::{current_version, invocation};
use super::config::{Declared, OutputKind};
use super::error::DeclaredError;
use crate::databases::HashingReader;
use crate::manifest::{DeclaredRecord, DECLARED_DATA, DECLARED_STREAM};

/// What a restore did with one declared component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeclaredResult {
    /// The component.
    pub name: String,
    /// `restored`, `would_restore` or `failed`.
    pub status: String,
    /// The restore command (secrets masked).
    pub command: String,
    /// Bytes fed to it (stdout) or restored for it (directory).
    pub bytes: u64,
    /// What failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Where the restore reads from and stages directories.
pub struct RestoreFrom<'a> {
    /// The repository.
    pub repo: &'a vault::Repository,
    /// The snapshot.
    pub snapshot: &'a vault::Snapshot,
    /// A private directory for a directory component's data (`database.staging_dir`).
    pub staging: &'a Path,
}

/// The configured component a record needs to be restored, with its restore command:
/// refused (with what to do by hand) when the configuration lacks either.
pub fn configured<'c>(
    rec: &DeclaredRecord,
    config: &'c [Declared],
) -> Result<&'c Declared, DeclaredError> {
    let by_hand = format!(
        "restore it by hand from {} in the snapshot (cnxbackup dump SNAPSHOT {}/{})",
        rec.stored_as,
        rec.stored_as,
        match rec.output {
            OutputKind::Stdout => DECLARED_STREAM,
            OutputKind::Directory => DECLARED_DATA,
        }
    );
    let c = config
        .iter()
        .find(|c| c.name == rec.name)
        .ok_or_else(|| DeclaredError::Config {
            key: format!("component {:?}", rec.name),
            message: format!("not declared in this configuration's [[component]]: {by_hand}"),
        })?;
    if c.restore.is_none() {
        return Err(DeclaredError::Config {
            key: format!("component {:?}: restore", rec.name),
            message: format!("no restore command is configured: {by_hand}"),
        });
    }
    Ok(c)
}

/// The version gate of one component: its version command's output now must be the one
/// the backup recorded (unless `allow_mismatch`: then the difference is returned as a
/// warning).
pub fn check_version(
    rec: &DeclaredRecord,
    c: &Declared,
    allow_mismatch: bool,
) -> Result<Option<String>, DeclaredError> {
    let Some(recorded) = &rec.version else {
        return Ok(None);
    };
    let current = current_version(c)?.unwrap_or_default();
    if current == *recorded {
        return Ok(None);
    }
    if allow_mismatch {
        return Ok(Some(format!(
            "component {:?}: restoring data of version {recorded:?} onto {current:?} \
             (--allow-version-mismatch)",
            rec.name
        )));
    }
    Err(DeclaredError::VersionMismatch {
        name: rec.name.clone(),
        recorded: recorded.clone(),
        current,
    })
}

/// Restores one component (a dry run only names the command).
pub fn restore(
    rec: &DeclaredRecord,
    c: &Declared,
    from: &RestoreFrom<'_>,
    dry_run: bool,
) -> DeclaredResult {
    let mut result = DeclaredResult {
        name: rec.name.clone(),
        status: "failed".into(),
        command: String::new(),
        bytes: 0,
        error: None,
    };
    let outcome = match restore_words(c) {
        Ok(words) => {
            result.command = invocation(c, "restore", words.clone(), None)
                .spec()
                .map(|s| s.display())
                .unwrap_or_else(|_| words.join(" "));
            if dry_run {
                result.status = "would_restore".into();
                return result;
            }
            match rec.output {
                OutputKind::Stdout => feed_stream(rec, c, words, from),
                OutputKind::Directory => give_directory(rec, c, words, from),
            }
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(bytes) => {
            result.status = "restored".into();
            result.bytes = bytes;
        }
        Err(e) => result.error = Some(e.to_string()),
    }
    result
}

fn restore_words(c: &Declared) -> Result<Vec<String>, DeclaredError> {
    match &c.restore {
        Some(cmd) => cmd.words(&format!("component {:?}: restore", c.name)),
        None => Err(DeclaredError::Config {
            key: format!("component {:?}: restore", c.name),
            message: "no restore command is configured".into(),
        }),
    }
}

/// The stored stdout, from the snapshot through a pipe into the restore command's stdin;
/// what it read must hash to the recorded SHA-256.
fn feed_stream(
    rec: &DeclaredRecord,
    c: &Declared,
    words: Vec<String>,
    from: &RestoreFrom<'_>,
) -> Result<u64, DeclaredError> {
    let stored = format!("{}/{DECLARED_STREAM}", rec.stored_as);
    let snapshot_error = |message: String| DeclaredError::Snapshot {
        name: rec.name.clone(),
        stored: stored.clone(),
        message,
    };
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| snapshot_error(format!("pipe: {e}")))?;
    let (mut reader, writer) = (std::fs::File::from(r), std::fs::File::from(w));
    let inv = invocation(c, "restore", words, None);
    let (ran, sha) = std::thread::scope(|s| {
        let feeder = s.spawn(|| {
            let mut w = writer;
            vault::restore::dump_file(from.repo, from.snapshot, Path::new(&stored), &mut w)
        });
        let mut hashing = HashingReader::new(&mut reader);
        let ran = inv.run_stdin_from(&mut hashing);
        let sha = hashing.finish();
        drop(reader);
        let fed = feeder.join();
        (
            match fed {
                Ok(Ok(_)) => ran,
                Ok(Err(e)) => Err(snapshot_error(e.to_string())),
                Err(_) => Err(snapshot_error("the thread feeding it panicked".into())),
            },
            sha,
        )
    });
    let (_, bytes) = ran?;
    match &rec.sha256 {
        Some(expected) if *expected != sha.0 => Err(snapshot_error(format!(
            "what was read has SHA-256 {}, the backup recorded {expected}",
            sha.0
        ))),
        _ => Ok(bytes),
    }
}

/// The stored directory, restored into a private directory under the staging directory,
/// handed to the restore command, removed after.
fn give_directory(
    rec: &DeclaredRecord,
    c: &Declared,
    words: Vec<String>,
    from: &RestoreFrom<'_>,
) -> Result<u64, DeclaredError> {
    let stored = format!("{}/{DECLARED_DATA}", rec.stored_as);
    let dir: PathBuf = from.staging.join(format!(
        "restore-component-{}-{}",
        rec.name,
        vault::now_unix_ns()
    ));
    let result = (|| {
        std::fs::create_dir_all(&dir).map_err(|source| DeclaredError::Io {
            what: format!("component {:?}: its restore directory", rec.name),
            path: dir.clone(),
            source,
        })?;
        let opts = vault::restore::RestoreOptions {
            subtree: Some(PathBuf::from(&stored)),
            mirror: true,
            confine_to: Some(dir.clone()),
            ..vault::restore::RestoreOptions::default()
        };
        let outcome =
            vault::restore::restore(from.repo, from.snapshot, &dir, &opts).map_err(|e| {
                DeclaredError::Snapshot {
                    name: rec.name.clone(),
                    stored: stored.clone(),
                    message: e.to_string(),
                }
            })?;
        if let Some(d) = outcome.damaged.first() {
            return Err(DeclaredError::Snapshot {
                name: rec.name.clone(),
                stored: stored.clone(),
                message: format!(
                    "{} damaged entries, first {}: {}",
                    outcome.damaged.len(),
                    d.path,
                    d.reason
                ),
            });
        }
        invocation(c, "restore", words, Some(&dir)).run()?;
        Ok(rec.bytes)
    })();
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove a declared component's restore directory");
        }
    }
    result
}
