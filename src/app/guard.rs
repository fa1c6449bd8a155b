//! Guards: whether an action may run now, and why not. One pure function over `State`
//! that the confirmation, the timeline row, the Next line and the automatic runners all
//! ask, so what the screen says stands is what the keyboard enforces.
//!
//! A hard guard refuses: only a typed override (the step's id, then a reason) passes it,
//! and the override is an event of its own. A soft guard is shown and confirmed by `y`;
//! the guards that stood are journaled with the start.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::{RunStatus, State, Target, Verification};
use crate::rules::RulePhase;
use crate::runbook::time::{format_duration, format_planned};

/// What is about to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A step the operator starts.
    Step(usize),
    /// A step the runbook marks automatic, at its time, without a keystroke.
    AutoStep(usize),
    /// The rollback, by the operator's phrase.
    Rollback,
    /// The rollback a rule's countdown starts.
    AutoRollback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A go/no-go gate before the step is not GO.
    Gate,
    /// A rule holds the step's gate closed, whatever the votes.
    Held,
    /// A blocking step earlier in the plan failed, was cancelled or is LOST.
    Blocked,
    /// The runbook's rollback window has closed.
    WindowClosed,
    /// A point-of-no-return step has run.
    NoReturn,
    /// The previous step's minimum hold is not over.
    Hold,
    /// The step is more than `early-warning` before its planned time.
    Early,
    /// An earlier step's verification failed.
    VerifyFailed,
    /// A rule proposing the rollback fires while a forward step is started.
    RollbackProposed,
}

impl Kind {
    pub fn is_hard(self) -> bool {
        matches!(
            self,
            Self::Gate | Self::Held | Self::Blocked | Self::WindowClosed | Self::NoReturn
        )
    }
}

/// One guard that stands, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guard {
    pub kind: Kind,
    /// The sentence the confirmation and the record show.
    pub words: String,
    /// The few characters a timeline row shows (`hold 0:38`, `blocked`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub badge: String,
}

impl Guard {
    pub fn is_hard(&self) -> bool {
        self.kind.is_hard()
    }

    fn new(kind: Kind, badge: impl Into<String>, words: String) -> Self {
        Self {
            kind,
            words,
            badge: badge.into(),
        }
    }
}

/// The guards that stand against `act` now, hard ones first.
pub fn guards(state: &State, act: Act) -> Vec<Guard> {
    let mut out = match act {
        Act::Step(i) => step_guards(state, i, true),
        Act::AutoStep(i) => step_guards(state, i, false),
        Act::Rollback | Act::AutoRollback => rollback_guards(state),
    };
    out.sort_by_key(|g| !g.is_hard());
    out
}

/// The guards against what the operator starts: a step, or the rollback (its read-only
/// preview has none).
pub fn of_target(state: &State, target: Target) -> Vec<Guard> {
    match target {
        Target::Step(i) => guards(state, Act::Step(i)),
        Target::Rollback => guards(state, Act::Rollback),
        Target::RollbackPreview => Vec::new(),
    }
}

/// The guard a timeline row shows: what keeps a waiting step from running by plan (a gate,
/// a failed blocking step, a hold), not what every later row would repeat (an early start,
/// a firing rule, an earlier failed verification, which its own row shows).
pub fn row_guard(state: &State, i: usize) -> Option<Guard> {
    guards(state, Act::Step(i)).into_iter().find(|g| {
        !matches!(
            g.kind,
            Kind::Early | Kind::RollbackProposed | Kind::VerifyFailed
        )
    })
}

fn step_guards(state: &State, i: usize, by_hand: bool) -> Vec<Guard> {
    let mut out = Vec::new();
    let Some((_, step)) = state.step(i) else {
        return out;
    };
    let rb = &state.runbook;
    // Gates at or before this step.
    for (gi, gate) in rb.gates.iter().enumerate() {
        let Some(from) = rb.step_index(&gate.before) else {
            continue;
        };
        if from > i {
            continue;
        }
        let gs = &state.gates[gi];
        if !gs.is_go() {
            let (badge, how) = if gs.is_no_go() {
                ("NO-GO", "is NO-GO".to_owned())
            } else {
                (
                    "gated",
                    match gs.policy {
                        // N of them: the count it needs, not all of them.
                        crate::runbook::GatePolicy::Needs(n) => format!(
                            "waits for its votes (GO {}, needs {n} of {})",
                            gs.go_count(),
                            gs.votes.len()
                        ),
                        _ => format!(
                            "waits for its votes (GO {}/{})",
                            gs.go_count(),
                            gs.votes.len()
                        ),
                    },
                )
            };
            out.push(Guard::new(
                Kind::Gate,
                badge,
                format!("gate {} {how}", gate.id),
            ));
        }
        match state.gate_held_by(gi) {
            Some(super::Hold::Rule(r)) => {
                let rule = &rb.rules[r];
                let pending = matches!(state.rules[r].phase, RulePhase::Pending { .. });
                out.push(Guard::new(
                    Kind::Held,
                    "HELD",
                    format!(
                        "gate {} is HELD by {} ({}{}), whatever the votes",
                        gate.id,
                        rule.id,
                        if pending { "pending: " } else { "firing: " },
                        state.rule_values(r)
                    ),
                ));
            }
            Some(super::Hold::Canary(c)) => {
                let score = state.canaries[c].verdict.map_or(0.0, |(_, s, _)| s);
                out.push(Guard::new(
                    Kind::Held,
                    "HELD",
                    format!(
                        "gate {} is HELD by canary {} (FAIL {score:.0}), whatever the votes",
                        gate.id, rb.canaries[c].id
                    ),
                ));
            }
            None => {}
        }
    }
    // Earlier steps, in the plan's order.
    for (j, (_, earlier)) in rb.steps().enumerate().take(i) {
        let run = &state.steps[j];
        if run.skipped.is_some() {
            continue;
        }
        let failed = match &run.status {
            RunStatus::Failed {
                finished, reason, ..
            } => Some(format!(
                "{} at {} ({reason})",
                if reason == "cancelled" {
                    "CANCELLED"
                } else {
                    "FAILED"
                },
                finished.format("%H:%M")
            )),
            RunStatus::Lost { noticed, .. } => Some(format!(
                "LOST at {} (outcome unknown)",
                noticed.format("%H:%M")
            )),
            _ => None,
        };
        if let Some(what) = failed
            && earlier.blocking
        {
            out.push(Guard::new(
                Kind::Blocked,
                "blocked",
                format!("blocked: {} {what}", earlier.id),
            ));
        }
        if let Some(Verification::Failed(at, why)) = &run.verify {
            out.push(Guard::new(
                Kind::VerifyFailed,
                "verify ✗",
                format!(
                    "the verification of {} failed at {}: {why}",
                    earlier.id,
                    at.format("%H:%M")
                ),
            ));
        }
    }
    if let Some(g) = hold_guard(state, i) {
        out.push(g);
    }
    if by_hand && let Some(planned) = step.planned {
        let due = state.t0 + planned;
        let early = due - state.now;
        if early > rb.early_warning {
            out.push(Guard::new(
                Kind::Early,
                "early",
                format!(
                    "early: {} before its planned {} ({})",
                    format_duration(early),
                    format_planned(planned),
                    due.format("%H:%M UTC")
                ),
            ));
        }
    }
    if let Some(r) = state.rollback_proposed() {
        out.push(Guard::new(
            Kind::RollbackProposed,
            "rollback?",
            format!(
                "rule {} is firing and proposes the rollback ({})",
                rb.rules[r].id,
                state.rule_values(r)
            ),
        ));
    }
    out
}

/// The previous step's `hold`: from when it finished (or was done by hand), the next one
/// waits that long.
fn hold_guard(state: &State, i: usize) -> Option<Guard> {
    let (j, prev) = previous_task(state, i)?;
    let hold = prev.hold?;
    if state.steps[j].status.is_active() {
        return Some(Guard::new(
            Kind::Hold,
            "hold",
            format!(
                "hold: {} after {} finishes (it is running)",
                format_duration(hold),
                prev.id
            ),
        ));
    }
    let left = hold_ends(state, i)? - state.now;
    (left > TimeDelta::zero()).then(|| {
        Guard::new(
            Kind::Hold,
            format!("hold {}", clock(left)),
            format!(
                "hold: {} left of {} after {}",
                format_duration(left),
                format_duration(hold),
                prev.id
            ),
        )
    })
}

/// When the previous step's hold ends, once that step is done.
pub fn hold_ends(state: &State, i: usize) -> Option<chrono::DateTime<chrono::Utc>> {
    let (j, prev) = previous_task(state, i)?;
    let run = &state.steps[j];
    let finished = match (&run.status, run.done_by_hand) {
        (_, Some(at)) => at,
        (RunStatus::Succeeded { finished, .. }, _) => *finished,
        _ => return None,
    };
    Some(finished + prev.hold?)
}

/// The step before `i` whose hold counts: the nearest earlier task (not a watch row) that
/// was not skipped.
fn previous_task(state: &State, i: usize) -> Option<(usize, &crate::runbook::Step)> {
    state
        .runbook
        .steps()
        .enumerate()
        .take(i)
        .filter(|(j, (_, s))| !s.continuous && state.steps[*j].skipped.is_none())
        .last()
        .map(|(j, (_, s))| (j, s))
}

fn rollback_guards(state: &State) -> Vec<Guard> {
    let mut out = Vec::new();
    if let Some((_, s)) = state
        .runbook
        .steps()
        .zip(&state.steps)
        .find(|((_, s), run)| s.point_of_no_return && run.status != RunStatus::Waiting)
        .map(|((_, s), run)| (run, s))
    {
        out.push(Guard::new(
            Kind::NoReturn,
            "no return",
            format!("step {} was the point of no return", s.id),
        ));
    }
    if let Some(until) = state.runbook.rollback.as_ref().and_then(|r| r.until)
        && state.now >= state.t0 + until
    {
        out.push(Guard::new(
            Kind::WindowClosed,
            "closed",
            format!(
                "the rollback window closed at {}",
                (state.t0 + until).format("%H:%M UTC")
            ),
        ));
    }
    out
}

/// `0:38`, `12:05`: minutes and seconds, as a countdown reads.
fn clock(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    format!("{}:{:02}", s / 60, s % 60)
}
