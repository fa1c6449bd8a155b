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
    let by = state.operator.clone();
    record_vote_as(state, by, (gate, approver), decision, note);
}

/// A vote recorded as `by`'s: the driver's at the keyboard, an approver's handed in.
fn record_vote_as(
    state: &mut State,
    by: Operator,
    (gate, approver): (usize, usize),
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
    let from_terminal = by != state.operator;
    let voter = by.user.clone();
    emit_as(
        state,
        by,
        Event::GateVote {
            gate: gid.clone(),
            approver: who.clone(),
            decision: VoteDecision::from(&decision),
            note,
            evidence,
        },
    );
    let who = match state.runbook.approver(&who) {
        Some(a) if from_terminal => format!("{} ({voter}, from their own terminal)", a.role),
        Some(a) => a.role.clone(),
        None => who,
    };
    match decision {
        Decision::Go if state.gates[gate].is_go() => {
            state.notify(format!("Gate {gid} is GO (last: {who})"));
        }
        Decision::Go => state.notify(format!("{who}: GO on {gid}")),
        Decision::NoGo => state.notify(format!(
            "NO-GO on {gid} by {who}: hold, or press R to roll back"
        )),
    }
}

/// A vote an approver handed in from their own terminal: counted when its file is theirs
/// (the file's owner is one of the approver's users), the gate waits for it, and it says
/// what a vote must; else refused, with why, in the record and on screen. Either way the
/// file is put aside, so it is read once.
pub(super) fn vote_filed(state: &mut State, v: VoteFile, fx: &mut Vec<Effect>) {
    let file = v.file.clone();
    let user = v.user.clone().unwrap_or_else(|why| format!("? ({why})"));
    match check_vote(state, v) {
        Ok((gate, approver, decision, note, by)) => {
            record_vote_as(state, by, (gate, approver), decision, note);
            fx.push(Effect::FileVote {
                file,
                accepted: true,
            });
        }
        Err(why) => {
            state.notify(format!("A vote by {user} was refused: {why}"));
            emit(
                state,
                Event::VoteRefused {
                    file: file.clone(),
                    user,
                    why,
                },
            );
            fx.push(Effect::FileVote {
                file,
                accepted: false,
            });
        }
    }
}

type Counted = (usize, usize, Decision, String, Operator);

fn check_vote(state: &State, v: VoteFile) -> Result<Counted, String> {
    let user = v.user?;
    let req = v.vote?;
    let rb = &state.runbook;
    let g = rb
        .gates
        .iter()
        .position(|g| g.id == req.gate)
        .ok_or_else(|| format!("there is no gate `{}`", req.gate))?;
    let gate = &rb.gates[g];
    let a = gate
        .approvers
        .iter()
        .position(|e| *e == req.approver)
        .ok_or_else(|| format!("`{}` is not an approver of gate {}", req.approver, gate.id))?;
    let approver = rb.approver(&req.approver).ok_or_else(|| {
        format!(
            "`{}` is a role the driver records votes for, not an approver who votes from a terminal",
            req.approver
        )
    })?;
    if !approver.users.contains(&user) {
        return Err(format!(
            "{user} is not {} ({}: {})",
            approver.id,
            approver.role,
            approver.users.join(", ")
        ));
    }
    if gate.distinct_from_driver && state.driver.as_ref().is_some_and(|d| d.user == user) {
        return Err(format!(
            "{user} drives this run, and gate {} counts no vote of the driver's",
            gate.id
        ));
    }
    let gs = &state.gates[g];
    if gs.is_go() || gs.is_no_go() {
        return Err(format!("gate {} is already decided", gate.id));
    }
    if rb
        .step_index(&gate.before)
        .is_some_and(|i| state.steps[i].status != RunStatus::Waiting)
    {
        return Err(format!(
            "gate {} is passed: its step {} has started",
            gate.id, gate.before
        ));
    }
    if gs.policy == crate::runbook::GatePolicy::FinalSay(a) && req.note.trim().is_empty() {
        return Err("the final say is counted only with its rationale (--note)".to_owned());
    }
    let decision = match req.decision {
        VoteDecision::Go => Decision::Go,
        VoteDecision::NoGo => Decision::NoGo,
    };
    let by = Operator {
        user,
        host: state.operator.host.clone(),
        ssh: req.ssh,
    };
    Ok((g, a, decision, req.note, by))
}
