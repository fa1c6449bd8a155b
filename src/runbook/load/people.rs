//! Who hears and who signs: planned communications, status updates, escalation levels,
//! contacts and the close's sign-offs.

use super::*;

/// `[[communication]]`: each planned message at its time, to its channels (those of the
/// status updates unless it names its own).
pub(super) fn communications(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    t0: Option<chrono::DateTime<chrono::Utc>>,
    channels: &[crate::runbook::channel::Channel],
    updates: Option<&StatusUpdates>,
) -> Vec<Communication> {
    s.communications
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let planned = planned_time(d, &format!("communication[{i}].at"), &c.at, t0)?;
            let to = match (&c.channels, updates) {
                (None, Some(u)) => u.channels.clone(),
                (names, _) => super::channel::channel_names(
                    d,
                    &format!("communication[{i}].channels"),
                    names.as_ref(),
                    channels,
                    s,
                ),
            };
            Some(Communication {
                planned,
                audience: c.audience.clone(),
                text: c.text.clone(),
                channels: to,
                state: c.state.clone(),
            })
        })
        .collect()
}

/// `[status-updates]`: how often, and to which channels.
pub(super) fn status_updates(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    channels: &[crate::runbook::channel::Channel],
) -> Option<StatusUpdates> {
    s.status_updates.as_ref().and_then(|u| {
        if let (Some(w), Some(_)) = (&u.webhook, &u.channels) {
            d.error(
                Some(w.span()),
                "status-updates.webhook",
                "with `channels`, define the webhook as a `[channel.NAME]` and name it there",
            );
        }
        let to = super::channel::channel_names(
            d,
            "status-updates.channels",
            u.channels.as_ref(),
            channels,
            s,
        );
        Some(StatusUpdates {
            every: duration(d, "status-updates.every", &Some(u.every.clone()))?,
            channel: u.channel.clone(),
            template: u.template.clone(),
            channels: to,
            state: u.state.clone(),
        })
    })
}

/// `[[contact]]`: who to call, by escalation level.
pub(super) fn contacts(s: Vec<raw::Contact>) -> Vec<Contact> {
    s.into_iter()
        .map(|c| Contact {
            role: c.role,
            name: c.name,
            reach: c.reach,
            escalation_level: c.escalation_level,
            phone: c.phone,
            chat: c.chat,
            email: c.email,
        })
        .collect()
}

/// `[close] sign-off`: the roles that sign a success.
pub(super) fn sign_offs(s: Option<raw::Close>) -> Vec<SignOff> {
    s.map(|c| {
        c.sign_off
            .into_iter()
            .map(|so| SignOff {
                role: so.role,
                criteria: so.criteria.unwrap_or_default(),
            })
            .collect()
    })
    .unwrap_or_default()
}
