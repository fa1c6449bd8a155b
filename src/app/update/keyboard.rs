//! A key outside any modal: dispatched by the key table, refused when read-only or closed.

use super::*;

pub(super) fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.help.is_some() {
        observe::help_key(state, &key);
        return;
    }
    if state.modal.is_some() {
        on_modal_key(state, key, fx);
        return;
    }
    let Some(cmd) = keys::lookup(&key, state.focus) else {
        return;
    };
    if let Some(why) = &state.read_only
        && cmd.acts()
    {
        state.notify(format!("read-only: {why}"));
        return;
    }
    if observe::navigate(state, cmd) {
        return;
    }
    if let Some((_, outcome)) = state.closed
        && cmd.acts()
    {
        state.notify(format!(
            "The run is closed ({}): nothing more acts on it",
            outcome.word()
        ));
        return;
    }
    match cmd {
        // Moving, scrolling, help and contacts: `observe::navigate`.
        Key::Up
        | Key::Down
        | Key::NextPane
        | Key::PrevPane
        | Key::Help
        | Key::Contacts
        | Key::Warnings
        | Key::PageUp
        | Key::PageDown => {}
        Key::Quit => {
            if state.any_running() {
                state.modal = Some(Modal::Quit);
            } else {
                quit(state, fx);
            }
        }
        Key::RunStep => request_step(state, state.selected, fx),
        Key::Gate => request_gate(state),
        Key::CancelRun => ask_cancel(state),
        Key::TickCheck => tick_check(state),
        Key::Ack => ask_ack(state),
        Key::Rollback => request_rollback(state, fx),
        Key::CloseRun => {
            state.modal = Some(Modal::Close {
                selected: 0,
                note: None,
            });
        }
        Key::StatusUpdate => open_status_update(state),
        Key::Incident => match &state.incident {
            None => {
                state.modal = Some(Modal::DeclareIncident {
                    input: Input::default(),
                });
            }
            Some(i) if i.trigger.starts_with(DECLARED) => state.modal = Some(Modal::StandDown),
            Some(_) => state
                .notify("The incident ends when its critical alerts resolve (it was not declared)"),
        },
        Key::Retry => ask_retry(state),
        Key::Skip => ask_skip(state),
        Key::SetT0 => state.modal = Some(Modal::SetT0),
        Key::Silence => ask_silence(state),
        Key::CancelAutoRollback => match state.auto_rollback {
            Some((rule, _)) => {
                let id = state.runbook.rules[rule].id.clone();
                emit(state, Event::AutoRollbackCancelled { rule: id.clone() });
                state.notify(format!(
                    "Automatic rollback for {id} cancelled by the operator"
                ));
            }
            None => state.notify("No automatic rollback is counting down"),
        },
        Key::Baseline => capture_baselines(state),
        Key::Vote => state.notify(
            "v is an approver's own vote from a watching terminal; here, g records the votes",
        ),
    }
}

/// Leaving: the run's maintenance silence ends with it.
pub(super) fn quit(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(SilenceState::Active { id, .. }) = state.am.as_ref().map(|a| &a.silence) {
        fx.push(Effect::ExpireSilence { id: id.clone() });
    }
    state.quit = true;
    fx.push(Effect::Quit);
}

/// The selected checklist item ticked, or unticked.
fn tick_check(state: &mut State) {
    let i = state.selected_check;
    let check = state.runbook.checks().nth(i).map(|(_, c)| c.id.clone());
    if let (Some(check), Some(slot)) = (check, state.checks.get(i)) {
        let ticked = slot.is_none();
        emit(state, Event::CheckTicked { check, ticked });
    }
}

/// The selected alert (in the Alerts pane) or the newest unacknowledged one.
fn ask_ack(state: &mut State) {
    let target = if state.focus == Pane::Alerts {
        state
            .alerts_newest_first()
            .nth(state.selected_alert)
            .map(|(i, _)| i)
    } else {
        state
            .alerts_newest_first()
            .find(|(_, a)| a.acked.is_none())
            .map(|(i, _)| i)
    };
    match target {
        Some(i) if state.alerts[i].acked.is_none() => {
            state.modal = Some(Modal::Ack {
                alert: i,
                input: Input::default(),
            });
        }
        Some(_) => state.notify("That alert is already acknowledged"),
        None => state.notify("No alert to acknowledge"),
    }
}

/// A draft first, then a planned communication that is due, then the cadence's.
fn open_status_update(state: &mut State) {
    if state.sending_update.is_some() {
        state.notify("A status update is on its way; wait for its answer");
        return;
    }
    let draft = state.draft_update.take().or_else(|| {
        state.communication_waiting().map(|i| {
            let template = state.runbook.communications[i].text.clone();
            Draft {
                text: status_text(state, &template),
                communication: Some(i),
                channels: state.message_channels(Some(i)),
            }
        })
    });
    let draft = draft.or_else(|| {
        let u = state.runbook.status_updates.clone()?;
        Some(Draft {
            text: status_text(state, cadence_template(&u)),
            communication: None,
            channels: state.message_channels(None),
        })
    });
    match draft {
        Some(d) => {
            state.modal = Some(Modal::StatusUpdate {
                input: Input::new(d.text),
                communication: d.communication,
                channels: d.channels,
            });
        }
        None => state.notify("The runbook has no [status-updates] and no communication is due"),
    }
}

/// A failed step (or one whose verification failed) asks why it is retried.
fn ask_retry(state: &mut State) {
    let i = state.selected;
    let failed = matches!(
        state.steps[i].status,
        RunStatus::Failed { .. } | RunStatus::Lost { .. }
    ) || matches!(state.steps[i].verify, Some(Verification::Failed(..)));
    if failed {
        state.modal = Some(Modal::Reason {
            step: i,
            retry: true,
            input: Input::default(),
        });
    } else {
        state.notify("Only a failed step can be retried");
    }
}

/// A step not running and not done asks why it is skipped.
fn ask_skip(state: &mut State) {
    let i = state.selected;
    if state.steps[i].status.is_active() {
        state.notify("A running step cannot be skipped: cancel it first (x)");
    } else if state.step_done(i) {
        state.notify("That step is already done");
    } else {
        state.modal = Some(Modal::Reason {
            step: i,
            retry: false,
            input: Input::default(),
        });
    }
}

/// The maintenance silence, once.
fn ask_silence(state: &mut State) {
    let silence = state
        .runbook
        .alertmanager
        .as_ref()
        .and_then(|a| a.silence.as_ref());
    match (silence, state.am.as_ref().map(|a| &a.silence)) {
        (None, _) => state.notify("The runbook defines no [alertmanager.silence]"),
        (Some(_), Some(SilenceState::Active { .. } | SilenceState::Creating { .. })) => {
            state.notify("The maintenance silence is already in place");
        }
        (Some(_), _) => state.modal = Some(Modal::Silence),
    }
}

/// The KPIs rules compare with a baseline; all of them when no rule does.
fn capture_baselines(state: &mut State) {
    let rb = state.runbook.clone();
    let mut ids: Vec<String> = distinct(
        rb.rules
            .iter()
            .flat_map(|r| r.expr.baselines())
            .map(str::to_owned),
    );
    if ids.is_empty() {
        ids = rb.kpis.iter().map(|k| k.id.clone()).collect();
    }
    let values = baseline_values(state, &ids);
    if values.is_empty() {
        state.notify("No baseline captured: no KPI has a current value");
    } else {
        let captured: Vec<&str> = values.keys().map(String::as_str).collect();
        state.notify(format!("Baseline captured: {}", captured.join(", ")));
        emit(state, Event::BaselineCaptured { values });
    }
}

/// The running rollback, else the selected step, if it runs.
fn ask_cancel(state: &mut State) {
    let target = if state.rollback.status.is_active() {
        Target::Rollback
    } else {
        Target::Step(state.selected)
    };
    if state.run(target).is_some_and(|r| r.status.is_active()) {
        state.modal = Some(Modal::Cancel { target });
    } else {
        state.notify("Nothing is running there to cancel");
    }
}
