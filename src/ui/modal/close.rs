//! The dialogs that end a console's part or the run: the close and its sign-offs, a
//! handover, quitting, setting T0.

use super::*;

/// The close: each role's sign-off, then the outcome.
pub(super) fn close<'a>(state: &'a State, selected: &usize, note: &Option<Input>) -> Dialog<'a> {
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
pub(super) fn confirm_close<'a>(outcome: &crate::app::event::Outcome) -> Dialog<'a> {
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

/// Another operator asks to take the run over.
pub(super) fn handover<'a>(to: &crate::app::Operator) -> Dialog<'a> {
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

/// Quitting, and what still runs.
pub(super) fn quit<'a>(state: &'a State) -> Dialog<'a> {
    let mut d = Dialog::new();
    d.title = " Quit warroom? ".to_owned();
    let what = state.running_words().unwrap_or_default();
    let verb = if what.contains(", ") { "are" } else { "is" };
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

/// Setting T0 to now.
pub(super) fn set_t0<'a>(state: &'a State) -> Dialog<'a> {
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
