//! What comes into `update` (keys, ticks, poll results, run events) and what goes out
//! of it for the shell to carry out.

use super::*;

#[derive(Debug, Clone)]
pub enum Action {
    Key(KeyEvent),
    Tick(DateTime<Utc>),
    /// What a poller or a run's output brought: the same for a watcher.
    Observed(Observation),
    /// A vote an approver handed in from their own terminal, found in `votes/`.
    VoteFiled(Box<VoteFile>),
    /// The range queries of a canary analysis's ranged metrics: per metric index, the
    /// baseline's and the canary's values over the window, or why not.
    CanaryRanges {
        canary: usize,
        ranges: Vec<crate::canary::RangeAnswer>,
    },
    /// The journal took the records so far: how many it holds, and its head (the last
    /// line's SHA-256).
    Committed {
        records: u64,
        head: String,
    },
    /// The executor started (or re-attached to) a run's supervisor; its output is `log`.
    RunSpawned {
        target: Target,
        log: PathBuf,
    },
    /// The run's supervisor wrote its exit status (or the run could not be started).
    RunFinished {
        target: Target,
        exit: Exit,
    },
    /// On resume: the run left neither an exit status nor a live supervisor.
    RunLost {
        target: Target,
    },
    /// The journal could not record; the console must stop acting.
    JournalFailed(String),
    /// Another console asks to take over driving the run (`warroom run --take-over`).
    HandoverAsked(Operator),
    /// Who watches the run from other terminals now (their heartbeats), and since when.
    Watchers(Vec<(Operator, DateTime<Utc>)>),
    SilenceCreated(Result<String, String>),
    /// The verify command of a step has ended.
    VerifyDone {
        step: usize,
        result: Result<(), String>,
    },
    /// What a channel answered to a message.
    Delivered {
        channel: String,
        result: Result<(), String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Fetch one Prometheus `query_range` per side of each ranged metric of canary
    /// analysis `canary`, over its window up to `end`; answered by `Action::CanaryRanges`.
    CanaryRange {
        canary: usize,
        end: DateTime<Utc>,
    },
    /// Put a vote file aside: journaled (`accepted`) or refused.
    FileVote {
        file: String,
        accepted: bool,
    },
    /// Post the journal's checkpoint to the status webhook.
    PostCheckpoint {
        text: String,
    },
    Run {
        target: Target,
        name: String,
        attempt: u32,
        command: Command,
        timeout: Option<TimeDelta>,
        env: Vec<(String, String)>,
    },
    /// Follow a run the journal left open (after a restart): its output, its exit status,
    /// or the finding that it was lost.
    Reattach {
        target: Target,
        name: String,
        attempt: u32,
    },
    /// Show what a finished run printed (from its output file), after a restart.
    ShowOutput {
        target: Target,
        name: String,
        attempt: u32,
    },
    Cancel {
        target: Target,
    },
    /// Run a step's verify command; its output must contain `expect` when given.
    Verify {
        step: usize,
        argv: Vec<String>,
        expect: Option<String>,
        timeout: TimeDelta,
    },
    /// Hand a message to one channel.
    Deliver {
        channel: String,
        message: crate::runbook::channel::Message,
    },
    /// Create the runbook's maintenance silence, ending at `until`.
    CreateSilence {
        until: DateTime<Utc>,
    },
    /// End the silence: the run is over.
    ExpireSilence {
        id: String,
    },
    Bell,
    /// Tell the console that asked to take over what this one answered.
    AnswerHandover {
        agreed: bool,
    },
    Quit,
}
