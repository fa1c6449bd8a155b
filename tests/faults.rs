//! Faults injected into the real console, not reasoned about: a failed fsync (strace
//! injects EIO), a full disk (a small tmpfs in a private mount namespace), and the console
//! killed at every write and every fsync of its journal during a scripted run. Each test
//! prints its figures. They need root and strace (`.ci/run` installs it); without either
//! they say so loudly and pass, except under CI where they fail.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::screen::Screen;
use warroom::app::event::Event;
use warroom::journal;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/faults.toml")
}

fn warroom() -> &'static str {
    env!("CARGO_BIN_EXE_warroom")
}

/// Whether fault injection can run here; outside CI a missing tool is a notice, not a failure.
fn can_inject(tool: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if root && found {
        return true;
    }
    let why =
        format!("fault injection skipped: needs root and `{tool}` (root: {root}, found: {found})");
    assert!(std::env::var_os("CI").is_none(), "{why}");
    eprintln!("\n*** {why} ***\n");
    false
}

fn records(run_dir: &Path) -> Vec<warroom::app::Record> {
    let path = run_dir.join(journal::FILE);
    if !path.exists() {
        return Vec::new();
    }
    journal::read(&path).unwrap().0
}

fn step_dirs(run_dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(run_dir.join("steps"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A fresh run directory holding an empty journal, so strace can watch it by path.
fn prepared() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    std::fs::write(run_dir.join(journal::FILE), b"").unwrap();
    (dir, run_dir)
}

/// `strace -f -P <journal> <inject> warroom run resume.toml --run-dir <run_dir>`.
fn under_strace(inject: &[&str], dir: tempfile::TempDir, run_dir: &Path) -> Screen {
    let fx = fixture();
    let journal = run_dir.join(journal::FILE);
    let mut args = vec![
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-P",
        journal.to_str().unwrap(),
    ];
    args.extend(inject);
    args.extend([
        warroom(),
        "run",
        fx.to_str().unwrap(),
        "--run-dir",
        run_dir.to_str().unwrap(),
    ]);
    Screen::start_program("strace", &args, 30, 110, dir)
}

#[test]
fn a_failed_fsync_stops_the_console_acting_and_keeps_it_watching() {
    if !can_inject("strace") {
        return;
    }
    let (dir, run_dir) = prepared();
    // The first fdatasync (the run's opening records) succeeds; the second fails.
    let mut s = under_strace(
        &[
            "-e",
            "trace=fdatasync",
            "-e",
            "inject=fdatasync:error=EIO:when=2",
        ],
        dir,
        &run_dir,
    );
    s.wait_for("Count to six", 20);
    s.keys("\t\t\t\t");
    s.keys(" ");
    let screen = s.wait_for("JOURNAL FAILED", 10);
    assert!(screen.contains("Input/output error"), "{screen}");
    assert!(
        !screen.contains("[x]"),
        "the tick was not recorded, so it did not happen:\n{screen}"
    );
    // Nothing that acts goes through now: not a vote, not a step, not the rollback.
    s.keys("\t");
    s.keys("g");
    s.keys("G\r");
    s.keys("\r");
    s.keys("j\r");
    std::thread::sleep(Duration::from_millis(500));
    let screen = s.text();
    assert!(!screen.contains("GO 1/1"), "{screen}");
    assert!(
        step_dirs(&run_dir).is_empty(),
        "no step ran: {:?}",
        step_dirs(&run_dir)
    );
    // It still draws and answers: the clock moves, help opens.
    s.keys("?");
    s.wait_for("any key closes", 5);
    s.keys("x");
    let recs = records(&run_dir);
    let kinds: Vec<_> = recs.iter().map(|r| r.event.clone()).collect();
    assert!(
        kinds
            .iter()
            .all(|e| matches!(e, Event::RunOpened { .. } | Event::DriverAttached { .. })),
        "only what was made durable stays in the journal: {kinds:?}"
    );
    eprintln!(
        "fsync EIO: journal holds {} record(s); actions refused after the failure; steps started: 0",
        recs.len()
    );
    s.keys("q");
    s.wait_exit(10);
}

#[test]
fn a_full_disk_stops_the_console_acting_and_says_why() {
    if !can_inject("unshare") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).unwrap();
    let fx = fixture();
    // A 256 KiB tmpfs over the run directory, seen only by this console.
    let script = r#"mount -t tmpfs -o size=256k warroom-test "$1" && shift && exec "$@""#;
    let s_args = [
        "-m",
        "sh",
        "-c",
        script,
        "sh",
        run_dir.to_str().unwrap(),
        warroom(),
        "run",
        fx.to_str().unwrap(),
        "--run-dir",
        run_dir.to_str().unwrap(),
    ];
    let mut s = Screen::start_program("unshare", &s_args, 30, 110, dir);
    s.wait_for("Count to six", 20);
    // Fill the tmpfs from inside the console's namespace, as a runaway log would.
    let pid = s.child.process_id().unwrap();
    let filled = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "sh", "-c"])
        .arg(format!(
            "dd if=/dev/zero of={}/filler bs=4k 2>/dev/null; true",
            run_dir.display()
        ))
        .status()
        .unwrap();
    assert!(filled.success());
    // Tick and untick until the journal needs a block the disk no longer has.
    s.keys("\t\t\t\t");
    let mut presses = 0;
    while !s.text().contains("JOURNAL FAILED") {
        assert!(
            presses < 100,
            "the journal never ran out of room:\n{}",
            s.text()
        );
        s.keys(" ");
        presses += 1;
    }
    let screen = s.wait_for("JOURNAL FAILED", 5);
    assert!(screen.contains("No space left"), "{screen}");
    // What the screen shows is what the journal holds: the refused tick did not happen.
    let shown = screen.contains("[x]");
    let journaled = nsenter_journal(pid, &run_dir)
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::CheckTicked { ticked, .. } => Some(*ticked),
            _ => None,
        })
        .unwrap_or(false);
    assert_eq!(shown, journaled, "{screen}");
    // And nothing acts any more.
    s.keys("\t");
    s.keys("gG\r");
    std::thread::sleep(Duration::from_millis(300));
    assert!(!s.text().contains("GO 1/1"));
    eprintln!(
        "full disk: the journal failed with ENOSPC after {presses} ticks; screen and journal agree; later actions refused"
    );
    s.keys("q");
    s.wait_exit(10);
}

/// Waits (up to 15 s) until every run the journal started has finished or was found lost:
/// a resumed console's re-attached steps are done.
fn settled(run_dir: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let recs = records(run_dir);
        let started = recs
            .iter()
            .filter(|r| matches!(r.event, Event::RunStarted { .. }))
            .count();
        let ended = recs
            .iter()
            .filter(|r| matches!(r.event, Event::RunFinished { .. } | Event::RunLost { .. }))
            .count();
        if ended >= started {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{started} runs started, {ended} ended after 15 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The journal as the console's namespace sees it (the tmpfs is private to it).
fn nsenter_journal(pid: u32, run_dir: &Path) -> Vec<Event> {
    let out = std::process::Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "cat"])
        .arg(run_dir.join(journal::FILE))
        .output()
        .unwrap();
    let (records, _) = journal::parse(&out.stdout).unwrap();
    records.into_iter().map(|r| r.event).collect()
}

/// The scripted run: tick, vote, run the slow step, then quit after it ends.
fn script(s: &mut Screen) -> bool {
    let alive = |s: &mut Screen| matches!(s.child.try_wait(), Ok(None));
    // Tick, vote, acknowledge, run a step, confirm a step, roll back.
    let steps: [(&str, Option<&str>); 8] = [
        ("\t\t\t\t \t", Some("[x]")),
        ("gGnote\r", Some("GO 1/1")),
        ("", Some("x is high")),
        ("a", Some("Acknowledge alert")),
        ("seen\r", Some("ACK")),
        ("\r", Some("exit status 3")),
        ("j\ry", Some("after-done")),
        ("RROLLBACK\r", Some("ROLLED BACK")),
    ];
    if s.wait_until_or_exit("Count to six", 20).is_none() {
        return false;
    }
    for (keys, expect) in steps {
        if !alive(s) {
            return false;
        }
        s.keys(keys);
        if let Some(e) = expect
            && s.wait_until_or_exit(e, 15).is_none()
        {
            return false;
        }
    }
    true
}

/// Kills the console at the N-th write (then at the N-th fsync) of its journal, for every N
/// the scripted run makes, resumes it, and counts what was lost and what ran twice.
#[test]
fn killed_at_every_journal_write_and_fsync_nothing_is_lost_and_nothing_runs_twice() {
    if !can_inject("strace") {
        return;
    }
    // How many journal writes and fsyncs a whole scripted run makes.
    let (dir, run_dir) = prepared();
    let mut s = under_strace(&[], dir, &run_dir);
    assert!(script(&mut s), "the scripted run completes:\n{}", s.text());
    s.keys("q");
    s.wait_exit(10);
    let full = records(&run_dir).len();
    for (syscall, total) in [("write", full), ("fdatasync", full)] {
        let (mut lost, mut twice, mut runs) = (0, 0, 0);
        for n in 1..=total {
            let (dir, run_dir) = prepared();
            let inject = format!("inject={syscall}:signal=KILL:when={n}");
            let trace = format!("trace={syscall}");
            let mut s = under_strace(&["-e", &trace, "-e", &inject], dir, &run_dir);
            let completed = script(&mut s);
            if completed {
                // Fewer writes than n in this run (batching varies): nothing to kill.
                s.keys("q");
                s.wait_exit(10);
                continue;
            }
            // It did not complete: it must have been killed, not merely slow (a timeout
            // would count as a kill that never happened).
            let deadline = std::time::Instant::now() + Duration::from_secs(15);
            let status = loop {
                if let Ok(Some(st)) = s.child.try_wait() {
                    break st;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "the run neither completed nor was killed at {syscall} {n}:\n{}",
                    s.text()
                );
                std::thread::sleep(Duration::from_millis(50));
            };
            assert!(
                !status.success(),
                "the console ended by itself at {syscall} {n}, not by the kill: {status:?}"
            );
            runs += 1;
            let before = records(&run_dir);
            // Resume without faults and let any re-attached step finish.
            let fx = fixture();
            let mut s = s.again(&["run", fx.to_str().unwrap()], 30, 110);
            s.wait_for("Count to six", 20);
            settled(&run_dir);
            let started_dirs = step_dirs(&run_dir);
            let after = records(&run_dir);
            // Every record on disk before the kill is still there, in order.
            if after.len() < before.len() || after[..before.len()] != before[..] {
                lost += 1;
            }
            // Every step directory belongs to one recorded start; none started twice.
            let starts: Vec<String> = after
                .iter()
                .filter_map(|r| match &r.event {
                    Event::RunStarted {
                        target, attempt, ..
                    } => Some(match target {
                        warroom::app::RunRef::Step(id) => format!("{id}.{attempt}"),
                        warroom::app::RunRef::Rollback => format!("rollback.{attempt}"),
                        warroom::app::RunRef::RollbackPreview => {
                            format!("rollback.preview.{attempt}")
                        }
                    }),
                    _ => None,
                })
                .collect();
            if started_dirs.iter().any(|d| !starts.contains(d)) || started_dirs.len() > starts.len()
            {
                twice += 1;
            }
            let slow_runs = started_dirs
                .iter()
                .filter(|d| d.starts_with("slow."))
                .count();
            if slow_runs > 1 {
                twice += 1;
            }
            s.keys("q");
            if !s.wait_exit_quietly(10) {
                // A step still running asks first; the answer is yes.
                s.keys("y");
                s.wait_exit(10);
            }
        }
        eprintln!(
            "killed at the N-th journal {syscall} (N = 1..{total}): {runs} kills landed; runs that lost a durable record: {lost} of {runs}; effects run twice: {twice}"
        );
        assert_eq!(lost, 0, "records lost after a kill at a {syscall}");
        assert_eq!(twice, 0, "effects run twice after a kill at a {syscall}");
        assert!(runs > 0, "at least one kill landed for {syscall}");
    }
}
