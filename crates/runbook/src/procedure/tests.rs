use super::*;

fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::PhaseStart { phase, .. } => format!("start {phase:?}"),
            Event::PhaseEnd { phase, status, .. } => format!("end {phase:?} {status:?}"),
            Event::Progress { item, .. } => format!("progress {item}"),
            Event::Warning { message, .. } => format!("warning {message}"),
        })
        .collect()
}

#[test]
fn phases_are_recorded_and_emitted_in_order() {
    let mut sink = CollectEvents::default();
    let mut p = Procedure::new(&mut sink);
    let n = p.phase(Phase::Stop, |s| {
        s.progress(Item::new("server1", 1, 1, "stopped"));
        s.warn("killed");
        Ended::ok(3, "3 stopped")
    });
    assert_eq!(n, 3);
    let r: Result<(), &str> = p.phase(Phase::Databases, |_| Ended::failed(Err("x"), "boom"));
    assert!(r.is_err());
    let records = p.into_records();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.phase, r.status, r.message.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (Phase::Stop, PhaseStatus::Ok, "3 stopped"),
            (Phase::Databases, PhaseStatus::Failed, "boom"),
        ]
    );
    assert!(records[0].started_ns <= records[1].started_ns);
    assert_eq!(
        names(&sink.0),
        [
            "start Stop",
            "progress server1",
            "warning killed",
            "end Stop Ok",
            "start Databases",
            "end Databases Failed"
        ]
    );
}

fn restart_duty<'a>(count: &'a std::cell::Cell<u32>) -> Duty<'a, &'static str> {
    Duty::new(move |p: &mut Procedure<'_>| {
        count.set(count.get() + 1);
        p.phase(Phase::Restart, |_| {
            Ended::ok("started", "every server started")
        })
    })
}

#[test]
fn the_duty_runs_once_when_the_work_discharges_it_early() {
    let count = std::cell::Cell::new(0);
    let mut sink = CollectEvents::default();
    let mut p = Procedure::new(&mut sink);
    let (value, outcome) = p.outage(restart_duty(&count), |p, duty| {
        assert_eq!(duty.discharge(p), Some(&"started"));
        p.phase(Phase::Snapshot, |_| Ended::ok(7, "written"))
    });
    assert_eq!((value, outcome, count.get()), (7, Some("started"), 1));
    let phases: Vec<Phase> = p.records().iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Restart, Phase::Snapshot]);
}

#[test]
fn the_duty_runs_when_the_work_fails() {
    let count = std::cell::Cell::new(0);
    let mut sink = CollectEvents::default();
    let mut p = Procedure::new(&mut sink);
    let (value, outcome): (Result<(), String>, _) = p.outage(restart_duty(&count), |p, _| {
        p.phase(Phase::Files, |_| {
            Ended::failed(Err("repository full".to_string()), "no space")
        })
    });
    assert!(value.is_err());
    assert_eq!((outcome, count.get()), (Some("started"), 1));
    assert_eq!(p.records().last().map(|r| r.phase), Some(Phase::Restart));
}

#[test]
fn the_duty_runs_before_a_panic_goes_on() {
    let count = std::cell::Cell::new(0);
    let mut sink = CollectEvents::default();
    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut p = Procedure::new(&mut sink);
        p.outage(restart_duty(&count), |_, _| -> () { panic!("a bug") });
    }));
    assert!(panicked.is_err(), "the panic must go on after the duty");
    assert_eq!(count.get(), 1);
    assert!(names(&sink.0).contains(&"end Restart Ok".to_string()));
}

#[test]
fn no_duty_no_restart() {
    let mut sink = CollectEvents::default();
    let mut p = Procedure::new(&mut sink);
    let (v, outcome) = p.outage(Duty::<()>::none(), |_, _| 1);
    assert_eq!((v, outcome), (1, None));
    assert!(p.records().is_empty());
}

#[test]
fn a_phase_beside_others_spans_them_and_is_recorded_when_it_ends() {
    let mut sink = CollectEvents::default();
    let mut p = Procedure::new(&mut sink);
    let files = p.begin_beside(Phase::Files);
    assert_eq!(files.phase(), Phase::Files);
    p.phase(Phase::Databases, |_| Ended::ok((), "2 staged"));
    p.phase(Phase::Restart, |_| Ended::ok((), "started"));
    p.end_beside(files, PhaseStatus::Ok, "7 components".into());
    let records = p.into_records();
    let phases: Vec<Phase> = records.iter().map(|r| r.phase).collect();
    assert_eq!(phases, [Phase::Databases, Phase::Restart, Phase::Files]);
    // it began before the phases it ran beside
    assert!(records[2].started_ns <= records[0].started_ns);
    assert_eq!(
        names(&sink.0),
        [
            "start Files",
            "start Databases",
            "end Databases Ok",
            "start Restart",
            "end Restart Ok",
            "end Files Ok"
        ]
    );
}
