//! The rollback as a procedure of its own steps: run one after another after the phrase,
//! each in its own record directory, stopped by the first that fails, and rebuilt from the
//! journal exactly (so a console killed mid-procedure resumes at the right step).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{key, start, typed};
use crossterm::event::KeyCode;
use warroom::app::event::{Event, Record};
use warroom::app::{Action, Effect, Exit, RunStatus, State, Target, update};
use warroom::runbook::load_str;

const RUNBOOK: &str = r#"
[runbook]
name = "procedure"
t0 = "2026-03-01T02:00:00Z"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "switch"
title = "Switch"
run = ["true"]

[rollback]
phrase = "BACK"
timeout = "1m"

[[rollback.step]]
id = "dry-run"
title = "Dry run of the switch back"
run = ["true"]

[[rollback.step]]
id = "switch"
title = "Switch traffic back"
shell = "echo switching"
timeout = "10s"

[[rollback.step]]
id = "verify"
title = "Verify blue"
run = ["true"]
"#;

fn state() -> State {
    let (rb, _) = load_str(Path::new("procedure.toml"), RUNBOOK).unwrap();
    State::new(Arc::new(rb), start())
}

/// The runs the effects start: record name and timeout.
fn started(fx: &[Effect]) -> Vec<(String, Option<chrono::TimeDelta>)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Run { name, timeout, .. } => Some((name.clone(), *timeout)),
            _ => None,
        })
        .collect()
}

fn finish(s: &mut State, code: i32) -> Vec<Effect> {
    update(
        s,
        Action::RunFinished {
            target: Target::Rollback,
            exit: Exit::with_code(code),
        },
    )
}

/// Everything `update` journaled so far, applied to a fresh state: the record's view.
fn replayed(s: &mut State, log: &mut Vec<Record>) -> State {
    log.append(&mut s.outbox);
    let mut fresh = state();
    fresh.replay(log.iter());
    fresh
}

#[test]
fn the_steps_run_in_order_each_in_its_own_record_and_the_journal_rebuilds_the_step() {
    let mut s = state();
    let mut log = Vec::new();
    key(&mut s, KeyCode::Char('R'));
    typed(&mut s, "BACK");
    let fx = key(&mut s, KeyCode::Enter);
    let one_minute = Some(chrono::TimeDelta::minutes(1));
    assert_eq!(started(&fx), vec![("rollback-dry-run".into(), one_minute)]);
    assert!(s.rollback.status.is_active());

    let fx = finish(&mut s, 0);
    // The procedure goes on by itself; the step's own timeout replaces the rollback's.
    assert_eq!(
        started(&fx),
        vec![(
            "rollback-switch".into(),
            Some(chrono::TimeDelta::seconds(10))
        )]
    );
    assert!(s.rollback.status.is_active(), "{:?}", s.rollback.status);
    assert_eq!(s.rollback_step, 1);
    assert!(s.outbox.iter().any(|r| r.event
        == Event::RollbackStepStarted {
            step: "switch".into()
        }));
    // A console that resumes from the record now finds the second step running, and
    // follows it in the second step's directory.
    let back = replayed(&mut s, &mut log);
    assert_eq!(back.recorded(), s.recorded());
    assert_eq!(
        warroom::app::run_file_name(&back, Target::Rollback),
        "rollback-switch"
    );

    let fx = finish(&mut s, 0);
    assert_eq!(started(&fx), vec![("rollback-verify".into(), one_minute)]);
    let fx = finish(&mut s, 0);
    assert!(started(&fx).is_empty());
    assert!(matches!(s.rollback.status, RunStatus::Succeeded { .. }));
    let back = replayed(&mut s, &mut log);
    assert_eq!(back.recorded(), s.recorded());
}

#[test]
fn a_failed_step_stops_the_procedure_and_says_which() {
    let mut s = state();
    key(&mut s, KeyCode::Char('R'));
    typed(&mut s, "BACK");
    key(&mut s, KeyCode::Enter);
    finish(&mut s, 0);
    let fx = finish(&mut s, 3);
    assert!(
        started(&fx).is_empty(),
        "verify must not run after a failed switch"
    );
    match &s.rollback.status {
        RunStatus::Failed { reason, .. } => {
            assert!(reason.starts_with("step 2/3 switch: "), "{reason}");
            assert!(reason.contains('3'), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // R again starts a new attempt from the first step.
    key(&mut s, KeyCode::Char('R'));
    typed(&mut s, "BACK");
    let fx = key(&mut s, KeyCode::Enter);
    assert_eq!(started(&fx)[0].0, "rollback-dry-run");
    assert_eq!(s.rollback_step, 0);
    assert_eq!(s.rollback.attempt, 2);
}

#[test]
fn one_command_and_steps_together_are_refused() {
    let text = RUNBOOK.replace("timeout = \"1m\"\n", "timeout = \"1m\"\nrun = [\"true\"]\n");
    let errs = load_str(Path::new("x.toml"), &text).unwrap_err();
    assert!(
        errs.iter().any(|d| d.to_string().contains("not both")),
        "{errs:?}"
    );
    let text = RUNBOOK.replace("id = \"verify\"", "id = \"dry-run\"");
    let errs = load_str(Path::new("x.toml"), &text).unwrap_err();
    assert!(
        errs.iter().any(|d| d
            .to_string()
            .contains("rollback step `dry-run` is defined twice")),
        "{errs:?}"
    );
}

#[test]
fn a_step_that_would_share_a_rollback_steps_record_directory_is_refused() {
    // Step `rollback-verify` and rollback step `verify` would both write steps/rollback-verify.1.
    let text = RUNBOOK.replace(
        "id = \"switch\"\ntitle = \"Switch\"",
        "id = \"rollback-verify\"\ntitle = \"Switch\"",
    );
    let errs = load_str(Path::new("x.toml"), &text).unwrap_err();
    assert!(
        errs.iter()
            .any(|d| d.to_string().contains("steps/rollback-verify.N")),
        "{errs:?}"
    );
}
