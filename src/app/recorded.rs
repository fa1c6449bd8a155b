//! What the journal rebuilds: the parts of State a replay must give back the same.

use super::*;

/// A run as the record knows it: status, attempt, skipped, reasons, verification.
pub type RecordedRun = (
    RunStatus,
    u32,
    (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    Vec<(DateTime<Utc>, String)>,
    Option<Verification>,
    Vec<(DateTime<Utc>, String)>,
);

/// An alert as the record knows it: rule, title, detail, fired, resolved, acknowledged.
pub type RecordedAlert = (
    usize,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<(DateTime<Utc>, String)>,
);

/// See [`State::recorded`].
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub seq: u64,
    pub t0: DateTime<Utc>,
    pub runs: Vec<RecordedRun>,
    pub rollback_reason: Option<String>,
    pub rollback_step: usize,
    pub rollback_awaiting: Option<usize>,
    pub rollback_check: Option<RollbackCheck>,
    pub checks: Vec<Option<DateTime<Utc>>>,
    pub checks_auto: Vec<Option<DateTime<Utc>>>,
    pub baselines: Vec<Option<f64>>,
    pub rules: Vec<RulePhase>,
    pub alerts: Vec<RecordedAlert>,
    pub votes: Vec<Vec<Option<Vote>>>,
    pub silence: Option<SilenceState>,
    pub auto_rollback: Option<(usize, DateTime<Utc>)>,
    pub updates_announced: i64,
    pub incident: Option<Incident>,
    pub communications: Vec<CommunicationState>,
    pub sign_offs: Vec<Option<Signed>>,
    pub closed: Option<(DateTime<Utc>, event::Outcome)>,
    /// Each canary analysis's verdict as recorded.
    pub canaries: Vec<Option<(crate::canary::Verdict, f64, DateTime<Utc>)>>,
    pub window_overrun: Option<DateTime<Utc>>,
}
