//! One runner for the backup and the restore: a procedure is a list of named phase
//! functions, and [`Procedure`] runs them.
//!
//! For every phase the runner emits `phase_start`, hands the phase function a [`Scope`]
//! through which it reports progress and warnings, then records how it ended (status,
//! start, duration, a one-line account) in the phase table ([`PhaseRecord`]) and emits
//! `phase_end`. The table goes into the backup's manifest and into both reports, so the
//! events, the manifest and the reports cannot disagree.
//!
//! The outage is a bracket ([`Procedure::outage`]): once servers were stopped, the work in
//! the bracket may end with a value, an error or a panic, and on every one of those paths
//! the restart duty ([`Duty`]) runs before the bracket returns (or the panic goes on).
//! The work may discharge the duty earlier itself (the backup starts the servers as soon as
//! the capture is done, before it writes the manifest); a duty runs at most once.

pub mod events;

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub use events::{CollectEvents, Event, EventSink, NoEvents, Phase, PhaseStatus};

use crate::clock::millis;

/// One row of the phase table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseRecord {
    /// The phase.
    pub phase: Phase,
    /// How it ended.
    pub status: PhaseStatus,
    /// When it began, Unix nanoseconds.
    pub started_ns: i64,
    /// Wall time.
    pub duration_ms: u64,
    /// A short account (`3 servers stopped`, the error).
    pub message: String,
}

/// How a phase function ended: the value it hands on, and its status and account for the
/// phase table.
#[derive(Debug)]
pub struct Ended<T> {
    value: T,
    status: PhaseStatus,
    message: String,
}

impl<T> Ended<T> {
    /// Done.
    pub fn ok(value: T, message: impl Into<String>) -> Ended<T> {
        Ended::with(value, PhaseStatus::Ok, message)
    }

    /// Something in it failed (the value says whether the procedure goes on).
    pub fn failed(value: T, message: impl Into<String>) -> Ended<T> {
        Ended::with(value, PhaseStatus::Failed, message)
    }

    /// Not run.
    pub fn skipped(value: T, message: impl Into<String>) -> Ended<T> {
        Ended::with(value, PhaseStatus::Skipped, message)
    }

    /// The value it hands on.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// With a status decided elsewhere.
    pub fn with(value: T, status: PhaseStatus, message: impl Into<String>) -> Ended<T> {
        Ended {
            value,
            status,
            message: message.into(),
        }
    }
}

/// What a phase function reports through while it runs.
pub struct Scope<'p, 's> {
    phase: Phase,
    sink: &'p mut (dyn EventSink + 's),
}

impl Scope<'_, '_> {
    /// The phase running.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Something the administrator should know (also logged).
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        tracing::warn!("{message}");
        self.sink.event(&Event::Warning {
            phase: self.phase,
            message,
        });
    }

    /// One item of the phase is done.
    pub fn progress(&mut self, item: Item) {
        self.sink.event(&Event::Progress {
            phase: self.phase,
            item: item.name,
            done: item.done,
            total: item.total,
            files: item.files,
            bytes: item.bytes,
            status: item.status,
        });
    }

    /// Passes on an event gathered where no scope could be borrowed (inside the vault's
    /// pipeline); warnings are logged as they pass.
    pub fn forward(&mut self, e: &Event) {
        if let Event::Warning { message, .. } = e {
            tracing::warn!("{message}");
        }
        self.sink.event(e);
    }
}

/// One item of a phase for [`Scope::progress`].
#[derive(Debug, Clone, Default)]
pub struct Item {
    /// `PEOPLEDB`, `shared_data`, `AppsCluster_server1`.
    pub name: String,
    /// Items done so far, this one included.
    pub done: usize,
    /// Items in the phase.
    pub total: usize,
    /// Files stored or written for this item.
    pub files: Option<u64>,
    /// Bytes stored or written for this item.
    pub bytes: Option<u64>,
    /// `ok`, `failed`, `partial`, `skipped`, `missing`, ...
    pub status: String,
}

impl Item {
    /// Item `done` of `total`, with a status word.
    pub fn new(name: impl Into<String>, done: usize, total: usize, status: &str) -> Item {
        Item {
            name: name.into(),
            done,
            total,
            status: status.to_string(),
            ..Item::default()
        }
    }
}

/// The work of a [`Duty`].
type DutyFn<'a, T> = Box<dyn FnOnce(&mut Procedure<'_>) -> T + 'a>;

/// A duty that must run once the outage began, whatever way the work ends: starting the
/// servers again. It runs at most once.
pub struct Duty<'a, T> {
    run: Option<DutyFn<'a, T>>,
    outcome: Option<T>,
}

impl<'a, T> Duty<'a, T> {
    /// A duty that runs `f` (as a phase of its own, if it wants the table to show it).
    pub fn new(f: impl FnOnce(&mut Procedure<'_>) -> T + 'a) -> Duty<'a, T> {
        Duty {
            run: Some(Box::new(f)),
            outcome: None,
        }
    }

    /// No duty (`--restart` not asked, or nothing was stopped).
    pub fn none() -> Duty<'a, T> {
        Duty {
            run: None,
            outcome: None,
        }
    }

    /// Runs the duty now unless it already ran; its outcome (none when there is no duty).
    pub fn discharge(&mut self, p: &mut Procedure<'_>) -> Option<&T> {
        if let Some(f) = self.run.take() {
            self.outcome = Some(f(p));
        }
        self.outcome.as_ref()
    }

    /// The outcome, once discharged.
    pub fn into_outcome(self) -> Option<T> {
        self.outcome
    }
}

/// Runs the phases of one procedure; see the module documentation.
pub struct Procedure<'s> {
    sink: &'s mut dyn EventSink,
    records: Vec<PhaseRecord>,
    open: Option<Open>,
}

/// A phase running beside the others ([`Procedure::begin_beside`]).
#[derive(Debug)]
pub struct Beside(Open);

impl Beside {
    /// Its phase.
    pub fn phase(&self) -> Phase {
        self.0.phase
    }
}

/// The phase running.
#[derive(Debug)]
struct Open {
    phase: Phase,
    started_ns: i64,
    started: Instant,
}

impl<'s> Procedure<'s> {
    /// A procedure reporting to `sink`.
    pub fn new(sink: &'s mut dyn EventSink) -> Procedure<'s> {
        Procedure {
            sink,
            records: Vec::new(),
            open: None,
        }
    }

    /// Runs the phase function `f` as `phase` and records how it ended.
    pub fn phase<T>(&mut self, phase: Phase, f: impl FnOnce(&mut Scope<'_, '_>) -> Ended<T>) -> T {
        let mut scope = self.begin(phase);
        let ended = f(&mut scope);
        self.end(ended.status, ended.message);
        ended.value
    }

    /// Opens `phase` for work that cannot run inside one closure (the vault pipeline
    /// ends the files phase and begins the snapshot phase from its finish hook). A phase
    /// still open is ended as failed first.
    pub fn begin(&mut self, phase: Phase) -> Scope<'_, 's> {
        if self.open.is_some() {
            self.end(PhaseStatus::Failed, "did not finish".to_string());
        }
        self.sink.event(&Event::PhaseStart {
            phase,
            title: phase.title().to_string(),
        });
        self.open = Some(Open {
            phase,
            started_ns: vault::now_unix_ns(),
            started: Instant::now(),
        });
        Scope {
            phase,
            sink: &mut *self.sink,
        }
    }

    /// Ends the open phase (if any) with `status` and `message`.
    pub fn end(&mut self, status: PhaseStatus, message: String) {
        if let Some(open) = self.open.take() {
            self.close(open, status, message);
        }
    }

    /// Begins `phase` beside the phases that follow (the backup's files phase reads while
    /// the databases phase runs): its `phase_start` now; its row in the table, and its
    /// `phase_end`, when [`Procedure::end_beside`] ends it. The phases opened meanwhile
    /// with [`Procedure::begin`] are not affected.
    pub fn begin_beside(&mut self, phase: Phase) -> Beside {
        self.sink.event(&Event::PhaseStart {
            phase,
            title: phase.title().to_string(),
        });
        Beside(Open {
            phase,
            started_ns: vault::now_unix_ns(),
            started: Instant::now(),
        })
    }

    /// Ends a phase begun with [`Procedure::begin_beside`].
    pub fn end_beside(&mut self, beside: Beside, status: PhaseStatus, message: String) {
        self.close(beside.0, status, message);
    }

    fn close(&mut self, open: Open, status: PhaseStatus, message: String) {
        let record = PhaseRecord {
            phase: open.phase,
            status,
            started_ns: open.started_ns,
            duration_ms: millis(open.started),
            message,
        };
        self.sink.event(&Event::PhaseEnd {
            phase: record.phase,
            status,
            duration_ms: record.duration_ms,
            message: record.message.clone(),
        });
        self.records.push(record);
    }

    /// The phase open now, if any.
    pub fn open_phase(&self) -> Option<Phase> {
        self.open.as_ref().map(|o| o.phase)
    }

    /// A scope for the open phase (or, between phases, for `phase`).
    pub fn scope(&mut self, phase: Phase) -> Scope<'_, 's> {
        Scope {
            phase: self.open.as_ref().map_or(phase, |o| o.phase),
            sink: &mut *self.sink,
        }
    }

    /// Runs `work` with the servers stopped: whatever way it ends (a value, an error, a
    /// panic), `duty` has run by the time this returns or the panic goes on.
    pub fn outage<'a, D, R>(
        &mut self,
        mut duty: Duty<'a, D>,
        work: impl FnOnce(&mut Procedure<'s>, &mut Duty<'a, D>) -> R,
    ) -> (R, Option<D>) {
        let result = catch_unwind(AssertUnwindSafe(|| work(self, &mut duty)));
        if result.is_err() {
            tracing::error!("the procedure panicked with servers stopped: running its duty first");
        }
        duty.discharge(self);
        match result {
            Ok(r) => (r, duty.into_outcome()),
            Err(panic) => resume_unwind(panic),
        }
    }

    /// The phase table so far.
    pub fn records(&self) -> &[PhaseRecord] {
        &self.records
    }

    /// The phase table, ending the procedure.
    pub fn into_records(self) -> Vec<PhaseRecord> {
        self.records
    }
}

#[cfg(test)]
mod tests;
