//! The `on_failure` hook (`[hooks]`, docs/USAGE.md "Hooks") after a backup run that failed
//! or wrote an INCOMPLETE snapshot, whatever the path out: a refusal, a preflight problem, a
//! failed `before_stop` hook, a repository error. The hook's own failure is a warning: the
//! run's result stays what it was.

use runbook::declared::{run_hook, HookFacts, HookKind};

use super::notify::RunFacts;
use crate::context::Context;
use crate::exit;
use crate::logging;

/// Runs `on_failure` when the run failed and one is configured (never on a dry run).
pub fn on_failure(
    ctx: &Context,
    host: &str,
    dry_run: bool,
    facts: &RunFacts,
    result: &anyhow::Result<()>,
) {
    let Err(error) = result else {
        return;
    };
    let hooks = &ctx.loaded.config.hooks;
    if dry_run || hooks.on_failure.is_none() {
        return;
    }
    let snapshot = facts.snapshot.as_ref();
    let facts = HookFacts {
        host: facts.host.clone().unwrap_or_else(|| host.to_string()),
        phase: "backup".into(),
        backup_set: None,
        snapshot: snapshot.map(|s| s.id.clone()),
        status: match snapshot {
            Some(s) if !s.complete => "incomplete".into(),
            _ => "failed".into(),
        },
        exit_code: Some(i32::from(exit::exit_of(error).code())),
        outage_seconds: facts.outage.map(|d| d.as_secs()),
        error: Some(logging::mask_secrets(&exit::describe(error))),
    };
    if let Some(ran) = run_hook(HookKind::OnFailure, hooks, &facts) {
        if let Some(e) = ran.error {
            let text = logging::mask_secrets(&e.to_string());
            eprintln!("cnxbackup: warning: {text} (the backup's result is unchanged)");
        }
    }
}
