//! The output pane: the shown run's output, already sanitised, newest at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::{draw_pane, fit, theme};
use crate::app::{Pane, RunStatus, State, Target};
use crate::runbook::time::format_duration;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let name = match state.shown {
        Target::Rollback => "rollback".to_owned(),
        Target::RollbackPreview => "rollback preview".to_owned(),
        Target::Step(i) => state.step(i).map(|(_, s)| s.id.clone()).unwrap_or_default(),
    };
    let run = state.run(state.shown);
    let status = run.map(|r| match &r.status {
        RunStatus::Waiting => "not run".to_owned(),
        RunStatus::Lost { .. } => "LOST: outcome unknown".to_owned(),
        RunStatus::Running { started } => {
            format!("running {}", format_duration(state.now - *started))
        }
        RunStatus::Succeeded { .. } => "exit 0".to_owned(),
        RunStatus::Failed { reason, .. } => reason.clone(),
    });
    let inner = draw_pane(
        frame,
        area,
        state,
        Pane::Output,
        format!(" {name} · {} ", status.unwrap_or_default()),
    );
    let Some(run) = run else { return };
    let w = inner.width as usize;
    let height = inner.height as usize;
    let lines = run.output.lines();
    if lines.is_empty() {
        let hint = match (state.shown, &run.status) {
            (Target::Step(i), RunStatus::Waiting) => {
                match state.step(i).and_then(|(_, s)| s.command.as_ref()) {
                    Some(c) => format!("$ {}", c.display()),
                    None => "This step has no command: it is done by hand.".to_owned(),
                }
            }
            _ => "(no output yet)".to_owned(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(fit(&hint, w), theme::DIM)),
            inner,
        );
        return;
    }
    let end = lines.len().saturating_sub(run.scroll);
    let start = end.saturating_sub(height);
    let rows: Vec<Line<'_>> = lines
        .range(start..end)
        .map(|l| Line::raw(fit(l, w)))
        .collect();
    frame.render_widget(Paragraph::new(rows), inner);
}
