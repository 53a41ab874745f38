//! The backup pipeline: wires walk, read, chunk, save_blob and save_tree together.
//!
//! Threads: one walker (this module; also runs save_tree), `read_threads` readers,
//! `save_threads` savers. Channels: walker → readers bounded (`FileJob`), readers → savers
//! bounded (`SaveJob`, the memory bound), readers → walker unbounded but small (`FileDone`).
//! The walker never blocks on a full job queue without also taking finished files, so the
//! stages cannot deadlock.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded, Receiver, Select, Sender};
use tracing::{debug, info};

use super::chunk::DedupSink;
use super::parent;
use super::paths::{self, Node};
use super::read::{read_file, ReadOutcome};
use super::save_blob::{save_worker, Failure, SaveJob};
use super::save_tree::{DirKey, DirState, OpenDirs};
use super::summary::{Counters, WarningKind};
use super::walk::{self, Excludes, Listed};
use super::{BackupError, BackupOptions, BackupOutcome};
use crate::chunker::ChunkerParams;
use crate::fs_meta::NameCache;
use crate::tree::{EntryKind, Tree};
use crate::{BlobId, Repository, Snapshot, SnapshotSummary};

/// A file to read.
struct FileJob {
    dir: DirKey,
    index: usize,
    listed: Listed,
}

/// A file read (or not).
struct FileDone {
    dir: DirKey,
    index: usize,
    path: PathBuf,
    outcome: ReadOutcome,
}

/// A child of a directory being walked: a plain listed entry, or an intermediate directory
/// of the source skeleton (only some of its children are backed up).
enum Child<'n> {
    Plain(Listed),
    Inner(Listed, &'n Node),
}

struct Walker<'a> {
    repo: &'a Repository,
    counters: &'a Counters,
    names: &'a NameCache,
    excludes: &'a Excludes,
    failure: &'a Failure,
    jobs: Option<Sender<FileJob>>,
    done: Receiver<FileDone>,
    dirs: OpenDirs,
    root: Option<BlobId>,
}

fn internal(msg: &str) -> BackupError {
    BackupError::Internal(msg.to_string())
}

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
            path,
            outcome,
        } = done;
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
                if let Some(entry) = slot.as_mut() {
                    entry.content = content;
                    entry.sparse = sparse;
                    entry.size = size;
                }
                Counters::add(&self.counters.bytes_read, bytes_read);
                Counters::add(&self.counters.bytes_total, size);
                if let Some(why) = changed {
                    self.counters.warn(path, WarningKind::Changed, why);
                }
            }
            ReadOutcome::Failed { kind, message } => {
                *slot = None;
                self.counters.warn(path, kind, message);
            }
        }
        self.finish_item(dir)
    }

    /// Queues a file for the readers, taking finished files while the queue is full.
    fn dispatch(&mut self, job: FileJob) -> Result<(), BackupError> {
        let jobs = self
            .jobs
            .clone()
            .ok_or_else(|| internal("job queue closed"))?;
        let mut job = Some(job);
        while let Some(j) = job.take() {
            self.check_abort()?;
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

    /// Walks one directory: registers it, handles every child, then completes it if nothing
    /// is pending.
    fn walk_dir(
        &mut self,
        path: &Path,
        children: Vec<Child<'_>>,
        parent: Option<(BlobId, Tree)>,
        link: Option<(DirKey, usize)>,
    ) -> Result<(), BackupError> {
        self.check_abort()?;
        let key = self.dirs.open(DirState {
            path: path.to_path_buf(),
            entries: Vec::with_capacity(children.len()),
            pending: 0,
            listed: false,
            link,
            parent: None,
        });
        let mut parent_tree = parent;
        for child in children {
            let (listed, inner) = match child {
                Child::Plain(l) => (l, None),
                Child::Inner(l, node) => (l, Some(node)),
            };
            let old = parent_tree
                .as_ref()
                .and_then(|(_, t)| t.get(&listed.entry.name))
                .cloned();
            let index = {
                let state = self
                    .dirs
                    .get_mut(key)
                    .ok_or_else(|| internal("dir vanished"))?;
                state.entries.push(Some(listed.entry.clone()));
                state.entries.len() - 1
            };
            match listed.entry.kind {
                EntryKind::Dir => {
                    self.bump_pending(key)?;
                    let old_tree = old
                        .filter(|o| o.kind == EntryKind::Dir)
                        .and_then(|o| o.subtree)
                        .and_then(|id| parent::load_tree(self.repo, &id).map(|t| (id, t)));
                    let grandchildren: Vec<Child<'_>> = match inner {
                        Some(Node::Inner { children, .. }) => self.skeleton_children(children),
                        _ => walk::list_dir(&listed.path, self.excludes, self.names, self.counters)
                            .into_iter()
                            .map(Child::Plain)
                            .collect(),
                    };
                    self.walk_dir(&listed.path, grandchildren, old_tree, Some((key, index)))?;
                }
                EntryKind::File => {
                    let e = &listed.entry;
                    let unchanged = old.as_ref().filter(|o| {
                        o.kind == EntryKind::File
                            && o.size == e.size
                            && o.mtime_ns == e.mtime_ns
                            && o.ctime_ns == e.ctime_ns
                            && o.inode == e.inode
                    });
                    if let Some(o) = unchanged {
                        Counters::add(&self.counters.files_unchanged, 1);
                        Counters::add(&self.counters.bytes_total, e.size);
                        let state = self
                            .dirs
                            .get_mut(key)
                            .ok_or_else(|| internal("dir vanished"))?;
                        if let Some(Some(slot)) = state.entries.get_mut(index) {
                            slot.content.clone_from(&o.content);
                            slot.sparse = o.sparse;
                        }
                    } else {
                        let counter = if old.as_ref().is_some_and(|o| o.kind == EntryKind::File) {
                            &self.counters.files_changed
                        } else {
                            &self.counters.files_new
                        };
                        Counters::add(counter, 1);
                        self.bump_pending(key)?;
                        self.dispatch(FileJob {
                            dir: key,
                            index,
                            listed,
                        })?;
                    }
                }
                _ => Counters::add(&self.counters.others, 1),
            }
        }
        let state = self
            .dirs
            .get_mut(key)
            .ok_or_else(|| internal("dir vanished"))?;
        state.listed = true;
        state.parent = parent_tree.take();
        if let Some(root) = self.dirs.try_complete(key, self.repo, self.counters)? {
            self.root = Some(root);
        }
        Ok(())
    }

    fn bump_pending(&mut self, key: DirKey) -> Result<(), BackupError> {
        let state = self
            .dirs
            .get_mut(key)
            .ok_or_else(|| internal("dir vanished"))?;
        state.pending += 1;
        Ok(())
    }

    /// The children of an intermediate skeleton directory: each stat'ed at its real path.
    fn skeleton_children<'n>(
        &self,
        children: &'n std::collections::BTreeMap<std::ffi::OsString, Node>,
    ) -> Vec<Child<'n>> {
        let mut out = Vec::new();
        for (name, node) in children {
            match node {
                Node::Source(abs) => {
                    if let Some(l) = walk::stat_entry(abs, name, self.names, self.counters) {
                        out.push(Child::Plain(l));
                    }
                }
                Node::Inner { real, .. } => {
                    let Some(real) = real else { continue };
                    if let Some(l) = walk::stat_entry(real, name, self.names, self.counters) {
                        if l.entry.kind == EntryKind::Dir {
                            out.push(Child::Inner(l, node));
                        } else {
                            self.counters.warn(
                                real.clone(),
                                WarningKind::Changed,
                                "no longer a directory",
                            );
                        }
                    }
                }
            }
        }
        out
    }

    /// Walks the whole skeleton, then waits for the last files.
    fn run(&mut self, skeleton: &Node, parent_root: Option<BlobId>) -> Result<BlobId, BackupError> {
        let parent = parent_root.and_then(|id| parent::load_tree(self.repo, &id).map(|t| (id, t)));
        match skeleton {
            Node::Source(abs) => {
                let meta =
                    std::fs::symlink_metadata(abs).map_err(|source| BackupError::Source {
                        path: abs.clone(),
                        source,
                    })?;
                if !meta.is_dir() {
                    return Err(BackupError::InvalidPath {
                        path: abs.clone(),
                        reason: "the snapshot root must be a directory".into(),
                    });
                }
                let children = walk::list_dir(abs, self.excludes, self.names, self.counters)
                    .into_iter()
                    .map(Child::Plain)
                    .collect();
                self.walk_dir(abs, children, parent, None)?;
            }
            Node::Inner { children, .. } => {
                let children = self.skeleton_children(children);
                self.walk_dir(Path::new("/"), children, parent, None)?;
            }
        }
        // no more jobs: readers finish what they have and exit
        self.jobs = None;
        while self.root.is_none() {
            self.check_abort()?;
            match self.done.recv_timeout(Duration::from_millis(200)) {
                Ok(done) => self.handle_done(done)?,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                    self.check_abort()?;
                    return Err(internal("readers stopped before every file was done"));
                }
            }
        }
        self.root.ok_or_else(|| internal("no root tree"))
    }
}

fn reader_loop(
    repo: &Repository,
    params: &ChunkerParams,
    jobs: Receiver<FileJob>,
    save: Sender<SaveJob>,
    done: Sender<FileDone>,
    failure: &Failure,
) {
    let sink = DedupSink {
        repo,
        save,
        abort: &failure.abort,
    };
    for job in jobs {
        if failure.aborted() {
            continue;
        }
        let outcome = match read_file(&job.listed.path, &job.listed.entry, params, &sink) {
            Ok(o) => o,
            Err(_aborted) => continue,
        };
        let msg = FileDone {
            dir: job.dir,
            index: job.index,
            path: job.listed.path,
            outcome,
        };
        if done.send(msg).is_err() {
            return;
        }
    }
}

pub(crate) fn run(
    repo: &Repository,
    paths: &[PathBuf],
    opts: &BackupOptions,
) -> Result<BackupOutcome, BackupError> {
    let started = Instant::now();
    let started_ns = crate::util::now_unix_ns();
    // only relative paths need the working directory (which may be gone)
    let cwd = if paths.iter().any(|p| p.is_relative()) {
        std::env::current_dir().map_err(|source| BackupError::Source {
            path: PathBuf::from("."),
            source,
        })?
    } else {
        PathBuf::from("/")
    };
    let sources = paths::resolve(paths, &cwd)?;
    let snapshot_paths = paths::snapshot_paths(&sources);
    let skeleton = paths::skeleton(&sources);
    let excludes = Excludes::new(&opts.excludes)?;
    let parent = parent::choose(repo, &opts.parent, &opts.host, &snapshot_paths)?;
    let stats_before = repo.session_stats();
    let counters = Counters::default();
    let names = NameCache::default();
    let failure = Failure::default();
    let params = repo.chunker();
    let read_threads = opts.read_threads.max(1);
    let save_threads = opts.save_threads.max(1);

    let root = thread::scope(|s| -> Result<BlobId, BackupError> {
        let (save_tx, save_rx) = bounded::<SaveJob>(save_threads * 2);
        let (job_tx, job_rx) = bounded::<FileJob>(read_threads * 4);
        let (done_tx, done_rx) = unbounded::<FileDone>();
        for _ in 0..save_threads {
            let rx = save_rx.clone();
            let failure = &failure;
            s.spawn(move || save_worker(repo, rx, failure));
        }
        drop(save_rx);
        for _ in 0..read_threads {
            let (jobs, save, done) = (job_rx.clone(), save_tx.clone(), done_tx.clone());
            let (failure, params) = (&failure, &params);
            s.spawn(move || reader_loop(repo, params, jobs, save, done, failure));
        }
        drop((job_rx, save_tx, done_tx));
        // the walk recurses once per directory level: give it a large stack
        let walker = thread::Builder::new()
            .name("backup-walk".into())
            .stack_size(256 << 20)
            .spawn_scoped(s, {
                let (counters, names, excludes, failure, skeleton) =
                    (&counters, &names, &excludes, &failure, &skeleton);
                let parent_root = parent.as_ref().map(|(_, p)| p.tree);
                move || {
                    let mut w = Walker {
                        repo,
                        counters,
                        names,
                        excludes,
                        failure,
                        jobs: Some(job_tx),
                        done: done_rx,
                        dirs: OpenDirs::default(),
                        root: None,
                    };
                    let r = w.run(skeleton, parent_root);
                    if r.is_err() {
                        // stop readers and savers quickly
                        failure
                            .abort
                            .store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    r
                }
            })
            .map_err(|e| internal(&format!("cannot start the walker thread: {e}")))?;
        walker
            .join()
            .map_err(|_| internal("the walker thread panicked"))?
    })?;
    if let Some(e) = failure.take() {
        return Err(BackupError::Repository(e));
    }
    // every blob durable and indexed before the snapshot refers to them
    repo.flush()?;

    let stats = repo.session_stats();
    let warnings = counters.take_warnings();
    let duration = started.elapsed();
    let mut summary = counters.snapshot(warnings.len() as u64);
    summary.data_blobs_new = stats.data_blobs - stats_before.data_blobs;
    summary.tree_blobs_new = stats.tree_blobs - stats_before.tree_blobs;
    summary.bytes_added_raw = stats.bytes_raw - stats_before.bytes_raw;
    summary.bytes_added_stored = stats.bytes_stored - stats_before.bytes_stored;
    summary.duration_secs = duration.as_secs_f64();

    let snapshot = Snapshot {
        time: started_ns,
        host: opts.host.clone(),
        paths: snapshot_paths,
        tags: opts.tags.clone(),
        tree: root,
        parent: parent.as_ref().map(|(id, _)| *id),
        summary: SnapshotSummary {
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
        },
        application: opts.application.clone(),
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
        duration,
    })
}
