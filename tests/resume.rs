//! Resume, end to end: the real console in a pseudo-terminal is killed with SIGKILL in the
//! middle of things and started again on the same run directory; what was decided is
//! still there, a running step is re-attached and its real exit status arrives, a step
//! whose supervisor died too is LOST, and a second driver is refused.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::screen::Screen;
use warroom::app::event::{Event, RunRef};
use warroom::journal;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/resume.toml")
}

fn events(run_dir: &Path) -> Vec<Event> {
    let (records, torn) = journal::read(&run_dir.join(journal::FILE)).unwrap();
    assert!(
        torn.is_none(),
        "a console that was not writing left no torn tail"
    );
    records.into_iter().map(|r| r.event).collect()
}

fn count(events: &[Event], f: impl Fn(&Event) -> bool) -> usize {
    events.iter().filter(|e| f(e)).count()
}

#[track_caller]
fn wait_journal(run_dir: &Path, what: &str, f: impl Fn(&[Event]) -> bool) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ev = events(run_dir);
        if f(&ev) {
            return ev;
        }
        assert!(Instant::now() < deadline, "{what}: {ev:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ticks the checklist item, votes GO, starts the slow step, and waits for its output.
fn decide_and_start(s: &mut Screen) {
    s.wait_for("Count to six", 20);
    // Tab to the checklist (Timeline, KPIs, Output, Alerts, Checklist), tick, Tab back.
    s.keys("\t\t\t\t");
    s.keys(" ");
    s.wait_for("[x]", 5);
    s.keys("\t");
    s.keys("g");
    s.wait_for("Lead", 5);
    s.keys("G");
    s.keys("looks good\r");
    s.wait_for("GO 1/1", 5);
    s.keys("\r");
    s.wait_for("tick 2", 10);
}

#[test]
fn killed_mid_step_the_console_resumes_everything_and_the_step_reports_its_real_exit() {
    let fx = fixture();
    let mut s = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = s.run_dir();
    decide_and_start(&mut s);
    s.kill9();
    let before = events(&run_dir);
    assert_eq!(count(&before, |e| matches!(e, Event::RunStarted { .. })), 1);
    assert_eq!(
        count(&before, |e| matches!(e, Event::RunFinished { .. })),
        0,
        "killed while the step ran"
    );

    let mut s = s.again(&["run", fx.to_str().unwrap()], 30, 110);
    // The decisions are back, and the step's output streams in again to its end.
    let screen = s.wait_for("tick 6", 20);
    assert!(screen.contains("[x]"), "the tick survived:\n{screen}");
    assert!(screen.contains("GO 1/1"), "the vote survived:\n{screen}");
    let screen = s.wait_for("exit status 3", 10);
    assert!(
        screen.contains("tick 1"),
        "output complete from the start:\n{screen}"
    );
    let after = wait_journal(&run_dir, "the step's real exit is journaled", |ev| {
        ev.iter().any(|e| matches!(e, Event::RunFinished { .. }))
    });
    let finished: Vec<_> = after
        .iter()
        .filter_map(|e| match e {
            Event::RunFinished {
                target: RunRef::Step(id),
                attempt,
                exit,
            } => Some((id.clone(), *attempt, exit.code)),
            _ => None,
        })
        .collect();
    assert_eq!(finished, vec![("slow".to_owned(), 1, Some(3))]);
    assert_eq!(
        count(&after, |e| matches!(e, Event::RunStarted { .. })),
        1,
        "nothing ran twice"
    );
    assert_eq!(
        count(&after, |e| matches!(
            e,
            Event::DriverAttached { resumed: true, .. }
        )),
        1
    );
    let dirs: Vec<_> = std::fs::read_dir(run_dir.join("steps"))
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(dirs, vec!["slow.1"]);
    let log = std::fs::read_to_string(run_dir.join("steps/slow.1/output.log")).unwrap();
    for i in 1..=6 {
        assert!(log.contains(&format!("tick {i}\n")), "{log}");
    }
    // Every record names who did it.
    let (records, _) = journal::read(&run_dir.join(journal::FILE)).unwrap();
    assert!(
        records
            .iter()
            .all(|r| !r.by.user.is_empty() && !r.by.host.is_empty())
    );
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_step_whose_supervisor_died_with_the_console_is_lost_never_a_success() {
    let fx = fixture();
    let mut s = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = s.run_dir();
    decide_and_start(&mut s);
    s.kill9();
    // The whole session of the supervisor goes too, as when the host reboots.
    let sid = std::fs::read_to_string(run_dir.join("steps/slow.1/supervisor.pid")).unwrap();
    let status = std::process::Command::new("pkill")
        .args(["-KILL", "-s", sid.trim()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(300));
    let mut s = s.again(&["run", fx.to_str().unwrap()], 30, 110);
    let screen = s.wait_for("LOST", 15);
    assert!(!screen.contains("ok "), "{screen}");
    let ev = wait_journal(&run_dir, "the loss is journaled", |ev| {
        ev.iter().any(|e| matches!(e, Event::RunLost { .. }))
    });
    assert_eq!(count(&ev, |e| matches!(e, Event::RunFinished { .. })), 0);
    assert!(!run_dir.join("steps/slow.1/exit.json").exists());
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_second_driver_is_refused_and_a_dead_ones_lock_is_taken() {
    let fx = fixture();
    let first = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = first.run_dir();
    first.wait_for("Count to six", 20);
    let other = tempfile::tempdir().unwrap();
    let mut second = Screen::start(
        &[
            "run",
            fx.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        110,
        other,
    );
    assert!(!second.wait_exit(10), "the second driver fails");
    let text = second.text();
    assert!(text.contains("is driven by"), "{text}");
    assert!(text.contains("one driver per run"), "{text}");
    assert!(text.contains("warroom watch"), "{text}");
    assert!(
        text.contains(&format!("pid {}", first.child.process_id().unwrap())),
        "{text}"
    );
    // The first one dies; the next console takes the lock and says so.
    let mut again = first.again(&["run", fx.to_str().unwrap()], 30, 110);
    again.wait_for("previous driver", 10);
    again.keys("q");
    assert!(again.wait_exit(10));
}

#[test]
fn a_changed_runbook_is_refused_unless_the_operator_accepts_it_and_then_it_is_journaled() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("resume.toml");
    std::fs::copy(fixture(), &rb).unwrap();
    let mut s = Screen::launch(&["run", rb.to_str().unwrap()], 30, 110);
    let run_dir = s.run_dir();
    s.wait_for("Count to six", 20);
    s.keys("q");
    assert!(s.wait_exit(10));
    let text = std::fs::read_to_string(&rb).unwrap();
    std::fs::write(&rb, text.replace("Say done", "Say it is done")).unwrap();
    let mut s = s.again(&["run", rb.to_str().unwrap()], 30, 110);
    assert!(!s.wait_exit(10));
    let screen = s.text();
    assert!(screen.contains("has changed since"), "{screen}");
    assert!(screen.contains("--accept-changed-runbook"), "{screen}");
    let mut s = s.again(
        &["run", rb.to_str().unwrap(), "--accept-changed-runbook"],
        30,
        110,
    );
    s.wait_for("Say it is done", 20);
    let ev = events(&run_dir);
    assert_eq!(count(&ev, |e| matches!(e, Event::RunbookChanged { .. })), 1);
    s.keys("q");
    assert!(s.wait_exit(10));
}

#[test]
fn a_journal_of_another_runbook_is_refused_and_left_alone() {
    let fx = fixture();
    let mut s = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = s.run_dir();
    s.wait_for("Count to six", 20);
    s.keys("q");
    assert!(s.wait_exit(10));
    let before = std::fs::read(run_dir.join(journal::FILE)).unwrap();
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flood.toml");
    let mut s = s.again(&["run", other.to_str().unwrap()], 30, 110);
    assert!(!s.wait_exit(10));
    let screen = s.text();
    assert!(screen.contains("belongs to runbook \"Resume\""), "{screen}");
    assert_eq!(std::fs::read(run_dir.join(journal::FILE)).unwrap(), before);
}

/// Starts `warroom run --take-over` on `first`'s run directory in a second terminal.
fn ask_to_take_over(first: &Screen) -> Screen {
    let fx = fixture();
    Screen::start(
        &[
            "run",
            fx.to_str().unwrap(),
            "--run-dir",
            first.run_dir().to_str().unwrap(),
            "--take-over",
        ],
        30,
        110,
        tempfile::tempdir().unwrap(),
    )
}

#[test]
fn a_handover_is_asked_on_the_drivers_screen_and_journaled_with_both_operators() {
    let fx = fixture();
    let mut first = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = first.run_dir();
    first.wait_for("Count to six", 20);
    // Refused: the asking console leaves, the driver keeps driving.
    let mut second = ask_to_take_over(&first);
    first.wait_for("asks to take over", 10);
    first.keys("n");
    assert!(!second.wait_exit(10));
    assert!(
        second.text().contains("refused the handover"),
        "{}",
        second.text()
    );
    first.wait_for("Handover to", 5);
    // Agreed: the driver journals the handover and leaves; the new console drives.
    let mut third = ask_to_take_over(&first);
    first.wait_until("the question is asked again", 10, |t| {
        t.contains("asks to take over")
    });
    first.keys("y");
    assert!(first.wait_exit(10), "the old driver leaves cleanly");
    third.wait_for("Count to six", 20);
    let ev = events(&run_dir);
    assert_eq!(
        count(&ev, |e| matches!(e, Event::Handover { .. })),
        1,
        "{ev:#?}"
    );
    assert!(matches!(
        ev.last(),
        Some(Event::DriverAttached { resumed: true, .. })
    ));
    third.keys("q");
    assert!(third.wait_exit(10));
}

#[test]
fn a_re_attached_step_can_still_be_cancelled() {
    let fx = fixture();
    let mut s = Screen::launch(&["run", fx.to_str().unwrap()], 30, 110);
    let run_dir = s.run_dir();
    decide_and_start(&mut s);
    s.kill9();
    let mut s = s.again(&["run", fx.to_str().unwrap()], 30, 110);
    s.wait_for("running", 10);
    s.keys("x");
    s.wait_for("Cancel", 5);
    s.keys("y");
    s.wait_for("cancelled", 10);
    let ev = wait_journal(&run_dir, "the cancel and its outcome are journaled", |ev| {
        ev.iter().any(|e| matches!(e, Event::RunFinished { .. }))
    });
    assert_eq!(
        count(&ev, |e| matches!(e, Event::CancelRequested { .. })),
        1
    );
    let reason = ev.iter().find_map(|e| match e {
        Event::RunFinished { exit, .. } => exit.reason.clone(),
        _ => None,
    });
    assert_eq!(reason.as_deref(), Some("cancelled"));
    let log = std::fs::read_to_string(run_dir.join("steps/slow.1/output.log")).unwrap();
    assert!(!log.contains("tick 6"), "the step stopped early:\n{log}");
    s.keys("q");
    assert!(s.wait_exit(10));
}

/// A dropped SSH session: the terminal goes away under the console (its pty closed, so
/// every read and write fails). The console leaves cleanly, with no crash on the dead
/// terminal, records that it left, and the run resumes from another terminal.
#[test]
fn a_terminal_that_goes_away_leaves_the_record_whole_and_says_the_driver_left() {
    use std::io::{Read, Write};
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    let size = nix::pty::Winsize {
        ws_row: 30,
        ws_col: 110,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = nix::pty::openpty(Some(&size), None).unwrap();
    // openpty leaves the master inheritable: the console must not hold it open itself.
    nix::fcntl::fcntl(
        &pty.master,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )
    .unwrap();
    let slave = std::fs::File::from(pty.slave);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args([
            "run",
            fx.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ])
        .env("TERM", "xterm-256color")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    // Drive it from this thread alone, so closing the master really closes the terminal.
    let mut master = std::fs::File::from(pty.master);
    nix::fcntl::fcntl(
        &master,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut drain = |master: &mut std::fs::File, secs: u64, until: &str| {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut buf = [0u8; 65536];
        while Instant::now() < deadline {
            match master.read(&mut buf) {
                Ok(n) if n > 0 => seen.extend_from_slice(&buf[..n]),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
            if String::from_utf8_lossy(&seen).contains(until) {
                return;
            }
        }
        panic!("`{until}` never came");
    };
    drain(&mut master, 20, "Count to six");
    for keys in ["g", "G", "\r", "\r"] {
        master.write_all(keys.as_bytes()).unwrap();
        drain(&mut master, 1, "\x1b");
        std::thread::sleep(Duration::from_millis(200));
    }
    drain(&mut master, 10, "tick 1");
    drop(master);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "the console outlived its terminal"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "the console left cleanly, not by a crash: {status}"
    );
    let ev = events(&run_dir);
    assert!(
        matches!(ev.last(), Some(Event::DriverDetached { why }) if why == "the terminal went away"),
        "{ev:#?}"
    );
    // The step outlived the terminal; another console picks the run up.
    let mut again = Screen::start(
        &[
            "run",
            fx.to_str().unwrap(),
            "--run-dir",
            run_dir.to_str().unwrap(),
        ],
        30,
        110,
        tempfile::tempdir().unwrap(),
    );
    let screen = again.wait_for("tick 6", 20);
    assert!(screen.contains("GO 1/1"), "{screen}");
    again.keys("q");
    assert!(again.wait_exit(10));
}

/// The same command typed again after the console died (a dropped SSH session, a kill)
/// carries on with the run it left, with no `--run-dir` to remember; `--new` starts another.
#[test]
fn the_same_command_again_resumes_the_recent_run_and_new_starts_another() {
    let dir = tempfile::tempdir().unwrap();
    let rb = dir.path().join("rb.toml");
    let text = std::fs::read_to_string(fixture())
        .unwrap()
        .replace("name = \"Resume\"", "name = \"Resume\"\nrun-dir = \"runs\"");
    std::fs::write(&rb, text).unwrap();
    let runs = dir.path().join("runs");
    let listed = || -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&runs)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    };
    let cmd = ["run", rb.to_str().unwrap()];
    let mut first = Screen::start(&cmd, 30, 110, tempfile::tempdir().unwrap());
    first.wait_for("Count to six", 20);
    decide_and_start(&mut first);
    let run_dir = listed().pop().unwrap();
    wait_journal(&run_dir, "the step started", |e| {
        e.iter().any(|e| matches!(e, Event::RunStarted { .. }))
    });
    first.kill9();

    let mut again = Screen::start(&cmd, 30, 110, tempfile::tempdir().unwrap());
    again.wait_for("Resumed from the journal", 20);
    assert_eq!(listed(), vec![run_dir.clone()], "no second run was opened");
    again.keys("q");
    again.keys("y");
    assert!(again.wait_exit(10));

    let mut other = Screen::start(
        &["run", rb.to_str().unwrap(), "--new"],
        30,
        110,
        tempfile::tempdir().unwrap(),
    );
    other.wait_for("Count to six", 20);
    assert!(!other.text().contains("Resumed"), "{}", other.text());
    other.keys("q");
    assert!(other.wait_exit(10));
    assert_eq!(listed().len(), 2, "--new opened a run of its own");
}

/// A run last recorded more than a day ago is not resumed by default: it was another night.
#[test]
fn a_run_older_than_a_day_is_not_resumed_by_default() {
    use warroom::driver::{RunDir, choose_run_dir};
    let dir = tempfile::tempdir().unwrap();
    let mut rb = warroom::runbook::load(&fixture()).unwrap().0;
    rb.dir = dir.path().to_path_buf();
    rb.run_dir = Some("runs".into());
    let old = dir.path().join("runs/resume-20261201-020000");
    std::fs::create_dir_all(&old).unwrap();
    let journal = std::fs::File::create(old.join(journal::FILE)).unwrap();
    let now = chrono::Utc::now();
    assert!(matches!(choose_run_dir(&rb, false, now), RunDir::Resume(d, _) if d == old));
    assert!(matches!(choose_run_dir(&rb, true, now), RunDir::New(_)));
    journal
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(25 * 3600))
        .unwrap();
    assert!(matches!(choose_run_dir(&rb, false, now), RunDir::New(d) if d != old));
    // A directory that is not a run of this runbook is never taken for one.
    std::fs::create_dir_all(dir.path().join("runs/other-20261202-010000")).unwrap();
    assert!(matches!(choose_run_dir(&rb, false, now), RunDir::New(_)));
}
