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
    /// The record it is: a signature over an older head cannot replace it.
    pub seq: u64,
    /// The fingerprint of the key that signed it, when it was signed.
    pub signed: Option<String>,
    pub note: String,
    /// The KPIs and open alerts the voter was shown.
    pub evidence: Vec<String>,
}

impl Vote {
    /// Whether this GO may open its gate: not the driver's own under
    /// `distinct-from-driver`, and signed when the approver must sign.
    fn opens(&self, distinct_from_driver: bool, must_sign: bool) -> bool {
        self.decision == Decision::Go
            && !(distinct_from_driver && self.by_driver)
            && !(must_sign && self.signed.is_none())
    }
}

#[derive(Debug, Clone)]
pub struct GateState {
    /// One entry per approver, in the runbook's order.
    pub votes: Vec<Option<Vote>>,
    /// The runbook's policy for this gate.
    pub policy: crate::runbook::GatePolicy,
    /// The driver's own GO votes do not count (`distinct-from-driver`).
    pub distinct_from_driver: bool,
    /// Per approver: only their signed GO counts (`signed = true`).
    pub must_sign: Vec<bool>,
}

impl GateState {
    /// Whether approver `i`'s vote is a GO that counts (see [`Vote::opens`]).
    pub fn counts(&self, i: usize) -> bool {
        self.votes.get(i).and_then(Option::as_ref).is_some_and(|v| {
            v.opens(
                self.distinct_from_driver,
                self.must_sign.get(i).copied().unwrap_or(false),
            )
        })
    }

    /// The GO votes that count: all of them, but the driver's own under
    /// `distinct-from-driver` and unsigned ones of approvers who must sign.
    pub fn go_count(&self) -> usize {
        (0..self.votes.len()).filter(|i| self.counts(*i)).count()
    }

    pub fn is_go(&self) -> bool {
        use crate::runbook::GatePolicy;
        match self.policy {
            GatePolicy::Unanimous => self.go_count() == self.votes.len(),
            GatePolicy::Any => self.go_count() > 0 && !self.is_no_go(),
            GatePolicy::FinalSay(who) => self.counts(who),
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
    /// The record whose hash is the head the vote names, found by the driver's console in
    /// its journal; else why not (another run's, or no head this journal had).
    pub seen: Result<u64, String>,
}

/// What a vote file says: which gate, as which approver, GO or NO-GO, the note, the SSH
/// client the voter came from (`SSH_CONNECTION`'s first word), what they were shown and
/// when (the run and the journal head they had read), and their signature over it.
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
    /// The run's id: the SHA-256 of its journal's first line, in hex.
    pub run: String,
    /// The journal's head when the voter decided.
    pub head: String,
    #[serde(default)]
    pub evidence: Vec<String>,
    /// An SSHSIG over [`VoteRequest::ballot`], armored; none when not signed.
    #[serde(default)]
    pub signature: Option<String>,
    /// The fingerprint of the key the voter signed with, as they chose it.
    #[serde(default)]
    pub key: Option<String>,
}

impl VoteRequest {
    /// What a signature over this vote covers.
    pub fn ballot<'a>(&'a self, evidence: &'a str) -> crate::signing::Ballot<'a> {
        crate::signing::Ballot {
            run: &self.run,
            gate: &self.gate,
            approver: &self.approver,
            decision: self.decision.word(),
            note: &self.note,
            evidence,
            head: &self.head,
        }
    }
}

/// A role's sign-off of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub at: DateTime<Utc>,
    /// `user@host` of the console it was recorded at.
    pub by: String,
    pub note: String,
}
