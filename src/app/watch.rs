//! Watch mode: a console that follows a run another one drives. Its `update` can only
//! apply the driver's records, take observations and move the view; what it may ask of the
//! world is a [`Look`]: ring the bell, or leave. Nothing here can start a process or write a
//! record, because nothing here can name one: that is the read-only guarantee, by type.

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, KeyEventKind};

use super::event::{Event, Record};
use super::keys;
use super::observe::{self, Observation};
use super::{Decision, Modal, State, Watching};
use crate::runbook::Severity;
use tui_input::Input;

/// What reaches a watcher.
#[derive(Debug)]
pub enum Watched {
    Key(KeyEvent),
    Tick(DateTime<Utc>),
    /// Records the driver committed; `live` is false for the history read at start.
    Records {
        records: Vec<Record>,
        live: bool,
    },
    /// What the pollers and the runs' output show, as the driver's console takes it.
    Observed(Observation),
    /// The driver's lock was found released at this time (or held again: `None`).
    DriverGone(Option<DateTime<Utc>>),
    /// The driver's journal stopped holding up at this record.
    JournalDamaged(String),
    /// The runbook file is not the one the run began with.
    RunbookChanged,
    /// The watcher's own vote could not be handed in, and why.
    HandInFailed(String),
}

/// All a watcher may do outside itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Look {
    Bell,
    Quit,
    /// Hand the watcher's own vote in through `votes/`: not a record (the driver decides
    /// whether it counts), and only ever as the watcher themselves.
    HandIn(Box<super::VoteRequest>),
}

pub fn update(state: &mut State, w: Watched) -> Vec<Look> {
    let mut out = Vec::new();
    match w {
        Watched::Key(key) if key.kind != KeyEventKind::Release => on_key(state, key, &mut out),
        Watched::Key(_) => {}
        Watched::Tick(now) => {
            state.now = now;
            observe::notice_expiry(state);
        }
        Watched::Records { records, live } => {
            for r in &records {
                state.apply(r);
                // A new attempt's output starts empty, as on the driver's screen.
                if let Event::RunStarted { target, .. } = &r.event
                    && let Some(t) = state.target(target)
                {
                    let secrets = state.secrets.clone();
                    if let Some(run) = state.run_mut(t) {
                        run.output = super::OutputBuffer::masking(secrets);
                    }
                    // The output pane follows what the driver just started.
                    if live {
                        state.shown = t;
                    }
                }
                if live {
                    notice_of(state, r, &mut out);
                }
            }
        }
        Watched::Observed(o) => observe::take(state, o),
        Watched::DriverGone(at) => {
            if let Some(w) = state.watching.as_mut() {
                w.gone_since = at;
            }
        }
        Watched::RunbookChanged => {
            state.notify("The runbook file changed since the run began: showing it as it is now");
        }
        Watched::HandInFailed(why) => {
            state.notify(format!("Your vote could not be handed in: {why}"));
        }
        Watched::JournalDamaged(why) => {
            state.notify(format!(
                "The journal stops holding up: {why}; showing what came before"
            ));
        }
    }
    out
}

fn on_key(state: &mut State, key: KeyEvent, out: &mut Vec<Look>) {
    if state.help.is_some() {
        observe::help_key(state, &key);
        return;
    }
    // A watcher's modals: their own vote, and the contacts list (any key closes it).
    match state.modal.take() {
        Some(Modal::OwnVote {
            gate,
            approver,
            decision,
            input,
        }) => {
            own_vote_key(state, (gate, approver), decision, input, key, out);
            return;
        }
        Some(_) => return,
        None => {}
    }
    let Some(cmd) = keys::lookup(&key, state.focus) else {
        return;
    };
    if cmd == keys::Command::Quit {
        out.push(Look::Quit);
        return;
    }
    if cmd == keys::Command::Vote {
        ask_own_vote(state);
        return;
    }
    if cmd.acts() {
        let who = state
            .watching
            .as_ref()
            .map_or_else(|| "another console".to_owned(), |w| w.driver.at_host());
        state.notify(format!("read-only: watching {who}"));
        return;
    }
    observe::navigate(state, cmd);
}

impl State {
    /// The gates waiting for this terminal's user's own vote, with the approver each makes
    /// them: what `v` opens, and what the footer offers it for.
    pub fn own_votes_waiting(&self) -> Vec<(usize, usize)> {
        self.runbook
            .votes_of(&self.operator.user)
            .into_iter()
            .filter(|(g, _)| !self.gates[*g].is_go() && !self.gates[*g].is_no_go())
            .collect()
    }
}

/// `v`: the gate waiting for the watcher's own vote, if they are one of its approvers.
fn ask_own_vote(state: &mut State) {
    let me = state.operator.user.clone();
    let waiting = state.own_votes_waiting();
    match waiting.first() {
        Some(&(gate, approver)) => {
            state.modal = Some(Modal::OwnVote {
                gate,
                approver,
                decision: None,
                input: Input::default(),
            });
        }
        None if state.runbook.votes_of(&me).is_empty() => {
            state.notify(format!(
                "{me} is no approver of this run's gates: read-only"
            ));
        }
        None => state.notify("No gate waits for your vote"),
    }
}

/// A key in the watcher's own vote: G or N chooses, then a note and Enter hands it in,
/// Esc goes back or closes.
fn own_vote_key(
    state: &mut State,
    (gate, approver): (usize, usize),
    decision: Option<Decision>,
    mut input: Input,
    key: KeyEvent,
    out: &mut Vec<Look>,
) {
    use crossterm::event::KeyCode;
    use tui_input::backend::crossterm::EventHandler;
    let open = |decision, input| {
        Some(Modal::OwnVote {
            gate,
            approver,
            decision,
            input,
        })
    };
    state.modal = match (decision, key.code) {
        (None, KeyCode::Char('G' | 'g')) => open(Some(Decision::Go), input),
        (None, KeyCode::Char('N' | 'n')) => open(Some(Decision::NoGo), input),
        (None, KeyCode::Esc) => None,
        (Some(_), KeyCode::Esc) => open(None, Input::default()),
        (Some(d), KeyCode::Enter) => {
            let g = &state.runbook.gates[gate];
            out.push(Look::HandIn(Box::new(super::VoteRequest {
                gate: g.id.clone(),
                approver: g.approvers[approver].clone(),
                decision: super::event::VoteDecision::from(&d),
                note: input.value().trim().to_owned(),
                ssh: state.operator.ssh.clone(),
                // Where the record stands is the follower's to say, and signing is the
                // shell's: both are filled in on the way out.
                run: String::new(),
                head: String::new(),
                evidence: state.vote_evidence(true),
                signature: None,
                key: None,
            })));
            state.notify(format!(
                "Your vote on {} is handed to the driver's console",
                g.id
            ));
            None
        }
        (Some(d), _) => {
            input.handle_event(&crossterm::event::Event::Key(key));
            open(Some(d), input)
        }
        (None, _) => open(None, input),
    };
}

/// What a watcher is told of the driver's record as it arrives.
fn notice_of(state: &mut State, r: &Record, out: &mut Vec<Look>) {
    let who = &r.by.user;
    let text = match &r.event {
        Event::RunStarted { target, .. } => Some(format!("{who} started {}", run_label(target))),
        Event::RunFinished { target, exit, .. } => Some(match exit.result() {
            Ok(()) => format!("{} finished", run_label(target)),
            Err(e) => format!("{} failed: {e}", run_label(target)),
        }),
        Event::RunLost { target, .. } => Some(format!("{} is LOST", run_label(target))),
        Event::GateVote {
            gate,
            approver,
            decision,
            signature,
            ..
        } => Some(format!(
            "{who}: {} on {gate} for {}{}",
            match decision {
                super::event::VoteDecision::Go => "GO",
                super::event::VoteDecision::NoGo => "NO-GO",
            },
            // An approver who votes from a terminal is named by role, as on the screen.
            state
                .runbook
                .approver(approver)
                .map_or(approver.as_str(), |a| a.role.as_str()),
            if signature.is_some() {
                " ✓ signed"
            } else {
                ""
            }
        )),
        Event::AlertAcked { alert, reason } => state
            .alerts
            .get(*alert)
            .map(|a| format!("{who} acknowledged {}: {reason}", a.title)),
        Event::StepSkipped { step, reason } => Some(format!("{who} skipped {step}: {reason}")),
        Event::StepDoneByHand { step } => Some(format!("{who} marked {step} done")),
        Event::StepRetried { step, reason } => Some(format!("{who} retries {step}: {reason}")),
        Event::T0Set { t0 } => Some(format!("{who} set T0 to {}", t0.format("%H:%M:%S UTC"))),
        Event::Handover { from, to } => Some(format!("{} handed over to {}", from.user, to.user)),
        Event::DriverAttached { resumed: true, .. } => {
            if let Some(w) = state.watching.as_mut() {
                w.gone_since = None;
            }
            Some(format!("{who} resumed the run"))
        }
        Event::DriverDetached { why } => {
            if let Some(w) = state.watching.as_mut() {
                w.gone_since = Some(r.at);
            }
            Some(format!("{who} left the console ({why})"))
        }
        Event::RuleFiring { rule, .. } => {
            let critical = state
                .runbook
                .rules
                .iter()
                .find(|x| &x.id == rule)
                .is_some_and(|x| x.severity == Severity::Critical);
            if critical && state.runbook.bell {
                out.push(Look::Bell);
            }
            None
        }
        _ => None,
    };
    if let Some(t) = text {
        state.notify(t);
    }
}

fn run_label(target: &super::event::RunRef) -> String {
    match target {
        super::event::RunRef::Step(id) => format!("step {id}"),
        super::event::RunRef::Rollback => "the ROLLBACK".to_owned(),
        super::event::RunRef::RollbackPreview => "the rollback's preview".to_owned(),
    }
}

impl State {
    /// Marks this state as a watcher's view of `driver`'s run.
    pub fn watch(&mut self, driver: super::Operator) {
        self.watching = Some(Watching {
            driver,
            gone_since: None,
        });
    }
}
