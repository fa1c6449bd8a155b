//! The dialogs about what people are told and who to call: status updates, the incident,
//! an alert's acknowledgement, the maintenance silence, contacts, the runbook's warnings.

use super::*;

/// A status update or a planned communication, filled in to edit.
pub(super) fn status_update<'a>(
    state: &'a State,
    input: &Input,
    communication: &Option<usize>,
    channels: &[String],
) -> Dialog<'a> {
    let mut d = Dialog::new();
    let planned = communication.and_then(|i| state.runbook.communications.get(i));
    d.title = match planned {
        Some(c) => format!(
            " Message to {} (planned {}) ",
            c.audience,
            crate::runbook::time::format_planned(c.planned)
        ),
        None => " Status update ".to_owned(),
    };
    let to = if channels.is_empty() {
        "nowhere (no channel): it is recorded, post it yourself".to_owned()
    } else {
        let each: Vec<String> = channels
            .iter()
            .map(|n| match state.runbook.channel(n) {
                Some(c) => format!("{n} ({})", c.describe()),
                None => n.clone(),
            })
            .collect();
        let audience = planned
            .map(|c| format!("{}, ", c.audience))
            .unwrap_or_default();
        format!("to {audience}by {}", each.join(", "))
    };
    d.lines
        .push(Line::raw(format!("Goes {to}, and into the record.")));
    d.lines.push(Line::raw(""));
    // The whole text as it will read (the field below shows where typing is).
    for l in wrap(input.value(), 70, 6) {
        d.lines.push(Line::styled(l, theme::TITLE));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(Line::raw("Edit, then Enter sends; Esc keeps it for later."));
    d.input = Some(input.value().to_owned());
    d
}

/// Declaring an incident: its trigger.
pub(super) fn declare_incident<'a>(input: &Input) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Declare an incident ".to_owned();
    d.lines.push(Line::raw(
        "From now on the header shows the escalation level that applies by the incident's age, and C its contacts.",
    ));
    d.lines.push(Line::raw(""));
    d.lines
        .push(Line::raw("What is happening? Then Enter; Esc cancels."));
    d.input = Some(input.value().to_owned());
    d
}

/// Ending the incident.
pub(super) fn stand_down<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Stand the incident down? ".to_owned();
    if let Some(i) = &state.incident {
        d.lines.push(Line::styled(i.trigger.clone(), theme::TITLE));
        d.lines.push(Line::raw(format!(
            "Open since {} ({}).",
            i.since.format("%H:%M UTC"),
            crate::runbook::time::format_duration(state.now - i.since)
        )));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "stand down"), ("n / Esc", "keep it")]));
    d
}

/// Acknowledging an alert, with a note.
pub(super) fn ack<'a>(state: &'a State, alert: &usize, input: &Input) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Acknowledge alert ".to_owned();
    if let Some(a) = state.alerts.get(*alert) {
        d.lines
            .push(Line::styled(a.title.clone(), theme::severity(a.severity)));
        d.lines.push(Line::raw(a.detail.clone()));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(Line::raw("Reason (optional), then Enter; Esc cancels."));
    d.input = Some(input.value().to_owned());
    d
}

/// The maintenance silence `S` creates in the Alertmanager.
pub(super) fn silence<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Maintenance silence ".to_owned();
    if let Some(am) = &state.runbook.alertmanager
        && let Some(s) = &am.silence
    {
        d.lines.push(Line::raw(format!(
            "Silence matching alerts in Alertmanager ({}):",
            am.url
        )));
        for m in &s.matchers {
            let op = if m.regex { "=~" } else { "=" };
            d.lines.push(Line::styled(
                format!("  {}{op}\"{}\"", m.name, m.value),
                theme::TITLE,
            ));
        }
        d.lines.push(Line::raw(format!(
            "Comment: {} · by {}",
            s.comment, s.created_by
        )));
        d.lines.push(Line::raw(
            "The pager stays quiet for them; warroom's feed still shows them. The silence ends when the run ends.",
        ));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "create it"), ("n / Esc", "cancel")]));
    d
}

/// Who to call, by escalation level, and who watches.
pub(super) fn contacts<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Contacts and escalation ".to_owned();
    let now_level = state.incident.as_ref().and_then(|i| i.level);
    if let Some(i) = &state.incident {
        d.lines.push(Line::styled(
            format!(
                "INCIDENT {}for {} · {}",
                now_level
                    .map(|l| format!("at level {l} "))
                    .unwrap_or_default(),
                crate::runbook::time::format_duration(state.now - i.since),
                i.trigger
            ),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ));
        // The level reached: its response time running, and what it must do.
        if let Some(level) =
            now_level.and_then(|l| state.runbook.escalation.get(usize::from(l).checked_sub(1)?))
        {
            if let Some(left) = state.response_left() {
                let within = level
                    .respond_within
                    .map(crate::runbook::time::format_duration)
                    .unwrap_or_default();
                let (text, style) = if left >= chrono::TimeDelta::zero() {
                    (
                        format!(
                            "Respond within {within}: {} left",
                            crate::runbook::time::format_duration(left)
                        ),
                        Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                    )
                } else {
                    (
                        format!(
                            "Respond within {within}: OVERDUE by {}",
                            crate::runbook::time::format_duration(-left)
                        ),
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    )
                };
                d.lines.push(Line::styled(text, style));
            }
            if let Some(duties) = &level.duties {
                d.lines.push(Line::raw(format!("Duties: {duties}")));
            }
        }
        d.lines.push(Line::raw(""));
    }
    escalation_levels(&mut d, state);
    let mut contacts: Vec<_> = state.runbook.contacts.iter().collect();
    contacts.sort_by_key(|c| c.escalation_level.unwrap_or(u8::MAX));
    if contacts.is_empty() {
        d.lines
            .push(Line::styled("This runbook lists no contacts.", theme::DIM));
    }
    for c in contacts {
        let level = c
            .escalation_level
            .map(|l| format!("L{l} "))
            .unwrap_or_default();
        let name = c
            .name
            .as_deref()
            .map(|n| format!(" · {n}"))
            .unwrap_or_default();
        // The level the incident has reached: its contacts are the ones to call.
        let here = now_level.is_some() && c.escalation_level == now_level;
        let mark = if here { "▶ " } else { "  " };
        d.lines.push(Line::from(vec![
            Span::styled(
                format!("{mark}{level}{}{name}", c.role),
                if here {
                    theme::TITLE.fg(Color::Red)
                } else {
                    theme::TITLE
                },
            ),
            Span::raw(
                [
                    c.phone.as_deref().map(|p| format!("☎ {p}")),
                    c.chat.as_deref().map(|p| format!("chat {p}")),
                    c.email.as_deref().map(|p| format!("✉ {p}")),
                    c.reach.clone(),
                ]
                .into_iter()
                .flatten()
                .fold(String::new(), |acc, r| format!("{acc}  {r}")),
            ),
        ]));
    }
    if !state.watchers.is_empty() {
        d.lines.push(Line::raw(""));
        d.lines.push(Line::styled(
            "Watching this run now (read-only)",
            theme::TITLE,
        ));
        for (who, since) in &state.watchers {
            d.lines.push(Line::raw(format!(
                "  {who} · since {}",
                since.format("%H:%M UTC")
            )));
        }
    }
    if let Some(u) = &state.runbook.status_updates {
        d.lines.push(Line::raw(""));
        let channel = if u.channels.is_empty() {
            String::new()
        } else {
            format!(" to {}", u.channels.join(", "))
        };
        d.lines.push(Line::styled(
            format!(
                "Status updates every {}{channel}",
                crate::runbook::time::format_duration(u.every)
            ),
            theme::DIM,
        ));
    }
    d
}

/// Every escalation level, how it is reached and its response time.
fn escalation_levels(d: &mut Dialog<'_>, state: &State) {
    if !state.runbook.escalation.is_empty() {
        for (i, l) in state.runbook.escalation.iter().enumerate() {
            let mut reached = Vec::new();
            match l.after {
                Some(after) if after > chrono::TimeDelta::zero() => reached.push(format!(
                    "after {}",
                    crate::runbook::time::format_duration(after)
                )),
                Some(_) => reached.push("at once".to_owned()),
                None => {}
            }
            if let Some(c) = &l.when {
                reached.push(format!("when {}", c.source));
            }
            let respond = l
                .respond_within
                .map(|r| {
                    format!(
                        " · respond within {}",
                        crate::runbook::time::format_duration(r)
                    )
                })
                .unwrap_or_default();
            d.lines.push(Line::styled(
                format!("L{} {}{respond}", i + 1, reached.join(" or ")),
                theme::DIM,
            ));
        }
        d.lines.push(Line::raw(""));
    }
}

/// The runbook's warnings, as `check` said them.
pub(super) fn warnings<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Runbook warnings ".to_owned();
    for w in &state.warnings {
        // As `check` prints them, without the file's name each line would repeat.
        let text = format!("line {}:{} · {}", w.line, w.column, w.what());
        d.lines.push(Line::styled(
            format!("⚠ {text}"),
            Style::new().fg(Color::Yellow),
        ));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(Line::styled("Any key closes this.", theme::DIM));
    d
}
