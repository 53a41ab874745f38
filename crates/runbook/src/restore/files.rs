//! File components: each path of a component becomes an exact mirror of the snapshot.
//!
//! Every product path of the component is restored with the vault's mirror mode into its
//! real path under the target root (resolved chroot-style, so nothing lands outside the
//! target root): files the failed update added are removed, changed ones replaced,
//! unchanged ones left untouched (not rewritten), owners, modes, times and links restored.
//! Paths that belong to other components (`provision` inside `shared_data`, data roots
//! inside `connections_root`) are excluded and left exactly as they are. Below the
//! component's path the vault never crosses a symlink, so a link planted at the target
//! cannot redirect a write outside the component.
//!
//! WebSphere profiles: `temp` and `wstemp` are emptied after the restore (cached compiled
//! pages and workspace state of the failed update must not survive it) and are therefore
//! left out of the mirror and of the verification.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use vault::restore::{ChangeAction, RestoreOptions};
use websphere::Sysroot;

use super::runtime::{is_runtime, Change};
use crate::backup::store::glob_escape;
use crate::manifest::ComponentRecord;
use crate::plan::Component;

/// Components above this many bytes are not verified unless `--verify` is given.
pub const VERIFY_DEFAULT_LIMIT: u64 = 10 << 30;

/// How one path of a component went.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PathResult {
    /// Product path (= stored path).
    pub path: String,
    /// Where it was restored.
    pub real_path: String,
    /// Entries added (not at the target).
    pub added: u64,
    /// Entries replaced (different at the target).
    pub replaced: u64,
    /// Entries removed (at the target, not in the backup).
    pub removed: u64,
    /// Entries left untouched (already as in the backup).
    pub unchanged: u64,
    /// Regular files written.
    pub files_written: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Files and directories removed from `temp`/`wstemp`.
    pub temp_removed: u64,
    /// Dry run: every change (`runtime` marks the servers' own files).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Verification: files and bytes compared, and the problems found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Verified>,
    /// Entries that could not be restored intact, metadata not applied, etc.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    /// Non-fatal notes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Parent directories (product paths) this restore created at the target.
    #[serde(skip)]
    pub created_parents: Vec<String>,
}

/// The result of verifying one path against the snapshot.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verified {
    /// Files compared (size and content).
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Differences.
    pub problems: Vec<String>,
}

/// How one component went.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentResult {
    /// The component.
    pub component: Component,
    /// `restored`, `would_restore`, `failed`, `verify_failed`.
    pub status: String,
    /// Per path.
    pub paths: Vec<PathResult>,
    /// Sum over the paths.
    pub added: u64,
    /// Sum over the paths.
    pub replaced: u64,
    /// Sum over the paths.
    pub removed: u64,
    /// Sum over the paths.
    pub unchanged: u64,
    /// Files rewritten (added or replaced regular files written).
    pub files_written: u64,
    /// Of the changes, how many are runtime files of the servers (pid files, logs, temp,
    /// wstemp) rather than the update's.
    #[serde(default)]
    pub runtime: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Whether the files were verified against the snapshot.
    pub verified: bool,
    /// Wall time.
    pub duration_ms: u64,
    /// What went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ComponentResult {
    /// A component left as it is, and why.
    pub fn skipped(component: Component, why: &str) -> ComponentResult {
        ComponentResult {
            message: Some(why.to_string()),
            ..ComponentResult::new(component, "skipped")
        }
    }

    /// Nothing counted yet.
    fn new(component: Component, status: &str) -> ComponentResult {
        ComponentResult {
            component,
            status: status.to_string(),
            paths: Vec::new(),
            added: 0,
            replaced: 0,
            removed: 0,
            unchanged: 0,
            files_written: 0,
            runtime: 0,
            bytes_written: 0,
            verified: false,
            duration_ms: 0,
            message: None,
        }
    }
}

/// Settings for one component.
pub struct ComponentJob<'a> {
    /// The repository.
    pub repo: &'a vault::Repository,
    /// The snapshot.
    pub snapshot: &'a vault::Snapshot,
    /// The target root.
    pub target: &'a Sysroot,
    /// The component's record in the manifest.
    pub record: &'a ComponentRecord,
    /// Compare only, touch nothing.
    pub dry_run: bool,
    /// Verify after restoring.
    pub verify: bool,
    /// Live counters for a progress display (files and bytes written).
    pub progress: Option<std::sync::Arc<vault::Progress>>,
    /// The profile directories (product paths) whose pid files, logs, temp and wstemp are
    /// runtime files of the servers.
    pub profiles: &'a [&'a str],
}

/// Whether `c` is a WebSphere profile component (temp and wstemp are emptied).
fn is_profile(c: Component) -> bool {
    matches!(c, Component::DmgrProfile | Component::Profiles)
}

/// Restores one component.
pub fn restore_component(job: &ComponentJob<'_>) -> ComponentResult {
    let started = Instant::now();
    let c = job.record.component;
    let status = if job.dry_run {
        "would_restore"
    } else {
        "restored"
    };
    let mut result = ComponentResult {
        verified: job.verify && !job.dry_run,
        ..ComponentResult::new(c, status)
    };
    let mut failures = Vec::new();
    let mut verify_failures = 0usize;
    for path in &job.record.paths {
        tracing::info!("{c}: restoring {path}");
        let r = restore_path(job, path);
        match r {
            Ok(p) => {
                result.added += p.added;
                result.replaced += p.replaced;
                result.removed += p.removed;
                result.unchanged += p.unchanged;
                result.files_written += p.files_written;
                result.bytes_written += p.bytes_written;
                result.runtime += p.changes.iter().filter(|c| c.runtime).count() as u64;
                if !p.problems.is_empty() {
                    failures.push(format!("{path}: {}", p.problems.join("; ")));
                }
                if p.verified.as_ref().is_some_and(|v| !v.problems.is_empty()) {
                    verify_failures += 1;
                }
                result.paths.push(p);
            }
            Err(e) => {
                failures.push(format!("{path}: {e}"));
                result.paths.push(PathResult {
                    path: path.clone(),
                    problems: vec![e],
                    ..PathResult::default()
                });
            }
        }
    }
    if !failures.is_empty() {
        result.status = "failed".into();
        result.message = Some(failures.join("; "));
    } else if verify_failures > 0 {
        result.status = "verify_failed".into();
        result.message = Some(format!(
            "{verify_failures} path(s) differ from the snapshot after the restore"
        ));
    }
    result.duration_ms = crate::clock::millis(started);
    result
}

/// A component's tree that cannot be read while its names are checked.
#[derive(Debug, thiserror::Error)]
#[error("{path}")]
pub struct TreeReadError {
    /// The component path whose tree failed.
    pub path: String,
    /// The repository's error.
    #[source]
    pub source: vault::VaultError,
}

/// The first entry below the component's paths whose name would escape its directory
/// (`..`, `/` in a name, ...): such a snapshot is refused before anything is touched.
pub fn unsafe_entry(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    record: &ComponentRecord,
) -> Result<Option<String>, TreeReadError> {
    let mut found = None;
    for path in &record.paths {
        let product = Path::new(path);
        match vault::tree::find_entry(repo, snapshot, product) {
            Ok(Some(_)) => {}
            Ok(None) => continue,
            Err(source) => {
                return Err(TreeReadError {
                    path: path.clone(),
                    source,
                })
            }
        }
        vault::tree::walk(repo, snapshot, product, &mut |p, e| {
            if p != product {
                if let Err(why) = vault::restore::safety::check_entry_name(&e.name) {
                    found = Some(format!(
                        "{}: tree entry {:?}: {why}",
                        p.display(),
                        String::from_utf8_lossy(&e.name)
                    ));
                    return vault::tree::Visit::Stop;
                }
            }
            vault::tree::Visit::Continue
        })
        .map_err(|source| TreeReadError {
            path: path.clone(),
            source,
        })?;
        if found.is_some() {
            break;
        }
    }
    Ok(found)
}

/// The exclude globs (stored paths) for one path of a component.
pub fn excludes_for(record: &ComponentRecord, path: &str) -> Vec<String> {
    let mut out: Vec<String> = record
        .excludes
        .iter()
        .filter(|x| Path::new(x).starts_with(path) && x.as_str() != path)
        .map(|x| glob_escape(Path::new(x)))
        .collect();
    if is_profile(record.component) {
        for t in ["temp", "wstemp"] {
            out.push(format!("{}/*", glob_escape(&Path::new(path).join(t))));
        }
    }
    out
}

fn restore_path(job: &ComponentJob<'_>, path: &str) -> Result<PathResult, String> {
    let product = Path::new(path);
    let entry = vault::tree::find_entry(job.repo, job.snapshot, product)
        .map_err(|e| format!("reading the snapshot: {e}"))?;
    let mut out = PathResult {
        path: path.to_string(),
        ..PathResult::default()
    };
    let Some(entry) = entry else {
        out.warnings
            .push("not in the snapshot (it did not exist at backup time)".into());
        return Ok(out);
    };
    let real = job
        .target
        .real_path(product)
        .map_err(|e| format!("mapping it under the target: {e}"))?;
    out.real_path = real.display().to_string();
    let expected = join_under(job.target.root(), product);
    if real != expected {
        out.warnings.push(format!(
            "a symbolic link on the way at the target leads to {} (inside the target root)",
            real.display()
        ));
    }
    let excludes = excludes_for(job.record, path);
    if !job.dry_run {
        out.created_parents = create_parents(job, product)?;
    }
    // A mirror of a directory, or of a single file (profileRegistry.xml: compared, and
    // written only if it differs; its siblings are not the component's and stay as they
    // are). Confined to the target root: from the root down no symlink is followed, and
    // missing directories are never created through one.
    let opts = RestoreOptions {
        excludes: excludes.clone(),
        subtree: Some(product.to_path_buf()),
        mirror: true,
        dry_run: job.dry_run,
        confine_to: Some(job.target.root().to_path_buf()),
        progress: job.progress.clone(),
        ..RestoreOptions::default()
    };
    let outcome = vault::restore::restore(job.repo, job.snapshot, &real, &opts).map_err(|e| {
        if e.is_refusal() {
            format!("REFUSED: {e}")
        } else {
            e.to_string()
        }
    })?;
    out.added = outcome.added;
    out.replaced = outcome.replaced;
    out.removed = outcome.removed;
    out.unchanged = outcome.unchanged;
    out.files_written = if job.dry_run { 0 } else { outcome.files };
    out.bytes_written = outcome.bytes_written;
    out.changes = outcome
        .changes
        .into_iter()
        .map(|c| Change::of(c, job.profiles))
        .collect();
    for d in &outcome.damaged {
        out.problems.push(format!("{}: {}", d.path, d.reason));
    }
    out.warnings.extend(outcome.warnings);
    if is_profile(job.record.component) && entry.kind == vault::tree::EntryKind::Dir {
        for t in ["temp", "wstemp"] {
            let dir = real.join(t);
            let listed = format!("{}/{t}", path.trim_end_matches('/'));
            match empty_dir(&dir, job.dry_run) {
                Ok(names) => {
                    out.temp_removed += names.len() as u64;
                    if job.dry_run {
                        out.changes.extend(names.into_iter().map(|n| {
                            let path = format!("{listed}/{n}");
                            Change {
                                runtime: is_runtime(&path, job.profiles),
                                path,
                                action: ChangeAction::Remove,
                            }
                        }));
                    }
                }
                Err(e) => out
                    .problems
                    .push(format!("emptying {}: {e}", dir.display())),
            }
        }
    }
    if job.verify && !job.dry_run {
        let v = vault::restore::verify(job.repo, job.snapshot, product, &real, &excludes)
            .map_err(|e| format!("verifying: {e}"))?;
        out.verified = Some(Verified {
            files: v.files,
            bytes: v.bytes,
            problems: v
                .problems
                .iter()
                .map(|p| format!("{}: {}", p.path, p.reason))
                .collect(),
        });
    }
    Ok(out)
}

/// `root` joined with the absolute product path.
fn join_under(root: &Path, product: &Path) -> PathBuf {
    let rel = product.strip_prefix("/").unwrap_or(product);
    root.join(rel)
}

/// Creates the missing parent directories of a component's path with the modes (and, as
/// root, the owners) the snapshot recorded for them, instead of the process's defaults.
fn create_parents(job: &ComponentJob<'_>, product: &Path) -> Result<Vec<String>, String> {
    let mut created = Vec::new();
    let mut ancestors: Vec<&Path> = product
        .ancestors()
        .skip(1)
        .filter(|a| *a != Path::new("/") && !a.as_os_str().is_empty())
        .collect();
    ancestors.reverse();
    for a in ancestors {
        let real = job
            .target
            .real_path(a)
            .map_err(|e| format!("mapping {} under the target: {e}", a.display()))?;
        match std::fs::symlink_metadata(&real) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                return Err(format!(
                    "{} exists at the target and is not a directory",
                    real.display()
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", real.display())),
        }
        let entry = vault::tree::find_entry(job.repo, job.snapshot, a)
            .ok()
            .flatten();
        let mode = entry.as_ref().map_or(0o755, |e| e.mode & 0o7777);
        // created by the vault without following a symlink anywhere below the target root
        // (one planted meanwhile is refused), then given the snapshot's mode
        vault::restore::safety::SafeTarget::open_within(job.target.root(), &real).map_err(|e| {
            if vault::restore::safety::is_path_crossing(&e) {
                format!(
                    "REFUSED: creating {}: a symlink is in the way below the target root",
                    real.display()
                )
            } else {
                format!("creating {}: {e}", real.display())
            }
        })?;
        created.push(a.display().to_string());
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&real, std::fs::Permissions::from_mode(mode));
        if let Some(e) = entry {
            if nix::unistd::geteuid().is_root() {
                let _ = nix::unistd::chown(
                    &real,
                    Some(nix::unistd::Uid::from_raw(e.uid)),
                    Some(nix::unistd::Gid::from_raw(e.gid)),
                );
            }
        }
    }
    Ok(created)
}

/// Puts back the snapshot's times of directories that restoring other components changed:
/// a directory inside a restored component that holds another component's path
/// (`connections_root/data` gets `data/shared` restored into it after its own times were
/// applied), and the parents this restore created. Times only: mode and owner were set
/// when the directory was restored or created.
pub fn reapply_parent_times(
    repo: &vault::Repository,
    snapshot: &vault::Snapshot,
    target: &Sysroot,
    restored: &[(String, Vec<String>)],
) -> Vec<String> {
    let roots: Vec<&str> = restored.iter().map(|(p, _)| p.as_str()).collect();
    let mut dirs: std::collections::BTreeSet<PathBuf> = std::collections::BTreeSet::new();
    for (path, created) in restored {
        for a in Path::new(path).ancestors().skip(1) {
            let inside_other = roots
                .iter()
                .any(|q| a.starts_with(q) && Path::new(q) != Path::new(path));
            if inside_other || created.iter().any(|c| Path::new(c) == a) {
                dirs.insert(a.to_path_buf());
            }
        }
    }
    let mut warnings = Vec::new();
    // deepest first, so setting a child's times never changes a parent's afterwards
    for a in dirs.iter().rev() {
        let Ok(Some(e)) = vault::tree::find_entry(repo, snapshot, a) else {
            continue;
        };
        if e.kind != vault::tree::EntryKind::Dir {
            continue;
        }
        let Ok(real) = target.real_path(a) else {
            continue;
        };
        let ts = |ns: i64| {
            nix::sys::time::TimeSpec::new(
                ns.div_euclid(1_000_000_000),
                ns.rem_euclid(1_000_000_000),
            )
        };
        if let Err(err) = nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            &real,
            &ts(e.atime_ns),
            &ts(e.mtime_ns),
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        ) {
            warnings.push(format!("{}: times not restored: {err}", real.display()));
        }
    }
    warnings
}

/// Removes everything inside `dir` (not following symlinks; a symlink is removed, never
/// its target). Returns the names of the top entries removed (or that would be).
fn empty_dir(dir: &Path, dry_run: bool) -> std::io::Result<Vec<String>> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        // a symlink or file where temp should be: leave it (the mirror restored what the
        // backup had there)
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        names.push(e.file_name().to_string_lossy().into_owned());
        if dry_run {
            continue;
        }
        let p = e.path();
        if e.file_type()?.is_dir() {
            std::fs::remove_dir_all(&p)?;
        } else {
            std::fs::remove_file(&p)?;
        }
    }
    names.sort();
    Ok(names)
}
