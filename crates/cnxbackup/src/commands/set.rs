//! `cnxbackup set plan ID`: record a cell's backup set in the repository (its hosts and
//! roles from the cell topology, who backs up the shared data and the databases), and the
//! set proof behind `cnxbackup check --set ID` (every host has a COMPLETE snapshot, the
//! shared data and the databases are held once and where the set says, one Connections
//! version, every capture inside the cell-wide stop).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use runbook::cellset::{prove_set, record_plan, SetDocument, SetHostRole, SetVerdict};
use serde::Serialize;

use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(subcommand)]
    pub action: SetAction,
}

#[derive(Debug, Subcommand)]
pub enum SetAction {
    /// Record the set document of this cell (run on the deployment manager's host, before
    /// the backup): every host and its roles, who backs up the shared data and the databases
    Plan(PlanArgs),
    /// Export every application's role mappings through wsadmin while the cell still runs
    /// (on the deployment manager's host, before the cell-wide stop) and record them in the
    /// set: that host's member keeps wsadmin's views in its manifest
    RoleMappings(super::set_roles::RoleMappingsArgs),
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The backup-set id every host of the cell uses (`backup --set ID`)
    pub set: String,
    /// The one host that backs up the shared data (a node host that mounts it)
    #[arg(long, value_name = "HOST")]
    pub shared_data_host: String,
    /// The one host that backs up the databases (often the database server itself)
    #[arg(long, value_name = "HOST")]
    pub databases_host: String,
}

#[derive(Serialize)]
struct PlanDoc<'a> {
    set_record: String,
    document: &'a SetDocument,
}

pub fn run(ctx: &Context, args: &SetArgs) -> anyhow::Result<()> {
    match &args.action {
        SetAction::Plan(a) => plan(ctx, a),
        SetAction::RoleMappings(a) => super::set_roles::run(ctx, a),
    }
}

fn plan(ctx: &Context, args: &PlanArgs) -> anyhow::Result<()> {
    super::set_roles::usable_set_id(&args.set)?;
    let deployment = ctx.discover_deployment()?;
    let repo = ctx.open_repository()?;
    let doc = SetDocument::plan(
        &deployment,
        &args.set,
        &ctx.this_host(),
        &args.shared_data_host,
        &args.databases_host,
    );
    let id = record_plan(&repo, &doc)?;
    let out = PlanDoc {
        set_record: id,
        document: &doc,
    };
    ctx.out.result(&plan_human(ctx.ui().stdout, &doc), &out)
}

fn role_name(r: SetHostRole) -> &'static str {
    match r {
        SetHostRole::DeploymentManager => "deployment manager",
        SetHostRole::Node => "node",
        SetHostRole::WebServer => "web server",
        SetHostRole::SharedData => "shared data",
        SetHostRole::Databases => "databases",
    }
}

fn plan_human(style: Style, doc: &SetDocument) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "backup set {} of cell {}", doc.set, doc.cell);
    let mut g = Grid::new(style, &["host", "roles", "nodes"]);
    for host in &doc.hosts {
        let roles: Vec<&str> = host.roles.iter().map(|r| role_name(*r)).collect();
        g.row([host.name.clone(), roles.join(", "), host.nodes.join(", ")]);
    }
    h.push_str(&g.render(0));
    let _ = writeln!(
        h,
        "every host above backs up what lives on it with `backup --set {}`; {} database(s)",
        doc.set,
        doc.databases.len()
    );
    h
}

/// `check --set ID`: the set proof; exit 3 naming what is missing.
pub fn prove(ctx: &Context, set: &str) -> anyhow::Result<()> {
    let repo = ctx.open_repository()?;
    let verdict = prove_set(&repo, set)?;
    #[derive(Serialize)]
    struct Out<'a> {
        ok: bool,
        #[serde(flatten)]
        verdict: &'a SetVerdict,
        problems_text: Vec<String>,
    }
    let out = Out {
        ok: verdict.ok(),
        verdict: &verdict,
        problems_text: verdict.problems.iter().map(|p| p.to_string()).collect(),
    };
    ctx.out
        .result(&verdict_human(ctx.ui().stdout, &verdict), &out)?;
    if verdict.ok() {
        return Ok(());
    }
    Err(CommandError::Reported {
        message: format!(
            "backup set {set} is not complete: {}",
            out.problems_text.join("; ")
        ),
        exit: Exit::Refused,
    }
    .into())
}

fn verdict_human(style: Style, v: &SetVerdict) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "backup set {}", v.set);
    let mut g = Grid::new(style, &["host", "snapshot", "status", "holds", "version"]);
    for m in &v.members {
        let holds: Vec<String> = m.components.iter().map(|c| c.to_string()).collect();
        g.row([
            m.host.clone(),
            m.snapshot.chars().take(8).collect(),
            style
                .status(if m.complete { "complete" } else { "INCOMPLETE" })
                .to_string(),
            holds.join(", "),
            m.version
                .as_ref()
                .map_or_else(|| "-".into(), ToString::to_string),
        ]);
    }
    h.push_str(&g.render(0));
    for p in &v.problems {
        let _ = writeln!(h, "{} {p}", style.status("missing"));
    }
    let _ = writeln!(
        h,
        "{}",
        style.status(if v.ok() {
            "the set is complete"
        } else {
            "SET INCOMPLETE"
        })
    );
    h
}
