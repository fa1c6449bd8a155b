//! `warroom check`: the one-screen summary of a valid runbook.

use std::fmt::Write;

use crate::runbook::time::{format_duration, format_planned};
use crate::runbook::{Confirm, RuleAction, Runbook, T0};

/// The variables a source's credentials (headers, tokens, passwords) read that neither the
/// runbook's `[runbook] env` nor the environment (`is_set`) gives.
pub fn unset_credentials(rb: &Runbook, is_set: impl Fn(&str) -> bool) -> Vec<String> {
    rb.credential_names()
        .into_iter()
        .filter(|n| !rb.env.iter().any(|(k, _)| k == n) && !is_set(n))
        .collect()
}

/// What a valid runbook may still get wrong on the night: a T0 already past, a draft's
/// placeholders left in, a rollback written as a phase instead of `[rollback]`.
pub fn plan_warnings(rb: &Runbook, text: &str, now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    let mut out = Vec::new();
    if let T0::At(t0) = rb.t0 {
        let end = rb.span().map_or(t0, |(_, hi)| t0 + hi);
        if end < now {
            out.push(format!(
                "T0 {} and the whole plan are in the past: set `t0` for the night (a run already recorded keeps its own)",
                t0.format("%Y-%m-%d %H:%M UTC")
            ));
        }
    }
    let todos = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("TODO"))
        .count();
    if todos > 0 {
        out.push(format!(
            "{todos} line{} still {} a TODO placeholder (an imported draft's: T0, a KPI's source): fill {} in",
            if todos == 1 { "" } else { "s" },
            if todos == 1 { "holds" } else { "hold" },
            if todos == 1 { "it" } else { "them" }
        ));
    }
    if rb.rollback.is_none()
        && let Some(p) = rb
            .phases
            .iter()
            .find(|p| crate::runbook::names_a_rollback(&format!("{} {}", p.id, p.title)))
    {
        out.push(format!(
            "phase `{}` reads like a rollback, but the runbook has no `[rollback]`: R would have nothing to run (write it as `[rollback]` with its steps)",
            p.id
        ));
    }
    out
}

pub fn summary(rb: &Runbook) -> String {
    let mut s = String::new();
    let version = rb
        .version
        .as_deref()
        .map(|v| format!(" v{v}"))
        .unwrap_or_default();
    let _ = writeln!(s, "{}{version}: OK", rb.name);
    let t0 = match rb.t0 {
        T0::At(t) => t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        T0::AfterStart(d) if d.is_zero() => "when the console starts".to_owned(),
        T0::AfterStart(d) => format!("{} after the console starts", format_duration(d)),
    };
    let _ = writeln!(s, "  T0        {t0}");
    if let Some((lo, hi)) = rb.span() {
        let _ = writeln!(
            s,
            "  span      {} .. {} ({})",
            format_planned(lo),
            format_planned(hi),
            format_duration(hi - lo)
        );
    }
    window(&mut s, rb);
    let steps = rb.steps().count();
    let _ = writeln!(
        s,
        "  phases    {} with {steps} steps, {} checklist items",
        rb.phases.len(),
        rb.checks().count()
    );
    for p in &rb.phases {
        let times: Vec<_> = p.steps.iter().filter_map(|st| st.planned).collect();
        let range = match (times.iter().min(), times.iter().max()) {
            (Some(a), Some(b)) if a == b => format_planned(*a),
            (Some(a), Some(b)) => format!("{}..{}", format_planned(*a), format_planned(*b)),
            _ => "unscheduled".to_owned(),
        };
        let _ = writeln!(s, "    {:<16} {:>3} steps  {range}", p.id, p.steps.len());
    }
    let kinds = |k: &str| rb.kpis.iter().filter(|x| x.source.kind() == k).count();
    let _ = writeln!(
        s,
        "  KPIs      {} (prometheus {}, scrape {}, json {}, command {})",
        rb.kpis.len(),
        kinds("prometheus"),
        kinds("scrape"),
        kinds("json"),
        kinds("command")
    );
    let _ = writeln!(s, "  endpoints {}", rb.endpoints.len());
    let with_auth = rb.connections().filter(|c| c.auth.is_some()).count();
    if with_auth > 0 {
        let _ = writeln!(
            s,
            "  auth      {with_auth} sources send credentials (never shown)"
        );
    }
    let acting = rb
        .rules
        .iter()
        .filter(|r| r.action != RuleAction::None)
        .count();
    let _ = writeln!(
        s,
        "  rules     {} ({acting} act on the rollback)",
        rb.rules.len()
    );
    decisions(&mut s, rb);
    let phrases = rb
        .steps()
        .filter(|(_, st)| matches!(st.confirm, Confirm::Phrase(_)))
        .count();
    let auto = rb.steps().filter(|(_, st)| st.automatic).count();
    let _ = writeln!(
        s,
        "  confirm   {phrases} steps need a typed phrase, {auto} run automatically"
    );
    match &rb.rollback {
        Some(r) => {
            let _ = writeln!(s, "  rollback  `{}` after typing {}", r.summary(), r.phrase);
        }
        None => {
            let _ = writeln!(s, "  rollback  none defined");
        }
    }
    if !rb.contacts.is_empty() {
        let _ = writeln!(s, "  contacts  {}", rb.contacts.len());
    }
    if !rb.communications.is_empty() {
        let c = &rb.communications;
        let _ = writeln!(s, "  messages  {} planned ({})", c.len(), messages(c));
    }
    if !rb.sign_off.is_empty() {
        let _ = writeln!(
            s,
            "  sign-off  {}",
            rb.sign_off
                .iter()
                .map(|so| so.role.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(u) = &rb.status_updates {
        let _ = writeln!(
            s,
            "  updates   every {}{}",
            format_duration(u.every),
            if u.channels.is_empty() {
                " (recorded only: no channel)".to_owned()
            } else {
                format!(" to {}", u.channels.join(", "))
            }
        );
    }
    people(&mut s, rb);
    s
}

/// Who answers and who hears: escalation levels, channels, status levels, targets.
fn people(s: &mut String, rb: &Runbook) {
    for (i, l) in rb.escalation.iter().enumerate() {
        let mut reached = Vec::new();
        if let Some(after) = l.after {
            reached.push(format!("from {}", format_duration(after)));
        }
        if let Some(c) = &l.when {
            reached.push(format!("when {}", c.source));
        }
        let respond = l
            .respond_within
            .map(|r| format!(", respond within {}", format_duration(r)))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {}L{} {}{respond}",
            if i == 0 { "escalate  " } else { "          " },
            i + 1,
            reached.join(" or ")
        );
    }
    for c in &rb.channels {
        let _ = writeln!(s, "  channel   {}: {}", c.name, c.describe());
    }
    if !rb.status_levels.is_empty() {
        let levels: Vec<String> = rb
            .status_levels
            .iter()
            .map(|l| match &l.when {
                Some(c) => format!("{} when {}", l.name, c.source),
                None => format!("{} otherwise", l.name),
            })
            .collect();
        let _ = writeln!(s, "  status    {}", levels.join("; "));
    }
    for m in &rb.summaries {
        let _ = writeln!(s, "  summary   {}: {} {}", m.id, m.describe(), m.target);
    }
}

/// The gates, the canary analyses they show, and who votes on them from a terminal.
fn decisions(s: &mut String, rb: &Runbook) {
    let _ = writeln!(s, "  gates     {}", rb.gates.len());
    if !rb.canaries.is_empty() {
        let each: Vec<String> = rb
            .canaries
            .iter()
            .map(|c| {
                let n = c.spec.metrics.len();
                format!(
                    "{} ({n} metric{} over {}{})",
                    c.id,
                    if n == 1 { "" } else { "s" },
                    crate::runbook::time::format_duration(c.window),
                    if c.holding {
                        ", a FAIL holds its gate"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        let _ = writeln!(s, "  canaries  {}", each.join(", "));
    }
    if !rb.approvers.is_empty() {
        // Who votes from their own terminal, and whether their votes are signed.
        let each: Vec<String> = rb
            .approvers
            .iter()
            .map(|a| {
                let keys = match a.keys.len() {
                    0 => "no key".to_owned(),
                    1 => "1 key".to_owned(),
                    n => format!("{n} keys"),
                };
                format!(
                    "{} ({}, {keys}{})",
                    a.id,
                    a.users.join("/"),
                    if a.signed { ", signs" } else { "" }
                )
            })
            .collect();
        let _ = writeln!(s, "  approvers {}", each.join(", "));
    }
}

/// The deployment window, and how many steps are planned after it (follow-ups).
fn window(s: &mut String, rb: &Runbook) {
    if let Some(w) = rb.window {
        let after: usize = rb
            .steps()
            .filter(|(_, st)| st.planned.is_some_and(|p| p > w.end))
            .count();
        let _ = writeln!(
            s,
            "  window    {} .. {} ({}){}",
            format_planned(w.start),
            format_planned(w.end),
            format_duration(w.end - w.start),
            if after > 0 {
                format!(
                    ", {after} step{} after it (follow-ups)",
                    if after == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        );
    }
}

/// The planned messages: a few are listed, many are summed up by their span and audiences.
fn messages(c: &[crate::runbook::Communication]) -> String {
    if c.len() <= 3 {
        return c
            .iter()
            .map(|c| format!("{} to {}", format_planned(c.planned), c.audience))
            .collect::<Vec<_>>()
            .join(", ");
    }
    let mut audiences = crate::app::distinct(c.iter().map(|c| c.audience.as_str()));
    let first = c.iter().map(|c| c.planned).min().unwrap_or_default();
    let last = c.iter().map(|c| c.planned).max().unwrap_or_default();
    let more = audiences.len().saturating_sub(3);
    audiences.truncate(3);
    format!(
        "{}..{} to {}{}",
        format_planned(first),
        format_planned(last),
        audiences.join("; "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}
