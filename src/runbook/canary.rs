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
