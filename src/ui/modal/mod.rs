//! Modals: the y/N confirmation, the typed phrase, cancel, quit, acknowledge, and gates.

mod close;
mod gate;
mod people;
mod step;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{centered, fit, theme, wrap};
use crate::app::guard;
use crate::app::{Decision, Modal, RunStatus, State, Target};
use crate::runbook::time::format_duration;
use tui_input::Input;

use close::*;
use gate::*;
use people::*;
use step::*;

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
        Modal::Record { step, input } => record_dialog(state, step, input),
        Modal::Silence => silence(state),
        Modal::Close { selected, note } => close(state, selected, note),
        Modal::ConfirmClose(outcome) => confirm_close(outcome),
        Modal::StatusUpdate {
            input,
            communication,
            channels,
        } => status_update(state, input, communication, channels),
        Modal::DeclareIncident { input } => declare_incident(input),
        Modal::StandDown => stand_down(state),
        Modal::Handover { to } => handover(to),
        Modal::Contacts => contacts(state),
        Modal::OwnVote {
            gate,
            approver,
            decision,
            input,
        } => own_vote(state, (*gate, *approver), *decision, input),
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
pub(super) struct Dialog<'a> {
    pub(super) title: String,
    pub(super) lines: Vec<Line<'a>>,
    pub(super) danger: bool,
    pub(super) input: Option<String>,
}

impl Dialog<'_> {
    pub(super) const fn new() -> Self {
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

/// What will run: the step and its owner, the exact command, where, and its timeout.
pub(super) fn describe(lines: &mut Vec<Line<'_>>, state: &State, target: Target) {
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
pub(super) fn guard_lines(
    lines: &mut Vec<Line<'_>>,
    state: &State,
    target: Target,
    overridden: bool,
) -> bool {
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
pub(super) fn why_rollback(lines: &mut Vec<Line<'_>>, reason: Option<&str>) {
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
pub(super) fn preview_lines(lines: &mut Vec<Line<'_>>, state: &State, screen_h: u16) -> bool {
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

pub(super) fn keys_line(pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in pairs {
        spans.push(Span::styled(format!("[{k}]"), theme::KEY));
        spans.push(Span::raw(format!(" {what}   ")));
    }
    Line::from(spans)
}
