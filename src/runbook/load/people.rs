//! Who hears and who signs: planned communications, status updates, escalation levels,
//! contacts and the close's sign-offs.

use super::*;

/// `[[communication]]`: each planned message at its time.
pub(super) fn communications(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    t0: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<Communication> {
    s.communications
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let planned = planned_time(d, &format!("communication[{i}].at"), &c.at, t0)?;
            Some(Communication {
                planned,
                audience: c.audience.clone(),
                text: c.text.clone(),
            })
        })
        .collect()
}

/// `[escalation]`: the incident's levels by its age.
pub(super) fn escalation(d: &mut Diagnostics<'_>, s: &Sections) -> Vec<TimeDelta> {
    s.escalation
        .as_ref()
        .map(|e| escalation_levels(d, e))
        .unwrap_or_default()
}

pub(super) fn escalation_levels(d: &mut Diagnostics<'_>, e: &raw::Escalation) -> Vec<TimeDelta> {
    let mut out: Vec<TimeDelta> = Vec::new();
    for (i, v) in e.levels.get_ref().iter().enumerate() {
        let key = format!("escalation.levels[{i}]");
        let Ok(at) = parse_duration(v.get_ref()).map_err(|e| d.error(Some(v.span()), &key, e))
        else {
            continue;
        };
        if i == 0 && at != TimeDelta::zero() {
            d.error(
                Some(v.span()),
                &key,
                "level 1 starts when the incident does: write `0m` first",
            );
        }
        if out.last().is_some_and(|prev| at <= *prev) {
            d.error(
                Some(v.span()),
                &key,
                format!("level {} must start later than level {}", i + 1, i),
            );
        }
        out.push(at);
    }
    if out.is_empty() {
        d.error(
            Some(e.levels.span()),
            "escalation.levels",
            "at least one level: `levels = [\"0m\", \"15m\", \"30m\"]`",
        );
    }
    out
}

/// `[status-updates]`: how often, where, and a webhook that lives in the environment.
pub(super) fn status_updates(d: &mut Diagnostics<'_>, s: &Sections) -> Option<StatusUpdates> {
    s.status_updates.as_ref().and_then(|u| {
        let webhook = u.webhook.as_ref().map(|w| {
            // A webhook URL lets anyone post to the channel: it lives in the environment.
            if var_names(w.get_ref()).is_empty() {
                d.error(
                    Some(w.span()),
                    "status-updates.webhook",
                    "a webhook URL is a secret: set it in the environment and write \
                     `webhook = \"${SLACK_WEBHOOK_URL}\"`",
                );
            }
            w.get_ref().clone()
        });
        Some(StatusUpdates {
            every: duration(d, "status-updates.every", &Some(u.every.clone()))?,
            channel: u.channel.clone(),
            template: u.template.clone(),
            webhook,
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
