//! The backup procedure end to end: preflight, role mappings while the servers run, stop,
//! databases with the vendor tools, file components, the manifest, one snapshot per host.
//!
//! [`run()`] executes a [`Plan`](crate::plan::Plan) for a discovered deployment:
//!
//! 1. **Preflight** ([`checks`]) before anything is touched: the WebSphere scripts, the
//!    credentials (a cheap `serverStatus` call), the database tool, the staging space, the
//!    repository, every plan path. Any problem ends the run with [`DeploymentBackupError::Preflight`]:
//!    nothing stopped, nothing written. `--no-stop` with a server running is
//!    [`DeploymentBackupError::Refused`]. `--dry-run` stops here.
//! 2. **While the servers run**: the role mappings of every application (deployed bindings,
//!    plus wsadmin when available) and the version evidence.
//! 3. **Stop** (unless `--no-stop`): servers, node agents, deployment manager; verified.
//!    In the snapshot mode ([`fsmode`]) the file components' volumes are snapshotted now.
//! 4. **Files beside the databases** ([`capture`]): one vault pipeline run starts, reading
//!    the file components (stored under their product paths) while the **databases** phase
//!    runs the vendor backups side by side; each database's staged images are stored under
//!    `/.cnxbackup/databases/<DB>/` as soon as its backup ended (the `command` vendor's dump
//!    streams into the pipeline).
//! 5. **Restart** (`--restart`) as soon as the capture is done: every database backup ended
//!    and every file was read (snapshot mode: the databases ended). The pipeline goes on
//!    storing the images and uploading with the servers running.
//! 6. **Checks after the restart** ([`verify`]): the vendor's check of each staged image and
//!    the repository check of the packs, then the **manifest and snapshot** (the manifest
//!    records the starts and the checks: COMPLETE only when they passed); staging copies are
//!    removed only after the snapshot is saved.
//!
//! Each numbered part is a phase function run by the one procedure runner
//! ([`crate::procedure`]), which records the phase table (events, report, manifest) and
//! guarantees that with `--restart` the servers are started again on every path out once
//! one was stopped: a repository error, a failed step, even a panic.
//!
//! A required step that fails does not stop the run: the remaining components are still
//! backed up, the snapshot is written and marked `incomplete` naming the failed steps
//! ([`BackupReport::complete`] is false; the CLI exits 1). Only a failing repository (full,
//! unreachable) ends the run early ([`DeploymentBackupError::Repository`]): no snapshot is written.

mod absence;
mod capture;
mod checks;
mod dbjobs;
mod dbsources;
mod declared;
mod describe;
mod error;
mod estimate;
mod files;
mod fsmode;
mod input;
mod outage;
mod recorder;
mod report;
mod roles;
mod run;
mod set_id;
pub mod store;
mod verify;

pub use checks::{backup_preflight, PreflightOutcome, ProblemKind};
pub use error::{DeploymentBackupError, ServersAfter, StoreFailure};
pub use estimate::{outage_estimate, OutageEstimate};
pub use files::SourcePathError;
pub use input::{
    BackupInput, DeploymentBackupOptions, EarlierWsadminRoles, OnStopFailure, RepositoryUnavailable,
};
pub use report::BackupReport;
pub use run::run;
pub use set_id::{new_backup_set_id, valid_backup_set_id};

pub use crate::procedure::{
    CollectEvents, Event, EventSink, NoEvents, Phase, PhaseRecord, PhaseStatus,
};
