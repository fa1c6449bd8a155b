//! The console's state machine: `Action`s in, a pure `update` that changes `State` and
//! returns `Effect`s for the I/O tasks. Nothing here touches a terminal, a socket or a process.

pub mod keys;
pub mod output;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use crate::monitor::rules::{Facts, RulePhase, RuleState, Transition};
use crate::runbook::{Command, Confirm, Health, RuleAction, Runbook, Severity, Standing};
use keys::Command as Key;
pub use output::OutputBuffer;

/// Samples kept per KPI for the sparkline and min/max.
pub const HISTORY: usize = 120;

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

/// What a run is for: a step of the runbook (index into `State::steps`), or the rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Step(usize),
    Rollback,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    Waiting,
    /// Confirmed; the process is being started (a second keypress finds it busy).
    Starting,
    Running {
        started: DateTime<Utc>,
    },
    Succeeded {
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
    },
    Failed {
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
        reason: String,
    },
}

impl RunStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Starting | Self::Running { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub status: RunStatus,
    pub output: OutputBuffer,
    pub log: Option<PathBuf>,
    /// Lines scrolled back from the bottom of the output pane.
    pub scroll: usize,
}

impl Default for Run {
    fn default() -> Self {
        Self {
            status: RunStatus::Waiting,
            output: OutputBuffer::default(),
            log: None,
            scroll: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub value: f64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct KpiState {
    pub last: Option<Sample>,
    /// The last poll's failure, kept until a poll succeeds.
    pub error: Option<String>,
    pub history: VecDeque<f64>,
    pub baseline: Option<f64>,
}

impl KpiState {
    pub fn min_max(&self) -> Option<(f64, f64)> {
        let mut it = self.history.iter().copied();
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub health: Health,
    pub latency: Option<TimeDelta>,
    /// Why it is not UP: `refused`, `timeout`, `status 503`, ...
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EndpointState {
    pub last: Option<(Probe, DateTime<Utc>)>,
    pub since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: usize,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub fired: DateTime<Utc>,
    pub resolved: Option<DateTime<Utc>>,
    pub acked: Option<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Go,
    NoGo,
}

#[derive(Debug, Clone)]
pub struct GateState {
    /// One entry per approver, in the runbook's order.
    pub votes: Vec<Option<(Decision, DateTime<Utc>)>>,
    /// The KPIs and alerts when the last vote was recorded.
    pub evidence: Vec<String>,
}

impl GateState {
    pub fn is_go(&self) -> bool {
        self.votes
            .iter()
            .all(|v| matches!(v, Some((Decision::Go, _))))
    }

    pub fn is_no_go(&self) -> bool {
        self.votes
            .iter()
            .any(|v| matches!(v, Some((Decision::NoGo, _))))
    }
}

#[derive(Debug, Clone)]
pub enum Modal {
    /// y/N before a step runs.
    Confirm {
        target: Target,
    },
    /// The typed phrase before a dangerous step or the rollback.
    Phrase {
        target: Target,
        phrase: String,
        input: Input,
        wrong: bool,
    },
    Cancel {
        target: Target,
    },
    Gate {
        gate: usize,
        approver: usize,
    },
    Ack {
        alert: usize,
        input: Input,
    },
    Quit,
}

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Tick(DateTime<Utc>),
    KpiSample {
        kpi: usize,
        result: Result<f64, String>,
    },
    EndpointProbe {
        endpoint: usize,
        probe: Probe,
    },
    RunStarted {
        target: Target,
        log: PathBuf,
    },
    RunOutput {
        target: Target,
        bytes: Vec<u8>,
    },
    RunFinished {
        target: Target,
        result: Result<(), String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Run {
        target: Target,
        name: String,
        command: Command,
        timeout: Option<TimeDelta>,
        env: Vec<(String, String)>,
    },
    Cancel {
        target: Target,
    },
    Bell,
    Quit,
}

pub struct State {
    pub runbook: Arc<Runbook>,
    pub now: DateTime<Utc>,
    pub t0: DateTime<Utc>,
    pub focus: Pane,
    pub modal: Option<Modal>,
    pub help: bool,
    /// Selected step (index into the flattened steps).
    pub selected: usize,
    pub selected_check: usize,
    pub selected_alert: usize,
    pub selected_kpi: usize,
    pub steps: Vec<Run>,
    /// Which run the output pane shows.
    pub shown: Target,
    pub rollback: Run,
    pub rollback_reason: Option<String>,
    pub checks: Vec<Option<DateTime<Utc>>>,
    pub kpis: Vec<KpiState>,
    pub endpoints: Vec<EndpointState>,
    pub rules: Vec<RuleState>,
    pub alerts: Vec<Alert>,
    pub gates: Vec<GateState>,
    /// A one-line notice for the operator, and when it was set.
    pub notice: Option<(String, DateTime<Utc>)>,
    pub quit: bool,
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
            help: false,
            selected: 0,
            selected_check: 0,
            selected_alert: 0,
            selected_kpi: 0,
            steps: vec![Run::default(); n_steps],
            shown: Target::Step(0),
            rollback: Run::default(),
            rollback_reason: None,
            checks: vec![None; n_checks],
            kpis: vec![KpiState::default(); runbook.kpis.len()],
            endpoints: vec![EndpointState::default(); runbook.endpoints.len()],
            rules: vec![RuleState::default(); runbook.rules.len()],
            alerts: Vec::new(),
            gates: runbook
                .gates
                .iter()
                .map(|g| GateState {
                    votes: vec![None; g.approvers.len()],
                    evidence: Vec::new(),
                })
                .collect(),
            notice: None,
            quit: false,
            runbook,
        }
    }

    pub fn step(&self, i: usize) -> Option<(&crate::runbook::Phase, &crate::runbook::Step)> {
        self.runbook.steps().nth(i)
    }

    pub fn run(&self, target: Target) -> Option<&Run> {
        match target {
            Target::Step(i) => self.steps.get(i),
            Target::Rollback => Some(&self.rollback),
        }
    }

    fn run_mut(&mut self, target: Target) -> Option<&mut Run> {
        match target {
            Target::Step(i) => self.steps.get_mut(i),
            Target::Rollback => Some(&mut self.rollback),
        }
    }

    pub fn any_running(&self) -> bool {
        self.rollback.status.is_active() || self.steps.iter().any(|s| s.status.is_active())
    }

    /// The phase the run is in: that of the first step not yet done.
    /// The phase of the latest step that has started or is due by the clock.
    pub fn current_phase(&self) -> Option<&str> {
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
            .map(|p| p.title.as_str())
    }

    /// A checklist item is done when ticked by hand, or while its rule expression holds.
    pub fn check_done(&self, i: usize) -> bool {
        self.checks.get(i).is_some_and(Option::is_some)
            || self
                .runbook
                .checks()
                .nth(i)
                .and_then(|(_, c)| c.auto.as_ref())
                .is_some_and(|e| {
                    crate::monitor::rules::eval(e, self) == crate::monitor::rules::Truth::True
                })
    }

    /// A KPI's value if it is fresh: no sample, a failing poll or a stale sample is no data.
    pub fn kpi_value(&self, i: usize) -> Result<f64, String> {
        let kpi = &self.runbook.kpis[i];
        let st = &self.kpis[i];
        if let Some(e) = &st.error {
            return Err(format!("{}: {e}", kpi.id));
        }
        let s = st.last.ok_or_else(|| format!("{}: no data yet", kpi.id))?;
        if self.is_stale(s.at, kpi.interval) {
            return Err(format!("{}: stale", kpi.id));
        }
        Ok(s.value)
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
        if self.is_stale(*at, self.runbook.endpoints[i].interval) {
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
            .any(|r| matches!(r.status, RunStatus::Failed { .. }));
        if firing(Severity::Critical) || failed || self.gates.iter().any(GateState::is_no_go) {
            return Standing::Critical;
        }
        let kpi_bad = (0..self.kpis.len()).any(|i| self.kpi_standing(i) != Some(Standing::Good));
        let pending = self
            .rules
            .iter()
            .any(|r| matches!(r.phase, RulePhase::Pending { .. }));
        let ep_bad = (0..self.endpoints.len()).any(|i| self.endpoint_health(i) != Some(Health::Up));
        if firing(Severity::Warning) || kpi_bad || pending || ep_bad {
            Standing::Warning
        } else {
            Standing::Good
        }
    }

    /// The gate that holds step `i`, if it is not GO yet.
    pub fn blocking_gate(&self, i: usize) -> Option<usize> {
        let (_, step) = self.step(i)?;
        self.runbook.gates.iter().enumerate().position(|(gi, g)| {
            let later = self
                .runbook
                .steps()
                .position(|(_, s)| s.id == g.before)
                .is_some_and(|at| at <= i);
            let _ = step;
            later && !self.gates[gi].is_go()
        })
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

    /// `error_rate=7.3 %, p95_ms=812 ms`: the values a rule reads, for alerts and banners.
    pub fn rule_values(&self, rule: usize) -> String {
        let r = &self.runbook.rules[rule];
        let mut ids: Vec<&str> = r.expr.kpis();
        ids.dedup();
        ids.iter()
            .filter_map(|id| {
                let i = self.runbook.kpi_index(id)?;
                let unit = &self.runbook.kpis[i].unit;
                Some(match self.kpi_value(i) {
                    Ok(v) => format!(
                        "{id}={}{}{unit}",
                        format_value(v),
                        if unit.is_empty() || unit == "%" {
                            ""
                        } else {
                            " "
                        }
                    ),
                    Err(_) => format!("{id}=?"),
                })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Facts for State {
    fn kpi(&self, id: &str) -> Result<f64, String> {
        let i = self
            .runbook
            .kpi_index(id)
            .ok_or_else(|| format!("unknown KPI `{id}`"))?;
        self.kpi_value(i)
    }

    fn baseline(&self, id: &str) -> Result<f64, String> {
        let i = self
            .runbook
            .kpi_index(id)
            .ok_or_else(|| format!("unknown KPI `{id}`"))?;
        self.kpis[i]
            .baseline
            .ok_or_else(|| format!("{id}: no baseline captured"))
    }

    fn endpoint(&self, id: &str) -> Result<Health, String> {
        let i = self
            .runbook
            .endpoint_index(id)
            .ok_or_else(|| format!("unknown endpoint `{id}`"))?;
        self.endpoint_health(i)
            .ok_or_else(|| format!("{id}: no answer yet"))
    }
}

/// A number as gauges show it: three significant figures, no exponent.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    let whole = (a - a.round()).abs() < 1e-9;
    if a >= 100.0 || whole {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
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
            evaluate_rules(state, &mut fx);
            if let Some((_, at)) = &state.notice
                && now - *at > TimeDelta::seconds(8)
            {
                state.notice = None;
            }
        }
        Action::KpiSample { kpi, result } => {
            let now = state.now;
            if let Some(k) = state.kpis.get_mut(kpi) {
                match result {
                    Ok(v) => {
                        k.last = Some(Sample { value: v, at: now });
                        k.error = None;
                        if k.history.len() == HISTORY {
                            k.history.pop_front();
                        }
                        k.history.push_back(v);
                    }
                    Err(e) => k.error = Some(e),
                }
            }
            evaluate_rules(state, &mut fx);
        }
        Action::EndpointProbe { endpoint, probe } => {
            let now = state.now;
            if let Some(ep) = state.endpoints.get_mut(endpoint) {
                let changed = ep
                    .last
                    .as_ref()
                    .is_none_or(|(p, _)| p.health != probe.health);
                if changed {
                    ep.since = Some(now);
                }
                ep.last = Some((probe, now));
            }
            evaluate_rules(state, &mut fx);
        }
        Action::RunStarted { target, log } => {
            let now = state.now;
            if let Some(run) = state.run_mut(target) {
                run.status = RunStatus::Running { started: now };
                run.log = Some(log);
            }
        }
        Action::RunOutput { target, bytes } => {
            if let Some(run) = state.run_mut(target) {
                run.output.push_bytes(&bytes);
            }
        }
        Action::RunFinished { target, result } => {
            let now = state.now;
            if let Some(run) = state.run_mut(target) {
                run.output.finish();
                let started = match run.status {
                    RunStatus::Running { started } => started,
                    _ => now,
                };
                run.status = match &result {
                    Ok(()) => RunStatus::Succeeded {
                        started,
                        finished: now,
                    },
                    Err(reason) => {
                        run.output
                            .push_line(format!("warroom: {reason}").as_bytes());
                        RunStatus::Failed {
                            started,
                            finished: now,
                            reason: reason.clone(),
                        }
                    }
                };
            }
            let name = run_name(state, target);
            match (&result, target) {
                (Ok(()), Target::Rollback) => state.notify("Rollback finished"),
                (Ok(()), _) => state.notify(format!("{name} finished")),
                (Err(e), _) => state.notify(format!("{name} failed: {e}")),
            }
        }
    }
    fx
}

fn run_name(state: &State, target: Target) -> String {
    match target {
        Target::Rollback => "Rollback".into(),
        Target::Step(i) => state
            .step(i)
            .map_or_else(|| format!("step {i}"), |(_, s)| format!("Step {}", s.id)),
    }
}

fn evaluate_rules(state: &mut State, fx: &mut Vec<Effect>) {
    let now = state.now;
    for i in 0..state.rules.len() {
        let mut rs = state.rules[i].clone();
        let rule = &state.runbook.rules[i];
        let transition = rs.evaluate(rule, state, now);
        state.rules[i] = rs;
        match transition {
            Some(Transition::Fired) => {
                let rule = &state.runbook.rules[i];
                let values = state.rule_values(i);
                state.alerts.push(Alert {
                    rule: i,
                    severity: rule.severity,
                    title: rule.summary.clone(),
                    detail: if values.is_empty() {
                        rule.source.clone()
                    } else {
                        values
                    },
                    fired: now,
                    resolved: None,
                    acked: None,
                });
                if rule.severity == Severity::Critical && state.runbook.bell {
                    fx.push(Effect::Bell);
                }
                // The feed shows newest first: keep the selection on the same entry.
                state.selected_alert = 0;
            }
            Some(Transition::Resolved(_)) => {
                if let Some(a) = state
                    .alerts
                    .iter_mut()
                    .rev()
                    .find(|a| a.rule == i && a.resolved.is_none())
                {
                    a.resolved = Some(now);
                }
            }
            Some(Transition::Pending) | None => {}
        }
    }
}

fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.help {
        // Any key closes the help; it does nothing else.
        state.help = false;
        return;
    }
    if state.modal.is_some() {
        on_modal_key(state, key, fx);
        return;
    }
    let Some(cmd) = keys::lookup(&key, state.focus) else {
        return;
    };
    match cmd {
        Key::Up => move_selection(state, -1),
        Key::Down => move_selection(state, 1),
        Key::NextPane | Key::PrevPane => {
            let all = Pane::ALL;
            let at = all.iter().position(|p| *p == state.focus).unwrap_or(0);
            let n = all.len();
            let next = if cmd == Key::NextPane {
                (at + 1) % n
            } else {
                (at + n - 1) % n
            };
            state.focus = all[next];
        }
        Key::Help => state.help = true,
        Key::Quit => {
            if state.any_running() {
                state.modal = Some(Modal::Quit);
            } else {
                state.quit = true;
                fx.push(Effect::Quit);
            }
        }
        Key::RunStep => request_step(state, state.selected, fx),
        Key::Gate => request_gate(state),
        Key::CancelRun => {
            let target = if state.rollback.status.is_active() {
                Target::Rollback
            } else {
                Target::Step(state.selected)
            };
            if state.run(target).is_some_and(|r| r.status.is_active()) {
                state.modal = Some(Modal::Cancel { target });
            } else {
                state.notify("Nothing is running there to cancel");
            }
        }
        Key::TickCheck => {
            if let Some(slot) = state.checks.get_mut(state.selected_check) {
                *slot = if slot.is_some() {
                    None
                } else {
                    Some(state.now)
                };
            }
        }
        Key::Ack => {
            let target = if state.focus == Pane::Alerts {
                state
                    .alerts_newest_first()
                    .nth(state.selected_alert)
                    .map(|(i, _)| i)
            } else {
                state
                    .alerts_newest_first()
                    .find(|(_, a)| a.acked.is_none())
                    .map(|(i, _)| i)
            };
            match target {
                Some(i) if state.alerts[i].acked.is_none() => {
                    state.modal = Some(Modal::Ack {
                        alert: i,
                        input: Input::default(),
                    });
                }
                Some(_) => state.notify("That alert is already acknowledged"),
                None => state.notify("No alert to acknowledge"),
            }
        }
        Key::Rollback => request_rollback(state),
        Key::PageUp | Key::PageDown => {
            let shown = state.shown;
            if let Some(run) = state.run_mut(shown) {
                let max = run.output.len().saturating_sub(1);
                run.scroll = if cmd == Key::PageUp {
                    (run.scroll + 10).min(max)
                } else {
                    run.scroll.saturating_sub(10)
                };
            }
        }
    }
}

fn move_selection(state: &mut State, delta: isize) {
    let step = |cur: usize, len: usize| -> usize {
        if len == 0 {
            0
        } else {
            (cur as isize + delta).clamp(0, len as isize - 1) as usize
        }
    };
    match state.focus {
        Pane::Timeline => {
            state.selected = step(state.selected, state.steps.len());
            state.shown = Target::Step(state.selected);
        }
        Pane::Checklist => state.selected_check = step(state.selected_check, state.checks.len()),
        Pane::Alerts => state.selected_alert = step(state.selected_alert, state.alerts.len()),
        Pane::Kpis => state.selected_kpi = step(state.selected_kpi, state.kpis.len()),
        Pane::Output => {
            let shown = state.shown;
            if let Some(run) = state.run_mut(shown) {
                let max = run.output.len().saturating_sub(1);
                run.scroll = (run.scroll as isize - delta).clamp(0, max as isize) as usize;
            }
        }
    }
}

fn request_step(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let Some((_, step)) = state.step(i) else {
        return;
    };
    let (id, has_command, confirm) = (
        step.id.clone(),
        step.command.is_some(),
        step.confirm.clone(),
    );
    if !has_command {
        state.notify(format!("Step {id} has no command: it is done by hand"));
        return;
    }
    if state.steps[i].status.is_active() {
        state.notify(format!("Step {id} is already running"));
        return;
    }
    if let Some(g) = state.blocking_gate(i) {
        let gate = &state.runbook.gates[g];
        state.notify(format!(
            "Step {id} waits for gate {}: press g to record GO/NO-GO",
            gate.id
        ));
        return;
    }
    if state.rollback.status.is_active() {
        state.notify("The rollback is running: steps wait until it finishes");
        return;
    }
    match confirm {
        Confirm::None => start(state, Target::Step(i), fx),
        Confirm::YesNo => {
            state.modal = Some(Modal::Confirm {
                target: Target::Step(i),
            })
        }
        Confirm::Phrase(p) => {
            state.modal = Some(Modal::Phrase {
                target: Target::Step(i),
                phrase: p,
                input: Input::default(),
                wrong: false,
            });
        }
    }
}

fn request_rollback(state: &mut State) {
    let Some(rb) = &state.runbook.rollback else {
        state.notify("This runbook has no [rollback] section");
        return;
    };
    if state.rollback.status.is_active() {
        state.notify("The rollback is already running");
        return;
    }
    let phrase = rb.phrase.clone();
    state.rollback_reason = state.rollback_proposed().map(|r| {
        let rule = &state.runbook.rules[r];
        format!("{}: {} ({})", rule.id, rule.summary, state.rule_values(r))
    });
    state.modal = Some(Modal::Phrase {
        target: Target::Rollback,
        phrase,
        input: Input::default(),
        wrong: false,
    });
}

fn request_gate(state: &mut State) {
    let i = state.selected;
    let gate = state
        .step(i)
        .and_then(|(_, s)| state.runbook.gates.iter().position(|g| g.before == s.id));
    match gate.or_else(|| state.blocking_gate(i)) {
        Some(g) => {
            let approver = state.gates[g]
                .votes
                .iter()
                .position(Option::is_none)
                .unwrap_or(0);
            state.modal = Some(Modal::Gate { gate: g, approver });
        }
        None => state.notify("No go/no-go gate before the selected step"),
    }
}

/// Marks the run as starting (so a second keypress cannot start it again) and asks the
/// executor to start it.
fn start(state: &mut State, target: Target, fx: &mut Vec<Effect>) {
    let rb = state.runbook.clone();
    let (name, command, timeout, phase) = match target {
        Target::Step(i) => {
            let Some((phase, step)) = rb.steps().nth(i) else {
                return;
            };
            let Some(cmd) = step.command.clone() else {
                return;
            };
            (step.id.clone(), cmd, step.timeout, phase.id.clone())
        }
        Target::Rollback => {
            let Some(r) = &rb.rollback else { return };
            (
                "rollback".to_owned(),
                r.command.clone(),
                r.timeout,
                String::new(),
            )
        }
    };
    let Some(run) = state.run_mut(target) else {
        return;
    };
    if run.status.is_active() {
        return;
    }
    *run = Run {
        status: RunStatus::Starting,
        ..Run::default()
    };
    state.shown = target;
    let mut env = vec![
        ("WARROOM_STEP".to_owned(), name.clone()),
        ("WARROOM_PHASE".to_owned(), phase),
    ];
    env.extend(rb.env.iter().cloned());
    fx.push(Effect::Run {
        target,
        name,
        command,
        timeout,
        env,
    });
}

fn on_modal_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(modal) = state.modal.take() else {
        return;
    };
    let esc = key.code == KeyCode::Esc;
    state.modal = match modal {
        Modal::Confirm { target } => match key.code {
            KeyCode::Char('y' | 'Y') => {
                start(state, target, fx);
                None
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => None,
            // Anything else, Enter included, does nothing: the answer must be explicit.
            _ => Some(Modal::Confirm { target }),
        },
        Modal::Phrase {
            target,
            phrase,
            mut input,
            wrong,
        } => {
            if esc {
                None
            } else if key.code == KeyCode::Enter {
                if input.value() == phrase {
                    start(state, target, fx);
                    None
                } else {
                    Some(Modal::Phrase {
                        target,
                        phrase,
                        input: Input::default(),
                        wrong: true,
                    })
                }
            } else {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Phrase {
                    target,
                    phrase,
                    input,
                    wrong,
                })
            }
        }
        Modal::Cancel { target } => match key.code {
            KeyCode::Char('y' | 'Y') => {
                fx.push(Effect::Cancel { target });
                state.notify(format!("{}: cancel requested", run_name(state, target)));
                None
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => None,
            _ => Some(Modal::Cancel { target }),
        },
        Modal::Quit => match key.code {
            KeyCode::Char('y' | 'Y') => {
                state.quit = true;
                fx.push(Effect::Quit);
                None
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => None,
            _ => Some(Modal::Quit),
        },
        Modal::Ack { alert, mut input } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                let now = state.now;
                if let Some(a) = state.alerts.get_mut(alert) {
                    a.acked = Some((now, input.value().trim().to_owned()));
                }
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Ack { alert, input })
            }
        },
        Modal::Gate { gate, approver } => {
            let vote = match key.code {
                KeyCode::Char('G' | 'g') => Some(Decision::Go),
                KeyCode::Char('N' | 'n') => Some(Decision::NoGo),
                _ => None,
            };
            let n = state.gates.get(gate).map_or(0, |g| g.votes.len());
            match (vote, key.code) {
                (Some(v), _) => {
                    record_vote(state, gate, approver, v);
                    let next = state.gates[gate].votes.iter().position(Option::is_none);
                    next.map(|a| Modal::Gate { gate, approver: a })
                }
                (None, KeyCode::Up | KeyCode::Char('k')) => Some(Modal::Gate {
                    gate,
                    approver: approver.saturating_sub(1),
                }),
                (None, KeyCode::Down | KeyCode::Char('j')) => Some(Modal::Gate {
                    gate,
                    approver: (approver + 1).min(n.saturating_sub(1)),
                }),
                (None, KeyCode::Esc) => None,
                _ => Some(Modal::Gate { gate, approver }),
            }
        }
    };
}

fn record_vote(state: &mut State, gate: usize, approver: usize, vote: Decision) {
    let now = state.now;
    let evidence: Vec<String> = (0..state.kpis.len())
        .map(|i| {
            let k = &state.runbook.kpis[i];
            match state.kpi_value(i) {
                Ok(v) => format!("{}={}{}", k.id, format_value(v), k.unit),
                Err(e) => e,
            }
        })
        .chain(
            state
                .alerts
                .iter()
                .filter(|a| a.resolved.is_none())
                .map(|a| format!("alert: {}", a.title)),
        )
        .collect();
    let g = &state.runbook.gates[gate];
    let who = g.approvers.get(approver).cloned().unwrap_or_default();
    let gid = g.id.clone();
    if let Some(gs) = state.gates.get_mut(gate) {
        if let Some(slot) = gs.votes.get_mut(approver) {
            *slot = Some((vote.clone(), now));
        }
        gs.evidence = evidence;
    }
    match vote {
        Decision::Go if state.gates[gate].is_go() => state.notify(format!("Gate {gid} is GO")),
        Decision::Go => state.notify(format!("{who}: GO on {gid}")),
        Decision::NoGo => state.notify(format!(
            "NO-GO on {gid} by {who}: hold, or press R to roll back"
        )),
    }
}
