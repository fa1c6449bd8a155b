//! `[[gate]]`: go/no-go decisions before a step, their approvers, evidence and policy.

use super::*;

/// The gates: each before a step of the plan, with rules and checklists that exist.
pub(super) fn gates(
    d: &mut Diagnostics<'_>,
    s: &Sections,
    (rule_ids, canary_ids): (&Ids, &Ids),
    phase_ids: &Ids,
    step_ids: &Ids,
) -> Vec<Gate> {
    let mut gate_ids = Ids::new("gate").knowing(&s.unparsed, "gate");
    let mut gated_steps = HashSet::new();
    let mut gates = Vec::new();
    for (i, g) in s.gates.iter().enumerate() {
        let key = format!("gate[{}]", g.id.get_ref());
        check_id(d, &format!("{key}.id"), &g.id, true);
        gate_ids.add(d, &format!("gate[{i}].id"), &g.id);
        if g.approvers.get_ref().is_empty() {
            d.error(
                Some(g.approvers.span()),
                format!("{key}.approvers"),
                "a gate needs at least one approver",
            );
        }
        if !step_ids.contains(g.before.get_ref()) {
            d.error(
                Some(g.before.span()),
                format!("{key}.before"),
                format!(
                    "`{}` is not a step id defined in any phase",
                    g.before.get_ref()
                ),
            );
        } else if !gated_steps.insert(g.before.get_ref().clone()) {
            d.error(
                Some(g.before.span()),
                format!("{key}.before"),
                format!("step `{}` already has a gate", g.before.get_ref()),
            );
        }
        for r in &g.rules {
            if !rule_ids.contains(r.get_ref()) {
                d.error(
                    Some(r.span()),
                    format!("{key}.rules"),
                    format!("`{}` is not a rule id", r.get_ref()),
                );
            }
        }
        for r in &g.holding_rules {
            if !rule_ids.contains(r.get_ref()) {
                d.error(
                    Some(r.span()),
                    format!("{key}.holding-rules"),
                    format!("`{}` is not a rule id", r.get_ref()),
                );
            }
        }
        for c in &g.checklists {
            if !phase_ids.contains(c.get_ref()) {
                d.error(
                    Some(c.span()),
                    format!("{key}.checklists"),
                    format!(
                        "`{}` is not a phase id (a gate depends on a phase's checklist)",
                        c.get_ref()
                    ),
                );
            }
        }
        let policy = policy(d, &key, g);
        if let Some(c) = &g.canary
            && !canary_ids.contains(c.get_ref())
        {
            d.error(
                Some(c.span()),
                format!("{key}.canary"),
                format!(
                    "`{}` is not a canary id defined in a `[[canary]]`",
                    c.get_ref()
                ),
            );
        }
        if g.distinct_from_driver
            && !g
                .approvers
                .get_ref()
                .iter()
                .any(|e| s.approvers.iter().any(|a| a.id.get_ref() == e))
        {
            d.error(
                Some(g.approvers.span()),
                format!("{key}.distinct-from-driver"),
                "`distinct-from-driver` leaves only votes from the approvers' own terminals, and no approver here votes from one: name an `[[approver]]` among `approvers`",
            );
        }
        gates.push(Gate {
            policy,
            distinct_from_driver: g.distinct_from_driver,
            canary: g.canary.as_ref().map(|c| c.get_ref().clone()),
            id: g.id.get_ref().clone(),
            title: g.title.clone(),
            approvers: g.approvers.get_ref().clone(),
            before: g.before.get_ref().clone(),
            rules: g.rules.iter().map(|r| r.get_ref().clone()).collect(),
            holding_rules: g
                .holding_rules
                .iter()
                .map(|r| r.get_ref().clone())
                .collect(),
            checklists: g.checklists.iter().map(|r| r.get_ref().clone()).collect(),
        });
    }
    gates
}

/// How the gate decides: `decide` (and whose `final-say`), or `needs = N` of its approvers.
fn policy(d: &mut Diagnostics<'_>, key: &str, g: &raw::Gate) -> GatePolicy {
    let policy = match g.decide.as_ref().map(|s| (s.get_ref().as_str(), s.span())) {
        None | Some(("unanimous", _)) => GatePolicy::Unanimous,
        Some(("any", _)) => GatePolicy::Any,
        Some(("final-say", span)) => {
            let who = g.final_say.as_ref().and_then(|f| {
                let i = g.approvers.get_ref().iter().position(|a| a == f.get_ref());
                if i.is_none() {
                    d.error(
                        Some(f.span()),
                        format!("{key}.final-say"),
                        format!("`{}` is not one of the gate's approvers", f.get_ref()),
                    );
                }
                i
            });
            if g.final_say.is_none() {
                d.error(
                    Some(span),
                    format!("{key}.decide"),
                    "`final-say` names whose vote decides: add `final-say = \"<approver>\"`",
                );
            }
            GatePolicy::FinalSay(who.unwrap_or(0))
        }
        Some((other, span)) => {
            d.error(
                Some(span),
                format!("{key}.decide"),
                format!("`{other}` is not a gate policy: expected unanimous, any or final-say"),
            );
            GatePolicy::Unanimous
        }
    };
    let policy = match (&g.needs, policy) {
        (None, policy) => policy,
        (Some(n), GatePolicy::Unanimous) => {
            let of = g.approvers.get_ref().len() as i64;
            let wanted = *n.get_ref();
            if !(1..=of).contains(&wanted) {
                d.error(
                    Some(n.span()),
                    format!("{key}.needs"),
                    format!(
                        "`needs = {wanted}`: a gate with {of} approver(s) needs 1 to {of} of them"
                    ),
                );
            }
            GatePolicy::Needs(usize::try_from(wanted.clamp(1, of.max(1))).unwrap_or(1))
        }
        (Some(n), policy) => {
            d.error(
                Some(n.span()),
                format!("{key}.needs"),
                "`needs` counts GO votes among equals: drop `decide`, or `needs`",
            );
            policy
        }
    };
    if let (Some(f), false) = (
        &g.final_say,
        matches!(
            g.decide.as_ref().map(|s| s.get_ref().as_str()),
            Some("final-say")
        ),
    ) {
        d.error(
            Some(f.span()),
            format!("{key}.final-say"),
            "`final-say` needs `decide = \"final-say\"`",
        );
    }
    policy
}
