//! Go/no-go gates: opening one, and each approver's vote.

use super::*;

pub(super) fn request_gate(state: &mut State) {
    let i = state.selected;
    let gate = state
        .step(i)
        .and_then(|(_, s)| state.runbook.gates.iter().position(|g| g.before == s.id));
    match gate.or_else(|| state.blocking_gate(i)) {
        Some(g) => {
            let approver = state.gates[g]
                .votes
                .iter()
                .position(Option::is_none)
                .unwrap_or(0);
            state.modal = Some(Modal::Gate {
                gate: g,
                approver,
                note: None,
            });
        }
        None => state.notify("No go/no-go gate before the selected step"),
    }
}

pub(super) fn record_vote(
    state: &mut State,
    gate: usize,
    approver: usize,
    decision: Decision,
    note: String,
) {
    let evidence: Vec<String> = (0..state.kpis.len())
        .map(|i| state.kpi_reading(i).unwrap_or_else(|why| why))
        .chain(
            state
                .alerts
                .iter()
                .filter(|a| a.resolved.is_none())
                .map(|a| format!("alert: {}", a.title)),
        )
        .collect();
    let g = &state.runbook.gates[gate];
    let Some(who) = g.approvers.get(approver).cloned() else {
        return;
    };
    let gid = g.id.clone();
    emit(
        state,
        Event::GateVote {
            gate: gid.clone(),
            approver: who.clone(),
            decision: VoteDecision::from(&decision),
            note,
            evidence,
        },
    );
    match decision {
        Decision::Go if state.gates[gate].is_go() => state.notify(format!("Gate {gid} is GO")),
        Decision::Go => state.notify(format!("{who}: GO on {gid}")),
        Decision::NoGo => state.notify(format!(
            "NO-GO on {gid} by {who}: hold, or press R to roll back"
        )),
    }
}
