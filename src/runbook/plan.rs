//! The plan: phases of steps and checklists, commands and confirmations, gates, the
//! rollback.

use super::*;

#[derive(Debug, Clone)]
pub struct Phase {
    pub id: String,
    pub title: String,
    pub steps: Vec<Step>,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Argv(Vec<String>),
    Shell(String),
}

impl Command {
    /// The exact command as the confirmation shows it.
    pub fn display(&self) -> String {
        match self {
            Self::Argv(argv) => argv
                .iter()
                .map(|a| {
                    if a.is_empty()
                        || a.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c))
                    {
                        format!("'{}'", a.replace('\'', "'\\''"))
                    } else {
                        a.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(" "),
            Self::Shell(s) => format!("sh -c {s:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirm {
    None,
    YesNo,
    Phrase(String),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    /// Planned start relative to T0.
    pub planned: Option<TimeDelta>,
    pub duration: Option<TimeDelta>,
    pub hold: Option<TimeDelta>,
    pub command: Option<Command>,
    pub confirm: Confirm,
    pub timeout: Option<TimeDelta>,
    pub verify: Option<Verify>,
    pub blocking: bool,
    pub automatic: bool,
    pub point_of_no_return: bool,
    /// A watch row, not a task (`continuous = true`): nothing runs; it is watching from
    /// `planned` for `duration` (or to the end of the run), and done when that is over.
    pub continuous: bool,
    /// KPI ids whose baselines are captured when the step succeeds.
    pub capture_baseline: Vec<String>,
    pub notes: Option<String>,
    /// `all-day = true`: planned from its day's midnight for the day; the timeline says
    /// `all day` where a time would be.
    pub all_day: bool,
    /// `record = { id, unit }`: an actual the operator enters by hand once it is done.
    pub record: Option<super::summary::Record>,
}

#[derive(Debug, Clone)]
pub struct Verify {
    pub command: Option<Vec<String>>,
    pub expect_output: Option<String>,
    pub endpoint: Option<String>,
    pub rule: Option<Expr>,
    pub hold_for: TimeDelta,
    pub timeout: TimeDelta,
}

#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub text: String,
    pub auto: Option<Expr>,
}

#[derive(Debug, Clone)]
pub struct Gate {
    pub id: String,
    pub title: String,
    /// As the runbook names them: an `[[approver]]`'s id (who votes from their own
    /// terminal), or a role the driver records the vote for.
    pub approvers: Vec<String>,
    pub before: String,
    pub rules: Vec<String>,
    /// Rules that keep the gate closed while they fire, whatever the votes.
    pub holding_rules: Vec<String>,
    pub checklists: Vec<String>,
    pub policy: GatePolicy,
    /// The driving console's own votes (typed at its keyboard) never open it: only votes
    /// the approvers hand in from their own terminals do. A NO-GO typed there still holds.
    pub distinct_from_driver: bool,
    /// The `[[canary]]` whose verdict it shows as evidence.
    pub canary: Option<String>,
}

/// A person who may vote from their own terminal: which OS users are them, and the keys
/// their votes may be signed with.
#[derive(Debug, Clone)]
pub struct Approver {
    pub id: String,
    pub role: String,
    pub users: Vec<String>,
    /// Their own `keys`, then the allowed signers whose principals name them.
    pub keys: Vec<crate::signing::Trusted>,
    /// `signed = true`: an unsigned vote of theirs is refused, and one recorded for them at
    /// the driver's console never opens the gate.
    pub signed: bool,
}

impl Gate {
    /// `2 of 3, not the driver's`: how its votes decide, as the report and `--verify` say.
    pub fn policy_words(&self) -> String {
        let how = match self.policy {
            GatePolicy::Unanimous => "unanimous".into(),
            GatePolicy::Any => "any".into(),
            GatePolicy::Needs(n) => format!("{n} of {}", self.approvers.len()),
            GatePolicy::FinalSay(i) => format!(
                "final say: {}",
                self.approvers.get(i).map_or("?", String::as_str)
            ),
        };
        if self.distinct_from_driver {
            format!("{how}, not the driver's")
        } else {
            how
        }
    }
}

impl Approver {
    /// `Deployment Lead (alice)`: the role, and the users who are it.
    pub fn label(&self) -> String {
        format!("{} ({})", self.role, self.users.join("/"))
    }
}

/// How a gate's votes make its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GatePolicy {
    /// GO when every approver says GO; one NO-GO holds it.
    #[default]
    Unanimous,
    /// One GO opens it; a NO-GO from anyone still holds it.
    Any,
    /// This approver's vote decides (by index); the others' are advice. Their vote needs
    /// its rationale.
    FinalSay(usize),
    /// GO when this many approvers say GO (N of them); one NO-GO still holds it.
    Needs(usize),
}

#[derive(Debug, Clone)]
pub struct Rollback {
    /// Run one after another after the phrase; a failed one stops the procedure. A
    /// rollback written as one command is one step, `rollback`.
    pub steps: Vec<RollbackStep>,
    /// A read-only command run when the operator presses `R`; its output is shown before
    /// the phrase can be typed.
    pub preview: Option<Command>,
    /// The rollback window's end, from T0: after it the plan is to roll forward.
    pub until: Option<TimeDelta>,
    pub phrase: String,
    pub timeout: Option<TimeDelta>,
    pub roll_forward: Option<String>,
    /// How long it should take: the header counts down to it while it runs.
    pub target: Option<TimeDelta>,
    /// Its success criteria, checked once it is done.
    pub success: Option<RollbackSuccess>,
}

impl Rollback {
    /// What the rollback runs, in one line: its command, or its steps in order.
    pub fn summary(&self) -> String {
        match self.steps.as_slice() {
            [one] => one.command.display(),
            steps => format!(
                "{} steps: {}",
                steps.len(),
                steps
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" → ")
            ),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RollbackStep {
    pub id: String,
    pub title: String,
    pub command: Command,
    pub timeout: Option<TimeDelta>,
    /// The procedure pauses before this step and asks (`None`: it goes straight on).
    pub confirm: Confirm,
}

/// What must hold after a rollback: `expr` for `hold`, within `within` of its end.
#[derive(Debug, Clone)]
pub struct RollbackSuccess {
    pub expr: Expr,
    pub source: String,
    pub hold: TimeDelta,
    pub within: TimeDelta,
}

/// A deployment window: from `start` to `end`, offsets from T0 (`end` after `start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: TimeDelta,
    pub end: TimeDelta,
}
