//! The dialogs a key opens, and what each holds while it is open.

use super::*;

#[derive(Debug, Clone)]
pub enum Modal {
    /// y/N before a step runs; the guards that stand are shown (and soft ones confirmed).
    Confirm {
        target: Target,
        /// Its hard guards were overridden just before (the override is in the record).
        overridden: bool,
    },
    /// A hard guard stands: the only way past is to type the step's id (`rollback` for the
    /// rollback), then a reason; both go into the record.
    Override {
        target: Target,
        /// Why the rollback is proposed, carried to the phrase that follows.
        why: Option<String>,
        input: Input,
        /// Once the id was typed: the reason being written.
        reason: Option<Input>,
        wrong: bool,
    },
    /// The rollback procedure paused before a step whose `confirm` asks (`yes-no` or its
    /// phrase).
    RollbackStep {
        step: usize,
        input: Input,
        wrong: bool,
    },
    /// y/N before a step without a command is recorded as done by hand.
    MarkDone {
        step: usize,
    },
    /// The typed phrase before a dangerous step or the rollback.
    Phrase {
        target: Target,
        phrase: String,
        input: Input,
        wrong: bool,
        /// Why the rollback is proposed (the rule and its values), recorded when it starts.
        reason: Option<String>,
        /// Its hard guards were overridden just before (the override is in the record).
        overridden: bool,
    },
    Cancel {
        target: Target,
    },
    /// Go/no-go: choose an approver and their decision, then an optional note.
    Gate {
        gate: usize,
        approver: usize,
        note: Option<(Decision, Input)>,
    },
    Ack {
        alert: usize,
        input: Input,
    },
    /// A typed reason before a failed step is retried or any step is skipped.
    Reason {
        step: usize,
        retry: bool,
        input: Input,
    },
    /// y/N before T0 moves to now.
    SetT0,
    /// y/N before the maintenance silence is created in Alertmanager.
    Silence,
    /// An actual measured by hand, for a step's `record`.
    Record {
        step: usize,
        input: Input,
    },
    /// The status update, filled in from the template, for the operator to edit and send.
    StatusUpdate {
        input: Input,
        /// The planned communication it is (by index), if one.
        communication: Option<usize>,
        /// The channels it goes to.
        channels: Vec<String>,
    },
    /// The close of the run: the sign-offs (one selected; a note being written for it),
    /// then the outcome.
    Close {
        selected: usize,
        note: Option<Input>,
    },
    /// y/N before the run is closed with this outcome.
    ConfirmClose(event::Outcome),
    /// The operator declares an incident: a reason, then Enter.
    DeclareIncident {
        input: Input,
    },
    /// y/N before the incident the operator declared is stood down.
    StandDown,
    /// The escalation matrix; any key closes it.
    Contacts,
    /// A watching approver's own vote: the gate, as which approver, GO or NO-GO once
    /// chosen, and the note.
    OwnVote {
        gate: usize,
        approver: usize,
        decision: Option<Decision>,
        input: Input,
    },
    /// The runbook's warnings (what `check` prints); any key closes it.
    Warnings,
    /// y/N: another operator asks to take over driving this run.
    Handover {
        to: Operator,
    },
    Quit,
}
