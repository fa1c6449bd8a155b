//! Replay: the console as it was at any moment of a run, rebuilt from the journal (through
//! the same `apply`) and the recorded samples (through the same observations). Nothing here
//! can act: a replayed State has no effects to give, only a screen.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use super::event::{Event, Record, RunRef};
use super::observe::{self, Observation};
use super::{Fault, FaultKind, Probe, Reading, State};
use crate::runbook::Runbook;
use crate::samples::{self, Point, Value};

/// How many of a series' points before the moment are fed in: the sparkline's width.
const FED: usize = super::observation::HISTORY;

/// What a recorded series is in this runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Series {
    Kpi(usize),
    Endpoint(usize),
    Latency(usize),
    /// A series of a KPI or endpoint the runbook no longer has.
    Gone,
}

/// A moment the night turned on, for the bar and `[`/`]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub at: DateTime<Utc>,
    pub kind: MarkerKind,
    pub what: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerKind {
    Step,
    Gate,
    Alert,
    Rollback,
}

/// A run, indexed for seeking.
pub struct Night {
    pub runbook: Arc<Runbook>,
    pub records: Vec<Record>,
    series: Vec<Series>,
    /// The recorded samples, decoded a block at a time as a moment needs them.
    blocks: samples::Blocks,
    /// The blocks the last moment decoded, kept while the next moments need them too.
    cache: RefCell<HashMap<usize, Arc<Vec<Point>>>>,
    /// How far back of a moment its samples are read: a sparkline's worth for the fastest
    /// sources, three intervals (the staleness bound) for the slowest.
    horizon: TimeDelta,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub markers: Arc<Vec<Marker>>,
    /// When T+0 is, as the record last set it.
    pub t0: DateTime<Utc>,
    /// Set when the run recorded no samples (an older run): the gauges say so.
    pub no_samples: bool,
    pub torn: Option<String>,
}

impl Night {
    pub fn new(runbook: Arc<Runbook>, records: Vec<Record>, blocks: samples::Blocks) -> Self {
        let series: Vec<Series> = blocks
            .series
            .iter()
            .map(|name| series_of(&runbook, name))
            .collect();
        let span = blocks.span();
        let start = records.first().map_or_else(Utc::now, |r| r.at);
        let start = span
            .and_then(|(first, _)| DateTime::from_timestamp_millis(first))
            .map_or(start, |p| p.min(start));
        let end = records.last().map_or(start, |r| r.at);
        let end = span
            .and_then(|(_, last)| DateTime::from_timestamp_millis(last))
            .map_or(end, |p| p.max(end));
        let markers = Arc::new(markers(&runbook, &records));
        let t0 = records
            .iter()
            .rev()
            .find_map(|r| match &r.event {
                Event::RunOpened { t0, .. } | Event::T0Set { t0 } => Some(*t0),
                _ => None,
            })
            .unwrap_or_else(|| runbook.t0.resolve(start));
        let slowest = runbook
            .kpis
            .iter()
            .flat_map(|k| std::iter::once(k.interval).chain(k.schedule.iter().map(|(_, e)| *e)))
            .chain(runbook.endpoints.iter().map(|e| e.interval))
            .max()
            .unwrap_or(TimeDelta::seconds(5));
        Self {
            horizon: (slowest * 3).max(TimeDelta::minutes(10)),
            no_samples: blocks.series.is_empty(),
            torn: blocks.torn.clone(),
            runbook,
            records,
            series,
            blocks,
            cache: RefCell::new(HashMap::new()),
            start,
            end,
            markers,
            t0,
        }
    }

    /// The points of the blocks around `at`, per series, in time order, none after `at`.
    fn window(&self, at_ms: i64) -> Vec<Vec<(i64, Value)>> {
        let wanted = self
            .blocks
            .overlapping(at_ms - self.horizon.num_milliseconds(), at_ms);
        let mut cache = self.cache.borrow_mut();
        cache.retain(|i, _| wanted.contains(i));
        let mut per: Vec<Vec<(i64, Value)>> = vec![Vec::new(); self.series.len()];
        for i in wanted {
            let points = cache
                .entry(i)
                .or_insert_with(|| Arc::new(self.blocks.decode(i)))
                .clone();
            for p in points.iter().filter(|p| p.at_ms <= at_ms) {
                if let Some(v) = per.get_mut(p.series as usize) {
                    v.push((p.at_ms, p.value.clone()));
                }
            }
        }
        for v in &mut per {
            v.sort_by_key(|(t, _)| *t);
        }
        per
    }

    /// The console's State at `at`: every record up to it applied, every series' points up
    /// to it observed (the last ones, as many as a sparkline holds).
    pub fn state_at(&self, at: DateTime<Utc>) -> State {
        let mut state = State::new(self.runbook.clone(), self.start);
        for rec in self.records.iter().take_while(|r| r.at <= at) {
            state.now = rec.at;
            state.apply(rec);
        }
        let window = self.window(at.timestamp_millis());
        for (i, kind) in self.series.iter().enumerate() {
            let all = &window[i];
            for (t, value) in &all[all.len().saturating_sub(FED)..] {
                let Some(when) = DateTime::from_timestamp_millis(*t) else {
                    continue;
                };
                state.now = when;
                if let Some(o) = self.observation(*kind, value, &window, *t) {
                    observe::take(&mut state, o);
                }
            }
        }
        state.now = at;
        state
    }

    fn observation(
        &self,
        kind: Series,
        value: &Value,
        window: &[Vec<(i64, Value)>],
        at_ms: i64,
    ) -> Option<Observation> {
        Some(match (kind, value) {
            (Series::Kpi(kpi), Value::Number(v)) => Observation::KpiSample {
                kpi,
                result: Ok(Reading::from(*v)),
            },
            (Series::Kpi(kpi), Value::Text(t)) => Observation::KpiText {
                kpi,
                result: Ok(t.clone()),
            },
            (Series::Kpi(kpi), Value::Missing) => {
                let fault = Fault::new(FaultKind::Failed, "failed (recorded)");
                if self.runbook.kpis.get(kpi)?.text {
                    Observation::KpiText {
                        kpi,
                        result: Err(fault),
                    }
                } else {
                    Observation::KpiSample {
                        kpi,
                        result: Err(fault),
                    }
                }
            }
            (Series::Endpoint(endpoint), Value::Number(code)) => Observation::EndpointProbe {
                endpoint,
                probe: Probe {
                    health: samples::health_of(*code)?,
                    latency: self.latency_at(endpoint, window, at_ms),
                    reason: None,
                },
            },
            _ => return None,
        })
    }

    /// The endpoint's latency recorded with its probe at this time.
    fn latency_at(
        &self,
        endpoint: usize,
        window: &[Vec<(i64, Value)>],
        at_ms: i64,
    ) -> Option<TimeDelta> {
        let i = self
            .series
            .iter()
            .position(|s| *s == Series::Latency(endpoint))?;
        let all = &window[i];
        let k = all.partition_point(|(t, _)| *t < at_ms);
        match all.get(k) {
            Some((t, Value::Number(ms))) if *t == at_ms => {
                Some(TimeDelta::microseconds((ms * 1000.0) as i64))
            }
            _ => None,
        }
    }

    /// The marker before or after `at` (`[` and `]`).
    pub fn marker_near(&self, at: DateTime<Utc>, forward: bool) -> Option<&Marker> {
        if forward {
            self.markers.iter().find(|m| m.at > at)
        } else {
            self.markers.iter().rev().find(|m| m.at < at)
        }
    }

    /// `--at`: an absolute time (`2026-02-08T02:13:00Z`, or `02:13` on the run's day), an
    /// offset from T0 (`T+1h30m`), or an event (`gate:go-no-go`, `step:cutover`,
    /// `rollback`, `alert:error-rate`); refused outside the run, saying its span.
    pub fn parse_at(&self, text: &str) -> Result<DateTime<Utc>, String> {
        let t = text.trim();
        let t0 = self.t0;
        let at = if let Some(offset) = t.strip_prefix("T+").or_else(|| t.strip_prefix("T-")) {
            let d = crate::runbook::time::parse_duration(offset)?;
            if t.starts_with("T-") { t0 - d } else { t0 + d }
        } else if let Some((kind, id)) = t
            .split_once(':')
            .filter(|(k, _)| ["gate", "step", "alert"].contains(k))
        {
            self.event_time(kind, id)
                .ok_or_else(|| format!("no {kind} `{id}` in this run's journal"))?
        } else if t == "rollback" {
            self.markers
                .iter()
                .find(|m| m.kind == MarkerKind::Rollback)
                .map(|m| m.at)
                .ok_or("this run was not rolled back")?
        } else if let Ok(abs) = DateTime::parse_from_rfc3339(t) {
            abs.with_timezone(&Utc)
        } else if let Ok(clock) = chrono::NaiveTime::parse_from_str(t, "%H:%M")
            .or_else(|_| chrono::NaiveTime::parse_from_str(t, "%H:%M:%S"))
        {
            // The clock time on the run's days, the first one within it; written to the
            // minute or second, it stands for the run's first or last moment within that.
            let mut day = self.start.date_naive();
            let at = loop {
                let at = day.and_time(clock).and_utc();
                if at >= self.start - TimeDelta::minutes(1) || day > self.end.date_naive() {
                    break at;
                }
                day = day.succ_opt().ok_or("a date out of range")?;
            };
            let grain = if t.len() <= 5 {
                TimeDelta::minutes(1)
            } else {
                TimeDelta::seconds(1)
            };
            if at < self.start && at + grain > self.start {
                self.start
            } else if at > self.end - grain && at <= self.end + grain {
                self.end
            } else {
                at
            }
        } else {
            return Err(format!(
                "`{t}`: a time is 2026-02-08T02:13:00Z, 02:13, T+1h30m, gate:ID, step:ID, alert:RULE or rollback"
            ));
        };
        if at < self.start || at > self.end {
            return Err(format!(
                "{} is outside the run, which spans {} to {}",
                at.format("%Y-%m-%d %H:%M:%S UTC"),
                self.start.format("%Y-%m-%d %H:%M:%S"),
                self.end.format("%H:%M:%S UTC")
            ));
        }
        Ok(at)
    }

    fn event_time(&self, kind: &str, id: &str) -> Option<DateTime<Utc>> {
        self.records.iter().find_map(|r| match (&r.event, kind) {
            (Event::GateVote { gate, .. }, "gate") if gate == id => Some(r.at),
            (
                Event::RunStarted {
                    target: RunRef::Step(s),
                    ..
                },
                "step",
            ) if s == id => Some(r.at),
            (Event::RuleFiring { rule, .. }, "alert") if rule == id => Some(r.at),
            _ => None,
        })
    }
}

fn series_of(rb: &Runbook, name: &str) -> Series {
    if let Some(id) = name.strip_prefix("kpi:") {
        return rb.kpi_index(id).map_or(Series::Gone, Series::Kpi);
    }
    if let Some(rest) = name.strip_prefix("endpoint:") {
        return match rest.strip_suffix(":latency_ms") {
            Some(id) => rb.endpoint_index(id).map_or(Series::Gone, Series::Latency),
            None => rb
                .endpoint_index(rest)
                .map_or(Series::Gone, Series::Endpoint),
        };
    }
    Series::Gone
}

/// The moments to mark: each step's start, each gate's decision, each alert, the rollback.
fn markers(rb: &Runbook, records: &[Record]) -> Vec<Marker> {
    let mut out = Vec::new();
    for r in records {
        let m = match &r.event {
            Event::RunStarted {
                target: RunRef::Step(s),
                ..
            } => Some((MarkerKind::Step, format!("step {s} started"))),
            Event::RunFinished {
                target: RunRef::Step(s),
                ..
            } => Some((MarkerKind::Step, format!("step {s} ended"))),
            Event::GateVote { gate, decision, .. } => {
                Some((MarkerKind::Gate, format!("gate {gate}: {decision:?}")))
            }
            Event::RuleFiring { rule, .. } => {
                let title = rb
                    .rule_index(rule)
                    .map_or_else(|| rule.clone(), |i| rb.rules[i].summary.clone());
                Some((MarkerKind::Alert, format!("alert: {title}")))
            }
            Event::RunStarted {
                target: RunRef::Rollback,
                ..
            } => Some((MarkerKind::Rollback, "the rollback started".to_owned())),
            Event::RunFinished {
                target: RunRef::Rollback,
                ..
            } => Some((MarkerKind::Rollback, "the rollback ended".to_owned())),
            _ => None,
        };
        if let Some((kind, what)) = m {
            out.push(Marker {
                at: r.at,
                kind,
                what,
            });
        }
    }
    out
}
