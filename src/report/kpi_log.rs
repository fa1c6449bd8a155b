//! The compact KPI history a report needs without Prometheus: per KPI and per minute, the
//! count, min, average, max and last value, one JSON line each in `kpis.jsonl`. The driver
//! console appends a minute when it is over (and the current one when it leaves); samples
//! are observations, so this file is not part of the journal.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::KpiReport;
use crate::runbook::Kpi;

pub const FILE: &str = "kpis.jsonl";

/// The name an endpoint's probes go under (1 up, 0 not), beside the KPIs' ids: a KPI id
/// cannot hold a colon.
pub fn endpoint_key(id: &str) -> String {
    format!("endpoint:{id}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteLine {
    pub minute: DateTime<Utc>,
    pub kpi: String,
    pub n: u32,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
    pub last: f64,
}

/// One minute of one KPI, as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minute {
    pub at: DateTime<Utc>,
    pub min: f64,
    pub avg: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Copy)]
struct Acc {
    n: u32,
    sum: f64,
    min: f64,
    max: f64,
    last: f64,
}

/// Accumulates the current minute's samples.
#[derive(Debug, Default)]
pub struct MinuteLog {
    minute: Option<DateTime<Utc>>,
    acc: BTreeMap<String, Acc>,
}

fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::minutes(1)).unwrap_or(t)
}

impl MinuteLog {
    /// A sample at `at`; the lines of a minute that just ended come back, to append.
    pub fn observe(&mut self, kpi: &str, value: f64, at: DateTime<Utc>) -> Vec<MinuteLine> {
        let done = self.roll(at);
        if value.is_finite() {
            self.acc
                .entry(kpi.to_owned())
                .and_modify(|a| {
                    a.n += 1;
                    a.sum += value;
                    a.min = a.min.min(value);
                    a.max = a.max.max(value);
                    a.last = value;
                })
                .or_insert(Acc {
                    n: 1,
                    sum: value,
                    min: value,
                    max: value,
                    last: value,
                });
        }
        done
    }

    /// The lines of the minute before `now`, if it is over.
    pub fn roll(&mut self, now: DateTime<Utc>) -> Vec<MinuteLine> {
        let m = minute_of(now);
        match self.minute {
            Some(cur) if cur == m => Vec::new(),
            _ => {
                let out = self.drain();
                self.minute = Some(m);
                out
            }
        }
    }

    /// Everything held, for the console leaving.
    pub fn drain(&mut self) -> Vec<MinuteLine> {
        let Some(minute) = self.minute else {
            return Vec::new();
        };
        std::mem::take(&mut self.acc)
            .into_iter()
            .map(|(kpi, a)| MinuteLine {
                minute,
                kpi,
                n: a.n,
                min: a.min,
                avg: a.sum / f64::from(a.n.max(1)),
                max: a.max,
                last: a.last,
            })
            .collect()
    }
}

/// Appends lines to `kpis.jsonl` (a failure loses a summary, never a decision: logged).
pub fn append(path: &Path, lines: &[MinuteLine]) {
    if lines.is_empty() {
        return;
    }
    let mut buf = Vec::new();
    for l in lines {
        if let Ok(mut b) = serde_json::to_vec(l) {
            b.push(b'\n');
            buf.extend(b);
        }
    }
    let r = crate::durable::create(path, std::fs::OpenOptions::new().append(true))
        .and_then(|mut f| f.write_all(&buf));
    if let Err(e) = r {
        tracing::warn!(error = %e, "could not append the KPI summary");
    }
}

/// Reads `kpis.jsonl`; lines that do not parse (a torn last one) are skipped.
pub fn read(path: &Path) -> Vec<MinuteLine> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// One KPI over the whole run: min, weighted average, max, last, and its minutes.
pub fn summarize(kpi: &Kpi, lines: &[MinuteLine]) -> KpiReport {
    let mine: Vec<&MinuteLine> = lines.iter().filter(|l| l.kpi == kpi.id).collect();
    let n: u32 = mine.iter().map(|l| l.n).sum();
    let t = kpi.thresholds;
    KpiReport {
        id: kpi.id.clone(),
        label: kpi.label.clone(),
        unit: kpi.unit.clone(),
        min: mine.iter().map(|l| l.min).reduce(f64::min),
        avg: (n > 0)
            .then(|| mine.iter().map(|l| l.avg * f64::from(l.n)).sum::<f64>() / f64::from(n)),
        max: mine.iter().map(|l| l.max).reduce(f64::max),
        last: mine.last().map(|l| l.last),
        target: t.and_then(|t| t.target),
        warning: t.and_then(|t| t.warning),
        critical: t.and_then(|t| t.critical),
        minutes: mine
            .iter()
            .map(|l| Minute {
                at: l.minute,
                min: l.min,
                avg: l.avg,
                max: l.max,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap() // a whole minute
    }

    #[test]
    fn a_minute_is_summed_up_when_the_next_begins() {
        let mut log = MinuteLog::default();
        assert!(log.observe("x", 1.0, at(0)).is_empty());
        assert!(log.observe("x", 3.0, at(30)).is_empty());
        assert!(log.observe("x", f64::NAN, at(40)).is_empty());
        let done = log.observe("x", 10.0, at(61));
        assert_eq!(done.len(), 1);
        let l = &done[0];
        assert_eq!((l.n, l.min, l.avg, l.max, l.last), (2, 1.0, 2.0, 3.0, 3.0));
        assert_eq!(l.minute, at(0));
        let rest = log.drain();
        assert_eq!(rest[0].minute, at(60));
        assert_eq!(rest[0].last, 10.0);
    }
}
