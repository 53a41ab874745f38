//! `cnxbackup servers sync`: the full resynchronisation of this host's federated nodes with
//! the deployment manager (`syncNode.sh <dmgr host> <dmgr SOAP port>` per managed profile),
//! the documented step after a cell's restore: the dmgr started with the restored master
//! configuration, every node made the master's again while its node agent is stopped, then
//! the node agents and the application servers (docs/RESTORE.md, "A cell on several hosts").

use std::fmt::Write as _;

use clap::Args;
use connections::deployment::Deployment;
use runbook::servers::{dmgr_address, sync_nodes, ControlTopology, SyncReport};
use serde::Serialize;

use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The deployment manager's host [default: the dmgr node's hostName in the cell
    /// configuration this host holds]
    #[arg(long, value_name = "HOST")]
    pub dmgr_host: Option<String>,
    /// The deployment manager's SOAP port [default: its SOAP_CONNECTOR_ADDRESS in that
    /// configuration]
    #[arg(long, value_name = "PORT")]
    pub dmgr_port: Option<u16>,
}

#[derive(Debug, Serialize)]
struct SyncDoc<'a> {
    operation: &'static str,
    host: String,
    ok: bool,
    #[serde(flatten)]
    report: &'a SyncReport,
}

/// Synchronises every managed profile of `topology` with the deployment manager.
pub fn run(
    ctx: &Context,
    deployment: &Deployment,
    topology: &ControlTopology,
    host: String,
    args: &SyncArgs,
) -> anyhow::Result<()> {
    let creds = ctx.was_credentials()?;
    let opts = ctx.control_options();
    let dmgr = dmgr_address(
        deployment,
        &ctx.sysroot()?,
        args.dmgr_host.as_deref(),
        args.dmgr_port,
    )
    .map_err(|e| CommandError::Usage(e.to_string()))?;
    let report = sync_nodes(topology, &dmgr, &creds, &opts)
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let doc = SyncDoc {
        operation: "sync",
        host,
        ok: report.ok(),
        report: &report,
    };
    ctx.out.result(&human(ctx.ui().stdout, &doc), &doc)?;
    let failed: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| !n.synchronized)
        .map(|n| n.node.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    Err(CommandError::Reported {
        message: format!(
            "{} node(s) not synchronised with the deployment manager: {}",
            failed.len(),
            failed.join(", ")
        ),
        exit: Exit::Failed,
    }
    .into())
}

fn human(style: Style, doc: &SyncDoc<'_>) -> String {
    let mut h = String::new();
    let d = &doc.report.dmgr;
    let _ = writeln!(
        h,
        "host {}, deployment manager {}:{}",
        doc.host, d.host, d.port
    );
    if doc.report.nodes.is_empty() {
        let _ = writeln!(h, "no federated node on this host: nothing to synchronise");
        return h;
    }
    let mut g = Grid::new(style, &["node", "profile", "result", "detail"]);
    for n in &doc.report.nodes {
        let result = if n.synchronized {
            "synchronized"
        } else {
            "failed"
        };
        g.row([
            n.node.clone(),
            n.profile.clone(),
            style.status(result).to_string(),
            n.reason.clone().unwrap_or_default(),
        ]);
    }
    h.push_str(&g.render(0));
    h
}
