//! Decisions by people: a gate's votes and a role's sign-off.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Go,
    NoGo,
}

/// One approver's decision, with the evidence on screen when it was recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub decision: Decision,
    /// Cast at the driving console's keyboard (for an approver there, by phone, or for a
    /// role), not handed in by the approver from their own terminal.
    pub by_driver: bool,
    pub at: DateTime<Utc>,
    pub note: String,
    /// The KPIs and open alerts at that moment.
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct GateState {
    /// One entry per approver, in the runbook's order.
    pub votes: Vec<Option<Vote>>,
    /// The runbook's policy for this gate.
    pub policy: crate::runbook::GatePolicy,
    /// The driver's own GO votes do not count (`distinct-from-driver`).
    pub distinct_from_driver: bool,
}

impl GateState {
    /// The GO votes that count: all of them, or with `distinct-from-driver` only those the
    /// approvers handed in themselves.
    pub fn go_count(&self) -> usize {
        self.votes
            .iter()
            .flatten()
            .filter(|v| v.decision == Decision::Go && !(self.distinct_from_driver && v.by_driver))
            .count()
    }

    pub fn is_go(&self) -> bool {
        use crate::runbook::GatePolicy;
        match self.policy {
            GatePolicy::Unanimous => self.go_count() == self.votes.len(),
            GatePolicy::Any => self.go_count() > 0 && !self.is_no_go(),
            GatePolicy::FinalSay(who) => {
                self.decided_by(who) == Some(&Decision::Go)
                    && !(self.distinct_from_driver
                        && self
                            .votes
                            .get(who)
                            .and_then(Option::as_ref)
                            .is_some_and(|v| v.by_driver))
            }
            GatePolicy::Needs(n) => self.go_count() >= n && !self.is_no_go(),
        }
    }

    pub fn is_no_go(&self) -> bool {
        use crate::runbook::GatePolicy;
        match self.policy {
            GatePolicy::FinalSay(who) => self.decided_by(who) == Some(&Decision::NoGo),
            GatePolicy::Unanimous | GatePolicy::Any | GatePolicy::Needs(_) => self
                .votes
                .iter()
                .flatten()
                .any(|v| v.decision == Decision::NoGo),
        }
    }

    fn decided_by(&self, who: usize) -> Option<&Decision> {
        self.votes.get(who)?.as_ref().map(|v| &v.decision)
    }
}

/// A vote an approver handed in from their own terminal (`warroom vote`), as the driver
/// found it: the file, whose it is by the kernel's word (the file's owner), and what it
/// asks, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteFile {
    pub file: String,
    pub user: Result<String, String>,
    pub vote: Result<VoteRequest, String>,
}

/// What a vote file says: which gate, as which approver, GO or NO-GO, the note, and the
/// SSH client the voter came from (`SSH_CONNECTION`'s first word).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    pub gate: String,
    pub approver: String,
    pub decision: super::event::VoteDecision,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub ssh: Option<String>,
}

/// A role's sign-off of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub at: DateTime<Utc>,
    /// `user@host` of the console it was recorded at.
    pub by: String,
    pub note: String,
}
