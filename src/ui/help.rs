//! The `?` overlay: every key, from the same table the handler dispatches on.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, theme};
use crate::app::keys::{BINDINGS, Scope};

const COLUMN: usize = 38;

pub fn render(frame: &mut Frame<'_>) {
    let entries: Vec<Vec<Span<'_>>> = BINDINGS
        .iter()
        .map(|b| {
            let scope = match b.scope {
                Scope::Everywhere => String::new(),
                Scope::In(p) => format!(" ({})", p.title()),
            };
            let text = format!("{}{scope}", b.what);
            vec![
                Span::styled(format!("{:>6}  ", b.label), theme::KEY),
                Span::raw(format!(
                    "{:<w$}",
                    super::fit(&text, COLUMN - 8),
                    w = COLUMN - 8
                )),
            ]
        })
        .collect();
    let notes = [
        "Confirm: y runs; n or Esc cancels.",
        "Phrases: type exactly, then Enter.",
    ];
    let area = frame.area();
    // One column when it fits, two side by side on short screens.
    let one_column = entries.len() + notes.len() + 3 <= area.height as usize;
    let mut lines: Vec<Line<'_>> = if one_column {
        entries.into_iter().map(Line::from).collect()
    } else {
        let half = entries.len().div_ceil(2);
        let mut it = entries.into_iter();
        let left: Vec<_> = it.by_ref().take(half).collect();
        let right: Vec<_> = it.collect();
        left.into_iter()
            .enumerate()
            .map(|(i, mut spans)| {
                if let Some(r) = right.get(i) {
                    spans.extend(r.iter().cloned());
                }
                Line::from(spans)
            })
            .collect()
    };
    lines.push(Line::raw(""));
    lines.extend(notes.iter().map(|n| Line::styled(*n, theme::DIM)));
    let width = if one_column {
        COLUMN + 2
    } else {
        COLUMN * 2 + 2
    };
    let rect = centered(area, width as u16, lines.len() as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(theme::FOCUSED_BORDER)
                .title(Line::styled(" Keys · any key closes ", theme::TITLE)),
        ),
        rect,
    );
}
