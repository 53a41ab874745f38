//! A declared component's backup: its version command, then its backup command, each in
//! the component's staging directory with its transcript. The stdout is written to
//! [`DECLARED_STREAM`] (hashed as it goes), or the command fills [`DECLARED_DATA`]; the
//! directory then goes into the snapshot as [`declared_dir`]. A failed command leaves only
//! the transcript: partial data is not a backup.

use std::fs::File;
use std::io::BufWriter;
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::config::{Declared, OutputKind};
use super::error::DeclaredError;
use super::runner::Invocation;
use crate::databases::HashingWriter;
use crate::manifest::{
    declared_dir, DeclaredRecord, StepStatus, DECLARED_DATA, DECLARED_STREAM, DECLARED_TRANSCRIPT,
};
use crate::process::Transcript;

/// The longest version text recorded (a version command that prints a page is cut).
const VERSION_LIMIT: usize = 2000;

/// One declared component's staged backup: its record and its staging directory.
#[derive(Debug)]
pub struct StagedComponent {
    /// The record for the manifest (failed: with the error).
    pub record: DeclaredRecord,
    /// Its staging directory (what the snapshot stores as [`declared_dir`]), when it
    /// could be made.
    pub dir: Option<PathBuf>,
}

/// The invocation of one of a component's commands.
pub(crate) fn invocation<'a>(
    c: &'a Declared,
    which: &str,
    words: Vec<String>,
    dir: Option<&'a Path>,
) -> Invocation<'a> {
    Invocation {
        what: format!("component {:?} {which}", c.name),
        words,
        env: c
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain([("CNXBACKUP_COMPONENT".to_string(), c.name.clone())])
            .collect(),
        secret_env_files: &c.secret_env_files,
        dir,
        timeout: c.timeout(),
    }
}

/// Every command a component's backup and restore would run, for preflight: what cannot
/// run is a problem found before anything is touched.
pub fn preflight(c: &Declared) -> Vec<String> {
    let mut problems = Vec::new();
    for (which, cmd) in [("backup", Some(&c.backup)), ("version", c.version.as_ref())] {
        let Some(cmd) = cmd else { continue };
        match cmd.words(&format!("component {:?}: {which}", c.name)) {
            Ok(words) => problems.extend(invocation(c, which, words, None).check()),
            Err(e) => problems.push(e.to_string()),
        }
    }
    problems
}

/// Runs the component's version and backup commands into `staging/<name>/`.
pub fn back_up(c: &Declared, staging: &Path) -> StagedComponent {
    let started = Instant::now();
    let dir = staging.join(&c.name);
    let mut record = DeclaredRecord {
        name: c.name.clone(),
        when: c.when,
        output: c.output,
        status: StepStatus::Failed,
        version: None,
        command: String::new(),
        stored_as: declared_dir(&c.name),
        bytes: 0,
        sha256: None,
        duration_ms: 0,
        log: None,
        error: None,
    };
    if let Err(e) = fresh_dir(&dir) {
        record.error = Some(
            DeclaredError::Io {
                what: format!("component {:?}: its staging directory", c.name),
                path: dir,
                source: e,
            }
            .to_string(),
        );
        return StagedComponent { record, dir: None };
    }
    let outcome = {
        let _transcript = Transcript::to_file(&dir.join(DECLARED_TRANSCRIPT));
        run_commands(c, &dir, &mut record)
    };
    match outcome {
        Ok(()) => record.status = StepStatus::Ok,
        Err(e) => {
            discard_data(&dir);
            record.error = Some(e.to_string());
        }
    }
    record.duration_ms = crate::clock::millis(started);
    StagedComponent {
        record,
        dir: Some(dir),
    }
}

/// The version command, then the backup command; fills in the record.
fn run_commands(c: &Declared, dir: &Path, r: &mut DeclaredRecord) -> Result<(), DeclaredError> {
    r.version = current_version(c)?;
    let words = c.backup.words(&format!("component {:?}: backup", c.name))?;
    match c.output {
        OutputKind::Stdout => {
            let path = dir.join(DECLARED_STREAM);
            let io = |source| DeclaredError::Io {
                what: format!("component {:?}: writing its stdout", c.name),
                path: path.clone(),
                source,
            };
            let mut file = BufWriter::new(File::create(&path).map_err(io)?);
            let inv = invocation(c, "backup", words, None);
            r.command = inv.spec()?.display();
            let mut hashing = HashingWriter::new(&mut file);
            inv.run_stdout_to(&mut hashing)?;
            let (sha, bytes) = hashing.finish();
            file.into_inner().map_err(|e| io(e.into_error()))?;
            r.sha256 = Some(sha);
            r.bytes = bytes;
        }
        OutputKind::Directory => {
            let data = dir.join(DECLARED_DATA);
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&data)
                .map_err(|source| DeclaredError::Io {
                    what: format!("component {:?}: its data directory", c.name),
                    path: data.clone(),
                    source,
                })?;
            let inv = invocation(c, "backup", words, Some(&data));
            r.command = inv.spec()?.display();
            inv.run()?;
            r.bytes = tree_bytes(&data);
        }
    }
    Ok(())
}

/// What the component's version command prints now (trimmed), if it has one.
pub(crate) fn current_version(c: &Declared) -> Result<Option<String>, DeclaredError> {
    let Some(cmd) = &c.version else {
        return Ok(None);
    };
    let words = cmd.words(&format!("component {:?}: version", c.name))?;
    let out = invocation(c, "version", words, None).run()?;
    let mut text = out.stdout.trim().to_string();
    if text.len() > VERSION_LIMIT {
        let mut cut = VERSION_LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    Ok(Some(text))
}

/// An empty directory at `dir` (what an earlier attempt left is removed), mode 0700.
fn fresh_dir(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Removes the data of a failed backup; the transcript stays.
fn discard_data(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(DECLARED_STREAM));
    let _ = std::fs::remove_dir_all(dir.join(DECLARED_DATA));
}

/// Bytes of the regular files under `dir` (symbolic links not followed).
fn tree_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::declared::config::{CommandLine, When};
    use std::collections::BTreeMap;

    pub(crate) fn component(name: &str, backup: &[&str], output: OutputKind) -> Declared {
        Declared {
            name: name.into(),
            backup: CommandLine::Words(backup.iter().map(|s| s.to_string()).collect()),
            restore: None,
            version: Some(CommandLine::Line("echo 7.1.2".into())),
            when: When::Running,
            output,
            timeout_secs: Some(5),
            env: BTreeMap::new(),
            secret_env_files: BTreeMap::new(),
        }
    }

    #[test]
    fn stdout_is_staged_hashed_and_versioned() {
        let d = tempfile::tempdir().unwrap();
        let c = component("app", &["printf", "hello"], OutputKind::Stdout);
        let s = back_up(&c, d.path());
        assert_eq!(s.record.status, StepStatus::Ok, "{:?}", s.record.error);
        assert_eq!(s.record.version.as_deref(), Some("7.1.2"));
        assert_eq!(s.record.bytes, 5);
        let dir = s.dir.unwrap();
        assert_eq!(std::fs::read(dir.join(DECLARED_STREAM)).unwrap(), b"hello");
        let transcript = std::fs::read_to_string(dir.join(DECLARED_TRANSCRIPT)).unwrap();
        assert!(transcript.contains("printf hello"), "{transcript}");
        assert_eq!(s.record.stored_as, "/.cnxbackup/components/app");
    }

    #[test]
    fn a_directory_is_filled_and_a_failure_keeps_only_the_transcript() {
        let d = tempfile::tempdir().unwrap();
        let c = component(
            "files",
            &["sh", "-c", "echo abc > \"$CNXBACKUP_COMPONENT_DIR/a.txt\""],
            OutputKind::Directory,
        );
        let s = back_up(&c, d.path());
        assert_eq!(s.record.status, StepStatus::Ok, "{:?}", s.record.error);
        assert_eq!(s.record.bytes, 4);
        let bad = component(
            "bad",
            &[
                "sh",
                "-c",
                "printf partial; echo 'no route to host' >&2; exit 2",
            ],
            OutputKind::Stdout,
        );
        let s = back_up(&bad, d.path());
        assert_eq!(s.record.status, StepStatus::Failed);
        let err = s.record.error.unwrap();
        assert!(
            err.contains("no route to host") && err.contains("exit code 2"),
            "{err}"
        );
        let dir = s.dir.unwrap();
        assert!(!dir.join(DECLARED_STREAM).exists());
        assert!(dir.join(DECLARED_TRANSCRIPT).is_file());
    }

    #[test]
    fn the_timeout_ends_a_hanging_backup() {
        let d = tempfile::tempdir().unwrap();
        let mut c = component("slow", &["sleep", "60"], OutputKind::Stdout);
        c.timeout_secs = Some(1);
        let started = Instant::now();
        let s = back_up(&c, d.path());
        assert_eq!(s.record.status, StepStatus::Failed);
        assert!(s.record.error.unwrap().contains("timed out"));
        assert!(started.elapsed().as_secs() < 10);
    }
}
