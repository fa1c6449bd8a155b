//! Time travel (issue 28): a demo night driven through the gate, the canary, an incident
//! and the rollback in a pseudo-terminal, then `warroom replay` of it: before the rollback
//! the alert fires and nothing is rolled back, at the end it is; the gauges at a chosen
//! moment hold the samples recorded then; every moment rebuilds the state the record had.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::sync::Arc;

use common::screen::Screen;
use warroom::app::event::{Event, RunRef};
use warroom::app::replay::Night;
use warroom::samples::{self, Value};

/// The demo's story, as tests/e2e.rs drives it: its run directory once the console left.
fn a_night_with_a_rollback() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::start(
        &["demo", "--run-dir", run_dir.to_str().unwrap()],
        40,
        140,
        tempfile::tempdir().unwrap(),
    );
    s.demo_gate_and_canary();
    s.keys("jj\r");
    s.wait_for("Type INJECT", 5);
    s.keys("INJECT\r");
    s.wait_for("fault injected into green", 20);
    s.wait_for("ROLLBACK CRITERIA MET", 40);
    s.keys("R");
    s.wait_for("Type ROLLBACK", 15);
    s.keys("ROLLBACK\r");
    s.wait_for("ROLLED BACK", 25);
    s.keys("q");
    assert!(s.wait_exit(10));
    (dir, run_dir)
}

fn replay(run_dir: &Path, at: &str) -> Screen {
    Screen::start(
        &["replay", run_dir.to_str().unwrap(), "--at", at],
        40,
        140,
        tempfile::tempdir().unwrap(),
    )
}

#[test]
fn a_night_replays_as_it_was_at_each_moment() {
    let (_dir, run_dir) = a_night_with_a_rollback();
    let (records, _) = warroom::journal::read(&run_dir.join("journal.jsonl")).unwrap();
    let rollback = records
        .iter()
        .find(|r| {
            matches!(
                &r.event,
                Event::RunStarted {
                    target: RunRef::Rollback,
                    ..
                }
            )
        })
        .unwrap()
        .at;
    let fired = records
        .iter()
        .find(
            |r| matches!(&r.event, Event::RuleFiring { rule, .. } if rule == "error-rate-critical"),
        )
        .unwrap()
        .at;
    assert!(fired < rollback);

    // Just before the rollback: the alert fires, nothing is rolled back.
    let before = (rollback - chrono::TimeDelta::seconds(1)).to_rfc3339();
    let mut s = replay(&run_dir, &before);
    let screen = s.wait_for("REPLAY", 10);
    assert!(
        screen.contains("error-rate-critical") || screen.contains("FIRING"),
        "{screen}"
    );
    assert!(!screen.contains("ROLLED BACK"), "{screen}");
    // `]` goes to the next event: the rollback's start; then to the end of the night.
    let mut went = false;
    for _ in 0..6 {
        s.keys("]");
        if s.wait_until_or_exit("the rollback started", 1).is_some() {
            went = true;
            break;
        }
    }
    assert!(went, "{}", s.text());
    // The rollback's output as it stood as it started: not yet its end.
    let at_start = s.text();
    assert!(
        !at_start.contains("Rollback complete: 100% blue"),
        "{at_start}"
    );
    s.keys("g");
    s.wait_for("go to (", 5);
    let end = records.last().unwrap().at.format("%H:%M:%S").to_string();
    s.keys(&format!("{end}\r"));
    s.wait_for("ROLLED BACK", 5);
    // The output pane: the rollback's output, from its record directory.
    s.wait_for("Rollback complete: 100% blue", 5);
    s.keys("q");
    assert!(s.wait_exit(10));

    // The gauges at a chosen moment (the alert's firing) hold the samples recorded then.
    let rb =
        warroom::runbook::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/demo.toml"))
            .unwrap()
            .0;
    let recording = samples::read(&run_dir);
    let series = recording.series_index("kpi:error_rate").unwrap();
    let last_before = recording
        .points
        .iter()
        .rfind(|p| p.series == series && p.at_ms <= fired.timestamp_millis())
        .cloned()
        .unwrap();
    let Value::Number(recorded) = last_before.value else {
        panic!("{last_before:?}")
    };
    let night = Night::new(
        Arc::new(rb),
        records.clone(),
        samples::Blocks::open(&run_dir),
    );
    let state = night.state_at(fired);
    let i = state.runbook.kpi_index("error_rate").unwrap();
    assert_eq!(state.kpi_value(i), Ok(recorded));
    let mut s = replay(&run_dir, &fired.to_rfc3339());
    let shown = warroom::runbook::number::format_kpi_value(&state.runbook.kpis[i], recorded);
    let screen = s.wait_for("REPLAY", 10);
    assert!(
        screen
            .lines()
            .any(|l| l.contains("Error rate") && l.contains(&shown)),
        "{shown} not on the gauge:\n{screen}"
    );
    s.keys("q");
    assert!(s.wait_exit(10));

    // Each moment of the record rebuilds the state the record had after it (and after
    // every record at that same instant).
    for (k, rec) in records.iter().enumerate() {
        let last_same = records[k..].iter().take_while(|r| r.at == rec.at).count() + k;
        let mut expect = warroom::app::State::new(night.runbook.clone(), night.start);
        for r in &records[..last_same] {
            expect.apply(r);
        }
        assert_eq!(
            night.state_at(rec.at).recorded(),
            expect.recorded(),
            "at record {}",
            rec.seq
        );
    }

    // The report points at each decision's and each alert's moment.
    let md = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["report", run_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    let fired_at = fired.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        md.contains(&format!(
            "`warroom replay {} --at {fired_at}`",
            run_dir.display()
        )),
        "{md}"
    );
    assert!(
        md.contains("The screen at the decision: `warroom replay"),
        "{md}"
    );
    let html = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["report", run_dir.to_str().unwrap(), "--format", "html"])
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&html.stdout);
    assert!(
        html.contains(&format!(
            "<code>warroom replay {} --at {fired_at}</code>",
            run_dir.display()
        )),
        "the HTML report links the alert's moment too"
    );

    // The stretch around the rollback as an asciicast recording, drawn offline.
    let cast = run_dir.parent().unwrap().join("rollback.cast");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "replay",
            run_dir.to_str().unwrap(),
            "--from",
            &(fired - chrono::TimeDelta::seconds(3)).to_rfc3339(),
            "--to",
            &records.last().unwrap().at.to_rfc3339(),
            "--speed",
            "2",
            "--size",
            "100x30",
            "--cast",
            cast.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&cast).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(
        (header["version"].as_u64(), header["width"].as_u64()),
        (Some(2), Some(100))
    );
    let frames: Vec<serde_json::Value> = lines.map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(frames.len() >= 3, "{} frames", frames.len());
    assert!(
        frames
            .windows(2)
            .all(|w| w[0][0].as_f64() < w[1][0].as_f64())
    );
    let first = frames[0][2].as_str().unwrap();
    let last = frames.last().unwrap()[2].as_str().unwrap();
    assert!(first.contains("REPLAY") && !first.contains("ROLLED BACK"));
    assert!(last.contains("ROLLED BACK"), "{last}");
    // An existing file is kept.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "replay",
            run_dir.to_str().unwrap(),
            "--cast",
            cast.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    // Outside the run: refused, saying its span.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["replay", run_dir.to_str().unwrap(), "--at", "T+7d"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is outside the run, which spans"), "{err}");

    // An older run without samples: replayed from the journal, the gauges said empty.
    // A torn samples file (a console killed mid-block): replayed up to the tear, said.
    let wrs = run_dir.join(samples::FILE);
    let len = std::fs::metadata(&wrs).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&wrs)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    let mut s = replay(&run_dir, "rollback");
    s.wait_for("torn or damaged block", 10);
    s.keys("q");
    assert!(s.wait_exit(10));
    std::fs::remove_file(run_dir.join(samples::FILE)).unwrap();
    std::fs::remove_file(run_dir.join(samples::SERIES)).unwrap();
    let mut s = replay(&run_dir, "rollback");
    s.wait_for("no recorded samples", 10);
    s.keys("q");
    assert!(s.wait_exit(10));
}
