//! What people are told: alerts (warroom's and the Alertmanager's), the silence, the
//! incident and planned communications.

use super::*;

#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: usize,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub fired: DateTime<Utc>,
    pub resolved: Option<DateTime<Utc>>,
    pub acked: Option<(DateTime<Utc>, String)>,
}

/// One alert the runbook's Alertmanager holds, as its poller reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AmAlert {
    pub name: String,
    pub severity: String,
    pub summary: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub silenced: bool,
    pub inhibited: bool,
}

/// What warroom knows of the runbook's Alertmanager.
#[derive(Debug, Clone, Default)]
pub struct AmState {
    pub alerts: Vec<AmAlert>,
    /// The last poll's failure, kept until a poll succeeds.
    pub error: Option<String>,
    pub polled: Option<DateTime<Utc>>,
    pub silence: SilenceState,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum SilenceState {
    #[default]
    None,
    Creating {
        until: DateTime<Utc>,
    },
    Active {
        id: String,
        until: DateTime<Utc>,
    },
    Failed(String),
}

/// An incident: since when, what started it, and the escalation level it has reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub since: DateTime<Utc>,
    /// `rule error-rate-critical`, or `declared: <the operator's reason>`.
    pub trigger: String,
    /// The escalation level reached (1-based), when the runbook has levels.
    pub level: Option<u8>,
    /// When that level was reached: its response time runs from here.
    pub level_since: DateTime<Utc>,
}

/// A planned communication: when it fell due, when it was sent (the last attempt).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommunicationState {
    pub due: Option<DateTime<Utc>>,
    pub sent: Option<DateTime<Utc>>,
}
