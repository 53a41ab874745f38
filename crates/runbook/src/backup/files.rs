//! The plan's file components as backup sources, and their records from the pipeline's
//! per-source reports.
//!
//! Every path of a running component becomes one `Path` source stored under its product
//! path, with the component's excludes (product paths left to other components, such as
//! `provision` inside `shared_data`) as source excludes. A component whose paths all lie
//! inside another component's (not excluded there), like `file_registry` inside
//! `dmgr_profile`, is stored once, by that component: its record says `stored_with` and its
//! counts are measured on disk below its paths (the servers are stopped, so they agree with
//! what the pipeline stores).

use std::path::{Path, PathBuf};
use std::time::Duration;

use vault::backup::{BackupSource, SourceReport, WarningKind};
use websphere::Sysroot;

use super::describe::snake_name;
use super::recorder::Recorder;
use super::store::glob_escape;
use crate::manifest::{ComponentRecord, FailedStep, StepStatus};
use crate::plan::{measure, Action, Component, Plan, Step, Usage};
use crate::procedure::{Event, Phase};

/// How many file warnings a component record keeps (the count is in the message).
const WARNINGS_KEPT: usize = 20;

struct Item {
    order: usize,
    component: Component,
    procedure_step: String,
    title: String,
    runs: bool,
    skip_reason: Option<String>,
    paths: Vec<String>,
    excludes: Vec<String>,
    present: Vec<String>,
    stored_with: Option<Component>,
    contained: Option<(Usage, bool)>,
    version: Option<String>,
}

/// A component path that cannot be mapped to a real path under the sysroot.
#[derive(Debug, thiserror::Error)]
#[error("{path} ({component})")]
pub struct SourcePathError {
    /// The product path.
    pub path: String,
    /// Its component.
    pub component: Component,
    /// Why.
    #[source]
    pub source: websphere::SysrootError,
}

/// The file components of one run.
pub(crate) struct FileSources {
    items: Vec<Item>,
    total: usize,
}

impl FileSources {
    /// The components of `plan`; `missing` are product paths preflight found absent.
    pub(crate) fn build(plan: &Plan, missing: &[String], sys: &Sysroot) -> FileSources {
        let file_steps: Vec<&Step> = plan
            .steps
            .iter()
            .filter(|s| s.action == Action::BackupFiles)
            .collect();
        let running: Vec<&Step> = file_steps.iter().copied().filter(|s| s.runs).collect();
        let mut items = Vec::new();
        for step in file_steps {
            let Some(component) = step.component else {
                continue;
            };
            let stored_with = if step.runs {
                container_of(step, &running)
            } else {
                None
            };
            let present: Vec<String> = step
                .paths
                .iter()
                .filter(|p| !missing.contains(p))
                .cloned()
                .collect();
            let contained = stored_with.map(|_| {
                let (usage, problems) = measure(sys, &present, &step.excludes);
                (
                    usage,
                    problems.is_empty() && present.len() == step.paths.len(),
                )
            });
            items.push(Item {
                order: step.order,
                component,
                procedure_step: step.procedure_step.clone(),
                title: step.title.clone(),
                runs: step.runs,
                skip_reason: step.skip_reason.clone(),
                paths: step.paths.clone(),
                excludes: step.excludes.clone(),
                present,
                stored_with,
                contained,
                version: step.version.clone(),
            });
        }
        let total = items.iter().filter(|i| i.runs).count();
        FileSources { items, total }
    }

    /// The real paths the file components are read from (those the sysroot cannot map are
    /// left out here: [`FileSources::sources`] reports them).
    pub(crate) fn real_paths(&self, sys: &Sysroot) -> Vec<PathBuf> {
        self.items
            .iter()
            .filter(|i| i.runs && i.stored_with.is_none())
            .flat_map(|i| &i.present)
            .filter_map(|p| sys.real_path(Path::new(p)).ok())
            .collect()
    }

    /// The `Path` sources: real path through the sysroot (where `read_at` says it is read
    /// from: the path itself, or its place in a file-system snapshot), stored under the
    /// product path.
    pub(crate) fn sources(
        &self,
        sys: &Sysroot,
        read_at: &dyn Fn(PathBuf) -> PathBuf,
    ) -> Result<Vec<BackupSource>, SourcePathError> {
        let mut out = Vec::new();
        for item in self
            .items
            .iter()
            .filter(|i| i.runs && i.stored_with.is_none())
        {
            let excludes: Vec<String> = item
                .excludes
                .iter()
                .map(|x| glob_escape(Path::new(x)))
                .collect();
            for p in &item.present {
                let real = sys
                    .real_path(Path::new(p))
                    .map_err(|source| SourcePathError {
                        path: p.clone(),
                        component: item.component,
                        source,
                    })?;
                out.push(BackupSource::path(read_at(real), p).with_excludes(excludes.clone()));
            }
        }
        Ok(out)
    }

    /// Records every component from the reports.
    pub(crate) fn record(
        &self,
        reports: &[SourceReport],
        r: &mut Recorder,
        events: &mut Vec<Event>,
    ) {
        let mut done = 0;
        let mut statuses: Vec<(Component, StepStatus)> = Vec::new();
        // own components first, so contained ones can take their owner's status
        let order: Vec<&Item> = self
            .items
            .iter()
            .filter(|i| i.stored_with.is_none())
            .chain(self.items.iter().filter(|i| i.stored_with.is_some()))
            .collect();
        let mut records: Vec<(usize, ComponentRecord)> = Vec::new();
        for item in order {
            let mut rec = ComponentRecord {
                component: item.component,
                procedure_step: item.procedure_step.clone(),
                paths: item.paths.clone(),
                excludes: item.excludes.clone(),
                stored_with: item.stored_with,
                status: StepStatus::Skipped,
                files: 0,
                dirs: 0,
                bytes: 0,
                duration_ms: 0,
                message: item.skip_reason.clone(),
                warnings: Vec::new(),
                version: item.version.clone(),
            };
            if item.runs {
                done += 1;
                match (item.stored_with, &item.contained) {
                    (Some(owner), Some((usage, complete))) => {
                        let owner_status = statuses
                            .iter()
                            .find(|(c, _)| *c == owner)
                            .map(|(_, s)| *s)
                            .unwrap_or(StepStatus::Failed);
                        rec.files = usage.files;
                        rec.dirs = usage.dirs;
                        rec.bytes = usage.apparent_bytes;
                        rec.status = match owner_status {
                            StepStatus::Ok | StepStatus::Partial if !complete => {
                                StepStatus::Missing
                            }
                            s => s,
                        };
                        rec.message = Some(format!("stored with {owner}"));
                    }
                    _ => self.record_own(item, reports, &mut rec, r, events),
                }
                statuses.push((item.component, rec.status));
                events.push(Event::Progress {
                    phase: Phase::Files,
                    item: item.component.to_string(),
                    done,
                    total: self.total,
                    files: Some(rec.files),
                    bytes: Some(rec.bytes),
                    status: status_name(rec.status),
                });
                r.set_step_status(item.order, rec.status, rec.message.clone(), rec.duration_ms);
            }
            records.push((item.order, rec));
        }
        records.sort_by_key(|(o, _)| *o);
        r.components.extend(records.into_iter().map(|(_, c)| c));
    }

    fn record_own(
        &self,
        item: &Item,
        reports: &[SourceReport],
        rec: &mut ComponentRecord,
        r: &mut Recorder,
        events: &mut Vec<Event>,
    ) {
        if item.present.is_empty() {
            rec.status = StepStatus::Missing;
            rec.message = Some("none of its paths exists on this host".into());
            return;
        }
        let mut duration = Duration::ZERO;
        let mut not_stored = Vec::new();
        let mut warnings = Vec::new();
        for p in &item.present {
            let Some(rep) = reports.iter().find(|x| x.stored_as == Path::new(p)) else {
                not_stored.push(format!("{p}: no report"));
                continue;
            };
            rec.files += rep.files;
            rec.dirs += rep.dirs;
            rec.bytes += rep.bytes;
            duration = duration.max(rep.duration);
            warnings.extend(rep.warnings.iter().cloned());
            if !rep.stored {
                not_stored.push(
                    rep.warnings
                        .first()
                        .map(|w| w.to_string())
                        .unwrap_or_else(|| format!("{p}: not stored")),
                );
            }
        }
        rec.duration_ms = crate::clock::millis_of(duration);
        rec.warnings = warnings
            .iter()
            .take(WARNINGS_KEPT)
            .map(|w| w.to_string())
            .collect();
        if !not_stored.is_empty() {
            rec.status = StepStatus::Failed;
            let message = not_stored.join("; ");
            rec.message = Some(message.clone());
            events.push(Event::Warning {
                phase: Phase::Files,
                message: format!("{}: {message}", item.component),
            });
            r.failed.push(FailedStep {
                procedure_step: item.procedure_step.clone(),
                title: item.title.clone(),
                component: Some(item.component),
                database: None,
                declared: None,
                message,
            });
            return;
        }
        if warnings.is_empty() {
            rec.status = StepStatus::Ok;
        } else {
            rec.status = StepStatus::Partial;
            let lost = warnings
                .iter()
                .filter(|w| matches!(w.kind, WarningKind::Unreadable | WarningKind::Vanished))
                .count();
            let m = format!(
                "{}: {} file warning(s) ({lost} not stored), e.g. {}",
                item.component,
                warnings.len(),
                warnings[0]
            );
            events.push(Event::Warning {
                phase: Phase::Files,
                message: m.clone(),
            });
            r.warnings.push(m);
        }
        if item.present.len() < item.paths.len() {
            rec.message = Some(format!(
                "not on this host: {}",
                item.paths
                    .iter()
                    .filter(|p| !item.present.contains(p))
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
}

fn status_name(s: StepStatus) -> String {
    snake_name(s)
}

/// The running component whose paths (minus its excludes) contain every path of `step`.
fn container_of(step: &Step, running: &[&Step]) -> Option<Component> {
    let inside = |inner: &str, outer: &str| Path::new(inner).starts_with(Path::new(outer));
    running
        .iter()
        .filter(|o| o.order != step.order)
        .find(|o| {
            step.paths.iter().all(|p| {
                o.paths
                    .iter()
                    .any(|op| inside(p, op) && (p != op || o.order < step.order))
                    && !o.excludes.iter().any(|x| inside(p, x))
            })
        })
        .and_then(|o| o.component)
}
