//! The reference playbooks (config/*.toml from shared/seeds/), rehearsed end to end as a
//! user would: `warroom rehearse` in a pseudo-terminal on a fast clock against the demo
//! target, every step run by its keys in the runbook's order (gates voted, phrases typed),
//! then a fault injected into the demo target: its rule fires, the rollback runs, and the
//! demo target is back on the old version with the rollback's success criteria met.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::screen::Screen;
use warroom::app::event::{Event, Record, RunRef};
use warroom::journal;
use warroom::runbook::{Confirm, Runbook};

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("config")
        .join(name)
}

fn records(run_dir: &Path) -> Vec<Record> {
    let path = run_dir.join(journal::FILE);
    if !path.exists() {
        return Vec::new();
    }
    journal::read(&path).map(|(r, _)| r).unwrap_or_default()
}

/// Waits until the journal holds a record `ok` accepts; the screen is shown on failure.
fn wait_record(s: &Screen, run_dir: &Path, what: &str, secs: u64, ok: impl Fn(&Event) -> bool) {
    wait_records(s, run_dir, what, secs, |rs| rs.iter().any(|r| ok(&r.event)));
}

fn wait_records(s: &Screen, run_dir: &Path, what: &str, secs: u64, ok: impl Fn(&[Record]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if ok(&records(run_dir)) {
            return;
        }
        if Instant::now() > deadline {
            let tail: Vec<String> = records(run_dir)
                .iter()
                .rev()
                .take(8)
                .map(|r| format!("{:?}", r.event))
                .collect();
            panic!(
                "never journaled: {what}\nlast records: {tail:#?}\n{}",
                s.text()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn finished_ok(step: &str) -> impl Fn(&Event) -> bool + '_ {
    move |e| {
        matches!(e, Event::RunFinished { target: RunRef::Step(id), exit, .. }
            if id == step && exit.result().is_ok())
    }
}

/// Does every step from the first through `last`, in the runbook's order, each by its
/// keys: `j` to it, `g` and every approver's GO for a gate before it, `Enter`, then `y` or
/// the typed phrase; a step with nothing to run is marked done by hand (`Enter`, `y`).
/// Continuous watches are passed by.
fn run_steps_through(s: &mut Screen, rb: &Runbook, run_dir: &Path, last: &str) {
    let mut selected = 0;
    for (i, (_, step)) in rb.steps().enumerate() {
        while selected < i {
            s.keys_quickly("j");
            selected += 1;
        }
        if let Some(gate) = rb.gates.iter().find(|g| g.before == step.id) {
            s.keys("g");
            s.wait_for(&gate.title, 5);
            for _ in &gate.approvers {
                s.keys("G");
                s.keys("\r");
            }
            wait_records(s, run_dir, &format!("gate {} voted", gate.id), 10, |rs| {
                rs.iter()
                    .filter(
                        |r| matches!(&r.event, Event::GateVote { gate: g, .. } if *g == gate.id),
                    )
                    .count()
                    >= gate.approvers.len()
            });
        }
        if step.continuous {
            continue;
        }
        if step.command.is_none() {
            // Done by hand: Enter asks, `y` records it.
            s.keys("\r");
            s.wait_for("mark it done", 5);
            s.keys("y");
            wait_record(
                s,
                run_dir,
                &format!("step {} done by hand", step.id),
                10,
                |e| matches!(e, Event::StepDoneByHand { step: id } if *id == step.id),
            );
            assert_ne!(step.id, last, "run through a step with a command");
            continue;
        }
        s.keys("\r");
        match &step.confirm {
            // Run on Enter, unless a soft guard stands (a rehearsal runs ahead of the
            // plan: early; a hold not over): then it asks, and `y` confirms it.
            Confirm::None => {
                s.wait_until(&format!("step {} started or asked", step.id), 10, |t| {
                    t.contains("Run this step?")
                        || records(run_dir).iter().any(|r| {
                            matches!(&r.event, Event::RunStarted { target: RunRef::Step(id), .. } if *id == step.id)
                        })
                });
                if s.text().contains("Run this step?") {
                    s.keys("y");
                }
            }
            Confirm::YesNo => {
                s.wait_for("run it", 5);
                s.keys("y");
            }
            Confirm::Phrase(p) => {
                s.wait_for("Dangerous step", 5);
                s.keys(p);
                s.keys("\r");
            }
        }
        wait_record(
            s,
            run_dir,
            &format!("step {} succeeded", step.id),
            60,
            finished_ok(&step.id),
        );
        if step.id == last {
            break;
        }
    }
    // The journal saw them start in the runbook's order, every one with a command.
    let order: Vec<String> = rb
        .steps()
        .filter(|(_, st)| st.command.is_some() && !st.continuous)
        .map(|(_, st)| st.id.clone())
        .collect();
    let through = order
        .iter()
        .position(|id| id == last)
        .unwrap_or_else(|| panic!("no step {last} with a command"));
    assert_eq!(started_steps(run_dir), order[..=through]);
}

/// The steps that ran, in the order the journal recorded their starts.
fn started_steps(run_dir: &Path) -> Vec<String> {
    records(run_dir)
        .into_iter()
        .filter_map(|r| match r.event {
            Event::RunStarted {
                target: RunRef::Step(id),
                ..
            } => Some(id),
            _ => None,
        })
        .collect()
}

/// The demo target's address, as the rehearsal gave it to the runbook.
fn demo_url(run_dir: &Path) -> String {
    let holder = warroom::driver::holder(run_dir).unwrap();
    holder
        .vars
        .iter()
        .find(|(k, _)| k == "DEMO_URL")
        .map(|(_, v)| v.clone())
        .unwrap()
}

/// One request to the demo target through the same script the runbooks use.
fn demo(run_dir: &Path, method: &str, path: &str) -> String {
    let out = std::process::Command::new(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/ctl.sh"),
    )
    .args([method, path])
    .env("DEMO_URL", demo_url(run_dir))
    .output()
    .unwrap();
    assert!(out.status.success(), "{method} {path}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn rehearse(runbook: &str, start_at: &str, speed: &str) -> (Screen, Runbook, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let path = config(runbook);
    let (rb, _) = warroom::runbook::load(&path).unwrap();
    let s = Screen::start(
        &[
            "rehearse",
            path.to_str().unwrap(),
            "--speed",
            speed,
            "--start-at",
            start_at,
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        40,
        160,
        dir,
    );
    s.wait_for(&format!("REHEARSAL {speed}×"), 20);
    (s, rb, run_dir)
}

fn rolled_back_and_met(s: &Screen, run_dir: &Path, rb: &Runbook) {
    let steps = &rb.rollback.as_ref().unwrap().steps;
    for st in steps.iter().skip(1) {
        wait_record(
            s,
            run_dir,
            &format!("rollback step {}", st.id),
            60,
            |e| matches!(e, Event::RollbackStepStarted { step } if *step == st.id),
        );
    }
    wait_record(
        s,
        run_dir,
        "the rollback finished",
        60,
        |e| matches!(e, Event::RunFinished { target: RunRef::Rollback, exit, .. } if exit.result().is_ok()),
    );
    wait_record(s, run_dir, "the rollback's success criteria met", 60, |e| {
        matches!(e, Event::RollbackCriteriaMet)
    });
}

#[test]
fn blue_green_switch_rehearses_from_phase_2_to_an_automatic_rollback() {
    // A minute before Phase 2's first step (09:30 ET), 60x.
    let (mut s, rb, run_dir) = rehearse("blue-green-switch.toml", "2026-02-23T14:29:00Z", "60");
    run_steps_through(&mut s, &rb, &run_dir, "switch");
    assert!(demo(&run_dir, "GET", "/api/metrics").contains("\"green_percent\":100"));

    // GREEN goes bad after the switch: errors above 2 % for 2 minutes fire the trigger,
    // and its automatic rollback runs the four-step procedure.
    demo(&run_dir, "POST", "/control/fault");
    wait_record(
        &s,
        &run_dir,
        "prod-errors firing",
        60,
        |e| matches!(e, Event::RuleFiring { rule, .. } if rule == "prod-errors"),
    );
    wait_record(&s, &run_dir, "the automatic rollback started", 60, |e| {
        matches!(e, Event::RunStarted { target: RunRef::Rollback, reason: Some(r), .. }
            if r.contains("automatic") && r.contains("prod-errors"))
    });
    rolled_back_and_met(&s, &run_dir, &rb);
    assert!(demo(&run_dir, "GET", "/api/metrics").contains("\"green_percent\":0"));
    // Its last step posted the rollback notice to the (stand-in) Slack webhook.
    assert!(demo(&run_dir, "GET", "/hooks/status").contains("ROLLBACK EXECUTED"));
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn launch_day_rehearses_from_t_minus_24h_to_an_immediate_rollback() {
    // A minute before the day-before's first step, 60x.
    let (mut s, rb, run_dir) = rehearse("launch-day.toml", "2025-12-05T08:59:00Z", "60");
    run_steps_through(&mut s, &rb, &run_dir, "split-100");
    assert!(demo(&run_dir, "GET", "/api/metrics").contains("\"green_percent\":100"));

    // The new version fails at 100 %: errors above 5 % for 5 minutes are an immediate
    // rollback, "no discussion required": the quick rollback's six steps run by themselves.
    demo(&run_dir, "POST", "/control/fault");
    wait_record(
        &s,
        &run_dir,
        "immediate-errors firing",
        60,
        |e| matches!(e, Event::RuleFiring { rule, .. } if rule == "immediate-errors"),
    );
    rolled_back_and_met(&s, &run_dir, &rb);
    assert!(demo(&run_dir, "GET", "/api/metrics").contains("\"green_percent\":0"));
    let posted = demo(&run_dir, "GET", "/hooks/status");
    assert!(posted.contains("ROLLBACK INITIATED"), "{posted}");
    assert!(posted.contains("ROLLBACK COMPLETE"), "{posted}");
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn phase5_go_live_rehearses_from_the_evening_to_the_drill_and_a_rollback() {
    // A minute before the evening's checklist script (20:00 the day before), 60x; the
    // Prometheus KPIs come from the runbook's own replay series.
    let (mut s, rb, run_dir) = rehearse("phase5-go-live.toml", "2026-02-07T19:59:00Z", "60");
    run_steps_through(&mut s, &rb, &run_dir, "drill");

    // The drill's incident takes the API's health check down: five minutes later the
    // critical rule fires, which opens the incident the drill expects to escalate.
    wait_record(
        &s,
        &run_dir,
        "api-down firing",
        60,
        |e| matches!(e, Event::RuleFiring { rule, .. } if rule == "api-down"),
    );
    wait_record(&s, &run_dir, "the incident opened", 10, |e| {
        matches!(e, Event::IncidentOpened { .. })
    });
    // "Expected response: escalation to L2 within 3 min": the band the runbook gives it.
    wait_record(&s, &run_dir, "L2 reached", 20, |e| {
        matches!(e, Event::EscalationReached { level: 2 })
    });
    // The operator rolls back: the five steps, then Phase 4 healthy for a minute.
    s.keys("R");
    s.wait_for("ROLLBACK", 5);
    s.keys("ROLLBACK");
    s.keys("\r");
    rolled_back_and_met(&s, &run_dir, &rb);
    s.keys("q");
    assert!(s.wait_exit(10));
}
