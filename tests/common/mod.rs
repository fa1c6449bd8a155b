//! Shared test helpers: the demo runbook in a console state on a fixed clock.

#![allow(dead_code, clippy::unwrap_used)]

pub mod screen;
pub mod servers;
pub mod users;

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use warroom::app::{Action, Effect, Observation, State, update};
use warroom::runbook::{self, Runbook};

pub fn demo_runbook() -> Arc<Runbook> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    let (rb, _) = runbook::load(&path).expect("config/demo.toml is valid");
    Arc::new(rb)
}

pub fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-02-08T01:59:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The demo runbook's console state, with a fixed directory so snapshots are the same on
/// every machine (nothing runs from a `State` alone).
pub fn demo_state() -> State {
    let mut rb = (*demo_runbook()).clone();
    rb.dir = "/srv/warroom/config".into();
    State::new(Arc::new(rb), start())
}

pub fn at(state: &mut State, secs: i64) -> Vec<Effect> {
    update(state, Action::Tick(start() + TimeDelta::seconds(secs)))
}

pub fn key(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn typed(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| key(state, KeyCode::Char(c)))
        .collect()
}

pub fn kpi(state: &mut State, id: &str, v: f64) -> Vec<Effect> {
    let i = state.runbook.kpi_index(id).unwrap();
    update(
        state,
        Action::Observed(Observation::KpiSample {
            kpi: i,
            result: Ok(v.into()),
        }),
    )
}

/// Index of a step by id in the flattened timeline.
pub fn step(state: &State, id: &str) -> usize {
    state.runbook.steps().position(|(_, s)| s.id == id).unwrap()
}

/// Records a run as started, as `update` does once the operator confirmed it: tests that
/// play the executor's part start here.
#[allow(dead_code)]
pub fn begin_run(s: &mut warroom::app::State, t: warroom::app::Target) {
    use warroom::app::event::{Event, Record};
    let target = s.run_ref(t).expect("a run of this runbook");
    let attempt = s.run(t).map_or(0, |r| r.attempt) + 1;
    let event = Event::RunStarted {
        target,
        attempt,
        reason: None,
        guards: Vec::new(),
    };
    s.apply(&Record::new(s.seq + 1, s.now, Default::default(), event));
}
