//! The alert feed: rules breaching now (pending, with how far in), then alerts newest first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::{draw_pane, draw_rows, fit, theme};
use crate::app::{Pane, State};
use crate::rules::RulePhase;
use crate::runbook::time::format_duration;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let firing = state.rules.iter().filter(|r| r.is_firing()).count();
    let inner = draw_pane(
        frame,
        area,
        state,
        Pane::Alerts,
        if firing > 0 {
            format!(" {firing} firing ")
        } else {
            String::new()
        },
    );
    let w = inner.width as usize;
    let mut rows: Vec<Line<'_>> = Vec::new();

    for (rule, rs) in state.runbook.rules.iter().zip(&state.rules) {
        if let RulePhase::Pending { since } = rs.phase {
            // The time is what matters most (how close it is to firing): the id gives way.
            let time = format!(
                " {} of {}",
                format_duration(state.now - since),
                format_duration(rule.for_)
            );
            let full = format!("PEND {} breaching{time}", rule.id);
            let text = if full.chars().count() <= w {
                full
            } else {
                let room = w.saturating_sub(5 + time.chars().count());
                format!("PEND {}{time}", fit(&rule.id, room.max(4)))
            };
            rows.push(Line::styled(fit(&text, w), Style::new().fg(Color::Yellow)));
        } else if let (Some(since), RulePhase::Firing { .. }) = (rs.no_data_since, &rs.phase) {
            // Firing on data it no longer has: say so, and for how long (`no-data = "keep"`).
            rows.push(Line::styled(
                fit(
                    &format!(
                        "FIRING {} · no data {}",
                        rule.id,
                        format_duration(state.now - since)
                    ),
                    w,
                ),
                Style::new().fg(Color::Red),
            ));
        } else if let (Some(why), RulePhase::Inactive) = (&rs.no_data, &rs.phase) {
            rows.push(Line::styled(
                fit(&format!("NODATA {} ({why})", rule.id), w),
                theme::DIM,
            ));
        }
    }
    let first_alert_row = rows.len();
    for (n, (_, a)) in state.alerts_newest_first().enumerate() {
        let (word, style) = match (a.resolved, &a.acked) {
            (Some(_), _) => ("RES ", Style::new().fg(Color::Green)),
            (None, Some(_)) => (
                "ACK ",
                theme::severity(a.severity).remove_modifier(Modifier::BOLD),
            ),
            (None, None) => (
                match a.severity {
                    crate::runbook::Severity::Critical => "CRIT",
                    crate::runbook::Severity::Warning => "WARN",
                    crate::runbook::Severity::Info => "INFO",
                },
                theme::severity(a.severity),
            ),
        };
        let dur = match a.resolved {
            Some(r) => format!("after {}", format_duration(r - a.fired)),
            None => format!("for {}", format_duration(state.now - a.fired)),
        };
        let head = format!("{} {word} ", a.fired.format("%H:%M"));
        let tail = format!(" {dur}");
        let body = fit(
            &format!("{} {}", a.title, a.detail),
            w.saturating_sub(head.chars().count() + tail.chars().count()),
        );
        let body_w = w.saturating_sub(head.chars().count() + tail.chars().count());
        let mut line = Line::from(vec![
            Span::styled(head, style),
            Span::raw(format!("{body:<body_w$}")),
            Span::styled(tail, theme::DIM),
        ]);
        if state.focus == Pane::Alerts && n == state.selected_alert {
            line = line.patch_style(theme::SELECTED);
        }
        rows.push(line);
    }
    if let Some(am) = &state.am {
        rows.extend(alertmanager_rows(am, w));
    }
    if rows.is_empty() {
        rows.push(Line::styled("No alerts.", theme::DIM));
    }
    let sel = if state.focus == Pane::Alerts {
        first_alert_row + state.selected_alert
    } else {
        0
    };
    draw_rows(frame, inner, rows, sel);
}

/// Alertmanager's alerts, after warroom's own; silenced ones stay visible, marked.
fn alertmanager_rows(am: &crate::app::AmState, w: usize) -> Vec<Line<'static>> {
    let mut rows = Vec::new();
    match &am.silence {
        crate::app::SilenceState::Active { until, .. } => rows.push(Line::styled(
            fit(
                &format!("AM silence active until {}", until.format("%H:%M")),
                w,
            ),
            theme::DIM,
        )),
        crate::app::SilenceState::Failed(e) => {
            rows.push(Line::styled(
                fit(&format!("AM silence failed: {e}"), w),
                Style::new().fg(Color::Red),
            ));
        }
        _ => {}
    }
    if let Some(e) = &am.error {
        rows.push(Line::styled(
            fit(&format!("AM ERR {e}"), w),
            Style::new().fg(Color::Black).bg(Color::Red),
        ));
    }
    for a in &am.alerts {
        let (word, style) = match (a.silenced || a.inhibited, a.severity.as_str()) {
            (true, _) => ("AM quiet", theme::DIM),
            (false, "critical") => (
                "AM CRIT",
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ),
            (false, _) => ("AM WARN", Style::new().fg(Color::Yellow)),
        };
        let when = a
            .starts_at
            .map(|t| t.format("%H:%M ").to_string())
            .unwrap_or_default();
        let mark = if a.silenced {
            " (silenced)"
        } else if a.inhibited {
            " (inhibited)"
        } else {
            ""
        };
        let body = if a.summary.is_empty() {
            a.name.clone()
        } else {
            format!("{}: {}", a.name, a.summary)
        };
        rows.push(Line::from(vec![
            Span::styled(format!("{when}{word} "), style),
            Span::raw(fit(
                &format!("{body}{mark}"),
                w.saturating_sub(when.len() + word.len() + 1),
            )),
        ]));
    }
    rows
}
