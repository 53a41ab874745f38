//! `cnxbackup servers status|stop|start`: this host's WebSphere servers, node agents and
//! deployment manager, through the same code the backup uses (`runbook::servers`): the
//! documented order (stop: application servers, node agents, dmgr; start: the reverse), each
//! result verified through the PID file and the process table. An orchestrator drives a
//! whole cell with it, host by host (docs/USAGE.md, "A cell on several hosts").

use std::fmt::Write as _;

use clap::{Args, Subcommand, ValueEnum};
use runbook::cellset::{record_servers, ServersRecord};
use runbook::servers::{
    self, check_credentials, server_state, ControlReport, ControlTopology, CredentialCheck,
    ServerError, ServerKind, ServerState, StoppedHow,
};
use serde::Serialize;

use crate::context::Context;
use crate::exit::{CommandError, Exit};
use crate::ui::{Grid, Style};

#[derive(Debug, Args)]
pub struct ServersArgs {
    /// This host's name in reports and set records, as the cell configuration names it
    /// [default: this host's name]
    #[arg(long, global = true)]
    pub host: Option<String>,
    #[command(subcommand)]
    pub action: ServersAction,
}

#[derive(Debug, Subcommand)]
pub enum ServersAction {
    /// Whether each server of this host runs (PID file and process table)
    Status(StatusArgs),
    /// Stop this host's servers: application servers, node agents, then the dmgr (verified)
    Stop(ControlArgs),
    /// Start this host's servers: the dmgr, node agents, then application servers (verified)
    Start(ControlArgs),
    /// Full resynchronisation of this host's nodes with the deployment manager (syncNode.sh,
    /// after a restore: node agents stopped, the dmgr running)
    Sync(super::sync_node::SyncArgs),
}

#[derive(Debug, Args)]
pub struct ControlArgs {
    /// Record this stop or start in the backup set ID in the repository (the cell-wide stop
    /// that `check --set ID` compares every member's capture with)
    #[arg(long, value_name = "ID")]
    pub set: Option<String>,

    /// Only this kind of server (a cell is stopped kind by kind across its hosts: every
    /// host's application servers, then the node agents, then the dmgr)
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    /// Application servers (cluster members)
    ApplicationServers,
    /// Node agents
    NodeAgents,
    /// The deployment manager
    Dmgr,
}

impl KindArg {
    fn kind(self) -> ServerKind {
        match self {
            KindArg::ApplicationServers => ServerKind::ApplicationServer,
            KindArg::NodeAgents => ServerKind::NodeAgent,
            KindArg::Dmgr => ServerKind::DeploymentManager,
        }
    }
}

/// `topology` with only the servers of `kind` (all when `None`).
fn only(mut topology: ControlTopology, kind: Option<KindArg>) -> ControlTopology {
    if let Some(k) = kind {
        for p in &mut topology.profiles {
            p.servers.retain(|s| s.kind == k.kind());
        }
    }
    topology
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Exit 3 naming the servers that are not in this state (for scripts between phases)
    #[arg(long, value_enum)]
    pub expect: Option<Expect>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    /// Every server of this host runs
    Running,
    /// No server of this host runs
    Stopped,
}

/// One server in `servers status`.
#[derive(Debug, Serialize)]
struct StatusLine {
    profile: String,
    node: String,
    server: String,
    kind: ServerKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<String>,
    /// `running`, `stopped`, or `not_controlled` (web servers and other types).
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pid: Option<u32>,
    /// Why it counts as stopped, or why it is not controlled.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Debug, Serialize)]
struct StatusDoc {
    operation: &'static str,
    host: String,
    servers: Vec<StatusLine>,
    running: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<Expect>,
    ok: bool,
}

#[derive(Debug, Serialize)]
struct ControlDoc<'a> {
    host: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    set_record: Option<String>,
    #[serde(flatten)]
    report: &'a ControlReport,
}

pub fn run(ctx: &Context, args: &ServersArgs) -> anyhow::Result<()> {
    let deployment = ctx.discover_deployment()?;
    let topology = ControlTopology::from_deployment(&deployment, &ctx.sysroot()?);
    let host = args.host.clone().unwrap_or_else(|| ctx.this_host());
    match &args.action {
        ServersAction::Status(a) => status(ctx, &topology, host, a.expect),
        ServersAction::Stop(a) => control(ctx, &topology, a, host, servers::Operation::Stop),
        ServersAction::Start(a) => control(ctx, &topology, a, host, servers::Operation::Start),
        ServersAction::Sync(a) => super::sync_node::run(ctx, &deployment, &topology, host, a),
    }
}

fn status(
    ctx: &Context,
    topology: &ControlTopology,
    host: String,
    expect: Option<Expect>,
) -> anyhow::Result<()> {
    let lines: Vec<StatusLine> = topology
        .servers()
        .map(|(p, s)| {
            let (state, pid, detail) = if !s.kind.is_managed() {
                ("not_controlled", None, Some(not_controlled(s.kind)))
            } else {
                match server_state(p, s) {
                    ServerState::Running { pid } => ("running", Some(pid), None),
                    ServerState::Stopped(how) => ("stopped", None, Some(stopped_detail(&how))),
                }
            };
            StatusLine {
                profile: p.name.clone(),
                node: s.node.clone(),
                server: s.name.clone(),
                kind: s.kind,
                cluster: s.cluster.clone(),
                state,
                pid,
                detail,
            }
        })
        .collect();
    let running = lines.iter().filter(|l| l.state == "running").count();
    let off: Vec<String> = lines
        .iter()
        .filter(|l| match expect {
            Some(Expect::Running) => l.state == "stopped",
            Some(Expect::Stopped) => l.state == "running",
            None => false,
        })
        .map(|l| l.server.clone())
        .collect();
    let doc = StatusDoc {
        operation: "status",
        host,
        running,
        expect,
        ok: off.is_empty(),
        servers: lines,
    };
    let style = ctx.ui().stdout;
    ctx.out.result(&status_human(style, &doc), &doc)?;
    if off.is_empty() {
        return Ok(());
    }
    let want = match expect {
        Some(Expect::Running) => "not running",
        _ => "still running",
    };
    Err(CommandError::Reported {
        message: format!("{} server(s) {want}: {}", off.len(), off.join(", ")),
        exit: Exit::Refused,
    }
    .into())
}

fn stopped_detail(how: &StoppedHow) -> String {
    match how {
        StoppedHow::NoPidFile => "no PID file".to_owned(),
        StoppedHow::StalePidFile { pid } => format!("stale PID file (process {pid} is gone)"),
        StoppedHow::PidReused { pid } => {
            format!("the PID file names process {pid}, which is not this server")
        }
        StoppedHow::UnreadablePidFile { problem } => format!("PID file unreadable: {problem}"),
    }
}

fn not_controlled(kind: ServerKind) -> String {
    match kind {
        ServerKind::WebServer => "web server definition, not a JVM".to_owned(),
        _ => "server type not stopped or started by cnxbackup".to_owned(),
    }
}

fn status_human(style: Style, doc: &StatusDoc) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "host {}", doc.host);
    let mut g = Grid::new(
        style,
        &["server", "kind", "node", "profile", "state", "pid"],
    )
    .right(&[5]);
    for l in &doc.servers {
        g.row([
            l.server.clone(),
            kind_name(l.kind).to_owned(),
            l.node.clone(),
            l.profile.clone(),
            style.status(l.state).to_string(),
            l.pid.map(|p| p.to_string()).unwrap_or_default(),
        ]);
    }
    h.push_str(&g.render(0));
    let _ = writeln!(h, "{} running", doc.running);
    h
}

fn kind_name(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::ApplicationServer => "application server",
        ServerKind::NodeAgent => "node agent",
        ServerKind::DeploymentManager => "deployment manager",
        ServerKind::WebServer => "web server",
        ServerKind::Other => "other",
    }
}

fn control(
    ctx: &Context,
    whole: &ControlTopology,
    args: &ControlArgs,
    host: String,
    op: servers::Operation,
) -> anyhow::Result<()> {
    let creds = ctx.was_credentials()?;
    let opts = ctx.control_options();
    // Refused credentials are found before the first server is touched (retries would only
    // lock the account); any running server of the host can answer.
    if let CredentialCheck::Refused { server, detail } = check_credentials(whole, &creds, &opts) {
        return Err(CommandError::Usage(format!(
            "wrong WebSphere credentials: {server} refused them ({detail}); nothing was \
             stopped or started. Check websphere.username and the password \
             (websphere.password_file or CNXBACKUP_WAS_PASSWORD)"
        ))
        .into());
    }
    // the repository first: a set that cannot be recorded is found before anything stops
    let repo = match &args.set {
        Some(set) if !runbook::backup::valid_backup_set_id(set) => {
            return Err(CommandError::Usage(format!(
                "--set {set:?}: not a usable backup-set id (letters, digits, '.', '_', '-')"
            ))
            .into())
        }
        Some(_) => Some(ctx.open_repository()?),
        None => None,
    };
    let topology = only(whole.clone(), args.kind);
    let began_ns = vault::now_unix_ns();
    let result = match op {
        servers::Operation::Stop => servers::stop_all(&topology, &creds, &opts),
        servers::Operation::Start => servers::start_all(&topology, &creds, &opts),
    };
    // credentials refused half-way (they worked for the check): what was done is reported
    let (report, refused) = match result {
        Ok(r) => (r, false),
        Err(ServerError::WrongCredentials { report, .. }) => (*report, true),
    };
    let recorded = match (&repo, &args.set) {
        (Some(repo), Some(set)) => {
            let rec = ServersRecord::of(&report, began_ns, vault::now_unix_ns());
            Some(record_servers(repo, set, &host, &rec))
        }
        _ => None,
    };
    let set_record = recorded.as_ref().and_then(|r| r.as_ref().ok().cloned());
    let doc = ControlDoc {
        host,
        ok: report.ok() && !refused,
        set_record,
        report: &report,
    };
    let style = ctx.ui().stdout;
    ctx.out.result(&control_human(style, &doc), &doc)?;
    if let Some(Err(e)) = recorded {
        return Err(CommandError::Reported {
            message: format!(
                "the servers were handled as reported, but the set record could not be \
                 written: {:#}",
                anyhow::Error::new(e)
            ),
            exit: Exit::Failed,
        }
        .into());
    }
    let failed: Vec<&str> = report
        .servers
        .iter()
        .filter(|s| !s.ok())
        .map(|s| s.server.as_str())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    let verb = match op {
        servers::Operation::Stop => "did not stop",
        servers::Operation::Start => "did not start",
    };
    Err(CommandError::Reported {
        message: format!("{} server(s) {verb}: {}", failed.len(), failed.join(", ")),
        exit: if refused { Exit::Usage } else { Exit::Failed },
    }
    .into())
}

fn control_human(style: Style, doc: &ControlDoc<'_>) -> String {
    use servers::Outcome;
    let mut h = String::new();
    let _ = writeln!(h, "host {}", doc.host);
    let mut g = Grid::new(
        style,
        &["server", "kind", "node", "result", "attempts", "detail"],
    )
    .right(&[4]);
    for s in &doc.report.servers {
        let (result, detail) = match &s.outcome {
            Outcome::Stopped => ("stopped", String::new()),
            Outcome::AlreadyStopped { why } => ("already stopped", why.clone()),
            Outcome::Killed { signal, pid } => ("killed", format!("{signal} to pid {pid}")),
            Outcome::Started => (
                "started",
                s.pid.map(|p| format!("pid {p}")).unwrap_or_default(),
            ),
            Outcome::AlreadyRunning => ("already running", String::new()),
            Outcome::Skipped { reason } => ("skipped", reason.clone()),
            Outcome::Failed { reason } => ("failed", reason.clone()),
        };
        g.row([
            s.server.clone(),
            kind_name(s.kind).to_owned(),
            s.node.clone(),
            style.status(result).to_string(),
            s.attempts.to_string(),
            detail,
        ]);
    }
    h.push_str(&g.render(0));
    h
}
