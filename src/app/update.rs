//! `update`: every change of state, from keys, clock ticks, poll results and run events.

use chrono::TimeDelta;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use std::collections::BTreeMap;

use super::event::{Event, Operator, Outcome, Record, VoteDecision};
use super::guard::{self, Act, Guard};
use super::keys::{self, Command as Key};
use super::observe;
use super::*;
use crate::runbook::{Confirm, Severity};

/// A decision or an outcome: recorded (in the outbox, for the journal) and applied.
fn emit(state: &mut State, event: Event) {
    let rec = Record::new(state.seq + 1, state.now, state.operator.clone(), event);
    state.apply(&rec);
    state.outbox.push(rec);
}

/// How a console takes the driver's seat on a run.
pub struct Begin {
    pub runbook_sha256: String,
    pub pid: u32,
    /// The runbook changed since the journal began, and the operator chose to continue.
    pub changed_from: Option<String>,
    /// The previous driver, when this console takes over from a live one.
    pub took_over_from: Option<Operator>,
}

/// Opens the record of a new run, or continues a replayed one: runs the journal left
/// open are re-attached (their effects re-issued, never re-run).
pub fn begin(state: &mut State, how: Begin) -> Vec<Effect> {
    let mut fx = Vec::new();
    let resumed = state.seq > 0;
    // The timeline opens on the next step to do: after a resume, and on a plan over days,
    // today's part is in view.
    if let Some(next) = (0..state.steps.len()).find(|i| !state.step_done(*i)) {
        state.selected = next;
    }
    if resumed {
        if let Some(from) = how.changed_from {
            emit(
                state,
                Event::RunbookChanged {
                    from_sha256: from,
                    to_sha256: how.runbook_sha256.clone(),
                },
            );
        }
    } else {
        emit(
            state,
            Event::RunOpened {
                runbook: state.runbook.name.clone(),
                path: state.runbook.path.display().to_string(),
                sha256: how.runbook_sha256,
                t0: state.t0,
            },
        );
    }
    if let Some(from) = how.took_over_from {
        let to = state.operator.clone();
        emit(state, Event::Handover { from, to });
    }
    emit(
        state,
        Event::DriverAttached {
            pid: how.pid,
            resumed,
        },
    );
    if !resumed {
        return fx;
    }
    let targets: Vec<Target> = (0..state.steps.len())
        .map(Target::Step)
        .chain([Target::Rollback, Target::RollbackPreview])
        .collect();
    let mut reattached = 0;
    for target in targets {
        let Some(run) = state.run(target) else {
            continue;
        };
        let (name, attempt) = (run_file_name(state, target), run.attempt);
        // A procedure paused for a step's confirmation has no process to follow: it asks
        // again.
        if target == Target::Rollback && state.rollback_awaiting.is_some() {
            open_rollback_step(state);
            continue;
        }
        if run.status.is_active() {
            reattached += 1;
            fx.push(Effect::Reattach {
                target,
                name,
                attempt,
            });
        } else if attempt > 0 {
            fx.push(Effect::ShowOutput {
                target,
                name,
                attempt,
            });
        }
    }
    // The timeline opens on the first step not done, as the operator left it.
    if let Some(i) = (0..state.steps.len()).find(|i| !state.step_done(*i)) {
        state.selected = i;
        state.shown = Target::Step(i);
    }
    // A verification the console was waiting on: its command is read-only, so ask again.
    let rb = state.runbook.clone();
    for (i, (_, step)) in rb.steps().enumerate() {
        if let (Some(v), Some(Verification::Checking { .. })) =
            (&step.verify, &state.steps[i].verify)
            && let Some(argv) = &v.command
        {
            fx.push(Effect::Verify {
                step: i,
                argv: argv.clone(),
                expect: v.expect_output.clone(),
                timeout: v.timeout,
            });
        }
    }
    // A countdown interrupted by the restart does not run off on old data: the operator,
    // back at the console, decides (R), or the rule fires again.
    if let Some((rule, _)) = state.auto_rollback {
        let id = state.runbook.rules[rule].id.clone();
        emit(state, Event::AutoRollbackCancelled { rule: id.clone() });
        state.notify(format!(
            "Automatic rollback countdown for {id} was interrupted by the restart: press R to roll back"
        ));
        return fx;
    }
    state.notify(format!(
        "Resumed from the journal ({} records){}",
        state.seq,
        if reattached > 0 {
            format!(": {reattached} running step(s) re-attached")
        } else {
            String::new()
        }
    ));
    fx
}

/// The driving console leaves: its watchers learn when, and why.
pub fn leave(state: &mut State, why: &str) {
    if state.read_only.is_none() {
        emit(
            state,
            Event::DriverDetached {
                why: why.to_owned(),
            },
        );
    }
}

/// The name of a run's record directory, before `.<attempt>`.
pub fn run_file_name(state: &State, target: Target) -> String {
    match target {
        Target::Rollback => rollback_step_file_name(state, state.rollback_step),
        // A dot is in no id: no step's record can share this one's.
        Target::RollbackPreview => "rollback.preview".to_owned(),
        Target::Step(i) => state
            .step(i)
            .map_or_else(|| format!("step-{i}"), |(_, s)| s.id.clone()),
    }
}

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = Vec::new();
    match action {
        Action::Key(key) => {
            if key.kind != KeyEventKind::Release {
                on_key(state, key, &mut fx);
            }
        }
        Action::Tick(now) => {
            state.now = now;
            reevaluate(state, &mut fx);
            escalate(state, &mut fx);
            run_automatic_steps(state, &mut fx);
            status_update_due(state);
            communications_due(state);
            auto_rollback_countdown(state, &mut fx);
            observe::notice_expiry(state);
        }
        Action::KpiSample { kpi, result } => {
            observe::kpi_sample(state, kpi, result);
            reevaluate(state, &mut fx);
        }
        // Only for the sparkline: rules see what this console polls.
        Action::KpiHistory { kpi, result } => observe::kpi_history(state, kpi, result),
        Action::EndpointProbe { endpoint, probe } => {
            observe::endpoint_probe(state, endpoint, probe);
            reevaluate(state, &mut fx);
        }
        Action::RunSpawned { target, log } => {
            if let Some(run) = state.run_mut(target) {
                run.log = Some(log);
            }
        }
        Action::RunOutput { target, bytes } => observe::run_output(state, target, &bytes),
        Action::RunFinished { target, exit } => {
            let Some(run) = state.run(target) else {
                return fx;
            };
            // Only the run the record has open can finish (a duplicate report is ignored).
            if !run.status.is_active() {
                return fx;
            }
            let attempt = run.attempt;
            let result = exit.result();
            if result.is_ok() && target == Target::Rollback && next_rollback_step(state, &mut fx) {
                return fx;
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
                after_success(state, i, &mut fx);
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
        Action::RunLost { target } => {
            let Some(run) = state.run(target) else {
                return fx;
            };
            if !run.status.is_active() {
                return fx;
            }
            let attempt = run.attempt;
            if let Some(r) = state.run_ref(target) {
                emit(state, Event::RunLost { target: r, attempt });
            }
            let name = run_name(state, target);
            state.notify(format!(
                "{name} is LOST: no exit status and no supervisor; check the target by hand"
            ));
        }
        Action::HandoverAsked(to) => {
            // One question at a time; a modal already open is not swept away.
            if state.modal.is_none() && state.read_only.is_none() {
                state.modal = Some(Modal::Handover { to });
            }
        }
        Action::Watchers(w) => state.watchers = w,
        Action::JournalFailed(why) => {
            state.modal = None;
            state.notify(format!("JOURNAL FAILED: {why}"));
            state.read_only = Some(why);
        }
        Action::AmAlerts(result) => observe::am_alerts(state, result),
        Action::StatusUpdateSent(result) => {
            let draft = state.sending_update.take();
            match result {
                Ok(()) => {
                    emit(state, Event::StatusUpdateSent);
                    state.notify("Status update sent");
                }
                Err(why) => {
                    emit(state, Event::StatusUpdateFailed { why: why.clone() });
                    state.draft_update = draft;
                    state.notify(format!(
                        "Status update NOT sent: {why} · U opens it again, text kept"
                    ));
                }
            }
        }
        Action::SilenceCreated(result) => {
            // Only the answer to the silence this console asked for counts.
            let Some(SilenceState::Creating { until }) = state.am.as_ref().map(|a| &a.silence)
            else {
                return fx;
            };
            let until = *until;
            match result {
                Ok(id) => emit(state, Event::SilenceCreated { id, until }),
                Err(why) => emit(state, Event::SilenceFailed { why }),
            }
            match state.am.as_ref().map(|a| a.silence.clone()) {
                Some(SilenceState::Active { .. }) => state.notify(
                    "Maintenance silence created in Alertmanager; it ends when the run ends",
                ),
                Some(SilenceState::Failed(e)) => state.notify(format!("No silence: {e}")),
                _ => {}
            }
        }
        Action::VerifyDone { step, result } => {
            if let Some(Verification::Checking { command, .. }) =
                state.steps.get_mut(step).and_then(|r| r.verify.as_mut())
            {
                *command = Some(result);
            }
            evaluate_verifications(state);
        }
    }
    fx
}

/// A step's run succeeded: capture the baselines it names and start its verification.
fn after_success(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let rb = state.runbook.clone();
    let Some((_, step)) = rb.steps().nth(i) else {
        return;
    };
    let values = baseline_values(state, &step.capture_baseline);
    if !values.is_empty() {
        emit(state, Event::BaselineCaptured { values });
    }
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
fn baseline_values(state: &State, ids: &[String]) -> BTreeMap<String, f64> {
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
fn evaluate_verifications(state: &mut State) {
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
fn run_automatic_steps(state: &mut State, fx: &mut Vec<Effect>) {
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

/// The runbook's status-update template filled in from the run as it stands: `{phase}`,
/// `{status}` (all green, watching warnings, ALERT), `{light}` (Green, Yellow, Red),
/// `{offset}`, `{done}`, `{total}`, `{progress}` (steps done, in %), `{alerts}` (the open
/// alerts with their values, or `none`), `{next}` (the next step and its planned time).
pub fn status_text(state: &State, template: &str) -> String {
    use crate::runbook::Standing;
    let light = state.status_light();
    let (status, color) = match light {
        Standing::Good => ("all green", "Green"),
        Standing::Warning => ("watching warnings", "Yellow"),
        Standing::Critical => ("ALERT", "Red"),
    };
    let done = (0..state.steps.len())
        .filter(|i| state.step_done(*i))
        .count();
    let total = state.steps.len();
    let progress = (done * 100).checked_div(total).unwrap_or(100);
    let alerts: Vec<String> = state
        .alerts_newest_first()
        .filter(|(_, a)| a.resolved.is_none())
        .map(|(_, a)| format!("{} ({})", a.title, state.rule_values(a.rule)))
        .collect();
    let next = state.next_step().and_then(|i| state.step(i)).map_or_else(
        || "none".to_owned(),
        |(_, step)| match step.planned {
            Some(p) => format!(
                "{} at {} ({})",
                step.title,
                crate::runbook::time::format_planned(p),
                (state.t0 + p).format("%H:%M UTC")
            ),
            None => step.title.clone(),
        },
    );
    template
        .replace("{phase}", state.current_phase().unwrap_or("-"))
        .replace("{status}", status)
        .replace("{light}", color)
        .replace(
            "{offset}",
            &crate::runbook::time::format_t_offset(state.now - state.t0),
        )
        .replace("{done}", &done.to_string())
        .replace("{total}", &total.to_string())
        .replace("{progress}", &format!("{progress}%"))
        .replace(
            "{alerts}",
            &if alerts.is_empty() {
                "none".to_owned()
            } else {
                alerts.join("; ")
            },
        )
        .replace("{next}", &next)
}

/// The cadence's template, or the default one.
fn cadence_template(u: &crate::runbook::StatusUpdates) -> &str {
    u.template
        .as_deref()
        .unwrap_or("{light}: {phase}, {progress} done; alerts: {alerts}; next: {next}")
}

/// A planned communication whose time has come: journaled once, and a notice; `U` opens
/// it filled in.
fn communications_due(state: &mut State) {
    for i in 0..state.runbook.communications.len() {
        let c = &state.runbook.communications[i];
        if state.communications[i].due.is_some() || state.t0 + c.planned > state.now {
            continue;
        }
        let audience = c.audience.clone();
        emit(
            state,
            Event::CommunicationDue {
                index: i,
                audience: audience.clone(),
            },
        );
        state.notify(format!(
            "Due now: the message to {audience} · U to write and send it"
        ));
    }
}

/// From T0 on, every `every`: a notice with the runbook's message, filled in, to post.
fn status_update_due(state: &mut State) {
    let Some(u) = state.runbook.status_updates.clone() else {
        return;
    };
    let since_t0 = state.now - state.t0;
    if since_t0 < TimeDelta::zero() || u.every <= TimeDelta::zero() {
        return;
    }
    let due = since_t0.num_seconds() / u.every.num_seconds().max(1);
    if due < 1 || due <= state.updates_announced {
        return;
    }
    let message = status_text(state, cadence_template(&u));
    let channel = u
        .channel
        .as_deref()
        .map(|c| format!(" to {c}"))
        .unwrap_or_default();
    state.notify(format!("Status update due{channel}: {message}"));
    emit(state, Event::StatusUpdateDue { n: due, message });
}

fn auto_rollback_countdown(state: &mut State, fx: &mut Vec<Effect>) {
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

/// What a run's process finds in its environment: which step (its record's name) and
/// phase it is, and the runbook's own variables.
fn run_env(rb: &crate::runbook::Runbook, name: &str, phase: String) -> Vec<(String, String)> {
    let mut env = vec![
        ("WARROOM_STEP".to_owned(), name.to_owned()),
        ("WARROOM_PHASE".to_owned(), phase),
    ];
    env.extend(rb.env.iter().cloned());
    env
}

/// A rollback procedure's steps each have their own record directory.
fn rollback_step_file_name(state: &State, step: usize) -> String {
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
fn next_rollback_step(state: &mut State, fx: &mut Vec<Effect>) -> bool {
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
fn launch_rollback_step(state: &mut State, k: usize, fx: &mut Vec<Effect>) {
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
fn open_rollback_step(state: &mut State) {
    if let (Some(step), None) = (state.rollback_awaiting, &state.modal) {
        state.modal = Some(Modal::RollbackStep {
            step,
            input: Input::default(),
            wrong: false,
        });
    }
}

fn run_name(state: &State, target: Target) -> String {
    match target {
        Target::Rollback => "Rollback".into(),
        Target::RollbackPreview => "Rollback preview".into(),
        Target::Step(i) => state
            .step(i)
            .map_or_else(|| format!("step {i}"), |(_, s)| format!("Step {}", s.id)),
    }
}

/// Whatever depends on the data: rules, then the verifications that read them.
fn reevaluate(state: &mut State, fx: &mut Vec<Effect>) {
    evaluate_rules(state, fx);
    evaluate_verifications(state);
    check_rollback(state);
    record_auto_checks(state);
}

/// An automatic checklist item that began or stopped holding is recorded, so the report
/// ticks what the screen ticked (an observation, like a rule's change).
fn record_auto_checks(state: &mut State) {
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

/// After a rollback, its success criteria must hold for `hold` within `within` of its end:
/// the result is journaled either way.
fn check_rollback(state: &mut State) {
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

fn evaluate_rules(state: &mut State, fx: &mut Vec<Effect>) {
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

/// The update is recorded with its text before it goes out; without a webhook the record
/// is all there is (the operator posts it by hand).
fn send_status_update(
    state: &mut State,
    text: String,
    communication: Option<usize>,
    fx: &mut Vec<Effect>,
) {
    let u = state.runbook.status_updates.clone();
    let webhook = u.as_ref().and_then(|u| u.webhook.clone());
    let audience = communication
        .and_then(|i| state.runbook.communications.get(i))
        .map(|c| c.audience.clone());
    let to = match (
        &webhook,
        audience,
        u.as_ref().and_then(|u| u.channel.clone()),
    ) {
        (None, _, _) => "none".to_owned(),
        (Some(_), Some(audience), _) => audience,
        (Some(_), None, Some(channel)) => channel,
        (Some(_), None, None) => "the webhook".to_owned(),
    };
    emit(
        state,
        Event::StatusUpdateSending {
            text: text.clone(),
            to: to.clone(),
            communication,
        },
    );
    if webhook.is_some() {
        state.sending_update = Some((text.clone(), communication));
        state.notify(format!("Sending the status update to {to}…"));
        fx.push(Effect::SendStatusUpdate { text });
    } else {
        state.notify("Recorded; no webhook in [status-updates], so post it yourself");
    }
}

/// How a declared incident's trigger begins (the operator's reason follows).
const DECLARED: &str = "declared: ";

fn open_incident(state: &mut State, trigger: String) {
    let level = state.runbook.escalation_level(TimeDelta::zero());
    emit(state, Event::IncidentOpened { trigger, level });
    // No bell of its own: the critical alert rang, or the operator declared it.
    if let Some(l) = level {
        state.notify(format!("Incident: escalation level {l}, contacts on C"));
    }
}

/// An incident a critical alert started ends when no critical alert fires any more; one
/// the operator declared ends when they stand it down.
fn end_incident_if_quiet(state: &mut State) {
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

/// Crossing into the next escalation level, by the incident's age: journaled, the bell
/// once, a notice naming the level.
fn escalate(state: &mut State, fx: &mut Vec<Effect>) {
    let Some(incident) = &state.incident else {
        return;
    };
    let Some(now) = state.runbook.escalation_level(state.now - incident.since) else {
        return;
    };
    if incident.level.is_some_and(|l| l >= now) {
        return;
    }
    emit(state, Event::EscalationReached { level: now });
    state.notify(format!("Escalation: level {now} now, contacts on C"));
    if state.runbook.bell {
        fx.push(Effect::Bell);
    }
}

fn on_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    if state.help.is_some() {
        observe::help_key(state, &key);
        return;
    }
    if state.modal.is_some() {
        on_modal_key(state, key, fx);
        return;
    }
    let Some(cmd) = keys::lookup(&key, state.focus) else {
        return;
    };
    if let Some(why) = &state.read_only
        && cmd.acts()
    {
        state.notify(format!("read-only: {why}"));
        return;
    }
    if observe::navigate(state, cmd) {
        return;
    }
    if let Some((_, outcome)) = state.closed
        && cmd.acts()
    {
        state.notify(format!(
            "The run is closed ({}): nothing more acts on it",
            outcome.word()
        ));
        return;
    }
    match cmd {
        // Moving, scrolling, help and contacts: `observe::navigate`.
        Key::Up
        | Key::Down
        | Key::NextPane
        | Key::PrevPane
        | Key::Help
        | Key::Contacts
        | Key::Warnings
        | Key::PageUp
        | Key::PageDown => {}
        Key::Quit => {
            if state.any_running() {
                state.modal = Some(Modal::Quit);
            } else {
                quit(state, fx);
            }
        }
        Key::RunStep => request_step(state, state.selected, fx),
        Key::Gate => request_gate(state),
        Key::CancelRun => {
            let target = if state.rollback.status.is_active() {
                Target::Rollback
            } else {
                Target::Step(state.selected)
            };
            if state.run(target).is_some_and(|r| r.status.is_active()) {
                state.modal = Some(Modal::Cancel { target });
            } else {
                state.notify("Nothing is running there to cancel");
            }
        }
        Key::TickCheck => {
            let i = state.selected_check;
            let check = state.runbook.checks().nth(i).map(|(_, c)| c.id.clone());
            if let (Some(check), Some(slot)) = (check, state.checks.get(i)) {
                let ticked = slot.is_none();
                emit(state, Event::CheckTicked { check, ticked });
            }
        }
        Key::Ack => {
            let target = if state.focus == Pane::Alerts {
                state
                    .alerts_newest_first()
                    .nth(state.selected_alert)
                    .map(|(i, _)| i)
            } else {
                state
                    .alerts_newest_first()
                    .find(|(_, a)| a.acked.is_none())
                    .map(|(i, _)| i)
            };
            match target {
                Some(i) if state.alerts[i].acked.is_none() => {
                    state.modal = Some(Modal::Ack {
                        alert: i,
                        input: Input::default(),
                    });
                }
                Some(_) => state.notify("That alert is already acknowledged"),
                None => state.notify("No alert to acknowledge"),
            }
        }
        Key::Rollback => request_rollback(state, fx),
        Key::CloseRun => {
            state.modal = Some(Modal::Close {
                selected: 0,
                note: None,
            });
        }
        Key::StatusUpdate => {
            if state.sending_update.is_some() {
                state.notify("A status update is on its way; wait for its answer");
                return;
            }
            // A draft first, then a planned communication that is due, then the cadence's.
            let draft = state.draft_update.take().or_else(|| {
                state.communication_waiting().map(|i| {
                    let template = state.runbook.communications[i].text.clone();
                    (status_text(state, &template), Some(i))
                })
            });
            let draft = draft.or_else(|| {
                let u = state.runbook.status_updates.clone()?;
                Some((status_text(state, cadence_template(&u)), None))
            });
            match draft {
                Some((text, communication)) => {
                    state.modal = Some(Modal::StatusUpdate {
                        input: Input::new(text),
                        communication,
                    });
                }
                None => {
                    state.notify("The runbook has no [status-updates] and no communication is due")
                }
            }
        }
        Key::Incident => match &state.incident {
            None => {
                state.modal = Some(Modal::DeclareIncident {
                    input: Input::default(),
                });
            }
            Some(i) if i.trigger.starts_with(DECLARED) => state.modal = Some(Modal::StandDown),
            Some(_) => state
                .notify("The incident ends when its critical alerts resolve (it was not declared)"),
        },
        Key::Retry => {
            let i = state.selected;
            let failed = matches!(
                state.steps[i].status,
                RunStatus::Failed { .. } | RunStatus::Lost { .. }
            ) || matches!(state.steps[i].verify, Some(Verification::Failed(..)));
            if failed {
                state.modal = Some(Modal::Reason {
                    step: i,
                    retry: true,
                    input: Input::default(),
                });
            } else {
                state.notify("Only a failed step can be retried");
            }
        }
        Key::Skip => {
            let i = state.selected;
            if state.steps[i].status.is_active() {
                state.notify("A running step cannot be skipped: cancel it first (x)");
            } else if state.step_done(i) {
                state.notify("That step is already done");
            } else {
                state.modal = Some(Modal::Reason {
                    step: i,
                    retry: false,
                    input: Input::default(),
                });
            }
        }
        Key::SetT0 => state.modal = Some(Modal::SetT0),
        Key::Silence => {
            let silence = state
                .runbook
                .alertmanager
                .as_ref()
                .and_then(|a| a.silence.as_ref());
            match (silence, state.am.as_ref().map(|a| &a.silence)) {
                (None, _) => state.notify("The runbook defines no [alertmanager.silence]"),
                (Some(_), Some(SilenceState::Active { .. } | SilenceState::Creating { .. })) => {
                    state.notify("The maintenance silence is already in place");
                }
                (Some(_), _) => state.modal = Some(Modal::Silence),
            }
        }
        Key::CancelAutoRollback => match state.auto_rollback {
            Some((rule, _)) => {
                let id = state.runbook.rules[rule].id.clone();
                emit(state, Event::AutoRollbackCancelled { rule: id.clone() });
                state.notify(format!(
                    "Automatic rollback for {id} cancelled by the operator"
                ));
            }
            None => state.notify("No automatic rollback is counting down"),
        },
        Key::Baseline => {
            let rb = state.runbook.clone();
            // The KPIs rules compare with a baseline; all of them when no rule does.
            let mut ids: Vec<String> = distinct(
                rb.rules
                    .iter()
                    .flat_map(|r| r.expr.baselines())
                    .map(str::to_owned),
            );
            if ids.is_empty() {
                ids = rb.kpis.iter().map(|k| k.id.clone()).collect();
            }
            let values = baseline_values(state, &ids);
            if values.is_empty() {
                state.notify("No baseline captured: no KPI has a current value");
            } else {
                let captured: Vec<&str> = values.keys().map(String::as_str).collect();
                state.notify(format!("Baseline captured: {}", captured.join(", ")));
                emit(state, Event::BaselineCaptured { values });
            }
        }
    }
}

/// Leaving: the run's maintenance silence ends with it.
fn quit(state: &mut State, fx: &mut Vec<Effect>) {
    if let Some(SilenceState::Active { id, .. }) = state.am.as_ref().map(|a| &a.silence) {
        fx.push(Effect::ExpireSilence { id: id.clone() });
    }
    state.quit = true;
    fx.push(Effect::Quit);
}

fn request_step(state: &mut State, i: usize, fx: &mut Vec<Effect>) {
    let Some((_, step)) = state.step(i) else {
        return;
    };
    let (id, has_command) = (step.id.clone(), step.command.is_some());
    if state.watch_state(i).is_some() {
        state.notify(format!("Step {id} is a continuous watch: nothing to run"));
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
fn confirm_step(
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

/// What the rollback modal says it is for: the rule that proposes it, its values, tier and
/// who decides.
fn rollback_why(state: &State) -> Option<String> {
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
fn request_rollback(state: &mut State, fx: &mut Vec<Effect>) {
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

fn request_gate(state: &mut State) {
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

/// Marks the run as starting (so a second keypress cannot start it again), with the
/// guards that stood, and asks the executor to start it.
fn start(
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

/// How long a rollback preview may run when `[rollback] timeout` does not say.
const PREVIEW_TIMEOUT: TimeDelta = TimeDelta::seconds(60);

fn on_modal_key(state: &mut State, key: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(modal) = state.modal.take() else {
        return;
    };
    let esc = key.code == KeyCode::Esc;
    state.modal = match modal {
        Modal::Handover { to } => match answer(&key) {
            Answer::Yes => {
                let from = state.operator.clone();
                state.notify(format!("Handing over to {to}"));
                emit(state, Event::Handover { from, to });
                fx.push(Effect::AnswerHandover { agreed: true });
                state.quit = true;
                fx.push(Effect::Quit);
                None
            }
            Answer::No => {
                fx.push(Effect::AnswerHandover { agreed: false });
                state.notify(format!("Handover to {to} refused"));
                None
            }
            Answer::Neither => Some(Modal::Handover { to }),
        },
        Modal::Close {
            selected,
            note: Some(mut input),
        } => match key.code {
            KeyCode::Esc => Some(Modal::Close {
                selected,
                note: None,
            }),
            KeyCode::Enter => {
                if let Some(so) = state.runbook.sign_off.get(selected) {
                    let role = so.role.clone();
                    let note = input.value().trim().to_owned();
                    emit(
                        state,
                        Event::SignedOff {
                            role: role.clone(),
                            note,
                        },
                    );
                    state.notify(format!("{role} signed the run off"));
                }
                Some(Modal::Close {
                    selected,
                    note: None,
                })
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Close {
                    selected,
                    note: Some(input),
                })
            }
        },
        Modal::Close {
            selected,
            note: None,
        } => {
            let roles = state.runbook.sign_off.len();
            match key.code {
                KeyCode::Esc => None,
                KeyCode::Up | KeyCode::Char('k') => Some(Modal::Close {
                    selected: selected.saturating_sub(1),
                    note: None,
                }),
                KeyCode::Down | KeyCode::Char('j') => Some(Modal::Close {
                    selected: (selected + 1).min(roles.saturating_sub(1)),
                    note: None,
                }),
                KeyCode::Enter if selected < roles && state.sign_offs[selected].is_none() => {
                    Some(Modal::Close {
                        selected,
                        note: Some(Input::default()),
                    })
                }
                KeyCode::Char(c @ ('S' | 'R' | 'A')) => {
                    let outcome = match c {
                        'S' => Outcome::Success,
                        'R' => Outcome::RolledBack,
                        _ => Outcome::Aborted,
                    };
                    let unsigned = state.sign_offs.iter().filter(|s| s.is_none()).count();
                    if outcome == Outcome::Success && unsigned > 0 {
                        state.notify(format!(
                            "A success is closed with every sign-off: {unsigned} missing"
                        ));
                        Some(Modal::Close {
                            selected,
                            note: None,
                        })
                    } else {
                        Some(Modal::ConfirmClose(outcome))
                    }
                }
                _ => Some(Modal::Close {
                    selected,
                    note: None,
                }),
            }
        }
        Modal::StatusUpdate {
            mut input,
            communication,
        } => match key.code {
            // Closing keeps what was written: `U` opens it again.
            KeyCode::Esc => {
                state.draft_update = Some((input.value().to_owned(), communication));
                None
            }
            KeyCode::Enter => {
                let text = input.value().trim().to_owned();
                if text.is_empty() {
                    state.notify("An empty status update is not sent");
                    return;
                }
                send_status_update(state, text, communication, fx);
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::StatusUpdate {
                    input,
                    communication,
                })
            }
        },
        Modal::DeclareIncident { mut input } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                let reason = input.value().trim().to_owned();
                open_incident(state, format!("{DECLARED}{reason}"));
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::DeclareIncident { input })
            }
        },
        modal @ (Modal::Confirm { .. }
        | Modal::MarkDone { .. }
        | Modal::Cancel { .. }
        | Modal::SetT0
        | Modal::Silence
        | Modal::StandDown
        | Modal::ConfirmClose(_)
        | Modal::Quit) => match answer(&key) {
            Answer::Yes => {
                confirmed(state, modal, fx);
                // What it did may ask the next question (an override, a paused rollback).
                state.modal.take()
            }
            Answer::No => None,
            // Anything else, Enter included, does nothing: the answer must be explicit.
            Answer::Neither => Some(modal),
        },
        Modal::Phrase {
            target,
            phrase,
            mut input,
            mut wrong,
            reason,
            overridden,
        } => {
            // The rollback's phrase waits for its preview to finish.
            let previewing = target == Target::Rollback && state.preview.status.is_active();
            if esc {
                if previewing {
                    stop_preview(state, fx);
                }
                None
            } else if !previewing && key.code == KeyCode::Enter && input.value() == phrase {
                confirmed_start(state, target, reason, overridden, fx);
                state.modal.take()
            } else {
                if previewing {
                    // Nothing typed counts until the preview is done.
                } else if key.code == KeyCode::Enter {
                    input = Input::default();
                    wrong = true;
                } else {
                    input.handle_event(&crossterm::event::Event::Key(key));
                }
                Some(Modal::Phrase {
                    target,
                    phrase,
                    input,
                    wrong,
                    reason,
                    overridden,
                })
            }
        }
        Modal::Override {
            target,
            why,
            mut input,
            reason: None,
            wrong,
        } => match key.code {
            KeyCode::Esc => {
                if target == Target::Rollback {
                    stop_preview(state, fx);
                }
                None
            }
            KeyCode::Enter if input.value().trim() == override_word(state, target) => {
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(Input::default()),
                    wrong: false,
                })
            }
            KeyCode::Enter => Some(Modal::Override {
                target,
                why,
                input: Input::default(),
                reason: None,
                wrong: true,
            }),
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: None,
                    wrong,
                })
            }
        },
        Modal::Override {
            target,
            why,
            input,
            reason: Some(mut reason),
            wrong,
        } => match key.code {
            // Back to the id: nothing is recorded until the reason is given.
            KeyCode::Esc => Some(Modal::Override {
                target,
                why,
                input: Input::default(),
                reason: None,
                wrong: false,
            }),
            KeyCode::Enter if reason.value().trim().is_empty() => {
                state.notify("An override needs its reason: it goes into the record");
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(reason),
                    wrong,
                })
            }
            KeyCode::Enter => {
                let text = reason.value().trim().to_owned();
                overridden(state, target, why, text, fx);
                state.modal.take()
            }
            _ => {
                reason.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Override {
                    target,
                    why,
                    input,
                    reason: Some(reason),
                    wrong,
                })
            }
        },
        Modal::RollbackStep {
            step,
            mut input,
            wrong,
        } => {
            let confirm = state
                .runbook
                .rollback
                .as_ref()
                .and_then(|r| r.steps.get(step))
                .map(|st| st.confirm.clone());
            match (confirm, key.code) {
                (None, _) => None,
                (Some(_), KeyCode::Esc) | (Some(Confirm::YesNo), KeyCode::Char('n' | 'N')) => {
                    state.notify("The rollback stays paused: R continues it, x stops it");
                    None
                }
                (Some(Confirm::YesNo), KeyCode::Char('y' | 'Y')) => {
                    continue_rollback(state, step, fx);
                    state.modal.take()
                }
                (Some(Confirm::Phrase(p)), KeyCode::Enter) if input.value() == p => {
                    continue_rollback(state, step, fx);
                    state.modal.take()
                }
                (Some(Confirm::Phrase(_)), KeyCode::Enter) => Some(Modal::RollbackStep {
                    step,
                    input: Input::default(),
                    wrong: true,
                }),
                (Some(Confirm::Phrase(_)), _) => {
                    input.handle_event(&crossterm::event::Event::Key(key));
                    Some(Modal::RollbackStep { step, input, wrong })
                }
                (Some(_), _) => Some(Modal::RollbackStep { step, input, wrong }),
            }
        }
        Modal::Reason {
            step,
            retry,
            mut input,
        } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                let reason = input.value().trim().to_owned();
                if reason.is_empty() {
                    state.notify("A reason is required: it goes into the record");
                    Some(Modal::Reason { step, retry, input })
                } else {
                    let id = state
                        .step(step)
                        .map(|(_, s)| s.id.clone())
                        .unwrap_or_default();
                    if retry {
                        emit(state, Event::StepRetried { step: id, reason });
                        // The retry still goes through the step's own confirmation.
                        request_step(state, step, fx);
                        state.modal.take()
                    } else {
                        state.notify(format!("Step {id} skipped: {reason}"));
                        emit(state, Event::StepSkipped { step: id, reason });
                        None
                    }
                }
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Reason { step, retry, input })
            }
        },
        Modal::Contacts | Modal::Warnings => None,
        Modal::Ack { alert, mut input } => match key.code {
            KeyCode::Esc => None,
            KeyCode::Enter => {
                if alert < state.alerts.len() {
                    let reason = input.value().trim().to_owned();
                    emit(state, Event::AlertAcked { alert, reason });
                }
                None
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Ack { alert, input })
            }
        },
        Modal::Gate {
            gate,
            approver,
            note: Some((decision, mut input)),
        } => match key.code {
            KeyCode::Esc => Some(Modal::Gate {
                gate,
                approver,
                note: None,
            }),
            // The deciding vote is recorded with its rationale.
            KeyCode::Enter
                if state.gates[gate].policy == crate::runbook::GatePolicy::FinalSay(approver)
                    && input.value().trim().is_empty() =>
            {
                state.notify("The final say is recorded with its rationale: write why");
                Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((decision, input)),
                })
            }
            KeyCode::Enter => {
                let text = input.value().trim().to_owned();
                record_vote(state, gate, approver, decision, text);
                // Decided (under `any` or a final say, before every vote is in): done.
                let g = &state.gates[gate];
                let decided = g.policy != crate::runbook::GatePolicy::Unanimous
                    && (g.is_go() || g.is_no_go());
                let next = g.votes.iter().position(Option::is_none);
                next.filter(|_| !decided).map(|a| Modal::Gate {
                    gate,
                    approver: a,
                    note: None,
                })
            }
            _ => {
                input.handle_event(&crossterm::event::Event::Key(key));
                Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((decision, input)),
                })
            }
        },
        Modal::Gate {
            gate,
            approver,
            note: None,
        } => {
            let n = state.gates.get(gate).map_or(0, |g| g.votes.len());
            let approver = match key.code {
                KeyCode::Up | KeyCode::Char('k') => approver.saturating_sub(1),
                KeyCode::Down | KeyCode::Char('j') => (approver + 1).min(n.saturating_sub(1)),
                _ => approver,
            };
            match key.code {
                KeyCode::Char('G' | 'g') => Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((Decision::Go, Input::default())),
                }),
                KeyCode::Char('N' | 'n') => Some(Modal::Gate {
                    gate,
                    approver,
                    note: Some((Decision::NoGo, Input::default())),
                }),
                KeyCode::Esc => None,
                _ => Some(Modal::Gate {
                    gate,
                    approver,
                    note: None,
                }),
            }
        }
    };
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
fn overridden(
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
fn confirmed_start(
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
fn ask_override(state: &mut State, target: Target, why: Option<String>, guard: &str) {
    state.notify(format!("Not run: {guard}"));
    state.modal = Some(Modal::Override {
        target,
        why,
        input: Input::default(),
        reason: None,
        wrong: false,
    });
}

/// The paused rollback step was confirmed: it runs.
fn continue_rollback(state: &mut State, step: usize, fx: &mut Vec<Effect>) {
    if state.rollback_awaiting == Some(step) && state.read_only.is_none() {
        launch_rollback_step(state, step, fx);
    }
}

/// The operator left the rollback modal: a preview still running is stopped (it only
/// reads, and nobody is there to read it).
fn stop_preview(state: &mut State, fx: &mut Vec<Effect>) {
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

/// What a key says to a y/N question. Only `y` is a yes; `n` and `Esc` are a no.
enum Answer {
    Yes,
    No,
    Neither,
}

fn answer(key: &KeyEvent) -> Answer {
    match key.code {
        KeyCode::Char('y' | 'Y') => Answer::Yes,
        KeyCode::Char('n' | 'N') | KeyCode::Esc => Answer::No,
        _ => Answer::Neither,
    }
}

/// A y/N modal was answered yes: do what it asked about.
fn confirmed(state: &mut State, modal: Modal, fx: &mut Vec<Effect>) {
    match modal {
        Modal::Confirm { target, overridden } => {
            confirmed_start(state, target, None, overridden, fx)
        }
        Modal::MarkDone { step } => done_by_hand(state, step),
        // A paused procedure has no process: it stops here, recorded as stopped.
        Modal::Cancel {
            target: Target::Rollback,
        } if state.rollback_awaiting.is_some() => {
            let step = state.rollback_awaiting.unwrap_or_default();
            let attempt = state.rollback.attempt;
            let id = state
                .runbook
                .rollback
                .as_ref()
                .and_then(|r| r.steps.get(step))
                .map_or_else(String::new, |s| s.id.clone());
            emit(
                state,
                Event::RunFinished {
                    target: super::event::RunRef::Rollback,
                    attempt,
                    exit: Exit::not_started(format!("stopped by the operator before step {id}")),
                },
            );
            state.notify(format!("Rollback stopped before step {id}"));
        }
        Modal::Cancel { target } => {
            if let Some(r) = state.run_ref(target) {
                emit(state, Event::CancelRequested { target: r });
            }
            fx.push(Effect::Cancel { target });
            state.notify(format!("{}: cancel requested", run_name(state, target)));
        }
        Modal::SetT0 => {
            emit(state, Event::T0Set { t0: state.now });
            state.notify(format!("T0 set to {}", state.now.format("%H:%M:%S UTC")));
        }
        Modal::Silence => {
            // Until the plan's projected end plus an hour: if warroom dies, it still ends.
            let until = state.projected_finish().unwrap_or(state.now) + TimeDelta::hours(1);
            emit(state, Event::SilenceRequested { until });
            fx.push(Effect::CreateSilence { until });
        }
        Modal::Quit => quit(state, fx),
        Modal::ConfirmClose(outcome) => {
            emit(state, Event::RunClosed { outcome });
            state.notify(format!("The run is closed: {}", outcome.word()));
        }
        Modal::StandDown => {
            emit(
                state,
                Event::IncidentClosed {
                    why: "stood down by the operator".into(),
                },
            );
            state.notify("Incident stood down");
        }
        // Modals with typed input answer through their own keys.
        Modal::DeclareIncident { .. }
        | Modal::Close { .. }
        | Modal::StatusUpdate { .. }
        | Modal::Phrase { .. }
        | Modal::Override { .. }
        | Modal::RollbackStep { .. }
        | Modal::Gate { .. }
        | Modal::Ack { .. }
        | Modal::Reason { .. }
        | Modal::Handover { .. }
        | Modal::Contacts
        | Modal::Warnings => {}
    }
}

fn done_by_hand(state: &mut State, i: usize) {
    if let Some((_, st)) = state.step(i) {
        let id = st.id.clone();
        state.notify(format!("Step {id} done by hand"));
        emit(state, Event::StepDoneByHand { step: id });
    }
}

fn record_vote(state: &mut State, gate: usize, approver: usize, decision: Decision, note: String) {
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
