//! Domain events: what was decided and what happened, as data. `update` emits them,
//! the journal stores them, and `apply` is the only code that changes the recorded part
//! of `State`, so replaying a journal rebuilds exactly the state that wrote it.
//!
//! Events name things by their runbook ids (steps, gates, checks, rules, KPIs), never by
//! position, so a record stays readable on its own and survives a reordered runbook.
//! `State::apply`, the one place they change State, is in `apply.rs`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Decision;
use super::guard::Guard;

/// The journal's schema version, carried by every record (docs/journal.md): 2 since each
/// line links to the one before it (`prev`); a schema 1 journal reads as unchained.
pub const SCHEMA: u32 = 2;

/// Who acted: the OS user, the host, and the SSH client's address when there is one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Operator {
    pub user: String,
    pub host: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
}

impl Operator {
    /// This process's operator, from the OS and `SSH_CLIENT`/`SSH_CONNECTION`.
    pub fn current() -> Self {
        let uid = nix::unistd::getuid();
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| format!("uid {uid}"));
        let host = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown-host".to_owned());
        let ssh = ["SSH_CLIENT", "SSH_CONNECTION"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .and_then(|s| s.split_whitespace().next().map(str::to_owned));
        Self { user, host, ssh }
    }
}

impl Operator {
    /// `user@host`, as records and reports name who did something.
    pub fn at_host(&self) -> String {
        format!("{}@{}", self.user, self.host)
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.at_host())?;
        if let Some(ssh) = &self.ssh {
            write!(f, " (ssh from {ssh})")?;
        }
        Ok(())
    }
}

/// One journal record: an event with its sequence number, time, author and schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub v: u32,
    /// 1 for the first record, then one more per record, without gaps.
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub by: Operator,
    pub event: Event,
}

impl Record {
    /// A record of the current schema.
    pub fn new(seq: u64, at: DateTime<Utc>, by: Operator, event: Event) -> Self {
        Self {
            v: SCHEMA,
            seq,
            at,
            by,
            event,
        }
    }
}

/// The SHA-256 of the runbook a journal's records say the run now follows: the opening
/// record's, or that of the last accepted change.
pub fn runbook_sha(records: &[Record]) -> Option<&str> {
    records.iter().rev().find_map(|r| match &r.event {
        Event::RunbookChanged { to_sha256, .. } => Some(to_sha256.as_str()),
        Event::RunOpened { sha256, .. } => Some(sha256.as_str()),
        _ => None,
    })
}

/// What a run is for, by name: a step id, or the rollback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunRef {
    Step(String),
    Rollback,
    /// The rollback's read-only preview.
    RollbackPreview,
}

/// How a step's process ended, as its supervisor wrote it in `exit.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    /// `timeout`, `cancelled`, or why it could not start.
    pub reason: Option<String>,
    pub seconds: f64,
}

impl Exit {
    pub fn result(&self) -> Result<(), String> {
        match (self.code, self.signal, &self.reason) {
            (Some(0), _, None) => Ok(()),
            (_, _, Some(r)) => Err(r.clone()),
            (Some(c), _, None) => Err(format!("exit status {c}")),
            (None, Some(s), None) => Err(format!("killed by signal {s}")),
            (None, None, None) => Err("ended without a status".into()),
        }
    }

    /// A plain exit with this status.
    pub fn with_code(code: i32) -> Self {
        Self {
            code: Some(code),
            signal: None,
            reason: None,
            seconds: 0.0,
        }
    }

    /// A run that never got a process (the executor could not start it).
    pub fn not_started(why: String) -> Self {
        Self {
            code: None,
            signal: None,
            reason: Some(why),
            seconds: 0.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The first record of every journal: which runbook, exactly, and the run's T0.
    RunOpened {
        runbook: String,
        path: String,
        /// SHA-256 of the runbook file as loaded.
        sha256: String,
        t0: DateTime<Utc>,
    },
    /// A console took the driver's seat (at the start, and at every resume).
    DriverAttached {
        pid: u32,
        resumed: bool,
    },
    /// The driving console left on purpose (`q`, or its terminal went away); a console
    /// that was killed leaves no such record.
    DriverDetached {
        why: String,
    },
    /// The runbook file changed since the journal began and the operator chose to go on.
    RunbookChanged {
        from_sha256: String,
        to_sha256: String,
    },
    /// The driver's seat passed from one operator to another.
    Handover {
        from: Operator,
        to: Operator,
    },
    T0Set {
        t0: DateTime<Utc>,
    },
    /// Durable before the process starts: a run is started at most once per attempt.
    RunStarted {
        target: RunRef,
        attempt: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The guards that stood when it started (soft ones confirmed, hard ones overridden).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        guards: Vec<Guard>,
    },
    /// The operator passed hard guards by typing the run's id and a reason.
    GuardOverridden {
        target: RunRef,
        guards: Vec<Guard>,
        reason: String,
    },
    RunFinished {
        target: RunRef,
        attempt: u32,
        exit: Exit,
    },
    /// On resume, a run with neither an exit status nor a live supervisor: never success.
    RunLost {
        target: RunRef,
        attempt: u32,
    },
    CancelRequested {
        target: RunRef,
    },
    StepRetried {
        step: String,
        reason: String,
    },
    /// A step without a command, marked done by the operator (`Enter`, `y`).
    StepDoneByHand {
        step: String,
    },
    StepSkipped {
        step: String,
        reason: String,
    },
    VerifyPassed {
        step: String,
    },
    VerifyFailed {
        step: String,
        why: String,
    },
    GateVote {
        gate: String,
        approver: String,
        decision: VoteDecision,
        note: String,
        /// What the voter was shown: the KPIs and open alerts.
        evidence: Vec<String>,
        /// The approver's SSH signature over the vote, when they signed it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<VoteSignature>,
        /// The gate's canary verdict the vote was cast under, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        canary: Option<CanaryEvidence>,
    },
    CheckTicked {
        check: String,
        ticked: bool,
    },
    /// An automatic checklist item's expression began (or stopped) holding.
    CheckAuto {
        check: String,
        holds: bool,
    },
    /// `alert` is the alert's number in the run: 0 for the first that fired.
    AlertAcked {
        alert: usize,
        reason: String,
    },
    BaselineCaptured {
        values: BTreeMap<String, f64>,
    },
    RulePending {
        rule: String,
        values: Readings,
    },
    RuleFiring {
        rule: String,
        values: Readings,
    },
    RuleResolved {
        rule: String,
        values: Readings,
    },
    /// A pending rule whose condition stopped holding before its `for` elapsed.
    RuleReset {
        rule: String,
    },
    /// The deployment window closed with steps of its plan still to do.
    WindowOverrun {
        steps_left: usize,
    },
    /// A `[[canary]]`'s verdict, first given or changed (its class): journaled so the gate
    /// it holds is held again on replay, and the report can say when it changed.
    CanaryJudged {
        canary: String,
        verdict: crate::canary::Verdict,
        score: f64,
        why: String,
    },
    AutoRollbackCancelled {
        rule: String,
    },
    /// The rule behind an automatic rollback resolved during the countdown.
    AutoRollbackCalledOff {
        rule: String,
    },
    SilenceRequested {
        until: DateTime<Utc>,
    },
    SilenceCreated {
        id: String,
        until: DateTime<Utc>,
    },
    SilenceFailed {
        why: String,
    },
    StatusUpdateDue {
        n: i64,
        message: String,
    },
    /// The operator sends a status update with this text (before it goes out).
    StatusUpdateSending {
        text: String,
        /// Where it goes: the runbook's channel, or `none` without a webhook.
        to: String,
        /// The planned communication it is (by index), if one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        communication: Option<usize>,
    },
    /// A planned communication's time came.
    CommunicationDue {
        index: usize,
        audience: String,
    },
    /// (Journals before channels: the one webhook took it.)
    StatusUpdateSent,
    StatusUpdateFailed {
        why: String,
    },
    /// The operator entered an actual by hand for a step's `record`.
    ActualRecorded {
        step: String,
        id: String,
        value: f64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
    },
    /// A channel's answer to the message last sent: taken (`error` none), or why not.
    StatusUpdateDelivered {
        channel: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The rollback procedure's step before this one succeeded: this one starts.
    RollbackStepStarted {
        step: String,
    },
    /// The procedure pauses before this step: its `confirm` asks the operator.
    RollbackStepAwaiting {
        step: String,
    },
    /// The rollback's success criteria held (`[rollback] success`).
    RollbackCriteriaMet,
    /// They did not hold in time.
    RollbackCriteriaNotMet {
        why: String,
    },
    /// A role signs the run off against its criteria (`[close] sign-off`).
    SignedOff {
        role: String,
        note: String,
    },
    /// The run is closed with its outcome; nothing more acts on it.
    RunClosed {
        outcome: Outcome,
    },
    /// A vote handed in from a terminal (`warroom vote`) that was not counted, and why.
    VoteRefused {
        file: String,
        user: String,
        why: String,
    },
    /// The journal's head after a vote or the close: how many records it held and the
    /// SHA-256 of the last one, also posted to the status webhook, a witness outside the
    /// host that `report --verify` holds the journal against.
    Checkpoint {
        records: u64,
        head: String,
        why: String,
    },
    /// An incident begins: a critical alert fired, or the operator declared one.
    IncidentOpened {
        trigger: String,
        level: Option<u8>,
    },
    /// The incident's age crossed into the next escalation level.
    EscalationReached {
        level: u8,
    },
    IncidentClosed {
        why: String,
    },
}

/// How a run ended, as its operator closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    RolledBack,
    Aborted,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::RolledBack => "rolled back",
            Self::Aborted => "aborted",
        }
    }
}

/// The KPI values a rule read when it changed, in the order the rule names them.
pub type Readings = Vec<Reading>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub kpi: String,
    /// `None` where there was no (finite) value.
    pub value: Option<f64>,
    /// A text KPI's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoteDecision {
    Go,
    NoGo,
}

impl VoteDecision {
    /// `go` or `no-go`, as a signed ballot says it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Go => "go",
            Self::NoGo => "no-go",
        }
    }
}

impl Event {
    /// What a signed vote's signature covers, rebuilt from its record, and the signature;
    /// `evidence` is the hash of its evidence (`signing::evidence_hash`). `None` for
    /// anything else.
    pub fn ballot<'a>(
        &'a self,
        evidence: &'a str,
    ) -> Option<(crate::signing::Ballot<'a>, &'a VoteSignature)> {
        let Self::GateVote {
            gate,
            approver,
            decision,
            note,
            signature: Some(sig),
            ..
        } = self
        else {
            return None;
        };
        let ballot = crate::signing::Ballot {
            run: &sig.run,
            gate,
            approver,
            decision: decision.word(),
            note,
            evidence,
            head: &sig.head,
        };
        Some((ballot, sig))
    }
}

/// A canary verdict as a vote was cast under it: the analysis, its class and score, and
/// each metric's reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CanaryEvidence {
    pub canary: String,
    pub verdict: crate::canary::Verdict,
    pub score: f64,
    pub metrics: Vec<String>,
}

impl CanaryEvidence {
    /// `canary green FAIL 40`.
    pub fn words(&self) -> String {
        format!(
            "canary {} {}",
            self.canary,
            self.verdict.with_score(self.score)
        )
    }
}

/// A vote's SSH signature, as journaled: enough to check it again without the vote file
/// (the rest of the ballot is the vote event itself; `signing::Ballot`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteSignature {
    /// The run the voter signed for: the SHA-256 of the journal's first line.
    pub run: String,
    /// The journal head the voter had seen.
    pub head: String,
    /// The key's `SHA256:` fingerprint, as `ssh-keygen -l` prints it.
    pub key: String,
    /// The SSHSIG, armored (`-----BEGIN SSH SIGNATURE-----`).
    pub sshsig: String,
}

impl From<&Decision> for VoteDecision {
    fn from(d: &Decision) -> Self {
        match d {
            Decision::Go => Self::Go,
            Decision::NoGo => Self::NoGo,
        }
    }
}
