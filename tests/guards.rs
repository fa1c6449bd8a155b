//! Guards (issue 21): the one function that says what stands against an action, each guard
//! alone and combined, and the keyboard that enforces them: a hard guard refuses until the
//! step's id and a reason are typed (recorded), a soft one is shown and confirmed, the
//! automatic runners wait, the rollback shows its preview before the phrase, and a
//! procedure step that asks first pauses. All of it replays to the same state.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::TimeDelta;
use common::{key, start, typed};
use crossterm::event::KeyCode;
use warroom::app::event::{Event, Exit};
use warroom::app::guard::{self, Act, Kind};
use warroom::app::{Action, Effect, Modal, Observation, State, Target, update};
use warroom::runbook::{Runbook, load, load_str};

fn fixture() -> Arc<Runbook> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml");
    Arc::new(load(&path).unwrap().0)
}

fn state() -> State {
    State::new(fixture(), start())
}

fn with(rb: &str) -> State {
    State::new(
        Arc::new(load_str(Path::new("g.toml"), rb).unwrap().0),
        start(),
    )
}

/// The clock at `secs` after the start (T0 is a minute after it in the fixture).
fn at(s: &mut State, secs: i64) -> Vec<Effect> {
    update(s, Action::Tick(start() + TimeDelta::seconds(secs)))
}

fn idx(s: &State, id: &str) -> usize {
    s.runbook.step_index(id).unwrap()
}

fn kinds(s: &State, act: Act) -> Vec<Kind> {
    guard::guards(s, act).iter().map(|g| g.kind).collect()
}

fn words(s: &State, act: Act) -> Vec<String> {
    guard::guards(s, act).into_iter().map(|g| g.words).collect()
}

fn runs(fx: &[Effect]) -> Vec<Target> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Run { target, .. } => Some(*target),
            _ => None,
        })
        .collect()
}

fn finish(s: &mut State, t: Target, code: i32) -> Vec<Effect> {
    update(
        s,
        Action::RunFinished {
            target: t,
            exit: Exit::with_code(code),
        },
    )
}

/// Runs a step by its keys: Enter, and `y` where it asks.
fn run_step(s: &mut State, id: &str) -> Vec<Effect> {
    s.selected = idx(s, id);
    let mut fx = key(s, KeyCode::Enter);
    if matches!(s.modal, Some(Modal::Confirm { .. })) {
        fx.extend(key(s, KeyCode::Char('y')));
    }
    fx
}

fn vote_go(s: &mut State) {
    s.selected = idx(s, "shift-10");
    key(s, KeyCode::Char('g'));
    for _ in 0..2 {
        key(s, KeyCode::Char('G'));
        key(s, KeyCode::Enter);
    }
    assert!(s.gates[0].is_go());
}

fn failed_tests(s: &mut State, v: f64) {
    update(
        s,
        Action::Observed(Observation::KpiSample {
            kpi: 0,
            result: Ok(v.into()),
        }),
    );
}

fn records(s: &mut State) -> Vec<Event> {
    s.outbox.iter().map(|r| r.event.clone()).collect()
}

#[test]
fn a_gate_not_go_is_a_hard_guard_on_its_step_and_every_later_one() {
    let s = state();
    for id in ["shift-10", "shift-25", "later"] {
        let g = guard::guards(&s, Act::Step(idx(&s, id)));
        assert_eq!(g[0].kind, Kind::Gate, "{id}: {g:?}");
        assert!(g[0].is_hard());
        assert_eq!(g[0].words, "gate go waits for its votes (GO 0/2)");
        assert_eq!(g[0].badge, "gated");
    }
    // Steps before the gate are not held by it.
    assert!(!kinds(&s, Act::Step(idx(&s, "verify"))).contains(&Kind::Gate));
}

#[test]
fn a_blocking_step_that_failed_was_cancelled_or_is_lost_blocks_every_later_step() {
    let mut s = state();
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    let w = words(&s, Act::Step(idx(&s, "note")));
    assert_eq!(w, vec!["blocked: verify FAILED at 01:59 (exit status 1)"]);
    vote_go(&mut s);
    let g = guard::guards(&s, Act::Step(idx(&s, "shift-25")));
    assert_eq!(g[0].kind, Kind::Blocked);
    assert_eq!(g[0].badge, "blocked");
    assert!(g[0].is_hard());

    // Cancelled: the same guard, in its own word.
    let mut s = state();
    run_step(&mut s, "verify");
    update(
        &mut s,
        Action::RunFinished {
            target: Target::Step(0),
            exit: Exit {
                code: None,
                signal: Some(15),
                reason: Some("cancelled".into()),
                seconds: 1.0,
            },
        },
    );
    assert_eq!(
        words(&s, Act::Step(1)),
        vec!["blocked: verify CANCELLED at 01:59 (cancelled)"]
    );

    // LOST: the outcome is unknown, never a success.
    let mut s = state();
    run_step(&mut s, "verify");
    update(
        &mut s,
        Action::RunLost {
            target: Target::Step(0),
        },
    );
    assert_eq!(
        words(&s, Act::Step(1)),
        vec!["blocked: verify LOST at 01:59 (outcome unknown)"]
    );
}

#[test]
fn a_failed_step_skipped_with_a_reason_or_retried_blocks_no_more() {
    let mut s = state();
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    assert!(kinds(&s, Act::Step(1)).contains(&Kind::Blocked));
    s.selected = 0;
    key(&mut s, KeyCode::Char('s'));
    typed(&mut s, "fleet checked by hand");
    key(&mut s, KeyCode::Enter);
    assert!(!kinds(&s, Act::Step(1)).contains(&Kind::Blocked));

    let mut s = state();
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    s.selected = 0;
    key(&mut s, KeyCode::Char('r'));
    typed(&mut s, "flaky network");
    key(&mut s, KeyCode::Enter);
    assert!(!kinds(&s, Act::Step(1)).contains(&Kind::Blocked));
}

#[test]
fn an_informational_step_that_fails_blocks_nothing() {
    let mut s = state();
    run_step(&mut s, "note");
    finish(&mut s, Target::Step(1), 3);
    vote_go(&mut s);
    assert_eq!(
        kinds(&s, Act::Step(idx(&s, "shift-10"))),
        Vec::<Kind>::new()
    );
}

#[test]
fn a_firing_holding_rule_keeps_a_unanimous_go_gate_closed_and_votes_still_count() {
    let mut s = state();
    failed_tests(&mut s, 3.0);
    at(&mut s, 1);
    assert!(s.rules[0].is_firing());
    vote_go(&mut s);
    assert!(s.gates[0].is_go(), "the votes are recorded");
    assert!(!s.gate_open(0));
    let g = guard::guards(&s, Act::Step(idx(&s, "shift-10")));
    assert_eq!(g.len(), 1, "{g:?}");
    assert_eq!(g[0].kind, Kind::Held);
    assert_eq!(
        g[0].words,
        "gate go is HELD by critical-tests-failed (firing: failed_tests=3), whatever the votes"
    );
    // Enter refuses: the override modal, nothing runs.
    s.selected = idx(&s, "shift-10");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(runs(&fx).is_empty());
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
    key(&mut s, KeyCode::Esc);
    // The rule resolves: the gate opens on the votes it has.
    failed_tests(&mut s, 0.0);
    at(&mut s, 2);
    assert!(s.gate_open(0));
    assert!(guard::guards(&s, Act::Step(idx(&s, "shift-10"))).is_empty());
}

#[test]
fn a_rule_that_holds_while_pending_holds_before_it_fires() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml"),
    )
    .unwrap()
    .replace(
        "expr = \"failed_tests > 2\"\n",
        "expr = \"failed_tests > 2\"\nfor = \"1m\"\nhold-while-pending = true\n",
    );
    let mut s = with(&text);
    failed_tests(&mut s, 3.0);
    at(&mut s, 1);
    assert!(!s.rules[0].is_firing());
    vote_go(&mut s);
    assert_eq!(s.gate_held_by(0), Some(warroom::app::Hold::Rule(0)));
    assert!(words(&s, Act::Step(idx(&s, "shift-10")))[0].contains("(pending: failed_tests=3)"));
    // Without `hold-while-pending`, a pending rule holds nothing.
    let text = text.replace("hold-while-pending = true\n", "");
    let mut s = with(&text);
    failed_tests(&mut s, 3.0);
    at(&mut s, 1);
    vote_go(&mut s);
    assert_eq!(s.gate_held_by(0), None);
}

#[test]
fn a_hold_counts_from_the_previous_step_finishing_and_says_how_long_is_left() {
    let mut s = state();
    vote_go(&mut s);
    at(&mut s, 60);
    run_step(&mut s, "shift-10");
    let i = idx(&s, "shift-25");
    assert_eq!(
        words(&s, Act::Step(i)),
        vec!["hold: 45s after shift-10 finishes (it is running)"]
    );
    at(&mut s, 62);
    let shift = idx(&s, "shift-10");
    finish(&mut s, Target::Step(shift), 0);
    at(&mut s, 69);
    let g = guard::guards(&s, Act::Step(i));
    assert_eq!(g[0].words, "hold: 38s left of 45s after shift-10");
    assert_eq!(g[0].badge, "hold 0:38");
    assert!(!g[0].is_hard());
    assert_eq!(
        guard::row_guard(&s, i).map(|g| g.badge),
        Some("hold 0:38".into())
    );
    at(&mut s, 62 + 45);
    assert!(guard::guards(&s, Act::Step(i)).is_empty());
}

#[test]
fn a_step_started_more_than_early_warning_before_its_plan_is_told_so() {
    let mut s = state();
    vote_go(&mut s);
    // T+1h is 1h01m away: early. T+30s is within the five minutes.
    assert_eq!(
        words(&s, Act::Step(idx(&s, "later"))),
        vec!["early: 1h01m before its planned T+1h (03:00 UTC)"]
    );
    assert!(guard::guards(&s, Act::Step(idx(&s, "shift-25"))).is_empty());
    // Nor does a timeline row show it: every future step would.
    assert!(guard::row_guard(&s, idx(&s, "later")).is_none());
    // `early-warning = "0s"`: any early start is said.
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml"),
    )
    .unwrap()
    .replace("early-warning = \"5m\"", "early-warning = \"0s\"");
    let mut s = with(&text);
    vote_go(&mut s);
    assert_eq!(kinds(&s, Act::Step(idx(&s, "shift-25"))), vec![Kind::Early]);
}

#[test]
fn a_failed_verification_and_a_rule_proposing_the_rollback_are_soft() {
    let text = r#"
[runbook]
name = "soft"
[[kpi]]
id = "err"
command = ["echo", "1"]
[[rule]]
id = "bad"
expr = "err > 5"
action = "propose-rollback"
[[phase]]
id = "p"
title = "P"
[[phase.step]]
id = "deploy"
title = "Deploy"
run = ["true"]
verify = { run = ["./check.sh"] }
[[phase.step]]
id = "next"
title = "Next"
run = ["true"]
[rollback]
run = ["true"]
"#;
    let mut s = with(text);
    run_step(&mut s, "deploy");
    finish(&mut s, Target::Step(0), 0);
    update(
        &mut s,
        Action::VerifyDone {
            step: 0,
            result: Err("output lacks `all good`".into()),
        },
    );
    update(
        &mut s,
        Action::Observed(Observation::KpiSample {
            kpi: 0,
            result: Ok(9.0.into()),
        }),
    );
    let g = guard::guards(&s, Act::Step(1));
    assert_eq!(
        g.iter().map(|g| g.kind).collect::<Vec<_>>(),
        vec![Kind::VerifyFailed, Kind::RollbackProposed]
    );
    assert!(g.iter().all(|g| !g.is_hard()));
    assert!(
        g[0].words
            .starts_with("the verification of deploy failed at 01:59")
    );
    assert_eq!(
        g[1].words,
        "rule bad is firing and proposes the rollback (err=9)"
    );
    // Soft: Enter asks y/N with them; y runs it and records them with the start.
    s.selected = 1;
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Confirm { .. })));
    let fx = key(&mut s, KeyCode::Char('y'));
    assert_eq!(runs(&fx), vec![Target::Step(1)]);
    let started = records(&mut s)
        .into_iter()
        .rev()
        .find_map(|e| match e {
            Event::RunStarted { guards, .. } => Some(guards),
            _ => None,
        })
        .unwrap();
    assert_eq!(started.len(), 2);
    // The rollback itself has no guard from its own proposal.
    assert!(guard::guards(&s, Act::Rollback).is_empty());
}

#[test]
fn guards_combine_hard_first() {
    let mut s = state();
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    failed_tests(&mut s, 60.0);
    at(&mut s, 1);
    let g = guard::guards(&s, Act::Step(idx(&s, "later")));
    let k: Vec<Kind> = g.iter().map(|g| g.kind).collect();
    assert_eq!(
        k,
        vec![
            Kind::Gate,
            Kind::Held,
            Kind::Blocked,
            Kind::Early,
            Kind::RollbackProposed
        ],
        "{g:#?}"
    );
    // The automatic runner's view leaves out only what cannot apply to it (early).
    let k: Vec<Kind> = guard::guards(&s, Act::AutoStep(idx(&s, "later")))
        .iter()
        .map(|g| g.kind)
        .collect();
    assert_eq!(
        k,
        vec![
            Kind::Gate,
            Kind::Held,
            Kind::Blocked,
            Kind::RollbackProposed
        ]
    );
}

#[test]
fn the_rollback_past_its_window_or_a_point_of_no_return_is_hard() {
    let text = r#"
[runbook]
name = "rb"
[[phase]]
id = "p"
title = "P"
[[phase.step]]
id = "migrate"
title = "Irreversible migration"
run = ["true"]
confirm = "none"
point-of-no-return = true
[rollback]
run = ["true"]
until = "T+30m"
"#;
    let mut s = with(text);
    assert!(guard::guards(&s, Act::Rollback).is_empty());
    at(&mut s, 31 * 60);
    assert_eq!(
        words(&s, Act::Rollback),
        vec!["the rollback window closed at 02:29 UTC"]
    );
    run_step(&mut s, "migrate");
    let g = guard::guards(&s, Act::AutoRollback);
    assert_eq!(
        g.iter().map(|g| g.kind).collect::<Vec<_>>(),
        vec![Kind::NoReturn, Kind::WindowClosed]
    );
    assert!(g.iter().all(|g| g.is_hard()));
}

#[test]
fn a_hard_guard_is_passed_only_by_the_id_and_a_reason_both_recorded() {
    let mut s = state();
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    vote_go(&mut s);
    s.selected = idx(&s, "shift-10");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(runs(&fx).is_empty());
    assert!(matches!(
        s.modal,
        Some(Modal::Override { reason: None, .. })
    ));
    // `y`, the phrase, another id: nothing.
    for attempt in ["y", "ROLLBACK", "shift-25"] {
        typed(&mut s, attempt);
        let fx = key(&mut s, KeyCode::Enter);
        assert!(runs(&fx).is_empty(), "{attempt}");
        assert!(
            matches!(
                s.modal,
                Some(Modal::Override {
                    wrong: true,
                    reason: None,
                    ..
                })
            ),
            "{attempt}"
        );
    }
    typed(&mut s, "shift-10");
    key(&mut s, KeyCode::Enter);
    assert!(matches!(
        s.modal,
        Some(Modal::Override {
            reason: Some(_),
            ..
        })
    ));
    // An empty reason is refused, and says so.
    let fx = key(&mut s, KeyCode::Enter);
    assert!(runs(&fx).is_empty());
    assert!(matches!(
        s.modal,
        Some(Modal::Override {
            reason: Some(_),
            ..
        })
    ));
    assert!(s.notice.as_ref().unwrap().0.contains("needs its reason"));
    typed(&mut s, "   ");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
    typed(&mut s, "fleet verified by hand, see ticket 42");
    let fx = key(&mut s, KeyCode::Enter);
    // The typed id and reason were the explicit answer: it runs.
    assert_eq!(runs(&fx), vec![Target::Step(idx(&s, "shift-10"))]);
    assert!(s.modal.is_none());
    let events = records(&mut s);
    let (target, guards, reason) = events
        .iter()
        .find_map(|e| match e {
            Event::GuardOverridden {
                target,
                guards,
                reason,
            } => Some((target.clone(), guards.clone(), reason.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(target, warroom::app::RunRef::Step("shift-10".into()));
    assert_eq!(reason, "fleet verified by hand, see ticket 42");
    assert_eq!(
        guards[0].words,
        "blocked: verify FAILED at 01:59 (exit status 1)"
    );
    // The start records the guards that stood, after the override.
    assert!(events.iter().any(|e| matches!(
        e,
        Event::RunStarted { guards, .. } if guards.iter().any(|g| g.kind == Kind::Blocked)
    )));
    assert_eq!(s.steps[idx(&s, "shift-10")].overrides.len(), 1);
}

#[test]
fn a_phrase_step_past_a_hard_guard_asks_the_override_then_its_phrase() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml"),
    )
    .unwrap()
    .replace(
        "shell = \"echo shifted 25\"",
        "shell = \"echo shifted 25\"\nphrase = \"SHIFT\"",
    );
    let mut s = with(&text);
    vote_go(&mut s);
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    s.selected = idx(&s, "shift-25");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "shift-25");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "known flake");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(runs(&fx).is_empty());
    assert!(matches!(
        s.modal,
        Some(Modal::Phrase {
            overridden: true,
            ..
        })
    ));
    typed(&mut s, "SHIFT");
    assert_eq!(
        runs(&key(&mut s, KeyCode::Enter)),
        vec![Target::Step(idx(&s, "shift-25"))]
    );
}

#[test]
fn a_hard_guard_that_comes_while_the_question_is_open_asks_for_the_override() {
    let mut s = state();
    vote_go(&mut s);
    s.selected = idx(&s, "shift-10");
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Confirm { .. })));
    failed_tests(&mut s, 3.0);
    at(&mut s, 1);
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(runs(&fx).is_empty());
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .starts_with("Not run: gate go is HELD")
    );
}

#[test]
fn an_automatic_step_never_runs_past_a_hard_guard_and_says_why() {
    let text = r#"
[runbook]
name = "auto"
[[phase]]
id = "p"
title = "P"
[[phase.step]]
id = "check"
at = "T+0"
title = "Check"
run = ["false"]
confirm = "none"
[[phase.step]]
id = "tick"
at = "T+10s"
title = "Automatic"
run = ["true"]
automatic = true
"#;
    let mut s = with(text);
    run_step(&mut s, "check");
    finish(&mut s, Target::Step(0), 1);
    assert!(runs(&at(&mut s, 10)).is_empty());
    // The step's failure is said first; the wait once the line is free.
    assert!(runs(&at(&mut s, 11)).is_empty());
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("Automatic step tick waits: blocked: check FAILED"),
        "{:?}",
        s.notice
    );
    for t in 11..200 {
        assert!(runs(&at(&mut s, t)).is_empty(), "at {t}");
    }
    assert_eq!(s.steps[1].status, warroom::app::RunStatus::Waiting);
    // Without the failure it runs at its time.
    let mut s = with(text);
    run_step(&mut s, "check");
    finish(&mut s, Target::Step(0), 0);
    assert!(runs(&at(&mut s, 9)).is_empty());
    assert_eq!(runs(&at(&mut s, 10)), vec![Target::Step(1)]);
}

#[test]
fn an_automatic_step_after_a_hold_starts_when_the_hold_ends() {
    let text = r#"
[runbook]
name = "auto"
[[phase]]
id = "p"
title = "P"
[[phase.step]]
id = "shift"
at = "T+0"
hold = "2m"
title = "Shift"
run = ["true"]
confirm = "none"
[[phase.step]]
id = "tick"
at = "T+10s"
title = "Automatic"
run = ["true"]
automatic = true
"#;
    let mut s = with(text);
    run_step(&mut s, "shift");
    finish(&mut s, Target::Step(0), 0);
    for t in 1..120 {
        assert!(runs(&at(&mut s, t)).is_empty(), "at {t}");
    }
    assert_eq!(runs(&at(&mut s, 120)), vec![Target::Step(1)]);
}

#[test]
fn an_automatic_rollback_past_the_window_is_called_off_not_run() {
    let text = r#"
[runbook]
name = "auto-rb"
[[kpi]]
id = "err"
command = ["echo", "1"]
[[rule]]
id = "bad"
expr = "err > 5"
action = "auto-rollback"
grace = "10s"
[[phase]]
id = "p"
title = "P"
[[phase.step]]
id = "s"
title = "S"
run = ["true"]
[rollback]
run = ["true"]
until = "T+1m"
"#;
    let mut s = with(text);
    at(&mut s, 120);
    update(
        &mut s,
        Action::Observed(Observation::KpiSample {
            kpi: 0,
            result: Ok(9.0.into()),
        }),
    );
    assert!(s.auto_rollback.is_some());
    let fx = at(&mut s, 131);
    assert!(runs(&fx).is_empty());
    assert!(s.auto_rollback.is_none());
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .starts_with("Automatic rollback NOT run: the rollback window closed")
    );
}

#[test]
fn the_rollback_shows_its_preview_before_the_phrase_can_be_typed() {
    let mut s = state();
    let fx = key(&mut s, KeyCode::Char('R'));
    assert_eq!(runs(&fx), vec![Target::RollbackPreview]);
    assert!(matches!(s.modal, Some(Modal::Phrase { .. })));
    // While the preview runs the phrase field takes nothing.
    typed(&mut s, "ROLLBACK");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(runs(&fx).is_empty());
    match &s.modal {
        Some(Modal::Phrase { input, .. }) => assert_eq!(input.value(), ""),
        other => panic!("{other:?}"),
    }
    update(
        &mut s,
        Action::Observed(Observation::RunOutput {
            target: Target::RollbackPreview,
            bytes: b"would move green 25% -> 0%\n".to_vec(),
        }),
    );
    finish(&mut s, Target::RollbackPreview, 0);
    typed(&mut s, "ROLLBACK");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(runs(&fx), vec![Target::Rollback]);
    // The preview's start and end are in the record, before the rollback's.
    let order: Vec<String> = records(&mut s)
        .into_iter()
        .filter_map(|e| match e {
            Event::RunStarted { target, .. } => Some(format!("start {target:?}")),
            Event::RunFinished { target, .. } => Some(format!("end {target:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        vec![
            "start RollbackPreview",
            "end RollbackPreview",
            "start Rollback"
        ]
    );
}

#[test]
fn a_failed_preview_says_so_and_the_phrase_still_rolls_back() {
    let mut s = state();
    key(&mut s, KeyCode::Char('R'));
    finish(&mut s, Target::RollbackPreview, 2);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .0
            .contains("you may still type the phrase")
    );
    typed(&mut s, "ROLLBACK");
    assert_eq!(runs(&key(&mut s, KeyCode::Enter)), vec![Target::Rollback]);
}

#[test]
fn esc_during_the_preview_cancels_it_and_runs_nothing() {
    let mut s = state();
    key(&mut s, KeyCode::Char('R'));
    let fx = key(&mut s, KeyCode::Esc);
    assert!(fx.contains(&Effect::Cancel {
        target: Target::RollbackPreview
    }));
    assert!(runs(&fx).is_empty());
    assert!(s.modal.is_none());
}

#[test]
fn a_procedure_step_that_asks_first_pauses_the_rollback_until_confirmed() {
    let mut s = state();
    key(&mut s, KeyCode::Char('R'));
    finish(&mut s, Target::RollbackPreview, 0);
    typed(&mut s, "ROLLBACK");
    assert_eq!(runs(&key(&mut s, KeyCode::Enter)), vec![Target::Rollback]);
    // `switch` done: the procedure pauses before `archive`, which asks for ARCHIVE.
    let fx = finish(&mut s, Target::Rollback, 0);
    assert!(runs(&fx).is_empty());
    assert_eq!(s.rollback_awaiting, Some(1));
    assert!(s.rollback.status.is_active());
    assert!(matches!(s.modal, Some(Modal::RollbackStep { step: 1, .. })));
    // Esc keeps it paused; R asks again.
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    assert_eq!(s.rollback_awaiting, Some(1));
    key(&mut s, KeyCode::Char('R'));
    assert!(matches!(s.modal, Some(Modal::RollbackStep { .. })));
    typed(&mut s, "archive");
    assert!(runs(&key(&mut s, KeyCode::Enter)).is_empty());
    assert!(matches!(
        s.modal,
        Some(Modal::RollbackStep { wrong: true, .. })
    ));
    typed(&mut s, "ARCHIVE");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(runs(&fx), vec![Target::Rollback]);
    assert_eq!(s.rollback_awaiting, None);
    assert_eq!(s.rollback_step, 1);
    finish(&mut s, Target::Rollback, 0);
    assert!(matches!(
        s.rollback.status,
        warroom::app::RunStatus::Succeeded { .. }
    ));
}

#[test]
fn a_paused_rollback_can_be_stopped_and_a_restart_asks_again() {
    let mut s = state();
    key(&mut s, KeyCode::Char('R'));
    finish(&mut s, Target::RollbackPreview, 0);
    typed(&mut s, "ROLLBACK");
    key(&mut s, KeyCode::Enter);
    finish(&mut s, Target::Rollback, 0);
    key(&mut s, KeyCode::Esc);
    // A console started again on this record asks for the step, re-attaching nothing.
    let mut again = state();
    again.replay(&s.outbox);
    let fx = warroom::app::begin(
        &mut again,
        warroom::app::Begin {
            runbook_sha256: "x".into(),
            pid: 2,
            changed_from: None,
            took_over_from: None,
        },
    );
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::Reattach {
            target: Target::Rollback,
            ..
        }
    )));
    assert!(matches!(
        again.modal,
        Some(Modal::RollbackStep { step: 1, .. })
    ));
    // x stops it where it stands.
    key(&mut s, KeyCode::Char('x'));
    key(&mut s, KeyCode::Char('y'));
    match &s.rollback.status {
        warroom::app::RunStatus::Failed { reason, .. } => {
            assert!(
                reason.contains("stopped by the operator before step archive"),
                "{reason}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn overrides_previews_and_pauses_replay_to_the_same_state() {
    let mut s = state();
    s.operator = warroom::app::Operator {
        user: "op".into(),
        host: "bastion".into(),
        ssh: None,
    };
    run_step(&mut s, "verify");
    finish(&mut s, Target::Step(0), 1);
    vote_go(&mut s);
    s.selected = idx(&s, "shift-10");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "shift-10");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "by phone with the lead");
    key(&mut s, KeyCode::Enter);
    let shift = idx(&s, "shift-10");
    finish(&mut s, Target::Step(shift), 0);
    key(&mut s, KeyCode::Char('R'));
    finish(&mut s, Target::RollbackPreview, 0);
    typed(&mut s, "ROLLBACK");
    key(&mut s, KeyCode::Enter);
    finish(&mut s, Target::Rollback, 0);
    let records = s.take_records();
    let mut replayed = state();
    replayed.replay(&records);
    assert_eq!(replayed.recorded(), s.recorded());
    assert_eq!(replayed.steps[idx(&s, "shift-10")].overrides.len(), 1);
    assert_eq!(replayed.rollback_awaiting, Some(1));
    // The report states it: the summary counts the overridden guards, the table says why.
    let report = warroom::report::fold(fixture(), &records, &[], None);
    let summary = warroom::report::summary(&report);
    assert!(summary.contains("1 guard overridden"), "{summary}");
    assert_eq!(report.guards.len(), 1);
    assert_eq!(report.guards[0].target, "shift-10");
    assert_eq!(report.guards[0].how, "overridden");
    assert_eq!(report.guards[0].by, "op@bastion");
    assert_eq!(
        report.guards[0].guards,
        vec!["hard: blocked: verify FAILED at 01:59 (exit status 1)"]
    );
    assert_eq!(
        report.guards[0].reason.as_deref(),
        Some("by phone with the lead")
    );
    assert_eq!(
        report.rollback_preview.as_ref().map(|p| p.result.as_str()),
        Some("exit 0")
    );
    let md = warroom::report::markdown(&report);
    assert!(md.contains("## Guards passed"), "{md}");
    assert!(md.contains("| shift-10 | op@bastion | overridden | hard: blocked: verify FAILED at 01:59 (exit status 1) | by phone with the lead |"), "{md}");
    assert!(md.contains("Its preview ran at"), "{md}");
}

#[test]
fn a_gate_once_passed_is_not_held_again_until_its_step_is_retried() {
    let mut s = state();
    vote_go(&mut s);
    run_step(&mut s, "shift-10");
    let shift = idx(&s, "shift-10");
    finish(&mut s, Target::Step(shift), 1);
    failed_tests(&mut s, 3.0);
    at(&mut s, 1);
    assert!(s.rules[0].is_firing());
    assert_eq!(s.gate_held_by(0), None, "the gate was passed");
    // Retried, the step is before its gate again: held.
    s.selected = idx(&s, "shift-10");
    key(&mut s, KeyCode::Char('r'));
    typed(&mut s, "flaky");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.gate_held_by(0), Some(warroom::app::Hold::Rule(0)));
    assert!(matches!(s.modal, Some(Modal::Override { .. })));
}
