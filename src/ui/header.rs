//! The header (clock, T-offset, phase, status light), the status line under it, and the footer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{fit, theme};
use crate::app::{Modal, RollbackCheck, RunStatus, State, keys};
use crate::runbook::time::{format_duration, format_planned, format_t_offset};
use crate::runbook::{RuleAction, Standing};

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let clock = state.now.format("%H:%M:%S UTC").to_string();
    let t = format_t_offset(state.now - state.t0);
    let phase = state.current_phase().unwrap_or("-");
    let light_span = light(state);
    let t_span = Span::styled(t, Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD));
    let clock_span = Span::styled(clock, Style::new().add_modifier(Modifier::BOLD));
    let mut left = vec![Span::styled(
        " warroom ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    let mut used = 9;
    for (text, style) in banners(state) {
        used += text.chars().count() + 2;
        left.push(Span::styled(format!(" {text} "), style));
    }
    // When the banners crowd the line, the clock goes first, then the T-offset: the status
    // light always stays (and the banners say what is going on).
    let width = area.width as usize;
    let span_w = |spans: &[Span<'_>]| {
        spans
            .iter()
            .map(|s| s.content.chars().count())
            .sum::<usize>()
    };
    let full = vec![
        clock_span,
        Span::raw("  "),
        t_span.clone(),
        Span::raw("  "),
        light_span.clone(),
    ];
    let short = vec![t_span, Span::raw("  "), light_span.clone()];
    // The deployment window: while all is well it gives way to the run's name; an overrun
    // coming or come goes before the clock.
    let window = state.window_words().map(|(text, standing)| {
        let style = match standing {
            Standing::Good => theme::DIM,
            Standing::Warning => theme::standing(Some(standing)).add_modifier(Modifier::BOLD),
            Standing::Critical => theme::BANNER_CRITICAL,
        };
        (
            vec![Span::styled(format!(" {text} "), style), Span::raw(" ")],
            standing,
        )
    });
    let with = |w: &[Span<'static>], rest: &[Span<'static>]| {
        w.iter().chain(rest).cloned().collect::<Vec<_>>()
    };
    let mut tiers: Vec<(Vec<Span<'_>>, usize)> = Vec::new();
    match &window {
        Some((w, Standing::Good)) => {
            tiers.push((with(w, &full), 24));
            tiers.extend([(full.clone(), 0), (short.clone(), 0)]);
        }
        Some((w, _)) => tiers.extend([
            (with(w, &full), 0),
            (with(w, &short), 0),
            (with(w, std::slice::from_ref(&light_span)), 0),
        ]),
        None => tiers.extend([(full.clone(), 0), (short.clone(), 0)]),
    }
    let right = tiers
        .into_iter()
        .find(|(r, room)| used + span_w(r) + room < width)
        .map_or_else(|| vec![light_span], |(r, _)| r);
    let right_w = span_w(&right);
    let left_w = width.saturating_sub(right_w + 1);
    let name = format!(" {} · {phase}", state.runbook.name);
    left.push(Span::styled(
        fit(&name, left_w.saturating_sub(used)),
        theme::TITLE,
    ));
    let left_len: usize = left.iter().map(|s| s.content.chars().count()).sum();
    let pad = (area.width as usize).saturating_sub(left_len + right_w);
    left.push(Span::raw(" ".repeat(pad)));
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)), area);
}

/// The status light: the playbook's own level in its colour where it defines them, else
/// warroom's OK, WARN, ALERT.
fn light(state: &State) -> Span<'static> {
    let light = state.status_light();
    match state.status_level() {
        Some(l) => Span::styled(
            format!("● {}", l.name.to_uppercase()),
            Style::new()
                .fg(theme::hue(l.hue))
                .add_modifier(Modifier::BOLD),
        ),
        None => Span::styled(
            format!(
                "● {}",
                match light {
                    Standing::Good => "OK",
                    Standing::Warning => "WARN",
                    Standing::Critical => "ALERT",
                }
            ),
            theme::standing(Some(light)).add_modifier(Modifier::BOLD),
        ),
    }
}

/// The header's banners, in order: a replay or a watcher first (nothing here acts), a
/// rehearsal, the rollback, the close, the incident with its level and response time.
fn banners(state: &State) -> Vec<(String, Style)> {
    let mut out = Vec::new();
    let magenta = Style::new()
        .fg(Color::Black)
        .bg(Color::Magenta)
        .add_modifier(Modifier::BOLD);
    if let Some(r) = &state.replay {
        let play = if r.playing { "▶" } else { "⏸" };
        out.push((format!("REPLAY {play} {}×", r.speed), magenta));
    } else if let Some(w) = &state.watching {
        out.push(match w.gone_since {
            Some(at) => (
                format!("DRIVER GONE {}", at.format("%H:%M")),
                theme::BANNER_CRITICAL,
            ),
            None => (
                "READ-ONLY".to_owned(),
                Style::new()
                    .fg(Color::Black)
                    .bg(Color::Yellow)
                    .add_modifier(Modifier::BOLD),
            ),
        });
    } else if !state.watchers.is_empty() {
        out.push((format!("{} watching", state.watchers.len()), theme::DIM));
    }
    if let Some(speed) = state.rehearsal {
        let speed = crate::runbook::number::format_value(speed);
        out.push((format!("REHEARSAL {speed}×"), magenta));
    }
    out.extend(rollback_banner(state));
    if let Some((_, outcome)) = state.closed {
        let text = format!("CLOSED · {}", outcome.word().to_uppercase());
        out.push((text, theme::BANNER_INFO));
    }
    if let Some(i) = &state.incident {
        let level = i.level.map(|l| format!(" L{l}")).unwrap_or_default();
        // The level's response time running: what is left, or how long overdue.
        let respond = state
            .response_left()
            .map(|left| {
                if left >= chrono::TimeDelta::zero() {
                    format!(" · respond {}", format_duration(left))
                } else {
                    format!(" · RESPONSE OVERDUE {}", format_duration(-left))
                }
            })
            .unwrap_or_default();
        let age = format_duration(state.now - i.since);
        out.push((
            format!("INCIDENT{level} {age}{respond}"),
            theme::BANNER_CRITICAL,
        ));
    }
    out
}

/// The rollback's banner in the header, while it runs and after: paused, counting against
/// its target, rolled back (and checked), failed or lost.
fn rollback_banner(state: &State) -> Option<(String, Style)> {
    let target = state.runbook.rollback.as_ref().and_then(|r| r.target);
    match &state.rollback.status {
        RunStatus::Waiting => None,
        // Paused for a step's confirmation: the operator's word is what it waits for.
        RunStatus::Running { .. } if state.rollback_awaiting.is_some() => {
            let k = state.rollback_awaiting.unwrap_or_default();
            let n = state.runbook.rollback.as_ref().map_or(0, |r| r.steps.len());
            Some((
                format!("ROLLBACK PAUSED before {}/{n} · R", k + 1),
                theme::BANNER_CRITICAL,
            ))
        }
        // Against its target duration, counting.
        RunStatus::Running { started } => {
            let took = state.now - *started;
            let steps = state
                .runbook
                .rollback
                .as_ref()
                .map_or(&[][..], |r| &r.steps);
            let which = match steps.get(state.rollback_step) {
                Some(st) if steps.len() > 1 => {
                    format!(" {}/{} {}", state.rollback_step + 1, steps.len(), st.id)
                }
                _ => String::new(),
            };
            let text = match target {
                Some(t) if took <= t => {
                    format!(
                        "ROLLING BACK{which} {} of {}",
                        format_duration(took),
                        format_duration(t)
                    )
                }
                Some(t) => format!(
                    "ROLLING BACK{which} {} > {} target",
                    format_duration(took),
                    format_duration(t)
                ),
                None => format!("ROLLING BACK{which}"),
            };
            Some((text, theme::BANNER_CRITICAL))
        }
        RunStatus::Succeeded { .. } => Some(match &state.rollback_check {
            Some(RollbackCheck::Checking { .. }) => {
                ("ROLLED BACK · checking".to_owned(), theme::BANNER_INFO)
            }
            Some(RollbackCheck::Met(_)) => ("ROLLED BACK ✓".to_owned(), theme::BANNER_INFO),
            Some(RollbackCheck::NotMet(..)) => (
                "ROLLED BACK · CRITERIA NOT MET".to_owned(),
                theme::BANNER_CRITICAL,
            ),
            None => ("ROLLED BACK".to_owned(), theme::BANNER_INFO),
        }),
        RunStatus::Failed { .. } => Some(("ROLLBACK FAILED".to_owned(), theme::BANNER_CRITICAL)),
        RunStatus::Lost { .. } => Some(("ROLLBACK LOST".to_owned(), theme::BANNER_CRITICAL)),
    }
}

/// A banner's "press this" hint, which a watcher, who cannot act, is not given.
fn key_hint<'a>(state: &State, hint: &'a str) -> &'a str {
    if state.watching.is_some() { "" } else { hint }
}

/// One line under the header: what most needs the operator's eyes right now.
pub fn render_status_line(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let w = area.width as usize;
    let no_go = state
        .gates
        .iter()
        .zip(&state.runbook.gates)
        .find(|(g, _)| g.is_no_go());
    let line = if let Some(why) = &state.read_only {
        // Above everything: no key may act now, the rollback included.
        let text = format!(" JOURNAL FAILED: {why} · actions are off, watching goes on");
        Line::styled(fit(&text, w), theme::BANNER_CRITICAL)
    } else if let Some((rule, deadline)) = state.auto_rollback {
        let left = (deadline - state.now).max(chrono::TimeDelta::zero());
        let text = format!(
            " AUTOMATIC ROLLBACK in {} ({}: {}){}",
            format_t_offset(left).trim_start_matches("T+"),
            state.runbook.rules[rule].id,
            state.rule_values(rule),
            key_hint(state, " · c: cancel it")
        );
        Line::styled(fit(&text, w), theme::BANNER_CRITICAL)
    } else if let Some(r) = state
        .rollback_proposed()
        .filter(|_| state.rollback.status == RunStatus::Waiting)
    {
        let rule = &state.runbook.rules[r];
        let since = match state.rules[r].phase {
            crate::rules::RulePhase::Firing { since } => state.now - since + rule.for_,
            _ => rule.for_,
        };
        // Shorter causes for narrower screens: the values say most, the rule id least.
        let values = state.rule_values(r);
        let causes = [
            format!("{} {values} for {}", rule.id, format_duration(since)),
            format!("{values} for {}", format_duration(since)),
            values.clone(),
        ];
        let mut action = String::new();
        if let (Some(window), crate::rules::RulePhase::Firing { since }) =
            (rule.decide_within, &state.rules[r].phase)
        {
            let left = window - (state.now - *since);
            action.push_str(&format!(
                " · decide within {}",
                format_duration(left.max(chrono::TimeDelta::zero()))
            ));
        }
        if matches!(
            rule.action,
            RuleAction::ProposeRollback | RuleAction::AutoRollback { .. }
        ) {
            action.push_str(key_hint(state, " · R: roll back"));
        }
        let head = " ROLLBACK CRITERIA MET: ";
        let room = w.saturating_sub(head.chars().count() + action.chars().count());
        let cause = causes
            .iter()
            .find(|c| c.chars().count() <= room)
            .unwrap_or(&causes[2]);
        Line::styled(banner(head, cause, &action, w), theme::BANNER_CRITICAL)
    } else if let Some((_, gate)) = no_go.filter(|_| state.rollback.status == RunStatus::Waiting) {
        let text = banner(
            " NO-GO on ",
            &gate.title,
            key_hint(state, ": hold, or R to roll back"),
            w,
        );
        Line::styled(text, theme::BANNER_CRITICAL)
    } else if let Some(a) = state.banner_alert() {
        let text = banner(
            " CRITICAL: ",
            &format!("{} ({})", a.title, a.detail),
            key_hint(state, " · a: acknowledge"),
            w,
        );
        Line::styled(text, theme::BANNER_CRITICAL)
    } else if let Some((notice, _)) = &state.notice {
        Line::styled(fit(&format!(" {notice}"), w), theme::BANNER_INFO)
    } else if let Some(c) = state
        .communication_waiting()
        .and_then(|i| state.runbook.communications.get(i))
    {
        // A planned message not sent yet stays in view until it is.
        // The key stays in view; the audience is what gives way.
        let text = banner(
            " Due: the message to ",
            &format!("{} (planned {})", c.audience, format_planned(c.planned)),
            key_hint(state, " · U: write and send it"),
            w,
        );
        Line::styled(text, theme::BANNER_INFO)
    } else {
        next_step_line(state, w)
    };
    let filled = line.style.bg.is_some();
    let mut line = line;
    if filled {
        let len = line.width();
        line.spans
            .push(Span::raw(" ".repeat(w.saturating_sub(len))));
    }
    frame.render_widget(Paragraph::new(line), area);
}

fn next_step_line(state: &State, w: usize) -> Line<'static> {
    if let RunStatus::Succeeded { started, finished } = state.rollback.status {
        let text = format!(
            " Rolled back at {} (took {}). The remaining steps wait for the operator.",
            finished.format("%H:%M:%S"),
            format_duration(finished - started)
        );
        return Line::styled(
            fit(&text, w),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        );
    }
    let Some(next) = state.next_step() else {
        // Nothing waits; what still runs is not done.
        let text = match state.running_words() {
            Some(running) => format!(
                " Nothing more waits; {running} {} still running.",
                if running.contains(", ") { "are" } else { "is" }
            ),
            None => " All steps are done.".to_owned(),
        };
        return Line::styled(fit(&text, w), theme::DIM);
    };
    let Some((_, step)) = state.step(next) else {
        return Line::styled(" All steps are done.", theme::DIM);
    };
    let mut spans = vec![
        Span::styled(" Next: ", theme::DIM),
        Span::styled(
            fit(&format!("{} {}", step.id, step.title), w.saturating_sub(40)),
            theme::TITLE,
        ),
    ];
    match step.planned {
        Some(planned) => {
            let due = state.t0 + planned;
            let when = if due >= state.now {
                format!(
                    "in {}",
                    format_t_offset(due - state.now).trim_start_matches("T+")
                )
            } else {
                format!("overdue by {}", format_duration(state.now - due))
            };
            let auto = if step.automatic { " (automatic)" } else { "" };
            spans.push(Span::styled(
                format!("{auto} at {} · {when}", format_planned(planned)),
                if due < state.now {
                    Style::new().fg(Color::Yellow)
                } else {
                    theme::DIM
                },
            ));
        }
        // Steps without a planned time come in the operator's own order.
        None => spans.push(Span::styled(" · no planned time", theme::DIM)),
    }
    // What it waits for, in words: a gate, a hold, a failed blocking step.
    if let Some(g) = crate::app::guard::row_guard(state, next) {
        let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
        spans.push(Span::styled(
            fit(&format!(" · {}", g.words), w.saturating_sub(used)),
            if g.is_hard() {
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
            } else {
                Style::new().fg(Color::Yellow)
            },
        ));
    }
    Line::from(spans)
}

/// A banner line: what it is, why, then what to do. Where it does not fit, the cause is
/// cut (a rule's values, an alert's detail), never the action and its time.
fn banner(head: &str, cause: &str, action: &str, w: usize) -> String {
    let fixed = head.chars().count() + action.chars().count();
    if fixed + 8 > w {
        return fit(&format!("{head}{cause}{action}"), w);
    }
    format!("{head}{}{action}", fit(cause, w - fixed))
}

pub fn render_footer(frame: &mut Frame<'_>, area: Rect, state: &State) {
    if let Some(r) = &state.replay {
        super::replay::bar(frame, area, state.now, r);
        return;
    }
    let watching = state
        .watching
        .as_ref()
        .map(|w| format!("watching {}@{}", w.driver.user, w.driver.host));
    let pairs: Vec<(&str, &str)> = match &state.modal {
        _ if state.help.is_some() && !super::help::fits(frame.area()) => {
            vec![("↑↓", "scroll"), ("any other key", "close help")]
        }
        _ if state.help.is_some() => vec![("any key", "close help")],
        Some(Modal::Contacts | Modal::Warnings) => vec![("any key", "close")],
        Some(Modal::OwnVote { decision: None, .. }) => {
            vec![("G", "GO"), ("N", "NO-GO"), ("Esc", "close")]
        }
        Some(Modal::OwnVote { .. }) => vec![("Enter", "hand it in"), ("Esc", "back")],
        Some(Modal::Close { note: Some(_), .. }) => vec![
            ("type a note", "(optional)"),
            ("Enter", "sign off"),
            ("Esc", "back"),
        ],
        Some(Modal::Close { note: None, .. }) => vec![
            ("↑↓", "role"),
            ("Enter", "sign off"),
            ("S/R/A", "close: success, rolled back, aborted"),
            ("Esc", "close"),
        ],
        Some(Modal::StatusUpdate { .. }) => vec![
            ("edit the text", ""),
            ("Enter", "send"),
            ("Esc", "keep it for later"),
        ],
        Some(Modal::DeclareIncident { .. }) => vec![
            ("type what is happening", ""),
            ("Enter", "declare"),
            ("Esc", "cancel"),
        ],
        Some(Modal::Record { .. }) => vec![
            ("type the value", ""),
            ("Enter", "record it"),
            ("Esc", "later"),
        ],
        Some(Modal::Reason { .. }) => vec![
            ("type the reason", ""),
            ("Enter", "record it"),
            ("Esc", "cancel"),
        ],
        Some(
            Modal::Confirm { .. }
            | Modal::MarkDone { .. }
            | Modal::Cancel { .. }
            | Modal::Quit
            | Modal::SetT0
            | Modal::Silence
            | Modal::StandDown
            | Modal::ConfirmClose(_)
            | Modal::Handover { .. },
        ) => {
            vec![("y", "yes"), ("n/Esc", "no")]
        }
        Some(Modal::Phrase {
            target: crate::app::Target::Rollback,
            ..
        }) if state.preview.status.is_active() => {
            vec![("wait for the preview", ""), ("Esc", "cancel")]
        }
        Some(Modal::Phrase { .. }) => vec![
            ("type the phrase", ""),
            ("Enter", "confirm"),
            ("Esc", "cancel"),
        ],
        Some(Modal::Override { reason: None, .. }) => vec![
            ("type the id to override", ""),
            ("Enter", "next"),
            ("Esc", "cancel"),
        ],
        Some(Modal::Override {
            reason: Some(_), ..
        }) => vec![
            ("type the reason", ""),
            ("Enter", "override"),
            ("Esc", "back"),
        ],
        Some(Modal::RollbackStep { step, .. }) => match state
            .runbook
            .rollback
            .as_ref()
            .and_then(|r| r.steps.get(*step))
            .map(|s| &s.confirm)
        {
            Some(crate::runbook::Confirm::Phrase(_)) => vec![
                ("type the phrase", ""),
                ("Enter", "continue"),
                ("Esc", "stay paused"),
            ],
            _ => vec![("y", "continue"), ("n/Esc", "stay paused")],
        },
        Some(Modal::Ack { .. }) => vec![
            ("type a reason", "(optional)"),
            ("Enter", "acknowledge"),
            ("Esc", "cancel"),
        ],
        Some(Modal::Gate { note: Some(_), .. }) => vec![
            ("type a note", "(optional)"),
            ("Enter", "record"),
            ("Esc", "back"),
        ],
        Some(Modal::Gate { .. }) => vec![
            ("G", "GO"),
            ("N", "NO-GO"),
            ("↑↓", "approver"),
            ("Esc", "close"),
        ],
        None if state.watching.is_some() => keys::footer(state.focus)
            .filter(|b| !b.command.acts())
            .map(|b| (b.label, b.short))
            // A gate waits for this watcher's own vote: say how to cast it.
            .chain((!state.own_votes_waiting().is_empty()).then_some(("v", "your vote")))
            .chain(std::iter::once((
                "read-only:",
                watching.as_deref().unwrap_or(""),
            )))
            .collect(),
        None => keys::footer(state.focus)
            .map(|b| (b.label, b.short))
            .collect(),
    };
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, what) in pairs {
        let len = k.chars().count() + what.chars().count() + 3;
        if used + len > area.width as usize {
            break;
        }
        used += len;
        spans.push(Span::styled(format!(" {k}"), theme::KEY));
        spans.push(Span::raw(format!(" {what} ")));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(Style::new().bg(Color::Black)),
        area,
    );
}
