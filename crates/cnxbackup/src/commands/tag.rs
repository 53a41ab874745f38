//! `cnxbackup tag --add T --remove T SNAPSHOT...`: change the tags of snapshots (to keep a
//! backup with `forget --keep-tag`, or to release it). A snapshot's id is the hash of its
//! document, so a changed snapshot gets a new id; the old document is removed after the new
//! one is written (`vault`'s `retag_snapshot`). Its data is untouched.
//!
//! Exit codes: 0 done; 1 no such snapshot or a repository error; 2 neither `--add` nor
//! `--remove`; 3 an append-only repository without `--maintenance` (tagging deletes the old
//! document).

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;

use crate::cli::filter::FilterArgs;
use crate::context::Context;
use crate::exit::CommandError;
use crate::ui::format::short_id;

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Add this tag (repeatable)
    #[arg(long = "add", value_name = "TAG")]
    pub add: Vec<String>,
    /// Remove this tag (repeatable)
    #[arg(long = "remove", value_name = "TAG")]
    pub remove: Vec<String>,
    /// The repository is append-only: run as its maintenance
    #[arg(long)]
    pub maintenance: bool,
    /// Snapshots to change (ids, unique prefixes or `latest`)
    #[arg(value_name = "SNAPSHOT", required = true)]
    pub snapshots: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// One snapshot's change (`--json`: docs/schemas/tag.schema.json).
#[derive(Debug, Serialize)]
struct Retagged {
    /// The id before.
    old: String,
    /// The id now (the same when the tags did not change).
    new: String,
    tags: Vec<String>,
}

pub fn run(ctx: &Context, args: &TagArgs) -> anyhow::Result<()> {
    if args.add.is_empty() && args.remove.is_empty() {
        return Err(CommandError::Usage("give --add TAG or --remove TAG".into()).into());
    }
    if let Some(bad) = args
        .add
        .iter()
        .find(|t| t.is_empty() || t.contains(char::is_whitespace))
    {
        return Err(CommandError::Usage(format!(
            "--add \"{bad}\": a tag is a word without spaces"
        ))
        .into());
    }
    let repo = ctx.open_repository()?;
    repo.set_maintenance(args.maintenance);
    let filter = args.filter.filter();
    let mut done: Vec<Retagged> = Vec::new();
    for spec in &args.snapshots {
        let (id, _, _) = ctx.resolve_snapshot(&repo, spec, &filter)?;
        if done.iter().any(|d| d.old == id.to_hex()) {
            continue;
        }
        let new = repo.retag_snapshot(&id, &args.add, &args.remove)?;
        let tags = repo.load_snapshot(&new)?.tags;
        done.push(Retagged {
            old: id.to_hex(),
            new: new.to_hex(),
            tags,
        });
    }
    let mut h = String::new();
    for d in &done {
        if d.old == d.new {
            let _ = writeln!(h, "unchanged {}  [{}]", short_id(&d.old), d.tags.join(", "));
        } else {
            let _ = writeln!(
                h,
                "retagged  {} -> {}  [{}]",
                short_id(&d.old),
                short_id(&d.new),
                d.tags.join(", ")
            );
        }
    }
    #[derive(Serialize)]
    struct Out<'a> {
        snapshots: &'a [Retagged],
    }
    ctx.out.result(&h, &Out { snapshots: &done })
}
