//! What the pollers observe: KPI samples and their faults, endpoint probes.

use super::*;

/// Samples kept per KPI for the sparkline and min/max.
pub const HISTORY: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub value: f64,
    /// When it arrived.
    pub at: DateTime<Utc>,
    /// When the source says it was measured (a `/metrics` sample's own timestamp).
    pub measured: Option<DateTime<Utc>>,
}

impl Sample {
    /// How old the value is: since its measurement, when the source gave one, or since
    /// it arrived.
    pub fn since(&self) -> DateTime<Utc> {
        self.measured.map_or(self.at, |m| m.min(self.at))
    }
}

/// Why a poll gave no value, as the gauge shows it: a badge for the kind, a sentence for
/// the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Failed,
    /// The source did not answer in time, or (Prometheus) the query timed out there.
    Timeout,
    /// The value is not a number (NaN): e.g. a ratio over no traffic.
    NotANumber,
    /// The answer had several series where one number was asked for.
    Series,
    /// 401: the source wants credentials, or refused the ones given.
    Unauthorized,
    /// 403: the credentials were accepted and are not allowed this.
    Forbidden,
}

impl FaultKind {
    pub fn badge(self) -> &'static str {
        match self {
            Self::Failed => "ERR",
            Self::Timeout => "TIMEOUT",
            Self::NotANumber => "NaN",
            Self::Series => "SERIES",
            Self::Unauthorized => "unauthorized (401)",
            Self::Forbidden => "forbidden (403)",
        }
    }
}

impl Fault {
    pub fn new(kind: FaultKind, why: impl Into<String>) -> Self {
        Self {
            kind,
            why: why.into(),
        }
    }
}

impl From<String> for Fault {
    fn from(why: String) -> Self {
        Self::new(FaultKind::Failed, why)
    }
}

impl From<&str> for Fault {
    fn from(why: &str) -> Self {
        Self::from(why.to_owned())
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// One poll's value, with the time the source says it was measured, if it said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub measured: Option<DateTime<Utc>>,
}

impl From<f64> for Reading {
    fn from(value: f64) -> Self {
        Self {
            value,
            measured: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct KpiState {
    pub last: Option<Sample>,
    /// The last poll's failure, kept until a poll succeeds.
    pub error: Option<Fault>,
    pub history: VecDeque<f64>,
    /// How many of `history`'s oldest values came from the source's own history (a range
    /// query at start), not from this console's polls: drawn apart, never evaluated.
    pub backfilled: usize,
    /// Why the history could not be had, when it could not.
    pub history_note: Option<String>,
    pub baseline: Option<f64>,
    /// How long its samples are kept whole, with their times, for the canary analyses
    /// that read it (their longest window); none when no analysis reads it.
    pub keep: Option<TimeDelta>,
    pub samples: VecDeque<(DateTime<Utc>, f64)>,
    /// A text KPI's last value.
    pub text: Option<String>,
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
