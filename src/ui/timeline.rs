//! The timeline: phases, gates and steps with planned time, state, owner, actual times and drift.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::{draw_pane, draw_rows, fit, theme};
use crate::app::guard;
use crate::app::{Pane, RunStatus, State, Verification, Watch};
use crate::runbook::time::{format_duration, format_planned};

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let done = (0..state.steps.len())
        .filter(|i| state.step_done(*i))
        .count();
    let eta = state.projected_finish().map_or_else(String::new, |t| {
        let slip = state.lateness();
        let late = if slip >= chrono::TimeDelta::minutes(1) {
            format!(", {} late", format_duration(slip))
        } else {
            String::new()
        };
        format!(
            "· finish ~{when}{late} ",
            when = crate::runbook::time::format_clock_near(t, state.now)
        )
    });
    let inner = draw_pane(
        frame,
        area,
        state,
        Pane::Timeline,
        format!(" {done}/{} done {eta}", state.steps.len()),
    );
    let w = inner.width as usize;
    let wide = w >= 80;

    let mut rows: Vec<Line<'_>> = Vec::new();
    let mut selected_row = 0;
    let mut index = 0;
    // A plan over several days gets a line where each day begins.
    let day = |p: chrono::TimeDelta| (state.t0 + p).date_naive();
    let days: Vec<_> = state
        .runbook
        .steps()
        .filter_map(|(_, s)| s.planned.map(day))
        .collect();
    let several_days = days.iter().min() != days.iter().max();
    let mut last_day = None;
    for phase in &state.runbook.phases {
        rows.push(Line::styled(
            fit(&format!("{} ", phase.title), w),
            Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        ));
        for step in &phase.steps {
            if several_days
                && let Some(d) = step.planned.map(day)
                && last_day != Some(d)
            {
                last_day = Some(d);
                let today = if d == state.now.date_naive() {
                    " (today)"
                } else {
                    ""
                };
                let label = format!("── {}{today} ", d.format("%a %-d %b"));
                rows.push(Line::styled(
                    format!(
                        "{label}{}",
                        "─".repeat(w.saturating_sub(label.chars().count()))
                    ),
                    theme::DIM,
                ));
            }
            if let Some(gi) = state.runbook.gates.iter().position(|g| g.before == step.id) {
                rows.push(gate_row(state, gi, w));
            }
            if index == state.selected {
                selected_row = rows.len();
            }
            rows.push(step_row(state, index, w, wide));
            index += 1;
        }
    }
    draw_rows(frame, inner, rows, selected_row);
}

/// When the plan ends: a time today, or a date on another day.
fn gate_row(state: &State, gi: usize, w: usize) -> Line<'static> {
    let gate = &state.runbook.gates[gi];
    let gs = &state.gates[gi];
    let go = gs.go_count();
    let held = state.gate_held_by(gi).map(|h| state.hold_name(h));
    let (word, style) = if let Some(rule) = &held {
        (
            format!("HELD by {rule}"),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        )
    } else if gs.is_no_go() {
        (
            "NO-GO".to_owned(),
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        )
    } else if gs.is_go() {
        (
            "GO".to_owned(),
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        )
    } else {
        ("waiting".to_owned(), Style::new().fg(Color::Yellow))
    };
    let head = format!("  ◆ {} ", gate.title);
    let how = match gate.policy {
        crate::runbook::GatePolicy::Unanimous => String::new(),
        crate::runbook::GatePolicy::Any => " · any".to_owned(),
        crate::runbook::GatePolicy::Needs(n) => format!(" · needs {n}"),
        crate::runbook::GatePolicy::FinalSay(i) => format!(
            " · {} decides",
            gate.approvers.get(i).map_or("?", String::as_str)
        ),
    };
    // Only the approvers' own votes open it: the count is theirs.
    let how = if gate.distinct_from_driver {
        format!("{how} · own votes")
    } else {
        how
    };
    // The canary's verdict as recorded (watchers see it too); not judged yet, the dialog
    // says so and the row stays short.
    let canary = state
        .gate_canary(gi)
        .and_then(|c| state.canaries[c].verdict)
        .filter(|(v, ..)| *v != crate::canary::Verdict::Inconclusive)
        .map(|(v, score, _)| format!(" · canary {} {score:.0}", v.word()))
        .unwrap_or_default();
    let tail = format!(" {word} {go}/{}{how}{canary}", gs.votes.len());
    let tail = fit(&tail, w.saturating_sub(8));
    Line::from(vec![
        Span::styled(
            fit(&head, w.saturating_sub(tail.chars().count())),
            Style::new().fg(Color::Yellow),
        ),
        Span::styled(tail, style),
    ])
}

fn step_row(state: &State, i: usize, w: usize, wide: bool) -> Line<'static> {
    let Some((_, step)) = state.step(i) else {
        return Line::raw("");
    };
    let run = &state.steps[i];
    let watch = state.watch_state(i);
    let (sym, sym_style) = match watch {
        Some(Watch::Watching | Watch::Open) => ("⟳", Style::new().fg(Color::Cyan)),
        Some(Watch::Over) => ("✓", Style::new().fg(Color::Green)),
        None if run.done_by_hand.is_some() => ("✓", Style::new().fg(Color::Green)),
        Some(Watch::Before) | None => theme::run_symbol(&run.status),
    };
    let planned = if step.all_day {
        "all day".to_owned()
    } else {
        step.planned.map_or_else(|| "--".to_owned(), format_planned)
    };
    let due = step.planned.map(|p| state.t0 + p);
    let overdue = watch.is_none()
        && run.status == RunStatus::Waiting
        && run.done_by_hand.is_none()
        && due.is_some_and(|d| d < state.now);
    // What keeps a waiting step from running by plan: a gate, a hold, a failed blocking step.
    let standing = (run.status == RunStatus::Waiting
        && run.skipped.is_none()
        && run.done_by_hand.is_none()
        && watch.is_none())
    .then(|| guard::row_guard(state, i))
    .flatten();

    let verify = run.verify.as_ref();
    let status = match &run.status {
        _ if watch.is_some() => match (watch, step.duration, due) {
            (Some(Watch::Watching), Some(d), Some(start)) => {
                format!("{} left", format_duration(start + d - state.now))
            }
            (Some(Watch::Watching | Watch::Open), ..) => "watching".to_owned(),
            (Some(Watch::Over), ..) => "watched".to_owned(),
            _ => "watch".to_owned(),
        },
        _ if run.skipped.is_some() => "skipped".to_owned(),
        _ if run.done_by_hand.is_some() => "done".to_owned(),
        RunStatus::Succeeded { .. } if matches!(verify, Some(Verification::Checking { .. })) => {
            "verify…".to_owned()
        }
        RunStatus::Succeeded { .. } if matches!(verify, Some(Verification::Failed(..))) => {
            "VERIFY ✗".to_owned()
        }
        // What it waits for, rather than that it is late.
        RunStatus::Waiting if standing.is_some() => standing
            .as_ref()
            .map(|g| g.badge.clone())
            .unwrap_or_default(),
        RunStatus::Waiting if overdue => {
            let late = state.now - due.unwrap_or(state.now);
            // Past ten minutes the seconds only crowd the column.
            let late = if late >= chrono::TimeDelta::minutes(10) {
                chrono::TimeDelta::minutes(late.num_minutes())
            } else {
                late
            };
            format!("late {}", format_duration(late))
        }
        RunStatus::Waiting if step.automatic => "auto".to_owned(),
        RunStatus::Waiting => String::new(),
        RunStatus::Lost { .. } => "LOST".to_owned(),
        RunStatus::Running { started } => format!("run {}", format_duration(state.now - *started)),
        RunStatus::Succeeded { started, finished } => {
            format!("ok {}", format_duration(*finished - *started))
        }
        RunStatus::Failed { .. } => "FAILED".to_owned(),
    };
    let status_style = match &run.status {
        _ if matches!(watch, Some(Watch::Watching | Watch::Open)) => Style::new().fg(Color::Cyan),
        _ if watch == Some(Watch::Over) => Style::new().fg(Color::Green),
        _ if watch.is_some() => theme::DIM,
        _ if run.skipped.is_some() => theme::DIM,
        _ if run.done_by_hand.is_some() => Style::new().fg(Color::Green),
        RunStatus::Succeeded { .. } if matches!(verify, Some(Verification::Failed(..))) => {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
        RunStatus::Succeeded { .. } if matches!(verify, Some(Verification::Checking { .. })) => {
            Style::new().fg(Color::Cyan)
        }
        RunStatus::Failed { .. } | RunStatus::Lost { .. } => {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
        RunStatus::Waiting if standing.as_ref().is_some_and(|g| g.is_hard()) => {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
        RunStatus::Waiting if standing.is_some() => Style::new().fg(Color::Yellow),
        RunStatus::Waiting if overdue => {
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
        }
        RunStatus::Running { .. } => Style::new().fg(Color::Cyan),
        RunStatus::Succeeded { .. } => Style::new().fg(Color::Green),
        _ => theme::DIM,
    };
    let extra = if wide {
        owner_and_drift(step, run, due)
    } else {
        String::new()
    };
    // ⚑: a hard guard was overridden to start it (the report lists why).
    let marks = match (step.point_of_no_return, run.overrides.is_empty()) {
        (true, false) => " ⚠⚑",
        (true, true) => " ⚠",
        (false, false) => " ⚑",
        (false, true) => "",
    };
    let head = format!("{sym} {planned:>7} ");
    let status_w = 10;
    let title_w = w.saturating_sub(
        head.chars().count() + extra.chars().count() + status_w + marks.chars().count(),
    );
    let title = fit(&step.title, title_w);
    let mut spans = vec![
        Span::styled(format!("{sym} "), sym_style),
        Span::styled(
            format!("{planned:>7} "),
            if overdue {
                Style::new().fg(Color::Yellow)
            } else {
                theme::DIM
            },
        ),
        Span::raw(format!("{title:<title_w$}")),
        Span::styled(marks, Style::new().fg(Color::Red)),
    ];
    if wide {
        spans.push(Span::styled(extra, theme::DIM));
    }
    spans.push(Span::styled(
        format!("{:>status_w$}", fit(&status, status_w)),
        status_style,
    ));
    let mut line = Line::from(spans);
    if i == state.selected {
        line = line.patch_style(if state.focus == Pane::Timeline {
            theme::SELECTED
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED)
        });
    }
    line
}

/// The wide row's middle: the owner, when it actually started, and how far from plan.
fn owner_and_drift(
    step: &crate::runbook::Step,
    run: &crate::app::Run,
    due: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let started = match &run.status {
        RunStatus::Running { started }
        | RunStatus::Succeeded { started, .. }
        | RunStatus::Failed { started, .. } => Some(*started),
        _ => None,
    };
    let actual = started.map_or_else(
        || "        ".to_owned(),
        |s| s.format("%H:%M:%S").to_string(),
    );
    let drift = match (started, due) {
        (Some(s), Some(d)) => {
            let delta = s - d;
            if delta.num_seconds().abs() < 60 {
                "on time".to_owned()
            } else if delta > chrono::TimeDelta::zero() {
                format!("+{} late", format_duration(delta))
            } else {
                format!("{} early", format_duration(-delta))
            }
        }
        _ => String::new(),
    };
    let owner = step.owner.clone().unwrap_or_default();
    format!(" {:<18} {actual} {drift:<11}", fit(&owner, 18))
}
