//! A gate's dialog: its evidence, each approver's vote and the vote's note.

use super::*;

/// A gate: its evidence, each approver's vote, and a vote's note.
pub(super) fn gate_dialog<'a>(
    state: &'a State,
    gate: &usize,
    approver: &usize,
    note: &Option<(Decision, Input)>,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    let g = &state.runbook.gates[*gate];
    d.title = format!(" {} ", g.title);
    for (i, who) in g.approvers.iter().enumerate() {
        let (word, style) = match &state.gates[*gate].votes[i] {
            Some(v) => {
                let (d, color) = match v.decision {
                    Decision::Go => ("GO", Color::Green),
                    Decision::NoGo => ("NO-GO", Color::Red),
                };
                let note = if v.note.is_empty() {
                    String::new()
                } else {
                    format!(" · {}", v.note)
                };
                let seal = if v.signed.is_some() {
                    " ✓ signed"
                } else if v.decision == Decision::Go && !state.gates[*gate].counts(i) {
                    " (not counted)"
                } else {
                    ""
                };
                (
                    format!("{d}{seal} {}{note}", v.at.format("%H:%M:%S")),
                    Style::new().fg(color),
                )
            }
            None => ("waiting".to_owned(), Style::new().fg(Color::Yellow)),
        };
        let mark = if i == *approver { "▶ " } else { "  " };
        let role = match g.policy {
            crate::runbook::GatePolicy::FinalSay(d) if d == i => " (decides)",
            crate::runbook::GatePolicy::FinalSay(_) => " (advises)",
            _ => "",
        };
        // An approver who votes from their own terminal is named by role and user.
        let name = match state.runbook.approver(who) {
            Some(a) => a.label(),
            None => who.clone(),
        };
        d.lines.push(Line::from(vec![
            Span::raw(format!("{mark}{:<24} ", format!("{name}{role}"))),
            Span::styled(word, style),
        ]));
    }
    d.lines.push(Line::styled(
        match g.policy {
            crate::runbook::GatePolicy::Unanimous => {
                "GO when every approver says GO; one NO-GO holds it.".to_owned()
            }
            crate::runbook::GatePolicy::Any => {
                "One GO opens it; a NO-GO from anyone holds it.".to_owned()
            }
            crate::runbook::GatePolicy::Needs(n) => format!(
                "{n} of its {} approvers' GO open it; a NO-GO from anyone holds it.",
                g.approvers.len()
            ),
            crate::runbook::GatePolicy::FinalSay(_) => {
                "The deciding vote is final, recorded with its rationale.".to_owned()
            }
        },
        theme::DIM,
    ));
    if g.distinct_from_driver {
        d.lines.push(Line::styled(
            "Votes typed here do not open it: its approvers vote with `warroom vote`.",
            theme::DIM,
        ));
    } else if state.gates[*gate].must_sign.iter().any(|s| *s) {
        d.lines.push(Line::styled(
            "A signing approver's GO typed here is by proxy: it does not open the gate.",
            theme::DIM,
        ));
    }
    if !g.rules.is_empty() || !g.checklists.is_empty() || g.canary.is_some() {
        d.lines.push(Line::raw(""));
        d.lines.push(Line::styled("Evidence:", theme::TITLE));
    }
    for rid in &g.rules {
        if let Some(ri) = state.runbook.rules.iter().position(|r| &r.id == rid) {
            let firing = state.rules[ri].is_firing();
            d.lines.push(Line::styled(
                format!("  rule {rid}: {}", if firing { "FIRING" } else { "quiet" }),
                if firing {
                    Style::new().fg(Color::Red)
                } else {
                    Style::new().fg(Color::Green)
                },
            ));
        }
    }
    for pid in &g.checklists {
        let (total, done) = state
            .runbook
            .checks()
            .enumerate()
            .filter(|(_, (p, _))| &p.id == pid)
            .fold((0, 0), |(t, d), (i, _)| {
                (t + 1, d + usize::from(state.check_done(i)))
            });
        d.lines.push(Line::styled(
            format!("  checklist {pid}: {done}/{total}"),
            if done == total {
                Style::new().fg(Color::Green)
            } else {
                Style::new().fg(Color::Yellow)
            },
        ));
    }
    canary_lines(state, *gate, &mut d);
    d.lines.push(Line::raw(""));
    match note {
        Some((decision, input)) => {
            let who = g.approvers.get(*approver).map_or("", String::as_str);
            let word = if *decision == Decision::Go {
                "GO"
            } else {
                "NO-GO"
            };
            d.lines.push(Line::raw(format!(
                "{word} from {who}: a note (optional), then Enter; Esc goes back."
            )));
            d.input = Some(input.value().to_owned());
        }
        None => d.lines.push(keys_line(&[
            ("G", "GO"),
            ("N", "NO-GO"),
            ("↑↓", "approver"),
            ("Esc", "close"),
        ])),
    }
    d
}

/// The gate's canary verdict as evidence: the score and class, then each metric's reason
/// (and warning), coloured by its class; INCONCLUSIVE says it decides nothing.
fn canary_lines(state: &State, gate: usize, d: &mut Dialog<'_>) {
    use crate::canary::{Class, Verdict};
    let Some(c) = state.gate_canary(gate) else {
        return;
    };
    let analysis = &state.runbook.canaries[c];
    let cs = &state.canaries[c];
    let colour = |v: Verdict| match v {
        Verdict::Pass => Color::Green,
        Verdict::Marginal | Verdict::Inconclusive => Color::Yellow,
        Verdict::Fail => Color::Red,
    };
    match (&cs.judgement, cs.verdict) {
        (Some(j), _) => {
            let held = if analysis.holding && j.verdict == Verdict::Fail {
                " · holds the gate"
            } else {
                ""
            };
            d.lines.push(Line::styled(
                format!(
                    "  canary {}: {} ({}){held}",
                    analysis.id,
                    j.verdict.with_score(j.score),
                    j.why
                ),
                Style::new().fg(colour(j.verdict)),
            ));
            for m in &j.metrics {
                let style = match m.class {
                    Class::Pass => Style::new().fg(Color::Green),
                    Class::High | Class::Low | Class::NodataFail => Style::new().fg(Color::Red),
                    Class::Nodata | Class::Inconclusive => theme::DIM,
                };
                d.lines.push(Line::styled(format!("    {}", m.why), style));
                if let Some(w) = &m.warning {
                    d.lines
                        .push(Line::styled(format!("      warning: {w}"), theme::DIM));
                }
            }
        }
        (None, Some((v, score, at))) => d.lines.push(Line::styled(
            format!(
                "  canary {}: {} {score:.0} (recorded {})",
                analysis.id,
                v.word(),
                at.format("%H:%M")
            ),
            Style::new().fg(colour(v)),
        )),
        (None, None) => d.lines.push(Line::styled(
            format!("  canary {}: not judged yet", analysis.id),
            theme::DIM,
        )),
    }
}

/// A watching approver's own vote: which gate, as whom, GO or NO-GO, then a note.
pub(super) fn own_vote<'a>(
    state: &'a State,
    (gate, approver): (usize, usize),
    decision: Option<Decision>,
    input: &Input,
) -> Dialog<'a> {
    let mut d = Dialog::new();
    let g = &state.runbook.gates[gate];
    d.title = format!(" Your vote: {} ", g.title);
    let entry = g.approvers.get(approver).map_or("", String::as_str);
    let role = state
        .runbook
        .approver(entry)
        .map_or(entry.to_owned(), |a| a.role.clone());
    d.lines.push(Line::raw(format!(
        "As {} ({role}), from this terminal: the driver's console counts it.",
        state.operator.user
    )));
    // What the vote is cast on: its hash is what a signature covers.
    let evidence = state.vote_evidence(true);
    d.lines.push(Line::styled(
        format!(
            "On what you see: {}",
            if evidence.is_empty() {
                "no KPI, no alert open".to_owned()
            } else {
                evidence.join(" · ")
            }
        ),
        theme::DIM,
    ));
    match state.runbook.approver(entry) {
        Some(a) if !a.keys.is_empty() => d.lines.push(Line::styled(
            format!(
                "Signed with your key{}: your ssh-agent's, or a ~/.ssh key without a passphrase.",
                if a.signed {
                    " (the runbook asks it)"
                } else {
                    ""
                }
            ),
            theme::DIM,
        )),
        _ => {}
    }
    d.lines.push(Line::raw(""));
    match decision {
        None => d
            .lines
            .push(keys_line(&[("G", "GO"), ("N", "NO-GO"), ("Esc", "close")])),
        Some(dec) => {
            let word = if dec == Decision::Go { "GO" } else { "NO-GO" };
            d.lines.push(Line::raw(format!(
                "{word}: a note (optional), then Enter hands it in; Esc goes back."
            )));
            d.input = Some(input.value().to_owned());
        }
    }
    d
}
