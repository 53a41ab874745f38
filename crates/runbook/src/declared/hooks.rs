//! Hooks: the administrator's commands around the backup procedure (`[hooks]`), run by the
//! same runner as the declared components, with the run's facts in `CNXBACKUP_*`
//! environment variables.

use std::collections::BTreeMap;

use super::config::{CommandLine, Hooks};
use super::error::DeclaredError;
use super::runner::Invocation;
use crate::manifest::HookRecord;

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// Before the first server stops.
    BeforeStop,
    /// After `--restart` started the servers.
    AfterStart,
    /// After a failed or INCOMPLETE run.
    OnFailure,
}

impl HookKind {
    /// Its configuration key and `CNXBACKUP_HOOK` value.
    pub fn name(self) -> &'static str {
        match self {
            HookKind::BeforeStop => "before_stop",
            HookKind::AfterStart => "after_start",
            HookKind::OnFailure => "on_failure",
        }
    }

    fn command(self, hooks: &Hooks) -> Option<&CommandLine> {
        match self {
            HookKind::BeforeStop => hooks.before_stop.as_ref(),
            HookKind::AfterStart => hooks.after_start.as_ref(),
            HookKind::OnFailure => hooks.on_failure.as_ref(),
        }
    }
}

/// What a hook is told about the run (each as a `CNXBACKUP_*` variable when known).
#[derive(Debug, Clone, Default)]
pub struct HookFacts {
    /// `CNXBACKUP_HOST`: the host the snapshot is recorded under.
    pub host: String,
    /// `CNXBACKUP_PHASE`: the phase the run was in (`stop`, `restart`, or where it failed).
    pub phase: String,
    /// `CNXBACKUP_BACKUP_SET`.
    pub backup_set: Option<String>,
    /// `CNXBACKUP_SNAPSHOT`: the snapshot written.
    pub snapshot: Option<String>,
    /// `CNXBACKUP_STATUS`: `running`, `complete`, `incomplete` or `failed`.
    pub status: String,
    /// `CNXBACKUP_EXIT_CODE`: the code cnxbackup exits with.
    pub exit_code: Option<i32>,
    /// `CNXBACKUP_OUTAGE_SECONDS`: how long the servers were down.
    pub outage_seconds: Option<u64>,
    /// `CNXBACKUP_ERROR`: the error (secrets masked by the caller).
    pub error: Option<String>,
}

impl HookFacts {
    fn env(&self, kind: HookKind) -> Vec<(String, String)> {
        let mut env = BTreeMap::new();
        env.insert("CNXBACKUP_HOOK", kind.name().to_string());
        env.insert("CNXBACKUP_HOST", self.host.clone());
        env.insert("CNXBACKUP_PHASE", self.phase.clone());
        env.insert("CNXBACKUP_STATUS", self.status.clone());
        let optional = [
            ("CNXBACKUP_BACKUP_SET", self.backup_set.clone()),
            ("CNXBACKUP_SNAPSHOT", self.snapshot.clone()),
            ("CNXBACKUP_EXIT_CODE", self.exit_code.map(|c| c.to_string())),
            (
                "CNXBACKUP_OUTAGE_SECONDS",
                self.outage_seconds.map(|s| s.to_string()),
            ),
            ("CNXBACKUP_ERROR", self.error.clone()),
        ];
        for (k, v) in optional {
            if let Some(v) = v {
                env.insert(k, v);
            }
        }
        env.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

/// A hook that ran: its record (for the manifest) and its failure, if it failed.
#[derive(Debug)]
pub struct HookRan {
    /// What the manifest records.
    pub record: HookRecord,
    /// Why it failed.
    pub error: Option<DeclaredError>,
}

/// Runs the hook when one is configured (none: `None`).
pub fn run_hook(kind: HookKind, hooks: &Hooks, facts: &HookFacts) -> Option<HookRan> {
    let cmd = kind.command(hooks)?;
    let key = format!("hooks.{}", kind.name());
    let no_secrets = BTreeMap::new();
    let started = std::time::Instant::now();
    let result = cmd.words(&key).and_then(|words| {
        let inv = Invocation {
            what: format!("hook {}", kind.name()),
            words,
            env: facts.env(kind),
            secret_env_files: &no_secrets,
            dir: None,
            timeout: hooks.timeout(),
        };
        let spec = inv.spec()?;
        let out = crate::process::run(&spec).map_err(|source| DeclaredError::Run {
            what: inv.what.clone(),
            source,
        })?;
        Ok(out)
    });
    let (record, error) = match result {
        Ok(out) => {
            let error = (!out.success()).then(|| DeclaredError::Failed {
                what: format!("hook {}", kind.name()),
                command: out.command.clone(),
                status: out.status_text(),
                tail: out.tail(3),
            });
            let record = HookRecord {
                hook: kind.name().into(),
                command: out.command.clone(),
                status: out.status_text(),
                ok: out.success(),
                output: out.combined(),
                duration_ms: crate::clock::millis(started),
            };
            (record, error)
        }
        Err(e) => (
            HookRecord {
                hook: kind.name().into(),
                command: String::new(),
                status: e.to_string(),
                ok: false,
                output: String::new(),
                duration_ms: crate::clock::millis(started),
            },
            Some(e),
        ),
    };
    match &error {
        Some(e) => tracing::warn!(hook = kind.name(), "{e}"),
        None => tracing::info!(hook = kind.name(), "hook ran"),
    }
    Some(HookRan { record, error })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_sees_the_facts_and_its_output_is_recorded() {
        let hooks = Hooks {
            before_stop: Some(CommandLine::Words(vec![
                "sh".into(),
                "-c".into(),
                "echo \"$CNXBACKUP_HOOK $CNXBACKUP_HOST $CNXBACKUP_STATUS ${CNXBACKUP_EXIT_CODE:-none}\"".into(),
            ])),
            ..Hooks::default()
        };
        let facts = HookFacts {
            host: "cnx1".into(),
            phase: "stop".into(),
            status: "running".into(),
            ..HookFacts::default()
        };
        let ran = run_hook(HookKind::BeforeStop, &hooks, &facts).unwrap();
        assert!(ran.error.is_none());
        assert_eq!(ran.record.output.trim(), "before_stop cnx1 running none");
        assert!(run_hook(HookKind::AfterStart, &hooks, &facts).is_none());
    }

    #[test]
    fn a_failing_or_hanging_hook_is_an_error() {
        let hooks = Hooks {
            on_failure: Some(CommandLine::Line(
                "sh -c 'echo ticket down >&2; exit 4'".into(),
            )),
            after_start: Some(CommandLine::Line("sleep 30".into())),
            timeout_secs: Some(1),
            ..Hooks::default()
        };
        let ran = run_hook(HookKind::OnFailure, &hooks, &HookFacts::default()).unwrap();
        let e = ran.error.unwrap().to_string();
        assert!(
            e.contains("exit code 4") && e.contains("ticket down"),
            "{e}"
        );
        assert!(!ran.record.ok);
        let ran = run_hook(HookKind::AfterStart, &hooks, &HookFacts::default()).unwrap();
        assert!(ran.error.unwrap().to_string().contains("timed out"));
    }
}
