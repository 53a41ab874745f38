//! Composing the host's one snapshot from its parts, through the vault's public API.
//!
//! Each file component is backed up by the vault's own pipeline (`vault::backup::backup`)
//! into a temporary snapshot; the entry found at each *real* path is then grafted at its
//! *product* path into an in-memory root, so that a deployment found under a sysroot is
//! stored as `/opt/IBM/...` whatever directory it was read from. Files that are not on disk
//! as such (database images, streamed dumps, the manifest) are chunked and saved as blobs
//! here. [`Composer::finish`] writes the trees bottom-up and saves the snapshot with the
//! manifest's summary as its application document; only then are the temporary snapshots
//! forgotten (their blobs all belong to the final snapshot).
//!
//! Doing the composition here (instead of one pipeline call over every path) is what lets
//! the manifest inside the snapshot carry each component's files, bytes, duration and
//! status: they are known only once the component is saved.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component as PathComponent, Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use vault::backup::{BackupOptions, BackupSummary, BackupWarning, ParentChoice};
use vault::fs_meta::{entry_from_metadata, NameCache};
use vault::tree::{decode_tree, encode_tree, ContentPart, Entry, EntryKind, Tree};
use vault::{BlobId, BlobKind, Repository, Snapshot, SnapshotId, SnapshotSummary, StreamChunker};
use websphere::Sysroot;

/// The tag of the temporary per-component snapshots.
pub const PARTIAL_TAG: &str = "cnxbackup-partial";

/// Why the composition failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The repository failed (full, unreachable, damaged): nothing more can be stored.
    #[error("repository: {0}")]
    Repository(#[from] vault::VaultError),
    /// The vault's pipeline failed for one component's paths.
    #[error("{0}")]
    Backup(#[from] vault::backup::BackupError),
    /// A source could not be read (database image, dump stream).
    #[error("{}: {source}", path.display())]
    Source {
        /// The path or stream name.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A tree of a temporary snapshot could not be read back.
    #[error("tree {id} of the component snapshot: {reason}")]
    Tree {
        /// The tree blob.
        id: BlobId,
        /// Why.
        reason: String,
    },
    /// Two parts claim the same product path.
    #[error("{path}: already stored by another component")]
    Conflict {
        /// The product path.
        path: String,
    },
    /// A product path that cannot be stored (relative, `..`).
    #[error("{path}: {reason}")]
    BadPath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
}

impl StoreError {
    /// True when the repository itself failed: the run must stop, no snapshot is written.
    pub fn is_repository_failure(&self) -> bool {
        matches!(
            self,
            StoreError::Repository(_)
                | StoreError::Backup(vault::backup::BackupError::Repository(_))
                | StoreError::Backup(vault::backup::BackupError::Internal(_))
        )
    }
}

/// What backing up one component's paths gave.
#[derive(Debug, Clone)]
pub struct PathsOutcome {
    /// The vault's counters.
    pub summary: BackupSummary,
    /// Files that changed, vanished or could not be read.
    pub warnings: Vec<BackupWarning>,
    /// Wall time.
    pub duration: Duration,
}

/// A stored file that did not come from the disk as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Product path in the snapshot.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// A node of the in-memory root.
enum Node {
    /// An entry as stored (a directory here points to its stored tree).
    Stored(Entry),
    /// A directory whose children are being assembled.
    Open(OpenDir),
}

struct OpenDir {
    meta: Entry,
    children: BTreeMap<Vec<u8>, Node>,
}

/// Builds one snapshot from components, streams and small files.
pub struct Composer<'r> {
    repo: &'r Repository,
    sysroot: Sysroot,
    host: String,
    root: OpenDir,
    names: NameCache,
    temporary: Vec<SnapshotId>,
    totals: SnapshotSummary,
    read_threads: usize,
}

impl<'r> Composer<'r> {
    /// A composer writing into `repo` for `host`, mapping product paths through `sysroot`.
    pub fn new(repo: &'r Repository, sysroot: Sysroot, host: &str) -> Composer<'r> {
        let names = NameCache::default();
        let root_meta = std::fs::symlink_metadata(sysroot.root())
            .map(|m| entry_from_metadata(OsStr::new(""), &m, &names))
            .unwrap_or_else(|_| synthetic_dir(b""));
        Composer {
            repo,
            sysroot,
            host: host.to_string(),
            root: OpenDir {
                meta: root_meta,
                children: BTreeMap::new(),
            },
            names,
            temporary: Vec::new(),
            totals: SnapshotSummary::default(),
            read_threads: 8,
        }
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        self.repo
    }

    /// Backs up `paths` (product paths) through the vault pipeline, leaving out `excludes`
    /// (product paths inside them), and grafts each at its product path.
    pub fn backup_paths(
        &mut self,
        paths: &[String],
        excludes: &[String],
        parent: ParentChoice,
    ) -> Result<PathsOutcome, StoreError> {
        let started = Instant::now();
        let mut reals = Vec::new();
        for p in paths {
            reals.push((self.real(p)?, p.clone()));
        }
        let mut patterns = Vec::new();
        for x in excludes {
            patterns.push(glob_escape(&self.real(x)?));
        }
        let opts = BackupOptions {
            host: self.host.clone(),
            tags: vec![PARTIAL_TAG.to_string()],
            excludes: patterns,
            parent,
            application: Some(serde_json::json!({"kind": "cnxbackup.partial"})),
            read_threads: self.read_threads,
            ..BackupOptions::default()
        };
        let real_paths: Vec<PathBuf> = reals.iter().map(|(r, _)| r.clone()).collect();
        let outcome = vault::backup::backup(self.repo, &real_paths, &opts)?;
        self.temporary.push(outcome.snapshot_id);
        add_summary(&mut self.totals, &outcome.snapshot.summary);
        let root_tree = self.load_tree(&outcome.snapshot.tree)?;
        for (real, product) in &reals {
            let entry = self.find_stored(&root_tree, real)?;
            match entry {
                Some(e) => self.graft(product, e)?,
                None => {
                    return Err(StoreError::BadPath {
                        path: product.clone(),
                        reason: format!(
                            "{} is not in the component snapshot {}",
                            real.display(),
                            outcome.snapshot_id
                        ),
                    })
                }
            }
        }
        Ok(PathsOutcome {
            summary: outcome.summary,
            warnings: outcome.warnings,
            duration: started.elapsed(),
        })
    }

    /// Stores the content of `reader` as a regular file at product path `path`.
    pub fn add_stream(
        &mut self,
        path: &str,
        reader: &mut dyn Read,
        mode: u32,
    ) -> Result<StoredFile, StoreError> {
        let mut hashing = HashRead {
            inner: reader,
            hasher: Sha256::new(),
            bytes: 0,
        };
        let params = self.repo.chunker();
        let mut content = Vec::new();
        {
            let chunker = StreamChunker::new(&mut hashing, &params)?;
            for chunk in chunker {
                let chunk = chunk.map_err(|source| StoreError::Source {
                    path: PathBuf::from(path),
                    source,
                })?;
                let id = self.repo.id_of(&chunk.data);
                self.repo.save_blob(BlobKind::Data, id, &chunk.data)?;
                content.push(ContentPart::Data {
                    id,
                    len: chunk.data.len() as u64,
                });
            }
        }
        let size = hashing.bytes;
        let sha256 = hex::encode(hashing.hasher.finalize());
        let name = file_name(path)?;
        let mut e = Entry::new(name, EntryKind::File);
        e.mode = mode;
        e.uid = nix::unistd::getuid().as_raw();
        e.gid = nix::unistd::getgid().as_raw();
        e.user = self.names.user(e.uid);
        e.group = self.names.group(e.gid);
        let now = vault::now_unix_ns();
        e.mtime_ns = now;
        e.atime_ns = now;
        e.ctime_ns = now;
        e.size = size;
        e.nlink = 1;
        e.content = content;
        self.graft(path, e)?;
        self.totals.files_new += 1;
        self.totals.bytes_total += size;
        Ok(StoredFile {
            path: path.to_string(),
            size,
            sha256,
        })
    }

    /// Stores a file from the local disk (a staged database image) at product path `path`.
    pub fn add_file(&mut self, path: &str, real: &Path) -> Result<StoredFile, StoreError> {
        let mut f = std::fs::File::open(real).map_err(|source| StoreError::Source {
            path: real.to_path_buf(),
            source,
        })?;
        self.add_stream(path, &mut f, 0o600)
    }

    /// Stores `data` at product path `path`.
    pub fn add_bytes(&mut self, path: &str, data: &[u8]) -> Result<StoredFile, StoreError> {
        let mut r: &[u8] = data;
        self.add_stream(path, &mut r, 0o644)
    }

    /// Removes a file added with [`Composer::add_stream`] (a dump that turned out to be
    /// incomplete). Returns whether it was there.
    pub fn remove(&mut self, path: &str) -> Result<bool, StoreError> {
        let comps = product_components(path)?;
        let Some((last, parents)) = comps.split_last() else {
            return Ok(false);
        };
        let mut dir = &mut self.root;
        for c in parents {
            match dir.children.get_mut(c) {
                Some(Node::Open(d)) => dir = d,
                _ => return Ok(false),
            }
        }
        Ok(dir.children.remove(last).is_some())
    }

    /// Moves a file added with [`Composer::add_stream`] to another product path.
    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), StoreError> {
        let comps = product_components(from)?;
        let Some((last, parents)) = comps.split_last() else {
            return Err(StoreError::BadPath {
                path: from.to_string(),
                reason: "nothing to rename".into(),
            });
        };
        let mut dir = &mut self.root;
        for c in parents {
            match dir.children.get_mut(c) {
                Some(Node::Open(d)) => dir = d,
                _ => {
                    return Err(StoreError::BadPath {
                        path: from.to_string(),
                        reason: "not stored".into(),
                    })
                }
            }
        }
        match dir.children.remove(last) {
            Some(Node::Stored(e)) => self.graft(to, e),
            Some(other) => {
                dir.children.insert(last.clone(), other);
                Err(StoreError::BadPath {
                    path: from.to_string(),
                    reason: "only files can be renamed".into(),
                })
            }
            None => Err(StoreError::BadPath {
                path: from.to_string(),
                reason: "not stored".into(),
            }),
        }
    }

    /// Files, directories and bytes stored below product path `path` (for components
    /// stored as part of another one).
    pub fn usage(&self, path: &str) -> Result<Option<(u64, u64, u64)>, StoreError> {
        let comps = product_components(path)?;
        let mut dir = &self.root;
        for (i, c) in comps.iter().enumerate() {
            match dir.children.get(c) {
                None => return Ok(None),
                Some(Node::Open(d)) if i + 1 < comps.len() => dir = d,
                Some(Node::Open(d)) => return self.open_usage(d).map(Some),
                Some(Node::Stored(e)) => {
                    // descend through stored trees
                    let mut entry = e.clone();
                    for c2 in &comps[i + 1..] {
                        let Some(sub) = entry.subtree else {
                            return Ok(None);
                        };
                        let t = self.load_tree(&sub)?;
                        match t.get(c2) {
                            Some(x) => entry = x.clone(),
                            None => return Ok(None),
                        }
                    }
                    return self.entry_usage(&entry).map(Some);
                }
            }
        }
        self.open_usage(dir).map(Some)
    }

    fn open_usage(&self, d: &OpenDir) -> Result<(u64, u64, u64), StoreError> {
        let mut total = (0, 1, 0);
        for n in d.children.values() {
            let u = match n {
                Node::Open(o) => self.open_usage(o)?,
                Node::Stored(e) => self.entry_usage(e)?,
            };
            total = (total.0 + u.0, total.1 + u.1, total.2 + u.2);
        }
        Ok(total)
    }

    fn entry_usage(&self, e: &Entry) -> Result<(u64, u64, u64), StoreError> {
        match (e.kind, e.subtree) {
            (EntryKind::Dir, Some(id)) => {
                let t = self.load_tree(&id)?;
                let mut total = (0, 1, 0);
                for c in &t.entries {
                    let u = self.entry_usage(c)?;
                    total = (total.0 + u.0, total.1 + u.1, total.2 + u.2);
                }
                Ok(total)
            }
            (EntryKind::Dir, None) => Ok((0, 1, 0)),
            (EntryKind::File, _) => Ok((1, 0, e.size)),
            _ => Ok((0, 0, 0)),
        }
    }

    /// Writes the trees and the snapshot; then forgets the temporary snapshots.
    pub fn finish(
        mut self,
        tags: Vec<String>,
        application: serde_json::Value,
        started_ns: i64,
    ) -> Result<(SnapshotId, Snapshot), StoreError> {
        let root = std::mem::replace(
            &mut self.root,
            OpenDir {
                meta: synthetic_dir(b""),
                children: BTreeMap::new(),
            },
        );
        let paths: Vec<String> = root
            .children
            .keys()
            .map(|k| format!("/{}", String::from_utf8_lossy(k)))
            .collect();
        let tree = self.write_dir(root)?;
        self.totals.started = started_ns;
        self.totals.finished = vault::now_unix_ns();
        let snapshot = Snapshot {
            time: started_ns,
            host: self.host.clone(),
            paths,
            tags,
            tree,
            parent: None,
            summary: self.totals.clone(),
            application: Some(application),
            username: std::env::var("USER").unwrap_or_else(|_| "unknown".into()),
            program_version: env!("CARGO_PKG_VERSION").to_string(),
        };
        let id = self.repo.save_snapshot(&snapshot)?;
        self.forget_temporary();
        Ok((id, snapshot))
    }

    /// Forgets the temporary snapshots (after a fatal error, or at the end).
    pub fn forget_temporary(&mut self) {
        for id in std::mem::take(&mut self.temporary) {
            if let Err(e) = self.repo.forget_snapshot(&id) {
                tracing::warn!(snapshot = %id, error = %e, "could not forget a temporary component snapshot");
            }
        }
    }

    fn write_dir(&self, dir: OpenDir) -> Result<BlobId, StoreError> {
        let mut entries = Vec::with_capacity(dir.children.len());
        for (name, node) in dir.children {
            let e = match node {
                Node::Stored(mut e) => {
                    e.name = name;
                    e
                }
                Node::Open(d) => {
                    let mut meta = d.meta.clone();
                    meta.name = name;
                    meta.subtree = Some(self.write_dir(d)?);
                    meta
                }
            };
            entries.push(e);
        }
        let bytes = encode_tree(&Tree::from_unsorted(entries));
        let id = self.repo.id_of(&bytes);
        self.repo.save_blob(BlobKind::Tree, id, &bytes)?;
        Ok(id)
    }

    fn real(&self, product: &str) -> Result<PathBuf, StoreError> {
        self.sysroot
            .real_path(Path::new(product))
            .map_err(|e| StoreError::BadPath {
                path: product.to_string(),
                reason: e.to_string(),
            })
    }

    fn load_tree(&self, id: &BlobId) -> Result<Tree, StoreError> {
        let bytes = self.repo.load_blob(BlobKind::Tree, id)?;
        decode_tree(&bytes).map_err(|e| StoreError::Tree {
            id: *id,
            reason: e.to_string(),
        })
    }

    /// The entry stored for absolute real path `real` in a snapshot whose root is `root`.
    fn find_stored(&self, root: &Tree, real: &Path) -> Result<Option<Entry>, StoreError> {
        let comps: Vec<&OsStr> = real
            .components()
            .filter_map(|c| match c {
                PathComponent::Normal(n) => Some(n),
                _ => None,
            })
            .collect();
        let Some((last, parents)) = comps.split_last() else {
            return Ok(None);
        };
        let mut tree = root.clone();
        for c in parents {
            let Some(sub) = tree.get(c.as_bytes()).and_then(|e| e.subtree) else {
                return Ok(None);
            };
            tree = self.load_tree(&sub)?;
        }
        Ok(tree.get(last.as_bytes()).cloned())
    }

    /// Puts `entry` at product path `path`, creating the directories on the way.
    fn graft(&mut self, path: &str, mut entry: Entry) -> Result<(), StoreError> {
        let comps = product_components(path)?;
        let Some((last, parents)) = comps.split_last() else {
            return Err(StoreError::BadPath {
                path: path.to_string(),
                reason: "the root itself cannot be stored as a component".into(),
            });
        };
        entry.name = last.clone();
        let repo = self.repo;
        let sysroot = self.sysroot.clone();
        let names = &self.names;
        let mut dir = &mut self.root;
        let mut walked = String::new();
        for c in parents {
            walked.push('/');
            walked.push_str(&String::from_utf8_lossy(c));
            let node = dir.children.entry(c.clone()).or_insert_with(|| {
                Node::Open(OpenDir {
                    meta: dir_meta(&sysroot, &walked, c, names),
                    children: BTreeMap::new(),
                })
            });
            if let Node::Stored(e) = node {
                if e.kind != EntryKind::Dir {
                    return Err(StoreError::Conflict { path: walked });
                }
                let opened = open_stored(repo, e)?;
                *node = Node::Open(opened);
            }
            dir = match node {
                Node::Open(d) => d,
                Node::Stored(_) => return Err(StoreError::Conflict { path: walked }),
            };
        }
        if dir.children.contains_key(last) {
            return Err(StoreError::Conflict {
                path: path.to_string(),
            });
        }
        dir.children.insert(last.clone(), Node::Stored(entry));
        Ok(())
    }
}

/// An open directory from a stored directory entry: its children loaded as stored entries.
fn open_stored(repo: &Repository, e: &Entry) -> Result<OpenDir, StoreError> {
    let mut meta = e.clone();
    meta.subtree = None;
    let mut children = BTreeMap::new();
    if let Some(id) = e.subtree {
        let bytes = repo.load_blob(BlobKind::Tree, &id)?;
        let t = decode_tree(&bytes).map_err(|err| StoreError::Tree {
            id,
            reason: err.to_string(),
        })?;
        for c in t.entries {
            children.insert(c.name.clone(), Node::Stored(c));
        }
    }
    Ok(OpenDir { meta, children })
}

/// The metadata of an intermediate directory: its real counterpart's when there is one.
fn dir_meta(sysroot: &Sysroot, product: &str, name: &[u8], names: &NameCache) -> Entry {
    let meta = sysroot
        .real_path_no_follow(Path::new(product))
        .ok()
        .and_then(|r| std::fs::symlink_metadata(r).ok());
    match meta {
        Some(m) if m.is_dir() => {
            let mut e = entry_from_metadata(OsStr::from_bytes(name), &m, names);
            e.subtree = None;
            e
        }
        _ => synthetic_dir(name),
    }
}

fn synthetic_dir(name: &[u8]) -> Entry {
    let mut e = Entry::new(name.to_vec(), EntryKind::Dir);
    e.mode = 0o755;
    e.uid = nix::unistd::getuid().as_raw();
    e.gid = nix::unistd::getgid().as_raw();
    let now = vault::now_unix_ns();
    e.mtime_ns = now;
    e.atime_ns = now;
    e.ctime_ns = now;
    e.nlink = 1;
    e
}

/// The components of an absolute product path; `..` and relative paths are refused.
fn product_components(path: &str) -> Result<Vec<Vec<u8>>, StoreError> {
    let p = Path::new(path);
    if !p.is_absolute() {
        return Err(StoreError::BadPath {
            path: path.to_string(),
            reason: "not an absolute product path".into(),
        });
    }
    let mut out = Vec::new();
    for c in p.components() {
        match c {
            PathComponent::RootDir | PathComponent::CurDir => {}
            PathComponent::Normal(n) => out.push(n.as_bytes().to_vec()),
            PathComponent::ParentDir | PathComponent::Prefix(_) => {
                return Err(StoreError::BadPath {
                    path: path.to_string(),
                    reason: "'..' is not allowed in a stored path".into(),
                })
            }
        }
    }
    Ok(out)
}

fn file_name(path: &str) -> Result<Vec<u8>, StoreError> {
    product_components(path)?
        .pop()
        .ok_or_else(|| StoreError::BadPath {
            path: path.to_string(),
            reason: "no file name".into(),
        })
}

/// `path` as a glob matching exactly that path (globset syntax, backslash escapes).
pub fn glob_escape(path: &Path) -> String {
    let mut out = String::new();
    for ch in path.to_string_lossy().chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' | ',') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn add_summary(total: &mut SnapshotSummary, s: &SnapshotSummary) {
    total.files_new += s.files_new;
    total.files_changed += s.files_changed;
    total.files_unchanged += s.files_unchanged;
    total.dirs_new += s.dirs_new;
    total.dirs_changed += s.dirs_changed;
    total.dirs_unchanged += s.dirs_unchanged;
    total.errors += s.errors;
    total.bytes_read += s.bytes_read;
    total.bytes_total += s.bytes_total;
    total.data_blobs_new += s.data_blobs_new;
    total.tree_blobs_new += s.tree_blobs_new;
    total.bytes_added += s.bytes_added;
    total.bytes_added_stored += s.bytes_added_stored;
}

struct HashRead<'a> {
    inner: &'a mut dyn Read,
    hasher: Sha256,
    bytes: u64,
}

impl Read for HashRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
