//! Content pass: fetch blobs pack by pack and write them where they belong.
//!
//! Every data blob needed is located in the index and grouped by pack; each pack's blobs
//! are read in a few large ranges (neighbouring blobs merged), by `threads` workers at once.
//! Each blob is verified and decrypted ([`Repository::decode_blob`]) before its bytes are
//! written, with positional writes, to every file offset that uses it. A file's descriptor
//! is opened on its first write and closed after its last. A blob that is missing or fails
//! verification marks the files using it as damaged; everything else goes on.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::unbounded;
use rustix::fs::{FallocateFlags, Mode, OFlags};

use super::create::{create_file_for_write, Created, ItemState};
use super::plan::Plan;
use super::safety::SafeTarget;
use super::{DamagedEntry, RestoreError, RestoreOutcome};
use crate::progress::add_done;
use crate::tree::{ContentPart, EntryKind};
use crate::{BlobId, BlobKind, BlobLocation, PackId, Progress, Repository};

/// Neighbouring blobs closer than this are fetched in one read.
const MAX_GAP: u64 = 256 * 1024;
/// No single read is longer than this (bounds memory per worker).
const MAX_RANGE: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct Target {
    item: usize,
    offset: u64,
    /// The file existed (updated in place): an all-zero blob must be written too, the
    /// region is not a hole of a fresh file.
    must_write: bool,
}

struct BlobWork {
    id: BlobId,
    loc: BlobLocation,
    /// Plaintext length (from the tree).
    len: u64,
    targets: Vec<Target>,
}

struct RangeWork {
    pack: PackId,
    start: u64,
    len: u64,
    blobs: Vec<BlobWork>,
}

struct Shared<'a> {
    repo: &'a Repository,
    safe: &'a SafeTarget,
    plan: &'a Plan,
    created: &'a Created,
    handles: Vec<Mutex<Option<Arc<File>>>>,
    /// Per item: opened (deferred files: created) at least once.
    opened: Vec<AtomicBool>,
    remaining: Vec<AtomicUsize>,
    damaged: Mutex<BTreeMap<usize, String>>,
    bytes: AtomicU64,
    progress: &'a Option<Arc<Progress>>,
    /// The first write that found the target full or read-only: it stops the pass (every
    /// later write would fail the same way, and it is not repository damage).
    no_space: Mutex<Option<(usize, std::io::Error)>>,
    stop: AtomicBool,
}

/// Errors that mean "the target cannot take more", not "this file is damaged".
fn is_out_of_space(e: &std::io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(e),
        Some(Errno::NOSPC | Errno::DQUOT | Errno::ROFS)
    )
}

impl Shared<'_> {
    fn damage(&self, item: usize, reason: String) {
        if let Ok(mut d) = self.damaged.lock() {
            d.entry(item).or_insert(reason);
        }
    }

    fn handle(&self, item: usize) -> Result<Arc<File>, String> {
        let slot = self.handles.get(item).ok_or("no such file")?;
        let mut guard = slot.lock().map_err(|_| "lock poisoned".to_string())?;
        if let Some(f) = guard.as_ref() {
            return Ok(f.clone());
        }
        let it = self.plan.items.get(item).ok_or("no such file")?;
        let deferred = self.created.state.get(item) == Some(&ItemState::Deferred);
        let first_time = self
            .opened
            .get(item)
            .is_some_and(|o| !o.swap(true, Ordering::AcqRel));
        let opened = if deferred && first_time {
            let size = it.entry.content.iter().map(ContentPart::len).sum();
            create_file_for_write(self.safe, &it.rel, size)
                .map_err(|e| refusal_or_message(&e, "cannot create"))?
        } else {
            self.safe
                .open_file_for_write(&it.rel)
                .map_err(|e| refusal_or_message(&e, "cannot open for writing"))?
        };
        let f = Arc::new(opened);
        *guard = Some(f.clone());
        Ok(f)
    }

    fn out_of_space(&self, item: usize, e: std::io::Error) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(mut first) = self.no_space.lock() {
            first.get_or_insert((item, e));
        }
    }

    /// One blob write of `item` (`len` bytes of it) is over (written or failed): close the
    /// file after the last.
    fn done_with(&self, item: usize, len: u64) {
        add_done(self.progress, 0, len);
        if let Some(r) = self.remaining.get(item) {
            if r.fetch_sub(1, Ordering::AcqRel) == 1 {
                add_done(self.progress, 1, 0);
                // a deferred file nothing was written to (all-zero or damaged blobs) must
                // exist all the same
                let never_opened = self
                    .opened
                    .get(item)
                    .is_some_and(|o| !o.load(Ordering::Acquire));
                if never_opened && self.created.state.get(item) == Some(&ItemState::Deferred) {
                    if let Err(reason) = self.handle(item) {
                        self.damage(item, reason);
                    }
                }
                if let Some(slot) = self.handles.get(item) {
                    if let Ok(mut g) = slot.lock() {
                        *g = None;
                    }
                }
            }
        }
    }

    fn write_blob(&self, blob: &BlobWork, stored: &[u8]) {
        let data = match self.repo.decode_blob(&blob.loc, &blob.id, stored) {
            Ok(d) => d,
            Err(e) => {
                for t in &blob.targets {
                    self.damage(t.item, e.to_string());
                    self.done_with(t.item, blob.len);
                }
                return;
            }
        };
        // zero runs stay holes of the pre-sized file
        let zeros = data.iter().all(|b| *b == 0);
        for t in &blob.targets {
            if !zeros || t.must_write {
                let written = self.handle(t.item).and_then(|f| {
                    f.write_all_at(&data, t.offset).map_err(|e| {
                        let reason = format!("write: {e}");
                        if is_out_of_space(&e) {
                            self.out_of_space(t.item, e);
                        }
                        reason
                    })
                });
                match written {
                    Ok(()) => {
                        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                    Err(reason) => self.damage(t.item, reason),
                }
            }
            self.done_with(t.item, blob.len);
        }
    }

    /// Fetch a range of neighbouring blobs. When the range cannot be read whole (a truncated
    /// pack: a short read), each of its blobs is fetched on its own, so one bad region marks
    /// only the blobs in it damaged, not every blob of an 8 MiB range (issue 21).
    fn run_range(&self, range: &RangeWork) {
        match self
            .repo
            .read_pack_range(&range.pack, range.start, range.len)
        {
            Ok(bytes) => {
                for blob in &range.blobs {
                    let from = (blob.loc.offset - range.start) as usize;
                    match bytes.get(from..from + blob.loc.length as usize) {
                        Some(stored) => self.write_blob(blob, stored),
                        None => self.run_blob(blob),
                    }
                }
            }
            Err(e) if range.blobs.len() > 1 => {
                tracing::debug!(pack = %range.pack, error = %e,
                    "range read failed; reading its blobs one by one");
                for blob in &range.blobs {
                    self.run_blob(blob);
                }
            }
            Err(e) => self.fail_blob(range.blobs.iter(), &e),
        }
    }

    fn run_blob(&self, blob: &BlobWork) {
        match self
            .repo
            .read_pack_range(&blob.loc.pack, blob.loc.offset, blob.loc.length)
        {
            Ok(stored) => self.write_blob(blob, &stored),
            Err(e) => self.fail_blob(std::iter::once(blob), &e),
        }
    }

    fn fail_blob<'b>(&self, blobs: impl Iterator<Item = &'b BlobWork>, e: &crate::VaultError) {
        for blob in blobs {
            for t in &blob.targets {
                self.damage(t.item, format!("blob {}: {e}", blob.id));
                self.done_with(t.item, blob.len);
            }
        }
    }
}

/// Groups blobs by pack and merges neighbours into ranges.
fn ranges(by_pack: BTreeMap<PackId, Vec<BlobWork>>) -> Vec<RangeWork> {
    let mut out = Vec::new();
    for (pack, mut blobs) in by_pack {
        blobs.sort_by_key(|b| b.loc.offset);
        let mut current: Option<RangeWork> = None;
        for b in blobs {
            let (start, end) = (b.loc.offset, b.loc.offset + b.loc.length);
            match current.as_mut() {
                Some(r) if start <= r.start + r.len + MAX_GAP && end - r.start <= MAX_RANGE => {
                    r.len = r.len.max(end - r.start);
                    r.blobs.push(b);
                }
                _ => {
                    if let Some(r) = current.take() {
                        out.push(r);
                    }
                    current = Some(RangeWork {
                        pack,
                        start,
                        len: end - start,
                        blobs: vec![b],
                    });
                }
            }
        }
        out.extend(current);
    }
    out
}

pub(crate) fn write_all(
    repo: &Repository,
    safe: &SafeTarget,
    plan: &Plan,
    created: &Created,
    threads: usize,
    progress: &Option<Arc<Progress>>,
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let n = plan.items.len();
    // files kept in place: which of their parts already hold the snapshot's bytes
    let updated: Vec<usize> = (0..n)
        .filter(|i| created.state.get(*i) == Some(&ItemState::Updated))
        .collect();
    // hashing files in place is local work: `threads` of it
    let in_place = compare_in_place(repo, safe, plan, &updated, threads);
    let mut wanted: HashMap<BlobId, (u64, Vec<Target>)> = HashMap::new();
    let mut counts = vec![0usize; n];
    for (item, (it, state)) in plan.items.iter().zip(&created.state).enumerate() {
        let must_write = *state == ItemState::Updated;
        let fresh = matches!(state, ItemState::Created | ItemState::Deferred);
        if it.entry.kind != EntryKind::File || !(fresh || must_write) {
            continue;
        }
        let present = in_place.get(&item);
        let mut offset = 0u64;
        let mut settled = 0u64; // bytes needing no write: holes, parts already there
        for (p, part) in it.entry.content.iter().enumerate() {
            let already = present.and_then(|v| v.get(p)).copied().unwrap_or(false);
            match part {
                ContentPart::Data { id, len } if *len > 0 && !already => {
                    let w = wanted.entry(*id).or_insert_with(|| (*len, Vec::new()));
                    w.1.push(Target {
                        item,
                        offset,
                        must_write,
                    });
                    if let Some(c) = counts.get_mut(item) {
                        *c += 1;
                    }
                }
                _ => settled += part.len(),
            }
            offset += part.len();
        }
        let nothing_to_write = counts.get(item).is_some_and(|c| *c == 0);
        add_done(progress, u64::from(nothing_to_write), settled);
    }
    let shared = Shared {
        repo,
        safe,
        plan,
        created,
        handles: (0..n).map(|_| Mutex::new(None)).collect(),
        opened: (0..n).map(|_| AtomicBool::new(false)).collect(),
        remaining: counts.into_iter().map(AtomicUsize::new).collect(),
        damaged: Mutex::new(BTreeMap::new()),
        bytes: AtomicU64::new(0),
        progress,
        no_space: Mutex::new(None),
        stop: AtomicBool::new(false),
    };
    let mut by_pack: BTreeMap<PackId, Vec<BlobWork>> = BTreeMap::new();
    for (id, (len, targets)) in wanted {
        match repo.lookup_kind(BlobKind::Data, &id) {
            Some(loc) => by_pack.entry(loc.pack).or_default().push(BlobWork {
                id,
                loc,
                len,
                targets,
            }),
            None => {
                for t in targets {
                    shared.damage(t.item, format!("data blob {id} is not in the index"));
                    shared.done_with(t.item, len);
                }
            }
        }
    }
    let work = ranges(by_pack);
    let (tx, rx) = unbounded::<RangeWork>();
    for w in work {
        tx.send(w)
            .map_err(|_| RestoreError::Internal("work queue closed".into()))?;
    }
    drop(tx);
    // fetching is not: on remote storage more readers than threads (each mostly waits)
    let readers = repo.storage().read_workers(threads);
    std::thread::scope(|s| {
        for _ in 0..readers {
            let rx = rx.clone();
            let shared = &shared;
            s.spawn(move || {
                for range in rx {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    shared.run_range(&range);
                }
            });
        }
    });
    let written = shared.bytes.load(Ordering::Relaxed);
    outcome.bytes_written += written;
    if let Some((item, source)) = shared.no_space.into_inner().unwrap_or_default() {
        return Err(target_full(safe, plan, item, written, source));
    }
    let damaged = shared.damaged.into_inner().unwrap_or_default();
    for (item, reason) in damaged {
        if let Some(it) = plan.items.get(item) {
            outcome.damaged.push(DamagedEntry {
                path: it.rel.display(),
                reason,
            });
        }
    }
    Ok(())
}

/// The one error of a restore whose target filled up (or turned read-only): the target, the
/// file being written, how much the restore's files need and how much is free.
fn target_full(
    safe: &SafeTarget,
    plan: &Plan,
    item: usize,
    written: u64,
    source: std::io::Error,
) -> RestoreError {
    let needed: u64 = plan
        .items
        .iter()
        .filter(|it| it.entry.kind == EntryKind::File)
        .map(|it| it.entry.size)
        .sum();
    let free = rustix::fs::fstatvfs(safe.root_fd())
        .map(|st| st.f_bavail.saturating_mul(st.f_frsize))
        .ok();
    RestoreError::TargetFull {
        target: safe.path().to_path_buf(),
        file: plan
            .items
            .get(item)
            .map(|it| it.rel.display())
            .unwrap_or_default(),
        needed,
        written,
        free,
        source,
    }
}

/// For files kept in place (`items`), by `threads` workers: per content part, whether the
/// file already holds it (the bytes at its offset hash to its blob id). A hole of the
/// snapshot that holds data at the target is punched (or zeroed) here and counts as
/// present. A file that cannot be read has nothing present: it is rewritten whole.
fn compare_in_place(
    repo: &Repository,
    safe: &SafeTarget,
    plan: &Plan,
    items: &[usize],
    threads: usize,
) -> HashMap<usize, Vec<bool>> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(HashMap::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..threads.min(items.len()) {
            s.spawn(|| {
                let mut buf = Vec::new();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&item) = items.get(k) else { break };
                    let Some(it) = plan.items.get(item) else {
                        continue;
                    };
                    let present = safe
                        .open_beneath(&it.rel, OFlags::RDWR, Mode::empty())
                        .map(File::from)
                        .map(|f| parts_present(repo, &f, &it.entry.content, &mut buf))
                        .unwrap_or_else(|_| vec![false; it.entry.content.len()]);
                    if let Ok(mut r) = results.lock() {
                        r.insert(item, present);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// Per part of `content`: whether `file` already holds it at its offset.
fn parts_present(
    repo: &Repository,
    file: &File,
    content: &[ContentPart],
    buf: &mut Vec<u8>,
) -> Vec<bool> {
    let mut out = Vec::with_capacity(content.len());
    let mut offset = 0u64;
    for part in content {
        let len = part.len();
        buf.clear();
        buf.resize(usize::try_from(len).unwrap_or(0), 0);
        let read = file.read_exact_at(buf, offset).is_ok();
        let present = match part {
            ContentPart::Data { id, .. } => read && repo.id_of(buf) == *id,
            ContentPart::Hole { .. } => {
                (read && buf.iter().all(|b| *b == 0)) || clear_region(file, offset, len)
            }
        };
        out.push(present);
        offset += len;
    }
    out
}

/// Makes `len` bytes at `offset` zeros: a punched hole if the file system can, written
/// zeros otherwise.
fn clear_region(file: &File, offset: u64, len: u64) -> bool {
    let punched = rustix::fs::fallocate(
        file,
        FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
        offset,
        len,
    );
    punched.is_ok()
        || usize::try_from(len)
            .map(|l| file.write_all_at(&vec![0u8; l], offset).is_ok())
            .unwrap_or(false)
}

/// An I/O error at a target path as a damage reason; a symlink in the way says so.
fn refusal_or_message(e: &std::io::Error, what: &str) -> String {
    if super::safety::is_path_crossing(e) {
        format!("{what}: a symlink (or non-directory) at the target is in the way")
    } else {
        format!("{what}: {e}")
    }
}
