//! The `pre-restore` snapshot: nothing of the failed update is lost.
//!
//! A restore makes every component it restores an exact mirror of the backup: the files the
//! failed update changed are replaced, the ones it added removed, the profiles' `temp` and
//! `wstemp` emptied. Those files — and the logs next to them — are what a support case
//! needs. So before the restore changes anything, every path of every file component it
//! restores is saved as it is at the target, together with the evidence outside them (the
//! Installation Manager's logs, each profile's `logs`, which hold the FFDC), into the same
//! repository as one snapshot tagged [`PRE_RESTORE_TAG`].
//!
//! It is a deployment snapshot with a manifest of its own (the components it holds, the
//! version read at the target, `pre_restore` naming the restore), so `cnxbackup restore ID`
//! of it brings the failed state back, and `restore ID --target DIR` extracts it. Its
//! parent is the snapshot being restored: a file the update did not touch has the size,
//! times and inode that backup recorded, so it is not read again and its content is already
//! in the repository — the cost is the walk plus the files the update changed.
//!
//! The databases are not in it (their state is the DBA's to keep).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use vault::backup::{BackupOptions, BackupSource, FinishAdditions, ParentChoice, WarningKind};
use websphere::Sysroot;

use super::select::Selection;
use crate::backup::store::glob_escape;
use crate::manifest::{
    ComponentRecord, ConnectionsVersion, Manifest, PreRestoreOf, RoleMappingsExport, RunOptions,
    Status, StepStatus, MANIFEST_PATH,
};
use crate::pick::PRE_RESTORE_TAG;
use crate::plan::Component;

/// One path the pre-restore snapshot saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedPath {
    /// Product path (= stored path).
    pub path: String,
    /// The component it belongs to; `None` for evidence outside the restored components.
    pub component: Option<Component>,
    /// Product paths inside it that belong to other components (not saved with it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excludes: Vec<String>,
}

/// The pre-restore snapshot a restore took.
#[derive(Debug, Clone, Serialize)]
pub struct PreRestore {
    /// Its id (hex).
    pub snapshot: String,
    /// What it holds.
    pub paths: Vec<SavedPath>,
    /// Regular files in it.
    pub files: u64,
    /// Their total size.
    pub bytes: u64,
    /// Bytes read from the target (files the parent did not already have).
    pub bytes_read: u64,
    /// Bytes the repository grew by (compressed, after deduplication).
    pub bytes_added: u64,
    /// Wall time.
    pub duration_ms: u64,
}

/// Why the pre-restore snapshot could not be taken; the restore stops before it changes
/// anything.
#[derive(Debug, thiserror::Error)]
pub enum PreRestoreError {
    /// A product path cannot be mapped under the target.
    #[error("mapping {path} under the target: {message}")]
    Path {
        /// The product path.
        path: String,
        /// Why.
        message: String,
    },
    /// The repository does not take writes (checked before any server is stopped).
    #[error(
        "the repository cannot be written, so the pre-restore snapshot of what the restore \
         replaces cannot be taken: {0}. Nothing was changed. Make the repository writable, \
         or restore without it (--no-pre-restore) if the failed state may be lost"
    )]
    NotWritable(#[source] vault::VaultError),
    /// Writing to the repository failed.
    #[error(
        "saving the pre-restore snapshot into the repository failed: {0}. Nothing was \
         changed at the target"
    )]
    Backup(#[source] vault::backup::BackupError),
    /// Files that the restore would replace could not be read.
    #[error(
        "{} file(s) the restore would replace or remove could not be saved: {}",
        unreadable.len(),
        unreadable.iter().take(5).cloned().collect::<Vec<_>>().join("; ")
    )]
    Unreadable {
        /// Each file and why.
        unreadable: Vec<String>,
    },
}

/// Everything the pre-restore snapshot needs.
pub struct PreRestoreInput<'a> {
    /// The repository (the same one the restore reads).
    pub repository: &'a vault::Repository,
    /// The target root.
    pub target: &'a Sysroot,
    /// The manifest of the snapshot being restored.
    pub manifest: &'a Manifest,
    /// What the restore restores.
    pub selection: &'a Selection,
    /// The snapshot being restored (hex id).
    pub restoring: &'a str,
    /// The host name recorded (this host).
    pub host: &'a str,
    /// Discovery overrides, to read the version at the target.
    pub discover: &'a connections::discover::DiscoverOptions,
    /// The program's version, for the manifest.
    pub program_version: &'a str,
    /// Live counters for a progress display.
    pub progress: Option<Arc<vault::Progress>>,
}

/// The paths the pre-restore snapshot saves: every path of every restored file component,
/// then the evidence outside them (IIM logs, each profile's logs with its FFDC), each only
/// when it exists at the target.
pub fn paths_to_save(m: &Manifest, selection: &Selection, target: &Sysroot) -> Vec<SavedPath> {
    let exists = |p: &str| {
        target
            .real_path(Path::new(p))
            .is_ok_and(|r| std::fs::symlink_metadata(r).is_ok())
    };
    let mut out: Vec<SavedPath> = Vec::new();
    for c in &selection.components {
        let Some(record) = m.component(*c) else {
            continue;
        };
        for p in record.paths.iter().filter(|p| exists(p)) {
            out.push(SavedPath {
                path: p.clone(),
                component: Some(*c),
                excludes: record
                    .excludes
                    .iter()
                    .filter(|x| Path::new(x).starts_with(p))
                    .cloned()
                    .collect(),
            });
        }
    }
    // a database server's member has no Installation Manager: no `/logs` of the root
    let iim = &m.topology.iim.data_dir;
    let evidence = (!iim.is_empty())
        .then(|| format!("{iim}/logs"))
        .into_iter()
        .chain(
            m.topology
                .profiles
                .iter()
                .map(|p| format!("{}/logs", p.path)),
        );
    for e in evidence {
        let covered = out.iter().any(|s| {
            Path::new(&e).starts_with(&s.path)
                && !s.excludes.iter().any(|x| Path::new(&e).starts_with(x))
        });
        if !covered && exists(&e) {
            out.push(SavedPath {
                path: e,
                component: None,
                excludes: Vec::new(),
            });
        }
    }
    out
}

/// Takes the pre-restore snapshot. `Ok(None)` when the target holds none of the paths
/// (an extraction into an empty directory: nothing to lose).
pub fn take(input: &PreRestoreInput<'_>) -> Result<Option<PreRestore>, PreRestoreError> {
    let started = Instant::now();
    let paths = paths_to_save(input.manifest, input.selection, input.target);
    if paths.is_empty() {
        return Ok(None);
    }
    let mut sources = Vec::new();
    for p in &paths {
        let real =
            input
                .target
                .real_path(Path::new(&p.path))
                .map_err(|e| PreRestoreError::Path {
                    path: p.path.clone(),
                    message: e.to_string(),
                })?;
        let excludes = source_excludes(input.target, p, &paths)
            .iter()
            .map(|x| glob_escape(x.as_path()))
            .collect();
        sources.push(BackupSource::path(real, &p.path).with_excludes(excludes));
    }
    let opts = BackupOptions {
        host: input.host.to_string(),
        tags: vec![
            PRE_RESTORE_TAG.to_string(),
            format!("set:{}", input.manifest.backup_set),
        ],
        parent: ParentChoice::Explicit(input.restoring.to_string()),
        progress: input.progress.clone(),
        ..BackupOptions::default()
    };
    let mut manifest = pre_restore_manifest(input);
    let outcome =
        vault::backup::backup_sources_with_finish(input.repository, sources, &opts, |reports| {
            fill_components(&mut manifest, &paths, reports);
            FinishAdditions {
                files: vec![(PathBuf::from(MANIFEST_PATH), manifest.to_json(), 0o600)],
                application: serde_json::to_value(manifest.summary()).ok(),
                tags: Vec::new(),
            }
        })
        .map_err(PreRestoreError::Backup)?;
    let unreadable: Vec<String> = outcome
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Unreadable)
        .map(ToString::to_string)
        .collect();
    if !unreadable.is_empty() {
        return Err(PreRestoreError::Unreadable { unreadable });
    }
    let s = &outcome.summary;
    Ok(Some(PreRestore {
        snapshot: outcome.snapshot_id.to_hex(),
        paths,
        files: s.files_new + s.files_changed + s.files_unchanged,
        bytes: s.bytes_total,
        bytes_read: s.bytes_read,
        bytes_added: s.bytes_added_stored,
        duration_ms: crate::clock::millis(started),
    }))
}

/// What the source for `p` leaves out: its component's excludes, and every other saved
/// path inside it exactly (saved by a source of its own; the vault nests a source only
/// inside one that excludes its stored path). An excluded directory with a saved path
/// below it (`connections_root` excludes `data/shared`, `provision` inside it is restored)
/// is carved: everything in it is left out but the way down to that path, so the source
/// saves neither less nor more than the restore replaces.
fn source_excludes(target: &Sysroot, p: &SavedPath, all: &[SavedPath]) -> Vec<PathBuf> {
    let outer = Path::new(&p.path);
    let inner: Vec<&Path> = all
        .iter()
        .map(|q| Path::new(&q.path))
        .filter(|q| q.starts_with(outer) && *q != outer)
        .collect();
    let mut out = Vec::new();
    for x in p.excludes.iter().map(Path::new) {
        let below: Vec<&Path> = inner.iter().copied().filter(|q| q.starts_with(x)).collect();
        if below.is_empty() {
            out.push(x.to_path_buf());
        } else {
            carve(target, x, &below, &mut out);
        }
    }
    for q in inner {
        if !out.iter().any(|x| q.starts_with(x)) {
            out.push(q.to_path_buf());
        }
    }
    out
}

/// Leaves out everything in the directory `dir` but the way down to the paths `keep`
/// (each left out exactly), reading the directory at the target in name order. A
/// directory that cannot be read is left out whole (the vault then names the overlap).
fn carve(target: &Sysroot, dir: &Path, keep: &[&Path], out: &mut Vec<PathBuf>) {
    if keep.contains(&dir) {
        out.push(dir.to_path_buf());
        return;
    }
    let entries = target
        .real_path(dir)
        .ok()
        .and_then(|real| std::fs::read_dir(real).ok());
    let Some(entries) = entries else {
        out.push(dir.to_path_buf());
        return;
    };
    let mut names: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    names.sort();
    for name in names {
        let child = dir.join(name);
        let below: Vec<&Path> = keep
            .iter()
            .copied()
            .filter(|q| q.starts_with(&child))
            .collect();
        if below.is_empty() {
            out.push(child);
        } else {
            carve(target, &child, &below, out);
        }
    }
}

/// The manifest of the pre-restore snapshot before its components are known: the restored
/// snapshot's topology, the version read at the target now, `pre_restore` naming the
/// restore.
fn pre_restore_manifest(input: &PreRestoreInput<'_>) -> Manifest {
    let m = input.manifest;
    let now = vault::now_unix_ns();
    let installed = connections::discover::installed_version(input.target, input.discover);
    let root = installed
        .connections_root
        .clone()
        .unwrap_or_else(|| m.connections.root.clone());
    Manifest {
        schema_version: crate::manifest::SCHEMA_VERSION,
        backup_set: m.backup_set.clone(),
        host: input.host.to_string(),
        cnxbackup_version: input.program_version.to_string(),
        started_ns: now,
        finished_ns: now,
        status: Status::Complete,
        failed_steps: Vec::new(),
        connections: ConnectionsVersion::of(&root, &installed.version),
        topology: m.topology.clone(),
        options: RunOptions {
            in_place_migration: m.options.in_place_migration,
            tags: vec![PRE_RESTORE_TAG.to_string()],
            ..RunOptions::default()
        },
        steps: Vec::new(),
        components: Vec::new(),
        databases: Vec::new(),
        role_mappings: RoleMappingsExport::default(),
        servers: Vec::new(),
        warnings: vec![format!(
            "taken by the restore of snapshot {} before it changed anything: the files it \
             was about to replace or remove, as they were at {}; the databases are not in it",
            input.restoring.get(..8).unwrap_or(input.restoring),
            input.target.root().display()
        )],
        phases: Vec::new(),
        absent: Vec::new(),
        // the restore's outage is its own report's, not a backup's
        outage: None,
        pre_restore: Some(PreRestoreOf {
            restoring: input.restoring.to_string(),
            target: input.target.root().display().to_string(),
        }),
        declared: Vec::new(),
        hooks: Vec::new(),
    }
}

/// One record per saved component, counted from the pipeline's reports.
fn fill_components(
    manifest: &mut Manifest,
    paths: &[SavedPath],
    reports: &[vault::backup::SourceReport],
) {
    let restored = manifest_components(paths);
    for (component, record) in restored {
        let mut rec = ComponentRecord {
            component,
            procedure_step: String::new(),
            paths: record.iter().map(|p| p.path.clone()).collect(),
            excludes: record.iter().flat_map(|p| p.excludes.clone()).collect(),
            stored_with: None,
            status: StepStatus::Ok,
            files: 0,
            dirs: 0,
            bytes: 0,
            duration_ms: 0,
            message: None,
            warnings: Vec::new(),
            version: None,
        };
        for p in &record {
            if let Some(r) = reports.iter().find(|r| r.stored_as == Path::new(&p.path)) {
                rec.files += r.files;
                rec.dirs += r.dirs;
                rec.bytes += r.bytes;
                rec.duration_ms = rec.duration_ms.max(crate::clock::millis_of(r.duration));
                if !r.warnings.is_empty() {
                    rec.status = StepStatus::Partial;
                    rec.warnings
                        .extend(r.warnings.iter().take(20).map(ToString::to_string));
                }
            }
        }
        manifest.components.push(rec);
    }
}

/// The saved paths grouped by component, in selection order (evidence paths belong to
/// none: they are in the snapshot, not in a component a restore of it would write).
fn manifest_components(paths: &[SavedPath]) -> Vec<(Component, Vec<&SavedPath>)> {
    let mut out: Vec<(Component, Vec<&SavedPath>)> = Vec::new();
    for p in paths {
        let Some(c) = p.component else { continue };
        match out.iter_mut().find(|(x, _)| *x == c) {
            Some((_, v)) => v.push(p),
            None => out.push((c, vec![p])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn manifest(root: &Path) -> Manifest {
        let mut m = crate::manifest::tests::example();
        m.topology.iim.data_dir = "/var/ibm/InstallationManager".into();
        m.topology.profiles = vec![crate::manifest::ProfileRecord {
            name: "AppSrv01".into(),
            path: "/opt/WAS/profiles/AppSrv01".into(),
            kind: "managed".into(),
            node: Some("n1".into()),
        }];
        m.components = vec![
            record(
                Component::ConnectionsRoot,
                "/opt/IBM/Connections",
                &["/opt/IBM/Connections/data/shared"],
            ),
            record(
                Component::SharedData,
                "/opt/IBM/Connections/data/shared",
                &[],
            ),
            record(Component::Profiles, "/opt/WAS/profiles/AppSrv01", &[]),
        ];
        for d in [
            "opt/IBM/Connections/data/shared",
            "opt/WAS/profiles/AppSrv01/logs/ffdc",
            "var/ibm/InstallationManager/logs",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        m
    }

    fn record(c: Component, path: &str, excludes: &[&str]) -> ComponentRecord {
        ComponentRecord {
            component: c,
            procedure_step: "1".into(),
            paths: vec![path.into()],
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
            stored_with: None,
            status: StepStatus::Ok,
            files: 1,
            dirs: 1,
            bytes: 1,
            duration_ms: 0,
            message: None,
            warnings: Vec::new(),
            version: None,
        }
    }

    fn selection(c: &[Component]) -> Selection {
        Selection {
            components: c.to_vec(),
            ..Selection::default()
        }
    }

    #[test]
    fn restored_components_then_the_logs_outside_them() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(dir.path());
        let target = Sysroot::new(dir.path()).unwrap();
        let all = paths_to_save(
            &m,
            &selection(&[
                Component::ConnectionsRoot,
                Component::SharedData,
                Component::Profiles,
            ]),
            &target,
        );
        let names: Vec<&str> = all.iter().map(|p| p.path.as_str()).collect();
        // the profile's logs (FFDC) are inside a restored component: saved with it
        assert_eq!(
            names,
            [
                "/opt/IBM/Connections",
                "/opt/IBM/Connections/data/shared",
                "/opt/WAS/profiles/AppSrv01",
                "/var/ibm/InstallationManager/logs"
            ]
        );
        assert_eq!(all[0].excludes, ["/opt/IBM/Connections/data/shared"]);
        assert_eq!(all[3].component, None);

        // restoring shared data only: the logs are saved all the same
        let some = paths_to_save(&m, &selection(&[Component::SharedData]), &target);
        let names: Vec<&str> = some.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "/opt/IBM/Connections/data/shared",
                "/var/ibm/InstallationManager/logs",
                "/opt/WAS/profiles/AppSrv01/logs"
            ]
        );
    }

    #[test]
    fn an_excluded_directory_with_a_saved_path_below_is_carved_around_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = manifest(dir.path());
        m.components.push(record(
            Component::Provision,
            "/opt/IBM/Connections/data/shared/provision",
            &[],
        ));
        for d in ["provision/webresources", "activities", "customization"] {
            std::fs::create_dir_all(dir.path().join("opt/IBM/Connections/data/shared").join(d))
                .unwrap();
        }
        let target = Sysroot::new(dir.path()).unwrap();
        let sel = selection(&[Component::ConnectionsRoot, Component::Provision]);
        let all = paths_to_save(&m, &sel, &target);
        let root = all.first().unwrap();
        assert_eq!(root.path, "/opt/IBM/Connections");
        // the manifest keeps the component's own exclude ...
        assert_eq!(root.excludes, ["/opt/IBM/Connections/data/shared"]);
        // ... the source leaves out shared data but the way down to provision, and
        // provision itself (saved by its own source)
        let source: Vec<String> = source_excludes(&target, root, &all)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            source,
            [
                "/opt/IBM/Connections/data/shared/activities",
                "/opt/IBM/Connections/data/shared/customization",
                "/opt/IBM/Connections/data/shared/provision",
            ]
        );
        let provision = all
            .iter()
            .find(|p| p.component == Some(Component::Provision));
        assert!(source_excludes(&target, provision.unwrap(), &all).is_empty());
    }

    #[test]
    fn an_empty_target_has_nothing_to_save() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest(&dir.path().join("elsewhere"));
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let target = Sysroot::new(&empty).unwrap();
        let sel = selection(&[Component::ConnectionsRoot, Component::Profiles]);
        assert!(paths_to_save(&m, &sel, &target).is_empty());
    }

    #[test]
    fn components_group_their_paths_and_evidence_belongs_to_none() {
        let p = |path: &str, c: Option<Component>| SavedPath {
            path: path.into(),
            component: c,
            excludes: Vec::new(),
        };
        let paths = vec![
            p("/a", Some(Component::Profiles)),
            p("/logs", None),
            p("/b", Some(Component::Profiles)),
            p("/c", Some(Component::SharedData)),
        ];
        let groups = manifest_components(&paths);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0, Component::Profiles);
        assert_eq!(groups[0].1.len(), 2);
    }
}
