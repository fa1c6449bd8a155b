//! The checklist: every phase's items, ticked by hand (with the time) or by a rule.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};

use super::{draw_pane, draw_rows, fit, theme};
use crate::app::{Pane, State};
use crate::rules::{Truth, eval};

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let ticked = (0..state.checks.len())
        .filter(|i| state.check_done(*i))
        .count();
    let inner = draw_pane(
        frame,
        area,
        state,
        Pane::Checklist,
        format!(" {ticked}/{} ", state.checks.len()),
    );
    let w = inner.width as usize;
    let rows: Vec<Line<'_>> = state
        .runbook
        .checks()
        .enumerate()
        .map(|(i, (_, check))| {
            let auto = check.auto.as_ref().map(|e| eval(e, state) == Truth::True);
            let (mark, style) = match (state.checks[i], auto) {
                (Some(_), _) => ("[x]", Style::new().fg(Color::Green)),
                (None, Some(true)) => ("[a]", Style::new().fg(Color::Green)),
                (None, Some(false)) => ("[ ]", Style::new().fg(Color::Yellow)),
                (None, None) => ("[ ]", theme::DIM),
            };
            let when = state.checks[i]
                .map(|t| t.format(" %H:%M").to_string())
                .unwrap_or_default();
            let text = fit(&check.text, w.saturating_sub(4 + when.len()));
            let text_w = w.saturating_sub(4 + when.len());
            let mut line = Line::from(vec![
                Span::styled(format!("{mark} "), style),
                Span::raw(format!("{text:<text_w$}")),
                Span::styled(when, theme::DIM),
            ]);
            if state.focus == Pane::Checklist && i == state.selected_check {
                line = line.patch_style(theme::SELECTED);
            }
            line
        })
        .collect();
    let rows = if rows.is_empty() {
        vec![Line::styled("No checklist items.", theme::DIM)]
    } else {
        rows
    };
    draw_rows(frame, inner, rows, state.selected_check);
}
