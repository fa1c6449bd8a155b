//! The report as Markdown: tables that read in a terminal and on a git forge.

use std::fmt::Write;

use chrono::{DateTime, TimeDelta, Utc};

use super::Report;
use crate::runbook::number::format_value;
use crate::runbook::time::format_duration;

use super::hms;

fn opt_hms(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), hms)
}

pub(crate) fn dur(s: f64) -> String {
    format_duration(TimeDelta::milliseconds((s * 1000.0) as i64))
}

pub(crate) fn drift(s: f64) -> String {
    if s.abs() < 1.0 {
        "on time".into()
    } else if s > 0.0 {
        format!("+{}", dur(s))
    } else {
        format!("-{}", dur(-s))
    }
}

/// Table cells: a `|` or a newline would break the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_value)
}

pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# {} — post-mortem record\n", r.runbook.name);
    let _ = writeln!(o, "**{}**\n", r.summary);
    if r.in_progress {
        let _ = writeln!(
            o,
            "> The run is still being driven: this is what was recorded up to {} UTC.\n",
            hms(r.last_record)
        );
    }
    if let Some(d) = &r.damaged {
        let _ = writeln!(o, "> **Incomplete**: {d}.\n");
    }
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(
        o,
        "| Runbook | `{}` (sha256 `{}`) |",
        cell(&r.runbook.path),
        &r.runbook.sha256.get(..12).unwrap_or("")
    );
    let _ = writeln!(o, "| Run directory | `{}` |", cell(&r.run_dir));
    let _ = writeln!(o, "| T0 | {} UTC |", r.t0.format("%Y-%m-%d %H:%M:%S"));
    let _ = writeln!(
        o,
        "| Recorded | {} – {} UTC |",
        r.began.format("%Y-%m-%d %H:%M:%S"),
        hms(r.last_record)
    );
    let ops: Vec<String> = r
        .operators
        .iter()
        .map(|op| {
            let mut s = op.at_host();
            if let Some(ssh) = &op.ssh {
                s.push_str(&format!(" (ssh from {ssh})"));
            }
            s
        })
        .collect();
    let _ = writeln!(o, "| Operators | {} |", cell(&ops.join(", ")));
    let _ = writeln!(o, "| Journal | {} |\n", cell(&r.chain.words()));

    timeline(&mut o, r);
    gates(&mut o, r);
    alerts(&mut o, r);
    rollback(&mut o, r);
    checklist(&mut o, r);
    kpis(&mut o, r);
    targets(&mut o, r);
    people(&mut o, r);
    o
}

/// The plan's steps as they ran, and the reasons given for any skip or retry.
fn timeline(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Timeline\n");
    let _ = writeln!(
        o,
        "| Step | Phase | Owner | Planned | Started | Drift | Duration | Outcome | By |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|");
    for s in &r.steps {
        let run = s.run.as_ref();
        let _ = writeln!(
            o,
            "| {} {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.id,
            cell(&s.title),
            cell(&s.phase),
            cell(s.owner.as_deref().unwrap_or("-")),
            opt_hms(s.planned),
            run.map_or_else(|| "-".into(), |r| hms(r.started)),
            s.drift_s.map_or_else(|| "-".into(), drift),
            run.and_then(|r| r.duration_s)
                .map_or_else(|| "-".into(), dur),
            match run {
                Some(r) if s.outcome != "done" && s.outcome != "skipped" =>
                    format!("{} ({})", s.outcome, cell(&r.result)),
                _ => s.outcome.clone(),
            },
            run.map_or_else(|| "-".into(), |r| r.started_by.clone()),
        );
    }
    let reasons: Vec<String> = r
        .steps
        .iter()
        .flat_map(|s| s.reasons.iter().map(move |x| format!("- {}: {}", s.id, x)))
        .collect();
    if !reasons.is_empty() {
        let _ = writeln!(
            o,
            "\nRetries and skips, with their reasons:\n\n{}",
            reasons.join("\n")
        );
    }
}

/// Each gate's votes, and the guards passed.
fn gates(o: &mut String, r: &Report) {
    let _ = writeln!(o, "\n## Go/no-go decisions\n");
    for g in &r.gates {
        let _ = writeln!(o, "**{}** ({}, {})\n", cell(&g.title), g.id, g.policy);
        if g.votes.is_empty() {
            let _ = writeln!(o, "No vote recorded.\n");
            continue;
        }
        let _ = writeln!(
            o,
            "| Approver | Decision | At | Recorded by | How | Signed | Note | Evidence |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
        for v in &g.votes {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&v.approver),
                v.decision,
                hms(v.at),
                v.recorded_by,
                v.how,
                cell(&v.signed),
                cell(&v.note),
                cell(&evidence_words(v))
            );
        }
        if let Some(last) = g.votes.iter().map(|v| v.at).max() {
            let _ = writeln!(o, "\nThe screen at the decision: {}", replay_at(r, last));
        }
        let _ = writeln!(o);
    }

    if !r.guards.is_empty() {
        let _ = writeln!(o, "## Guards passed\n");
        let _ = writeln!(o, "| At | Step | By | How | Guards | Reason |");
        let _ = writeln!(o, "|---|---|---|---|---|---|");
        for g in &r.guards {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                hms(g.at),
                g.target,
                g.by,
                g.how,
                cell(&g.guards.join("; ")),
                cell(g.reason.as_deref().unwrap_or("-"))
            );
        }
        let _ = writeln!(o);
    }
}

/// The command that shows the console as it was then (`warroom replay`).
pub(super) fn replay_command(r: &Report, at: chrono::DateTime<chrono::Utc>) -> String {
    let dir = if r.run_dir.is_empty() {
        "RUN_DIR"
    } else {
        r.run_dir.as_str()
    };
    format!(
        "warroom replay {dir} --at {}",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

fn replay_at(r: &Report, at: chrono::DateTime<chrono::Utc>) -> String {
    format!("`{}`", replay_command(r, at))
}

/// The alerts, when they fired, resolved, and who acknowledged them.
fn alerts(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Alerts\n");
    if r.alerts.is_empty() {
        let _ = writeln!(o, "None fired.\n");
    } else {
        let _ = writeln!(
            o,
            "| Severity | Alert | Rule | Fired | Resolved | Firing for | Acknowledged |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for a in &r.alerts {
            let _ = writeln!(
                o,
                "| {} | {} ({}) | {} | {} | {} | {} | {} |",
                a.severity,
                cell(&a.title),
                cell(&a.detail),
                a.rule,
                hms(a.fired),
                opt_hms(a.resolved),
                a.resolved.map_or_else(
                    || "still firing".into(),
                    |res| dur((res - a.fired).num_milliseconds() as f64 / 1000.0)
                ),
                a.acked.as_ref().map_or_else(
                    || "-".into(),
                    |k| format!(
                        "{} by {}{}",
                        hms(k.at),
                        k.by,
                        if k.reason.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", cell(&k.reason))
                        }
                    )
                ),
            );
        }
        let _ = writeln!(o, "\nThe screen when each fired:\n");
        for a in &r.alerts {
            let _ = writeln!(o, "- {}: {}", cell(&a.title), replay_at(r, a.fired));
        }
        let _ = writeln!(o);
    }
}

/// The rollback: who asked, why, when, how long, its steps and its criteria.
fn rollback(o: &mut String, r: &Report) {
    let _ = writeln!(o, "## Rollback\n");
    match &r.rollback {
        None => {
            let _ = writeln!(o, "Not run.\n");
        }
        Some(rb) => {
            let _ = writeln!(
                o,
                "Started {} by {}; {}{}.\n\nWhy: {}\n",
                hms(rb.started),
                rb.started_by,
                rb.result,
                rb.duration_s
                    .map_or_else(String::new, |d| format!(" after {}", dur(d))),
                cell(
                    rb.reason
                        .as_deref()
                        .unwrap_or("started by the operator (no rule had fired)")
                )
            );
            for (i, st) in r.rollback_steps.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "{}. {} `{}` {}",
                    i + 1,
                    hms(st.started),
                    st.id,
                    cell(&st.title)
                );
            }
            if !r.rollback_steps.is_empty() {
                let _ = writeln!(o);
            }
            if let Some(p) = &r.rollback_preview {
                let _ = writeln!(
                    o,
                    "Its preview ran at {} ({}) and was shown before the phrase; its output is in `steps/rollback.preview.{}/`.\n",
                    hms(p.started),
                    p.result,
                    p.attempts
                );
            }
            if let Some(t) = r.rollback_target_s {
                let verdict = match rb.duration_s {
                    Some(d) if d <= t => "within it",
                    Some(_) => "OVER it",
                    None => "not finished",
                };
                let _ = writeln!(o, "Target {}: {verdict}.\n", dur(t));
            }
            if let Some(c) = &r.rollback_criteria {
                let _ = writeln!(o, "Success criteria {}.\n", cell(c));
            }
        }
    }
}

/// The checklist, each item ticked when and by whom.
fn checklist(o: &mut String, r: &Report) {
    let ticked = r.checklist.iter().filter(|c| c.ticked.is_some()).count();
    let _ = writeln!(o, "## Checklist ({ticked} of {})\n", r.checklist.len());
    for c in &r.checklist {
        let _ = writeln!(
            o,
            "- [{}] {}{}",
            if c.ticked.is_some() { "x" } else { " " },
            c.text,
            match (&c.ticked, &c.by) {
                (Some(t), Some(b)) => format!(" — {} by {b}", hms(*t)),
                (Some(t), None) => format!(" — {}", hms(*t)),
                _ => String::new(),
            }
        );
    }
}

/// Each KPI over the run.
fn kpis(o: &mut String, r: &Report) {
    let _ = writeln!(o, "\n## KPIs\n");
    let _ = writeln!(
        o,
        "| KPI | Min | Avg | Max | Last | Target | Warning | Critical |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|");
    for k in &r.kpis {
        let _ = writeln!(
            o,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
            cell(&k.label),
            if k.unit.is_empty() { "-" } else { &k.unit },
            num(k.min),
            num(k.avg),
            num(k.max),
            num(k.last),
            num(k.target),
            num(k.warning),
            num(k.critical)
        );
    }
}

/// `[[summary]]`: each target against the actual.
fn targets(o: &mut String, r: &Report) {
    if r.targets.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Targets\n");
    let _ = writeln!(
        o,
        "| Target | Measured | Target | Actual | Verdict | Data |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for t in &r.targets {
        let data = if t.minutes > 0 {
            format!("{} of {} minutes", t.minutes_with_data, t.minutes)
        } else if t.actual.is_some() {
            "entered by hand".to_owned()
        } else {
            "-".to_owned()
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {data} |",
            cell(&t.title),
            cell(&t.measure),
            t.target_words(),
            t.actual_words(),
            t.verdict.to_uppercase(),
        );
    }
}

/// Status updates, the close, incidents, consoles and handovers.
fn people(o: &mut String, r: &Report) {
    if !r.updates.is_empty() {
        let _ = writeln!(o, "\n## Status updates\n");
        let _ = writeln!(o, "| At | By | To | Result | Text |");
        let _ = writeln!(o, "|---|---|---|---|---|");
        for u in &r.updates {
            let _ = writeln!(
                o,
                "| {} UTC | {} | {} | {} | {} |",
                hms(u.at),
                u.by,
                cell(&u.to),
                cell(&u.result),
                cell(&u.text)
            );
        }
    }
    if !r.sign_offs.is_empty() || r.closed.is_some() {
        let _ = writeln!(o, "\n## Close\n");
        if let Some(c) = &r.closed {
            let _ = writeln!(
                o,
                "Closed {} UTC by {}: **{}**.\n",
                hms(c.at),
                c.by,
                r.outcome
            );
        }
        if !r.sign_offs.is_empty() {
            let _ = writeln!(o, "| Role | Criteria | Signed | By | Note |");
            let _ = writeln!(o, "|---|---|---|---|---|");
            for s in &r.sign_offs {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} |",
                    cell(&s.role),
                    cell(&s.criteria),
                    s.signed
                        .map_or_else(|| "not signed".to_owned(), |t| format!("{} UTC", hms(t))),
                    s.by.as_deref().unwrap_or(""),
                    cell(s.note.as_deref().unwrap_or(""))
                );
            }
        }
    }
    if !r.incidents.is_empty() {
        let _ = writeln!(o, "\n## Incidents\n");
        for i in &r.incidents {
            let escalation = i.escalation();
            let _ = writeln!(
                o,
                "- {} UTC: {} (by {}); {}{}",
                hms(i.opened),
                i.trigger,
                i.opened_by,
                if escalation.is_empty() {
                    String::new()
                } else {
                    format!("escalation {escalation}; ")
                },
                i.end()
            );
        }
    }
    if !r.sessions.is_empty() {
        let _ = writeln!(o, "\n## Consoles\n");
        for x in &r.sessions {
            let _ = writeln!(o, "- {} {}: {}", hms(x.at), x.by, cell(&x.what));
        }
    }
    if !r.checkpoints.is_empty() {
        let _ = writeln!(o, "\n## Journal checkpoints\n");
        for c in &r.checkpoints {
            let _ = writeln!(
                o,
                "- {} UTC: {} records, head `{}` ({})",
                hms(c.at),
                c.records,
                c.head.get(..12).unwrap_or(""),
                c.why
            );
        }
    }
    if !r.handovers.is_empty() {
        let _ = writeln!(o, "\n## Handovers\n");
        for h in &r.handovers {
            let _ = writeln!(o, "- {} UTC: {} handed over to {}", hms(h.at), h.from, h.to);
        }
    }
}

/// A vote's evidence as the tables show it: its hash (what a signature covers), then the
/// lines.
pub(super) fn evidence_words(v: &super::VoteReport) -> String {
    let canary = v
        .canary
        .as_ref()
        .map(|c| {
            let mut words = c.words();
            for m in &c.metrics {
                words.push_str(&format!(" ({m})"));
            }
            format!("{words}; ")
        })
        .unwrap_or_default();
    format!(
        "{canary}sha256 {}…: {}",
        v.evidence_sha256.get(..12).unwrap_or(""),
        if v.evidence.is_empty() {
            "nothing open".to_owned()
        } else {
            v.evidence.join("; ")
        }
    )
}
