//! Rehearsal with a recorded series: the rule's timing against last incident's numbers,
//! exactly in `update`, and end to end with `warroom rehearse --replay` on a fast clock.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use common::screen::Screen;
use warroom::app::event::Event;
use warroom::app::{Action, Observation, State, update};
use warroom::journal;
use warroom::runbook::series::Series;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rehearse")
        .join(name)
}

/// The series goes above 5 % at T+10m; with `for = "5m"` the rule fires at T+15m, to
/// the second, when samples come every 5 s and the clock ticks every second.
#[test]
fn a_replayed_series_fires_a_five_minute_rule_at_exactly_t_plus_15m() {
    let (rb, _) = warroom::runbook::load(&fixture("error-spike.toml")).unwrap();
    let series =
        Series::parse(&std::fs::read_to_string(fixture("error-spike.csv")).unwrap()).unwrap();
    let rb = Arc::new(rb);
    let t0 = rb.t0.fixed().unwrap();
    let mut s = State::new(rb.clone(), t0 - TimeDelta::minutes(1));
    let kpi = rb.kpi_index("error_rate").unwrap();
    let mut pending_at = None;
    let mut fired_at = None;
    for second in -60..=(20 * 60) {
        let now = t0 + TimeDelta::seconds(second);
        update(&mut s, Action::Tick(now));
        if second % 5 == 0
            && let Some(v) = series.value_at("error_rate", now - t0)
        {
            update(
                &mut s,
                Action::Observed(Observation::KpiSample {
                    kpi,
                    result: Ok(v.into()),
                }),
            );
        }
        for r in s.outbox.drain(..) {
            match r.event {
                Event::RulePending { .. } if pending_at.is_none() => pending_at = Some(r.at),
                Event::RuleFiring { .. } if fired_at.is_none() => fired_at = Some(r.at),
                _ => {}
            }
        }
    }
    assert_eq!(pending_at, Some(t0 + TimeDelta::minutes(10)));
    assert_eq!(fired_at, Some(t0 + TimeDelta::minutes(15)));
}

fn rule_events(run_dir: &Path) -> Vec<(chrono::DateTime<chrono::Utc>, Event)> {
    let path = run_dir.join(journal::FILE);
    if !path.exists() {
        return Vec::new();
    }
    let (records, _) = journal::read(&path).unwrap();
    records
        .into_iter()
        .filter(|r| {
            matches!(
                r.event,
                Event::RulePending { .. } | Event::RuleFiring { .. }
            )
        })
        .map(|r| (r.at, r.event))
        .collect()
}

/// `warroom rehearse --replay` at 120x: the rule goes pending at T+10m and fires at
/// T+15m on the rehearsal clock (within the clock's tick at that speed), journaled, and the
/// KPI not in the series is read live from the demo target.
#[test]
fn warroom_rehearse_replays_the_series_on_the_fast_clock() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let rb = fixture("error-spike.toml");
    let csv = fixture("error-spike.csv");
    let mut s = Screen::start(
        &[
            "rehearse",
            rb.to_str().unwrap(),
            "--speed",
            "120",
            "--replay",
            csv.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        120,
        dir,
    );
    s.wait_for("Rehearse a spike", 20);
    // Nobody may take a rehearsal for the night: the header says what it is.
    s.wait_for("REHEARSAL 120×", 5);
    let deadline = Instant::now() + Duration::from_secs(40);
    let events = loop {
        let events = rule_events(&run_dir);
        if events
            .iter()
            .any(|(_, e)| matches!(e, Event::RuleFiring { .. }))
        {
            break events;
        }
        assert!(
            Instant::now() < deadline,
            "never fired: {events:?}\n{}",
            s.text()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-03-01T02:00:00Z")
        .unwrap()
        .to_utc();
    let (pending, _) = events
        .iter()
        .find(|(_, e)| matches!(e, Event::RulePending { .. }))
        .unwrap();
    let (fired, _) = events
        .iter()
        .find(|(_, e)| matches!(e, Event::RuleFiring { .. }))
        .unwrap();
    // At 120x a tick of the console is up to 2.4 rehearsal seconds, a poll of 5 s KPIs
    // lands within 5 s: the times are those, give or take that.
    let near = |at: chrono::DateTime<chrono::Utc>, want: TimeDelta| {
        let off = at - t0 - want;
        off >= TimeDelta::zero() && off <= TimeDelta::seconds(8)
    };
    assert!(
        near(*pending, TimeDelta::minutes(10)),
        "pending at T{:+}s",
        (*pending - t0).num_seconds()
    );
    assert!(
        near(*fired, TimeDelta::minutes(15)),
        "fired at T{:+}s",
        (*fired - t0).num_seconds()
    );
    assert!(*fired - *pending >= TimeDelta::minutes(5));
    s.wait_for("Error rate above 5% for 5 minutes", 10);
    // The KPI the series does not hold is polled live from the demo target.
    let screen = s.text();
    assert!(!screen.contains("green_p95_ms: no data"), "{screen}");
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_series_naming_a_kpi_the_runbook_lacks_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "offset,kpi,value\nT+1m,latency,3\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "rehearse",
            fixture("error-spike.toml").to_str().unwrap(),
            "--replay",
        ])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no KPI latency in the runbook"), "{err}");
    assert!(err.contains("error_rate, green_p95_ms"), "{err}");
}

fn all_events(run_dir: &Path) -> Vec<Event> {
    let path = run_dir.join(journal::FILE);
    if !path.exists() {
        return Vec::new();
    }
    journal::read(&path)
        .map(|(r, _)| r.into_iter().map(|r| r.event).collect())
        .unwrap_or_default()
}

fn wait_event(s: &Screen, run_dir: &Path, what: &str, ok: impl Fn(&Event) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !all_events(run_dir).iter().any(&ok) {
        assert!(Instant::now() < deadline, "never: {what}\n{}", s.text());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `kill -9` during a rollback procedure's middle step, the console left dead until that
/// step has called the demo target and ended: the target (a process of its own) answered
/// it; started again with the same command, the console finds the step's real end, the
/// same target in the same state, runs the last step, and the criteria hold. The clock
/// goes on from the record, not back to `--start-at`; `q` takes the target down with it.
#[test]
fn a_rehearsal_killed_mid_rollback_resumes_the_procedure_on_the_same_demo_target() {
    let rb = fixture("procedure.toml");
    let args = [
        "rehearse",
        rb.to_str().unwrap(),
        "--speed",
        "10",
        "--start-at",
        "2026-03-01T01:59:00Z",
    ];
    let mut s = Screen::launch(&args, 30, 120);
    let run_dir = s.run_dir();
    s.wait_for("REHEARSAL 10×", 20);
    s.keys("\r");
    wait_event(
        &s,
        &run_dir,
        "the canary step",
        |e| matches!(e, Event::RunFinished { exit, .. } if exit.result().is_ok()),
    );
    let state = std::fs::read_to_string(run_dir.join("demo-target.json")).unwrap();
    assert!(state.contains("\"green_pct\":50"), "{state}");
    s.keys("R");
    s.wait_for("ROLLBACK", 5);
    s.keys("BACK");
    s.keys("\r");
    wait_event(
        &s,
        &run_dir,
        "the wait step started",
        |e| matches!(e, Event::RollbackStepStarted { step } if step == "wait"),
    );
    s.wait_for("settling", 5);
    let before = all_events(&run_dir).len();
    let target_before = std::fs::read_to_string(run_dir.join("demo-target.addr")).unwrap();
    // The console dies (a kill, a dropped session) and stays dead while the step calls
    // the demo target: the target is not the console's, so it answers.
    s.kill9();
    let exit = run_dir.join("steps/rollback-wait.1/exit.json");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !exit.exists() {
        assert!(Instant::now() < deadline, "the wait step never ended");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut s = s.again(&args, 30, 120);
    s.wait_for("REHEARSAL 10×", 20);
    // The same target, not a new one: same address, same process.
    let target_after = std::fs::read_to_string(run_dir.join("demo-target.addr")).unwrap();
    assert_eq!(target_before, target_after);
    // The wait step's own process outlived the console; its call to the demo target,
    // after the restart, must find it where it was.
    wait_event(
        &s,
        &run_dir,
        "the wait step's real exit",
        |e| matches!(e, Event::RollbackStepStarted { step } if step == "verify"),
    );
    wait_event(&s, &run_dir, "the procedure finished", |e| {
        matches!(e, Event::RunFinished { target: warroom::app::event::RunRef::Rollback, exit, .. }
            if exit.result().is_ok())
    });
    wait_event(&s, &run_dir, "the criteria met", |e| {
        matches!(e, Event::RollbackCriteriaMet)
    });
    let output = std::fs::read_to_string(run_dir.join("steps/rollback-wait.1/output.log")).unwrap();
    assert!(output.contains("healthy"), "{output}");
    assert!(
        std::fs::read_to_string(run_dir.join("steps/rollback-verify.1/output.log"))
            .unwrap()
            .contains("verified")
    );
    assert!(all_events(&run_dir).len() > before);
    // Time went on: nothing after the restart is stamped before what came before it.
    let (records, _) = journal::read(&run_dir.join(journal::FILE)).unwrap();
    assert!(records.windows(2).all(|w| w[0].at <= w[1].at));
    let addr = std::fs::read_to_string(run_dir.join("demo-target.addr")).unwrap();
    let pid: i32 = addr.lines().nth(1).unwrap().parse().unwrap();
    s.keys("q");
    assert!(s.wait_exit(10));
    // Quitting on purpose stops the run's demo target.
    let deadline = Instant::now() + Duration::from_secs(10);
    while nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok() {
        assert!(Instant::now() < deadline, "the demo target outlived q");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The canary verdict in a rehearsal (issue 26): `warroom rehearse --replay` of the demo
/// with a series where green's p95 is 60 % above blue's: the gate's canary is FAIL, which
/// holds the gate (the timeline says `HELD by canary green-vs-blue`, the record has the
/// verdict); with a series where green matches blue, PASS and no hold.
#[test]
fn a_replayed_series_gives_the_gate_its_canary_verdict() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml");
    for (green, verdict, screen_says) in [
        (390.0, "fail", "HELD by canary green-vs-blue"),
        (240.0, "pass", "canary PASS 100"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let run_dir = dir.path().join("run");
        // Ten minutes before T0 to ten after, every three seconds, a little noise.
        let mut rng = fastrand::Rng::with_seed(9);
        let mut csv = String::from("offset,kpi,value\n");
        for s in (-600..600).step_by(3) {
            csv += &format!("{s},blue_p95_ms,{:.1}\n", 240.0 + rng.f64() * 20.0);
            csv += &format!("{s},green_p95_ms,{:.1}\n", green + rng.f64() * 20.0);
        }
        let series = dir.path().join("p95.csv");
        std::fs::write(&series, csv).unwrap();
        let mut s = Screen::start(
            &[
                "rehearse",
                demo.to_str().unwrap(),
                "--replay",
                series.to_str().unwrap(),
                "--run-dir",
                run_dir.to_str().unwrap(),
            ],
            30,
            120,
            dir,
        );
        s.wait_for("REHEARSAL", 20);
        s.wait_for(screen_says, 30);
        wait_event(
            &s,
            &run_dir,
            verdict,
            |e| matches!(e, Event::CanaryJudged { verdict: v, .. } if v.word().eq_ignore_ascii_case(verdict)),
        );
        s.keys("q");
        assert!(s.wait_exit(10));
    }
}
