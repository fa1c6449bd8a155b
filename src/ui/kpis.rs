//! KPI gauges: value and unit coloured by threshold, a sparkline, min/max, and a badge
//! when the value is stale or the last poll failed. A dead poller never reads green.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::{draw_pane, draw_rows, fit, theme, wrap};
use crate::app::{Pane, State};
use crate::runbook::Health;
use crate::runbook::number::{format_kpi_value, format_value};

/// A failing source's reason beside its gauge.
const FAULT: Style = Style::new().fg(Color::Red);

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let inner = draw_pane(frame, area, state, Pane::Kpis, "");
    let w = inner.width as usize;
    let mut rows: Vec<Line<'_>> = Vec::new();
    // Narrow, the longest badge (`TIMEOUT`) still fits beside label, value and unit.
    // Wide, the longest label whole where the room allows it (half the pane).
    let longest = state
        .runbook
        .kpis
        .iter()
        .map(|k| k.label.chars().count())
        .max()
        .unwrap_or(0);
    let label_w = if w >= 60 {
        longest.clamp(22, (w / 2).max(22))
    } else {
        11
    };
    // Tall gauges (a header line and a sparkline of two rows, or one) when every KPI fits
    // that way, with a row to spare; else a line each.
    let kpis = state.runbook.kpis.len().max(1);
    let room = (inner.height as usize).saturating_sub(state.runbook.endpoints.len() + 1);
    let spark_rows = if w >= 60 {
        (room / kpis).saturating_sub(1).min(2)
    } else {
        0
    };

    for (i, kpi) in state.runbook.kpis.iter().enumerate() {
        kpi_rows(&mut rows, state, (i, kpi), (label_w, w), spark_rows);
    }
    for (i, ep) in state.runbook.endpoints.iter().enumerate() {
        rows.push(endpoint_row(state, (i, ep), (label_w, w)));
    }
    if rows.is_empty() {
        rows.push(Line::styled(
            "No KPIs or endpoints in this runbook.",
            theme::DIM,
        ));
    }
    // Why the selected KPI has no value (failing, stale, none yet), in full, where the
    // operator is looking for it.
    if state.focus == Pane::Kpis
        && state.selected_kpi < state.runbook.kpis.len()
        && let Err(why) = state.kpi_value(state.selected_kpi)
    {
        for line in wrap(&format!("! {why}"), w, 4) {
            rows.push(Line::styled(line, Style::new().fg(Color::Red)));
        }
    }
    // Only where the live samples come: a failing KPI's history failed the same way.
    if state.focus == Pane::Kpis
        && let Some(note) = state
            .kpis
            .get(state.selected_kpi)
            .filter(|k| k.error.is_none())
            .and_then(|k| k.history_note.as_ref())
    {
        let text = format!("no history ({note}): live samples only");
        for line in wrap(&text, w, 2) {
            rows.push(Line::styled(line, theme::DIM));
        }
    }
    let selected = if state.focus == Pane::Kpis {
        state.selected_kpi
    } else {
        0
    };
    draw_rows(frame, inner, rows, selected);
}

/// A KPI's rows: its label, value and badge, then its sparkline (beside it, or under it
/// when tall), or why it fails.
fn kpi_rows<'a>(
    rows: &mut Vec<Line<'a>>,
    state: &'a State,
    (i, kpi): (usize, &'a crate::runbook::Kpi),
    (label_w, w): (usize, usize),
    spark_rows: usize,
) {
    let st = &state.kpis[i];
    let standing = state.kpi_standing(i);
    let value = st
        .last
        .map_or_else(|| "--".to_owned(), |s| format_kpi_value(kpi, s.value));
    let badge = match (&st.error, st.last) {
        (Some(f), _) => Some(f.kind.badge()),
        (None, None) => Some("…"),
        (None, Some(s)) if state.is_stale(s.since(), state.kpi_interval(i)) => Some("STALE"),
        _ => None,
    };
    let unit = fit(&kpi.unit, 4);
    // A text KPI's value (a version, a checksum) takes the value's and the unit's room,
    // its start kept: what tells two values apart is usually there.
    let shown = match (kpi.text, &st.text) {
        (true, Some(t)) => format!("{:<13} ", fit(t, 13)),
        (true, None) => format!("{:<13} ", "--"),
        (false, _) => format!("{value:>8} {unit:<4} "),
    };
    let mut spans = vec![
        Span::raw(format!("{:<label_w$}", fit(&kpi.label, label_w))),
        Span::styled(
            shown,
            theme::standing(standing).add_modifier(Modifier::BOLD),
        ),
    ];
    let mut used = label_w + 8 + 6;
    // A badge in words (`unauthorized (401)`) takes the value's place when both do not
    // fit: what is wrong matters more than the last value.
    // Narrow, a failing KPI's reason takes the old value's place too: what is wrong
    // matters more than the last value.
    if let Some(b) = badge
        && (used + b.chars().count() + 1 > w || (st.error.is_some() && w < 50))
    {
        spans.truncate(1);
        spans.push(Span::raw(" "));
        used = label_w + 1;
    }
    if let Some(b) = badge {
        let style = if b == "…" {
            theme::DIM
        } else {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        };
        spans.push(Span::styled(b, style));
        spans.push(Span::raw(" "));
        used += b.chars().count() + 1;
    }
    let minmax = if w >= 60 {
        st.min_max()
            .map(|(lo, hi)| {
                format!(
                    " {}..{}",
                    format_kpi_value(kpi, lo),
                    format_kpi_value(kpi, hi)
                )
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    let selected = state.focus == Pane::Kpis && i == state.selected_kpi;
    if spark_rows > 0 {
        let range = st.min_max().map(|(lo, hi)| {
            format!(
                "range {}..{}",
                format_kpi_value(kpi, lo),
                format_kpi_value(kpi, hi)
            )
        });
        let right = [Some(thresholds_text(kpi)).filter(|t| !t.is_empty()), range]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ");
        let right_w = w.saturating_sub(used);
        // Failing, it says why on its own row, not only when selected.
        match &st.error {
            Some(f) => spans.push(Span::styled(fit(&f.why, right_w), FAULT)),
            None => spans.push(Span::styled(
                format!("{:>right_w$}", fit(&right, right_w)),
                theme::DIM,
            )),
        }
        let mut line = Line::from(spans);
        if selected {
            line = line.patch_style(theme::SELECTED);
        }
        rows.push(line);
        let spark_w = w.saturating_sub(2);
        for row in theme::sparkline(st.history.iter().copied(), spark_w, spark_rows) {
            let mut spans = vec![Span::raw("  ")];
            spans.extend(spark_spans(
                row,
                past_shown(st, spark_w),
                theme::standing(standing),
            ));
            rows.push(Line::from(spans));
        }
    } else if let Some(f) = &st.error {
        // Failing: why, in its first words, where the sparkline would be.
        spans.push(Span::styled(fit(&f.why, w.saturating_sub(used)), FAULT));
        let mut line = Line::from(spans);
        if selected {
            line = line.patch_style(theme::SELECTED);
        }
        rows.push(line);
    } else {
        let spark_w = w.saturating_sub(used + minmax.chars().count());
        let spark = theme::sparkline(st.history.iter().copied(), spark_w, 1).concat();
        spans.extend(spark_spans(
            spark,
            past_shown(st, spark_w),
            theme::standing(standing),
        ));
        spans.push(Span::styled(minmax, theme::DIM));
        let mut line = Line::from(spans);
        if selected {
            line = line.patch_style(theme::SELECTED);
        }
        rows.push(line);
    }
}

/// An endpoint's row: its health in a word, latency, reason, and since when.
fn endpoint_row<'a>(
    state: &'a State,
    (i, ep): (usize, &'a crate::runbook::Endpoint),
    (label_w, w): (usize, usize),
) -> Line<'a> {
    let health = state.endpoint_health(i);
    let (word, style) = match health {
        Some(Health::Up) => (
            "UP",
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        ),
        Some(Health::Degraded) => (
            "SLOW",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Some(Health::Down) => (
            "DOWN",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Some(Health::Stale) => ("STALE", Style::new().fg(Color::Black).bg(Color::Red)),
        None => ("…", theme::DIM),
    };
    let probe = state.endpoints[i].last.as_ref().map(|(p, _)| p);
    let latency = probe
        .and_then(|p| p.latency)
        .map(format_latency)
        .unwrap_or_default();
    let reason = probe.and_then(|p| p.reason.clone()).unwrap_or_default();
    // When it last changed state, where there is room for it.
    let since = match state.endpoints[i].since {
        Some(t) if w >= 60 => format!("· since {}", t.format("%H:%M:%S")),
        _ => String::new(),
    };
    let detail = fit(
        &[latency, reason, since]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        w.saturating_sub(label_w + 9),
    );
    Line::from(vec![
        Span::raw(format!("{:<label_w$}", fit(&ep.id, label_w))),
        Span::styled(format!("{word:>8}"), style),
        Span::styled(format!(" {detail}"), theme::DIM),
    ])
}

/// How many of the sparkline's `width` newest values came from the source's history.
fn past_shown(st: &crate::app::KpiState, width: usize) -> usize {
    let hidden = st.history.len().saturating_sub(width);
    st.backfilled.saturating_sub(hidden)
}

/// A sparkline row, its first `past` cells (the source's history, fetched at start) dim,
/// the rest (this console's own polls) in the KPI's colour.
fn spark_spans(row: String, past: usize, style: Style) -> Vec<Span<'static>> {
    let split = row.char_indices().nth(past).map_or(row.len(), |(i, _)| i);
    let (before, after) = row.split_at(split);
    let mut spans = Vec::with_capacity(2);
    if !before.is_empty() {
        spans.push(Span::styled(before.to_owned(), theme::DIM));
    }
    spans.push(Span::styled(after.to_owned(), style));
    spans
}

/// `0.4ms`, `12ms`, `1.2s`.
fn format_latency(l: chrono::TimeDelta) -> String {
    let ms = l
        .num_microseconds()
        .map_or(f64::MAX, |us| us as f64 / 1000.0);
    if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.1}s", ms / 1000.0)
    }
}

/// `target 0.5 · warn 1 · crit 2`, as far as the KPI has them.
fn thresholds_text(kpi: &crate::runbook::Kpi) -> String {
    let Some(t) = kpi.thresholds else {
        return String::new();
    };
    let dir = match t.better {
        crate::runbook::Better::Lower => "≤",
        crate::runbook::Better::Higher => "≥",
    };
    [
        ("target", t.target),
        ("warn", t.warning),
        ("crit", t.critical),
    ]
    .iter()
    .filter_map(|(name, v)| v.map(|v| format!("{name} {}", format_value(v))))
    .collect::<Vec<_>>()
    .join(" · ")
    .replacen("target ", &format!("target {dir}"), 1)
}
