//! The incident: declared by a rule or by hand, escalated by its age, ended when quiet.

use super::*;

/// How a declared incident's trigger begins (the operator's reason follows).
pub(super) const DECLARED: &str = "declared: ";

pub(super) fn open_incident(state: &mut State, trigger: String) {
    let level = state.runbook.escalation_level(TimeDelta::zero());
    emit(state, Event::IncidentOpened { trigger, level });
    // No bell of its own: the critical alert rang, or the operator declared it.
    if let Some(l) = level {
        state.notify(format!("Incident: escalation level {l}, contacts on C"));
    }
}

/// An incident a critical alert started ends when no critical alert fires any more; one
/// the operator declared ends when they stand it down.
pub(super) fn end_incident_if_quiet(state: &mut State) {
    let Some(incident) = &state.incident else {
        return;
    };
    if incident.trigger.starts_with(DECLARED) {
        return;
    }
    let critical_firing = state
        .rules
        .iter()
        .zip(&state.runbook.rules)
        .any(|(s, r)| s.is_firing() && r.severity == Severity::Critical);
    if !critical_firing {
        emit(
            state,
            Event::IncidentClosed {
                why: "its critical alerts resolved".into(),
            },
        );
    }
}

/// Crossing into a higher escalation level, by the incident's age or a level's condition:
/// journaled, the bell once, a notice naming the level and its response time.
pub(super) fn escalate(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(incident) = &state.incident else {
        return;
    };
    let Some(now) = state.escalation_due() else {
        return;
    };
    if incident.level.is_some_and(|l| l >= now) {
        return;
    }
    emit(state, Event::EscalationReached { level: now });
    let respond = state
        .runbook
        .escalation
        .get(usize::from(now) - 1)
        .and_then(|l| l.respond_within)
        .map(|r| {
            format!(
                ", respond within {}",
                crate::runbook::time::format_duration(r)
            )
        })
        .unwrap_or_default();
    state.notify(format!(
        "Escalation: level {now} now{respond}, contacts on C"
    ));
    if state.runbook.bell {
        fx.push(Effect::Bell);
    }
}
