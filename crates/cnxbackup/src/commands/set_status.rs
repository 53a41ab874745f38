//! The verdict on each backup set that `snapshots` lists: the proof of `check --set`
//! (runbook's `prove_set`) for a set planned with `set plan`, shown above the set's members
//! and in `--json` as `sets`. A set without a set document (hosts backed up independently
//! with the same `--set`) has no proof: it is `unplanned`, and its members keep their own
//! status.

use std::collections::BTreeSet;

use runbook::cellset::{prove_set, CellSetError};
use serde::Serialize;

use crate::ui::Style;

/// One backup set's verdict.
#[derive(Debug, Serialize)]
pub struct SetStatus {
    /// The set id.
    pub set: String,
    /// `complete` (check --set passes), `incomplete` (it names why), `unplanned` (no set
    /// document to prove it against) or `unknown` (the set's records cannot be read).
    pub status: &'static str,
    /// Why not complete, one line per problem (check --set's words).
    pub problems: Vec<String>,
    /// The member snapshot the proof used for each host (hex ids), in set order.
    pub members: Vec<String>,
}

/// The verdict on every set among `sets` (each once, in the order given).
pub fn set_statuses<'a>(
    repo: &vault::Repository,
    sets: impl IntoIterator<Item = &'a str>,
) -> Vec<SetStatus> {
    let mut seen = BTreeSet::new();
    sets.into_iter()
        .filter(|s| seen.insert(*s))
        .map(|set| status_of(repo, set))
        .collect()
}

fn status_of(repo: &vault::Repository, set: &str) -> SetStatus {
    let mut out = SetStatus {
        set: set.to_owned(),
        status: "unplanned",
        problems: Vec::new(),
        members: Vec::new(),
    };
    match prove_set(repo, set) {
        Ok(verdict) => {
            out.status = if verdict.ok() {
                "complete"
            } else {
                "incomplete"
            };
            out.problems = verdict.problems.iter().map(ToString::to_string).collect();
            out.members = verdict.members.iter().map(|m| m.snapshot.clone()).collect();
        }
        Err(CellSetError::NoPlan { .. }) => {}
        Err(e) => {
            out.status = "unknown";
            out.problems = vec![format!("{:#}", anyhow::Error::new(e))];
        }
    }
    out
}

/// The line above a set's members: `set ID: COMPLETE (5 hosts)` or `set ID: INCOMPLETE`
/// with one indented line per problem; nothing for an unplanned set.
pub fn heading(style: Style, s: &SetStatus) -> String {
    let verdict = match s.status {
        "complete" => format!(
            "{} ({} host(s), proven as check --set does)",
            style.status("COMPLETE"),
            s.members.len()
        ),
        "incomplete" => style.status("INCOMPLETE"),
        "unknown" => style.status("cannot be proven"),
        _ => return String::new(),
    };
    let mut h = format!("set {}: {verdict}\n", s.set);
    for p in &s.problems {
        h.push_str(&format!("  {p}\n"));
    }
    h
}
