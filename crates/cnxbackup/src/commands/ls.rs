//! `cnxbackup ls SNAPSHOT [PATH]`: the entries of a snapshot (below PATH), depth first in
//! name order, then what the backup could not read there (`MISSING ...: not backed up`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use vault::tree::{ContentPart, Entry, EntryKind};
use vault::Repository;

use crate::cli::filter::FilterArgs;
use crate::context::Context;
use crate::ui::format::time_ns;

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Snapshot id, unambiguous id prefix, or "latest" (this host's newest complete
    /// deployment backup)
    pub snapshot: String,
    /// Only below this path of the snapshot (e.g. /srv/data)
    pub path: Option<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Serialize)]
struct LsRow {
    path: String,
    #[serde(rename = "type")]
    kind: &'static str,
    mode: String,
    uid: u32,
    gid: u32,
    user: Option<String>,
    group: Option<String>,
    size: u64,
    mtime: String,
    mtime_ns: i64,
    target: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sparse: bool,
}

fn ls_row(path: String, e: &Entry) -> LsRow {
    LsRow {
        path,
        kind: e.kind.as_str(),
        mode: format!("{:04o}", e.mode),
        uid: e.uid,
        gid: e.gid,
        user: e.user.clone(),
        group: e.group.clone(),
        size: if e.kind == EntryKind::File {
            e.content.iter().map(ContentPart::len).sum()
        } else {
            e.size
        },
        mtime: time_ns(e.mtime_ns),
        mtime_ns: e.mtime_ns,
        target: e
            .symlink_target
            .as_ref()
            .map(|t| String::from_utf8_lossy(t).into_owned()),
        sparse: e.sparse,
    }
}

/// Through the vault's tree cache: a listing reads trees a pack at a time.
fn load_tree(repo: &Repository, id: &vault::BlobId) -> anyhow::Result<vault::tree::Tree> {
    vault::tree::load_tree(repo, id).with_context(|| format!("tree {id}"))
}

pub fn run(ctx: &Context, args: &LsArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let (_, snap, _) = ctx.resolve_snapshot(&repo, &args.snapshot, &args.filter.filter())?;
    // descend to the requested path
    let mut tree_id = snap.tree;
    let mut prefix = String::new();
    let mut single: Option<LsRow> = None;
    if let Some(p) = &args.path {
        let comps: Vec<&str> = p
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect();
        for (i, c) in comps.iter().enumerate() {
            let tree = load_tree(&repo, &tree_id)?;
            let e = tree
                .get(c.as_bytes())
                .with_context(|| format!("{p}: not in snapshot {}", args.snapshot))?;
            prefix = format!("{prefix}/{c}");
            match (e.kind, e.subtree) {
                (EntryKind::Dir, Some(sub)) => tree_id = sub,
                _ if i + 1 == comps.len() => {
                    single = Some(ls_row(prefix.clone(), e));
                    break;
                }
                _ => anyhow::bail!("{p}: {prefix} is not a directory"),
            }
        }
    }
    let rows = match single {
        Some(r) => vec![r],
        None => list_below(&repo, tree_id, &prefix)?,
    };
    let mut h = String::new();
    for r in &rows {
        let _ = write!(
            h,
            "{:<8} {} {:>8} {:>8} {:>12} {} {}",
            r.kind,
            r.mode,
            r.user.clone().unwrap_or_else(|| r.uid.to_string()),
            r.group.clone().unwrap_or_else(|| r.gid.to_string()),
            r.size,
            r.mtime,
            r.path
        );
        if let Some(t) = &r.target {
            let _ = write!(h, " -> {t}");
        }
        h.push('\n');
    }
    // what the backup could not read is not in the trees: say so, by path
    let below = if prefix.is_empty() { "/" } else { &prefix };
    let not_backed_up = vault::restore::not_backed_up_below(&snap, Path::new(below));
    let missing = ctx.ui().stdout.status("MISSING");
    for n in &not_backed_up {
        let what = if n.dir { "directory content" } else { "entry" };
        let _ = writeln!(
            h,
            "{missing} {}: not backed up: {} ({what})",
            n.path, n.reason
        );
    }
    #[derive(Serialize)]
    struct Out {
        entries: Vec<LsRow>,
        not_backed_up: Vec<vault::NotBackedUp>,
    }
    ctx.out.result(
        &h,
        &Out {
            entries: rows,
            not_backed_up,
        },
    )
}

/// Every entry below the directory `tree_id` (at `prefix`), depth first in name order.
fn list_below(
    repo: &Repository,
    tree_id: vault::BlobId,
    prefix: &str,
) -> anyhow::Result<Vec<LsRow>> {
    // counted over the distinct trees first: shared subtrees can name exponentially many
    // entries (a damaged or hostile snapshot), and the listing holds them all
    let named = vault::tree::expanded_entries(repo, &tree_id);
    if named > vault::restore::MAX_ENTRIES as u64 {
        anyhow::bail!(
            "{}: the snapshot names {named} entries below it, more than the {} that ls lists: \
             its directories share subtrees (a damaged or hostile snapshot); list a deeper path",
            if prefix.is_empty() { "/" } else { prefix },
            vault::restore::MAX_ENTRIES
        );
    }
    let mut rows = Vec::new();
    let mut stack = vec![(tree_id, prefix.to_string())];
    while let Some((id, dir)) = stack.pop() {
        let tree = load_tree(repo, &id)?;
        let mut subdirs = Vec::new();
        for e in &tree.entries {
            let path = format!("{dir}/{}", e.display_name());
            if let (EntryKind::Dir, Some(sub)) = (e.kind, e.subtree) {
                subdirs.push((sub, path.clone()));
            }
            rows.push(ls_row(path, e));
        }
        // keep a depth-first listing in name order
        stack.extend(subdirs.into_iter().rev());
    }
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(rows)
}
