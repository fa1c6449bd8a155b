//! The operator's hands beyond the basics: verification, retry and skip with reasons,
//! T0, automatic steps, the automatic rollback countdown, baselines.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use chrono::TimeDelta;
use common::{key, start, typed};
use crossterm::event::KeyCode;
use warroom::app::{
    Action, Effect, Modal, Observation, Probe, RunStatus, State, Target, Verification, update,
};
use warroom::runbook::{Health, load_str};

const RUNBOOK: &str = r#"
[runbook]
name = "acting"

[[endpoint]]
id = "api"
url = "http://127.0.0.1:9/health"
interval = "2s"

[[kpi]]
id = "p95"
command = ["echo", "1"]
interval = "2s"

[[kpi]]
id = "errors"
command = ["echo", "1"]
interval = "2s"

[[rule]]
id = "slow"
expr = "p95 > 2 * baseline(p95)"
for = "4s"
severity = "critical"
action = "auto-rollback"
grace = "30s"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "deploy"
at = "T+0"
title = "Deploy"
run = ["true"]
capture-baseline = ["p95"]
verify = { endpoint = "api", rule = "errors < 5", for = "10s", timeout = "1m" }

[[phase.step]]
id = "check"
at = "T+1m"
title = "Check"
run = ["true"]
verify = { run = ["./check.sh"], expect-output = "all good", timeout = "30s" }

[[phase.step]]
id = "tick"
at = "T+2m"
title = "Automatic"
run = ["true"]
automatic = true

[[phase.step]]
id = "last"
at = "T+3m"
duration = "5m"
title = "Last"
run = ["true"]

[[phase.step]]
id = "migrate"
title = "Irreversible migration"
run = ["true"]
point-of-no-return = true
confirm = "none"

[rollback]
run = ["true"]
roll-forward = "Fix forward: deploy v1.5.1 with the hotfix"
"#;

fn state() -> State {
    let (rb, _) = load_str(Path::new("acting.toml"), RUNBOOK).unwrap();
    State::new(Arc::new(rb), start())
}

fn at(s: &mut State, secs: i64) -> Vec<Effect> {
    update(s, Action::Tick(start() + TimeDelta::seconds(secs)))
}

fn sample(s: &mut State, id: &str, v: f64) {
    let i = s.runbook.kpi_index(id).unwrap();
    update(
        s,
        Action::Observed(Observation::KpiSample {
            kpi: i,
            result: Ok(v.into()),
        }),
    );
}

fn up(s: &mut State, health: Health) {
    update(
        s,
        Action::Observed(Observation::EndpointProbe {
            endpoint: 0,
            probe: Probe {
                health,
                latency: None,
                reason: None,
            },
        }),
    );
}

/// Runs step `i` to a successful exit, as the executor would report it.
fn succeed(s: &mut State, i: usize) -> Vec<Effect> {
    let t = Target::Step(i);
    common::begin_run(s, t);
    update(
        s,
        Action::RunSpawned {
            target: t,
            log: "x".into(),
        },
    );
    update(
        s,
        Action::RunFinished {
            target: t,
            exit: warroom::app::Exit::with_code(0),
        },
    )
}

#[test]
fn verification_waits_for_the_endpoint_and_the_rule_to_hold() {
    let mut s = state();
    at(&mut s, 0);
    sample(&mut s, "p95", 100.0);
    sample(&mut s, "errors", 1.0);
    up(&mut s, Health::Down);
    succeed(&mut s, 0);
    assert_eq!(
        s.kpis[0].baseline,
        Some(100.0),
        "the step captured its baseline"
    );
    assert!(matches!(
        s.steps[0].verify,
        Some(Verification::Checking { .. })
    ));
    assert!(!s.step_done(0), "not done until verified");
    // Errors stay high until t=4, then the rule holds; the endpoint is UP from t=2.
    for t in [2, 4, 6, 8, 10, 12] {
        at(&mut s, t);
        sample(&mut s, "errors", if t < 4 { 7.0 } else { 1.0 });
        sample(&mut s, "p95", 100.0);
        up(&mut s, Health::Up);
    }
    assert!(
        matches!(s.steps[0].verify, Some(Verification::Checking { .. })),
        "held 8s of 10s"
    );
    at(&mut s, 14);
    sample(&mut s, "errors", 1.0);
    assert!(
        matches!(s.steps[0].verify, Some(Verification::Passed(_))),
        "{:?}",
        s.steps[0].verify
    );
    assert!(s.step_done(0));
}

#[test]
fn verification_times_out_with_what_was_missing() {
    let mut s = state();
    at(&mut s, 0);
    sample(&mut s, "errors", 1.0);
    succeed(&mut s, 0);
    at(&mut s, 61);
    match &s.steps[0].verify {
        Some(Verification::Failed(_, why)) => assert!(why.contains("api is not UP"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(!s.step_done(0));
}

#[test]
fn a_verify_command_is_an_effect_and_its_result_decides() {
    let mut s = state();
    let fx = succeed(&mut s, 1);
    assert!(fx.iter().any(|e| matches!(e, Effect::Verify { step: 1, argv, expect: Some(x), .. } if argv == &vec!["./check.sh".to_owned()] && x == "all good")));
    update(
        &mut s,
        Action::VerifyDone {
            step: 1,
            result: Err("output does not contain `all good`".into()),
        },
    );
    assert!(matches!(s.steps[1].verify, Some(Verification::Failed(..))));
    assert!(
        s.steps[1]
            .output
            .lines()
            .iter()
            .any(|l| l.contains("all good"))
    );
}

#[test]
fn retry_needs_a_reason_then_the_usual_confirmation() {
    let mut s = state();
    let t = Target::Step(1);
    common::begin_run(&mut s, t);
    update(
        &mut s,
        Action::RunSpawned {
            target: t,
            log: "x".into(),
        },
    );
    update(
        &mut s,
        Action::RunFinished {
            target: t,
            exit: warroom::app::Exit::with_code(1),
        },
    );
    s.selected = 1;
    key(&mut s, KeyCode::Char('r'));
    assert!(matches!(s.modal, Some(Modal::Reason { retry: true, .. })));
    // An empty reason is refused.
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Reason { .. })));
    typed(&mut s, "flaky network, checked by hand");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.is_empty(), "the reason alone runs nothing");
    assert!(
        matches!(s.modal, Some(Modal::Confirm { .. })),
        "{:?}",
        s.modal
    );
    let fx = key(&mut s, KeyCode::Char('y'));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Run {
            target: Target::Step(1),
            ..
        }
    )));
    assert_eq!(s.steps[1].reasons.len(), 1);
    assert!(s.steps[1].reasons[0].1.contains("retry: flaky network"));
}

#[test]
fn only_failed_steps_can_be_retried() {
    let mut s = state();
    s.selected = 1;
    key(&mut s, KeyCode::Char('r'));
    assert!(s.modal.is_none());
}

#[test]
fn skip_records_the_reason_and_counts_as_done() {
    let mut s = state();
    s.selected = 3;
    key(&mut s, KeyCode::Char('s'));
    typed(&mut s, "not needed tonight");
    key(&mut s, KeyCode::Enter);
    assert!(s.step_done(3));
    assert!(s.steps[3].skipped.is_some());
    assert_eq!(s.steps[3].reasons[0].1, "skip: not needed tonight");
    key(&mut s, KeyCode::Esc);
}

#[test]
fn automatic_steps_start_at_their_planned_time_but_not_long_after() {
    let mut s = state();
    assert!(at(&mut s, 119).is_empty());
    let fx = at(&mut s, 120);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Run {
                target: Target::Step(2),
                ..
            }
        )),
        "{fx:?}"
    );
    assert!(matches!(s.steps[2].status, RunStatus::Running { .. }));
    // A console started late does not fire off an old automatic step.
    let mut late = state();
    let fx = at(&mut late, 200);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run { .. })));
}

#[test]
fn set_t0_asks_then_moves_the_plan() {
    let mut s = state();
    at(&mut s, 30);
    key(&mut s, KeyCode::Char('T'));
    key(&mut s, KeyCode::Char('n'));
    assert_eq!(s.t0, start());
    key(&mut s, KeyCode::Char('T'));
    key(&mut s, KeyCode::Char('y'));
    assert_eq!(s.t0, start() + TimeDelta::seconds(30));
}

#[test]
fn projected_finish_slips_with_the_run() {
    let mut s = state();
    at(&mut s, 0);
    let planned = start() + TimeDelta::minutes(8);
    assert_eq!(s.projected_finish(), Some(planned));
    // The first step is five minutes overdue: everything after it slips as much.
    at(&mut s, 300);
    assert_eq!(s.projected_finish(), Some(planned + TimeDelta::minutes(5)));
}

/// A baseline captured at p95 = 100, then p95 at 300 until the rule fires at t = 6 and the
/// automatic rollback starts counting down.
fn counting_down() -> State {
    let mut s = state();
    at(&mut s, 0);
    sample(&mut s, "p95", 100.0);
    key(&mut s, KeyCode::Char('b'));
    breach(&mut s, 2, 6);
    assert!(s.auto_rollback.is_some());
    s
}

fn breach(s: &mut State, from: i64, to: i64) -> Vec<Effect> {
    let mut fx = Vec::new();
    for t in (from..=to).step_by(2) {
        fx.extend(at(s, t));
        sample(s, "p95", 300.0);
        sample(s, "errors", 1.0);
    }
    fx
}

#[test]
fn baseline_key_and_automatic_rollback_countdown() {
    let mut s = state();
    at(&mut s, 0);
    sample(&mut s, "p95", 100.0);
    key(&mut s, KeyCode::Char('b'));
    assert_eq!(s.kpis[0].baseline, Some(100.0));
    assert!(s.notice.as_ref().unwrap().0.contains("p95"));
    breach(&mut s, 2, 6);
    let (rule, deadline) = s.auto_rollback.expect("the rule fired: the countdown runs");
    assert_eq!(rule, 0);
    assert_eq!(deadline, start() + TimeDelta::seconds(36));
    let fx = breach(&mut s, 8, 34);
    assert!(!fx.iter().any(|e| matches!(
        e,
        Effect::Run {
            target: Target::Rollback,
            ..
        }
    )));
    let fx = breach(&mut s, 36, 36);
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Run {
                target: Target::Rollback,
                ..
            }
        )),
        "{fx:?}"
    );
    assert!(s.rollback_reason.as_ref().unwrap().contains("automatic"));
}

#[test]
fn the_operator_can_cancel_the_automatic_rollback() {
    let mut s = counting_down();
    key(&mut s, KeyCode::Char('c'));
    assert!(s.auto_rollback.is_none());
    let fx = breach(&mut s, 8, 60);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run { .. })));
}

#[test]
fn after_the_point_of_no_return_the_rollback_modal_warns() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut s = state();
    let draw = |s: &State| {
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| warroom::ui::render(f, s)).unwrap();
        format!("{}", t.backend())
    };
    key(&mut s, KeyCode::Char('R'));
    assert!(!draw(&s).contains("point of no return"));
    key(&mut s, KeyCode::Esc);
    s.selected = 4;
    key(&mut s, KeyCode::Enter);
    succeed(&mut s, 4);
    key(&mut s, KeyCode::Char('R'));
    let screen = draw(&s);
    assert!(
        screen.contains("step migrate was the point of no return"),
        "{screen}"
    );
    assert!(screen.contains("Fix forward: deploy v1.5.1"), "{screen}");
    // A hard guard: the phrase alone runs nothing; the override comes first.
    assert!(matches!(s.modal, Some(Modal::Override { .. })), "{screen}");
}

#[test]
fn the_automatic_rollback_is_called_off_when_its_rule_resolves() {
    let mut s = counting_down();
    // Back to normal before the 30 s grace ends.
    for t in (8..=60).step_by(2) {
        let fx = at(&mut s, t);
        assert!(
            !fx.iter().any(|e| matches!(e, Effect::Run { .. })),
            "at {t}: {fx:?}"
        );
        sample(&mut s, "p95", 100.0);
        sample(&mut s, "errors", 1.0);
    }
    assert!(s.auto_rollback.is_none());
}

/// `[rollback] until`: after the rollback window closes, the modal says so and shows the
/// roll-forward guidance; the rollback runs only after a typed override and the phrase.
#[test]
fn after_the_rollback_window_the_modal_says_it_closed() {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let text = RUNBOOK.replace("[rollback]\n", "[rollback]\nuntil = \"T+30m\"\n");
    let (rb, _) = load_str(Path::new("acting.toml"), &text).unwrap();
    let mut s = State::new(Arc::new(rb), start());
    let draw = |s: &State| {
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| warroom::ui::render(f, s)).unwrap();
        format!("{}", t.backend())
    };
    at(&mut s, 29 * 60);
    key(&mut s, KeyCode::Char('R'));
    assert!(!draw(&s).contains("window closed"));
    key(&mut s, KeyCode::Esc);
    at(&mut s, 31 * 60);
    key(&mut s, KeyCode::Char('R'));
    let screen = draw(&s);
    assert!(
        screen.contains("the rollback window closed at 02:29 UTC"),
        "{screen}"
    );
    assert!(screen.contains("Fix forward: deploy v1.5.1"), "{screen}");
    // The phrase typed where the override is asked runs nothing.
    typed(&mut s, "ROLLBACK");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Run { .. })));
    assert!(matches!(s.modal, Some(Modal::Override { wrong: true, .. })));
    typed(&mut s, "rollback");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "the change board extended the window");
    key(&mut s, KeyCode::Enter);
    typed(&mut s, "ROLLBACK");
    let fx = key(&mut s, KeyCode::Enter);
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Run {
            target: Target::Rollback,
            ..
        }
    )));
}
