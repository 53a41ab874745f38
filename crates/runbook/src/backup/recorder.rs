//! What a backup run records for its manifest as it goes: the plan's steps with their
//! outcomes, the component and database records, the failed steps and the warnings. The
//! phase functions (`files`, `dbsources`, `run`) write into one [`Recorder`]; at the end it
//! becomes the [`Manifest`] ([`Recorder::manifest`]).

use super::describe::{self, snake_name};
use super::input::DeploymentBackupOptions;
use super::set_id::new_backup_set_id;
use crate::manifest::{
    self, ComponentRecord, ConnectionsVersion, DatabaseRecord, FailedStep, Manifest, OutageWindow,
    RoleMappingsExport, RunOptions, ServerRecord, Status, StepRecord, StepStatus,
};
use crate::plan::{Action, Component, Plan};
use crate::procedure::PhaseRecord;

/// What the run records for the manifest as it goes.
pub(crate) struct Recorder {
    pub(crate) steps: Vec<StepRecord>,
    pub(crate) components: Vec<ComponentRecord>,
    pub(crate) databases: Vec<DatabaseRecord>,
    pub(crate) failed: Vec<FailedStep>,
    pub(crate) warnings: Vec<String>,
    /// What the backup leaves out on purpose, and why.
    pub(crate) absent: Vec<crate::manifest::Absence>,
    /// The database step's number and title (for failed database records).
    pub(crate) db_step: Option<(String, String)>,
    /// Databases the plan backs up (for progress events).
    pub(crate) db_total: usize,
    /// Server stops and starts, in the order they happened.
    pub(crate) servers: Vec<ServerRecord>,
    /// The declared components' records ([`crate::declared`]).
    pub(crate) declared: Vec<crate::manifest::DeclaredRecord>,
    /// The hooks that ran before the manifest.
    pub(crate) hooks: Vec<crate::manifest::HookRecord>,
}

/// What the manifest needs beyond the records.
pub(crate) struct ManifestFacts<'a> {
    pub(crate) deployment: &'a connections::deployment::Deployment,
    pub(crate) options: &'a DeploymentBackupOptions,
    pub(crate) program_version: &'a str,
    pub(crate) host: &'a str,
    pub(crate) started_ns: i64,
    pub(crate) roles: RoleMappingsExport,
    pub(crate) phases: Vec<PhaseRecord>,
    /// The outage window, when servers were stopped.
    pub(crate) outage: Option<OutageWindow>,
    /// Database backups at a time, when databases were backed up.
    pub(crate) database_parallel: Option<usize>,
    /// The method of the file-system snapshots the files were read from.
    pub(crate) fs_snapshot: Option<crate::fssnap::SnapshotMethod>,
}

impl Recorder {
    /// Every step of `plan`, skipped until the run says otherwise.
    pub(crate) fn new(plan: &Plan) -> Recorder {
        let steps = plan
            .steps
            .iter()
            .map(|s| StepRecord {
                order: s.order,
                procedure_step: s.procedure_step.clone(),
                title: s.title.clone(),
                action: snake_name(s.action),
                component: s.component,
                status: StepStatus::Skipped,
                message: s.skip_reason.clone(),
                duration_ms: 0,
            })
            .collect();
        let db_step = plan
            .steps
            .iter()
            .find(|s| s.action == Action::BackupDatabases)
            .map(|s| (s.procedure_step.clone(), s.title.clone()));
        Recorder {
            steps,
            components: Vec::new(),
            databases: Vec::new(),
            failed: Vec::new(),
            warnings: Vec::new(),
            absent: Vec::new(),
            db_step,
            db_total: 0,
            servers: Vec::new(),
            declared: Vec::new(),
            hooks: Vec::new(),
        }
    }

    /// The step of `action` ended.
    pub(crate) fn step_done(
        &mut self,
        action: Action,
        status: StepStatus,
        message: Option<String>,
        ms: u64,
    ) {
        let action = snake_name(action);
        if let Some(s) = self.steps.iter_mut().find(|s| s.action == action) {
            s.status = status;
            s.message = message.or(s.message.take());
            s.duration_ms = ms;
        }
    }

    /// The step at plan position `order` ended.
    pub(crate) fn set_step_status(
        &mut self,
        order: usize,
        status: StepStatus,
        message: Option<String>,
        ms: u64,
    ) {
        if let Some(s) = self.steps.iter_mut().find(|s| s.order == order) {
            s.status = status;
            s.message = message;
            s.duration_ms = ms;
        }
    }

    /// The step of `action` failed (the snapshot will be incomplete).
    pub(crate) fn fail_step(&mut self, action: Action, message: &str) {
        let action_name = snake_name(action);
        let (procedure_step, title) = self
            .steps
            .iter()
            .find(|s| s.action == action_name)
            .map(|s| (s.procedure_step.clone(), s.title.clone()))
            .unwrap_or_default();
        self.failed.push(FailedStep {
            procedure_step,
            title,
            component: None,
            database: None,
            declared: None,
            message: message.to_string(),
        });
    }

    /// The repository check after the restart found `message` (the snapshot will be
    /// incomplete: what it stored cannot be vouched for).
    /// A declared component failed: the snapshot is INCOMPLETE, naming it.
    pub(crate) fn fail_declared(&mut self, name: &str, message: &str) {
        self.failed.push(FailedStep {
            procedure_step: "component".into(),
            title: format!("Back up the declared component {name}"),
            component: None,
            database: None,
            declared: Some(name.to_string()),
            message: message.to_string(),
        });
    }

    pub(crate) fn fail_check(&mut self, message: String) {
        self.failed.push(FailedStep {
            procedure_step: "check".into(),
            title: "Check what the backup stored in the repository".into(),
            component: None,
            database: None,
            declared: None,
            message,
        });
    }

    /// The backup of database `name` failed.
    pub(crate) fn fail_db(&mut self, name: &str, message: String) {
        self.db_failed_step(name, &message);
        self.databases.push(DatabaseRecord {
            error: Some(message),
            ..DatabaseRecord::new(name, StepStatus::Failed)
        });
    }

    /// The stored image of database `name` passed the vendor's check (`verdict`: what the
    /// check said, or why there was none).
    pub(crate) fn db_verified(&mut self, name: &str, verdict: Option<String>) {
        let image = self
            .databases
            .iter_mut()
            .find(|d| d.database == name)
            .and_then(|d| d.image.as_mut());
        if let (Some(image), Some(v)) = (image, verdict) {
            image.verification = Some(v);
        }
    }

    /// The stored image of database `name` failed the vendor's check: the database failed
    /// (the image stays in the snapshot, its record says why it is not to be trusted).
    pub(crate) fn db_verify_failed(&mut self, name: &str, message: String) {
        self.db_failed_step(name, &message);
        if let Some(d) = self.databases.iter_mut().find(|d| d.database == name) {
            d.status = StepStatus::Failed;
            d.error = Some(message);
        }
    }

    /// The database step failed for database `name` (the snapshot will be incomplete).
    fn db_failed_step(&mut self, name: &str, message: &str) {
        let (procedure_step, title) = self.db_step.clone().unwrap_or_default();
        self.failed.push(FailedStep {
            procedure_step,
            title,
            component: Some(Component::Databases),
            database: Some(name.to_string()),
            declared: None,
            message: message.to_string(),
        });
    }

    /// The manifest of the run so far.
    pub(crate) fn manifest(&mut self, facts: ManifestFacts<'_>) -> Manifest {
        if self.steps.iter().any(|s| s.action == "backup_databases") {
            let record = self.databases_component();
            self.components.insert(0, record);
        }
        let d = facts.deployment;
        let opts = facts.options;
        Manifest {
            schema_version: manifest::SCHEMA_VERSION,
            backup_set: opts.backup_set.clone().unwrap_or_else(new_backup_set_id),
            host: facts.host.to_string(),
            cnxbackup_version: facts.program_version.to_string(),
            started_ns: facts.started_ns,
            finished_ns: vault::now_unix_ns(),
            status: if self.failed.is_empty() {
                Status::Complete
            } else {
                Status::Incomplete
            },
            failed_steps: self.failed.clone(),
            connections: ConnectionsVersion::of(&d.connections.root, &d.connections.version),
            topology: describe::topology(d),
            options: RunOptions {
                in_place_migration: !opts.skip_installation_manager,
                skip_installation_manager: opts.skip_installation_manager,
                no_stop: opts.no_stop,
                restart: opts.restart,
                database_vendor: self
                    .databases
                    .iter()
                    .find_map(|x| x.image.as_ref().map(|i| i.vendor.to_string())),
                tags: opts.tags.clone(),
                database_parallel: facts.database_parallel,
                fs_snapshot: facts.fs_snapshot,
            },
            steps: self.steps.clone(),
            components: self.components.clone(),
            databases: self.databases.clone(),
            role_mappings: facts.roles,
            servers: self.servers.clone(),
            warnings: self.warnings.clone(),
            phases: facts.phases,
            absent: self.absent.clone(),
            pre_restore: None,
            declared: self.declared.clone(),
            hooks: self.hooks.clone(),
            outage: facts.outage,
        }
    }

    /// The `databases` component: the stored image paths and the sums of the records.
    fn databases_component(&self) -> ComponentRecord {
        let status = if self
            .databases
            .iter()
            .any(|x| x.status == StepStatus::Failed)
        {
            StepStatus::Failed
        } else if self.databases.is_empty() {
            StepStatus::Skipped
        } else {
            StepStatus::Ok
        };
        let images = || self.databases.iter().filter_map(|x| x.image.as_ref());
        ComponentRecord {
            component: Component::Databases,
            procedure_step: self.db_step.clone().map(|s| s.0).unwrap_or_default(),
            paths: self
                .databases
                .iter()
                .flat_map(|x| x.stored_paths.clone())
                .collect(),
            excludes: Vec::new(),
            stored_with: None,
            status,
            files: self
                .databases
                .iter()
                .map(|x| x.stored_paths.len() as u64)
                .sum(),
            dirs: 0,
            bytes: images().map(|i| i.bytes).sum(),
            duration_ms: images().map(|i| i.duration_ms).sum(),
            message: None,
            warnings: Vec::new(),
            version: None,
        }
    }
}
