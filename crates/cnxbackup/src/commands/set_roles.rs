//! `cnxbackup set role-mappings ID`: phase 2 of a cell's backup. While the whole cell still
//! runs, the deployment manager answers `wsadmin`: every application's role mappings
//! (`AdminApp.view(app, ['-MapRolesToUsers'])`) are exported with the deployed bindings and
//! recorded in the set; once the cell is stopped (phase 3) wsadmin cannot answer, so the
//! dmgr host's member takes wsadmin's views from this record into its manifest (`show`
//! lists them).

use std::fmt::Write as _;

use clap::Args;
use runbook::cellset::record_role_mappings;
use runbook::role_mappings::{export_from_bindings, export_with_wsadmin, SOURCE_WSADMIN};
use runbook::servers::{server_state, ControlTopology, ServerKind};
use serde::Serialize;

use crate::context::Context;
use crate::exit::{CommandError, Exit};

#[derive(Debug, Args)]
pub struct RoleMappingsArgs {
    /// The backup-set id every host of the cell uses
    pub set: String,
    /// This host's name, as the cell configuration names it [default: this host's name]
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,
}

#[derive(Serialize)]
struct Out {
    set_record: String,
    set: String,
    host: String,
    applications: usize,
    wsadmin: usize,
    errors: Vec<String>,
}

/// A set id the repository can record, else a usage error (exit 2).
pub fn usable_set_id(set: &str) -> Result<(), CommandError> {
    if runbook::backup::valid_backup_set_id(set) {
        return Ok(());
    }
    Err(CommandError::Usage(format!(
        "{set:?} is not a usable backup-set id: up to 64 characters, letters, digits, '.', '_' and '-'"
    )))
}

/// Exports and records the role mappings of the running cell.
pub fn run(ctx: &Context, args: &RoleMappingsArgs) -> anyhow::Result<()> {
    usable_set_id(&args.set)?;
    let deployment = ctx.discover_deployment()?;
    let sys = ctx.sysroot()?;
    let topology = ControlTopology::from_deployment(&deployment, &sys);
    let Some((profile, dmgr)) = topology
        .servers()
        .find(|(_, s)| s.kind == ServerKind::DeploymentManager)
    else {
        return Err(CommandError::Usage(
            "no deployment manager profile on this host: run `set role-mappings` on the \
             deployment manager's host"
                .into(),
        )
        .into());
    };
    if server_state(profile, dmgr).running_pid().is_none() {
        return Err(CommandError::Reported {
            message: format!(
                "the deployment manager ({}) is not running: wsadmin exports the role \
                 mappings while the cell runs, before `servers stop`",
                profile.name
            ),
            exit: Exit::Refused,
        }
        .into());
    }
    let repo = ctx.open_repository()?;
    let creds = ctx.was_credentials()?;
    let timeout = ctx
        .control_options()
        .timeout
        .min(std::time::Duration::from_secs(600));
    let mut export = export_from_bindings(&deployment, &sys);
    let views = export_with_wsadmin(&profile.path.join("bin/wsadmin.sh"), &creds, timeout)
        .map_err(|e| CommandError::Reported {
            message: format!("wsadmin could not export the role mappings: {e}"),
            exit: Exit::Failed,
        })?;
    export.sources.push(SOURCE_WSADMIN.to_string());
    export.wsadmin = views;
    let host = args.host.clone().unwrap_or_else(|| ctx.this_host());
    let set_record = record_role_mappings(&repo, &args.set, &host, &export)?;
    let out = Out {
        set_record,
        set: args.set.clone(),
        host,
        applications: export.applications.len(),
        wsadmin: export.wsadmin.len(),
        errors: export.errors.clone(),
    };
    ctx.out.result(&human(&out), &out)
}

fn human(o: &Out) -> String {
    let mut h = String::new();
    let _ = writeln!(
        h,
        "backup set {}: role mappings of {} application(s) exported through wsadmin while the \
         cell runs ({} from the deployed bindings), recorded as {}",
        o.set,
        o.wsadmin,
        o.applications,
        o.set_record.get(..8).unwrap_or(&o.set_record)
    );
    for e in &o.errors {
        let _ = writeln!(h, "WARNING: {e}");
    }
    h
}
