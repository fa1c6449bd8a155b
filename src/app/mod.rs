//! The console's state machine: `Action`s in, a pure `update` that changes `State` and
//! returns `Effect`s for the I/O tasks. Nothing here touches a terminal, a socket or a process.

mod action;
mod alert;
mod apply;
mod canary;
pub mod event;
mod gate;
pub mod guard;
pub mod keys;
mod message;
mod modal;
mod observation;
mod observe;
pub mod output;
mod recorded;
pub mod replay;
mod run;
mod status;
mod update;
pub mod watch;
mod window;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::KeyEvent;
use tui_input::Input;

use crate::rules::{Facts, RulePhase, RuleState};
use crate::runbook::{Command, Health, RuleAction, Runbook, Severity, Standing};
pub use action::*;
pub use alert::*;
pub use canary::CanaryState;
pub use event::{Event, Exit, Operator, Record, RunRef};
pub use gate::*;
pub use message::{Draft, Sending};
pub use modal::*;
pub use observation::*;
pub use observe::Observation;
pub use output::OutputBuffer;
pub use recorded::*;
pub use run::*;
pub use status::PlanFacts;
pub use update::{Begin, begin, leave, override_word, run_file_name, update};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Timeline,
    Kpis,
    Alerts,
    Checklist,
    Output,
}

impl Pane {
    pub const ALL: [Pane; 5] = [
        Pane::Timeline,
        Pane::Kpis,
        Pane::Output,
        Pane::Alerts,
        Pane::Checklist,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Timeline => "Timeline",
            Self::Kpis => "KPIs",
            Self::Alerts => "Alerts",
            Self::Checklist => "Checklist",
            Self::Output => "Output",
        }
    }
}

pub struct State {
    pub runbook: Arc<Runbook>,
    pub now: DateTime<Utc>,
    pub t0: DateTime<Utc>,
    pub focus: Pane,
    pub modal: Option<Modal>,
    /// The `?` overlay when open: how many rows it is scrolled down.
    pub help: Option<usize>,
    /// Selected step (index into the flattened steps).
    pub selected: usize,
    pub selected_check: usize,
    pub selected_alert: usize,
    pub selected_kpi: usize,
    pub steps: Vec<Run>,
    /// Which run the output pane shows.
    pub shown: Target,
    pub rollback: Run,
    /// The rollback's preview (`[rollback] preview`): its last run, shown in the modal.
    pub preview: Run,
    pub rollback_reason: Option<String>,
    /// The rollback procedure is paused before this step, for its confirmation.
    pub rollback_awaiting: Option<usize>,
    /// The rollback procedure's step running (or that ran last), an index into
    /// `[rollback]`'s steps; the procedure's own status is `rollback`.
    pub rollback_step: usize,
    /// The rollback's success criteria, once it is done: checking, met or not.
    pub rollback_check: Option<RollbackCheck>,
    pub checks: Vec<Option<DateTime<Utc>>>,
    /// Since when each automatic checklist item's expression has held, as recorded (the
    /// report shows what the screen showed).
    pub checks_auto: Vec<Option<DateTime<Utc>>>,
    pub kpis: Vec<KpiState>,
    pub endpoints: Vec<EndpointState>,
    pub rules: Vec<RuleState>,
    /// Per `[[canary]]`: its verdict as recorded, and its last judgement.
    pub canaries: Vec<CanaryState>,
    /// Actuals entered by hand for steps' `record`s, by record id: the value and when
    /// (the last entry counts).
    pub actuals: std::collections::BTreeMap<String, (f64, DateTime<Utc>)>,
    /// When the deployment window closed with its plan unfinished (recorded).
    pub window_overrun: Option<DateTime<Utc>>,
    /// When the rules were last evaluated, for `evaluation-interval` (live bookkeeping).
    pub rules_evaluated_at: Option<DateTime<Utc>>,
    pub alerts: Vec<Alert>,
    pub gates: Vec<GateState>,
    /// Present when the runbook names an Alertmanager.
    pub am: Option<AmState>,
    /// An automatic rollback counting down: the rule that asked for it, and when it runs.
    pub auto_rollback: Option<(usize, DateTime<Utc>)>,
    /// Status updates announced so far (the k-th is due at T0 + k x cadence).
    pub updates_announced: i64,
    /// The incident under way, if one is: from a critical alert or declared with `I`.
    pub incident: Option<Incident>,
    /// The runbook's planned communications: when each fell due, when it was sent.
    pub communications: Vec<CommunicationState>,
    /// The runbook's sign-offs, in its order: who signed, when, with what note.
    pub sign_offs: Vec<Option<Signed>>,
    /// When the run was closed, and how it ended.
    pub closed: Option<(DateTime<Utc>, event::Outcome)>,
    /// The rehearsal clock's speed, when this console runs on one (live, for the header:
    /// nobody may take a rehearsal for the night).
    pub rehearsal: Option<f64>,
    /// Set when this State is a replayed moment (`warroom replay`): the night's span, its
    /// markers, and the replay's speed and whether it plays.
    pub replay: Option<ReplayView>,
    /// A status update the operator wrote and has not sent (closed with Esc, or its send
    /// failed): `U` opens it again as it was (live, not recorded).
    pub draft_update: Option<Draft>,
    /// The status update being sent, until every channel has answered.
    pub sending_update: Option<Sending>,
    /// A one-line notice for the operator, and when it was set.
    pub notice: Option<(String, DateTime<Utc>)>,
    pub quit: bool,
    /// Why the journal's head is to be checkpointed once what was just decided is
    /// committed (a vote, the close).
    pub checkpoint_due: Option<String>,
    /// The sequence number of the last record applied.
    pub seq: u64,
    /// Who this console acts as; every record it emits carries it.
    pub operator: Operator,
    /// Who drives the run, as the record says (the last to attach or take it over): a vote
    /// they cast is the driver's, not one handed in.
    pub driver: Option<Operator>,
    /// Records emitted and applied, not yet handed to the journal.
    pub outbox: Vec<Record>,
    /// Why this console may not act (its journal failed): it keeps watching.
    pub read_only: Option<String>,
    /// Values never shown in step output (see [`State::hide`]).
    pub secrets: Arc<[String]>,
    /// Set when this console watches a run another one drives (`warroom watch`).
    pub watching: Option<Watching>,
    /// Who watches this run from other terminals, and since when (driver side).
    pub watchers: Vec<(Operator, DateTime<Utc>)>,
    /// The runbook's warnings, as `check` words them (live: the file's, not the run's).
    pub warnings: Vec<crate::runbook::Diagnostic>,
}

/// What the replay bar shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayView {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub markers: Arc<Vec<replay::Marker>>,
    pub speed: f64,
    pub playing: bool,
    /// What the bar says in place of its keys: the event gone to, the time being typed.
    pub says: Option<String>,
}

/// A watcher's view of the run's driver.
#[derive(Debug, Clone, PartialEq)]
pub struct Watching {
    /// Who drives (or drove) the run.
    pub driver: Operator,
    /// When the driver's lock was found released: it is gone, the record stands.
    pub gone_since: Option<DateTime<Utc>>,
}

impl State {
    pub fn new(runbook: Arc<Runbook>, start: DateTime<Utc>) -> Self {
        let n_steps = runbook.steps().count();
        let n_checks = runbook.checks().count();
        Self {
            t0: runbook.t0.resolve(start),
            now: start,
            focus: Pane::Timeline,
            modal: None,
            help: None,
            selected: 0,
            selected_check: 0,
            selected_alert: 0,
            selected_kpi: 0,
            steps: vec![Run::default(); n_steps],
            shown: Target::Step(0),
            rollback: Run::default(),
            preview: Run::default(),
            rollback_reason: None,
            rollback_awaiting: None,
            rollback_step: 0,
            rollback_check: None,
            checks: vec![None; n_checks],
            checks_auto: vec![None; n_checks],
            kpis: Self::canary_keeps(&runbook)
                .into_iter()
                .map(|keep| KpiState {
                    keep,
                    ..KpiState::default()
                })
                .collect(),
            canaries: vec![CanaryState::default(); runbook.canaries.len()],
            window_overrun: None,
            endpoints: vec![EndpointState::default(); runbook.endpoints.len()],
            rules: vec![RuleState::default(); runbook.rules.len()],
            rules_evaluated_at: None,
            alerts: Vec::new(),
            gates: runbook
                .gates
                .iter()
                .map(|g| GateState {
                    votes: vec![None; g.approvers.len()],
                    policy: g.policy,
                    distinct_from_driver: g.distinct_from_driver,
                    must_sign: g
                        .approvers
                        .iter()
                        .map(|e| runbook.approver(e).is_some_and(|a| a.signed))
                        .collect(),
                })
                .collect(),
            auto_rollback: None,
            updates_announced: 0,
            incident: None,
            communications: vec![CommunicationState::default(); runbook.communications.len()],
            sign_offs: vec![None; runbook.sign_off.len()],
            closed: None,
            rehearsal: None,
            actuals: std::collections::BTreeMap::new(),
            replay: None,
            draft_update: None,
            sending_update: None,
            am: runbook.alertmanager.as_ref().map(|_| AmState::default()),
            notice: None,
            quit: false,
            driver: None,
            checkpoint_due: None,
            seq: 0,
            operator: Operator::default(),
            outbox: Vec::new(),
            read_only: None,
            secrets: Arc::from([]),
            watching: None,
            watchers: Vec::new(),
            warnings: Vec::new(),
            runbook,
        }
    }

    /// Back to what `history` records, keeping what was observed and what the screen
    /// shows: after the journal refused records, what they said must not stand.
    pub fn rewind(&mut self, history: &[Record]) {
        let mut fresh = State::new(self.runbook.clone(), self.now);
        fresh.replay(history);
        fresh.focus = self.focus;
        fresh.selected = self.selected;
        fresh.selected_check = self.selected_check;
        fresh.selected_alert = self
            .selected_alert
            .min(fresh.alerts.len().saturating_sub(1));
        fresh.selected_kpi = self.selected_kpi;
        fresh.shown = self.shown;
        fresh.notice = self.notice.take();
        fresh.operator = std::mem::take(&mut self.operator);
        fresh.read_only = self.read_only.take();
        fresh.secrets = self.secrets.clone();
        fresh.watchers = std::mem::take(&mut self.watchers);
        fresh.warnings = std::mem::take(&mut self.warnings);
        fresh.watching = self.watching.take();
        for (k, old) in fresh.kpis.iter_mut().zip(&mut self.kpis) {
            let baseline = k.baseline;
            *k = std::mem::take(old);
            k.baseline = baseline;
        }
        fresh.endpoints = std::mem::take(&mut self.endpoints);
        if let (Some(am), Some(old)) = (fresh.am.as_mut(), self.am.as_mut()) {
            am.alerts = std::mem::take(&mut old.alerts);
            am.error = old.error.take();
            am.polled = old.polled;
        }
        for (r, old) in fresh.rules.iter_mut().zip(&self.rules) {
            r.no_data.clone_from(&old.no_data);
            r.no_data_since = old.no_data_since;
        }
        let old_runs = self
            .steps
            .iter_mut()
            .chain([&mut self.rollback, &mut self.preview]);
        let runs = fresh
            .steps
            .iter_mut()
            .chain([&mut fresh.rollback, &mut fresh.preview]);
        for (r, old) in runs.zip(old_runs) {
            r.output = std::mem::take(&mut old.output);
            r.log = old.log.take();
            r.scroll = old.scroll;
        }
        fresh.outbox.clear();
        *self = fresh;
    }

    /// Hides these values (the runbook's secrets, as the environment has them) in every
    /// step's output on screen; the shortest are left alone, as they would mask too much.
    pub fn hide(&mut self, values: Vec<String>) {
        let values: Vec<String> = values
            .into_iter()
            .filter(|v| v.len() >= crate::secrets::SHORTEST)
            .collect();
        self.secrets = Arc::from(values);
        for run in self
            .steps
            .iter_mut()
            .chain([&mut self.rollback, &mut self.preview])
        {
            run.output = OutputBuffer::masking(self.secrets.clone());
        }
    }

    /// The records emitted since the last call, for the journal.
    pub fn take_records(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.outbox)
    }

    /// The part of the state the journal determines: equal after a replay.
    pub fn recorded(&self) -> Recorded {
        Recorded {
            seq: self.seq,
            t0: self.t0,
            runs: self
                .steps
                .iter()
                .chain([&self.rollback, &self.preview])
                .map(|r| {
                    let verify = r.verify.as_ref().map(|v| match v {
                        // How long a check has held is live bookkeeping, not a decision.
                        Verification::Checking { since, .. } => Verification::Checking {
                            since: *since,
                            held_since: None,
                            command: None,
                        },
                        other => other.clone(),
                    });
                    (
                        r.status.clone(),
                        r.attempt,
                        (r.skipped, r.done_by_hand),
                        r.reasons.clone(),
                        verify,
                        r.overrides.clone(),
                    )
                })
                .collect(),
            rollback_reason: self.rollback_reason.clone(),
            rollback_step: self.rollback_step,
            rollback_awaiting: self.rollback_awaiting,
            // How long the criteria have held is live bookkeeping, not a decision.
            rollback_check: self.rollback_check.clone().map(|c| match c {
                RollbackCheck::Checking { since, .. } => RollbackCheck::Checking {
                    since,
                    held_since: None,
                },
                other => other,
            }),
            checks: self.checks.clone(),
            checks_auto: self.checks_auto.clone(),
            baselines: self.kpis.iter().map(|k| k.baseline).collect(),
            rules: self.rules.iter().map(|r| r.phase.clone()).collect(),
            alerts: self
                .alerts
                .iter()
                .map(|a| {
                    (
                        a.rule,
                        a.title.clone(),
                        a.detail.clone(),
                        a.fired,
                        a.resolved,
                        a.acked.clone(),
                    )
                })
                .collect(),
            votes: self.gates.iter().map(|g| g.votes.clone()).collect(),
            silence: self.am.as_ref().map(|a| a.silence.clone()),
            auto_rollback: self.auto_rollback,
            updates_announced: self.updates_announced,
            incident: self.incident.clone(),
            communications: self.communications.clone(),
            sign_offs: self.sign_offs.clone(),
            closed: self.closed,
            canaries: self.canaries.iter().map(|c| c.verdict).collect(),
            window_overrun: self.window_overrun,
        }
    }

    pub fn step(&self, i: usize) -> Option<(&crate::runbook::Phase, &crate::runbook::Step)> {
        self.runbook.steps().nth(i)
    }

    /// Every run a target can be: each step, the rollback, its preview.
    pub fn run_targets(&self) -> impl Iterator<Item = Target> + use<> {
        (0..self.steps.len())
            .map(Target::Step)
            .chain([Target::Rollback, Target::RollbackPreview])
    }

    pub fn run(&self, target: Target) -> Option<&Run> {
        match target {
            Target::Step(i) => self.steps.get(i),
            Target::Rollback => Some(&self.rollback),
            Target::RollbackPreview => Some(&self.preview),
        }
    }

    fn run_mut(&mut self, target: Target) -> Option<&mut Run> {
        match target {
            Target::Step(i) => self.steps.get_mut(i),
            Target::Rollback => Some(&mut self.rollback),
            Target::RollbackPreview => Some(&mut self.preview),
        }
    }

    pub fn any_running(&self) -> bool {
        self.rollback.status.is_active() || self.steps.iter().any(|s| s.status.is_active())
    }

    /// What runs now, in words: `canary-50`, `canary-50, the rollback`.
    pub fn running_words(&self) -> Option<String> {
        let running: Vec<String> = self
            .runbook
            .steps()
            .zip(&self.steps)
            .filter(|(_, r)| r.status.is_active())
            .map(|((_, s), _)| s.id.clone())
            .chain(
                self.rollback
                    .status
                    .is_active()
                    .then(|| "the rollback".to_owned()),
            )
            .collect();
        (!running.is_empty()).then(|| running.join(", "))
    }

    /// The phase the run is in: that of the first step not yet done.
    /// The phase of the latest step that has started or is due by the clock.
    pub fn current_phase(&self) -> Option<&str> {
        self.phase_now().map(|p| p.title.as_str())
    }

    /// The phase of the last step started or due by now (the first phase before any).
    pub fn phase_now(&self) -> Option<&crate::runbook::Phase> {
        let elapsed = self.now - self.t0;
        self.runbook
            .steps()
            .zip(&self.steps)
            .filter(|((_, s), run)| {
                run.status != RunStatus::Waiting || s.planned.is_some_and(|p| p <= elapsed)
            })
            .last()
            .map(|((p, _), _)| p)
            .or_else(|| self.runbook.phases.first())
    }

    /// Whether rule `i` watches now: always, during its phase, or in its window after a
    /// step finished.
    pub fn rule_in_scope(&self, i: usize) -> bool {
        use crate::runbook::RuleScope;
        match &self.runbook.rules[i].scope {
            RuleScope::Always => true,
            RuleScope::During(phase) => self.phase_now().is_some_and(|p| p.id == *phase),
            RuleScope::After { step, window } => {
                let finished = self
                    .runbook
                    .steps()
                    .zip(&self.steps)
                    .find(|((_, s), _)| s.id == *step)
                    .and_then(|(_, run)| match run.status {
                        RunStatus::Succeeded { finished, .. } => Some(finished),
                        _ => None,
                    });
                finished
                    .is_some_and(|at| self.now >= at && window.is_none_or(|w| self.now - at < w))
            }
        }
    }

    /// A step is done when its run succeeded and its verification (if any) passed, or
    /// when the operator skipped it.
    pub fn step_done(&self, i: usize) -> bool {
        if let Some((_, step)) = self.step(i)
            && step.continuous
        {
            return matches!(self.watch_state(i), Some(Watch::Over | Watch::Open));
        }
        self.steps.get(i).is_some_and(|r| {
            r.skipped.is_some()
                || r.done_by_hand.is_some()
                || (matches!(r.status, RunStatus::Succeeded { .. })
                    && matches!(r.verify, None | Some(Verification::Passed(_))))
        })
    }

    /// The next step to do (waiting, not skipped, not a watch): the first with a planned
    /// time, else the first without one (those come in the operator's own order).
    pub fn next_step(&self) -> Option<usize> {
        let waiting = |planned: bool| {
            self.runbook
                .steps()
                .zip(&self.steps)
                .position(|((_, s), run)| {
                    run.status == RunStatus::Waiting
                        && run.skipped.is_none()
                        && run.done_by_hand.is_none()
                        && !s.continuous
                        && s.planned.is_some() == planned
                })
        };
        waiting(true).or_else(|| waiting(false))
    }

    /// The oldest planned communication that is due and not sent.
    pub fn communication_waiting(&self) -> Option<usize> {
        self.communications
            .iter()
            .position(|c| c.due.is_some() && c.sent.is_none())
    }

    /// Where a continuous step's watch stands: before its start, under way, over (a watch
    /// without a duration is over as soon as it starts: it never holds the run open).
    pub fn watch_state(&self, i: usize) -> Option<Watch> {
        let (_, step) = self.step(i)?;
        if !step.continuous {
            return None;
        }
        let start = self.t0 + step.planned?;
        Some(match step.duration {
            _ if self.now < start => Watch::Before,
            Some(d) if self.now < start + d => Watch::Watching,
            Some(_) => Watch::Over,
            None => Watch::Open,
        })
    }

    /// A checklist item is done when ticked by hand, or while its rule expression holds.
    pub fn check_done(&self, i: usize) -> bool {
        self.checks.get(i).is_some_and(Option::is_some)
            || self
                .runbook
                .checks()
                .nth(i)
                .and_then(|(_, c)| c.auto.as_ref())
                .is_some_and(|e| crate::rules::eval(e, self) == crate::rules::Truth::True)
    }

    /// A KPI's value if it is fresh: no sample, a failing poll or a stale sample is no data.
    pub fn kpi_value(&self, i: usize) -> Result<f64, String> {
        let kpi = &self.runbook.kpis[i];
        let st = &self.kpis[i];
        if let Some(e) = &st.error {
            return Err(format!("{}: {e}", kpi.id));
        }
        let s = st.last.ok_or_else(|| format!("{}: no data yet", kpi.id))?;
        if self.is_stale(s.since(), self.kpi_interval(i)) {
            return Err(match s.measured {
                Some(m) if m < s.at => format!(
                    "{}: stale (measured {} ago)",
                    kpi.id,
                    crate::runbook::time::format_duration(self.now - m)
                ),
                _ => format!("{}: stale", kpi.id),
            });
        }
        Ok(s.value)
    }

    /// KPI `i`'s sampling interval now (its schedule may change it over the run).
    pub fn kpi_interval(&self, i: usize) -> TimeDelta {
        self.runbook.kpis[i].interval_at(self.now - self.t0)
    }

    /// No answer for three intervals.
    pub fn is_stale(&self, at: DateTime<Utc>, interval: TimeDelta) -> bool {
        self.now - at > interval * 3
    }

    pub fn kpi_standing(&self, i: usize) -> Option<Standing> {
        let v = self.kpi_value(i).ok()?;
        Some(
            self.runbook.kpis[i]
                .thresholds
                .map_or(Standing::Good, |t| t.classify(v)),
        )
    }

    pub fn endpoint_health(&self, i: usize) -> Option<Health> {
        let (probe, at) = self.endpoints[i].last.as_ref()?;
        if self.is_stale(
            *at,
            self.runbook.endpoints[i].interval_at(self.now - self.t0),
        ) {
            return Some(Health::Stale);
        }
        Some(probe.health)
    }

    /// The overall light: red on a firing critical rule, a failed step or rollback; yellow
    /// on warnings, pending rules or missing data; green otherwise.
    pub fn status_light(&self) -> Standing {
        let firing = |sev: Severity| {
            self.rules
                .iter()
                .zip(&self.runbook.rules)
                .any(|(s, r)| s.is_firing() && r.severity >= sev)
        };
        let failed = self
            .steps
            .iter()
            .chain(std::iter::once(&self.rollback))
            .any(|r| matches!(r.status, RunStatus::Failed { .. } | RunStatus::Lost { .. }));
        let am_active = |critical: bool| {
            self.am.as_ref().is_some_and(|am| {
                am.alerts
                    .iter()
                    .any(|a| !a.silenced && !a.inhibited && (a.severity == "critical") == critical)
            })
        };
        // The deployment window: an overrun coming is a warning, one come is critical.
        let window = self.window_words().map(|(_, standing)| standing);
        if firing(Severity::Critical)
            || failed
            || self.gates.iter().any(GateState::is_no_go)
            || am_active(true)
            || self.incident.is_some()
            || window == Some(Standing::Critical)
        {
            return Standing::Critical;
        }
        let kpi_bad = (0..self.kpis.len()).any(|i| self.kpi_standing(i) != Some(Standing::Good));
        let pending = self
            .rules
            .iter()
            .any(|r| matches!(r.phase, RulePhase::Pending { .. }));
        let ep_bad = (0..self.endpoints.len()).any(|i| self.endpoint_health(i) != Some(Health::Up));
        let am_bad = am_active(false) || self.am.as_ref().is_some_and(|am| am.error.is_some());
        if firing(Severity::Warning)
            || kpi_bad
            || pending
            || ep_bad
            || am_bad
            || window == Some(Standing::Warning)
        {
            Standing::Warning
        } else {
            Standing::Good
        }
    }

    /// Alerts newest first, as the feed shows them.
    pub fn alerts_newest_first(&self) -> impl Iterator<Item = (usize, &Alert)> {
        self.alerts.iter().enumerate().rev()
    }

    /// The unacknowledged critical alert a banner shows, newest first.
    pub fn banner_alert(&self) -> Option<&Alert> {
        self.alerts_newest_first()
            .map(|(_, a)| a)
            .find(|a| a.acked.is_none() && a.resolved.is_none() && a.severity == Severity::Critical)
    }

    /// A rule with a rollback action that is firing now.
    pub fn rollback_proposed(&self) -> Option<usize> {
        self.runbook
            .rules
            .iter()
            .zip(&self.rules)
            .position(|(r, s)| s.is_firing() && !matches!(r.action, RuleAction::None))
    }

    fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), self.now));
    }

    /// `error_rate=7.3%` or `p95_ms=812 ms`; why there is no value otherwise.
    pub fn kpi_reading(&self, i: usize) -> Result<String, String> {
        if let Some(text) = self.kpi_text(i) {
            return text.map(|t| format!("{}={t}", self.runbook.kpis[i].id));
        }
        self.kpi_value(i)
            .map(|v| crate::runbook::number::format_reading(&self.runbook.kpis[i], v))
    }

    /// A text KPI's value now (stale or failing: why not); `None` for a number KPI.
    pub fn kpi_text(&self, i: usize) -> Option<Result<String, String>> {
        let kpi = self.runbook.kpis.get(i)?;
        if !kpi.text {
            return None;
        }
        Some(self.kpi_value(i).and_then(|_| {
            self.kpis[i]
                .text
                .clone()
                .ok_or_else(|| format!("{}: no data yet", kpi.id))
        }))
    }

    /// What a vote is cast on, as its voter is shown it: each KPI's reading (when this
    /// console reads them), then the alerts open. Its hash is what a signature covers.
    pub fn vote_evidence(&self, readings: bool) -> Vec<String> {
        let kpis = (0..self.kpis.len())
            .filter(|_| readings)
            .map(|i| self.kpi_reading(i).unwrap_or_else(|why| why));
        kpis.chain(
            self.alerts
                .iter()
                .filter(|a| a.resolved.is_none())
                .map(|a| format!("alert: {}", a.title)),
        )
        .collect()
    }

    /// The values a rule reads now, for its record.
    pub fn rule_readings(&self, rule: usize) -> event::Readings {
        distinct(self.runbook.rules[rule].expr.kpis())
            .into_iter()
            .map(|id| event::Reading {
                kpi: id.to_owned(),
                value: self
                    .runbook
                    .kpi_index(id)
                    .and_then(|i| self.kpi_value(i).ok().filter(|v| v.is_finite())),
                text: self
                    .runbook
                    .kpi_index(id)
                    .and_then(|i| self.kpi_text(i)?.ok()),
            })
            .collect()
    }

    /// `error_rate=7.3%, p95_ms=812 ms`: the values a rule reads, for alerts and banners.
    pub fn rule_values(&self, rule: usize) -> String {
        distinct(self.runbook.rules[rule].expr.kpis())
            .into_iter()
            .filter_map(|id| {
                let i = self.runbook.kpi_index(id)?;
                Some(self.kpi_reading(i).unwrap_or_else(|_| format!("{id}=?")))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The ids in first-seen order, each once.
pub fn distinct<T: PartialEq>(ids: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::distinct;

    #[test]
    fn distinct_keeps_first_seen_order_even_when_repeats_are_apart() {
        // `a > 1 and b > 1 or a < 0` reads a, b, a: the banner names each KPI once.
        assert_eq!(distinct(["a", "b", "a", "c", "b"]), vec!["a", "b", "c"]);
    }
}
