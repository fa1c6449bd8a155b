//! The dialogs that start, stop or set aside a step, and the rollback's: the y/N, the
//! phrase, the override of a hard guard, a paused procedure, cancel, skip or retry, done by
//! hand.

use super::*;

/// A step's y/N: what will run, and every guard in words.
pub(super) fn confirm<'a>(state: &'a State, target: &Target, overridden: &bool) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Run this step? ".to_owned();
    describe(&mut d.lines, state, *target);
    d.danger |= guard_lines(&mut d.lines, state, *target, *overridden);
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "run it"), ("n / Esc", "cancel")]));
    d
}

/// The rollback's phrase (after its preview), or a dangerous step's.
#[allow(clippy::too_many_arguments)] // the modal's six fields, the state and the screen's height
pub(super) fn phrase_dialog<'a>(
    state: &'a State,
    screen_h: u16,
    target: &Target,
    phrase: &'a str,
    input: &Input,
    wrong: &bool,
    reason: &Option<String>,
    overridden: &bool,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.danger = true;
    d.title = if *target == Target::Rollback {
        " ROLLBACK ".to_owned()
    } else {
        " Dangerous step ".to_owned()
    };
    if *target == Target::Rollback {
        why_rollback(&mut d.lines, reason.as_deref());
    }
    describe(&mut d.lines, state, *target);
    guard_lines(&mut d.lines, state, *target, *overridden);
    let previewing = *target == Target::Rollback && preview_lines(&mut d.lines, state, screen_h);
    d.lines.push(Line::raw(""));
    if previewing {
        d.lines.push(Line::styled(
            "The phrase can be typed once the preview has finished; Esc cancels.",
            Style::new().fg(Color::Yellow),
        ));
    } else {
        d.lines.push(Line::from(vec![
            Span::raw("Type "),
            Span::styled(
                phrase,
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
            Span::raw(" and press Enter; Esc cancels."),
        ]));
        d.input = Some(input.value().to_owned());
    }
    if *wrong {
        d.lines.push(Line::styled(
            "That was not the phrase: nothing was run.",
            Style::new().fg(Color::Yellow),
        ));
    }
    d
}

/// A hard guard's override: the word, then the reason.
pub(super) fn override_guard<'a>(
    state: &'a State,
    screen_h: u16,
    target: &Target,
    why: &Option<String>,
    input: &Input,
    reason: &Option<Input>,
    wrong: &bool,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.danger = true;
    d.title = if *target == Target::Rollback {
        " ROLLBACK against the plan ".to_owned()
    } else {
        " Blocked by the plan ".to_owned()
    };
    if *target == Target::Rollback {
        why_rollback(&mut d.lines, why.as_deref());
    }
    describe(&mut d.lines, state, *target);
    guard_lines(&mut d.lines, state, *target, false);
    if *target == Target::Rollback {
        preview_lines(&mut d.lines, state, screen_h);
    }
    d.lines.push(Line::raw(""));
    let word = crate::app::override_word(state, *target);
    let gated = guard::of_target(state, *target)
        .iter()
        .any(|g| g.kind == guard::Kind::Gate);
    if gated && reason.is_none() {
        d.lines.push(Line::raw(
            "The gate opens with its votes: Esc, then g to record them.",
        ));
    }
    match reason {
        None => {
            d.lines.push(Line::from(vec![
                Span::raw("Nothing runs past a hard guard. To override it, type "),
                Span::styled(
                    word.clone(),
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
                Span::raw(" and Enter, then the reason; both are recorded. Esc cancels."),
            ]));
            if *wrong {
                d.lines.push(Line::styled(
                    format!("That was not `{word}`: nothing was overridden."),
                    Style::new().fg(Color::Yellow),
                ));
            }
            d.input = Some(input.value().to_owned());
        }
        Some(r) => {
            d.lines.push(Line::raw(
                "Why override it? The reason goes into the record and the report; Enter records it, Esc goes back.",
            ));
            d.input = Some(r.value().to_owned());
        }
    }
    d
}

/// A paused rollback procedure: the step that asks before it runs.
pub(super) fn rollback_step<'a>(
    state: &'a State,
    step: &usize,
    input: &Input,
    wrong: &bool,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.danger = true;
    d.title = " ROLLBACK paused ".to_owned();
    if let Some(rb) = &state.runbook.rollback
        && let Some(st) = rb.steps.get(*step)
    {
        d.lines.push(Line::styled(
            format!(
                "Next: step {}/{} {} · {}",
                step + 1,
                rb.steps.len(),
                st.id,
                st.title
            ),
            theme::TITLE,
        ));
        d.lines.push(Line::from(vec![
            Span::styled("Command: ", theme::DIM),
            Span::raw(st.command.display()),
        ]));
        d.lines.push(Line::raw(""));
        d.lines.push(Line::raw(
            "The procedure waits here for your word; the steps before it are done.",
        ));
        match &st.confirm {
            crate::runbook::Confirm::Phrase(p) => {
                d.lines.push(Line::from(vec![
                    Span::raw("Type "),
                    Span::styled(
                        p.clone(),
                        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                    ),
                    Span::raw(" and press Enter to run it; Esc keeps it paused."),
                ]));
                d.input = Some(input.value().to_owned());
            }
            _ => d
                .lines
                .push(keys_line(&[("y", "run it"), ("n / Esc", "stay paused")])),
        }
        if *wrong {
            d.lines.push(Line::styled(
                "That was not the phrase: nothing was run.",
                Style::new().fg(Color::Yellow),
            ));
        }
    }
    d
}

/// Cancelling a running step or the rollback.
pub(super) fn cancel<'a>(state: &'a State, target: &Target) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.danger = true;
    d.title = " Cancel the run? ".to_owned();
    describe(&mut d.lines, state, *target);
    d.lines.push(Line::raw(""));
    d.lines.push(Line::raw(
        "Its whole process group gets SIGTERM, then SIGKILL.",
    ));
    d.lines.push(keys_line(&[
        ("y", "cancel it"),
        ("n / Esc", "keep it running"),
    ]));
    d
}

/// Why a step is skipped or retried.
pub(super) fn reason_dialog<'a>(
    state: &'a State,
    step: &usize,
    retry: &bool,
    input: &Input,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = if *retry {
        " Retry the step "
    } else {
        " Skip the step "
    }
    .to_owned();
    describe(&mut d.lines, state, Target::Step(*step));
    d.lines.push(Line::raw(""));
    d.lines.push(Line::raw(if *retry {
        "Why retry it? The reason goes into the record; the step's own confirmation follows."
    } else {
        "Why skip it? The reason goes into the record."
    }));
    d.input = Some(input.value().to_owned());
    d
}

/// The actual a step records, entered by hand.
pub(super) fn record_dialog<'a>(state: &'a State, step: &usize, input: &Input) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Record the actual ".to_owned();
    describe(&mut d.lines, state, Target::Step(*step));
    d.lines.push(Line::raw(""));
    if let Some(r) = state.step(*step).and_then(|(_, s)| s.record.as_ref()) {
        let unit = r
            .unit
            .as_deref()
            .map(|u| format!(" in {u}"))
            .unwrap_or_default();
        d.lines.push(Line::raw(format!(
            "What was {} (measured by hand){unit}? It goes into the record and the report's targets.",
            r.id
        )));
        if let Some((v, at)) = state.actuals.get(&r.id) {
            d.lines.push(Line::styled(
                format!(
                    "Recorded {} at {}: a new value supersedes it.",
                    crate::runbook::number::format_value(*v),
                    at.format("%H:%M UTC")
                ),
                theme::DIM,
            ));
        }
    }
    d.input = Some(input.value().to_owned());
    d
}

/// A step done by hand, to record as done.
pub(super) fn mark_done<'a>(state: &'a State, step: &usize) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Done by hand? ".to_owned();
    // Nothing runs: the step and who owns it, no command or directory.
    if let Some((_, st)) = state.step(*step) {
        d.lines.push(Line::styled(
            format!("{} · {}", st.id, st.title),
            theme::TITLE,
        ));
        if let Some(owner) = &st.owner {
            d.lines.push(Line::from(vec![
                Span::styled("Owner:   ", theme::DIM),
                Span::raw(owner.clone()),
            ]));
        }
    }
    guard_lines(&mut d.lines, state, Target::Step(*step), false);
    d.lines.push(Line::raw(""));
    d.lines.push(Line::raw(
        "This step has nothing to run: record that it was done, by you, now.",
    ));
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "mark it done"), ("n / Esc", "cancel")]));
    d
}
