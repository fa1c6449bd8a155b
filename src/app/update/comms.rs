//! Status updates and planned communications: when they fall due and what they say.

use super::*;

/// The runbook's status-update template filled in from the run as it stands: `{phase}`,
/// `{status}` (all green, watching warnings, ALERT), `{light}` (Green, Yellow, Red),
/// `{offset}`, `{done}`, `{total}`, `{progress}` (steps done, in %), `{alerts}` (the open
/// alerts with their values, or `none`), `{next}` (the next step and its planned time).
pub fn status_text(state: &State, template: &str) -> String {
    use crate::runbook::Standing;
    let light = state.status_light();
    let (status, color) = match light {
        Standing::Good => ("all green", "Green"),
        Standing::Warning => ("watching warnings", "Yellow"),
        Standing::Critical => ("ALERT", "Red"),
    };
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

/// The update is recorded with its text before it goes out; without a webhook the record
/// is all there is (the operator posts it by hand).
pub(super) fn send_status_update(
    state: &mut State,
    text: String,
    communication: Option<usize>,
    fx: &mut Vec<Effect>,
) {
    let u = state.runbook.status_updates.clone();
    let webhook = u.as_ref().and_then(|u| u.webhook.clone());
    let audience = communication
        .and_then(|i| state.runbook.communications.get(i))
        .map(|c| c.audience.clone());
    let to = match (
        &webhook,
        audience,
        u.as_ref().and_then(|u| u.channel.clone()),
    ) {
        (None, _, _) => "none".to_owned(),
        (Some(_), Some(audience), _) => audience,
        (Some(_), None, Some(channel)) => channel,
        (Some(_), None, None) => "the webhook".to_owned(),
    };
    emit(
        state,
        Event::StatusUpdateSending {
            text: text.clone(),
            to: to.clone(),
            communication,
        },
    );
    if webhook.is_some() {
        state.sending_update = Some((text.clone(), communication));
        state.notify(format!("Sending the status update to {to}…"));
        fx.push(Effect::SendStatusUpdate { text });
    } else {
        state.notify("Recorded; no webhook in [status-updates], so post it yourself");
    }
}
