//! `[[summary]]` in the report: each target against the actual over its stretch of the
//! run, from the per-minute KPI and probe summaries (`kpis.jsonl`) or the actuals entered
//! by hand (journaled).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::kpi_log::{MinuteLine, endpoint_key};
use crate::app::State;
use crate::runbook::summary::{Aggregate, Measure, Summary};
use crate::samples::{Blocks, Value};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetReport {
    pub id: String,
    pub title: String,
    /// What is measured over which stretch, in words.
    pub measure: String,
    /// `< 1`.
    pub target: String,
    pub actual: Option<f64>,
    pub unit: Option<String>,
    /// `met`, `missed`, `no data`, or `so far` words when the stretch is not over.
    pub verdict: String,
    /// Minutes of the stretch with data, and the minutes it spans (up to the last record
    /// when it is not over).
    pub minutes_with_data: usize,
    pub minutes: i64,
}

impl TargetReport {
    fn unit_suffix(&self) -> String {
        self.unit
            .as_deref()
            .map(|u| format!(" {u}"))
            .unwrap_or_default()
    }

    /// `< 1 %`.
    pub fn target_words(&self) -> String {
        format!("{}{}", self.target, self.unit_suffix())
    }

    /// `0.43 %`, or `-` without data.
    pub fn actual_words(&self) -> String {
        self.actual.map_or_else(
            || "-".to_owned(),
            |a| {
                format!(
                    "{}{}",
                    crate::runbook::number::format_value(a),
                    self.unit_suffix()
                )
            },
        )
    }
}

/// Every summary, judged on what the run recorded up to `last`.
pub fn targets(
    state: &State,
    minutes: &[MinuteLine],
    samples: Option<&Blocks>,
    last: DateTime<Utc>,
) -> Vec<TargetReport> {
    state
        .runbook
        .summaries
        .iter()
        .map(|s| target(state, s, (minutes, samples), last))
        .collect()
}

/// A series' numbers in `[start, end)` from the recorded samples, and the minutes they
/// fall in; none when the run recorded no such series.
fn sampled(
    blocks: &Blocks,
    name: &str,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
) -> Option<(Vec<f64>, usize)> {
    let series = u32::try_from(blocks.series.iter().position(|s| s == name)?).ok()?;
    let (from, to) = (
        start.timestamp_millis(),
        end.map_or(i64::MAX, |e| e.timestamp_millis()),
    );
    let mut values = Vec::new();
    let mut minutes = std::collections::BTreeSet::new();
    for i in blocks.overlapping(from, to) {
        for p in blocks.decode(i) {
            if p.series == series
                && p.at_ms >= from
                && p.at_ms < to
                && let Value::Number(v) = p.value
            {
                values.push(v);
                minutes.insert(p.at_ms.div_euclid(60_000));
            }
        }
    }
    Some((values, minutes.len()))
}

fn target(
    state: &State,
    s: &Summary,
    (lines, samples): (&[MinuteLine], Option<&Blocks>),
    last: DateTime<Utc>,
) -> TargetReport {
    let stretch = |from: TimeDelta, for_: Option<TimeDelta>| {
        let start = state.t0 + from;
        let end = for_.map(|f| start + f);
        (start, end)
    };
    let pick = |key: &str, start: DateTime<Utc>, end: Option<DateTime<Utc>>| -> Vec<&MinuteLine> {
        lines
            .iter()
            .filter(|l| l.kpi == key && l.minute >= start && end.is_none_or(|e| l.minute < e))
            .collect()
    };
    let (actual, unit, with_data, span_end, start) = match &s.of {
        Measure::Kpi {
            kpi,
            aggregate,
            from,
            for_,
        } => {
            let (start, end) = stretch(*from, *for_);
            let mine = pick(kpi, start, end);
            let unit = state
                .runbook
                .kpi_index(kpi)
                .map(|i| state.runbook.kpis[i].unit.clone())
                .filter(|u| !u.is_empty());
            (
                aggregate_of(*aggregate, &mine),
                unit,
                mine.len(),
                end,
                Some(start),
            )
        }
        Measure::Availability {
            endpoint,
            from,
            for_,
        } => {
            let (start, end) = stretch(*from, *for_);
            let series = crate::samples::endpoint_series(endpoint);
            match samples.and_then(|b| sampled(b, &series, start, end)) {
                Some((codes, minutes)) => {
                    let up = codes
                        .iter()
                        .filter(|c| {
                            crate::samples::health_of(**c) == Some(crate::runbook::Health::Up)
                        })
                        .count();
                    let share = (!codes.is_empty()).then(|| up as f64 * 100.0 / codes.len() as f64);
                    (share, Some("%".to_owned()), minutes, end, Some(start))
                }
                None => {
                    let mine = pick(&endpoint_key(endpoint), start, end);
                    let up = aggregate_of(Aggregate::Avg, &mine).map(|share| share * 100.0);
                    (up, Some("%".to_owned()), mine.len(), end, Some(start))
                }
            }
        }
        Measure::Recorded { id } => {
            let unit = state
                .runbook
                .steps()
                .find_map(|(_, st)| st.record.as_ref().filter(|r| r.id == *id))
                .and_then(|r| r.unit.clone());
            let actual = state.actuals.get(id).map(|(v, _)| *v);
            (actual, unit, usize::from(actual.is_some()), None, None)
        }
    };
    let minutes = match start {
        Some(start) => {
            let end = span_end.map_or(last, |e| e.min(last));
            (end - start).num_minutes().max(0)
        }
        None => 0,
    };
    let over = span_end.is_none_or(|e| e <= last);
    let verdict = match actual {
        None => "no data".to_owned(),
        Some(a) => {
            let word = if s.target.met_by(a) { "met" } else { "missed" };
            if over {
                word.to_owned()
            } else {
                format!("{word} so far")
            }
        }
    };
    TargetReport {
        id: s.id.clone(),
        title: s.title.clone(),
        measure: s.describe(),
        target: s.target.to_string(),
        actual,
        unit,
        verdict,
        minutes_with_data: with_data,
        minutes,
    }
}

/// The aggregate over minute summaries (an older run, without its samples): the average
/// weighted by samples, the extremes of the minutes' extremes, the last sample; p95 is of
/// the minutes' averages.
fn aggregate_of(a: Aggregate, mine: &[&MinuteLine]) -> Option<f64> {
    if mine.is_empty() {
        return None;
    }
    match a {
        Aggregate::Avg => {
            let n: u32 = mine.iter().map(|l| l.n).sum();
            (n > 0).then(|| mine.iter().map(|l| l.avg * f64::from(l.n)).sum::<f64>() / f64::from(n))
        }
        Aggregate::Min => mine.iter().map(|l| l.min).reduce(f64::min),
        Aggregate::Max => mine.iter().map(|l| l.max).reduce(f64::max),
        Aggregate::Last => mine.last().map(|l| l.last),
        Aggregate::P95 => {
            let avgs: Vec<f64> = mine.iter().map(|l| l.avg).collect();
            Aggregate::P95.of(&avgs)
        }
    }
}
