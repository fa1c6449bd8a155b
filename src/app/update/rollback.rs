//! The rollback: asked for, its preview, its procedure's steps one after another, the
//! automatic countdown, and whether it met its criteria.

use super::*;

pub(super) fn auto_rollback_countdown(state: &mut State, fx: &mut Vec<Effect>) {
    let Some((rule, deadline)) = state.auto_rollback else {
        return;
    };
    // The criteria cleared before the countdown ran out: nothing to roll back for.
    let id = state.runbook.rules[rule].id.clone();
    if !state.rules[rule].is_firing() {
        emit(state, Event::AutoRollbackCalledOff { rule: id.clone() });
        state.notify(format!("Automatic rollback called off: {id} resolved"));
        return;
    }
    if state.now < deadline || state.read_only.is_some() {
        return;
    }
    if state.rollback.status.is_active() {
        emit(state, Event::AutoRollbackCalledOff { rule: id });
        return;
    }
    // Past the plan's rollback (its window closed, a point of no return): nobody typed an
    // override, so nothing runs by itself.
    if let Some(g) = guard::guards(state, Act::AutoRollback).first() {
        let words = g.words.clone();
        emit(state, Event::AutoRollbackCalledOff { rule: id });
        state.notify(format!("Automatic rollback NOT run: {words}; R to decide"));
        return;
    }
    let reason = format!("automatic, rule {id}: {}", state.rule_values(rule));
    state.notify("Automatic rollback started");
    start(state, Target::Rollback, Some(reason), Vec::new(), fx);
}

/// A rollback procedure's steps each have their own record directory.
pub(super) fn rollback_step_file_name(state: &State, step: usize) -> String {
    match state
        .runbook
        .rollback
        .as_ref()
        .and_then(|r| r.steps.get(step))
    {
        Some(st) if st.id != "rollback" => format!("rollback-{}", st.id),
        _ => "rollback".to_owned(),
    }
}

/// A rollback procedure's step succeeded: the next one starts, in the same attempt, its
/// output following on screen, or the procedure pauses there if the step asks first.
/// False when there is no next step (the procedure is done).
pub(super) fn next_rollback_step(state: &mut State, fx: &mut Vec<Effect>) -> bool {
    let next = state.rollback_step + 1;
    let exists = state
        .runbook
        .rollback
        .as_ref()
        .is_some_and(|r| next < r.steps.len());
    if exists {
        launch_rollback_step(state, next, fx);
    }
    exists
}

/// Step `k` of the rollback procedure: paused for its confirmation if it has one and it
/// is not given yet, started otherwise.
pub(super) fn launch_rollback_step(state: &mut State, k: usize, fx: &mut Vec<Effect>) {
    let rb = state.runbook.clone();
    let Some(steps) = rb.rollback.as_ref().map(|r| &r.steps) else {
        return;
    };
    let Some(st) = steps.get(k) else {
        return;
    };
    if st.confirm != Confirm::None && state.rollback_awaiting != Some(k) {
        emit(
            state,
            Event::RollbackStepAwaiting {
                step: st.id.clone(),
            },
        );
        state.notify(format!(
            "Rollback paused before step {}/{} {}: it asks first",
            k + 1,
            steps.len(),
            st.id
        ));
        open_rollback_step(state);
        return;
    }
    // The first step is the procedure's start (its RunStarted), unless it asked first.
    if k > 0 || state.rollback_awaiting == Some(k) {
        emit(
            state,
            Event::RollbackStepStarted {
                step: st.id.clone(),
            },
        );
    }
    let header = format!(
        "── rollback step {}/{}: {} · {} ──",
        k + 1,
        steps.len(),
        st.id,
        st.title
    );
    if let Some(run) = state.run_mut(Target::Rollback) {
        if k > 0 {
            run.output.finish();
            run.output.push_line(header.as_bytes());
        }
        run.log = None;
    }
    if k > 0 {
        state.notify(format!(
            "Rollback step {}/{}: {}",
            k + 1,
            steps.len(),
            st.title
        ));
    }
    let name = run_file_name(state, Target::Rollback);
    let env = run_env(&rb, &name, String::new());
    fx.push(Effect::Run {
        target: Target::Rollback,
        name,
        attempt: state.rollback.attempt,
        command: st.command.clone(),
        timeout: st.timeout,
        env,
    });
}

/// The paused rollback step's confirmation, unless another question is on screen.
pub(super) fn open_rollback_step(state: &mut State) {
    if let (Some(step), None) = (state.rollback_awaiting, &state.modal) {
        state.modal = Some(Modal::RollbackStep {
            step,
            input: Input::default(),
            wrong: false,
        });
    }
}

/// After a rollback, its success criteria must hold for `hold` within `within` of its end:
/// the result is journaled either way.
pub(super) fn check_rollback(state: &mut State) {
    let Some(crate::app::RollbackCheck::Checking { since, held_since }) =
        state.rollback_check.clone()
    else {
        return;
    };
    let Some(success) = state
        .runbook
        .rollback
        .as_ref()
        .and_then(|r| r.success.clone())
    else {
        return;
    };
    let now = state.now;
    let holds = crate::rules::eval(&success.expr, state) == crate::rules::Truth::True;
    let held_since = if holds {
        held_since.or(Some(now))
    } else {
        None
    };
    if held_since.is_some_and(|t| now - t >= success.hold) {
        emit(state, Event::RollbackCriteriaMet);
        // Not "criteria met": the banner's ROLLBACK CRITERIA MET means roll back now.
        state.notify(format!("Rollback succeeded: {} held", success.source));
    } else if now - since > success.within {
        let why = format!(
            "`{}` did not hold for {} within {} of the rollback's end",
            success.source,
            crate::runbook::time::format_duration(success.hold),
            crate::runbook::time::format_duration(success.within)
        );
        emit(state, Event::RollbackCriteriaNotMet { why: why.clone() });
        state.notify(format!("ROLLBACK DID NOT SUCCEED: {why}"));
    } else {
        state.rollback_check = Some(crate::app::RollbackCheck::Checking { since, held_since });
    }
}

/// What the rollback modal says it is for: the rule that proposes it, its values, tier and
/// who decides.
pub(super) fn rollback_why(state: &State) -> Option<String> {
    state.rollback_proposed().map(|r| {
        let rule = &state.runbook.rules[r];
        let tier = match rule.tier {
            Some(crate::runbook::Tier::Immediate) => " · tier IMMEDIATE",
            Some(crate::runbook::Tier::Urgent) => " · tier URGENT",
            Some(crate::runbook::Tier::Conditional) => " · tier CONDITIONAL",
            None => "",
        };
        let authority = rule
            .authority
            .as_ref()
            .map(|a| format!(" · decided by: {a}"))
            .unwrap_or_default();
        format!(
            "{}: {} ({}){tier}{authority}",
            rule.id,
            rule.summary,
            state.rule_values(r)
        )
    })
}

/// `R`: the preview starts (its output fills the modal before the phrase can be typed);
/// past a hard guard, the override comes first. A paused procedure asks for its step.
pub(super) fn request_rollback(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(rb) = &state.runbook.rollback else {
        state.notify("This runbook has no [rollback] section");
        return;
    };
    if state.rollback_awaiting.is_some() {
        open_rollback_step(state);
        return;
    }
    if state.rollback.status.is_active() {
        state.notify("The rollback is already running");
        return;
    }
    let phrase = rb.phrase.clone();
    let has_preview = rb.preview.is_some();
    let why = rollback_why(state);
    if has_preview {
        start(state, Target::RollbackPreview, None, Vec::new(), fx);
    }
    if let Some(g) = guard::guards(state, Act::Rollback)
        .into_iter()
        .find(Guard::is_hard)
    {
        ask_override(state, Target::Rollback, why, &g.words);
        return;
    }
    state.modal = Some(Modal::Phrase {
        target: Target::Rollback,
        phrase,
        input: Input::default(),
        wrong: false,
        reason: why,
        overridden: false,
    });
}

/// How long a rollback preview may run when `[rollback] timeout` does not say.
pub(super) const PREVIEW_TIMEOUT: TimeDelta = TimeDelta::seconds(60);

/// The paused rollback step was confirmed: it runs.
pub(super) fn continue_rollback(state: &mut State, step: usize, fx: &mut Vec<Effect>) {
    if state.rollback_awaiting == Some(step) && state.read_only.is_none() {
        launch_rollback_step(state, step, fx);
    }
}

/// The operator left the rollback modal: a preview still running is stopped (it only
/// reads, and nobody is there to read it).
pub(super) fn stop_preview(state: &mut State, fx: &mut Vec<Effect>) {
    if state.preview.status.is_active() {
        emit(
            state,
            Event::CancelRequested {
                target: super::event::RunRef::RollbackPreview,
            },
        );
        fx.push(Effect::Cancel {
            target: Target::RollbackPreview,
        });
    }
}
