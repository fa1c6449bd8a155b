//! Domain events: what was decided and what happened, as data. `update` emits them,
//! the journal stores them, and `apply` is the only code that changes the recorded part
//! of `State`, so replaying a journal rebuilds exactly the state that wrote it.
//!
//! Events name things by their runbook ids (steps, gates, checks, rules, KPIs), never by
//! position, so a record stays readable on its own and survives a reordered runbook.
//!
//! `apply` is longer than a function here should be, on purpose: it is one arm per event,
//! the whole of what the record does to State in one table, so a new event is one arm more
//! and nothing it changes hides elsewhere. An arm longer than a few lines is a function.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::guard::Guard;
use super::{Alert, Decision, RunStatus, SilenceState, State, Target, Verification, Vote};
use crate::rules::{RulePhase, RuleState};
use crate::runbook::RuleAction;

/// The journal's schema version, carried by every record (docs/journal.md): 2 since each
/// line links to the one before it (`prev`); a schema 1 journal reads as unchained.
pub const SCHEMA: u32 = 2;

/// Who acted: the OS user, the host, and the SSH client's address when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Operator {
    pub user: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
}

impl Operator {
    /// This process's operator, from the OS and `SSH_CLIENT`/`SSH_CONNECTION`.
    pub fn current() -> Self {
        let uid = nix::unistd::getuid();
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| format!("uid {uid}"));
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown-host".to_owned());
        let ssh = ["SSH_CLIENT", "SSH_CONNECTION"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .and_then(|s| s.split_whitespace().next().map(str::to_owned));
        Self { user, host, ssh }
    }
}

impl Operator {
    /// `user@host`, as records and reports name who did something.
    pub fn at_host(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.at_host())?;
        if let Some(ssh) = &self.ssh {
            write!(f, " (ssh from {ssh})")?;
        }
        Ok(())
    }
}

/// One journal record: an event with its sequence number, time, author and schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    /// 1 for the first record, then one more per record, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: Operator,
    pub event: Event,
}

impl Record {
    /// A record of the current schema.
    pub fn new(seq: u64, at: DateTime<Utc>, by: Operator, event: Event) -> Self {
        Self {
            v: SCHEMA,
            seq,
            at,
            by,
            event,
        }
    }
}

/// The SHA-256 of the runbook a journal's records say the run now follows: the opening
/// record's, or that of the last accepted change.
pub fn runbook_sha(records: &[Record]) -> Option<&str> {
    records.iter().rev().find_map(|r| match &r.event {
        Event::RunbookChanged { to_sha256, .. } => Some(to_sha256.as_str()),
        Event::RunOpened { sha256, .. } => Some(sha256.as_str()),
        _ => None,
    })
}

/// What a run is for, by name: a step id, or the rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunRef {
    Step(String),
    Rollback,
    /// The rollback's read-only preview.
    RollbackPreview,
}

/// How a step's process ended, as its supervisor wrote it in `exit.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// `timeout`, `cancelled`, or why it could not start.
    pub reason: Option<String>,
    pub seconds: f64,
}

impl Exit {
    pub fn result(&self) -> Result<(), String> {
        match (self.code, self.signal, &self.reason) {
            (Some(0), _, None) => Ok(()),
            (_, _, Some(r)) => Err(r.clone()),
            (Some(c), _, None) => Err(format!("exit status {c}")),
            (None, Some(s), None) => Err(format!("killed by signal {s}")),
            (None, None, None) => Err("ended without a status".into()),
        }
    }

    /// A plain exit with this status.
    pub fn with_code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
            reason: None,
            seconds: 0.0,
        }
    }

    /// A run that never got a process (the executor could not start it).
    pub fn not_started(why: String) -> Self {
        Self {
            code: None,
            signal: None,
            reason: Some(why),
            seconds: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The first record of every journal: which runbook, exactly, and the run's T0.
    RunOpened {
        runbook: String,
        path: String,
        /// SHA-256 of the runbook file as loaded.
        sha256: String,
        t0: DateTime<Utc>,
    },
    /// A console took the driver's seat (at the start, and at every resume).
    DriverAttached {
        pid: u32,
        resumed: bool,
    },
    /// The driving console left on purpose (`q`, or its terminal went away); a console
    /// that was killed leaves no such record.
    DriverDetached {
        why: String,
    },
    /// The runbook file changed since the journal began and the operator chose to go on.
    RunbookChanged {
        from_sha256: String,
        to_sha256: String,
    },
    /// The driver's seat passed from one operator to another.
    Handover {
        from: Operator,
        to: Operator,
    },
    T0Set {
        t0: DateTime<Utc>,
    },
    /// Durable before the process starts: a run is started at most once per attempt.
    RunStarted {
        target: RunRef,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The guards that stood when it started (soft ones confirmed, hard ones overridden).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        guards: Vec<Guard>,
    },
    /// The operator passed hard guards by typing the run's id and a reason.
    GuardOverridden {
        target: RunRef,
        guards: Vec<Guard>,
        reason: String,
    },
    RunFinished {
        target: RunRef,
        attempt: u32,
        exit: Exit,
    },
    /// On resume, a run with neither an exit status nor a live supervisor: never success.
    RunLost {
        target: RunRef,
        attempt: u32,
    },
    CancelRequested {
        target: RunRef,
    },
    StepRetried {
        step: String,
        reason: String,
    },
    /// A step without a command, marked done by the operator (`Enter`, `y`).
    StepDoneByHand {
        step: String,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    VerifyPassed {
        step: String,
    },
    VerifyFailed {
        step: String,
        why: String,
    },
    GateVote {
        gate: String,
        approver: String,
        decision: VoteDecision,
        note: String,
        evidence: Vec<String>,
    },
    CheckTicked {
        check: String,
        ticked: bool,
    },
    /// An automatic checklist item's expression began (or stopped) holding.
    CheckAuto {
        check: String,
        holds: bool,
    },
    /// `alert` is the alert's number in the run: 0 for the first that fired.
    AlertAcked {
        alert: usize,
        reason: String,
    },
    BaselineCaptured {
        values: BTreeMap<String, f64>,
    },
    RulePending {
        rule: String,
        values: Readings,
    },
    RuleFiring {
        rule: String,
        values: Readings,
    },
    RuleResolved {
        rule: String,
        values: Readings,
    },
    /// A pending rule whose condition stopped holding before its `for` elapsed.
    RuleReset {
        rule: String,
    },
    AutoRollbackCancelled {
        rule: String,
    },
    /// The rule behind an automatic rollback resolved during the countdown.
    AutoRollbackCalledOff {
        rule: String,
    },
    SilenceRequested {
        until: DateTime<Utc>,
    },
    SilenceCreated {
        id: String,
        until: DateTime<Utc>,
    },
    SilenceFailed {
        why: String,
    },
    StatusUpdateDue {
        n: i64,
        message: String,
    },
    /// The operator sends a status update with this text (before it goes out).
    StatusUpdateSending {
        text: String,
        /// Where it goes: the runbook's channel, or `none` without a webhook.
        to: String,
        /// The planned communication it is (by index), if one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        communication: Option<usize>,
    },
    /// A planned communication's time came.
    CommunicationDue {
        index: usize,
        audience: String,
    },
    StatusUpdateSent,
    StatusUpdateFailed {
        why: String,
    },
    /// The rollback procedure's step before this one succeeded: this one starts.
    RollbackStepStarted {
        step: String,
    },
    /// The procedure pauses before this step: its `confirm` asks the operator.
    RollbackStepAwaiting {
        step: String,
    },
    /// The rollback's success criteria held (`[rollback] success`).
    RollbackCriteriaMet,
    /// They did not hold in time.
    RollbackCriteriaNotMet {
        why: String,
    },
    /// A role signs the run off against its criteria (`[close] sign-off`).
    SignedOff {
        role: String,
        note: String,
    },
    /// The run is closed with its outcome; nothing more acts on it.
    RunClosed {
        outcome: Outcome,
    },
    /// A vote handed in from a terminal (`warroom vote`) that was not counted, and why.
    VoteRefused {
        file: String,
        user: String,
        why: String,
    },
    /// The journal's head after a vote or the close: how many records it held and the
    /// SHA-256 of the last one, also posted to the status webhook, a witness outside the
    /// host that `report --verify` holds the journal against.
    Checkpoint {
        records: u64,
        head: String,
        why: String,
    },
    /// An incident begins: a critical alert fired, or the operator declared one.
    IncidentOpened {
        trigger: String,
        level: Option<u8>,
    },
    /// The incident's age crossed into the next escalation level.
    EscalationReached {
        level: u8,
    },
    IncidentClosed {
        why: String,
    },
}

/// How a run ended, as its operator closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    RolledBack,
    Aborted,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::RolledBack => "rolled back",
            Self::Aborted => "aborted",
        }
    }
}

/// The KPI values a rule read when it changed, in the order the rule names them.
pub type Readings = Vec<Reading>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub kpi: String,
    /// `None` where there was no (finite) value.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteDecision {
    Go,
    NoGo,
}

impl From<&Decision> for VoteDecision {
    fn from(d: &Decision) -> Self {
        match d {
            Decision::Go => Self::Go,
            Decision::NoGo => Self::NoGo,
        }
    }
}

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
            Event::GateVote {
                gate,
                approver,
                decision,
                note,
                evidence,
            } => {
                // From the record alone, so a replay agrees: before any console attached,
                // every vote is the keyboard's.
                // The driver's user is the driver, whichever terminal they vote from.
                let by_driver = self.driver.as_ref().is_none_or(|d| d.user == rec.by.user);
                self.gate_vote(gate, approver, decision, (note, evidence), (at, by_driver));
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
                });
            }
            Event::EscalationReached { level } => {
                if let Some(i) = self.incident.as_mut() {
                    i.level = Some(*level);
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
            Event::CommunicationDue { index, .. } => {
                if let Some(c) = self.communications.get_mut(*index) {
                    c.due = Some(at);
                }
            }
            Event::StatusUpdateSending { .. }
            | Event::StatusUpdateSent
            | Event::StatusUpdateFailed { .. } => {}
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
    fn gate_vote(
        &mut self,
        gate: &str,
        approver: &str,
        decision: &VoteDecision,
        (note, evidence): (&String, &Vec<String>),
        (at, by_driver): (DateTime<Utc>, bool),
    ) {
        let rb = self.runbook.clone();
        let Some(g) = rb.gates.iter().position(|g| g.id == gate) else {
            return;
        };
        let Some(a) = rb.gates[g].approvers.iter().position(|x| x == approver) else {
            return;
        };
        self.gates[g].votes[a] = Some(Vote {
            decision: match decision {
                VoteDecision::Go => Decision::Go,
                VoteDecision::NoGo => Decision::NoGo,
            },
            at,
            by_driver,
            note: note.clone(),
            evidence: evidence.clone(),
        });
    }

    /// `error_rate=3.60%, p95_ms=859 ms`, from recorded readings.
    pub fn readings_text(&self, values: &Readings) -> String {
        values
            .iter()
            .map(|r| match (self.runbook.kpi_index(&r.kpi), r.value) {
                (Some(k), Some(v)) => {
                    crate::runbook::number::format_reading(&self.runbook.kpis[k], v)
                }
                _ => format!("{}=?", r.kpi),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}
