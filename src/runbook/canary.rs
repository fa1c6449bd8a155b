//! `[[canary]]` as the runbook states it: an analysis's thresholds and metrics
//! (`crate::canary::Spec`), its window, and where each metric's samples come from.

use chrono::TimeDelta;

/// A canary analysis a gate can show as evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct CanaryAnalysis {
    pub id: String,
    /// How far back the samples go (default 10m).
    pub window: TimeDelta,
    /// A FAIL holds the gate that shows it, as a holding rule does.
    pub holding: bool,
    pub spec: crate::canary::Spec,
    /// Per metric, in the spec's order: the KPIs it reads.
    pub sources: Vec<CanarySource>,
    /// Per metric: judged on one Prometheus `query_range` per side over the window
    /// (`query-range = true`), not on the console's own samples.
    pub ranged: Vec<bool>,
}

/// Which side of an analysis a KPI is read for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    Baseline,
    Canary,
}

impl CanaryAnalysis {
    /// What the judge takes, given how to read a KPI's values over the window in time
    /// order: `read(side, kpi, counterpart)`, the counterpart being the other side's KPI
    /// for the same metric (a recorded night may name it either way). Counters give their
    /// increase over the window.
    pub fn inputs(&self, read: impl Fn(Of, &str, &str) -> Vec<f64>) -> Vec<crate::canary::Input> {
        use crate::canary::Input;
        let increase = |v: Vec<f64>| match (v.first(), v.last()) {
            (Some(a), Some(z)) if v.len() > 1 => (z - a).max(0.0),
            _ => f64::NAN,
        };
        self.sources
            .iter()
            .map(|src| match src {
                CanarySource::Samples { baseline, canary } => Input::Samples {
                    baseline: read(Of::Baseline, baseline, canary),
                    canary: read(Of::Canary, canary, baseline),
                },
                CanarySource::Counts {
                    baseline,
                    baseline_total,
                    canary,
                    canary_total,
                } => Input::Counts {
                    baseline: (
                        increase(read(Of::Baseline, baseline, canary)),
                        increase(read(Of::Baseline, baseline_total, canary_total)),
                    ),
                    canary: (
                        increase(read(Of::Canary, canary, baseline)),
                        increase(read(Of::Canary, canary_total, baseline_total)),
                    ),
                },
            })
            .collect()
    }
}

/// Where a metric's two sides come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CanarySource {
    /// Each KPI's own samples over the window.
    Samples { baseline: String, canary: String },
    /// Events out of a total on each side (`kind = "proportion"`): each KPI's increase
    /// over the window, as counters grow.
    Counts {
        baseline: String,
        baseline_total: String,
        canary: String,
        canary_total: String,
    },
}

impl CanarySource {
    /// The KPIs it reads, baseline first.
    pub fn kpis(&self) -> Vec<&str> {
        match self {
            Self::Samples { baseline, canary } => vec![baseline, canary],
            Self::Counts {
                baseline,
                baseline_total,
                canary,
                canary_total,
            } => vec![baseline, baseline_total, canary, canary_total],
        }
    }
}
