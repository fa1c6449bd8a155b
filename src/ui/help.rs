//! The `?` overlay: every key, from the same table the handler dispatches on.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, theme};
use crate::app::keys::{BINDINGS, Scope};

/// The narrowest a column of keys is; wider when the screen has room for every word.
const COLUMN: usize = 38;

pub fn render(frame: &mut Frame<'_>) {
    let area = frame.area();
    let texts: Vec<String> = BINDINGS
        .iter()
        .map(|b| match b.scope {
            Scope::Everywhere => b.what.to_owned(),
            Scope::In(p) => format!("{} ({})", b.what, p.title()),
        })
        .collect();
    let longest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0) + 8;
    let one_column_fits = BINDINGS.len() + 5 <= area.height as usize;
    let room = if one_column_fits {
        usize::from(area.width).saturating_sub(4)
    } else {
        usize::from(area.width).saturating_sub(4) / 2
    };
    let column = longest.min(room).max(COLUMN);
    let entries: Vec<Vec<Span<'_>>> = BINDINGS
        .iter()
        .zip(&texts)
        .map(|(b, text)| {
            vec![
                Span::styled(format!("{:>6}  ", b.label), theme::KEY),
                Span::raw(format!(
                    "{:<w$}",
                    super::fit(text, column - 8),
                    w = column - 8
                )),
            ]
        })
        .collect();
    let notes = [
        "Confirm: y runs; n or Esc cancels.",
        "Phrases: type exactly, then Enter.",
    ];
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
        column + 2
    } else {
        column * 2 + 2
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
