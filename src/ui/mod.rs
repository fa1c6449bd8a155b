//! Rendering: reads `State`, draws, never changes anything. One file per pane.
//!
//! ```text
//! ┌ header: runbook · UTC clock · T-offset · phase · status light ───────────────┐
//! │ status line: critical banner, notice, or the next planned step's countdown   │
//! ├ Timeline ─────────────────────────────┬ KPIs ───────────────────────────────┤
//! │ phases, gates, steps: planned, state, │ value, unit, sparkline, min/max,    │
//! │ owner, actual, drift                  │ stale/error badges                  │
//! ├ Output ───────────────────────────────┼ Alerts ─────────────────────────────┤
//! │ the selected step's output            │ pending rules, firing, resolved     │
//! │                                       ├ Checklist ──────────────────────────┤
//! │                                       │ [x] items                           │
//! └ footer: the keys that apply now ──────┴─────────────────────────────────────┘
//! ```
//! Modals (confirmations, the typed phrase, gates) and the `?` help draw on top.

mod alerts;
pub mod ansi;
mod checklist;
mod header;
mod help;
mod kpis;
mod modal;
mod output;
mod replay;
pub mod theme;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, BorderType, Borders};

use crate::app::{Pane, State};

/// The smallest terminal the layout serves: below it the panes would be cut past reading.
pub const SMALLEST: (u16, u16) = (60, 16);

pub fn render(frame: &mut Frame<'_>, state: &State) {
    let area = frame.area();
    if area.width < SMALLEST.0 || area.height < SMALLEST.1 {
        // The header and the banner still say what matters (an alert, the rollback); the
        // rest asks for room rather than showing a cut screen.
        let [head, status, rest] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .areas(area);
        header::render(frame, head, state);
        header::render_status_line(frame, status, state);
        let text = format!(
            "terminal too small: {}x{}, needs {}x{}",
            area.width, area.height, SMALLEST.0, SMALLEST.1
        );
        frame.render_widget(
            ratatui::widgets::Paragraph::new(fit(&text, usize::from(rest.width)))
                .style(theme::TITLE),
            rest,
        );
        return;
    }
    let [head, status, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(6),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::render(frame, head, state);
    header::render_status_line(frame, status, state);
    header::render_footer(frame, foot, state);

    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let [timeline_area, kpi_area] =
        Layout::horizontal([Constraint::Percentage(57), Constraint::Percentage(43)]).areas(top);
    let [output_area, right] =
        Layout::horizontal([Constraint::Percentage(57), Constraint::Percentage(43)]).areas(bottom);
    let [alerts_area, checklist_area] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);

    timeline::render(frame, timeline_area, state);
    kpis::render(frame, kpi_area, state);
    output::render(frame, output_area, state);
    alerts::render(frame, alerts_area, state);
    checklist::render(frame, checklist_area, state);

    if let Some(m) = &state.modal {
        modal::render(frame, m, state);
    }
    if let Some(top) = state.help {
        help::render(frame, top);
    }
}

/// Draws a pane's frame (its title highlighted when focused, an optional right-hand title)
/// and returns the area inside it.
fn draw_pane<'a>(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &State,
    pane: Pane,
    extra: impl Into<Line<'a>>,
) -> Rect {
    let focused = state.focus == pane;
    let style = if focused {
        theme::FOCUSED_BORDER
    } else {
        theme::DIM
    };
    let title = if focused {
        format!("[{}]", pane.title())
    } else {
        format!(" {} ", pane.title())
    };
    let name = title.clone();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(style)
        .title(Line::styled(
            title,
            if focused {
                theme::TITLE.patch(theme::FOCUSED_BORDER)
            } else {
                theme::TITLE
            },
        ))
        .title(right_title(extra.into(), area, &name));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A pane's right-hand title, cut to the room its border leaves beside the pane's name
/// (a long error there never runs over the name or the corner).
fn right_title<'a>(extra: Line<'a>, area: Rect, title: &str) -> Line<'a> {
    let room = usize::from(area.width).saturating_sub(title.chars().count() + 3);
    if extra.width() <= room {
        return extra.right_aligned();
    }
    let text: String = extra.spans.iter().map(|s| s.content.as_ref()).collect();
    let style = extra.spans.first().map_or(extra.style, |s| s.style);
    Line::styled(fit(&text, room), style).right_aligned()
}

/// Draws as many of `rows` as fit in `area`, scrolled so that row `selected` stays visible.
fn draw_rows(frame: &mut Frame<'_>, area: Rect, rows: Vec<Line<'_>>, selected: usize) {
    let height = area.height as usize;
    let skip = scroll_offset(selected, height, rows.len());
    // Line by line rather than through a Paragraph: a Paragraph styles every cell of its
    // area and re-composes each line grapheme by grapheme, the bulk of a frame's cost.
    for (row, line) in (area.y..area.bottom()).zip(rows.into_iter().skip(skip)) {
        frame.render_widget(
            line,
            Rect {
                y: row,
                height: 1,
                ..area
            },
        );
    }
}

/// The first row to draw so that `selected` stays visible in `height` rows.
fn scroll_offset(selected: usize, height: usize, total: usize) -> usize {
    if height == 0 || total <= height {
        return 0;
    }
    let half = height / 2;
    selected.saturating_sub(half).min(total - height)
}

/// A rectangle of at most `w` x `h` centred in `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// `s` in lines of at most `width` characters, broken at spaces (a longer word is cut),
/// at most `max` lines; what does not fit is marked with `…`.
fn wrap(s: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ') {
        let mut word: String = word.to_owned();
        loop {
            let len = line.chars().count();
            let wlen = word.chars().count();
            if len + usize::from(len > 0) + wlen <= width {
                if len > 0 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the line: cut it.
            let head: String = word.chars().take(width.max(1)).collect();
            word = word.chars().skip(width.max(1)).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            *last = fit(&format!("{last} …"), width);
            if !last.ends_with('…') {
                last.push('…');
            }
        }
    }
    lines
}

/// Cuts `s` to `width` characters, marking the cut with `…`.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_cuts_long_words_and_marks_what_is_left_out() {
        assert_eq!(wrap("one two three", 7, 3), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4, 5), vec!["abcd", "efgh", "ij"]);
        let cut = wrap("a b c d e f g h", 3, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…'), "{cut:?}");
        assert!(cut.iter().all(|l| l.chars().count() <= 3), "{cut:?}");
        assert_eq!(wrap("", 5, 2), Vec::<String>::new());
    }
}
