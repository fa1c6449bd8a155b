//! The rules evaluated each tick: a firing one proposes the rollback or counts it down.

use super::*;

pub(super) fn evaluate_rules(state: &mut State, fx: &mut Vec<Effect>) {
    let now = state.now;
    // With an evaluation interval, once per interval (aligned to the clock, as Prometheus
    // aligns its groups), at the first tick or sample in it.
    if let Some(every) = state.runbook.evaluation_interval {
        let slot = |t: DateTime<Utc>| t.timestamp_millis().div_euclid(every.num_milliseconds());
        if state
            .rules_evaluated_at
            .is_some_and(|last| slot(last) == slot(now))
        {
            return;
        }
        state.rules_evaluated_at = Some(now);
    }
    for i in 0..state.rules.len() {
        let before = state.rules[i].clone();
        let mut after = before.clone();
        if state.rule_in_scope(i) {
            after.evaluate(&state.runbook.rules[i], state, now);
        } else {
            // Outside its moment a rule is quiet: pending starts over, firing resolves.
            after = crate::rules::RuleState::default();
        }
        // What the last evaluation saw is live bookkeeping; a change of phase is recorded.
        state.rules[i].no_data = after.no_data;
        state.rules[i].no_data_since = after.no_data_since;
        state.rules[i].keep_firing_since = after.keep_firing_since;
        let rule = state.runbook.rules[i].id.clone();
        let event = match (&before.phase, &after.phase) {
            (RulePhase::Inactive, RulePhase::Pending { .. }) => Event::RulePending {
                rule,
                values: state.rule_readings(i),
            },
            (RulePhase::Pending { .. }, RulePhase::Inactive) => Event::RuleReset { rule },
            (RulePhase::Inactive | RulePhase::Pending { .. }, RulePhase::Firing { .. }) => {
                Event::RuleFiring {
                    rule,
                    values: state.rule_readings(i),
                }
            }
            (RulePhase::Firing { .. }, RulePhase::Inactive) => Event::RuleResolved {
                rule,
                values: state.rule_readings(i),
            },
            _ => continue,
        };
        let fired = matches!(event, Event::RuleFiring { .. });
        let resolved = matches!(event, Event::RuleResolved { .. });
        emit(state, event);
        if fired
            && state.runbook.rules[i].severity == Severity::Critical
            && state.incident.is_none()
        {
            let trigger = format!("rule {}", state.runbook.rules[i].id);
            open_incident(state, trigger);
        }
        if resolved {
            end_incident_if_quiet(state);
        }
        if fired {
            if state.runbook.rules[i].severity == Severity::Critical && state.runbook.bell {
                fx.push(Effect::Bell);
            }
            // The feed shows newest first: keep the selection on the same entry.
            state.selected_alert = 0;
        }
    }
}
