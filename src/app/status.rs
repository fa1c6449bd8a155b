//! How the night stands in the playbook's own words: the plan's facts (how late, what
//! fires, how far past the window), its status levels, and the escalation level they
//! reach. Pure reads of State.

use super::*;
use crate::runbook::status::{Condition, StatusLevel};

/// What an expression reads from the run: KPIs (numbers and texts), baselines, endpoints.
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

    fn text(&self, id: &str) -> Option<Result<String, String>> {
        self.kpi_text(self.runbook.kpi_index(id)?)
    }
}

/// State's facts with the plan's facts in front: what a status or escalation condition
/// reads.
pub struct PlanFacts<'a>(pub &'a State);

impl Facts for PlanFacts<'_> {
    fn kpi(&self, id: &str) -> Result<f64, String> {
        match self.0.plan_fact(id) {
            Some(v) => Ok(v),
            None => self.0.kpi(id),
        }
    }

    fn baseline(&self, id: &str) -> Result<f64, String> {
        self.0.baseline(id)
    }

    fn endpoint(&self, id: &str) -> Result<Health, String> {
        self.0.endpoint(id)
    }

    fn text(&self, id: &str) -> Option<Result<String, String>> {
        if self.0.plan_fact(id).is_some() {
            return None;
        }
        self.0.text(id)
    }
}

impl State {
    /// How far behind its plan the run is: the first step neither done nor running,
    /// against its planned start.
    pub fn lateness(&self) -> TimeDelta {
        let until = self.runbook.window.map(|w| w.end);
        self.runbook
            .steps()
            .enumerate()
            .filter(|(_, (_, s))| until.is_none_or(|u| s.planned.is_none_or(|p| p <= u)))
            .find(|(i, _)| !self.step_done(*i) && !self.steps[*i].status.is_active())
            .and_then(|(_, (_, s))| s.planned)
            .map_or(TimeDelta::zero(), |p| {
                (self.now - (self.t0 + p)).max(TimeDelta::zero())
            })
    }

    /// Firing rules and active Alertmanager alerts (neither silenced nor inhibited) at
    /// exactly this severity.
    pub fn firing(&self, severity: Severity) -> usize {
        let rules = self
            .rules
            .iter()
            .zip(&self.runbook.rules)
            .filter(|(s, r)| s.is_firing() && r.severity == severity)
            .count();
        let word = match severity {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        };
        let am = self.am.as_ref().map_or(0, |am| {
            am.alerts
                .iter()
                .filter(|a| !a.silenced && !a.inhibited && a.severity == word)
                .count()
        });
        rules + am
    }

    /// One of `PLAN_FACTS`, now.
    pub fn plan_fact(&self, name: &str) -> Option<f64> {
        Some(match name {
            "late_minutes" => self.lateness().num_minutes() as f64,
            "firing_warnings" => self.firing(Severity::Warning) as f64,
            "firing_critical" => self.firing(Severity::Critical) as f64,
            "overrun" => self.overrun().num_minutes() as f64,
            _ => return None,
        })
    }

    /// How far the projected finish lies past the deployment window's end (zero without
    /// a window, or with the window's plan done).
    pub fn overrun(&self) -> TimeDelta {
        let Some(w) = self.runbook.window else {
            return TimeDelta::zero();
        };
        if self.window_steps_left() == 0 {
            return TimeDelta::zero();
        }
        let end = self.t0 + w.end;
        let finish = self.projected_finish().unwrap_or(self.now).max(self.now);
        (finish - end).max(TimeDelta::zero())
    }

    pub fn holds(&self, c: &Condition) -> bool {
        crate::rules::eval(&c.expr, &PlanFacts(self)) == crate::rules::Truth::True
    }

    /// The runbook's first status level whose condition holds (one without a condition
    /// always does); none without `[status] levels`, or when none holds.
    pub fn status_level(&self) -> Option<&StatusLevel> {
        self.runbook
            .status_levels
            .iter()
            .find(|l| l.when.as_ref().is_none_or(|c| self.holds(c)))
    }

    /// The escalation level the incident has come to now: by its age, or the highest
    /// whose condition holds, whichever is higher.
    pub fn escalation_due(&self) -> Option<u8> {
        let incident = self.incident.as_ref()?;
        let by_age = self.runbook.escalation_level(self.now - incident.since);
        let by_condition = self
            .runbook
            .escalation
            .iter()
            .rposition(|l| l.when.as_ref().is_some_and(|c| self.holds(c)))
            .and_then(|i| u8::try_from(i + 1).ok());
        by_age.max(by_condition)
    }

    /// The incident's level's response time: how long is left to answer (negative:
    /// overdue), counted from when the level was reached.
    pub fn response_left(&self) -> Option<TimeDelta> {
        let incident = self.incident.as_ref()?;
        let level = self
            .runbook
            .escalation
            .get(usize::from(incident.level?).checked_sub(1)?)?;
        Some(incident.level_since + level.respond_within? - self.now)
    }
}
