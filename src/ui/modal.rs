//! Modals: the y/N confirmation, the typed phrase, cancel, quit, acknowledge, and gates.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{centered, fit, theme};
use crate::app::guard;
use crate::app::{Decision, Modal, RunStatus, State, Target};
use crate::runbook::time::format_duration;
use tui_input::Input;

pub fn render(frame: &mut Frame<'_>, modal: &Modal, state: &State) {
    let dialog = match modal {
        Modal::Confirm { target, overridden } => confirm(state, target, overridden),
        Modal::Phrase {
            target,
            phrase,
            input,
            wrong,
            reason,
            overridden,
        } => phrase_dialog(
            state,
            frame.area().height,
            target,
            phrase,
            input,
            wrong,
            reason,
            overridden,
        ),
        Modal::Override {
            target,
            why,
            input,
            reason,
            wrong,
        } => override_guard(
            state,
            frame.area().height,
            target,
            why,
            input,
            reason,
            wrong,
        ),
        Modal::RollbackStep { step, input, wrong } => rollback_step(state, step, input, wrong),
        Modal::Cancel { target } => cancel(state, target),
        Modal::Reason { step, retry, input } => reason_dialog(state, step, retry, input),
        Modal::Silence => silence(state),
        Modal::Close { selected, note } => close(state, selected, note),
        Modal::ConfirmClose(outcome) => confirm_close(outcome),
        Modal::StatusUpdate {
            input,
            communication,
        } => status_update(state, input, communication),
        Modal::DeclareIncident { input } => declare_incident(input),
        Modal::StandDown => stand_down(state),
        Modal::Handover { to } => handover(to),
        Modal::Contacts => contacts(state),
        Modal::Warnings => warnings(state),
        Modal::MarkDone { step } => mark_done(state, step),
        Modal::SetT0 => set_t0(state),
        Modal::Quit => quit(state),
        Modal::Ack { alert, input } => ack(state, alert, input),
        Modal::Gate {
            gate,
            approver,
            note,
        } => gate_dialog(state, gate, approver, note),
    };
    draw(frame, dialog);
}

/// A modal as drawn: its title, its lines, whether it is dangerous (a red border), and the
/// field being typed in, if any.
struct Dialog<'a> {
    title: String,
    lines: Vec<Line<'a>>,
    danger: bool,
    input: Option<String>,
}

impl Dialog<'_> {
    const fn new() -> Self {
        Self {
            title: String::new(),
            lines: Vec::new(),
            danger: false,
            input: None,
        }
    }
}

/// Draws a dialog centred, its text wrapped, the field under it.
fn draw(frame: &mut Frame<'_>, dialog: Dialog<'_>) {
    let Dialog {
        title,
        lines,
        danger,
        input: input_line,
    } = dialog;
    let area = frame.area();
    let width = (area.width.saturating_sub(4)).min(72);
    let text_h = lines
        .iter()
        .map(|l| {
            (l.width() as u16)
                .div_ceil(width.saturating_sub(2).max(1))
                .max(1)
        })
        .sum::<u16>();
    let height = text_h + 2 + if input_line.is_some() { 3 } else { 0 };
    let rect = centered(area, width, height);
    frame.render_widget(Clear, rect);
    let border = if danger {
        Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
    } else {
        theme::FOCUSED_BORDER
    };
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Line::styled(title, border));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let text_area = Rect {
        height: inner
            .height
            .saturating_sub(if input_line.is_some() { 3 } else { 0 }),
        ..inner
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
    if let Some(value) = input_line {
        let field = Rect {
            y: text_area.y + text_area.height,
            height: 3.min(inner.height),
            ..inner
        };
        // Typing goes on at the end: a value longer than the field shows its end.
        let room = usize::from(field.width.saturating_sub(3));
        let count = value.chars().count();
        let shown: String = if count > room {
            value.chars().skip(count - room).collect()
        } else {
            value
        };
        frame.render_widget(
            Paragraph::new(shown).block(Block::new().borders(Borders::ALL).border_style(border)),
            field,
        );
    }
}

/// A step's y/N: what will run, and every guard in words.
fn confirm<'a>(state: &'a State, target: &Target, overridden: &bool) -> Dialog<'a> {
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
fn phrase_dialog<'a>(
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
fn override_guard<'a>(
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
fn rollback_step<'a>(state: &'a State, step: &usize, input: &Input, wrong: &bool) -> Dialog<'a> {
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
fn cancel<'a>(state: &'a State, target: &Target) -> Dialog<'a> {
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
fn reason_dialog<'a>(state: &'a State, step: &usize, retry: &bool, input: &Input) -> Dialog<'a> {
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

/// The maintenance silence `S` creates in the Alertmanager.
fn silence<'a>(state: &'a State) -> Dialog<'a> {
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

/// The close: each role's sign-off, then the outcome.
fn close<'a>(state: &'a State, selected: &usize, note: &Option<Input>) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Finish the run ".to_owned();
    if state.runbook.sign_off.is_empty() {
        d.lines.push(Line::styled(
            "The runbook asks for no sign-off ([close] sign-off).",
            theme::DIM,
        ));
    }
    for (i, so) in state.runbook.sign_off.iter().enumerate() {
        let mark = if i == *selected { "▶ " } else { "  " };
        let (word, style) = match &state.sign_offs[i] {
            Some(s) => (
                format!(
                    "signed {} by {}{}",
                    s.at.format("%H:%M"),
                    s.by,
                    if s.note.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", s.note)
                    }
                ),
                Style::new().fg(Color::Green),
            ),
            None => ("not signed".to_owned(), Style::new().fg(Color::Yellow)),
        };
        d.lines.push(Line::from(vec![
            Span::styled(format!("{mark}{:<22}", so.role), theme::TITLE),
            Span::styled(word, style),
        ]));
        if !so.criteria.is_empty() {
            d.lines
                .push(Line::styled(format!("    {}", so.criteria), theme::DIM));
        }
    }
    d.lines.push(Line::raw(""));
    d.lines.push(Line::raw(
        "Close the run as S success (every sign-off in), R rolled back, A aborted.",
    ));
    if let Some(input) = note {
        d.lines.push(Line::raw(""));
        d.lines.push(Line::raw(
            "A note with the sign-off (optional), then Enter.",
        ));
        d.input = Some(input.value().to_owned());
    }
    d
}

/// The outcome chosen for the close, to confirm.
fn confirm_close<'a>(outcome: &crate::app::event::Outcome) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Close the run? ".to_owned();
    d.lines.push(Line::styled(
        format!("Outcome: {}", outcome.word()),
        theme::TITLE,
    ));
    d.lines.push(Line::raw(
        "It is recorded, the report states it, and nothing more acts on the run.",
    ));
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "close it"), ("n / Esc", "not yet")]));
    d
}

/// A status update or a planned communication, filled in to edit.
fn status_update<'a>(state: &'a State, input: &Input, communication: &Option<usize>) -> Dialog<'a> {
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
    let webhook = state
        .runbook
        .status_updates
        .as_ref()
        .and_then(|u| u.webhook.as_ref());
    let channel = state
        .runbook
        .status_updates
        .as_ref()
        .and_then(|u| u.channel.clone());
    let to = match (webhook, planned, channel) {
        (None, _, _) => "nowhere (no webhook): it is recorded, post it yourself".to_owned(),
        (Some(_), Some(c), _) => format!("to {} by the webhook", c.audience),
        (Some(_), None, Some(c)) => format!("to {c} by its webhook"),
        (Some(_), None, None) => "to the webhook".to_owned(),
    };
    d.lines
        .push(Line::raw(format!("Goes {to}, and into the record.")));
    d.lines.push(Line::raw(""));
    // The whole text as it will read (the field below shows where typing is).
    for l in super::wrap(input.value(), 70, 6) {
        d.lines.push(Line::styled(l, theme::TITLE));
    }
    d.lines.push(Line::raw(""));
    d.lines
        .push(Line::raw("Edit, then Enter sends; Esc keeps it for later."));
    d.input = Some(input.value().to_owned());
    d
}

/// Declaring an incident: its trigger.
fn declare_incident<'a>(input: &Input) -> Dialog<'a> {
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
fn stand_down<'a>(state: &'a State) -> Dialog<'a> {
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

/// Another operator asks to take the run over.
fn handover<'a>(to: &crate::app::Operator) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Handover ".to_owned();
    d.lines.push(Line::styled(
        format!("{to} asks to take over driving this run."),
        theme::TITLE,
    ));
    d.lines.push(Line::raw(
        "Yes: the handover is journaled with both of you, this console leaves and theirs drives. Running steps carry on.",
    ));
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "hand over"), ("n / Esc", "refuse")]));
    d
}

/// Who to call, by escalation level, and who watches.
fn contacts<'a>(state: &'a State) -> Dialog<'a> {
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
        d.lines.push(Line::raw(""));
    }
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
                c.reach
                    .as_deref()
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default(),
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
        let channel = u
            .channel
            .as_deref()
            .map(|c| format!(" to {c}"))
            .unwrap_or_default();
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

/// The runbook's warnings, as `check` said them.
fn warnings<'a>(state: &'a State) -> Dialog<'a> {
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

/// A step done by hand, to record as done.
fn mark_done<'a>(state: &'a State, step: &usize) -> Dialog<'a> {
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

/// Setting T0 to now.
fn set_t0<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Set T0 ".to_owned();
    d.lines.push(Line::raw(format!(
        "Move T0 to now, {}? Planned times shift with it.",
        state.now.format("%H:%M:%S UTC")
    )));
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "set T0"), ("n / Esc", "keep it")]));
    d
}

/// Quitting, and what still runs.
fn quit<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Quit warroom? ".to_owned();
    let running: Vec<String> = state
        .runbook
        .steps()
        .zip(&state.steps)
        .filter(|(_, r)| r.status.is_active())
        .map(|((_, s), _)| s.id.clone())
        .chain(
            state
                .rollback
                .status
                .is_active()
                .then(|| "the rollback".to_owned()),
        )
        .collect();
    let (what, verb) = match running.as_slice() {
        [one] => (one.clone(), "is"),
        many => (many.join(", "), "are"),
    };
    d.lines.push(Line::styled(
        format!("{what} {verb} still running."),
        theme::TITLE,
    ));
    d.lines.push(Line::raw(
        "It keeps running without the console, logging to the run directory; the same command resumes it.",
    ));
    d.lines.push(Line::raw(""));
    d.lines
        .push(keys_line(&[("y", "quit"), ("n / Esc", "stay")]));
    d
}

/// Acknowledging an alert, with a note.
fn ack<'a>(state: &'a State, alert: &usize, input: &Input) -> Dialog<'a> {
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

/// A gate: its evidence, each approver's vote, and a vote's note.
fn gate_dialog<'a>(
    state: &'a State,
    gate: &usize,
    approver: &usize,
    note: &Option<(Decision, Input)>,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    let g = &state.runbook.gates[*gate];
    d.title = format!(" {} ", g.title);
    for (i, who) in g.approvers.iter().enumerate() {
        let (word, style) = match &state.gates[*gate].votes[i] {
            Some(v) => {
                let (d, color) = match v.decision {
                    Decision::Go => ("GO", Color::Green),
                    Decision::NoGo => ("NO-GO", Color::Red),
                };
                let note = if v.note.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", v.note)
                };
                (
                    format!("{d} {}{note}", v.at.format("%H:%M:%S")),
                    Style::new().fg(color),
                )
            }
            None => ("waiting".to_owned(), Style::new().fg(Color::Yellow)),
        };
        let mark = if i == *approver { "▶ " } else { "  " };
        let role = match g.policy {
            crate::runbook::GatePolicy::FinalSay(d) if d == i => " (decides)",
            crate::runbook::GatePolicy::FinalSay(_) => " (advises)",
            _ => "",
        };
        d.lines.push(Line::from(vec![
            Span::raw(format!("{mark}{:<24}", format!("{who}{role}"))),
            Span::styled(word, style),
        ]));
    }
    d.lines.push(Line::styled(
        match g.policy {
            crate::runbook::GatePolicy::Unanimous => {
                "GO when every approver says GO; one NO-GO holds it."
            }
            crate::runbook::GatePolicy::Any => "One GO opens it; a NO-GO from anyone holds it.",
            crate::runbook::GatePolicy::FinalSay(_) => {
                "The deciding vote is final, recorded with its rationale."
            }
        },
        theme::DIM,
    ));
    if !g.rules.is_empty() || !g.checklists.is_empty() {
        d.lines.push(Line::raw(""));
        d.lines.push(Line::styled("Evidence:", theme::TITLE));
    }
    for rid in &g.rules {
        if let Some(ri) = state.runbook.rules.iter().position(|r| &r.id == rid) {
            let firing = state.rules[ri].is_firing();
            d.lines.push(Line::styled(
                format!("  rule {rid}: {}", if firing { "FIRING" } else { "quiet" }),
                if firing {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new().fg(Color::Green)
                },
            ));
        }
    }
    for pid in &g.checklists {
        let (total, done) = state
            .runbook
            .checks()
            .enumerate()
            .filter(|(_, (p, _))| &p.id == pid)
            .fold((0, 0), |(t, d), (i, _)| {
                (t + 1, d + usize::from(state.check_done(i)))
            });
        d.lines.push(Line::styled(
            format!("  checklist {pid}: {done}/{total}"),
            if done == total {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::Yellow)
            },
        ));
    }
    d.lines.push(Line::raw(""));
    match note {
        Some((decision, input)) => {
            let who = g.approvers.get(*approver).map_or("", String::as_str);
            let word = if *decision == Decision::Go {
                "GO"
            } else {
                "NO-GO"
            };
            d.lines.push(Line::raw(format!(
                "{word} from {who}: a note (optional), then Enter; Esc goes back."
            )));
            d.input = Some(input.value().to_owned());
        }
        None => d.lines.push(keys_line(&[
            ("G", "GO"),
            ("N", "NO-GO"),
            ("↑↓", "approver"),
            ("Esc", "close"),
        ])),
    }
    d
}

/// What will run: the step and its owner, the exact command, where, and its timeout.
fn describe(lines: &mut Vec<Line<'_>>, state: &State, target: Target) {
    let rollback = state.runbook.rollback.as_ref();
    let (name, owner, command, timeout) = match target {
        Target::Rollback => (
            "rollback".to_owned(),
            None,
            rollback.map(crate::runbook::Rollback::summary),
            rollback.and_then(|r| r.timeout),
        ),
        Target::RollbackPreview => (
            "rollback preview".to_owned(),
            None,
            rollback.and_then(|r| r.preview.as_ref().map(crate::runbook::Command::display)),
            rollback.and_then(|r| r.timeout),
        ),
        Target::Step(i) => match state.step(i) {
            Some((_, s)) => (
                format!("{} · {}", s.id, s.title),
                s.owner.clone(),
                s.command.as_ref().map(crate::runbook::Command::display),
                s.timeout,
            ),
            None => (String::new(), None, None, None),
        },
    };
    lines.push(Line::styled(name, theme::TITLE));
    if let Some(owner) = owner {
        lines.push(Line::from(vec![
            Span::styled("Owner:   ", theme::DIM),
            Span::raw(owner),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled("Command: ", theme::DIM),
        Span::raw(command.unwrap_or_default()),
    ]));
    lines.push(Line::from(vec![
        Span::styled("In:      ", theme::DIM),
        Span::raw(state.runbook.dir.display().to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled("Timeout: ", theme::DIM),
        Span::raw(timeout.map_or_else(|| "none".to_owned(), crate::runbook::time::format_duration)),
    ]));
}

/// Each guard that stands, in words: hard ones in red (overridden, once the override is
/// recorded), soft ones in yellow. True when there was one.
fn guard_lines(lines: &mut Vec<Line<'_>>, state: &State, target: Target, overridden: bool) -> bool {
    let guards = guard::of_target(state, target);
    if guards.is_empty() {
        return false;
    }
    lines.push(Line::raw(""));
    for g in &guards {
        let (mark, style, tail) = match (g.is_hard(), overridden) {
            (true, false) => (
                "✖ ",
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                "",
            ),
            (true, true) => ("✖ ", Style::new().fg(Color::Red), " (overridden)"),
            (false, _) => (
                "⚠ ",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                "",
            ),
        };
        lines.push(Line::styled(format!("{mark}{}{tail}", g.words), style));
    }
    if guards
        .iter()
        .any(|g| matches!(g.kind, guard::Kind::NoReturn | guard::Kind::WindowClosed))
        && let Some(fwd) = state
            .runbook
            .rollback
            .as_ref()
            .and_then(|r| r.roll_forward.as_ref())
    {
        lines.push(Line::raw(format!("Roll-forward guidance: {fwd}")));
    }
    true
}

/// Why the rollback is proposed, or that nothing proposed it.
fn why_rollback(lines: &mut Vec<Line<'_>>, reason: Option<&str>) {
    match reason {
        Some(r) => lines.push(Line::styled(
            format!("Why: {r}"),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        )),
        None => lines.push(Line::raw("Started by the operator (no rule has fired).")),
    }
}

/// The rollback preview's output (its last lines that fit, leaving room for the phrase
/// field below), and how it ended. True while it runs.
fn preview_lines(lines: &mut Vec<Line<'_>>, state: &State, screen_h: u16) -> bool {
    let Some(cmd) = state
        .runbook
        .rollback
        .as_ref()
        .and_then(|r| r.preview.as_ref())
    else {
        return false;
    };
    let run = &state.preview;
    let (status, style) = match &run.status {
        RunStatus::Waiting => ("not run".to_owned(), theme::DIM),
        RunStatus::Running { started } => (
            format!("running {}…", format_duration(state.now - *started)),
            Style::new().fg(Color::Cyan),
        ),
        RunStatus::Succeeded { .. } => ("done, exit 0".to_owned(), Style::new().fg(Color::Green)),
        RunStatus::Failed { reason, .. } => (
            format!("FAILED ({reason}): what it would do is not known"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        RunStatus::Lost { .. } => (
            "LOST: no outcome".to_owned(),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("Preview: ", theme::TITLE),
        Span::styled(fit(&cmd.display(), 40), theme::DIM),
        Span::raw(" · "),
        Span::styled(status, style),
    ]));
    // The preview's end is what matters (a diff's summary, a plan's totals). Around it:
    // what the modal said already (a long line may wrap: one more), this header and the
    // `above` line, then the blank, the phrase line and the `wrong` line, the field (3)
    // and the borders (2).
    let room = usize::from(screen_h)
        .saturating_sub(lines.len() + 1 + 2 + 3 + 3 + 2)
        .clamp(2, 14);
    // From the end back, each line wrapped (a long line is read whole, not cut), as many
    // rows as there is room for.
    let out = run.output.lines();
    let mut rows: Vec<String> = Vec::new();
    let mut shown = 0;
    for l in out.iter().rev() {
        let mut wrapped = super::wrap(l, 66, 4);
        if wrapped.is_empty() {
            wrapped.push(String::new());
        }
        if rows.len() + wrapped.len() > room {
            break;
        }
        rows.splice(0..0, wrapped.into_iter().map(|w| format!("  {w}")));
        shown += 1;
    }
    let above = out.len() - shown;
    if above > 0 {
        lines.push(Line::styled(
            format!("  … {above} lines above (Output pane)"),
            theme::DIM,
        ));
    }
    lines.extend(rows.into_iter().map(Line::raw));
    run.status.is_active()
}

fn keys_line(pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in pairs {
        spans.push(Span::styled(format!("[{k}]"), theme::KEY));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}
