//! The backup pipeline: wires walk, read, chunk, save_blob and save_tree together.
//!
//! Threads: one walker (this module; also runs save_tree), `read_threads` readers,
//! `save_threads` savers. Channels: walker → readers bounded (`FileJob`), readers → savers
//! bounded (`SaveJob`, the memory bound), readers → walker unbounded but small (`FileDone`).
//! The walker never blocks on a full job queue without also taking finished files, so the
//! stages cannot deadlock. While it waits it also calls [`Repository::checkpoint_if_due`]
//! every few seconds, so packs uploaded during long reads are named by an index checkpoint.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Select, Sender};
use sha2::{Digest, Sha256};
use tracing::{debug, info};

use super::chunk::DedupSink;
use super::finish;
use super::gate::Gate;
use super::parent;
use super::paths::{self, Layout, Node, SourceSpec};
use super::read::{read_file, read_file_hashed, read_stream, ReadOutcome, Tee};
use super::save_blob::{save_worker, Failure, SaveJob};
use super::save_tree::{write_tree, DirKey, DirState, OpenDirs, RootTree};
use super::source::{BackupSource, FinishAdditions, PendingMessage, SourceKind, SourceReport};
use super::summary::{BackupWarning, Counters, WarningKind, NO_SOURCE};
use super::walk::{self, Excludes, Listed};
use super::{BackupError, BackupOptions, BackupOutcome, BackupSummary};
use crate::chunker::ChunkPolicy;
use crate::fs_meta::NameCache;
use crate::progress::{self, Progress};
use crate::tree::{Entry, EntryKind, Tree};
use crate::{BlobId, Repository, Snapshot, SnapshotSummary};

/// Where a file's bytes come from.
enum FileItem {
    /// A file on disk, as listed; `true`: its content hash is reported (a pending source's
    /// file).
    Disk(Box<Listed>, bool),
    /// A stream source (its stored path, for messages).
    Stream(PathBuf, Box<dyn Read + Send>),
}

/// A file to read.
struct FileJob {
    dir: DirKey,
    index: usize,
    source: usize,
    /// The source's own entry (not a file below it).
    top: bool,
    item: FileItem,
}

/// A file read (or not).
struct FileDone {
    dir: DirKey,
    index: usize,
    source: usize,
    top: bool,
    path: PathBuf,
    outcome: ReadOutcome,
    /// SHA-256 of a stream's content, or of a pending source's file.
    sha256: Option<String>,
}

/// A child of a directory being walked.
enum Child<'n> {
    /// An entry on disk belonging to `source`; `true` for the source's own entry.
    Listed(Listed, usize, bool),
    /// A directory of the skeleton (on the way to sources).
    Inner(Entry, &'n Node),
    /// A `Stream` or `Bytes` source.
    Stream(Entry, usize),
    /// A `Pending` source: placed now, walked once it is ready.
    Pending(Entry, usize),
}

/// A pending source waiting in its directory for its real path.
struct Deferred {
    /// The directory it is an entry of, and its index there.
    dir: DirKey,
    index: usize,
    /// Its stored path.
    stored: PathBuf,
    source: usize,
    /// The same entry in the parent snapshot.
    old: Option<Entry>,
    ready: crossbeam_channel::Receiver<PendingMessage>,
}

/// The unreadable entries of this run as the snapshot records them: by stored path, with a
/// short reason (issue 21: an unreadable directory was stored empty and nothing in the
/// snapshot said so).
fn not_backed_up(
    infos: &[SourceInfo],
    warnings: &[(usize, BackupWarning)],
) -> Vec<crate::format::snapshot::NotBackedUp> {
    use crate::format::snapshot::{NotBackedUp, MAX_NOT_BACKED_UP};
    warnings
        .iter()
        .filter(|(_, w)| w.kind == WarningKind::Unreadable)
        .take(MAX_NOT_BACKED_UP)
        .map(|(source, w)| {
            let stored = infos
                .get(*source)
                .and_then(|info| {
                    let rest = w.path.strip_prefix(info.real.as_ref()?).ok()?;
                    Some(if rest.as_os_str().is_empty() {
                        info.stored.clone()
                    } else {
                        info.stored.join(rest)
                    })
                })
                .unwrap_or_else(|| w.path.clone());
            let denied = w.message.contains("os error 13") || w.message.contains("os error 1)");
            NotBackedUp {
                path: stored.display().to_string(),
                reason: if denied {
                    "permission denied".to_string()
                } else {
                    w.message.clone()
                },
                dir: std::fs::symlink_metadata(&w.path).is_ok_and(|m| m.is_dir()),
            }
        })
        .collect()
}

/// One source as the pipeline holds it.
pub(crate) struct SourceInfo {
    pub stored: PathBuf,
    pub components: Vec<OsString>,
    pub kind: SourceKind,
    pub real: Option<PathBuf>,
    pub excludes: Excludes,
    pub mode: u32,
    pub mtime_ns: i64,
}

/// Per-source counters, kept by the walker.
#[derive(Debug, Default, Clone)]
struct Tally {
    placed: bool,
    stored: bool,
    files: u64,
    dirs: u64,
    others: u64,
    bytes: u64,
    bytes_read: u64,
    started: Option<Instant>,
    last: Option<Instant>,
    sha256: Option<String>,
    /// A pending source's files: path relative to the source, SHA-256.
    file_sha256: BTreeMap<PathBuf, String>,
}

impl Tally {
    fn touch(&mut self) {
        self.last = Some(Instant::now());
    }
}

struct Walker<'a> {
    repo: &'a Repository,
    counters: &'a Counters,
    names: &'a NameCache,
    failure: &'a Failure,
    sources: &'a [SourceInfo],
    nested: &'a HashMap<PathBuf, Vec<usize>>,
    streams: Vec<Option<Box<dyn Read + Send>>>,
    /// The channels of the pending sources (by source index), until placed.
    pending: Vec<Option<crossbeam_channel::Receiver<PendingMessage>>>,
    /// Pending sources placed in their directory, not ready yet.
    deferred: Vec<Deferred>,
    /// Where each pending source turned out to be (by source index), once ready.
    pending_roots: HashMap<usize, PathBuf>,
    /// Files of the other sources dispatched and not read yet.
    unread: usize,
    /// Every other source is walked (all their files dispatched).
    walked: bool,
    /// Told once every source but the pending ones is read.
    read_notice: Option<std::sync::mpsc::Sender<()>>,
    tally: Vec<Tally>,
    jobs: Option<Sender<FileJob>>,
    done: Receiver<FileDone>,
    dirs: OpenDirs,
    root: Option<RootTree>,
    checkpoint_every: Duration,
    last_checkpoint: Instant,
    /// Live counters for a display: totals as files are found, done as they complete.
    progress: Option<Arc<Progress>>,
}

fn internal(msg: &str) -> BackupError {
    BackupError::Internal(msg.to_string())
}

/// A regular file or directory entry that is not on disk, owned by the current user.
pub(crate) fn synthetic_entry(
    name: &[u8],
    kind: EntryKind,
    mode: u32,
    mtime_ns: i64,
    names: &NameCache,
) -> Entry {
    let mut e = Entry::new(name.to_vec(), kind);
    e.mode = mode & 0o7777;
    e.uid = rustix::process::getuid().as_raw();
    e.gid = rustix::process::getgid().as_raw();
    e.user = names.user(e.uid);
    e.group = names.group(e.gid);
    e.mtime_ns = mtime_ns;
    e.atime_ns = mtime_ns;
    e.ctime_ns = mtime_ns;
    e.nlink = 1;
    e
}

/// Synthetic directories get a fixed time so that their tree stays identical between runs.
const SYNTHETIC_DIR_MTIME: i64 = 0;

impl Walker<'_> {
    fn check_abort(&self) -> Result<(), BackupError> {
        if self.failure.aborted() {
            return Err(match self.failure.take() {
                Some(e) => BackupError::Repository(e),
                None => internal("aborted"),
            });
        }
        Ok(())
    }

    /// Index checkpoints during long reads and walks (the repository decides whether one is
    /// due; this only gives it the chance every few seconds).
    fn maybe_checkpoint(&mut self) -> Result<(), BackupError> {
        if self.last_checkpoint.elapsed() >= self.checkpoint_every {
            self.last_checkpoint = Instant::now();
            self.repo.checkpoint_if_due()?;
        }
        Ok(())
    }

    fn tally(&mut self, source: usize) -> Option<&mut Tally> {
        self.tally.get_mut(source)
    }

    fn finish_item(&mut self, dir: DirKey) -> Result<(), BackupError> {
        if let Some(root) = self.dirs.finish_item(dir, self.repo, self.counters)? {
            self.root = Some(root);
        }
        Ok(())
    }

    fn handle_done(&mut self, done: FileDone) -> Result<(), BackupError> {
        let FileDone {
            dir,
            index,
            source,
            top,
            path,
            outcome,
            sha256,
        } = done;
        if !self.is_pending(source) {
            self.unread = self.unread.saturating_sub(1);
        }
        let state = self
            .dirs
            .get_mut(dir)
            .ok_or_else(|| internal("file finished for a closed directory"))?;
        let slot = state
            .entries
            .get_mut(index)
            .ok_or_else(|| internal("file finished for an unknown entry"))?;
        match outcome {
            ReadOutcome::Done {
                content,
                sparse,
                size,
                bytes_read,
                changed,
            } => {
                // the bytes were counted chunk by chunk as the reader cut them
                progress::add_done(&self.progress, 1, 0);
                if let Some(entry) = slot.as_mut() {
                    entry.content = content;
                    entry.sparse = sparse;
                    entry.size = size;
                }
                Counters::add(&self.counters.bytes_read, bytes_read);
                Counters::add(&self.counters.bytes_total, size);
                let below = self
                    .pending_roots
                    .get(&source)
                    .map(|root| path.strip_prefix(root).unwrap_or(&path).to_path_buf());
                if let Some(t) = self.tally(source) {
                    t.files += 1;
                    t.bytes += size;
                    t.bytes_read += bytes_read;
                    match (below, sha256) {
                        (Some(below), Some(sha)) => {
                            t.file_sha256.insert(below, sha);
                        }
                        (None, Some(sha)) => t.sha256 = Some(sha),
                        (_, None) => {}
                    }
                    t.touch();
                }
                if let Some(why) = changed {
                    self.counters.warn(source, path, WarningKind::Changed, why);
                }
            }
            ReadOutcome::Failed { kind, message } => {
                progress::add_done(&self.progress, 1, 0);
                *slot = None;
                self.counters.warn(source, path, kind, message);
                if let Some(t) = self.tally(source) {
                    if top {
                        t.stored = false;
                    }
                    t.touch();
                }
            }
        }
        self.maybe_notify();
        self.finish_item(dir)
    }

    fn is_pending(&self, source: usize) -> bool {
        self.sources
            .get(source)
            .is_some_and(|s| s.kind == SourceKind::Pending)
    }

    /// Sends the read notice once every source but the pending ones is read.
    fn maybe_notify(&mut self) {
        if self.walked && self.unread == 0 {
            if let Some(tx) = self.read_notice.take() {
                // nobody listening any more is fine
                let _ = tx.send(());
            }
        }
    }

    /// Queues a file for the readers, taking finished files while the queue is full.
    fn dispatch(&mut self, job: FileJob) -> Result<(), BackupError> {
        if !self.is_pending(job.source) {
            self.unread += 1;
        }
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| internal("job queue closed"))?;
        let mut job = Some(job);
        while let Some(j) = job.take() {
            self.check_abort()?;
            self.maybe_checkpoint()?;
            let done = {
                let mut sel = Select::new();
                let send_op = sel.send(&jobs);
                let recv_op = sel.recv(&self.done);
                match sel.select_timeout(Duration::from_millis(200)) {
                    Ok(op) if op.index() == send_op => {
                        op.send(&jobs, j).map_err(|_| internal("readers stopped"))?;
                        None
                    }
                    Ok(op) if op.index() == recv_op => {
                        job = Some(j);
                        Some(
                            op.recv(&self.done)
                                .map_err(|_| internal("readers stopped"))?,
                        )
                    }
                    // timeout: look at the abort flag again
                    _ => {
                        job = Some(j);
                        None
                    }
                }
            };
            if let Some(done) = done {
                self.handle_done(done)?;
            }
        }
        Ok(())
    }

    /// The child for source `index` placed in a directory: its real path stat'ed, or the
    /// synthetic file of a stream.
    fn source_child<'n>(&mut self, index: usize) -> Option<Child<'n>> {
        let info = self.sources.get(index)?;
        let name = info.components.last()?.clone();
        if let Some(t) = self.tally.get_mut(index) {
            t.placed = true;
            t.started = Some(Instant::now());
            t.touch();
        }
        match &info.real {
            Some(real) => {
                let listed = walk::stat_entry(real, &name, self.names, self.counters, index)?;
                if let Some(t) = self.tally.get_mut(index) {
                    t.stored = true;
                }
                Some(Child::Listed(listed, index, true))
            }
            // a placeholder until it is ready (then its real metadata replaces it)
            None if info.kind == SourceKind::Pending => Some(Child::Pending(
                synthetic_entry(
                    name.as_bytes(),
                    EntryKind::Dir,
                    0o700,
                    SYNTHETIC_DIR_MTIME,
                    self.names,
                ),
                index,
            )),
            None => {
                let e = synthetic_entry(
                    name.as_bytes(),
                    EntryKind::File,
                    info.mode,
                    info.mtime_ns,
                    self.names,
                );
                if let Some(t) = self.tally.get_mut(index) {
                    t.stored = true;
                }
                Some(Child::Stream(e, index))
            }
        }
    }

    /// Sources stored inside the directory at stored path `stored` of another source.
    fn nested_children<'n>(&mut self, stored: &Path) -> Vec<Child<'n>> {
        let Some(list) = self.nested.get(stored) else {
            return Vec::new();
        };
        let list = list.clone();
        list.into_iter()
            .filter_map(|i| self.source_child(i))
            .collect()
    }

    /// The children of an intermediate skeleton directory.
    fn skeleton_children<'n>(&mut self, children: &'n BTreeMap<OsString, Node>) -> Vec<Child<'n>> {
        let mut out = Vec::new();
        for (name, node) in children {
            match node {
                Node::Source(index) => out.extend(self.source_child(*index)),
                Node::Inner { real, .. } => {
                    let synthetic = || {
                        synthetic_entry(
                            name.as_bytes(),
                            EntryKind::Dir,
                            0o755,
                            SYNTHETIC_DIR_MTIME,
                            self.names,
                        )
                    };
                    let entry = match real {
                        Some(r) => {
                            match walk::stat_entry(r, name, self.names, self.counters, NO_SOURCE) {
                                Some(l) if l.entry.kind == EntryKind::Dir => l.entry,
                                Some(_) => {
                                    self.counters.warn(
                                        NO_SOURCE,
                                        r.clone(),
                                        WarningKind::Changed,
                                        "not a directory; stored as a plain directory",
                                    );
                                    synthetic()
                                }
                                None => synthetic(),
                            }
                        }
                        None => synthetic(),
                    };
                    out.push(Child::Inner(entry, node));
                }
            }
        }
        out
    }

    /// The children of a directory listed from disk for `source`, plus nested sources.
    fn listed_children<'n>(&mut self, real: &Path, stored: &Path, source: usize) -> Vec<Child<'n>> {
        let Some(info) = self.sources.get(source) else {
            return Vec::new();
        };
        let mut out: Vec<Child<'n>> = walk::list_dir(
            real,
            stored,
            &info.excludes,
            self.names,
            self.counters,
            source,
        )
        .into_iter()
        .map(|l| Child::Listed(l, source, false))
        .collect();
        out.extend(self.nested_children(stored));
        out
    }

    /// Walks one directory: registers it, handles every child, then completes it if nothing
    /// is pending.
    fn walk_dir(
        &mut self,
        stored: &Path,
        source: usize,
        children: Vec<Child<'_>>,
        parent: Option<(BlobId, Tree)>,
        link: Option<(DirKey, usize)>,
    ) -> Result<(), BackupError> {
        self.check_abort()?;
        self.maybe_checkpoint()?;
        if let Some(t) = self.tally(source) {
            t.dirs += 1;
        }
        let key = self.dirs.open(DirState {
            path: stored.to_path_buf(),
            entries: Vec::with_capacity(children.len()),
            pending: 0,
            listed: false,
            link,
            parent: None,
        });
        let parent_tree = parent;
        for child in children {
            let entry = match &child {
                Child::Listed(l, _, _) => &l.entry,
                Child::Inner(e, _) | Child::Stream(e, _) | Child::Pending(e, _) => e,
            };
            let old = parent_tree
                .as_ref()
                .and_then(|(_, t)| t.get(&entry.name))
                .cloned();
            let child_stored = stored.join(OsStr::from_bytes(&entry.name));
            let index = {
                let state = self
                    .dirs
                    .get_mut(key)
                    .ok_or_else(|| internal("dir vanished"))?;
                state.entries.push(Some(entry.clone()));
                state.entries.len() - 1
            };
            let old_tree = |w: &Self, o: &Option<Entry>| {
                o.as_ref()
                    .filter(|o| o.kind == EntryKind::Dir)
                    .and_then(|o| o.subtree)
                    .and_then(|id| parent::load_tree(w.repo, &id).map(|t| (id, t)))
            };
            match child {
                Child::Inner(_, node) => {
                    self.bump_pending(key)?;
                    let grandchildren = match node {
                        Node::Inner { children, .. } => self.skeleton_children(children),
                        Node::Source(_) => Vec::new(),
                    };
                    let old = old_tree(self, &old);
                    self.walk_dir(
                        &child_stored,
                        NO_SOURCE,
                        grandchildren,
                        old,
                        Some((key, index)),
                    )?;
                }
                Child::Stream(_, src) => {
                    let counter = if old.as_ref().is_some_and(|o| o.kind == EntryKind::File) {
                        &self.counters.files_changed
                    } else {
                        &self.counters.files_new
                    };
                    Counters::add(counter, 1);
                    // a stream's size is known only once it is read
                    progress::add_total(&self.progress, 1, 0);
                    let reader = self
                        .streams
                        .get_mut(src)
                        .and_then(Option::take)
                        .ok_or_else(|| internal("stream used twice"))?;
                    self.bump_pending(key)?;
                    self.dispatch(FileJob {
                        dir: key,
                        index,
                        source: src,
                        top: true,
                        item: FileItem::Stream(child_stored, reader),
                    })?;
                }
                Child::Pending(_, src) => {
                    let ready = self
                        .pending
                        .get_mut(src)
                        .and_then(Option::take)
                        .ok_or_else(|| internal("pending source placed twice"))?;
                    self.bump_pending(key)?;
                    self.deferred.push(Deferred {
                        dir: key,
                        index,
                        stored: child_stored,
                        source: src,
                        old,
                        ready,
                    });
                }
                Child::Listed(listed, src, top) => match listed.entry.kind {
                    EntryKind::Dir => {
                        self.bump_pending(key)?;
                        let grandchildren = self.listed_children(&listed.path, &child_stored, src);
                        let old = old_tree(self, &old);
                        self.walk_dir(&child_stored, src, grandchildren, old, Some((key, index)))?;
                    }
                    EntryKind::File => self.file(key, (index, src, top), listed, old.as_ref())?,
                    _ => {
                        Counters::add(&self.counters.others, 1);
                        if let Some(t) = self.tally(src) {
                            t.others += 1;
                        }
                    }
                },
            }
        }
        let state = self
            .dirs
            .get_mut(key)
            .ok_or_else(|| internal("dir vanished"))?;
        state.listed = true;
        state.parent = parent_tree;
        if let Some(t) = self.tally(source) {
            t.touch();
        }
        if let Some(root) = self.dirs.try_complete(key, self.repo, self.counters)? {
            self.root = Some(root);
        }
        Ok(())
    }

    /// A regular file on disk: reuse the parent's content when unchanged, else read it.
    fn file(
        &mut self,
        key: DirKey,
        (index, source, top): (usize, usize, bool),
        listed: Listed,
        old: Option<&Entry>,
    ) -> Result<(), BackupError> {
        // a pending source's files are always read: their content hashes are reported
        let hash = self.is_pending(source);
        let old = old.filter(|_| !hash);
        let e = &listed.entry;
        progress::add_total(&self.progress, 1, e.size);
        let unchanged = old.filter(|o| {
            o.kind == EntryKind::File
                && o.size == e.size
                && o.mtime_ns == e.mtime_ns
                && o.ctime_ns == e.ctime_ns
                && o.inode == e.inode
        });
        if let Some(o) = unchanged {
            Counters::add(&self.counters.files_unchanged, 1);
            Counters::add(&self.counters.bytes_total, e.size);
            progress::add_done(&self.progress, 1, e.size);
            let size = e.size;
            if let Some(t) = self.tally(source) {
                t.files += 1;
                t.bytes += size;
                t.touch();
            }
            let state = self
                .dirs
                .get_mut(key)
                .ok_or_else(|| internal("dir vanished"))?;
            if let Some(Some(slot)) = state.entries.get_mut(index) {
                slot.content.clone_from(&o.content);
                slot.sparse = o.sparse;
            }
            return Ok(());
        }
        let counter = if old.is_some_and(|o| o.kind == EntryKind::File) {
            &self.counters.files_changed
        } else {
            &self.counters.files_new
        };
        Counters::add(counter, 1);
        self.bump_pending(key)?;
        self.dispatch(FileJob {
            dir: key,
            index,
            source,
            top,
            item: FileItem::Disk(Box::new(listed), hash),
        })
    }

    fn bump_pending(&mut self, key: DirKey) -> Result<(), BackupError> {
        let state = self
            .dirs
            .get_mut(key)
            .ok_or_else(|| internal("dir vanished"))?;
        state.pending += 1;
        Ok(())
    }

    /// Walks the whole skeleton, then waits for the last files.
    fn run(
        &mut self,
        skeleton: &Node,
        parent_root: Option<BlobId>,
    ) -> Result<RootTree, BackupError> {
        let parent = parent_root.and_then(|id| parent::load_tree(self.repo, &id).map(|t| (id, t)));
        let root = Path::new("/");
        match skeleton {
            Node::Source(index) => {
                let index = *index;
                let real = self
                    .sources
                    .get(index)
                    .and_then(|s| s.real.clone())
                    .ok_or_else(|| internal("the root source has no real path"))?;
                let meta =
                    std::fs::symlink_metadata(&real).map_err(|source| BackupError::Source {
                        path: real.clone(),
                        source,
                    })?;
                if !meta.is_dir() {
                    return Err(BackupError::InvalidPath {
                        path: real,
                        reason: "the snapshot root must be a directory".into(),
                    });
                }
                if let Some(t) = self.tally(index) {
                    t.placed = true;
                    t.stored = true;
                    t.started = Some(Instant::now());
                }
                let children = self.listed_children(&real, root, index);
                self.walk_dir(root, index, children, parent, None)?;
            }
            Node::Inner { children, .. } => {
                let children = self.skeleton_children(children);
                self.walk_dir(root, NO_SOURCE, children, parent, None)?;
            }
        }
        self.walked = true;
        self.maybe_notify();
        self.resolve_deferred()?;
        // no more jobs: readers finish what they have and exit
        self.jobs = None;
        while self.root.is_none() {
            self.check_abort()?;
            self.maybe_checkpoint()?;
            match self.done.recv_timeout(Duration::from_millis(200)) {
                Ok(done) => self.handle_done(done)?,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    self.check_abort()?;
                    return Err(internal("readers stopped before every file was done"));
                }
            }
        }
        self.root.take().ok_or_else(|| internal("no root tree"))
    }
}

/// What the walker got while it waited for the pending sources.
enum Waited {
    /// A file finished.
    Done(FileDone),
    /// Pending source `.0` said where it is (or why not; `Err(())`: its sender was dropped).
    Ready(usize, Result<PendingMessage, ()>),
    /// Nothing within the tick.
    Nothing,
}

impl Walker<'_> {
    /// Waits for the pending sources, taking finished files meanwhile, and walks each one as
    /// soon as it is ready (so they are stored in the order they become ready).
    fn resolve_deferred(&mut self) -> Result<(), BackupError> {
        while !self.deferred.is_empty() {
            self.check_abort()?;
            self.maybe_checkpoint()?;
            let waited = {
                let mut sel = Select::new();
                for d in &self.deferred {
                    sel.recv(&d.ready);
                }
                let done_op = sel.recv(&self.done);
                match sel.select_timeout(Duration::from_millis(200)) {
                    Ok(op) if op.index() == done_op => Waited::Done(
                        op.recv(&self.done)
                            .map_err(|_| internal("readers stopped"))?,
                    ),
                    Ok(op) => {
                        // the operations before `done_op` are the pending sources, in order
                        let i = op.index();
                        Waited::Ready(i, op.recv(&self.deferred[i].ready).map_err(|_| ()))
                    }
                    Err(_) => Waited::Nothing,
                }
            };
            match waited {
                Waited::Done(done) => self.handle_done(done)?,
                Waited::Ready(i, said) => {
                    let d = self.deferred.swap_remove(i);
                    match said {
                        Ok(PendingMessage::Ready(real)) => self.walk_pending(d, &real)?,
                        Ok(PendingMessage::Failed(why)) => self.leave_out(d, why)?,
                        // its producer reports why
                        Ok(PendingMessage::Nothing) => self.drop_entry(&d)?,
                        Err(()) => self.leave_out(d, "it never became ready".into())?,
                    }
                }
                Waited::Nothing => {}
            }
        }
        Ok(())
    }

    /// A pending source is ready at `real`: walked (or read) like a `Path` source's top.
    fn walk_pending(&mut self, d: Deferred, real: &Path) -> Result<(), BackupError> {
        let name = self
            .sources
            .get(d.source)
            .and_then(|i| i.components.last().cloned())
            .ok_or_else(|| internal("a pending source without a name"))?;
        if let Some(t) = self.tally(d.source) {
            t.started = Some(Instant::now());
            t.touch();
        }
        self.pending_roots.insert(d.source, real.to_path_buf());
        let Some(listed) = walk::stat_entry(real, &name, self.names, self.counters, d.source)
        else {
            // gone already: stat_entry recorded why
            return self.drop_entry(&d);
        };
        if let Some(t) = self.tally(d.source) {
            t.stored = true;
        }
        if let Some(slot) = self
            .dirs
            .get_mut(d.dir)
            .and_then(|s| s.entries.get_mut(d.index))
        {
            *slot = Some(listed.entry.clone());
        }
        match listed.entry.kind {
            EntryKind::Dir => {
                let children = self.listed_children(real, &d.stored, d.source);
                let old = d
                    .old
                    .as_ref()
                    .filter(|o| o.kind == EntryKind::Dir)
                    .and_then(|o| o.subtree)
                    .and_then(|id| parent::load_tree(self.repo, &id).map(|t| (id, t)));
                self.walk_dir(&d.stored, d.source, children, old, Some((d.dir, d.index)))
            }
            EntryKind::File => {
                self.file(d.dir, (d.index, d.source, true), listed, d.old.as_ref())?;
                // the read (if any) holds the directory open now: release the placeholder's
                self.finish_item(d.dir)
            }
            _ => {
                Counters::add(&self.counters.others, 1);
                if let Some(t) = self.tally(d.source) {
                    t.others += 1;
                }
                self.finish_item(d.dir)
            }
        }
    }

    /// A pending source that will not be there: left out, `why` in its report.
    fn leave_out(&mut self, d: Deferred, why: String) -> Result<(), BackupError> {
        self.counters
            .warn(d.source, d.stored.clone(), WarningKind::Unreadable, why);
        self.drop_entry(&d)
    }

    /// Removes a pending source's placeholder from its directory.
    fn drop_entry(&mut self, d: &Deferred) -> Result<(), BackupError> {
        if let Some(slot) = self
            .dirs
            .get_mut(d.dir)
            .and_then(|s| s.entries.get_mut(d.index))
        {
            *slot = None;
        }
        if let Some(t) = self.tally(d.source) {
            t.stored = false;
            t.touch();
        }
        self.finish_item(d.dir)
    }
}

#[allow(clippy::too_many_arguments)]
fn reader_loop(
    repo: &Repository,
    policy: &ChunkPolicy,
    gate: &Gate,
    progress: Option<Arc<Progress>>,
    jobs: Receiver<FileJob>,
    save: Sender<SaveJob>,
    done: Sender<FileDone>,
    failure: &Failure,
) {
    let sink = DedupSink {
        repo,
        progress: progress.as_ref(),
        save,
        abort: &failure.abort,
    };
    for job in jobs {
        if failure.aborted() {
            continue;
        }
        let (path, read, sha256) = match job.item {
            FileItem::Disk(listed, hash) => {
                let params = policy.for_name(&listed.entry.name);
                // files over an average chunk stream through the chunker's large buffer
                let _pass = (listed.entry.size > u64::from(params.avg_size)).then(|| gate.enter());
                if hash {
                    let mut hasher = Sha256::new();
                    let r =
                        read_file_hashed(&listed.path, &listed.entry, params, &sink, &mut hasher);
                    (listed.path, r, Some(hex::encode(hasher.finalize())))
                } else {
                    let r = read_file(&listed.path, &listed.entry, params, &sink);
                    (listed.path, r, None)
                }
            }
            FileItem::Stream(stored, reader) => {
                let mut hasher = Sha256::new();
                let mut hashing = Tee {
                    inner: reader,
                    hasher: Some(&mut hasher),
                };
                // a dump stored under a database-image name is chunked like the file
                let name = stored.file_name().map(OsStr::as_bytes).unwrap_or_default();
                let _pass = gate.enter();
                let r = read_stream(&mut hashing, policy.for_name(name), &sink);
                (stored, r, Some(hex::encode(hasher.finalize())))
            }
        };
        let Ok(outcome) = read else { continue };
        let msg = FileDone {
            dir: job.dir,
            index: job.index,
            source: job.source,
            top: job.top,
            path,
            outcome,
            sha256,
        };
        if done.send(msg).is_err() {
            return;
        }
    }
}

/// Splits the sources into what the walker needs and the stream readers.
/// What [`prepare`] splits the sources into: the walker's view, the stream readers and the
/// pending sources' channels (both by source index).
type Prepared = (
    Vec<SourceInfo>,
    Vec<Option<Box<dyn Read + Send>>>,
    Vec<Option<crossbeam_channel::Receiver<PendingMessage>>>,
);

fn prepare(sources: Vec<BackupSource>, opts: &BackupOptions) -> Result<Prepared, BackupError> {
    if sources.is_empty() {
        return Err(BackupError::InvalidPath {
            path: PathBuf::new(),
            reason: "no path to back up".into(),
        });
    }
    let mut infos = Vec::with_capacity(sources.len());
    let mut readers = Vec::with_capacity(sources.len());
    let mut pendings = Vec::with_capacity(sources.len());
    for source in sources {
        let mut pending = None;
        let stored = source.stored_as().to_path_buf();
        let components = paths::stored_components(&stored)?;
        let (kind, real, own_excludes, mode, mtime_ns, reader): (
            _,
            _,
            _,
            _,
            _,
            Option<Box<dyn Read + Send>>,
        ) = match source {
            BackupSource::Path { real, excludes, .. } => {
                if !real.is_absolute() {
                    return Err(BackupError::InvalidPath {
                        path: real,
                        reason: "the real path of a source must be absolute".into(),
                    });
                }
                std::fs::symlink_metadata(&real).map_err(|source| BackupError::Source {
                    path: real.clone(),
                    source,
                })?;
                (SourceKind::Path, Some(real), excludes, 0, 0, None)
            }
            BackupSource::Stream {
                reader,
                mode,
                mtime_ns,
                ..
            } => (
                SourceKind::Stream,
                None,
                Vec::new(),
                mode,
                mtime_ns,
                Some(reader),
            ),
            BackupSource::Bytes {
                data,
                mode,
                mtime_ns,
                ..
            } => (
                SourceKind::Bytes,
                None,
                Vec::new(),
                mode,
                mtime_ns,
                Some(Box::new(std::io::Cursor::new(data)) as Box<dyn Read + Send>),
            ),
            BackupSource::Pending { ready, .. } => {
                pending = Some(ready.0);
                (SourceKind::Pending, None, Vec::new(), 0, 0, None)
            }
        };
        if components.is_empty() && real.is_none() {
            return Err(BackupError::InvalidPath {
                path: stored,
                reason: "only a directory can be stored as the snapshot root".into(),
            });
        }
        let mut patterns = opts.excludes.clone();
        patterns.extend(own_excludes);
        infos.push(SourceInfo {
            stored: paths::stored_path(&components),
            components,
            kind,
            real,
            excludes: Excludes::new(&patterns)?,
            mode,
            mtime_ns,
        });
        readers.push(reader);
        pendings.push(pending);
    }
    Ok((infos, readers, pendings))
}

fn reports(
    infos: &[SourceInfo],
    tally: &[Tally],
    warnings: &mut Vec<(usize, BackupWarning)>,
) -> Vec<SourceReport> {
    let mut out = Vec::with_capacity(infos.len());
    for (i, info) in infos.iter().enumerate() {
        let t = tally.get(i).cloned().unwrap_or_default();
        if !t.placed {
            // a nested source whose directory was not found in the enclosing source
            warnings.push((
                i,
                BackupWarning {
                    path: info.stored.clone(),
                    kind: WarningKind::Vanished,
                    message: "not stored: the directory it belongs in was not found".into(),
                },
            ));
        }
        let duration = match (t.started, t.last) {
            (Some(s), Some(l)) => l.saturating_duration_since(s),
            _ => Duration::ZERO,
        };
        out.push(SourceReport {
            stored_as: info.stored.clone(),
            kind: info.kind,
            stored: t.placed && t.stored,
            files: t.files,
            dirs: t.dirs,
            others: t.others,
            bytes: t.bytes,
            bytes_read: t.bytes_read,
            warnings: warnings
                .iter()
                .filter(|(s, _)| *s == i)
                .map(|(_, w)| w.clone())
                .collect(),
            duration,
            sha256: t.sha256,
            file_sha256: t.file_sha256,
        });
    }
    out
}

/// What the threads of one backup share.
struct Shared<'a> {
    repo: &'a Repository,
    opts: &'a BackupOptions,
    counters: &'a Counters,
    names: &'a NameCache,
    failure: &'a Failure,
    policy: &'a ChunkPolicy,
    gate: &'a Gate,
}

/// What the walk consumes: the sources, where they go, and the parent to compare with.
struct WalkInput<'a> {
    infos: &'a [SourceInfo],
    nested: &'a HashMap<PathBuf, Vec<usize>>,
    skeleton: Node,
    readers: Vec<Option<Box<dyn Read + Send>>>,
    pendings: Vec<Option<crossbeam_channel::Receiver<PendingMessage>>>,
    parent_root: Option<BlobId>,
}

/// Walks the sources and stores what they hold: one walker thread (a large stack: it
/// recurses once per directory level), `read_threads` readers chunking the files and
/// `save_threads` savers compressing, encrypting and packing the blobs. Returns the root
/// tree's entries and each source's tally; a failed save stops everything early.
fn walk_and_store(
    shared: &Shared<'_>,
    walk: WalkInput<'_>,
) -> Result<(RootTree, Vec<Tally>), BackupError> {
    let (repo, opts) = (shared.repo, shared.opts);
    let read_threads = opts.read_threads.max(1);
    let save_threads = opts.save_threads.max(1);
    thread::scope(|s| -> Result<(RootTree, Vec<Tally>), BackupError> {
        let (save_tx, save_rx) = bounded::<SaveJob>(save_threads * 2);
        let (job_tx, job_rx) = bounded::<FileJob>(read_threads * 4);
        let (done_tx, done_rx) = unbounded::<FileDone>();
        for _ in 0..save_threads {
            let rx = save_rx.clone();
            let failure = shared.failure;
            s.spawn(move || save_worker(repo, rx, failure));
        }
        drop(save_rx);
        for _ in 0..read_threads {
            let (jobs, save, done) = (job_rx.clone(), save_tx.clone(), done_tx.clone());
            let (failure, policy) = (shared.failure, shared.policy);
            let (progress, gate) = (opts.progress.clone(), shared.gate);
            s.spawn(move || reader_loop(repo, policy, gate, progress, jobs, save, done, failure));
        }
        drop((job_rx, save_tx, done_tx));
        // the walk recurses once per directory level: give it a large stack
        let walker = thread::Builder::new()
            .name("backup-walk".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, {
                let (counters, names, failure, skeleton, infos, nested) = (
                    shared.counters,
                    shared.names,
                    shared.failure,
                    &walk.skeleton,
                    walk.infos,
                    walk.nested,
                );
                let parent_root = walk.parent_root;
                let checkpoint_every = opts.checkpoint_every;
                let progress = opts.progress.clone();
                let read_notice = opts.read_notice.clone();
                move || {
                    let mut w = Walker {
                        repo,
                        counters,
                        names,
                        failure,
                        sources: infos,
                        nested,
                        tally: vec![Tally::default(); infos.len()],
                        streams: walk.readers,
                        pending: walk.pendings,
                        deferred: Vec::new(),
                        pending_roots: HashMap::new(),
                        unread: 0,
                        walked: false,
                        read_notice,
                        jobs: Some(job_tx),
                        done: done_rx,
                        dirs: OpenDirs::default(),
                        root: None,
                        checkpoint_every,
                        last_checkpoint: Instant::now(),
                        progress,
                    };
                    let r = w.run(skeleton, parent_root);
                    if r.is_err() {
                        // stop readers and savers quickly
                        failure
                            .abort
                            .store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    r.map(|root| (root, w.tally))
                }
            })
            .map_err(|e| internal(&format!("cannot start the walker thread: {e}")))?;
        walker
            .join()
            .map_err(|_| internal("the walker thread panicked"))?
    })
}

/// The summary a snapshot records of its backup.
fn snapshot_summary(
    summary: &BackupSummary,
    started_ns: i64,
    not_backed_up: Vec<crate::format::snapshot::NotBackedUp>,
) -> SnapshotSummary {
    SnapshotSummary {
        files_new: summary.files_new,
        files_changed: summary.files_changed,
        files_unchanged: summary.files_unchanged,
        dirs_new: summary.dirs_new,
        dirs_changed: summary.dirs_changed,
        dirs_unchanged: summary.dirs_unchanged,
        errors: summary.warnings,
        bytes_read: summary.bytes_read,
        bytes_total: summary.bytes_total,
        data_blobs_new: summary.data_blobs_new,
        tree_blobs_new: summary.tree_blobs_new,
        bytes_added: summary.bytes_added_raw,
        bytes_added_stored: summary.bytes_added_stored,
        started: started_ns,
        finished: crate::util::now_unix_ns(),
        not_backed_up,
    }
}

pub(crate) fn run(
    repo: &Repository,
    sources: Vec<BackupSource>,
    opts: &BackupOptions,
    finish_hook: impl FnOnce(&[SourceReport]) -> FinishAdditions,
) -> Result<BackupOutcome, BackupError> {
    let started = Instant::now();
    let started_ns = crate::util::now_unix_ns();
    let (infos, readers, pendings) = prepare(sources, opts)?;
    let specs: Vec<SourceSpec<'_>> = infos
        .iter()
        .map(|i| SourceSpec {
            stored: i.stored.clone(),
            components: i.components.clone(),
            real: i.real.clone(),
            excludes: &i.excludes,
        })
        .collect();
    let Layout {
        skeleton,
        nested,
        paths: snapshot_paths,
    } = paths::layout(&specs)?;
    let parent = parent::choose(repo, &opts.parent, &opts.host, &snapshot_paths)?;
    let stats_before = repo.session_stats();
    let counters = Counters::default();
    let names = NameCache::default();
    let failure = Failure::default();
    let policy = repo.config().chunk_policy(repo.chunker().seed);
    let params = policy.default;
    // large files stream at most this many at a time (memory bound; enough to keep every
    // saving thread busy)
    let gate = Gate::new(opts.save_threads.max(1).max(2));

    let shared = Shared {
        repo,
        opts,
        counters: &counters,
        names: &names,
        failure: &failure,
        policy: &policy,
        gate: &gate,
    };
    let walk = WalkInput {
        infos: &infos,
        nested: &nested,
        skeleton,
        readers,
        pendings,
        parent_root: parent.as_ref().map(|(_, p)| p.tree),
    };
    let (root, tally) = walk_and_store(&shared, walk)?;
    if let Some(e) = failure.take() {
        return Err(BackupError::Repository(e));
    }

    let mut tagged_warnings = counters.take_warnings();
    let source_reports = reports(&infos, &tally, &mut tagged_warnings);
    let additions = finish_hook(&source_reports);
    let RootTree {
        mut entries,
        parent: parent_root_tree,
    } = root;
    for (stored, data, mode) in &additions.files {
        finish::add_file(
            repo,
            &params,
            &names,
            &counters,
            &infos,
            &mut entries,
            stored,
            data,
            *mode,
        )?;
    }
    let root_id = write_tree(entries, parent_root_tree, repo, &counters)?;
    // every blob durable and indexed before the snapshot refers to them
    repo.flush()?;

    let stats = repo.session_stats();
    let not_backed_up = not_backed_up(&infos, &tagged_warnings);
    let warnings: Vec<BackupWarning> = tagged_warnings.into_iter().map(|(_, w)| w).collect();
    let duration = started.elapsed();
    let mut summary = counters.snapshot(warnings.len() as u64);
    summary.data_blobs_new = stats.data_blobs - stats_before.data_blobs;
    summary.tree_blobs_new = stats.tree_blobs - stats_before.tree_blobs;
    summary.bytes_added_raw = stats.bytes_raw - stats_before.bytes_raw;
    summary.bytes_added_stored = stats.bytes_stored - stats_before.bytes_stored;
    summary.duration_secs = duration.as_secs_f64();

    let mut tags = opts.tags.clone();
    tags.extend(additions.tags);
    let snapshot = Snapshot {
        time: started_ns,
        host: opts.host.clone(),
        paths: snapshot_paths,
        tags,
        tree: root_id,
        parent: parent.as_ref().map(|(id, _)| *id),
        summary: snapshot_summary(&summary, started_ns, not_backed_up),
        application: additions.application.or_else(|| opts.application.clone()),
        username: crate::util::username(),
        program_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let snapshot_id = repo.save_snapshot(&snapshot)?;
    info!(snapshot = %snapshot_id, files_new = summary.files_new, files_changed = summary.files_changed,
        files_unchanged = summary.files_unchanged, warnings = summary.warnings, "backup done");
    debug!(?summary, "backup summary");
    Ok(BackupOutcome {
        snapshot_id,
        parent: snapshot.parent,
        snapshot,
        summary,
        warnings,
        sources: source_reports,
        duration,
    })
}
