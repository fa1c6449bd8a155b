//! A gate's canary verdict: the samples each analysis reads, kept whole over its window,
//! the judgement made from them each minute while the gate waits, and the verdict as the
//! record holds it (which is what holds a gate, so a replay holds it again).

use super::*;
use crate::canary::{Input, Judgement, Verdict};
use crate::runbook::canary::CanarySource;

/// One `[[canary]]`'s state.
#[derive(Debug, Clone, Default)]
pub struct CanaryState {
    /// The verdict as recorded (`CanaryJudged`): class, score, and since when.
    pub verdict: Option<(Verdict, f64, DateTime<Utc>)>,
    /// The last judgement, metric by metric (observed, not recorded).
    pub judgement: Option<Judgement>,
    pub judged_at: Option<DateTime<Utc>>,
}

impl State {
    /// How long each KPI's samples are kept whole: the longest window of the analyses
    /// that read it.
    pub(super) fn canary_keeps(runbook: &Runbook) -> Vec<Option<TimeDelta>> {
        let mut keep = vec![None::<TimeDelta>; runbook.kpis.len()];
        for c in &runbook.canaries {
            for kpi in c.sources.iter().flat_map(CanarySource::kpis) {
                if let Some(i) = runbook.kpi_index(kpi) {
                    keep[i] = Some(keep[i].map_or(c.window, |k| k.max(c.window)));
                }
            }
        }
        keep
    }

    /// The analysis gate `gi` shows, by index.
    pub fn gate_canary(&self, gi: usize) -> Option<usize> {
        let id = self.runbook.gates.get(gi)?.canary.as_deref()?;
        self.runbook.canaries.iter().position(|c| c.id == id)
    }

    /// What analysis `c` judges now: each metric's samples over its window, or each
    /// counter's increase over it.
    pub fn canary_inputs(&self, c: usize) -> Vec<Input> {
        let analysis = &self.runbook.canaries[c];
        let since = self.now - analysis.window;
        analysis.inputs(|_, kpi, _| {
            self.runbook
                .kpi_index(kpi)
                .map(|i| {
                    self.kpis[i]
                        .samples
                        .iter()
                        .filter(|(t, _)| *t >= since)
                        .map(|(_, v)| *v)
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Whether analysis `c` is still evidence: a gate that shows it waits (undecided, its
    /// step not started).
    pub(super) fn canary_wanted(&self, c: usize) -> bool {
        let id = &self.runbook.canaries[c].id;
        self.runbook.gates.iter().enumerate().any(|(gi, g)| {
            g.canary.as_deref() == Some(id.as_str())
                && !self.gates[gi].is_go()
                && !self.gates[gi].is_no_go()
                && self
                    .runbook
                    .step_index(&g.before)
                    .is_some_and(|i| self.steps[i].status == RunStatus::Waiting)
        })
    }

    /// The gate's canary verdict as a vote is cast under it.
    pub fn canary_evidence(&self, gi: usize) -> Option<event::CanaryEvidence> {
        let c = self.gate_canary(gi)?;
        let j = self.canaries[c].judgement.as_ref()?;
        Some(event::CanaryEvidence {
            canary: self.runbook.canaries[c].id.clone(),
            verdict: j.verdict,
            score: j.score,
            metrics: j.metrics.iter().map(|m| m.why.clone()).collect(),
        })
    }
}
