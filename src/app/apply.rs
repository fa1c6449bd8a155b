//! `State::apply`: the one place the record changes `State`, and how a run, a rule or a
//! reading is named between the two.
//!
//! `apply` is longer than a function here should be, on purpose: it is one arm per event,
//! the whole of what the record does to State in one table, so a new event is one arm more
//! and nothing it changes hides elsewhere. An arm longer than a few lines is a function.

use super::event::*;
use super::*;
use crate::rules::{RulePhase, RuleState};
use crate::runbook::RuleAction;

impl State {
    pub fn run_ref(&self, target: Target) -> Option<RunRef> {
        match target {
            Target::Rollback => Some(RunRef::Rollback),
            Target::RollbackPreview => Some(RunRef::RollbackPreview),
            Target::Step(i) => self.step(i).map(|(_, s)| RunRef::Step(s.id.clone())),
        }
    }

    pub fn target(&self, r: &RunRef) -> Option<Target> {
        match r {
            RunRef::Rollback => Some(Target::Rollback),
            RunRef::RollbackPreview => Some(Target::RollbackPreview),
            RunRef::Step(id) => self.runbook.step_index(id).map(Target::Step),
        }
    }

    /// Rebuilds a run's recorded state from its journal.
    pub fn replay<'a>(&mut self, records: impl IntoIterator<Item = &'a Record>) {
        for r in records {
            self.apply(r);
        }
    }

    /// The one place the record changes `State`. Unknown ids (a runbook edited since) are
    /// skipped: the journal still holds them.
    pub fn apply(&mut self, rec: &Record) {
        self.seq = rec.seq;
        let at = rec.at;
        let rb = self.runbook.clone();
        match &rec.event {
            Event::RunOpened { t0, .. } | Event::T0Set { t0 } => self.t0 = *t0,
            Event::DriverAttached { .. } => self.driver = Some(rec.by.clone()),
            Event::Handover { to, .. } => self.driver = Some(to.clone()),
            Event::DriverDetached { .. }
            | Event::RunbookChanged { .. }
            | Event::CancelRequested { .. } => {}
            Event::RunStarted {
                target,
                attempt,
                reason,
                ..
            } => self.run_started(target, *attempt, reason, at),
            Event::RunFinished { target, exit, .. } => self.run_finished(target, exit, at),
            Event::RunLost { target, .. } => {
                let Some(t) = self.target(target) else { return };
                if let Some(run) = self.run_mut(t) {
                    let started = match run.status {
                        RunStatus::Running { started } => started,
                        _ => at,
                    };
                    run.status = RunStatus::Lost {
                        started,
                        noticed: at,
                    };
                }
            }
            Event::StepDoneByHand { step } => {
                if let Some(i) = rb.step_index(step) {
                    self.steps[i].done_by_hand = Some(at);
                }
            }
            Event::StepRetried { step, reason } | Event::StepSkipped { step, reason } => {
                let retry = matches!(rec.event, Event::StepRetried { .. });
                let Some(i) = rb.step_index(step) else { return };
                let run = &mut self.steps[i];
                let word = if retry { "retry" } else { "skip" };
                run.reasons.push((at, format!("{word}: {reason}")));
                if retry {
                    run.status = RunStatus::Waiting;
                    run.verify = None;
                } else {
                    run.skipped = Some(at);
                }
            }
            Event::VerifyPassed { step } => {
                if let Some(i) = rb.step_index(step) {
                    self.steps[i].verify = Some(Verification::Passed(at));
                }
            }
            Event::VerifyFailed { step, why } => {
                if let Some(i) = rb.step_index(step) {
                    self.steps[i].verify = Some(Verification::Failed(at, why.clone()));
                }
            }
            Event::GateVote { .. } => self.gate_vote(rec),
            Event::WindowOverrun { .. } => self.window_overrun = Some(at),
            Event::CanaryJudged {
                canary,
                verdict,
                score,
                ..
            } => {
                if let Some(c) = rb.canaries.iter().position(|a| a.id == *canary) {
                    self.canaries[c].verdict = Some((*verdict, *score, at));
                }
            }
            Event::CheckTicked { check, ticked } => {
                if let Some(i) = rb.checks().position(|(_, c)| &c.id == check) {
                    self.checks[i] = ticked.then_some(at);
                }
            }
            Event::CheckAuto { check, holds } => {
                if let Some(i) = rb.checks().position(|(_, c)| &c.id == check) {
                    self.checks_auto[i] = holds.then_some(at);
                }
            }
            Event::AlertAcked { alert, reason } => {
                if let Some(a) = self.alerts.get_mut(*alert) {
                    a.acked = Some((at, reason.clone()));
                }
            }
            Event::BaselineCaptured { values } => {
                for (id, v) in values {
                    if let Some(k) = rb.kpi_index(id) {
                        self.kpis[k].baseline = Some(*v);
                    }
                }
            }
            Event::RulePending { rule, .. } => {
                if let Some(i) = rb.rule_index(rule) {
                    self.rules[i].phase = RulePhase::Pending { since: at };
                }
            }
            Event::RuleReset { rule } => {
                if let Some(i) = rb.rule_index(rule) {
                    self.rules[i].phase = RulePhase::Inactive;
                }
            }
            Event::RuleFiring { rule, values } => self.rule_firing(rule, values, at),
            Event::RuleResolved { rule, .. } => {
                let Some(i) = rb.rule_index(rule) else { return };
                self.rules[i].phase = RulePhase::Inactive;
                if let Some(a) = self
                    .alerts
                    .iter_mut()
                    .rev()
                    .find(|a| a.rule == i && a.resolved.is_none())
                {
                    a.resolved = Some(at);
                }
            }
            Event::AutoRollbackCancelled { .. } | Event::AutoRollbackCalledOff { .. } => {
                self.auto_rollback = None;
            }
            Event::SilenceRequested { until } => {
                if let Some(am) = self.am.as_mut() {
                    am.silence = SilenceState::Creating { until: *until };
                }
            }
            Event::SilenceCreated { id, until } => {
                if let Some(am) = self.am.as_mut() {
                    am.silence = SilenceState::Active {
                        id: id.clone(),
                        until: *until,
                    };
                }
            }
            Event::SilenceFailed { why } => {
                if let Some(am) = self.am.as_mut() {
                    am.silence = SilenceState::Failed(why.clone());
                }
            }
            Event::StatusUpdateDue { n, .. } => self.updates_announced = *n,
            Event::IncidentOpened { trigger, level } => {
                self.incident = Some(super::Incident {
                    since: at,
                    trigger: trigger.clone(),
                    level: *level,
                    level_since: at,
                });
            }
            Event::EscalationReached { level } => {
                if let Some(i) = self.incident.as_mut() {
                    i.level = Some(*level);
                    i.level_since = at;
                }
            }
            Event::IncidentClosed { .. } => self.incident = None,
            Event::SignedOff { role, note } => {
                if let Some(i) = rb.sign_off.iter().position(|s| s.role == *role) {
                    self.sign_offs[i] = Some(super::Signed {
                        at,
                        by: rec.by.at_host(),
                        note: note.clone(),
                    });
                }
            }
            Event::RunClosed { outcome } => self.closed = Some((at, *outcome)),
            // The journal's own bookkeeping, and a vote not counted: nothing changes.
            Event::Checkpoint { .. } | Event::VoteRefused { .. } => {}
            Event::RollbackStepStarted { step } => {
                if let Some(i) = rb
                    .rollback
                    .as_ref()
                    .and_then(|r| r.steps.iter().position(|s| s.id == *step))
                {
                    self.rollback_step = i;
                    self.rollback_awaiting = None;
                }
            }
            Event::RollbackStepAwaiting { step } => {
                self.rollback_awaiting = rb
                    .rollback
                    .as_ref()
                    .and_then(|r| r.steps.iter().position(|s| s.id == *step));
            }
            Event::GuardOverridden { target, reason, .. } => {
                let Some(t) = self.target(target) else { return };
                if let Some(run) = self.run_mut(t) {
                    run.overrides.push((at, reason.clone()));
                }
            }
            Event::RollbackCriteriaMet => {
                self.rollback_check = Some(super::RollbackCheck::Met(at));
            }
            Event::RollbackCriteriaNotMet { why } => {
                self.rollback_check = Some(super::RollbackCheck::NotMet(at, why.clone()));
            }
            // What was said and whether it went out is the record; nothing else changes.
            Event::StatusUpdateSending {
                communication: Some(i),
                ..
            } => {
                if let Some(c) = self.communications.get_mut(*i) {
                    c.sent = Some(at);
                }
            }
            Event::ActualRecorded { id, value, .. } => {
                self.actuals.insert(id.clone(), (*value, at));
            }
            Event::CommunicationDue { index, .. } => {
                if let Some(c) = self.communications.get_mut(*index) {
                    c.due = Some(at);
                }
            }
            Event::StatusUpdateSending { .. }
            | Event::StatusUpdateSent
            | Event::StatusUpdateFailed { .. }
            | Event::StatusUpdateDelivered { .. } => {}
        }
    }

    /// A run began: the rollback starts its procedure from the first step.
    fn run_started(
        &mut self,
        target: &RunRef,
        attempt: u32,
        reason: &Option<String>,
        at: DateTime<Utc>,
    ) {
        let Some(t) = self.target(target) else { return };
        if t == Target::Rollback {
            self.auto_rollback = None;
            self.rollback_reason.clone_from(reason);
            self.rollback_step = 0;
            self.rollback_awaiting = None;
        }
        if let Some(run) = self.run_mut(t) {
            run.status = RunStatus::Running { started: at };
            run.attempt = attempt;
            run.verify = None;
            run.skipped = None;
        }
    }

    /// A run ended: succeeded or failed (a rollback procedure says at which step); a success is checked against its criteria or its verification from now.
    fn run_finished(&mut self, target: &RunRef, exit: &Exit, at: DateTime<Utc>) {
        let rb = self.runbook.clone();
        let Some(t) = self.target(target) else { return };
        if t == Target::Rollback {
            self.rollback_awaiting = None;
        }
        let rollback_step = self.rollback_step;
        let Some(run) = self.run_mut(t) else { return };
        let started = match run.status {
            RunStatus::Running { started } => started,
            _ => at,
        };
        run.status = match exit.result() {
            Ok(()) => RunStatus::Succeeded {
                started,
                finished: at,
            },
            Err(reason) => RunStatus::Failed {
                started,
                finished: at,
                // Which step of a rollback procedure it failed at.
                reason: match rb.rollback.as_ref().map(|r| r.steps.as_slice()) {
                    Some(steps) if t == Target::Rollback && steps.len() > 1 => {
                        steps.get(rollback_step).map_or(reason.clone(), |st| {
                            format!(
                                "step {}/{} {}: {reason}",
                                rollback_step + 1,
                                steps.len(),
                                st.id
                            )
                        })
                    }
                    _ => reason,
                },
            },
        };
        // A rollback with success criteria is checked from its end.
        if let (Ok(()), Target::Rollback) = (exit.result(), t)
            && rb.rollback.as_ref().is_some_and(|r| r.success.is_some())
        {
            self.rollback_check = Some(super::RollbackCheck::Checking {
                since: at,
                held_since: None,
            });
        }
        if let (Ok(()), Target::Step(i)) = (exit.result(), t)
            && rb.steps().nth(i).is_some_and(|(_, s)| s.verify.is_some())
        {
            self.steps[i].verify = Some(Verification::Checking {
                since: at,
                held_since: None,
                command: None,
            });
        }
    }

    /// A rule fired: its alert, and an automatic rollback's countdown when it asks for one.
    fn rule_firing(&mut self, rule: &str, values: &Readings, at: DateTime<Utc>) {
        let rb = self.runbook.clone();
        let Some(i) = rb.rule_index(rule) else { return };
        let r = &rb.rules[i];
        self.rules[i] = RuleState {
            phase: RulePhase::Firing { since: at },
            keep_firing_since: None,
            ..self.rules[i].clone()
        };
        let detail = self.readings_text(values);
        self.alerts.push(Alert {
            rule: i,
            severity: r.severity,
            title: r.summary.clone(),
            detail: if detail.is_empty() {
                r.source.clone()
            } else {
                detail
            },
            fired: at,
            resolved: None,
            acked: None,
        });
        if let RuleAction::AutoRollback { grace } = r.action
            && self.auto_rollback.is_none()
            && self.rollback.status == RunStatus::Waiting
        {
            self.auto_rollback = Some((i, at + grace));
        }
    }

    /// An approver's vote on a gate, with its note.
    fn gate_vote(&mut self, rec: &Record) {
        let Event::GateVote {
            gate,
            approver,
            decision,
            note,
            evidence,
            signature,
            ..
        } = &rec.event
        else {
            return;
        };
        let rb = self.runbook.clone();
        let Some(g) = rb.gates.iter().position(|g| g.id == *gate) else {
            return;
        };
        let Some(a) = rb.gates[g].approvers.iter().position(|x| x == approver) else {
            return;
        };
        // From the record alone, so a replay agrees: before any console attached, every
        // vote is the keyboard's; the driver's user is the driver, from any terminal.
        let by_driver = self.driver.as_ref().is_none_or(|d| d.user == rec.by.user);
        self.gates[g].votes[a] = Some(Vote {
            decision: match decision {
                VoteDecision::Go => Decision::Go,
                VoteDecision::NoGo => Decision::NoGo,
            },
            at: rec.at,
            seq: rec.seq,
            by_driver,
            signed: signature.as_ref().map(|s| s.key.clone()),
            note: note.clone(),
            evidence: evidence.clone(),
        });
    }

    /// `error_rate=3.60%, p95_ms=859 ms`, from recorded readings.
    pub fn readings_text(&self, values: &Readings) -> String {
        values
            .iter()
            .map(
                |r| match (self.runbook.kpi_index(&r.kpi), r.value, &r.text) {
                    (_, _, Some(t)) => format!("{}={t}", r.kpi),
                    (Some(k), Some(v), None) => {
                        crate::runbook::number::format_reading(&self.runbook.kpis[k], v)
                    }
                    _ => format!("{}=?", r.kpi),
                },
            )
            .collect::<Vec<_>>()
            .join(", ")
    }
}
