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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::unbounded;

use super::create::{Created, ItemState};
use super::plan::Plan;
use super::safety::SafeTarget;
use super::{DamagedEntry, RestoreError, RestoreOutcome};
use crate::tree::{ContentPart, EntryKind};
use crate::{BlobId, BlobKind, BlobLocation, PackId, Repository};

/// Neighbouring blobs closer than this are fetched in one read.
const MAX_GAP: u64 = 256 * 1024;
/// No single read is longer than this (bounds memory per worker).
const MAX_RANGE: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct Target {
    item: usize,
    offset: u64,
}

struct BlobWork {
    id: BlobId,
    loc: BlobLocation,
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
    handles: Vec<Mutex<Option<Arc<File>>>>,
    remaining: Vec<AtomicUsize>,
    damaged: Mutex<BTreeMap<usize, String>>,
    bytes: AtomicU64,
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
        let rel = &self.plan.items.get(item).ok_or("no such file")?.rel;
        let f = Arc::new(
            self.safe
                .open_file_for_write(rel)
                .map_err(|e| format!("cannot open for writing: {e}"))?,
        );
        *guard = Some(f.clone());
        Ok(f)
    }

    /// One blob write of `item` is over (written or failed): close the file after the last.
    fn done_with(&self, item: usize) {
        if let Some(r) = self.remaining.get(item) {
            if r.fetch_sub(1, Ordering::AcqRel) == 1 {
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
                    self.done_with(t.item);
                }
                return;
            }
        };
        // zero runs stay holes of the pre-sized file
        let zeros = data.iter().all(|b| *b == 0);
        for t in &blob.targets {
            if !zeros {
                let written = self.handle(t.item).and_then(|f| {
                    f.write_all_at(&data, t.offset)
                        .map_err(|e| format!("write: {e}"))
                });
                match written {
                    Ok(()) => {
                        self.bytes.fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                    Err(reason) => self.damage(t.item, reason),
                }
            }
            self.done_with(t.item);
        }
    }

    fn run_range(&self, range: &RangeWork) {
        match self
            .repo
            .read_pack_range(&range.pack, range.start, range.len)
        {
            Ok(bytes) => {
                for blob in &range.blobs {
                    let from = (blob.loc.offset - range.start) as usize;
                    let stored = bytes
                        .get(from..from + blob.loc.length as usize)
                        .unwrap_or(&[]);
                    self.write_blob(blob, stored);
                }
            }
            Err(e) => {
                for blob in &range.blobs {
                    for t in &blob.targets {
                        self.damage(t.item, format!("blob {}: {e}", blob.id));
                        self.done_with(t.item);
                    }
                }
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
    outcome: &mut RestoreOutcome,
) -> Result<(), RestoreError> {
    let n = plan.items.len();
    let mut wanted: HashMap<BlobId, Vec<Target>> = HashMap::new();
    let mut counts = vec![0usize; n];
    for (item, (it, state)) in plan.items.iter().zip(&created.state).enumerate() {
        if it.entry.kind != EntryKind::File || *state != ItemState::Created {
            continue;
        }
        let mut offset = 0u64;
        for part in &it.entry.content {
            if let ContentPart::Data { id, len } = part {
                if *len > 0 {
                    wanted.entry(*id).or_default().push(Target { item, offset });
                    if let Some(c) = counts.get_mut(item) {
                        *c += 1;
                    }
                }
            }
            offset += part.len();
        }
    }
    let shared = Shared {
        repo,
        safe,
        plan,
        handles: (0..n).map(|_| Mutex::new(None)).collect(),
        remaining: counts.into_iter().map(AtomicUsize::new).collect(),
        damaged: Mutex::new(BTreeMap::new()),
        bytes: AtomicU64::new(0),
    };
    let mut by_pack: BTreeMap<PackId, Vec<BlobWork>> = BTreeMap::new();
    for (id, targets) in wanted {
        match repo.lookup_kind(BlobKind::Data, &id) {
            Some(loc) => by_pack
                .entry(loc.pack)
                .or_default()
                .push(BlobWork { id, loc, targets }),
            None => {
                for t in targets {
                    shared.damage(t.item, format!("data blob {id} is not in the index"));
                    shared.done_with(t.item);
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
    std::thread::scope(|s| {
        for _ in 0..threads {
            let rx = rx.clone();
            let shared = &shared;
            s.spawn(move || {
                for range in rx {
                    shared.run_range(&range);
                }
            });
        }
    });
    outcome.bytes_written += shared.bytes.load(Ordering::Relaxed);
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
