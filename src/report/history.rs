//! What the record says that State does not keep: who started, acknowledged, ticked and
//! voted, the consoles' sessions, the incidents, the status updates and the guards as they
//! came. The report folds each record through `State::apply` and then notes it here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::*;
use crate::runbook::RollbackStep;

#[derive(Default)]
pub(super) struct History {
    /// Who started each run, by its key (`step:canary`, `rollback`).
    pub(super) started_by: HashMap<String, String>,
    pub(super) acks: HashMap<usize, String>,
    pub(super) ticks: HashMap<String, String>,
    /// Each approver's last vote, by gate id.
    pub(super) votes: Vec<(String, VoteReport)>,
    pub(super) handovers: Vec<HandoverReport>,
    pub(super) sessions: Vec<SessionReport>,
    /// Whether the console driving now said when it left; one that did not was killed.
    attached: bool,
    pub(super) incidents: Vec<IncidentReport>,
    pub(super) closed: Option<ClosedReport>,
    pub(super) updates: Vec<UpdateReport>,
    pub(super) operators: Vec<Operator>,
    pub(super) rollback_steps: Vec<RollbackStepReport>,
    pub(super) guards: Vec<GuardReport>,
    pub(super) checkpoints: Vec<CheckpointReport>,
    /// The user who drives now (the last to attach or take over): their votes are the
    /// driver's.
    driver: Option<String>,
}

/// Each guard in words, hard or soft.
fn guard_words(gs: &[crate::app::guard::Guard]) -> Vec<String> {
    gs.iter()
        .map(|g| format!("{}: {}", if g.is_hard() { "hard" } else { "soft" }, g.words))
        .collect()
}

impl History {
    /// A step of a rollback procedure began (a one-command rollback has no steps to list).
    fn step_began(&mut self, procedure: &[RollbackStep], id: &str, at: DateTime<Utc>) {
        if let Some(st) = procedure
            .iter()
            .find(|s| s.id == id)
            .filter(|_| procedure.len() > 1)
        {
            self.rollback_steps.push(RollbackStepReport {
                id: st.id.clone(),
                title: st.title.clone(),
                started: at,
            });
        }
    }

    /// A console took the driver's seat, handed it over, or left: the sessions, and who
    /// drives from now on.
    fn console(&mut self, rec: &Record) {
        let by = who(&rec.by);
        match &rec.event {
            Event::Handover { from, to } => {
                self.driver = Some(to.user.clone());
                self.handovers.push(HandoverReport {
                    at: rec.at,
                    from: who(from),
                    to: who(to),
                });
                self.sessions.push(SessionReport {
                    at: rec.at,
                    by: who(from),
                    what: format!("handed over to {}", who(to)),
                });
                // The console that handed over leaves by agreement, not by a kill.
                self.attached = false;
            }
            Event::DriverAttached { resumed, .. } => {
                self.driver = Some(rec.by.user.clone());
                let what = match (resumed, self.attached) {
            (false, _) => "started".to_owned(),
            (true, false) => "resumed".to_owned(),
            (true, true) => "resumed (the console before left no word: killed, or its session or host went down)".to_owned(),
        };
                self.sessions.push(SessionReport {
                    at: rec.at,
                    by: by.clone(),
                    what,
                });
                self.attached = true;
            }
            Event::DriverDetached { why } => {
                self.sessions.push(SessionReport {
                    at: rec.at,
                    by: by.clone(),
                    what: format!("left: {why}"),
                });
                self.attached = false;
            }
            _ => {}
        }
    }

    pub(super) fn note(&mut self, rec: &Record, rb: &Runbook) {
        let procedure: &[RollbackStep] = rb.rollback.as_ref().map_or(&[], |r| r.steps.as_slice());
        if !self.operators.contains(&rec.by) {
            self.operators.push(rec.by.clone());
        }
        let by = who(&rec.by);
        match &rec.event {
            Event::GuardOverridden {
                target,
                guards: gs,
                reason,
            } => self.guards.push(GuardReport {
                at: rec.at,
                by: by.clone(),
                target: run_key(target).trim_start_matches("step:").to_owned(),
                how: "overridden".into(),
                guards: guard_words(gs),
                reason: Some(reason.clone()),
            }),
            // Soft guards confirmed at the start (an override was recorded on its own).
            Event::RunStarted {
                target, guards: gs, ..
            } if !gs.is_empty() && gs.iter().all(|g| !g.is_hard()) => {
                self.guards.push(GuardReport {
                    at: rec.at,
                    by: by.clone(),
                    target: run_key(target).trim_start_matches("step:").to_owned(),
                    how: "confirmed".into(),
                    guards: guard_words(gs),
                    reason: None,
                });
                self.started_by.insert(run_key(target), by);
            }
            Event::RunStarted { target, .. } => {
                if *target == crate::app::event::RunRef::Rollback {
                    // A new attempt runs the procedure from its first step again.
                    self.rollback_steps.clear();
                    if let Some(first) = procedure.first() {
                        self.step_began(procedure, &first.id, rec.at);
                    }
                }
                self.started_by.insert(run_key(target), by);
            }
            Event::StepDoneByHand { step } => {
                self.started_by
                    .insert(run_key(&RunRef::Step(step.clone())), by);
            }
            Event::RollbackStepStarted { step } => self.step_began(procedure, step, rec.at),
            Event::AlertAcked { alert, .. } => {
                self.acks.insert(*alert, by);
            }
            Event::CheckTicked { check, ticked } => {
                if *ticked {
                    self.ticks.insert(check.clone(), by);
                } else {
                    self.ticks.remove(check);
                }
            }
            Event::GateVote { gate, .. } => {
                let how = vote_how(rb, &rec.event, self.driver.as_deref(), &rec.by.user);
                let vote = VoteReport::of(rec, by, how);
                if let Some(vote) = vote {
                    // An approver's last vote stands.
                    self.votes
                        .retain(|(g, v)| !(g == gate && v.approver == vote.approver));
                    self.votes.push((gate.clone(), vote));
                }
            }
            Event::Handover { .. }
            | Event::DriverAttached { .. }
            | Event::DriverDetached { .. } => {
                self.console(rec);
            }
            Event::IncidentOpened { trigger, level } => self.incidents.push(IncidentReport {
                opened: rec.at,
                opened_by: by,
                trigger: trigger.clone(),
                levels: level.map(|l| (l, rec.at)).into_iter().collect(),
                closed: None,
                closed_why: None,
            }),
            Event::RunClosed { .. } => self.closed = Some(ClosedReport { at: rec.at, by }),
            Event::StatusUpdateSending { text, to, .. } => self.updates.push(UpdateReport {
                at: rec.at,
                by,
                to: to.clone(),
                text: text.clone(),
                result: if to == "none" {
                    "recorded".into()
                } else {
                    "unanswered".into()
                },
            }),
            Event::StatusUpdateSent => {
                if let Some(u) = self.updates.last_mut() {
                    u.result = "sent".into();
                }
            }
            Event::StatusUpdateFailed { why } => {
                if let Some(u) = self.updates.last_mut() {
                    u.result = format!("failed: {why}");
                }
            }
            // Each channel's answer, in the order they came.
            Event::StatusUpdateDelivered { channel, error } => {
                if let Some(u) = self.updates.last_mut() {
                    let answer = match error {
                        None => "sent".to_owned(),
                        Some(why) => format!("failed: {why}"),
                    };
                    // Named when the update went to more than this one channel.
                    let answer = if u.to == *channel {
                        answer
                    } else {
                        format!("{channel}: {answer}")
                    };
                    u.result = if u.result == "unanswered" {
                        answer
                    } else {
                        format!("{}; {answer}", u.result)
                    };
                }
            }
            Event::EscalationReached { level } => {
                if let Some(i) = self.incidents.last_mut() {
                    i.levels.push((*level, rec.at));
                }
            }
            Event::IncidentClosed { why } => {
                if let Some(i) = self.incidents.last_mut() {
                    i.closed = Some(rec.at);
                    i.closed_why = Some(why.clone());
                }
            }
            Event::Checkpoint { records, head, why } => {
                self.checkpoints.push(CheckpointReport {
                    at: rec.at,
                    records: *records,
                    head: head.clone(),
                    why: why.clone(),
                });
            }
            _ => {}
        }
    }
}

impl VoteReport {
    /// A vote as the report states it, from its event.
    fn of(rec: &Record, recorded_by: String, how: &str) -> Option<Self> {
        let Event::GateVote {
            approver,
            decision,
            note,
            evidence,
            signature,
            canary,
            ..
        } = &rec.event
        else {
            return None;
        };
        Some(Self {
            approver: approver.clone(),
            decision: match decision {
                VoteDecision::Go => "GO".into(),
                VoteDecision::NoGo => "NO-GO".into(),
            },
            note: note.clone(),
            evidence: evidence.clone(),
            at: rec.at,
            recorded_by,
            how: how.to_owned(),
            // What the record claims; `build` checks it against the journal's lines.
            signed: signature
                .as_ref()
                .map_or_else(|| "—".to_owned(), |s| format!("{} (not checked)", s.key)),
            evidence_sha256: crate::signing::evidence_hash(evidence),
            canary: canary.clone(),
            seq: rec.seq,
        })
    }
}

/// How a vote was cast, from who drove then and whom the runbook names: from the
/// approver's own terminal, or at the driver's console (by proxy for an approver who votes
/// from a terminal of their own).
pub(super) fn vote_how(
    rb: &Runbook,
    event: &Event,
    driver: Option<&str>,
    by: &str,
) -> &'static str {
    let Event::GateVote { approver, .. } = event else {
        return "";
    };
    match driver {
        Some(d) if d != by => "from their own terminal",
        _ if rb.approver(approver).is_some() => "by proxy at the driver's console",
        _ => "at the driver's console",
    }
}
