//! What a backup leaves out on purpose, and whether that leaves it incomplete.
//!
//! `--skip-databases` leaves the databases to another host of the backup set. Without
//! `--set` no other host can hold them: the snapshot is INCOMPLETE. With `--set` the
//! snapshot records whether a member of the set held them when it was written; `show`,
//! `snapshots` and the HTML report count the set at the time they are asked
//! ([`crate::manifest::Summary::status_in_set`]): COMPLETE only while a member of the set
//! holds the databases, INCOMPLETE (naming what is absent and why) otherwise. (The hosts of
//! a cell are backed up one after the other, the database host not necessarily first.)
//! `--skip-installation-manager` is recorded too: such a backup cannot restore
//! `connections_root` onto an updated system.

use super::checks::previous_backup_set_member;
use super::input::DeploymentBackupOptions;
use super::recorder::Recorder;
use crate::manifest::{Absence, AbsenceReason, FailedStep};
use crate::plan::{Action, Component, Plan, WITHOUT_IIM};

/// Records the absences of this run (and the failed step an unheld database set is).
pub(crate) fn record(
    plan: &Plan,
    opts: &DeploymentBackupOptions,
    repo: &vault::Repository,
    host: &str,
    r: &mut Recorder,
) {
    let plans_databases = plan
        .steps
        .iter()
        .any(|s| s.action == Action::BackupDatabases && !s.databases.is_empty());
    if opts.skip_databases && plans_databases {
        let set = opts.backup_set.as_deref();
        match set.and_then(|s| previous_backup_set_member(repo, s, host)) {
            Some(member) => r.absent.push(Absence {
                component: Component::Databases,
                reason: AbsenceReason::SetMember,
                message: format!(
                    "--skip-databases: the databases are in the backup of {} (snapshot {}) of \
                     the same set",
                    member.host,
                    short(&member.snapshot)
                ),
                held_by: Some(member),
            }),
            None => {
                let message = match set {
                    Some(s) => format!(
                        "--skip-databases: left to another host of backup set {s}, and none \
                         held them when this backup was written; the set is complete once the \
                         database host's backup (--set {s}) holds them"
                    ),
                    None => "--skip-databases without --set: no other host's backup can hold \
                             the databases; give the set of the host that backs them up"
                        .to_string(),
                };
                if set.is_none() {
                    r.failed.push(FailedStep {
                        procedure_step: "4".into(),
                        title: "back up the databases with the vendor's tools".into(),
                        component: Some(Component::Databases),
                        database: None,
                        declared: None,
                        message: message.clone(),
                    });
                } else {
                    r.warnings.push(message.clone());
                }
                r.absent.push(Absence {
                    component: Component::Databases,
                    reason: AbsenceReason::SkipDatabases,
                    held_by: None,
                    message,
                });
            }
        }
    }
    if opts.skip_installation_manager {
        r.absent.push(Absence {
            component: Component::InstallationManager,
            reason: AbsenceReason::SkipInstallationManager,
            held_by: None,
            message: format!(
                "--skip-installation-manager: the IIM data, install and IMShared are left out; \
                 {WITHOUT_IIM}"
            ),
        });
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
