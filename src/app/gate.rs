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

/// What holds a gate closed whatever the votes: a holding rule (by index), or a holding
/// canary analysis's FAIL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Rule(usize),
    Canary(usize),
}

impl State {
    /// The holder's name, as the timeline and the guards say it.
    pub fn hold_name(&self, hold: Hold) -> String {
        match hold {
            Hold::Rule(r) => self.runbook.rules[r].id.clone(),
            Hold::Canary(c) => format!("canary {}", self.runbook.canaries[c].id),
        }
    }
}

impl State {
    /// The gate that holds step `i`, if it is not open yet (not GO, or held by a rule).
    pub fn blocking_gate(&self, i: usize) -> Option<usize> {
        self.runbook.gates.iter().enumerate().find_map(|(gi, g)| {
            let from = self.runbook.step_index(&g.before)?;
            (from <= i && !self.gate_open(gi)).then_some(gi)
        })
    }

    /// A gate is open when its votes say GO and none of its holding rules holds it.
    pub fn gate_open(&self, gi: usize) -> bool {
        self.gates.get(gi).is_some_and(GateState::is_go) && self.gate_held_by(gi).is_none()
    }

    /// The rule that keeps gate `gi` closed now, whatever the votes: one of its
    /// `holding-rules` firing, or pending where the rule says `hold-while-pending`. A gate
    /// is a decision point: once its step has started (or was done or skipped), it is
    /// passed, and a rule firing later proposes the rollback instead.
    pub fn gate_held_by(&self, gi: usize) -> Option<Hold> {
        let gate = self.runbook.gates.get(gi)?;
        let passed = self.runbook.step_index(&gate.before).is_some_and(|i| {
            let run = &self.steps[i];
            run.status != RunStatus::Waiting || run.done_by_hand.is_some() || run.skipped.is_some()
        });
        if passed {
            return None;
        }
        let rule = gate.holding_rules.iter().find_map(|id| {
            let r = self.runbook.rule_index(id)?;
            let holds = match self.rules[r].phase {
                RulePhase::Firing { .. } => true,
                RulePhase::Pending { .. } => self.runbook.rules[r].hold_while_pending,
                RulePhase::Inactive => false,
            };
            holds.then_some(Hold::Rule(r))
        });
        // A holding canary's recorded FAIL holds it too (INCONCLUSIVE never does).
        rule.or_else(|| {
            let c = self.gate_canary(gi)?;
            let failed = matches!(
                self.canaries[c].verdict,
                Some((crate::canary::Verdict::Fail, ..))
            );
            (self.runbook.canaries[c].holding && failed).then_some(Hold::Canary(c))
        })
    }
}
