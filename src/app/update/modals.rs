//! A key while a modal is open: each kind of modal answers in its own function.

use super::*;

pub(super) fn on_modal_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(modal) = state.modal.take() else {
        return;
    };
    state.modal = match modal {
        Modal::Handover { .. } | Modal::Close { .. } => close_key(state, modal, key, fx),
        Modal::StatusUpdate { .. } | Modal::DeclareIncident { .. } | Modal::Ack { .. } => {
            message_key(state, modal, key, fx)
        }
        Modal::Confirm { .. }
        | Modal::MarkDone { .. }
        | Modal::Cancel { .. }
        | Modal::SetT0
        | Modal::Silence
        | Modal::StandDown
        | Modal::ConfirmClose(_)
        | Modal::Quit => yes_no_key(state, modal, key, fx),
        Modal::Phrase { .. } | Modal::RollbackStep { .. } => phrase_key(state, modal, key, fx),
        Modal::Override { .. } | Modal::Reason { .. } => override_key(state, modal, key, fx),
        Modal::Record { step, input } => record_key(state, step, input, key),
        Modal::Gate { .. } => gate_key(state, modal, key),
        // A watcher's own vote is never open on the driving console.
        Modal::Contacts | Modal::Warnings | Modal::OwnVote { .. } => None,
    };
}

/// The close (sign-offs, the outcome) and a handover asked of this console.
fn close_key(
    state: &mut State,
    modal: Modal,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match modal {
        Modal::Handover { to } => match answer(&key) {
            Answer::Yes => {
                let from = state.operator.clone();
                state.notify(format!("Handing over to {to}"));
                emit(state, Event::Handover { from, to });
                fx.push(Effect::AnswerHandover { agreed: true });
                state.quit = true;
                fx.push(Effect::Quit);
                None
            }
            Answer::No => {
                fx.push(Effect::AnswerHandover { agreed: false });
                state.notify(format!("Handover to {to} refused"));
                None
            }
            Answer::Neither => Some(Modal::Handover { to }),
        },
        Modal::Close {
            selected,
            note: Some(mut input),
        } => match key.code {
            KeyCode::Esc => Some(Modal::Close {
                selected,
                note: None,
            }),
            KeyCode::Enter => {
                if let Some(so) = state.runbook.sign_off.get(selected) {
                    let role = so.role.clone();
                    let note = input.value().trim().to_owned();
                    emit(
                        state,
                        Event::SignedOff {
                            role: role.clone(),
                            note,
                        },
                    );
                    state.notify(format!("{role} signed the run off"));
                }
                Some(Modal::Close {
                    selected,
                    note: None,
                })
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Close {
                    selected,
                    note: Some(input),
                })
            }
        },
        Modal::Close {
            selected,
            note: None,
        } => {
            let roles = state.runbook.sign_off.len();
            match key.code {
                KeyCode::Esc => None,
                KeyCode::Up | KeyCode::Char('k') => Some(Modal::Close {
                    selected: selected.saturating_sub(1),
                    note: None,
                }),
                KeyCode::Down | KeyCode::Char('j') => Some(Modal::Close {
                    selected: (selected + 1).min(roles.saturating_sub(1)),
                    note: None,
                }),
                KeyCode::Enter if selected < roles && state.sign_offs[selected].is_none() => {
                    Some(Modal::Close {
                        selected,
                        note: Some(Input::default()),
                    })
                }
                KeyCode::Char(c @ ('S' | 'R' | 'A')) => {
                    let outcome = match c {
                        'S' => Outcome::Success,
                        'R' => Outcome::RolledBack,
                        _ => Outcome::Aborted,
                    };
                    let unsigned = state.sign_offs.iter().filter(|s| s.is_none()).count();
                    if outcome == Outcome::Success && unsigned > 0 {
                        state.notify(format!(
                            "A success is closed with every sign-off: {unsigned} missing"
                        ));
                        Some(Modal::Close {
                            selected,
                            note: None,
                        })
                    } else {
                        Some(Modal::ConfirmClose(outcome))
                    }
                }
                _ => Some(Modal::Close {
                    selected,
                    note: None,
                }),
            }
        }
        other => Some(other),
    }
}

/// What the operator writes: a status update, an incident's trigger, an acknowledgement.
fn message_key(
    state: &mut State,
    modal: Modal,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match modal {
        Modal::StatusUpdate {
            mut input,
            communication,
            channels,
        } => match key.code {
            // Closing keeps what was written: `U` opens it again.
            KeyCode::Esc => {
                state.draft_update = Some(Draft {
                    text: input.value().to_owned(),
                    communication,
                    channels,
                });
                None
            }
            KeyCode::Enter => {
                let text = input.value().trim().to_owned();
                if text.is_empty() {
                    state.notify("An empty status update is not sent");
                    return None;
                }
                let draft = Draft {
                    text,
                    communication,
                    channels,
                };
                send_status_update(state, draft, fx);
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::StatusUpdate {
                    input,
                    communication,
                    channels,
                })
            }
        },
        Modal::DeclareIncident { mut input } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                let reason = input.value().trim().to_owned();
                open_incident(state, format!("{DECLARED}{reason}"));
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::DeclareIncident { input })
            }
        },
        Modal::Ack { alert, mut input } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                if alert < state.alerts.len() {
                    let reason = input.value().trim().to_owned();
                    emit(state, Event::AlertAcked { alert, reason });
                }
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Ack { alert, input })
            }
        },
        other => Some(other),
    }
}

/// A y/N question: only `y` or `n` (or Esc) answers it.
fn yes_no_key(
    state: &mut State,
    modal: Modal,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match modal {
        modal @ (Modal::Confirm { .. }
        | Modal::MarkDone { .. }
        | Modal::Cancel { .. }
        | Modal::SetT0
        | Modal::Silence
        | Modal::StandDown
        | Modal::ConfirmClose(_)
        | Modal::Quit) => match answer(&key) {
            Answer::Yes => {
                confirmed(state, modal, fx);
                // What it did may ask the next question (an override, a paused rollback).
                state.modal.take()
            }
            Answer::No => None,
            // Anything else, Enter included, does nothing: the answer must be explicit.
            Answer::Neither => Some(modal),
        },
        other => Some(other),
    }
}

/// The rollback's phrase, and a rollback step that asks before it runs.
fn phrase_key(
    state: &mut State,
    modal: Modal,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    let esc = key.code == KeyCode::Esc;
    match modal {
        Modal::Phrase {
            target,
            phrase,
            mut input,
            mut wrong,
            reason,
            overridden,
        } => {
            // The rollback's phrase waits for its preview to finish.
            let previewing = target == Target::Rollback && state.preview.status.is_active();
            if esc {
                if previewing {
                    stop_preview(state, fx);
                }
                None
            } else if !previewing && key.code == KeyCode::Enter && input.value() == phrase {
                confirmed_start(state, target, reason, overridden, fx);
                state.modal.take()
            } else {
                if previewing {
                    // Nothing typed counts until the preview is done.
                } else if key.code == KeyCode::Enter {
                    input = Input::default();
                    wrong = true;
                } else {
                    input.handle_event(&crossterm::event::Event::Key(key));
                }
                Some(Modal::Phrase {
                    target,
                    phrase,
                    input,
                    wrong,
                    reason,
                    overridden,
                })
            }
        }
        Modal::RollbackStep {
            step,
            mut input,
            wrong,
        } => {
            let confirm = state
                .runbook
                .rollback
                .as_ref()
                .and_then(|r| r.steps.get(step))
                .map(|st| st.confirm.clone());
            match (confirm, key.code) {
                (None, _) => None,
                (Some(_), KeyCode::Esc) | (Some(Confirm::YesNo), KeyCode::Char('n' | 'N')) => {
                    state.notify("The rollback stays paused: R continues it, x stops it");
                    None
                }
                (Some(Confirm::YesNo), KeyCode::Char('y' | 'Y')) => {
                    continue_rollback(state, step, fx);
                    state.modal.take()
                }
                (Some(Confirm::Phrase(p)), KeyCode::Enter) if input.value() == p => {
                    continue_rollback(state, step, fx);
                    state.modal.take()
                }
                (Some(Confirm::Phrase(_)), KeyCode::Enter) => Some(Modal::RollbackStep {
                    step,
                    input: Input::default(),
                    wrong: true,
                }),
                (Some(Confirm::Phrase(_)), _) => {
                    input.handle_event(&crossterm::event::Event::Key(key));
                    Some(Modal::RollbackStep { step, input, wrong })
                }
                (Some(_), _) => Some(Modal::RollbackStep { step, input, wrong }),
            }
        }
        other => Some(other),
    }
}

/// A hard guard's override (the word, then the reason), and a skip's or a retry's reason.
fn override_key(
    state: &mut State,
    modal: Modal,
    key: KeyEvent,
    fx: &mut Vec<Effect>,
) -> Option<Modal> {
    match modal {
        Modal::Override {
            target,
            why,
            mut input,
            reason: None,
            wrong,
        } => match key.code {
            KeyCode::Esc => {
                if target == Target::Rollback {
                    stop_preview(state, fx);
                }
                None
            }
            KeyCode::Enter if input.value().trim() == override_word(state, target) => {
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(Input::default()),
                    wrong: false,
                })
            }
            KeyCode::Enter => Some(Modal::Override {
                target,
                why,
                input: Input::default(),
                reason: None,
                wrong: true,
            }),
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: None,
                    wrong,
                })
            }
        },
        Modal::Override {
            target,
            why,
            input,
            reason: Some(mut reason),
            wrong,
        } => match key.code {
            // Back to the id: nothing is recorded until the reason is given.
            KeyCode::Esc => Some(Modal::Override {
                target,
                why,
                input: Input::default(),
                reason: None,
                wrong: false,
            }),
            KeyCode::Enter if reason.value().trim().is_empty() => {
                state.notify("An override needs its reason: it goes into the record");
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(reason),
                    wrong,
                })
            }
            KeyCode::Enter => {
                let text = reason.value().trim().to_owned();
                overridden(state, target, why, text, fx);
                state.modal.take()
            }
            _ => {
                reason.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(reason),
                    wrong,
                })
            }
        },
        Modal::Reason {
            step,
            retry,
            mut input,
        } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                let reason = input.value().trim().to_owned();
                if reason.is_empty() {
                    state.notify("A reason is required: it goes into the record");
                    Some(Modal::Reason { step, retry, input })
                } else {
                    let id = state
                        .step(step)
                        .map(|(_, s)| s.id.clone())
                        .unwrap_or_default();
                    if retry {
                        emit(state, Event::StepRetried { step: id, reason });
                        // The retry still goes through the step's own confirmation.
                        request_step(state, step, fx);
                        state.modal.take()
                    } else {
                        state.notify(format!("Step {id} skipped: {reason}"));
                        emit(state, Event::StepSkipped { step: id, reason });
                        None
                    }
                }
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Reason { step, retry, input })
            }
        },
        other => Some(other),
    }
}

/// A gate: the approver, their vote, and its note.
fn gate_key(state: &mut State, modal: Modal, key: KeyEvent) -> Option<Modal> {
    match modal {
        Modal::Gate {
            gate,
            approver,
            note: Some((decision, mut input)),
        } => match key.code {
            KeyCode::Esc => Some(Modal::Gate {
                gate,
                approver,
                note: None,
            }),
            // The deciding vote is recorded with its rationale.
            KeyCode::Enter
                if state.gates[gate].policy == crate::runbook::GatePolicy::FinalSay(approver)
                    && input.value().trim().is_empty() =>
            {
                state.notify("The final say is recorded with its rationale: write why");
                Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((decision, input)),
                })
            }
            // An approver who votes from their own terminal, voted for here: by proxy, and
            // only with why (they phoned in), which goes into the record.
            KeyCode::Enter
                if input.value().trim().is_empty()
                    && let Some(who) = state.runbook.gates[gate]
                        .approvers
                        .get(approver)
                        .and_then(|e| state.runbook.approver(e))
                        .map(crate::runbook::Approver::label) =>
            {
                // The instruction first: at 80 columns the end of a notice is cut.
                state.notify(format!("A vote here is by proxy for {who}: write why"));
                Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((decision, input)),
                })
            }
            KeyCode::Enter => {
                let text = input.value().trim().to_owned();
                record_vote(state, gate, approver, decision, text);
                // Decided (under `any` or a final say, before every vote is in): done.
                let g = &state.gates[gate];
                let decided = g.policy != crate::runbook::GatePolicy::Unanimous
                    && (g.is_go() || g.is_no_go());
                let next = g.votes.iter().position(Option::is_none);
                next.filter(|_| !decided).map(|a| Modal::Gate {
                    gate,
                    approver: a,
                    note: None,
                })
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((decision, input)),
                })
            }
        },
        Modal::Gate {
            gate,
            approver,
            note: None,
        } => {
            let n = state.gates.get(gate).map_or(0, |g| g.votes.len());
            let approver = match key.code {
                KeyCode::Up | KeyCode::Char('k') => approver.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => (approver + 1).min(n.saturating_sub(1)),
                _ => approver,
            };
            match key.code {
                KeyCode::Char('G' | 'g') => Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((Decision::Go, Input::default())),
                }),
                KeyCode::Char('N' | 'n') => Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((Decision::NoGo, Input::default())),
                }),
                KeyCode::Esc => None,
                _ => Some(Modal::Gate {
                    gate,
                    approver,
                    note: None,
                }),
            }
        }
        other => Some(other),
    }
}

/// What a key says to a y/N question. Only `y` is a yes; `n` and `Esc` are a no.
pub(super) enum Answer {
    Yes,
    No,
    Neither,
}

pub(super) fn answer(key: &KeyEvent) -> Answer {
    match key.code {
        KeyCode::Char('y' | 'Y') => Answer::Yes,
        KeyCode::Char('n' | 'N') | KeyCode::Esc => Answer::No,
        _ => Answer::Neither,
    }
}

/// A y/N modal was answered yes: do what it asked about.
pub(super) fn confirmed(state: &mut State, modal: Modal, fx: &mut Vec<Effect>) {
    match modal {
        Modal::Confirm { target, overridden } => {
            confirmed_start(state, target, None, overridden, fx)
        }
        Modal::MarkDone { step } => done_by_hand(state, step),
        // A paused procedure has no process: it stops here, recorded as stopped.
        Modal::Cancel {
            target: Target::Rollback,
        } if state.rollback_awaiting.is_some() => {
            let step = state.rollback_awaiting.unwrap_or_default();
            let attempt = state.rollback.attempt;
            let id = state
                .runbook
                .rollback
                .as_ref()
                .and_then(|r| r.steps.get(step))
                .map_or_else(String::new, |s| s.id.clone());
            emit(
                state,
                Event::RunFinished {
                    target: super::event::RunRef::Rollback,
                    attempt,
                    exit: Exit::not_started(format!("stopped by the operator before step {id}")),
                },
            );
            state.notify(format!("Rollback stopped before step {id}"));
        }
        Modal::Cancel { target } => {
            if let Some(r) = state.run_ref(target) {
                emit(state, Event::CancelRequested { target: r });
            }
            fx.push(Effect::Cancel { target });
            state.notify(format!("{}: cancel requested", run_name(state, target)));
        }
        Modal::SetT0 => {
            emit(state, Event::T0Set { t0: state.now });
            state.notify(format!("T0 set to {}", state.now.format("%H:%M:%S UTC")));
        }
        Modal::Silence => {
            // Until the plan's projected end plus an hour: if warroom dies, it still ends.
            let until = state.projected_finish().unwrap_or(state.now) + TimeDelta::hours(1);
            emit(state, Event::SilenceRequested { until });
            fx.push(Effect::CreateSilence { until });
        }
        Modal::Quit => quit(state, fx),
        Modal::ConfirmClose(outcome) => {
            emit(state, Event::RunClosed { outcome });
            state.notify(format!("The run is closed: {}", outcome.word()));
        }
        Modal::StandDown => {
            emit(
                state,
                Event::IncidentClosed {
                    why: "stood down by the operator".into(),
                },
            );
            state.notify("Incident stood down");
        }
        // Modals with typed input answer through their own keys.
        Modal::DeclareIncident { .. }
        | Modal::Close { .. }
        | Modal::StatusUpdate { .. }
        | Modal::Record { .. }
        | Modal::Phrase { .. }
        | Modal::Override { .. }
        | Modal::RollbackStep { .. }
        | Modal::Gate { .. }
        | Modal::Ack { .. }
        | Modal::Reason { .. }
        | Modal::Handover { .. }
        | Modal::Contacts
        | Modal::Warnings
        | Modal::OwnVote { .. } => {}
    }
}

/// An actual entered by hand: a number (a unit or `%` after it is allowed), journaled with
/// the step's record id; Esc leaves it for later (Enter on the step asks again).
fn record_key(state: &mut State, step: usize, mut input: Input, key: KeyEvent) -> Option<Modal> {
    let record = state.step(step).and_then(|(_, s)| s.record.clone())?;
    match key.code {
        KeyCode::Esc => {
            state.notify(format!(
                "{} not recorded · Enter on the step to record it",
                record.id
            ));
            None
        }
        KeyCode::Enter => {
            let text = input.value().trim();
            let number =
                text.trim_end_matches(|c: char| c.is_alphabetic() || c == '%' || c.is_whitespace());
            match number.parse::<f64>() {
                Ok(value) if value.is_finite() => {
                    let step_id = state.step(step).map(|(_, s)| s.id.clone())?;
                    emit(
                        state,
                        Event::ActualRecorded {
                            step: step_id,
                            id: record.id.clone(),
                            value,
                            unit: record.unit.clone(),
                        },
                    );
                    state.notify(format!(
                        "Recorded {}: {}{}",
                        record.id,
                        crate::runbook::number::format_value(value),
                        record.unit.map(|u| format!(" {u}")).unwrap_or_default()
                    ));
                    None
                }
                _ => {
                    state.notify(format!(
                        "`{text}` is not a number: type the value, such as 42.5"
                    ));
                    Some(Modal::Record { step, input })
                }
            }
        }
        _ => {
            input.handle_event(&crossterm::event::Event::Key(key));
            Some(Modal::Record { step, input })
        }
    }
}
