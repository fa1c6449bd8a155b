//! The replay's bar: the night from its first record to its last, its gates (`G`), alerts
//! (`!`) and the rollback (`R`) marked, the moment shown (`●`), and the keys.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::ReplayView;
use crate::app::replay::MarkerKind;

const KEYS: &str = " Space ←→ [ ] +- g q";

pub fn bar(frame: &mut Frame<'_>, area: Rect, now: DateTime<Utc>, r: &ReplayView) {
    let w = area.width as usize;
    let clock = format!(" {} ", now.format("%H:%M:%S"));
    // What the replay has to say takes the keys' place, up to half the width.
    let says = r
        .says
        .as_deref()
        .map(|t| format!(" {}", super::fit(t, w / 2)));
    let keys = says.as_deref().unwrap_or(if w >= 60 { KEYS } else { "" });
    let width = w.saturating_sub(clock.chars().count() + keys.chars().count() + 2);
    let span = (r.end - r.start).num_milliseconds().max(1);
    let col = |t: DateTime<Utc>| -> usize {
        let x = (t - r.start).num_milliseconds().clamp(0, span);
        let last = width.saturating_sub(1) as i64;
        usize::try_from(x * last / span).unwrap_or(0)
    };
    let mut cells: Vec<(char, Style)> = vec![('─', theme::DIM); width];
    for m in r.markers.iter() {
        let (c, style) = match m.kind {
            MarkerKind::Step => continue,
            MarkerKind::Gate => ('G', Style::new().fg(Color::Cyan)),
            MarkerKind::Alert => ('!', Style::new().fg(Color::Yellow)),
            MarkerKind::Rollback => (
                'R',
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
        };
        if let Some(cell) = cells.get_mut(col(m.at)) {
            // The rollback stands over an alert, an alert over a gate.
            if cell.0 != 'R' && !(cell.0 == '!' && c == 'G') {
                *cell = (c, style);
            }
        }
    }
    if let Some(cell) = cells.get_mut(col(now)) {
        *cell = (
            '●',
            Style::new().fg(Color::White).add_modifier(Modifier::BOLD),
        );
    }
    let mut spans = vec![Span::raw(" ")];
    spans.extend(
        cells
            .into_iter()
            .map(|(c, s)| Span::styled(c.to_string(), s)),
    );
    spans.push(Span::styled(clock, theme::TITLE));
    spans.push(Span::styled(
        keys.to_owned(),
        if r.says.is_some() {
            Style::new().fg(Color::Yellow)
        } else {
            theme::KEY
        },
    ));
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(Color::Black)),
        area,
    );
}
