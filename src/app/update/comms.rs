//! Status updates and planned communications: when they fall due and what they say.

use super::*;

/// The runbook's status-update template filled in from the run as it stands: `{phase}`,
/// `{status}` (all green, watching warnings, ALERT), `{light}` (the runbook's status level,
/// or Green, Yellow, Red), `{time}` (the clock), `{offset}`, `{done}`, `{total}`,
/// `{progress}` and `{percent}` (steps done, in %), `{running}` (the steps under way),
/// `{alerts}` (the open alerts with their values, or `none`), `{next}` (the next step and
/// its planned time), `{eta}` (the projected finish).
pub fn status_text(state: &State, template: &str) -> String {
    use crate::runbook::Standing;
    let light = state.status_light();
    let (status, color) = match light {
        Standing::Good => ("all green", "Green"),
        Standing::Warning => ("watching warnings", "Yellow"),
        Standing::Critical => ("ALERT", "Red"),
    };
    let color = state.status_level().map_or(color, |l| l.name.as_str());
    let running: Vec<&str> = state
        .runbook
        .steps()
        .enumerate()
        .filter(|(i, _)| state.steps[*i].status.is_active())
        .map(|(_, (_, s))| s.title.as_str())
        .collect();
    let eta = state.projected_finish().map_or_else(
        || "-".to_owned(),
        |t| {
            format!(
                "{} UTC",
                crate::runbook::time::format_clock_near(t, state.now)
            )
        },
    );
    let done = (0..state.steps.len())
        .filter(|i| state.step_done(*i))
        .count();
    let total = state.steps.len();
    let progress = (done * 100).checked_div(total).unwrap_or(100);
    let alerts: Vec<String> = state
        .alerts_newest_first()
        .filter(|(_, a)| a.resolved.is_none())
        .map(|(_, a)| format!("{} ({})", a.title, state.rule_values(a.rule)))
        .collect();
    let next = state.next_step().and_then(|i| state.step(i)).map_or_else(
        || "none".to_owned(),
        |(_, step)| match step.planned {
            Some(p) => format!(
                "{} at {} ({})",
                step.title,
                crate::runbook::time::format_planned(p),
                (state.t0 + p).format("%H:%M UTC")
            ),
            None => step.title.clone(),
        },
    );
    template
        .replace("{phase}", state.current_phase().unwrap_or("-"))
        .replace("{status}", status)
        .replace("{light}", color)
        .replace(
            "{offset}",
            &crate::runbook::time::format_t_offset(state.now - state.t0),
        )
        .replace("{done}", &done.to_string())
        .replace("{total}", &total.to_string())
        .replace("{progress}", &format!("{progress}%"))
        .replace("{percent}", &format!("{progress}%"))
        .replace("{time}", &state.now.format("%H:%M UTC").to_string())
        .replace("{eta}", &eta)
        .replace(
            "{running}",
            &if running.is_empty() {
                "none".to_owned()
            } else {
                running.join(", ")
            },
        )
        .replace(
            "{alerts}",
            &if alerts.is_empty() {
                "none".to_owned()
            } else {
                alerts.join("; ")
            },
        )
        .replace("{next}", &next)
}

/// The cadence's template, or the default one.
pub(super) fn cadence_template(u: &crate::runbook::StatusUpdates) -> &str {
    u.template
        .as_deref()
        .unwrap_or("{light}: {phase}, {progress} done; alerts: {alerts}; next: {next}")
}

/// A planned communication whose time has come: journaled once, and a notice; `U` opens
/// it filled in.
pub(super) fn communications_due(state: &mut State) {
    for i in 0..state.runbook.communications.len() {
        let c = &state.runbook.communications[i];
        if state.communications[i].due.is_some() || state.t0 + c.planned > state.now {
            continue;
        }
        let audience = c.audience.clone();
        emit(
            state,
            Event::CommunicationDue {
                index: i,
                audience: audience.clone(),
            },
        );
        state.notify(format!(
            "Due now: the message to {audience} · U to write and send it"
        ));
    }
}

/// From T0 on, every `every`: a notice with the runbook's message, filled in, to post.
pub(super) fn status_update_due(state: &mut State) {
    let Some(u) = state.runbook.status_updates.clone() else {
        return;
    };
    let since_t0 = state.now - state.t0;
    if since_t0 < TimeDelta::zero() || u.every <= TimeDelta::zero() {
        return;
    }
    let due = since_t0.num_seconds() / u.every.num_seconds().max(1);
    if due < 1 || due <= state.updates_announced {
        return;
    }
    let message = status_text(state, cadence_template(&u));
    let channel = u
        .channel
        .as_deref()
        .map(|c| format!(" to {c}"))
        .unwrap_or_default();
    state.notify(format!("Status update due{channel}: {message}"));
    emit(state, Event::StatusUpdateDue { n: due, message });
}

/// The update is recorded with its text before it goes out, then handed to each of its
/// channels; without channels the record is all there is (the operator posts it by hand).
pub(super) fn send_status_update(state: &mut State, draft: Draft, fx: &mut Vec<Effect>) {
    let planned = draft
        .communication
        .and_then(|i| state.runbook.communications.get(i))
        .cloned();
    let to = if draft.channels.is_empty() {
        "none".to_owned()
    } else {
        draft.channels.join(", ")
    };
    emit(
        state,
        Event::StatusUpdateSending {
            text: draft.text.clone(),
            to: to.clone(),
            communication: draft.communication,
        },
    );
    if draft.channels.is_empty() {
        state.notify("Recorded; no channel in the runbook, so post it yourself");
        return;
    }
    let page_state = match &planned {
        Some(c) => c.state.clone(),
        None => state
            .runbook
            .status_updates
            .as_ref()
            .and_then(|u| u.state.clone()),
    };
    for channel in &draft.channels {
        let subject = match state.runbook.channel(channel).map(|c| &c.kind) {
            Some(crate::runbook::channel::ChannelKind::Email(smtp)) => {
                status_text(state, &smtp.subject)
            }
            _ => String::new(),
        };
        fx.push(Effect::Deliver {
            channel: channel.clone(),
            message: crate::runbook::channel::Message {
                text: draft.text.clone(),
                subject,
                page_state: page_state.clone(),
                audience: planned.as_ref().map(|c| c.audience.clone()),
                runbook: state.runbook.name.clone(),
                at: state.now,
            },
        });
    }
    state.notify(format!("Sending to {to}…"));
    state.sending_update = Some(Sending {
        waiting: draft.channels.clone(),
        draft,
        failed: Vec::new(),
    });
}

/// A channel answered: journaled; once all have, what failed stays a draft to send again
/// to those channels only.
pub(super) fn delivered(state: &mut State, channel: String, result: Result<(), String>) {
    emit(
        state,
        Event::StatusUpdateDelivered {
            channel: channel.clone(),
            error: result.as_ref().err().cloned(),
        },
    );
    let Some(sending) = state.sending_update.as_mut() else {
        return;
    };
    sending.waiting.retain(|c| *c != channel);
    if let Err(why) = result {
        sending.failed.push((channel, why));
    }
    if !sending.waiting.is_empty() {
        return;
    }
    let Some(done) = state.sending_update.take() else {
        return;
    };
    if done.failed.is_empty() {
        state.notify(format!("Sent to {}", done.draft.channels.join(", ")));
        return;
    }
    let why: Vec<String> = done
        .failed
        .iter()
        .map(|(c, why)| format!("{c}: {why}"))
        .collect();
    state.notify(format!(
        "NOT sent to {} · U opens it again for those, text kept",
        why.join("; ")
    ));
    state.draft_update = Some(Draft {
        channels: done.failed.into_iter().map(|(c, _)| c).collect(),
        ..done.draft
    });
}
