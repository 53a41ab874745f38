//! A cheap check that the WebSphere credentials work, before anything is stopped:
//! `serverStatus.sh` against a running server (the deployment manager first), which must
//! authenticate to answer.

use std::time::Duration;

use serde::Serialize;

use super::admu::{classify, Verdict};
use super::control::{ControlOptions, WasCredentials};
use super::state::server_state;
use super::topology::{ControlTopology, ServerKind};
use crate::process::{self, CommandSpec};

/// What the credential check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "result")]
pub enum CredentialCheck {
    /// A running server accepted them.
    Accepted {
        /// The server asked.
        server: String,
    },
    /// A running server refused them.
    Refused {
        /// The server asked.
        server: String,
        /// Its message.
        detail: String,
    },
    /// Nothing to ask: no server runs (then nothing needs stopping either).
    NotVerifiable {
        /// Why.
        reason: String,
    },
}

/// Asks the first running server (deployment manager, then node agents, then application
/// servers) for its status with `creds`.
pub fn check_credentials(
    topology: &ControlTopology,
    creds: &WasCredentials,
    opts: &ControlOptions,
) -> CredentialCheck {
    let mut candidates: Vec<_> = topology
        .servers()
        .filter(|(_, s)| s.kind.is_managed())
        .collect();
    candidates.sort_by_key(|(_, s)| match s.kind {
        ServerKind::DeploymentManager => 0,
        ServerKind::NodeAgent => 1,
        _ => 2,
    });
    let Some((profile, server)) = candidates
        .into_iter()
        .find(|(p, s)| server_state(p, s).running_pid().is_some())
    else {
        return CredentialCheck::NotVerifiable {
            reason: "no WebSphere server is running".into(),
        };
    };
    let script = profile.path.join("bin").join("serverStatus.sh");
    if !process::is_executable(&script) {
        return CredentialCheck::NotVerifiable {
            reason: format!("{} is missing", script.display()),
        };
    }
    let spec = creds
        .apply(CommandSpec::new(&script).arg(&server.name), &profile.path)
        .current_dir(&profile.path)
        .run_as(super::control::run_as_user(&opts.run_as, &profile.path).as_deref())
        .timeout(opts.timeout.min(Duration::from_secs(300)));
    let out = match process::run(&spec) {
        Ok(o) => o,
        Err(e) => {
            return CredentialCheck::NotVerifiable {
                reason: e.to_string(),
            }
        }
    };
    let text = out.combined();
    if classify(&text) == Verdict::WrongCredentials {
        CredentialCheck::Refused {
            server: server.name.clone(),
            detail: super::control::credential_line(&text),
        }
    } else if out.success() {
        CredentialCheck::Accepted {
            server: server.name.clone(),
        }
    } else {
        CredentialCheck::NotVerifiable {
            reason: format!(
                "serverStatus.sh {}: {}: {}",
                server.name,
                out.status_text(),
                out.tail(2)
            ),
        }
    }
}
