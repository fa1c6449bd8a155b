//! End to end: the real `warroom demo` in a pseudo-terminal, driven by keys, the screen
//! read back through a terminal emulator.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::screen::Screen;

#[test]
fn demo_shows_its_panes_help_and_quits() {
    let mut s = Screen::launch(&["demo"], 24, 80);
    let run_dir = s.run_dir();
    // The first frame may be read half drawn (a loaded machine): wait for all of it.
    let panes = [
        "Timeline",
        "KPIs",
        "Output",
        "Alerts",
        "Checklist",
        "Checkout v1.5.0 canary",
        "T-00:0",
    ];
    s.wait_until("every pane drawn", 30, |t| {
        panes.iter().all(|p| t.contains(p))
    });
    // Live data arrives from the demo target: a KPI gets a value, an endpoint reads UP.
    s.wait_for("UP", 15);
    s.keys("?");
    let help = s.wait_for("any key closes", 5);
    assert!(
        help.contains("rollback") && help.contains("tick item"),
        "{help}"
    );
    s.keys("x");
    s.wait_for("Tab pane", 5);
    s.keys("q");
    assert!(s.wait_exit(10), "warroom exited with an error");
    // The terminal was restored and the record is where it was asked to be.
    assert!(run_dir.join("warroom.log").exists());
}

#[test]
fn every_frame_is_a_synchronized_update() {
    let mut s = Screen::launch(&["demo"], 24, 80);
    s.wait_for("UP", 30);
    s.keys("j");
    s.wait_for("Timeline", 5);
    s.keys("q");
    assert!(s.wait_exit(10));
    let raw = s.raw.lock().unwrap().clone();
    let text = String::from_utf8_lossy(&raw);
    let (begin, end) = ("\x1b[?2026h", "\x1b[?2026l");
    // Each frame's drawing lies between a begin and its end: nothing is drawn outside one
    // but the setup before the first frame and the restore after the last.
    let first = text.find(begin).expect("a synchronized frame");
    let last = text.rfind(end).expect("the frame's end");
    assert!(text.matches(begin).count() >= 2, "several frames");
    assert_eq!(text.matches(begin).count(), text.matches(end).count());
    let mut open = false;
    let mut rest = &text[first..last + end.len()];
    while !rest.is_empty() {
        let (at, is_begin) = match (rest.find(begin), rest.find(end)) {
            (Some(b), Some(e)) if b < e => (b, true),
            (_, Some(e)) => (e, false),
            (Some(b), None) => (b, true),
            (None, None) => break,
        };
        assert!(
            open || at == 0,
            "bytes drawn outside a synchronized update: {:?}",
            &rest[..at.min(80)]
        );
        assert_ne!(
            open, is_begin,
            "a begin inside a begin, or an end without one"
        );
        open = is_begin;
        rest = &rest[at + begin.len()..];
    }
    assert!(!open);
}

#[test]
fn demo_story_step_incident_rollback() {
    let mut s = Screen::launch(&["demo"], 40, 140);
    let run_dir = s.run_dir();
    // Approve the gate, then run the 10 % canary step with y.
    s.demo_gate_and_canary();
    // The test incident needs its phrase.
    s.keys("jj\r");
    s.wait_for("Type INJECT", 5);
    s.keys("INJECT\r");
    s.wait_for("fault injected into green", 20);
    let screen = s.wait_for("ROLLBACK CRITERIA MET", 40);
    assert!(screen.contains("error-rate-critical"), "{screen}");
    assert!(
        s.parser.lock().unwrap().callbacks().bells >= 1,
        "a new critical alert rings the bell"
    );
    // The rollback: a wrong phrase runs nothing, the right one does.
    s.keys("R");
    // Its dry run first: what it would change, read from the service.
    s.wait_for("DRY RUN, nothing changed. The rollback would:", 10);
    s.wait_for("(green 10% -> 0%, blue -> 100%)", 5);
    let modal = s.wait_for("Type ROLLBACK", 5);
    assert!(
        modal.contains("Why: error-rate-critical") && modal.contains("tier IMMEDIATE"),
        "{modal}"
    );
    s.keys("rollback\r");
    s.wait_for("That was not the phrase", 5);
    s.keys("ROLLBACK\r");
    s.wait_for("Rollback complete: 100% blue", 20);
    s.wait_for("ROLLED BACK", 5);
    // With green out of traffic the error rate recovers and the alert resolves.
    let screen = s.wait_for("RES ", 60);
    assert!(!screen.contains("ROLLBACK CRITERIA MET"), "{screen}");
    s.keys("q");
    assert!(s.wait_exit(10));
    let log = std::fs::read_dir(run_dir.join("steps")).unwrap().count();
    assert_eq!(
        log, 4,
        "canary-10, incident, the rollback's preview and the rollback each left a record"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    let mut s = Screen::launch(&["demo"], 24, 80);
    s.wait_for("Timeline", 30);
    assert!(
        s.parser.lock().unwrap().screen().alternate_screen(),
        "the console uses the alternate screen"
    );
    let pid = s.child.process_id().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(s.wait_exit(10));
    std::thread::sleep(Duration::from_millis(200));
    let parser = s.parser.lock().unwrap();
    assert!(
        !parser.screen().alternate_screen(),
        "back on the main screen"
    );
    assert!(
        !parser.screen().hide_cursor(),
        "the cursor is visible again"
    );
}

#[test]
fn script_output_cannot_clear_the_screen_retitle_or_ring() {
    let mut s = Screen::fixture("hostile.toml", 24, 80);
    let run_dir = s.run_dir();
    s.wait_for("Print escape sequences", 30);
    s.keys("\r");
    let screen = s.wait_for("after-escapes", 15);
    for pane in ["Timeline", "KPIs", "Alerts", "Checklist", "Tab pane"] {
        assert!(screen.contains(pane), "{pane} was wiped:\n{screen}");
    }
    let moved = screen.lines().find(|l| l.contains("XX-moved")).unwrap();
    assert!(
        moved.starts_with("│XX-moved"),
        "the cursor move did not take effect: `{moved}`"
    );
    // Invalid UTF-8 arrives as replacement characters, in its own line of the pane.
    let bad = screen.lines().find(|l| l.contains("bytes")).unwrap();
    assert!(
        bad.starts_with("│bad ") && bad.contains(" bytes"),
        "`{bad}`"
    );
    {
        let parser = s.parser.lock().unwrap();
        let events = parser.callbacks();
        assert!(
            events.titles.iter().all(|t| !t.contains("pwned")),
            "{:?}",
            events.titles
        );
        assert_eq!(events.bells, 0);
    }
    // The log keeps the bytes exactly as the script wrote them.
    let log = std::fs::read(run_dir.join("steps/evil.1/output.log")).unwrap();
    assert!(log.windows(7).any(|w| w == b"\x1b]0;pwn"));
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_flood_keeps_the_console_responsive_and_a_double_enter_runs_once() {
    let mut s = Screen::fixture("flood.toml", 24, 80);
    let run_dir = s.run_dir();
    s.wait_for("Print a million lines", 30);
    // Two Enters in one write: the second finds the step already starting.
    s.keys("\r\r");
    s.wait_for("running", 10);
    // While the flood pours in, keys still answer promptly.
    let asked = Instant::now();
    s.keys("?");
    s.wait_for("any key closes", 5);
    let answered = asked.elapsed();
    s.keys("x");
    s.wait_for("flood-finished", 120);
    let steps: Vec<_> = std::fs::read_dir(run_dir.join("steps")).unwrap().collect();
    assert_eq!(steps.len(), 1, "one run despite two Enters");
    let log = std::fs::read_to_string(run_dir.join("steps/flood.1/output.log")).unwrap();
    assert_eq!(log.lines().count(), 1_000_001, "the log is complete");
    s.keys("q");
    assert!(s.wait_exit(10));
    eprintln!("help answered in {answered:?} during the flood");
}

#[test]
fn the_console_follows_a_resize() {
    let mut s = Screen::launch(&["demo"], 24, 80);
    s.wait_for("Timeline", 30);
    s.resize(50, 160);
    let screen = s.wait_until("the layout fills 160 columns", 10, |t| {
        // The header's status light sits at the right edge, and the panes use the new rows.
        t.lines()
            .next()
            .is_some_and(|l| l.trim_end().chars().count() > 150)
            && t.lines().count() >= 49
    });
    assert!(
        screen.lines().nth(48).is_some_and(|l| l.starts_with('└')),
        "the panes end on row 49:\n{screen}"
    );
    s.resize(24, 80);
    // Wait for warroom's own 80x24 frame (the emulator truncates the old one at once):
    // a key sent in the instant of a resize can wait for the next key (crossterm 0.29 reads
    // the resize signal before the tty in one poll), which is not what this test is about.
    s.wait_until("back to 80 columns", 10, |t| {
        let lines: Vec<&str> = t.lines().collect();
        lines.len() >= 24 && lines[22].starts_with('└') && lines[23].contains("Tab pane")
    });
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_script_that_prints_its_token_shows_stars_and_the_record_never_holds_it() {
    let secret = "s3cr3t-token-value-42";
    let fx = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/secrets.toml");
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let token = format!("API_TOKEN={secret}");
    let mut s = Screen::start_program(
        "env",
        &[
            &token,
            env!("CARGO_BIN_EXE_warroom"),
            "run",
            fx.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        24,
        100,
        dir,
    );
    s.wait_for("Print the token", 20);
    s.keys("\r");
    let screen = s.wait_for("token is ****, twice: ****", 10);
    assert!(!screen.contains("s3cr3t"), "{screen}");
    // The command KPI that failed printing it: its error, masked.
    s.keys("\t");
    let screen = s.wait_for("oops ****", 10);
    assert!(!screen.contains("s3cr3t"), "{screen}");
    // A watcher whose environment lacks the variable reads the step's file: masked there.
    let w = Screen::start(
        &["watch", run_dir.to_str().unwrap()],
        24,
        100,
        tempfile::tempdir().unwrap(),
    );
    let screen = w.wait_for("token is ****, twice: ****", 15);
    assert!(!screen.contains("s3cr3t"), "{screen}");
    drop(w);
    s.keys("q");
    assert!(s.wait_exit(10));
    // No file of the run holds it: the journal, the log, the step's own output, the lock.
    let mut stack = vec![run_dir.clone()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files += 1;
                let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).into_owned();
                assert!(
                    !text.contains(secret),
                    "{} holds the secret",
                    e.path().display()
                );
            }
        }
    }
    let out = std::fs::read_to_string(run_dir.join("steps/leak.1/output.log")).unwrap();
    assert_eq!(out, "token is ****, twice: ****\n");
    assert!(files >= 6, "{files} files looked at");
}
