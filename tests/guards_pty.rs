//! Guards end to end: the real `warroom run` in a pseudo-terminal on a runbook made for it
//! (tests/fixtures/guards.toml), driven by keys, the screen read back and the journal
//! checked. A blocking step that failed holds the next until the override (id, reason); a
//! hold says its time left; an automatic step waits past a hard guard; the rollback shows its
//! preview before the phrase field takes input; a firing holding rule keeps a unanimous GO
//! gate closed.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

use common::screen::Screen;
use warroom::app::event::{Event, Record, RunRef};
use warroom::journal;

const ENTER: &str = "\r";

fn records(run_dir: &Path) -> Vec<Record> {
    let path = run_dir.join(journal::FILE);
    journal::read(&path).map(|(r, _)| r).unwrap_or_default()
}

fn fixture_text() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/guards.toml"),
    )
    .unwrap()
}

/// The runbook (and any files beside it) in a temporary directory, in the console.
fn launch(text: &str, files: &[(&str, &str)]) -> (Screen, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("guards.toml");
    std::fs::write(&rb, text).unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let run_dir = dir.path().join("run");
    let s = Screen::start(
        &[
            "run",
            rb.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        32,
        120,
        dir,
    );
    (s, run_dir)
}

#[test]
fn a_failed_blocking_step_holds_the_next_until_the_override_which_the_journal_keeps() {
    let (mut s, run_dir) = launch(&fixture_text(), &[]);
    s.wait_for("Verify the fleet", 10);
    // `verify` needs no confirmation: it runs, and fails.
    s.keys(ENTER);
    s.wait_for("FAILED", 10);
    s.keys("jj");
    s.keys(ENTER);
    let screen = s.wait_for("Blocked by the plan", 5);
    assert!(screen.contains("✖ blocked: verify FAILED at"), "{screen}");
    assert!(
        screen.contains("✖ gate go waits for its votes (GO 0/2)"),
        "{screen}"
    );
    assert!(
        screen.contains("Command: sh -c \"echo shifted 10\""),
        "{screen}"
    );
    assert!(screen.contains("Owner:   Deployment Lead"), "{screen}");
    // `y` is no answer here, nor Enter.
    s.keys("y");
    s.keys(ENTER);
    assert!(s.text().contains("That was not `shift-10`"), "{}", s.text());
    assert!(
        !records(&run_dir).iter().any(|r| matches!(
            &r.event,
            Event::RunStarted { target: RunRef::Step(id), .. } if id == "shift-10"
        )),
        "nothing ran"
    );
    s.keys_quickly("shift-10");
    s.keys(ENTER);
    s.wait_for("Why override it?", 5);
    // An empty reason is refused.
    s.keys(ENTER);
    s.wait_for("An override needs its reason", 5);
    s.keys_quickly("fleet checked by hand, ticket 42");
    s.keys(ENTER);
    s.wait_for("shifted 10", 10);
    let recs = records(&run_dir);
    let (guards, reason) = recs
        .iter()
        .find_map(|r| match &r.event {
            Event::GuardOverridden {
                target: RunRef::Step(id),
                guards,
                reason,
            } if id == "shift-10" => Some((guards.clone(), reason.clone())),
            _ => None,
        })
        .expect("the override is journaled");
    assert_eq!(reason, "fleet checked by hand, ticket 42");
    let words: Vec<&str> = guards.iter().map(|g| g.words.as_str()).collect();
    assert!(
        words.contains(&"gate go waits for its votes (GO 0/2)"),
        "{words:?}"
    );
    assert!(
        words
            .iter()
            .any(|w| w.starts_with("blocked: verify FAILED at")),
        "{words:?}"
    );
    // The row shows the override.
    assert!(s.text().contains("⚑"), "{}", s.text());
    s.keys("q");
}

#[test]
fn a_hold_says_its_time_left_and_a_holding_rule_keeps_a_go_gate_closed() {
    // Three critical tests failed: the rule fires and holds the gate.
    let (mut s, run_dir) = launch(&fixture_text(), &[("failed-tests", "3\n")]);
    s.wait_for("Verify the fleet", 10);
    s.keys("jj");
    s.keys("g");
    s.keys("G");
    s.keys(ENTER);
    s.keys("G");
    s.keys(ENTER);
    let screen = s.wait_for("HELD by critical-tests-failed", 10);
    assert!(
        screen.contains("GO 2/2") || screen.contains("2/2"),
        "{screen}"
    );
    s.keys(ENTER);
    let screen = s.wait_for("Blocked by the plan", 5);
    assert!(
        screen.contains("✖ gate go is HELD by critical-tests-failed (firing: failed_tests=3)"),
        "{screen}"
    );
    s.keys("\x1b");
    // The tests pass now: the rule resolves, the gate opens on its votes.
    std::fs::write(run_dir.parent().unwrap().join("failed-tests"), "0\n").unwrap();
    s.wait_until("the gate opens", 10, |t| !t.contains("HELD by"));
    s.keys(ENTER);
    s.wait_for("Run this step?", 5);
    s.keys("y");
    s.wait_for("shifted 10", 10);
    // The next step: its hold has just begun.
    s.keys("j");
    s.keys(ENTER);
    let screen = s.wait_for("Run this step?", 5);
    assert!(screen.contains("⚠ hold: 4"), "{screen}");
    assert!(screen.contains("s left of 45s after shift-10"), "{screen}");
    assert!(
        screen.contains("hold 0:4"),
        "the row counts it down: {screen}"
    );
    s.keys("n");
    s.keys("q");
}

#[test]
fn an_automatic_step_past_a_hard_guard_does_not_run_and_says_why() {
    let text = r#"
[runbook]
name = "auto"
t0 = "+0s"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "check"
at = "T+0"
title = "Check the fleet"
shell = "exit 1"
confirm = "none"

[[phase.step]]
id = "tick"
at = "T+4s"
title = "Automatic follow-up"
shell = "echo automatic ran"
automatic = true
"#;
    let (mut s, run_dir) = launch(text, &[]);
    s.wait_for("Check the fleet", 10);
    s.keys(ENTER);
    s.wait_for("FAILED", 10);
    s.wait_for("Automatic step tick waits: blocked: check FAILED", 15);
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        !records(&run_dir).iter().any(|r| matches!(
            &r.event,
            Event::RunStarted { target: RunRef::Step(id), .. } if id == "tick"
        )),
        "the automatic step did not run"
    );
    assert!(!s.text().contains("automatic ran"));
    s.keys("q");
}

#[test]
fn the_rollback_shows_its_preview_before_the_phrase_then_pauses_where_a_step_asks() {
    let (mut s, run_dir) = launch(&fixture_text(), &[]);
    s.wait_for("Verify the fleet", 10);
    s.keys("R");
    s.wait_for("Preview:", 5);
    // Typed while the preview runs: not taken.
    s.keys_quickly("ROLLBACK");
    s.wait_for("DRY RUN: 2 changes", 10);
    let screen = s.wait_for("done, exit 0", 10);
    assert!(screen.contains("would move green 25% -> 0%"), "{screen}");
    s.wait_for("Type ROLLBACK and press Enter", 5);
    s.keys(ENTER);
    s.wait_for("That was not the phrase: nothing was run.", 5);
    assert!(!records(&run_dir).iter().any(|r| matches!(
        &r.event,
        Event::RunStarted {
            target: RunRef::Rollback,
            ..
        }
    )));
    s.keys_quickly("ROLLBACK");
    s.keys(ENTER);
    // `switch` runs, then the procedure pauses before `archive`, which asks.
    let screen = s.wait_for("ROLLBACK paused", 10);
    assert!(screen.contains("Type ARCHIVE"), "{screen}");
    s.keys_quickly("ARCHIVE");
    s.keys(ENTER);
    s.wait_for("ROLLED BACK", 10);
    let recs = records(&run_dir);
    let kinds: Vec<String> = recs
        .iter()
        .filter_map(|r| match &r.event {
            Event::RunStarted { target, .. } => Some(format!("start {target:?}")),
            Event::RollbackStepAwaiting { step } => Some(format!("awaiting {step}")),
            Event::RollbackStepStarted { step } => Some(format!("step {step}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "start RollbackPreview",
            "start Rollback",
            "awaiting archive",
            "step archive"
        ]
    );
    // The preview's output is kept in the run directory.
    let out = std::fs::read_to_string(run_dir.join("steps/rollback.preview.1/output.log")).unwrap();
    assert!(out.contains("DRY RUN: 2 changes"), "{out}");
    s.keys("q");
}
