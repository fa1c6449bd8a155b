//! Colours and symbols, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::app::RunStatus;
use crate::runbook::{Severity, Standing};

pub fn standing(s: Option<Standing>) -> Style {
    match s {
        Some(Standing::Good) => Style::new().fg(Color::Green),
        Some(Standing::Warning) => Style::new().fg(Color::Yellow),
        Some(Standing::Critical) => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        None => Style::new().fg(Color::DarkGray),
    }
}

/// A colour a runbook names, as the terminal shows it.
pub fn hue(h: crate::runbook::status::Hue) -> Color {
    use crate::runbook::status::Hue;
    match h {
        Hue::Green => Color::Green,
        Hue::Yellow => Color::Yellow,
        Hue::Orange => Color::Rgb(255, 140, 0),
        Hue::Red => Color::Red,
        Hue::Blue => Color::Blue,
        Hue::Cyan => Color::Cyan,
        Hue::Magenta => Color::Magenta,
        Hue::White => Color::White,
        Hue::Gray => Color::Gray,
        Hue::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

pub fn severity(s: Severity) -> Style {
    match s {
        Severity::Info => Style::new().fg(Color::Cyan),
        Severity::Warning => Style::new().fg(Color::Yellow),
        Severity::Critical => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

pub fn run_symbol(s: &RunStatus) -> (&'static str, Style) {
    match s {
        RunStatus::Waiting => ("·", Style::new().fg(Color::DarkGray)),
        RunStatus::Lost { .. } => (
            "?",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        RunStatus::Running { .. } => (
            "▶",
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        RunStatus::Succeeded { .. } => ("✓", Style::new().fg(Color::Green)),
        RunStatus::Failed { .. } => (
            "✗",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
    }
}

pub const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const TITLE: Style = Style::new().add_modifier(Modifier::BOLD);
pub const FOCUSED_BORDER: Style = Style::new().fg(Color::Cyan);
pub const KEY: Style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
pub const BANNER_CRITICAL: Style = Style::new()
    .fg(Color::White)
    .bg(Color::Red)
    .add_modifier(Modifier::BOLD);
pub const BANNER_INFO: Style = Style::new().fg(Color::Black).bg(Color::Yellow);

const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The last `width` values as a sparkline `height` rows tall (top row first), scaled to
/// their own range.
pub fn sparkline(
    values: impl DoubleEndedIterator<Item = f64> + ExactSizeIterator,
    width: usize,
    height: usize,
) -> Vec<String> {
    let len = values.len();
    let tail: Vec<f64> = values.skip(len.saturating_sub(width)).collect();
    let (lo, hi) = tail
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(*v), h.max(*v))
        });
    let range = hi - lo;
    let steps = height * 8;
    // Eighths of a cell per value: a flat series sits mid-height, so it reads as "steady".
    let levels: Vec<usize> = tail
        .iter()
        .map(|v| {
            if range <= f64::EPSILON || !range.is_finite() {
                steps / 2
            } else {
                1 + (((v - lo) / range) * (steps - 1) as f64).round() as usize
            }
        })
        .collect();
    (0..height)
        .map(|row| {
            let floor = (height - 1 - row) * 8;
            levels
                .iter()
                .map(|&l| match l.saturating_sub(floor) {
                    0 => ' ',
                    n if n >= 8 => SPARKS[7],
                    n => SPARKS[n - 1],
                })
                .collect()
        })
        .collect()
}
