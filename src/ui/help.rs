//! The `?` overlay: every key, from the same table the handler dispatches on.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, theme};
use crate::app::keys::{BINDINGS, Scope};

/// The narrowest a column of keys is; wider when the screen has room for every word.
const COLUMN: usize = 38;

const NOTES: [&str; 2] = [
    "Confirm: y runs; n or Esc cancels.",
    "Phrases: type exactly, then Enter.",
];

/// How the keys are laid out on a screen this size: in one column or two, how wide a
/// column is, and how many rows that takes (keys, a blank line and the notes).
struct Shape {
    columns: usize,
    column: usize,
    rows: usize,
}

fn texts() -> Vec<String> {
    BINDINGS
        .iter()
        .map(|b| match b.scope {
            Scope::Everywhere => b.what.to_owned(),
            Scope::In(p) => format!("{} ({})", b.what, p.title()),
        })
        .collect()
}

fn shape(area: Rect, texts: &[String]) -> Shape {
    let longest = texts.iter().map(|t| t.chars().count()).max().unwrap_or(0) + 8;
    let inside = usize::from(area.width).saturating_sub(4);
    let tall_enough = BINDINGS.len() + NOTES.len() + 3 <= usize::from(area.height);
    // Two columns side by side on a short screen, when both fit whole; otherwise one
    // column, which scrolls when it does not fit either.
    let columns = if !tall_enough && inside / 2 >= COLUMN {
        2
    } else {
        1
    };
    let column = longest
        .min(inside / columns)
        .max(COLUMN.min(inside / columns));
    Shape {
        columns,
        column: column.max(9),
        rows: BINDINGS.len().div_ceil(columns) + 1 + NOTES.len(),
    }
}

/// Whether every key fits a screen this size, so the overlay has nothing to scroll.
pub fn fits(area: Rect) -> bool {
    shape(area, &texts()).rows + 2 <= usize::from(area.height)
}

/// The overlay, scrolled `top` rows down when the screen is too short for every key.
pub fn render(frame: &mut Frame<'_>, top: usize) {
    let area = frame.area();
    let texts = texts();
    let Shape {
        columns, column, ..
    } = shape(area, &texts);
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
    let mut lines: Vec<Line<'_>> = if columns == 1 {
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
    lines.extend(NOTES.iter().map(|n| Line::styled(*n, theme::DIM)));
    // On a screen too short for every row, the rows scroll and the title says which way.
    let shown = usize::from(area.height).saturating_sub(2).min(lines.len());
    let top = top.min(lines.len() - shown);
    let above = top > 0;
    let below = top + shown < lines.len();
    let title = if above || below {
        format!(
            " Keys {}{} scroll · any other key closes ",
            if above { "↑" } else { "" },
            if below { "↓" } else { "" }
        )
    } else {
        " Keys · any key closes ".to_owned()
    };
    let rect = centered(area, (column * columns + 2) as u16, shown as u16 + 2);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(top).take(shown).collect::<Vec<_>>()).block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(theme::FOCUSED_BORDER)
                .title(Line::styled(title, theme::TITLE)),
        ),
        rect,
    );
}
