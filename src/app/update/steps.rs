//! A plan's steps: asking, confirming and starting them, what follows a success, their
//! verifications, the automatic ones, and the guards' override.

use super::*;

/// A step's run succeeded: capture the baselines it names and start its verification.
pub(super) fn after_success(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let rb = state.runbook.clone();
    let Some((_, step)) = rb.steps().nth(i) else {
        return;
    };
    let values = baseline_values(state, &step.capture_baseline);
    if !values.is_empty() {
        emit(state, Event::BaselineCaptured { values });
    }
    ask_actual(state, i);
    // The record opened the verification (`Checking`); its command runs now.
    let Some(v) = &step.verify else { return };
    if let Some(argv) = &v.command {
        fx.push(Effect::Verify {
            step: i,
            argv: argv.clone(),
            expect: v.expect_output.clone(),
            timeout: v.timeout,
        });
    }
    evaluate_verifications(state);
}

/// The current values of these KPIs, to become their baselines (for `baseline(kpi)` in
/// rules); KPIs without a current finite value are left out.
pub(super) fn baseline_values(state: &State, ids: &[String]) -> BTreeMap<String, f64> {
    ids.iter()
        .filter_map(|id| {
            let k = state.runbook.kpi_index(id)?;
            let v = state.kpi_value(k).ok().filter(|v| v.is_finite())?;
            Some((id.clone(), v))
        })
        .collect()
}

/// Advances every verification in progress: the endpoint must be UP, the rule must have
/// held for its duration, the command must have passed; all within the timeout.
pub(super) fn evaluate_verifications(state: &mut State) {
    let now = state.now;
    let rb = state.runbook.clone();
    for (i, (_, step)) in rb.steps().enumerate() {
        let Some(v) = &step.verify else { continue };
        let Some(Verification::Checking {
            since,
            held_since,
            command,
        }) = state.steps[i].verify.clone()
        else {
            continue;
        };
        let endpoint_ok = v.endpoint.as_deref().is_none_or(|ep| {
            rb.endpoint_index(ep).and_then(|e| state.endpoint_health(e)) == Some(Health::Up)
        });
        let holds = v
            .rule
            .as_ref()
            .is_none_or(|r| crate::rules::eval(r, state) == crate::rules::Truth::True);
        let held_since = if holds {
            held_since.or(Some(now))
        } else {
            None
        };
        let rule_ok = held_since.is_some_and(|t| now - t >= v.hold_for);
        // Without a verify command there is nothing to wait for.
        let command = if v.command.is_none() {
            Some(Ok(()))
        } else {
            command
        };
        let next = match &command {
            Some(Err(e)) => Verification::Failed(now, format!("verify command: {e}")),
            Some(Ok(())) if endpoint_ok && rule_ok => Verification::Passed(now),
            _ if now - since > v.timeout => {
                let mut missing = Vec::new();
                if command.is_none() {
                    missing.push("the verify command did not finish".to_owned());
                }
                if !endpoint_ok {
                    missing.push(format!("{} is not UP", v.endpoint.as_deref().unwrap_or("")));
                }
                if !rule_ok {
                    missing.push(format!(
                        "`{}` did not hold",
                        v.rule.as_ref().map(ToString::to_string).unwrap_or_default()
                    ));
                }
                Verification::Failed(now, format!("verify timed out: {}", missing.join(", ")))
            }
            _ => Verification::Checking {
                since,
                held_since,
                command,
            },
        };
        match &next {
            Verification::Passed(_) => state.notify(format!("Step {} verified", step.id)),
            Verification::Failed(_, why) => state.notify(format!(
                "Step {} failed verification: {why} · r: retry, s: skip",
                step.id
            )),
            Verification::Checking { .. } => {}
        }
        match next {
            Verification::Passed(_) => emit(
                state,
                Event::VerifyPassed {
                    step: step.id.clone(),
                },
            ),
            Verification::Failed(_, why) => {
                state.steps[i]
                    .output
                    .push_line(format!("warroom: {why}").as_bytes());
                emit(
                    state,
                    Event::VerifyFailed {
                        step: step.id.clone(),
                        why,
                    },
                );
            }
            // How long the rule has held, and the command's answer: live bookkeeping.
            checking @ Verification::Checking { .. } => state.steps[i].verify = Some(checking),
        }
    }
}

/// Steps the runbook marks automatic start at their planned time (or when the previous
/// step's hold ends, if later), without a keystroke, unless a guard stands (they wait, and
/// say why), or the rollback runs, or they are more than a minute overdue (a console
/// started late must not fire off old steps; the operator decides).
pub(super) fn run_automatic_steps(state: &mut State, fx: &mut Vec<Effect>) {
    if state.rollback.status.is_active() || state.read_only.is_some() {
        return;
    }
    let rb = state.runbook.clone();
    for (i, (_, step)) in rb.steps().enumerate() {
        let Some(planned) = step.planned else {
            continue;
        };
        let run = &state.steps[i];
        if !step.automatic || run.status != RunStatus::Waiting || run.skipped.is_some() {
            continue;
        }
        let due =
            guard::hold_ends(state, i).map_or(state.t0 + planned, |h| h.max(state.t0 + planned));
        let late = state.now - due;
        if late < TimeDelta::zero() || late >= TimeDelta::minutes(1) {
            continue;
        }
        match guard::guards(state, Act::AutoStep(i)).first() {
            None => {
                state.notify(format!(
                    "Step {} started automatically at its planned time",
                    step.id
                ));
                start(state, Target::Step(i), None, Vec::new(), fx);
            }
            Some(g) => {
                // Said whenever the line is free: the operator's own notices are not
                // swept away, and the Next line says it meanwhile.
                if state.notice.is_none() {
                    state.notify(format!("Automatic step {} waits: {}", step.id, g.words));
                }
            }
        }
    }
}

/// An automatic checklist item that began or stopped holding is recorded, so the report
/// ticks what the screen ticked (an observation, like a rule's change).
pub(super) fn record_auto_checks(state: &mut State) {
    if state.read_only.is_some() {
        return;
    }
    let rb = state.runbook.clone();
    for (i, (_, c)) in rb.checks().enumerate() {
        let Some(expr) = &c.auto else { continue };
        let holds = crate::rules::eval(expr, state) == crate::rules::Truth::True;
        if holds != state.checks_auto[i].is_some() {
            emit(
                state,
                Event::CheckAuto {
                    check: c.id.clone(),
                    holds,
                },
            );
        }
    }
}

pub(super) fn request_step(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let Some((_, step)) = state.step(i) else {
        return;
    };
    let (id, has_command) = (step.id.clone(), step.command.is_some());
    if state.watch_state(i).is_some() {
        state.notify(format!("Step {id} is a continuous watch: nothing to run"));
        return;
    }
    // A done step that records an actual: Enter enters (or corrects) it.
    if state.step_done(i) && step.record.is_some() {
        state.modal = None;
        ask_actual(state, i);
        return;
    }
    if !has_command && state.step_done(i) {
        state.notify(format!("Step {id} is done"));
        return;
    }
    if state.steps[i].status.is_active() {
        state.notify(format!("Step {id} is already running"));
        return;
    }
    if state.rollback.status.is_active() {
        state.notify("The rollback is running: steps wait until it finishes");
        return;
    }
    let guards = guard::guards(state, Act::Step(i));
    let target = Target::Step(i);
    if let Some(g) = guards.iter().find(|g| g.is_hard()) {
        let words = g.words.clone();
        ask_override(state, target, None, &words);
        return;
    }
    confirm_step(state, i, guards, false, fx);
}

/// The step's own confirmation, once no hard guard stands (or it was overridden): its
/// phrase, a y/N (also for a step that needs none while soft guards stand), or none.
pub(super) fn confirm_step(
    state: &mut State,
    i: usize,
    guards: Vec<Guard>,
    overridden: bool,
    fx: &mut Vec<Effect>,
) {
    let Some((_, step)) = state.step(i) else {
        return;
    };
    let target = Target::Step(i);
    if step.command.is_none() {
        if overridden {
            done_by_hand(state, i);
        } else {
            state.modal = Some(Modal::MarkDone { step: i });
        }
        return;
    }
    match step.confirm.clone() {
        Confirm::Phrase(phrase) => {
            state.modal = Some(Modal::Phrase {
                target,
                phrase,
                input: Input::default(),
                wrong: false,
                reason: None,
                overridden,
            });
        }
        Confirm::YesNo if !overridden => {
            state.modal = Some(Modal::Confirm { target, overridden });
        }
        Confirm::None if !overridden && guards.iter().any(|g| !g.is_hard()) => {
            state.modal = Some(Modal::Confirm { target, overridden });
        }
        // The typed id and reason are the explicit answer.
        Confirm::YesNo | Confirm::None => start(state, target, None, guards, fx),
    }
}

/// Marks the run as starting (so a second keypress cannot start it again), with the
/// guards that stood, and asks the executor to start it.
pub(super) fn start(
    state: &mut State,
    target: Target,
    reason: Option<String>,
    guards: Vec<Guard>,
    fx: &mut Vec<Effect>,
) {
    let rb = state.runbook.clone();
    let launch = match target {
        Target::Step(i) => {
            let Some((phase, step)) = rb.steps().nth(i) else {
                return;
            };
            let Some(cmd) = step.command.clone() else {
                return;
            };
            Some((step.id.clone(), cmd, step.timeout, phase.id.clone()))
        }
        // The procedure's steps are launched one by one (each may ask first).
        Target::Rollback => {
            if rb.rollback.as_ref().is_none_or(|r| r.steps.is_empty()) {
                return;
            }
            None
        }
        Target::RollbackPreview => {
            let Some(r) = rb.rollback.as_ref() else {
                return;
            };
            let Some(cmd) = r.preview.clone() else {
                return;
            };
            Some((
                run_file_name(state, target),
                cmd,
                Some(r.timeout.unwrap_or(PREVIEW_TIMEOUT)),
                String::new(),
            ))
        }
    };
    let Some(run) = state.run(target) else {
        return;
    };
    if run.status.is_active() || state.read_only.is_some() {
        return;
    }
    let attempt = run.attempt + 1;
    let Some(r) = state.run_ref(target) else {
        return;
    };
    emit(
        state,
        Event::RunStarted {
            target: r,
            attempt,
            reason,
            guards,
        },
    );
    // A fresh attempt: new output on screen (the files of the earlier one stay).
    let secrets = state.secrets.clone();
    if let Some(run) = state.run_mut(target) {
        run.output = OutputBuffer::masking(secrets);
        run.log = None;
        run.scroll = 0;
    }
    state.shown = target;
    let Some((name, command, timeout, phase)) = launch else {
        // A fresh procedure starts at its first step.
        launch_rollback_step(state, 0, fx);
        return;
    };
    let env = run_env(&rb, &name, phase);
    fx.push(Effect::Run {
        target,
        name,
        attempt,
        command,
        timeout,
        env,
    });
}

/// What the operator types to override the hard guards of `target`: the step's id, or
/// `rollback`.
pub fn override_word(state: &State, target: Target) -> String {
    match target {
        Target::Step(i) => state.step(i).map(|(_, s)| s.id.clone()).unwrap_or_default(),
        Target::Rollback | Target::RollbackPreview => "rollback".to_owned(),
    }
}

/// The override was typed: it is recorded with the guards it passes, then the action's
/// own confirmation follows (the rollback's phrase, a step's phrase), or it starts.
pub(super) fn overridden(
    state: &mut State,
    target: Target,
    why: Option<String>,
    reason: String,
    fx: &mut Vec<Effect>,
) {
    let guards = guard::of_target(state, target);
    let Some(r) = state.run_ref(target) else {
        return;
    };
    let passed: Vec<String> = guards
        .iter()
        .filter(|g| g.is_hard())
        .map(|g| g.words.clone())
        .collect();
    state.notify(format!("Override recorded: {}", passed.join("; ")));
    emit(
        state,
        Event::GuardOverridden {
            target: r,
            guards: guards.clone(),
            reason,
        },
    );
    match target {
        Target::Step(i) => confirm_step(state, i, guards, true, fx),
        Target::Rollback => {
            let phrase = state
                .runbook
                .rollback
                .as_ref()
                .map_or_else(|| "ROLLBACK".to_owned(), |r| r.phrase.clone());
            state.modal = Some(Modal::Phrase {
                target,
                phrase,
                input: Input::default(),
                wrong: false,
                reason: why,
                overridden: true,
            });
        }
        Target::RollbackPreview => {}
    }
}

/// A step or the rollback confirmed: the guards are asked once more (one may have come
/// while the question was open); a hard one not overridden asks for the override instead.
pub(super) fn confirmed_start(
    state: &mut State,
    target: Target,
    reason: Option<String>,
    overridden: bool,
    fx: &mut Vec<Effect>,
) {
    let guards = guard::of_target(state, target);
    if !overridden && let Some(g) = guards.iter().find(|g| g.is_hard()) {
        let words = g.words.clone();
        ask_override(state, target, reason, &words);
        return;
    }
    start(state, target, reason, guards, fx);
}

/// Nothing runs past a hard guard: say which, and ask for the override (the id, then a
/// reason).
pub(super) fn ask_override(state: &mut State, target: Target, why: Option<String>, guard: &str) {
    state.notify(format!("Not run: {guard}"));
    state.modal = Some(Modal::Override {
        target,
        why,
        input: Input::default(),
        reason: None,
        wrong: false,
    });
}

pub(super) fn done_by_hand(state: &mut State, i: usize) {
    if let Some((_, st)) = state.step(i) {
        let id = st.id.clone();
        state.notify(format!("Step {id} done by hand"));
        emit(state, Event::StepDoneByHand { step: id });
        ask_actual(state, i);
    }
}

/// A step with a `record` asks for its actual once done (unless a dialog is open: then
/// the notice says how to enter it).
pub(super) fn ask_actual(state: &mut State, i: usize) {
    let Some(record) = state.step(i).and_then(|(_, s)| s.record.clone()) else {
        return;
    };
    if state.modal.is_none() {
        state.modal = Some(Modal::Record {
            step: i,
            input: Input::default(),
        });
    } else {
        state.notify(format!(
            "{} to record by hand: Enter on the step",
            record.id
        ));
    }
}

/// A run ended, as its supervisor wrote: recorded once (a duplicate report is ignored), a
/// rollback procedure goes on to its next step, a step's success is followed up, and the
/// operator is told.
pub(super) fn run_finished(state: &mut State, target: Target, exit: Exit, fx: &mut Vec<Effect>) {
    let Some(run) = state.run(target) else {
        return;
    };
    // Only the run the record has open can finish (a duplicate report is ignored).
    if !run.status.is_active() {
        return;
    }
    let attempt = run.attempt;
    let result = exit.result();
    if result.is_ok() && target == Target::Rollback && next_rollback_step(state, fx) {
        return;
    }
    if let Some(r) = state.run_ref(target) {
        emit(
            state,
            Event::RunFinished {
                target: r,
                attempt,
                exit,
            },
        );
    }
    if let Some(run) = state.run_mut(target) {
        run.output.finish();
        if let Err(reason) = &result {
            run.output
                .push_line(format!("warroom: {reason}").as_bytes());
        }
    }
    if let (Ok(()), Target::Step(i)) = (&result, target) {
        after_success(state, i, fx);
    }
    let name = run_name(state, target);
    match (&result, target) {
        (Ok(()), Target::RollbackPreview) => {
            state.notify("Rollback preview finished: read it, then type the phrase");
        }
        (Err(e), Target::RollbackPreview) => state.notify(format!(
            "Rollback preview failed ({e}): you may still type the phrase"
        )),
        (Ok(()), Target::Rollback) => state.notify("Rollback finished"),
        (Ok(()), _) => state.notify(format!("{name} finished")),
        (Err(e), Target::Step(_)) => {
            state.notify(format!("{name} failed: {e} · r: retry, s: skip"));
        }
        (Err(e), Target::Rollback) => state.notify(format!("{name} failed: {e}")),
    }
}

/// The deployment window closing with its plan unfinished: journaled once, said, rung.
pub(super) fn window_overrun(state: &mut State, fx: &mut Vec<Effect>) {
    if state.window_overrun.is_some() || state.closed.is_some() {
        return;
    }
    let Some(w) = state.runbook.window else {
        return;
    };
    if state.now < state.t0 + w.end {
        return;
    }
    let steps_left = state.window_steps_left();
    if steps_left == 0 {
        return;
    }
    emit(state, Event::WindowOverrun { steps_left });
    state.notify(format!(
        "The deployment window has closed with {steps_left} step{} of its plan left",
        if steps_left == 1 { "" } else { "s" }
    ));
    fx.push(Effect::Bell);
}
