//! `update`: every change of state, from keys, clock ticks, poll results and run events.

mod comms;
mod gates;
mod incident;
mod keyboard;
mod modals;
mod rollback;
mod rules;
mod steps;

use chrono::TimeDelta;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use std::collections::BTreeMap;

use super::event::{Event, Operator, Outcome, Record, VoteDecision, VoteSignature};
use super::guard::{self, Act, Guard};
use super::keys::{self, Command as Key};
use super::observe;
use super::*;
use crate::runbook::{Confirm, Severity};

use comms::*;
use gates::*;
use incident::*;
use keyboard::*;
use modals::*;
use rollback::*;
use rules::*;
use steps::*;

pub use comms::status_text;
pub use steps::override_word;

/// A decision or an outcome: recorded (in the outbox, for the journal) and applied.
fn emit(state: &mut State, event: Event) {
    let by = state.operator.clone();
    emit_as(state, by, event);
}

/// As [`emit`], for what another person did: a vote an approver handed in from their own
/// terminal is theirs in the record, not the driver's.
fn emit_as(state: &mut State, by: Operator, event: Event) {
    // A vote and the close are the moments an auditor asks about: the journal's head is
    // checkpointed once they are committed.
    match &event {
        Event::GateVote {
            gate,
            approver,
            decision,
            ..
        } => {
            let word = match decision {
                VoteDecision::Go => "GO",
                VoteDecision::NoGo => "NO-GO",
            };
            state.checkpoint_due = Some(format!("gate {gate}: {word} from {approver}"));
        }
        Event::RunClosed { outcome } => {
            state.checkpoint_due = Some(format!("run closed: {}", outcome.word()));
        }
        _ => {}
    }
    let rec = Record::new(state.seq + 1, state.now, by, event);
    state.apply(&rec);
    state.outbox.push(rec);
}

/// How a console takes the driver's seat on a run.
pub struct Begin {
    pub runbook_sha256: String,
    pub pid: u32,
    /// The runbook changed since the journal began, and the operator chose to continue.
    pub changed_from: Option<String>,
    /// The previous driver, when this console takes over from a live one.
    pub took_over_from: Option<Operator>,
}

/// Opens the record of a new run, or continues a replayed one: runs the journal left
/// open are re-attached (their effects re-issued, never re-run).
pub fn begin(state: &mut State, how: Begin) -> Vec<Effect> {
    let mut fx = Vec::new();
    let resumed = state.seq > 0;
    // The timeline opens on the next step to do: after a resume, and on a plan over days,
    // today's part is in view.
    if let Some(next) = (0..state.steps.len()).find(|i| !state.step_done(*i)) {
        state.selected = next;
    }
    if resumed {
        if let Some(from) = how.changed_from {
            emit(
                state,
                Event::RunbookChanged {
                    from_sha256: from,
                    to_sha256: how.runbook_sha256.clone(),
                },
            );
        }
    } else {
        emit(
            state,
            Event::RunOpened {
                runbook: state.runbook.name.clone(),
                path: state.runbook.path.display().to_string(),
                sha256: how.runbook_sha256,
                t0: state.t0,
            },
        );
    }
    if let Some(from) = how.took_over_from {
        let to = state.operator.clone();
        emit(state, Event::Handover { from, to });
    }
    emit(
        state,
        Event::DriverAttached {
            pid: how.pid,
            resumed,
        },
    );
    if !resumed {
        return fx;
    }
    let targets: Vec<Target> = state.run_targets().collect();
    let mut reattached = 0;
    for target in targets {
        let Some(run) = state.run(target) else {
            continue;
        };
        let (name, attempt) = (run_file_name(state, target), run.attempt);
        // A procedure paused for a step's confirmation has no process to follow: it asks
        // again.
        if target == Target::Rollback && state.rollback_awaiting.is_some() {
            open_rollback_step(state);
            continue;
        }
        if run.status.is_active() {
            reattached += 1;
            fx.push(Effect::Reattach {
                target,
                name,
                attempt,
            });
        } else if attempt > 0 {
            fx.push(Effect::ShowOutput {
                target,
                name,
                attempt,
            });
        }
    }
    // The timeline opens on the first step not done, as the operator left it.
    if let Some(i) = (0..state.steps.len()).find(|i| !state.step_done(*i)) {
        state.selected = i;
        state.shown = Target::Step(i);
    }
    // A verification the console was waiting on: its command is read-only, so ask again.
    let rb = state.runbook.clone();
    for (i, (_, step)) in rb.steps().enumerate() {
        if let (Some(v), Some(Verification::Checking { .. })) =
            (&step.verify, &state.steps[i].verify)
            && let Some(argv) = &v.command
        {
            fx.push(Effect::Verify {
                step: i,
                argv: argv.clone(),
                expect: v.expect_output.clone(),
                timeout: v.timeout,
            });
        }
    }
    // A countdown interrupted by the restart does not run off on old data: the operator,
    // back at the console, decides (R), or the rule fires again.
    if let Some((rule, _)) = state.auto_rollback {
        let id = state.runbook.rules[rule].id.clone();
        emit(state, Event::AutoRollbackCancelled { rule: id.clone() });
        state.notify(format!(
            "Automatic rollback countdown for {id} was interrupted by the restart: press R to roll back"
        ));
        return fx;
    }
    state.notify(format!(
        "Resumed from the journal ({} records){}",
        state.seq,
        if reattached > 0 {
            format!(": {reattached} running step(s) re-attached")
        } else {
            String::new()
        }
    ));
    fx
}

/// The driving console leaves: its watchers learn when, and why.
pub fn leave(state: &mut State, why: &str) {
    if state.read_only.is_none() {
        emit(
            state,
            Event::DriverDetached {
                why: why.to_owned(),
            },
        );
    }
}

/// The name of a run's record directory, before `.<attempt>`.
pub fn run_file_name(state: &State, target: Target) -> String {
    match target {
        Target::Rollback => rollback_step_file_name(state, state.rollback_step),
        // A dot is in no id: no step's record can share this one's.
        Target::RollbackPreview => "rollback.preview".to_owned(),
        Target::Step(i) => state
            .step(i)
            .map_or_else(|| format!("step-{i}"), |(_, s)| s.id.clone()),
    }
}

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => {
            if key.kind != KeyEventKind::Release {
                on_key(state, key, &mut fx);
            }
        }
        Action::Tick(now) => {
            state.now = now;
            reevaluate(state, &mut fx);
            judge_canaries(state, &mut fx);
            window_overrun(state, &mut fx);
            escalate(state, &mut fx);
            run_automatic_steps(state, &mut fx);
            status_update_due(state);
            communications_due(state);
            auto_rollback_countdown(state, &mut fx);
            observe::notice_expiry(state);
        }
        Action::Committed { records, head } => checkpoint(state, records, head, &mut fx),
        Action::VoteFiled(v) => vote_filed(state, *v, &mut fx),
        Action::CanaryRanges { canary, ranges } => judge_canary(state, canary, &ranges),
        Action::Observed(o) => {
            let moves_rules = o.moves_rules();
            observe::take(state, o);
            if moves_rules {
                reevaluate(state, &mut fx);
            }
        }
        Action::RunSpawned { target, log } => {
            if let Some(run) = state.run_mut(target) {
                run.log = Some(log);
            }
        }
        Action::RunFinished { target, exit } => run_finished(state, target, exit, &mut fx),
        Action::RunLost { target } => {
            let Some(run) = state.run(target) else {
                return fx;
            };
            if !run.status.is_active() {
                return fx;
            }
            let attempt = run.attempt;
            if let Some(r) = state.run_ref(target) {
                emit(state, Event::RunLost { target: r, attempt });
            }
            let name = run_name(state, target);
            state.notify(format!(
                "{name} is LOST: no exit status and no supervisor; check the target by hand"
            ));
        }
        Action::HandoverAsked(to) => {
            // One question at a time; a modal already open is not swept away.
            if state.modal.is_none() && state.read_only.is_none() {
                state.modal = Some(Modal::Handover { to });
            }
        }
        Action::Watchers(w) => state.watchers = w,
        Action::JournalFailed(why) => {
            state.modal = None;
            state.notify(format!("JOURNAL FAILED: {why}"));
            state.read_only = Some(why);
        }
        Action::Delivered { channel, result } => comms::delivered(state, channel, result),
        Action::SilenceCreated(result) => {
            // Only the answer to the silence this console asked for counts.
            let Some(SilenceState::Creating { until }) = state.am.as_ref().map(|a| &a.silence)
            else {
                return fx;
            };
            let until = *until;
            match result {
                Ok(id) => emit(state, Event::SilenceCreated { id, until }),
                Err(why) => emit(state, Event::SilenceFailed { why }),
            }
            match state.am.as_ref().map(|a| a.silence.clone()) {
                Some(SilenceState::Active { .. }) => state.notify(
                    "Maintenance silence created in Alertmanager; it ends when the run ends",
                ),
                Some(SilenceState::Failed(e)) => state.notify(format!("No silence: {e}")),
                _ => {}
            }
        }
        Action::VerifyDone { step, result } => {
            if let Some(Verification::Checking { command, .. }) =
                state.steps.get_mut(step).and_then(|r| r.verify.as_mut())
            {
                *command = Some(result);
            }
            evaluate_verifications(state);
        }
    }
    fx
}

/// What a run's process finds in its environment: which step (its record's name) and
/// phase it is, and the runbook's own variables.
fn run_env(rb: &crate::runbook::Runbook, name: &str, phase: String) -> Vec<(String, String)> {
    let mut env = vec![
        ("WARROOM_STEP".to_owned(), name.to_owned()),
        ("WARROOM_PHASE".to_owned(), phase),
    ];
    env.extend(rb.env.iter().cloned());
    env
}

fn run_name(state: &State, target: Target) -> String {
    match target {
        Target::Rollback => "Rollback".into(),
        Target::RollbackPreview => "Rollback preview".into(),
        Target::Step(i) => state
            .step(i)
            .map_or_else(|| format!("step {i}"), |(_, s)| format!("Step {}", s.id)),
    }
}

/// Whatever depends on the data: rules, then the verifications that read them.
fn reevaluate(state: &mut State, fx: &mut Vec<Effect>) {
    evaluate_rules(state, fx);
    evaluate_verifications(state);
    check_rollback(state);
    record_auto_checks(state);
}

/// After a commit: the journal's head is checkpointed when a vote or the close asked for it,
/// and posted to the status updates' chat webhook when there is one.
fn checkpoint(state: &mut State, records: u64, head: String, fx: &mut Vec<Effect>) {
    let Some(why) = state.checkpoint_due.take() else {
        return;
    };
    if state.runbook.witness_channel().is_some() {
        fx.push(Effect::PostCheckpoint {
            text: format!(
                "warroom {}: journal checkpoint ({why}): {records} records, head {head}",
                state.runbook.name
            ),
        });
    }
    emit(state, Event::Checkpoint { records, head, why });
}
