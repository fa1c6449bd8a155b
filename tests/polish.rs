//! Polish from a night's use (issue 23, the parts built): rehearsals that start fresh, a
//! takeover that keeps the demo target and tells the old driver who took over, a quit
//! that names what still runs, `watch` of a directory that is not there.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::Path;

use common::screen::Screen;

const REHEARSAL: &str = r#"
[runbook]
name = "Fresh"
t0 = "2026-02-23T14:30:00Z"
run-dir = "runs"

[[phase]]
id = "p"
title = "P"

[[phase.step]]
id = "switch"
at = "T+0"
title = "Switch traffic"
shell = "echo switched"
"#;

fn rehearsal_dirs(runs: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(runs)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn each_rehearse_starts_a_new_rehearsal_and_new_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("fresh.toml");
    std::fs::write(&rb, REHEARSAL).unwrap();
    let runs = dir.path().join("runs");
    let args = |extra: &'static str| {
        let mut a = vec![
            "rehearse".to_owned(),
            rb.to_str().unwrap().to_owned(),
            "--start-at".to_owned(),
            "2026-02-23 14:29".to_owned(),
            // Real time: the screen is read before the rehearsal clock moves on.
            "--speed".to_owned(),
            "1".to_owned(),
        ];
        if !extra.is_empty() {
            a.push(extra.to_owned());
        }
        a
    };
    for (n, extra) in [(1, ""), (2, "--new")] {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let mut s = Screen::start(&a, 24, 100, tempfile::tempdir().unwrap());
        let screen = s.wait_for("Switch traffic", 20);
        // Fresh: the clock where --start-at says, nothing late, nothing resumed.
        assert!(screen.contains("14:29"), "{screen}");
        assert!(!screen.contains("Resumed"), "{screen}");
        assert!(!screen.contains("late"), "{screen}");
        s.keys("q");
        assert!(s.wait_exit(15));
        let dirs = rehearsal_dirs(&runs);
        assert_eq!(dirs.len(), n, "{dirs:?}");
        assert!(
            dirs.iter().all(|d| d.starts_with("fresh-rehearsal-")),
            "{dirs:?}"
        );
        // Each journal begins at --start-at, on its own.
        for d in &dirs {
            let (records, _) =
                warroom::journal::read(&runs.join(d).join(warroom::journal::FILE)).unwrap();
            let first = records.first().unwrap().at;
            assert_eq!(
                first.format("%Y-%m-%d %H:%M").to_string(),
                "2026-02-23 14:29"
            );
        }
    }
}

#[test]
fn a_takeover_keeps_the_demo_target_and_the_old_driver_says_who_took_over() {
    let mut first = Screen::launch(&["demo"], 30, 120);
    let run_dir = first.run_dir();
    first.wait_for("api-blue", 30);
    first.wait_until("blue answers", 20, |t| {
        t.lines()
            .any(|l| l.contains("api-blue") && l.contains("UP"))
    });
    let mut second = Screen::start(
        &[
            "demo",
            "--run-dir",
            run_dir.to_str().unwrap(),
            "--take-over",
        ],
        30,
        120,
        tempfile::tempdir().unwrap(),
    );
    first.wait_for("asks to take over", 20);
    first.keys("y");
    first.wait_for("handed the run over to", 10);
    assert!(first.wait_exit(10));
    // The new driver reads the same demo target: blue is UP, errors are numbers.
    let screen = second.wait_until("the new driver sees the target", 30, |t| {
        t.lines()
            .any(|l| l.contains("api-blue") && l.contains("UP"))
    });
    assert!(!screen.contains("connection refused"), "{screen}");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let screen = second.text();
    assert!(
        screen
            .lines()
            .any(|l| l.contains("api-blue") && l.contains("UP")),
        "{screen}"
    );
    second.keys("q");
    assert!(second.wait_exit(15));
}

#[test]
fn quit_names_what_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("slow.toml");
    std::fs::write(
        &rb,
        "[runbook]\nname = \"slow\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"canary-50\"\ntitle = \"Half the traffic\"\nshell = \"sleep 30\"\nconfirm = \"none\"\n",
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::run(&rb, &run_dir, 24, 100);
    s.wait_for("Half the traffic", 20);
    s.keys("\r");
    s.wait_for("run ", 10);
    s.keys("q");
    s.wait_for("canary-50 is still running.", 5);
    s.keys("n");
    s.keys("x");
    s.keys("y");
    s.wait_for("cancelled", 15);
    s.keys("q");
    assert!(s.wait_exit(15));
}

#[test]
fn watch_of_a_directory_that_is_not_there_says_so() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(["watch", "/nonexistent/run"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("/nonexistent/run: no such run directory"),
        "{err}"
    );
}

/// The warnings `check` would print are said on the console's screen too: printed before
/// it went full screen, they would be covered.
#[test]
fn the_runbooks_warnings_are_said_on_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("warned.toml");
    std::fs::write(
        &rb,
        "[runbook]\nname = \"warned\"\n[[phase]]\nid = \"p\"\ntitle = \"P\"\n[[phase.step]]\nid = \"v\"\ntitle = \"Verify\"\nrun = [\"./scripts/verify.sh\"]\n",
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let mut s = Screen::run(&rb, &run_dir, 24, 120);
    s.wait_for("Runbook warning (! shows it):", 20);
    s.wait_for("./scripts/verify.sh", 5);
    // `!` lists them, placed.
    s.keys("!");
    let screen = s.wait_for("Runbook warnings", 5);
    assert!(
        screen.contains("line 9:7 · `phase[p].step[v].run`: script `./scripts/verify.sh` does"),
        "{screen}"
    );
    s.keys(" ");
    // And a step that cannot start says which path.
    s.keys("\r");
    s.keys("y");
    s.wait_for("cannot start ./scripts/verify.sh: no such file", 10);
    s.keys("q");
    assert!(s.wait_exit(15));
}

/// A watcher of a demo run polls the same demo target as its driver (driver.lock gives it
/// the target's address).
#[test]
fn a_watcher_of_the_demo_reads_the_same_target() {
    let mut s = Screen::launch(&["demo"], 30, 120);
    let run_dir = s.run_dir();
    s.wait_until("blue answers", 30, |t| {
        t.lines()
            .any(|l| l.contains("api-blue") && l.contains("UP"))
    });
    let w = Screen::start(
        &["watch", run_dir.to_str().unwrap()],
        30,
        120,
        tempfile::tempdir().unwrap(),
    );
    w.wait_for("READ-ONLY", 15);
    let screen = w.wait_until("the watcher's blue answers", 20, |t| {
        t.lines()
            .any(|l| l.contains("api-blue") && l.contains("UP"))
    });
    assert!(!screen.contains("ERR"), "{screen}");
    drop(w);
    s.keys("q");
    assert!(s.wait_exit(15));
}
