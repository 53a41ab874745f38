//! Check: is everything the snapshots need present and intact?
//!
//! Structure (always): every snapshot document loads; every index segment loads; every tree
//! reachable from a snapshot is indexed, loads and decodes; every data blob a file uses is
//! indexed; every pack the index names exists. Packs that no index segment names are listed
//! as unreferenced (left by an interrupted backup; not an error, `prune` removes them) —
//! unless the index is incomplete (a segment unreadable, no segment at all beside packs, or
//! a blob the snapshots use missing from it): then those packs may hold exactly the missing
//! blobs, the report says `index_incomplete` and to run `repair index`, never to prune.
//!
//! Data (`read_data`): the chosen share of the indexed packs is read whole; the pack's hash
//! must equal its name and every blob in it must verify (AEAD tag, decompression, id). Each
//! damaged blob is reported with its pack and with the snapshots and file paths that use it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::sync::Mutex;

use serde::Serialize;

use crate::tree::{decode_tree, ContentPart, EntryKind};
use crate::{BlobId, BlobKind, BlobLocation, PackId, Repository, SnapshotId, VaultError};

/// What to check besides the structure.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Read and verify this percentage (0 < p <= 100) of the packs; `None`: structure only.
    pub read_data: Option<f64>,
    /// Threads reading packs (raised on remote storage:
    /// [`Storage::read_workers`](crate::storage::Storage::read_workers)).
    pub threads: usize,
    /// Live counters for a progress display: packs (as "files") and their bytes to read
    /// and read so far.
    pub progress: Option<std::sync::Arc<crate::Progress>>,
}

/// One structural problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CheckProblem {
    /// snapshot | index | tree | blob | pack
    pub kind: &'static str,
    pub message: String,
}

/// A blob that failed verification, and who needs it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DamagedBlob {
    pub blob: String,
    pub kind: String,
    pub pack: String,
    pub reason: String,
    /// Snapshots (hex ids) whose trees use the blob.
    pub snapshots: Vec<String>,
    /// Paths (in snapshot form, `/a/b`) that use it; at most 50 listed.
    pub paths: Vec<String>,
}

/// The result of a check; `--json` prints it as is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub snapshots: usize,
    pub trees: usize,
    pub data_blobs: usize,
    pub packs: usize,
    pub packs_read: usize,
    pub blobs_verified: usize,
    pub errors: Vec<CheckProblem>,
    pub damaged: Vec<DamagedBlob>,
    /// Packs no index names (hex ids): leftovers of interrupted backups, not errors —
    /// unless `index_incomplete`.
    pub unreferenced_packs: Vec<String>,
    /// The index is missing or lacks blobs the snapshots use: the unreferenced packs may be
    /// the packs holding them. `repair index` rebuilds it; a prune would delete them.
    pub index_incomplete: bool,
}

impl CheckReport {
    /// No error and no damaged blob.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty() && self.damaged.is_empty()
    }

    fn error(&mut self, kind: &'static str, message: String) {
        self.errors.push(CheckProblem { kind, message });
    }
}

const MAX_PATHS: usize = 50;

/// Walks every tree of every readable snapshot once, calling `visit` for each entry with
/// its path; reports unreadable trees through `bad_tree`.
fn walk_snapshots(
    repo: &Repository,
    snapshots: &[(SnapshotId, BlobId)],
    mut on_tree: impl FnMut(&SnapshotId, &str, &BlobId, Result<(), String>),
    mut visit: impl FnMut(&SnapshotId, &str, &crate::tree::Entry),
    revisit_shared: bool,
) {
    let mut seen: HashSet<BlobId> = HashSet::new();
    for (snap, root) in snapshots {
        let mut stack: Vec<(BlobId, String)> = vec![(*root, String::new())];
        let mut seen_here: HashSet<BlobId> = HashSet::new();
        while let Some((id, path)) = stack.pop() {
            let first = if revisit_shared {
                seen_here.insert(id)
            } else {
                seen.insert(id)
            };
            if !first {
                continue;
            }
            let tree = crate::tree::load_tree_bytes(repo, &id)
                .map_err(|e| e.to_string())
                .and_then(|b| {
                    decode_tree(&b).map_err(|e| format!("tree {id} does not decode: {e}"))
                });
            let tree = match tree {
                Ok(t) => {
                    on_tree(snap, &path, &id, Ok(()));
                    t
                }
                Err(e) => {
                    on_tree(snap, &path, &id, Err(e));
                    continue;
                }
            };
            for e in &tree.entries {
                let p = format!("{path}/{}", e.display_name());
                visit(snap, &p, e);
                if let (EntryKind::Dir, Some(sub)) = (e.kind, e.subtree) {
                    stack.push((sub, p));
                }
            }
        }
    }
}

/// Where a blob ends in its pack.
fn blob_end(l: &BlobLocation) -> u64 {
    l.offset.saturating_add(l.length)
}

/// The bytes a pack must have for blobs that end at `end` at the latest: the sealed trailer
/// and the footer follow them.
fn needed_size(end: u64) -> u64 {
    end.saturating_add(crate::format::pack::FOOTER_LEN as u64)
}

/// Whether a pack of `size` bytes is too short for the blobs the index places in it (every
/// blob, then the sealed trailer and the footer, must fit): a truncated pack, found without
/// reading its data.
fn truncation(size: u64, blobs: &[(BlobId, BlobLocation)]) -> Option<String> {
    let end = blobs.iter().map(|(_, l)| blob_end(l)).max()?;
    let beyond = blobs.iter().filter(|(_, l)| blob_end(l) > size).count();
    (size < needed_size(end)).then(|| truncated(size, end, beyond, blobs.len()))
}

fn truncated(size: u64, end: u64, beyond: usize, blobs: usize) -> String {
    format!(
        "is {size} bytes but the index places blobs up to byte {end}: truncated ({beyond} of its \
         {blobs} blobs lie past its end; check --read-data names the files using them)"
    )
}

/// The pack part of the structure check alone, without walking any snapshot: every pack the
/// index names is in the repository and long enough for the blobs the index places in it.
/// What a backup runs once its uploads are done (after a [`Repository::flush`]); memory is
/// one entry per pack, not per blob. Only a failure to list the packs is an `Err`.
pub fn check_packs(repo: &Repository) -> Result<Vec<CheckProblem>, VaultError> {
    let stored: HashMap<PackId, u64> = repo.list_packs()?.into_iter().collect();
    // per pack: blobs, where the last one ends
    let mut needs: BTreeMap<PackId, (usize, u64)> = BTreeMap::new();
    repo.for_each_index_entry(|_, l| {
        let n = needs.entry(l.pack).or_default();
        n.0 += 1;
        n.1 = n.1.max(blob_end(l));
    });
    let mut problems = Vec::new();
    let mut short: HashMap<PackId, usize> = HashMap::new();
    for (pack, (blobs, end)) in &needs {
        match stored.get(pack) {
            None => problems.push(CheckProblem {
                kind: "pack",
                message: format!(
                    "pack {pack} is in the index ({blobs} blobs) but missing from the repository"
                ),
            }),
            Some(size) if *size < needed_size(*end) => {
                short.insert(*pack, 0);
            }
            Some(_) => {}
        }
    }
    if !short.is_empty() {
        repo.for_each_index_entry(|_, l| {
            let size = stored.get(&l.pack).copied().unwrap_or(0);
            if let Some(beyond) = short.get_mut(&l.pack) {
                *beyond += usize::from(blob_end(l) > size);
            }
        });
    }
    for (pack, (blobs, end)) in &needs {
        if let (Some(beyond), Some(size)) = (short.get(pack), stored.get(pack)) {
            problems.push(CheckProblem {
                kind: "pack",
                message: format!("pack {pack} {}", truncated(*size, *end, *beyond, *blobs)),
            });
        }
    }
    Ok(problems)
}

/// Runs the check. Only a failure to list the repository is an `Err`; every problem found
/// is in the report.
pub fn check(repo: &Repository, opts: &CheckOptions) -> Result<CheckReport, VaultError> {
    let mut report = CheckReport::default();
    let roots = load_snapshots_and_index(repo, &mut report)?;
    let gaps = check_trees(repo, &roots, opts, &mut report);
    let packs = check_pack_files(repo, gaps, &mut report)?;
    if let Some(percent) = opts.read_data {
        read_data(repo, &roots, &packs, percent, opts, &mut report);
    }
    Ok(report)
}

/// Every snapshot document and index segment: the snapshots' root trees, and each one that
/// cannot be loaded as an error.
fn load_snapshots_and_index(
    repo: &Repository,
    report: &mut CheckReport,
) -> Result<Vec<(SnapshotId, BlobId)>, VaultError> {
    let mut roots = Vec::new();
    for (id, snap) in repo.list_snapshots()? {
        report.snapshots += 1;
        match snap {
            Ok(s) => roots.push((id, s.tree)),
            Err(e) => report.error("snapshot", format!("snapshot {id} cannot be loaded: {e}")),
        }
    }
    for p in repo.index_problems() {
        report.error(
            "index",
            format!(
                "index segment {} cannot be loaded: {} (run `repair index`)",
                p.path, p.reason
            ),
        );
    }
    Ok(roots)
}

/// Whether the trees found the index short of what the snapshots use.
struct IndexGaps {
    /// A data blob a file uses is in no index segment.
    missing_data: bool,
    /// A tree that could not be read is in no index segment.
    unindexed_trees: bool,
}

/// Every tree reachable from the snapshots loads and decodes, and every data blob a file
/// uses is indexed. Every tree pack is read whole first, several at a time (the walk then
/// finds its trees in memory instead of one request per tree).
fn check_trees(
    repo: &Repository,
    roots: &[(SnapshotId, BlobId)],
    opts: &CheckOptions,
    report: &mut CheckReport,
) -> IndexGaps {
    crate::tree::cache_of(repo).prefetch_all(
        repo,
        opts.threads.max(crate::tree::cache::PREFETCH_CONCURRENCY),
        opts.progress.as_deref(),
    );
    let mut data_blobs: HashSet<BlobId> = HashSet::new();
    let mut tree_errors = Vec::new();
    let mut trees_ok = 0usize;
    let mut missing_data: BTreeMap<BlobId, String> = BTreeMap::new();
    let mut unindexed_trees = false;
    walk_snapshots(
        repo,
        roots,
        |snap, path, id, r| match r {
            Ok(()) => trees_ok += 1,
            Err(e) => {
                let shown = if path.is_empty() { "/" } else { path };
                tree_errors.push(format!("snapshot {snap}, directory {shown}: {e}"));
                unindexed_trees |= repo.lookup_kind(BlobKind::Tree, id).is_none();
            }
        },
        |snap, path, e| {
            for part in &e.content {
                if let ContentPart::Data { id, .. } = part {
                    if data_blobs.insert(*id) && repo.lookup_kind(BlobKind::Data, id).is_none() {
                        missing_data.insert(*id, format!("snapshot {snap}, file {path}"));
                    }
                }
            }
        },
        false,
    );
    report.trees = trees_ok;
    for e in tree_errors {
        report.error("tree", e);
    }
    let gaps = IndexGaps {
        missing_data: !missing_data.is_empty(),
        unindexed_trees,
    };
    for (id, where_) in missing_data {
        report.error(
            "blob",
            format!("data blob {id} is not in the index (used by {where_})"),
        );
    }
    report.data_blobs = data_blobs.len();
    gaps
}

/// The index's packs beside the stored ones.
struct Packs {
    /// Stored packs and their sizes.
    stored: HashMap<PackId, u64>,
    /// The indexed blobs of each pack.
    by_pack: BTreeMap<PackId, Vec<(BlobId, BlobLocation)>>,
}

/// Every pack the index names exists and is as long as its blobs need; packs no index
/// names are unreferenced — or, when the index is incomplete, the packs that may hold what
/// it lacks (then the report says to run `repair index`, never to prune).
fn check_pack_files(
    repo: &Repository,
    gaps: IndexGaps,
    report: &mut CheckReport,
) -> Result<Packs, VaultError> {
    let entries = repo.index_entries();
    let stored: HashMap<PackId, u64> = repo.list_packs()?.into_iter().collect();
    report.packs = stored.len();
    let mut by_pack: BTreeMap<PackId, Vec<(BlobId, BlobLocation)>> = BTreeMap::new();
    for (id, loc) in entries {
        by_pack.entry(loc.pack).or_default().push((id, loc));
    }
    for (pack, blobs) in &by_pack {
        match stored.get(pack) {
            None => report.error(
                "pack",
                format!(
                    "pack {pack} is in the index ({} blobs) but missing from the repository",
                    blobs.len()
                ),
            ),
            Some(size) => {
                if let Some(problem) = truncation(*size, blobs) {
                    report.error("pack", format!("pack {pack} {problem}"));
                }
            }
        }
    }
    let mut unreferenced: Vec<String> = stored
        .keys()
        .filter(|p| !by_pack.contains_key(p))
        .map(PackId::to_hex)
        .collect();
    unreferenced.sort();
    let no_index = by_pack.is_empty() && !stored.is_empty();
    // Packs and no index at all is a lost index only when some snapshot may need them: with
    // no snapshot document (a first backup or copy killed before its first index checkpoint)
    // the packs are an interrupted writer's leftovers, unreferenced like any other.
    let lost_index = no_index && report.snapshots > 0;
    report.index_incomplete = !repo.index_problems().is_empty()
        || gaps.missing_data
        || gaps.unindexed_trees
        || lost_index;
    if report.index_incomplete && !unreferenced.is_empty() {
        report.error(
            "index",
            format!(
                "the index is {}: {} of {} packs are named by no index segment and may hold \
                 the missing blobs; run `cnxbackup repair index` (it rebuilds the index from \
                 the packs) — do not prune before that, it would delete them",
                if no_index { "missing" } else { "incomplete" },
                unreferenced.len(),
                stored.len()
            ),
        );
    }
    report.unreferenced_packs = unreferenced;
    Ok(Packs { stored, by_pack })
}

/// Reads `percent` of the indexed, stored packs whole, several at a time, and verifies
/// every blob in them; damaged blobs are named with the snapshots and paths that use them.
fn read_data(
    repo: &Repository,
    roots: &[(SnapshotId, BlobId)],
    packs: &Packs,
    percent: f64,
    opts: &CheckOptions,
    report: &mut CheckReport,
) {
    let Packs { stored, by_pack } = packs;
    let progress = opts.progress.as_deref();
    let candidates: Vec<(&PackId, &Vec<(BlobId, BlobLocation)>)> = by_pack
        .iter()
        .filter(|(p, _)| stored.contains_key(p))
        .collect();
    let chosen = choose_share(candidates, percent);
    report.packs_read = chosen.len();
    if let Some(p) = progress {
        let bytes = chosen
            .iter()
            .map(|(pack, _)| stored.get(pack).copied().unwrap_or(0))
            .sum();
        p.add_total(chosen.len() as u64, bytes);
    }
    let damaged = Mutex::new(Vec::<(BlobId, BlobKind, PackId, String)>::new());
    let verified = std::sync::atomic::AtomicUsize::new(0);
    let pack_errors = Mutex::new(Vec::<String>::new());
    let largest = chosen
        .iter()
        .map(|(pack, _)| stored.get(*pack).copied().unwrap_or(0))
        .max()
        .unwrap_or(0);
    let workers = read_data_workers(
        repo.storage().read_workers(opts.threads),
        opts.threads,
        largest,
    );
    let queue = Mutex::new(chosen.into_iter());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let next = queue.lock().ok().and_then(|mut q| q.next());
                let Some((pack, blobs)) = next else { break };
                let size = stored.get(pack).copied().unwrap_or(0);
                let result = verify_pack(repo, pack, size, blobs);
                if let Some(p) = progress {
                    p.add_done(1, size);
                }
                verified.fetch_add(result.verified, std::sync::atomic::Ordering::Relaxed);
                if let Some(e) = result.pack_error {
                    if let Ok(mut pe) = pack_errors.lock() {
                        pe.push(e);
                    }
                }
                if let Ok(mut d) = damaged.lock() {
                    d.extend(result.damaged);
                }
            });
        }
    });
    report.blobs_verified = verified.into_inner();
    for e in pack_errors.into_inner().unwrap_or_default() {
        report.error("pack", e);
    }
    let damaged = damaged.into_inner().unwrap_or_default();
    if !damaged.is_empty() {
        report.damaged = name_users(repo, roots, damaged);
    }
}

struct PackResult {
    verified: usize,
    pack_error: Option<String>,
    damaged: Vec<(BlobId, BlobKind, PackId, String)>,
}

fn verify_pack(
    repo: &Repository,
    pack: &PackId,
    size: u64,
    blobs: &[(BlobId, BlobLocation)],
) -> PackResult {
    let mut r = PackResult {
        verified: 0,
        pack_error: None,
        damaged: Vec::new(),
    };
    let bytes = match repo.read_pack_range(pack, 0, size) {
        Ok(b) => b,
        Err(e) => {
            r.pack_error = Some(format!("pack {pack} cannot be read: {e}"));
            for (id, loc) in blobs {
                r.damaged
                    .push((*id, loc.kind, *pack, format!("pack unreadable: {e}")));
            }
            return r;
        }
    };
    if blake3::hash(&bytes).as_bytes() != &pack.0 {
        r.pack_error = Some(format!(
            "pack {pack}: content does not match its id (modified or damaged)"
        ));
    }
    for (id, loc) in blobs {
        let start = loc.offset as usize;
        let stored = bytes.get(start..start.saturating_add(loc.length as usize));
        let outcome = match stored {
            Some(s) => repo
                .decode_blob(loc, id, s)
                .map(|_| ())
                .map_err(|e| e.to_string()),
            None => Err(format!(
                "blob lies beyond the end of the pack ({} bytes)",
                bytes.len()
            )),
        };
        match outcome {
            Ok(()) => r.verified += 1,
            Err(reason) => r.damaged.push((*id, loc.kind, *pack, reason)),
        }
    }
    r
}

/// Picks `percent` of the packs (at least one when any), at random.
/// Bytes of whole packs the extra readers of remote storage may hold at once.
const READ_DATA_BUDGET: u64 = 256 << 20;

/// Readers for `--read-data`: `wanted` ([`Storage::read_workers`](crate::storage::Storage::read_workers)),
/// but each holds a whole pack, so beyond the `asked` threads only as many as fit
/// [`READ_DATA_BUDGET`] with packs of up to `largest_pack` bytes (8 MiB packs: all 8; 1 GiB
/// packs: the threads asked for).
fn read_data_workers(wanted: usize, asked: usize, largest_pack: u64) -> usize {
    let affordable = usize::try_from(READ_DATA_BUDGET / largest_pack.max(1)).unwrap_or(usize::MAX);
    wanted.min(affordable.max(asked.max(1)))
}

fn choose_share<T>(mut items: Vec<T>, percent: f64) -> Vec<T> {
    if percent >= 100.0 || items.is_empty() {
        return items;
    }
    let want = ((items.len() as f64) * percent / 100.0).ceil().max(1.0) as usize;
    // Fisher-Yates with the standard library's randomly keyed hasher as the random source
    let state = std::collections::hash_map::RandomState::new();
    for i in (1..items.len()).rev() {
        let mut h = state.build_hasher();
        h.write_usize(i);
        let j = (h.finish() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
    items.truncate(want);
    items
}

/// Finds the snapshots and paths that use each damaged blob.
fn name_users(
    repo: &Repository,
    roots: &[(SnapshotId, BlobId)],
    damaged: Vec<(BlobId, BlobKind, PackId, String)>,
) -> Vec<DamagedBlob> {
    let wanted: HashSet<BlobId> = damaged.iter().map(|d| d.0).collect();
    let mut users: HashMap<BlobId, (BTreeSet<String>, BTreeSet<String>)> = HashMap::new();
    walk_snapshots(
        repo,
        roots,
        |_, _, _, _| {},
        |snap, path, e| {
            let hit = e
                .content
                .iter()
                .any(|p| matches!(p, ContentPart::Data { id, .. } if wanted.contains(id)))
                || e.subtree.is_some_and(|t| wanted.contains(&t));
            if !hit {
                return;
            }
            let ids = e
                .content
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Data { id, .. } => Some(*id),
                    ContentPart::Hole { .. } => None,
                })
                .chain(e.subtree);
            for id in ids.filter(|i| wanted.contains(i)) {
                let u = users.entry(id).or_default();
                u.0.insert(snap.to_hex());
                if u.1.len() < MAX_PATHS {
                    u.1.insert(path.to_string());
                }
            }
        },
        true,
    );
    let mut out: Vec<DamagedBlob> = damaged
        .into_iter()
        .map(|(id, kind, pack, reason)| {
            let (snaps, paths) = users.remove(&id).unwrap_or_default();
            DamagedBlob {
                blob: id.to_hex(),
                kind: kind.to_string(),
                pack: pack.to_hex(),
                reason,
                snapshots: snaps.into_iter().collect(),
                paths: paths.into_iter().collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.pack, &a.blob).cmp(&(&b.pack, &b.blob)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_data_readers_fit_the_byte_budget_but_never_fall_below_the_threads_asked() {
        const MIB: u64 = 1 << 20;
        assert_eq!(read_data_workers(8, 2, 8 * MIB), 8);
        assert_eq!(read_data_workers(8, 2, 64 * MIB), 4);
        assert_eq!(read_data_workers(8, 2, 1024 * MIB), 2);
        assert_eq!(read_data_workers(8, 0, 1024 * MIB), 1);
        assert_eq!(read_data_workers(2, 2, 0), 2);
    }

    #[test]
    fn share_picks_at_least_one_and_at_most_all() {
        let v: Vec<u32> = (0..10).collect();
        assert_eq!(choose_share(v.clone(), 100.0).len(), 10);
        assert_eq!(choose_share(v.clone(), 10.0).len(), 1);
        assert_eq!(choose_share(v.clone(), 0.1).len(), 1);
        let mut half = choose_share(v, 50.0);
        half.sort();
        half.dedup();
        assert_eq!(half.len(), 5);
    }
}
