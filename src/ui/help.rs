//! The `?` overlay: every key, from the same table the handler dispatches on.

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{centered, theme};
use crate::app::keys::{BINDINGS, Scope};

pub fn render(frame: &mut Frame<'_>) {
    let mut lines: Vec<Line<'_>> = BINDINGS
        .iter()
        .map(|b| {
            let scope = match b.scope {
                Scope::Everywhere => String::new(),
                Scope::In(p) => format!(" ({})", p.title()),
            };
            Line::from(vec![
                Span::styled(format!("{:>7}  ", b.label), theme::KEY),
                Span::raw(format!("{}{scope}", b.what)),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Confirmations: y runs, n or Esc cancels;",
        theme::DIM,
    ));
    lines.push(Line::styled(
        "typed phrases: type it exactly, then Enter.",
        theme::DIM,
    ));
    let area = centered(frame.area(), 52, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .border_style(theme::FOCUSED_BORDER)
                .title(Line::styled(" Keys · any key closes ", theme::TITLE)),
        ),
        area,
    );
}
