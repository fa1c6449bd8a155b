//! Runs of steps and of the rollback: their target, status, attempt and verification;
//! the rollback's check and a continuous step's watch.

use super::*;

/// What a run is for: a step of the runbook (index into `State::steps`), or the rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Step(usize),
    Rollback,
    /// The rollback's read-only preview (`[rollback] preview`), run when `R` is pressed.
    RollbackPreview,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    Waiting,
    /// Recorded as started; from then on a second keypress finds it busy.
    Running {
        started: DateTime<Utc>,
    },
    /// Found on resume with neither an exit status nor a live supervisor: its outcome is
    /// unknown, and it is never taken for a success.
    Lost {
        started: DateTime<Utc>,
        noticed: DateTime<Utc>,
    },
    Succeeded {
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
    },
    Failed {
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
        reason: String,
    },
}

impl RunStatus {
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Running { .. })
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub status: RunStatus,
    /// The latest attempt recorded (0 before the first); its files are `steps/<id>.<attempt>`.
    pub attempt: u32,
    pub output: OutputBuffer,
    pub log: Option<PathBuf>,
    /// Lines scrolled back from the bottom of the output pane.
    pub scroll: usize,
    /// The step's verification, once its run has succeeded.
    pub verify: Option<Verification>,
    /// Skipped by the operator, when.
    pub skipped: Option<DateTime<Utc>>,
    /// A step without a command, marked done by the operator, when.
    pub done_by_hand: Option<DateTime<Utc>>,
    /// Every retry and skip, with the operator's typed reason.
    pub reasons: Vec<(DateTime<Utc>, String)>,
    /// Hard guards the operator overrode to start it: when, and the typed reason.
    pub overrides: Vec<(DateTime<Utc>, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verification {
    Checking {
        since: DateTime<Utc>,
        /// Since when the rule expression has held.
        held_since: Option<DateTime<Utc>>,
        /// The verify command's result; `None` while it runs (or when there is none to run).
        command: Option<Result<(), String>>,
    },
    Passed(DateTime<Utc>),
    Failed(DateTime<Utc>, String),
}

impl Default for Run {
    fn default() -> Self {
        Self {
            status: RunStatus::Waiting,
            attempt: 0,
            output: OutputBuffer::default(),
            log: None,
            scroll: 0,
            verify: None,
            skipped: None,
            done_by_hand: None,
            reasons: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

/// The rollback's success criteria after it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollbackCheck {
    /// Since the rollback ended; `held_since` is live bookkeeping.
    Checking {
        since: DateTime<Utc>,
        held_since: Option<DateTime<Utc>>,
    },
    Met(DateTime<Utc>),
    NotMet(DateTime<Utc>, String),
}

/// A continuous step's watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    Before,
    Watching,
    /// Without an end: watching until the run closes, done as a task.
    Open,
    Over,
}
