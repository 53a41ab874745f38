//! `cnxbackup diff SNAPSHOT SNAPSHOT`: what changed between two snapshots, per component:
//! files added, removed and changed with their sizes, the Connections version change, and
//! the changed elements and attributes of WebSphere and Connections XML configuration files.
//! The comparison is [`report::diff`]; this is the command's face, and [`render`] its human
//! report.

pub mod render;

use report::diff::{diff_snapshots, DiffOptions};

use crate::cli::filter::FilterArgs;
use crate::context::Context;
use clap::Args;

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot (id, unique prefix, or "latest"; --host/--set/--tag apply to both)
    pub from: String,
    /// The newer snapshot
    pub to: String,
    /// List every change (default: the first 25 per component and 10 per XML file)
    #[arg(long)]
    pub all: bool,
    /// Do not compare configuration files (XML element by element, properties key by key; no file is read)
    #[arg(long)]
    pub no_xml: bool,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(ctx: &Context, args: &DiffArgs) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let filter = args.filter.filter();
    let (from_id, from, _) = ctx.resolve_snapshot(&repo, &args.from, &filter)?;
    let (to_id, to, _) = ctx.resolve_snapshot(&repo, &args.to, &filter)?;
    let opts = DiffOptions {
        xml: !args.no_xml,
        ..DiffOptions::default()
    };
    let report = diff_snapshots(&repo, (&from_id, &from), (&to_id, &to), &opts)?;
    ctx.out.result(&render::human(&report, args.all), &report)
}
