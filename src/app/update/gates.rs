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
    let cast = Cast {
        by: state.operator.clone(),
        evidence: state.vote_evidence(true),
        signature: None,
    };
    record_vote_as(state, cast, (gate, approver), decision, note);
}

/// Who cast a vote, what they were shown, and their signature when they signed.
struct Cast {
    by: Operator,
    evidence: Vec<String>,
    signature: Option<VoteSignature>,
}

/// A vote recorded as `cast.by`'s: the driver's at the keyboard, an approver's handed in.
fn record_vote_as(
    state: &mut State,
    cast: Cast,
    (gate, approver): (usize, usize),
    decision: Decision,
    note: String,
) {
    let g = &state.runbook.gates[gate];
    let Some(who) = g.approvers.get(approver).cloned() else {
        return;
    };
    let gid = g.id.clone();
    let from_terminal = cast.by != state.operator;
    let voter = cast.by.user.clone();
    let signed = if cast.signature.is_some() {
        " ✓ signed"
    } else {
        ""
    };
    emit_as(
        state,
        cast.by,
        Event::GateVote {
            gate: gid.clone(),
            approver: who.clone(),
            decision: VoteDecision::from(&decision),
            note,
            evidence: cast.evidence,
            signature: cast.signature,
            canary: state.canary_evidence(gate),
        },
    );
    let who = match state.runbook.approver(&who) {
        Some(a) if from_terminal => format!("{voter} ({}){signed}", a.role),
        Some(a) => a.role.clone(),
        None => who,
    };
    match decision {
        Decision::Go if state.gates[gate].is_go() => {
            state.notify(format!("Gate {gid} is GO (last: {who})"));
        }
        Decision::Go => state.notify(format!("GO on {gid}: {who}")),
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
        Ok((gate, approver, decision, note, cast)) => {
            record_vote_as(state, cast, (gate, approver), decision, note);
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

type Counted = (usize, usize, Decision, String, Cast);

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
    let seen = v.seen?;
    if let Some(prev) = &gs.votes[a]
        && seen < prev.seq
    {
        return Err(format!(
            "it was cast when the record had {seen} records, before {}'s vote in record {} on gate {}: an older vote does not replace a newer one",
            approver.id, prev.seq, gate.id
        ));
    }
    let signature = match &req.signature {
        None if approver.signed => {
            return Err(format!(
                "{} signs their votes (`signed = true`), and this one is not signed",
                approver.id
            ));
        }
        None => None,
        Some(sshsig) => {
            let evidence = crate::signing::evidence_hash(&req.evidence);
            let sealed =
                crate::signing::verify(&req.ballot(&evidence), sshsig, &approver.keys, state.now)?;
            Some(VoteSignature {
                run: req.run.clone(),
                head: req.head.clone(),
                key: sealed.fingerprint,
                sshsig: sshsig.clone(),
            })
        }
    };
    let decision = match req.decision {
        VoteDecision::Go => Decision::Go,
        VoteDecision::NoGo => Decision::NoGo,
    };
    let cast = Cast {
        by: Operator {
            user,
            host: state.operator.host.clone(),
            ssh: req.ssh,
        },
        evidence: req.evidence,
        signature,
    };
    Ok((g, a, decision, req.note, cast))
}

/// Each `[[canary]]` a waiting gate shows is judged once a minute on the samples of its
/// window; one with metrics judged on Prometheus range queries asks for them first (on
/// the real clock; a rehearsal judges its own samples) and is judged when they come.
pub(super) fn judge_canaries(state: &mut State, fx: &mut Vec<Effect>) {
    for c in 0..state.runbook.canaries.len() {
        let due = state.canaries[c]
            .judged_at
            .is_none_or(|t| state.now - t >= TimeDelta::minutes(1));
        if !due || !state.canary_wanted(c) {
            continue;
        }
        state.canaries[c].judged_at = Some(state.now);
        if state.rehearsal.is_none() && state.runbook.canaries[c].ranged.contains(&true) {
            fx.push(Effect::CanaryRange {
                canary: c,
                end: state.now,
            });
        } else {
            judge_canary(state, c, &[]);
        }
    }
}

/// Canary analysis `c` judged now, its ranged metrics on `ranges` (a failed range query
/// falls back to the console's own samples, and the metric says so); a verdict first given
/// or changed (its class) is journaled, so the holding it causes is in the record.
pub(super) fn judge_canary(state: &mut State, c: usize, ranges: &[crate::canary::RangeAnswer]) {
    let Some(analysis) = state.runbook.canaries.get(c) else {
        return;
    };
    let mut inputs = state.canary_inputs(c);
    for (m, r) in ranges {
        if let (Ok((baseline, canary)), Some(input)) = (r, inputs.get_mut(*m)) {
            *input = crate::canary::Input::Samples {
                baseline: baseline.clone(),
                canary: canary.clone(),
            };
        }
    }
    let mut j = crate::canary::judge(&analysis.spec, &inputs);
    for (m, r) in ranges {
        if let (Err(why), Some(v)) = (r, j.metrics.get_mut(*m)) {
            v.warning = Some(format!(
                "the range query failed ({why}): judged on this console's own samples"
            ));
        }
    }
    let changed = state.canaries[c]
        .verdict
        .is_none_or(|(v, ..)| v != j.verdict);
    if changed {
        emit(
            state,
            Event::CanaryJudged {
                canary: analysis.id.clone(),
                verdict: j.verdict,
                score: j.score,
                why: j.why.clone(),
            },
        );
    }
    state.canaries[c].judgement = Some(j);
}
