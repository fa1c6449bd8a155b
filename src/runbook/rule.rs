//! Rules: an expression held for a while, its severity, scope, and what it does.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    None,
    ProposeRollback,
    AutoRollback { grace: TimeDelta },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    Immediate,
    Urgent,
    Conditional,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub expr: Expr,
    pub source: String,
    pub for_: TimeDelta,
    pub keep_firing_for: TimeDelta,
    pub resolve: Option<Expr>,
    pub severity: Severity,
    pub summary: String,
    pub action: RuleAction,
    pub tier: Option<Tier>,
    pub decide_within: Option<TimeDelta>,
    pub authority: Option<String>,
    pub no_data: NoData,
    /// When the rule watches; outside it, it neither pends nor fires.
    pub scope: RuleScope,
    /// A gate it holds stays closed while it is pending too, not only firing.
    pub hold_while_pending: bool,
}

/// The moment a rule belongs to, so it does not fire all night.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RuleScope {
    /// The whole run.
    #[default]
    Always,
    /// While the phase (by id) is the current one.
    During(String),
    /// From when the step (by id) finished, for `window` (or to the end).
    After {
        step: String,
        window: Option<TimeDelta>,
    },
}

/// What a rule does when its expression has no data (a source down, a KPI stale).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoData {
    /// Nothing changes: a firing rule stays firing, a pending one starts over (the default:
    /// silence is not a recovery).
    #[default]
    Keep,
    /// No data counts as the condition not holding, as in Prometheus, where an alert whose
    /// series vanish resolves (after `keep-firing-for`).
    Resolve,
    /// No data is itself a breach.
    Alert,
}
