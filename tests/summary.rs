//! A day's targets in the report (issue 27, part 6): a rehearsal replays a first day's
//! error rate on a fast clock, probes the demo target's blue endpoint, asks for the p99
//! measured by hand when its step is done; the report holds each `[[summary]]` against the
//! actual over its 24 hours.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::screen::Screen;

#[test]
fn a_days_targets_are_held_against_the_replayed_series_and_the_actual_entered_by_hand() {
    let rb = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/summary/day.toml");
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::start(
        &[
            "rehearse",
            rb.to_str().unwrap(),
            "--speed",
            "3600",
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        120,
        tempfile::tempdir().unwrap(),
    );
    s.wait_for("Measure the p99 by hand", 20);
    s.keys("\r");
    s.wait_for("Run this step?", 5);
    s.keys("y");
    s.wait_for("Record the actual", 10);
    s.keys("abc\r");
    s.wait_for("is not a number", 5);
    for _ in 0..3 {
        s.keys("\x7f");
    }
    s.keys("212 ms\r");
    s.wait_for("Recorded p99_ms: 212 ms", 5);
    // A day on the rehearsal clock: 24 real seconds at 3600x.
    s.wait_until("a day past T0", 60, |t| {
        t.contains("T+1d") || t.contains("T+2d")
    });
    s.keys("q");
    assert!(s.wait_exit(10));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["report", run_dir.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let target = |id: &str| {
        report["targets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no target {id}: {report}"))
    };
    // 6 h at 0.4 %, 2 h at 1.6 %, 16 h at 0.3 %: 0.433 % on average over the day.
    let errors = target("errors-24h");
    let avg = errors["actual"].as_f64().unwrap();
    assert!((avg - 0.4333).abs() < 0.02, "{errors}");
    assert_eq!(errors["verdict"], "met");
    assert_eq!(errors["target"], "< 1");
    assert_eq!(errors["minutes"], 1440);
    // At 3600x the one-minute interval cannot be kept (a sample every few clock minutes):
    // the report says how much of the stretch had data.
    let with_data = errors["minutes_with_data"].as_u64().unwrap();
    assert!((240..=1440).contains(&with_data), "{errors}");
    let peak = target("errors-peak");
    assert_eq!(peak["actual"], 1.6);
    assert_eq!(peak["verdict"], "missed");
    let blue = target("blue-up");
    assert_eq!(blue["actual"], 100.0, "{blue}");
    assert_eq!(blue["verdict"], "met");
    let p99 = target("p99");
    assert_eq!(p99["actual"], 212.0);
    assert_eq!(p99["unit"], "ms");
    assert_eq!(p99["verdict"], "met");

    let md = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["report", run_dir.to_str().unwrap()])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(
        md.contains("| No hour above 1.5 % | max of error_rate over T+0 to T+1d | < 1.5 % | 1.60 % | MISSED | "),
        "{md}"
    );
    assert!(md.contains("| p99 latency under 250 ms | p99_ms entered by hand | < 250 ms | 212 ms | MET | entered by hand |"), "{md}");
}
