//! What every console does the same, driver or watcher: take in observations (KPI
//! samples, probes, Alertmanager's alerts, step output) and move the view (selection,
//! panes, scrolling, help). None of it is a decision: nothing here is recorded.

use chrono::TimeDelta;
use crossterm::event::KeyCode;

use super::keys::Command as Key;
use super::*;

/// What the world shows every console, driver or watcher alike: a KPI's sample or its
/// history, an endpoint's probe, the Alertmanager's alerts, a run's output.
#[derive(Debug, Clone)]
pub enum Observation {
    KpiSample {
        kpi: usize,
        result: Result<Reading, Fault>,
    },
    /// The KPI's recent values from its source's history, oldest first.
    KpiHistory {
        kpi: usize,
        result: Result<Vec<f64>, String>,
    },
    /// A text KPI's poll.
    KpiText {
        kpi: usize,
        result: Result<String, Fault>,
    },
    EndpointProbe {
        endpoint: usize,
        probe: Probe,
    },
    AmAlerts(Result<Vec<AmAlert>, String>),
    RunOutput {
        target: Target,
        bytes: Vec<u8>,
    },
}

impl Observation {
    /// Whether the rules must be evaluated again after it: a KPI's value or an endpoint's
    /// health changed (a history only draws the sparkline).
    pub fn moves_rules(&self) -> bool {
        matches!(
            self,
            Self::KpiSample { .. } | Self::KpiText { .. } | Self::EndpointProbe { .. }
        )
    }
}

/// Takes an observation into the state.
pub fn take(state: &mut State, o: Observation) {
    match o {
        Observation::KpiSample { kpi, result } => kpi_sample(state, kpi, result),
        Observation::KpiText { kpi, result } => kpi_text(state, kpi, result),
        Observation::KpiHistory { kpi, result } => kpi_history(state, kpi, result),
        Observation::EndpointProbe { endpoint, probe } => endpoint_probe(state, endpoint, probe),
        Observation::AmAlerts(result) => am_alerts(state, result),
        Observation::RunOutput { target, bytes } => run_output(state, target, &bytes),
    }
}

pub fn kpi_sample(state: &mut State, kpi: usize, result: Result<Reading, Fault>) {
    let now = state.now;
    if let Some(k) = state.kpis.get_mut(kpi) {
        match result {
            Ok(Reading { value: v, measured }) => {
                k.last = Some(Sample {
                    value: v,
                    at: now,
                    measured,
                });
                k.error = None;
                if k.history.len() == HISTORY {
                    k.history.pop_front();
                    k.backfilled = k.backfilled.saturating_sub(1);
                }
                k.history.push_back(v);
                if let Some(keep) = k.keep {
                    k.samples.push_back((now, v));
                    while k.samples.front().is_some_and(|(t, _)| *t < now - keep) {
                        k.samples.pop_front();
                    }
                }
            }
            Err(e) => k.error = Some(e),
        }
    }
}

/// A text KPI's value: kept whole (its staleness counted as a sample's), no sparkline.
pub fn kpi_text(state: &mut State, kpi: usize, result: Result<String, Fault>) {
    let now = state.now;
    if let Some(k) = state.kpis.get_mut(kpi) {
        match result {
            Ok(text) => {
                k.last = Some(Sample {
                    value: f64::NAN,
                    at: now,
                    measured: None,
                });
                k.text = Some(text);
                k.error = None;
            }
            Err(e) => k.error = Some(e),
        }
    }
}

/// A KPI's history from its source: placed before the samples polled so far (which may
/// have come first), as much as the sparkline keeps. A refusal is a note, not a fault: the
/// live samples are unaffected.
pub fn kpi_history(state: &mut State, kpi: usize, result: Result<Vec<f64>, String>) {
    let Some(k) = state.kpis.get_mut(kpi) else {
        return;
    };
    match result {
        Ok(values) => {
            let live: Vec<f64> = k.history.drain(k.backfilled..).collect();
            let room = HISTORY.saturating_sub(live.len());
            let past = &values[values.len().saturating_sub(room)..];
            k.history = past.iter().chain(&live).copied().collect();
            k.backfilled = past.len();
            k.history_note = None;
        }
        Err(why) => k.history_note = Some(why),
    }
}

pub fn endpoint_probe(state: &mut State, endpoint: usize, probe: Probe) {
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
}

pub fn am_alerts(state: &mut State, result: Result<Vec<crate::app::AmAlert>, String>) {
    let now = state.now;
    if let Some(am) = state.am.as_mut() {
        match result {
            Ok(alerts) => {
                am.alerts = alerts;
                am.error = None;
                am.polled = Some(now);
            }
            Err(e) => am.error = Some(e),
        }
    }
}

pub fn run_output(state: &mut State, target: Target, bytes: &[u8]) {
    if let Some(run) = state.run_mut(target) {
        run.output.push_bytes(bytes);
    }
}

/// A notice stays eight seconds.
pub fn notice_expiry(state: &mut State) {
    // Eight seconds of the operator's time: on a rehearsal clock at 60x that is eight
    // minutes of the clock (it read as a flicker before).
    let speed = state.rehearsal.unwrap_or(1.0).clamp(1.0, 1e6);
    let keep = TimeDelta::milliseconds((8000.0 * speed) as i64);
    if let Some((_, at)) = &state.notice
        && state.now - *at > keep
    {
        state.notice = None;
    }
}

/// A key while the `?` overlay is open: the arrows, j/k and the page keys scroll it (on a
/// screen too short for every key), any other key closes it and does nothing else.
pub fn help_key(state: &mut State, key: &KeyEvent) {
    let Some(top) = state.help else { return };
    // The overlay never has more rows than the keys and its notes, so scrolling further
    // than that would only be presses to take back.
    let most = keys::BINDINGS.len() + 3;
    state.help = Some(match key.code {
        KeyCode::Up | KeyCode::Char('k') => top.saturating_sub(1),
        KeyCode::PageUp => top.saturating_sub(10),
        KeyCode::Down | KeyCode::Char('j') => (top + 1).min(most),
        KeyCode::PageDown | KeyCode::Char(' ') => (top + 10).min(most),
        _ => {
            state.help = None;
            return;
        }
    });
}

/// Keys that only move the view; `false` for every other command.
pub fn navigate(state: &mut State, cmd: Key) -> bool {
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
        Key::Help => state.help = Some(0),
        Key::Contacts => state.modal = Some(Modal::Contacts),
        Key::Warnings if state.warnings.is_empty() => {
            state.notify("The runbook has no warnings");
        }
        Key::Warnings => state.modal = Some(Modal::Warnings),
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
        _ => return false,
    }
    true
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
